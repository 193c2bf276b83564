/* Per-message symmetric work: every message is a new operation (Init +
 * one-shot call), so the figures show the module's per-call overhead at
 * small sizes and its throughput at large ones.  The OpenSSL twins fetch
 * their algorithm once and set the key per message, as the module must. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bench.h"

enum { SYM_GCM, SYM_CBC, SYM_SHA, SYM_HMAC };

#define MAX_MSG (1024 * 1024)

static const struct sym_case {
    const char *name;
    const char *label;
    int kind;
    CK_MECHANISM_TYPE mech;
    CK_FLAGS flags;
} sym_cases[] = {
    {"aes256gcm", "AES-256-GCM encrypt", SYM_GCM, CKM_AES_GCM, CKF_ENCRYPT},
    {"aes256cbc", "AES-256-CBC encrypt", SYM_CBC, CKM_AES_CBC, CKF_ENCRYPT},
    {"sha256", "SHA-256", SYM_SHA, CKM_SHA256, CKF_DIGEST},
    {"hmac_sha256", "HMAC-SHA256", SYM_HMAC, CKM_SHA256_HMAC, CKF_SIGN},
};

static const struct msg_size {
    const char *name;
    const char *label;
    size_t len;
} sizes[] = {
    {"64", "64 B", 64}, {"1k", "1 KiB", 1024}, {"16k", "16 KiB", 16384}, {"1m", "1 MiB", MAX_MSG}};

typedef struct p11_sym {
    bench_p11 *m;
    int kind;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM mech;
    CK_GCM_PARAMS gcm;
    CK_BYTE iv[16];
    CK_BYTE *in, *out;
    size_t len;
} p11_sym;

typedef struct ossl_sym {
    int kind;
    bool padded; /* CBC: as the module's mechanism (CKM_AES_CBC_PAD) */
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *cctx;
    EVP_MD *md;
    EVP_MD_CTX *mctx;
    EVP_MAC_CTX *mac;
    unsigned char key[32], iv[16];
    unsigned char *in, *out;
    size_t len;
} ossl_sym;

/* A fresh IV per message, as GCM requires (a counter is enough here). */
static void next_iv(unsigned char *iv)
{
    for (int i = 11; i >= 0 && ++iv[i] == 0; i--)
        ;
}

static bool p11_sym_run(void *arg, uint64_t n, char *why)
{
    p11_sym *a = arg;
    CK_FUNCTION_LIST *f = a->m->f;
    CK_SESSION_HANDLE s = a->m->s;
    CK_ULONG out_len;
    CK_RV rv;

    for (uint64_t i = 0; i < n; i++) {
        out_len = a->len + 64;
        switch (a->kind) {
        case SYM_GCM:
            next_iv(a->iv);
            /* fall through */
        case SYM_CBC:
            if ((rv = f->C_EncryptInit(s, &a->mech, a->key)) != CKR_OK)
                return p11_fail(why, "C_EncryptInit", rv);
            if ((rv = f->C_Encrypt(s, a->in, a->len, a->out, &out_len)) != CKR_OK)
                return p11_fail(why, "C_Encrypt", rv);
            break;
        case SYM_SHA:
            if ((rv = f->C_DigestInit(s, &a->mech)) != CKR_OK)
                return p11_fail(why, "C_DigestInit", rv);
            if ((rv = f->C_Digest(s, a->in, a->len, a->out, &out_len)) != CKR_OK)
                return p11_fail(why, "C_Digest", rv);
            break;
        case SYM_HMAC:
            if ((rv = f->C_SignInit(s, &a->mech, a->key)) != CKR_OK)
                return p11_fail(why, "C_SignInit", rv);
            if ((rv = f->C_Sign(s, a->in, a->len, a->out, &out_len)) != CKR_OK)
                return p11_fail(why, "C_Sign", rv);
            break;
        }
    }
    return true;
}

static bool ossl_cipher_once(ossl_sym *a)
{
    int l1 = 0, l2 = 0;

    if (a->kind == SYM_GCM)
        next_iv(a->iv);
    if (!EVP_EncryptInit_ex2(a->cctx, a->cipher, a->key, a->iv, NULL))
        return false;
    if (a->kind == SYM_CBC && !EVP_CIPHER_CTX_set_padding(a->cctx, a->padded))
        return false;
    if (!EVP_EncryptUpdate(a->cctx, a->out, &l1, a->in, (int)a->len) ||
        !EVP_EncryptFinal_ex(a->cctx, a->out + l1, &l2))
        return false;
    if (a->kind == SYM_GCM)
        return EVP_CIPHER_CTX_ctrl(a->cctx, EVP_CTRL_AEAD_GET_TAG, 16, a->out + l1 + l2) > 0;
    return true;
}

static bool ossl_sym_run(void *arg, uint64_t n, char *why)
{
    ossl_sym *a = arg;
    unsigned int md_len;
    size_t mac_len;
    bool ok = true;

    for (uint64_t i = 0; i < n && ok; i++) {
        switch (a->kind) {
        case SYM_GCM:
        case SYM_CBC:
            ok = ossl_cipher_once(a);
            break;
        case SYM_SHA:
            ok = EVP_DigestInit_ex2(a->mctx, a->md, NULL) &&
                 EVP_DigestUpdate(a->mctx, a->in, a->len) &&
                 EVP_DigestFinal_ex(a->mctx, a->out, &md_len);
            break;
        case SYM_HMAC:
            ok = EVP_MAC_init(a->mac, a->key, sizeof(a->key), NULL) &&
                 EVP_MAC_update(a->mac, a->in, a->len) &&
                 EVP_MAC_final(a->mac, a->out, &mac_len, 64);
            break;
        }
    }
    if (!ok)
        snprintf(why, BENCH_WHY, "OpenSSL operation failed");
    return ok;
}

/* A token secret key for the case (none for digests). */
static bool make_key(bench_p11 *m, int kind, CK_OBJECT_HANDLE *key, char *why)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = kind == SYM_HMAC ? CKK_GENERIC_SECRET : CKK_AES;
    CK_MECHANISM gen = {kind == SYM_HMAC ? CKM_GENERIC_SECRET_KEY_GEN : CKM_AES_KEY_GEN, NULL, 0};
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_VALUE_LEN, &len, sizeof(len)},
        {kind == SYM_HMAC ? CKA_SIGN : CKA_ENCRYPT, &yes, sizeof(yes)},
        {kind == SYM_HMAC ? CKA_VERIFY : CKA_DECRYPT, &yes, sizeof(yes)},
    };
    CK_RV rv;

    if (!p11_has_mech(m, gen.mechanism, CKF_GENERATE, why))
        return false;
    rv = m->f->C_GenerateKey(m->s, &gen, t, sizeof(t) / sizeof(t[0]), key);
    if (rv != CKR_OK)
        return p11_fail(why, "C_GenerateKey", rv);
    return true;
}

/* The module's side of a case: mechanism present, key made; `st` marked
 * missing or failed when it cannot run. */
static void prepare_p11(bench_ctx *c, const struct sym_case *sc, p11_sym *p, bench_stat *st)
{
    char why[BENCH_WHY];

    p->mech.mechanism = sc->mech;
    if (sc->kind == SYM_CBC && !p11_has_mech(c->m, CKM_AES_CBC, sc->flags, why) &&
        p11_has_mech(c->m, CKM_AES_CBC_PAD, sc->flags, why))
        p->mech.mechanism = CKM_AES_CBC_PAD;
    if (!p11_has_mech(c->m, p->mech.mechanism, sc->flags, why)) {
        bench_stat_missing(st, why);
        return;
    }
    if (sc->kind == SYM_GCM) {
        p->gcm = (CK_GCM_PARAMS){p->iv, 12, 96, NULL, 0, 128};
        p->mech.pParameter = &p->gcm;
        p->mech.ulParameterLen = sizeof(p->gcm);
    } else if (sc->kind == SYM_CBC) {
        p->mech.pParameter = p->iv;
        p->mech.ulParameterLen = 16;
    }
    if (sc->kind != SYM_SHA && !make_key(c->m, sc->kind, &p->key, why)) {
        if (strstr(why, "not offered") != NULL)
            bench_stat_missing(st, why);
        else
            bench_stat_failed(st, why);
    }
}

static bool prepare_ossl(ossl_sym *o, int kind, bool padded)
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC *mac;

    o->kind = kind;
    if (RAND_bytes(o->key, sizeof(o->key)) != 1)
        return false;
    switch (kind) {
    case SYM_GCM:
    case SYM_CBC:
        o->cipher = EVP_CIPHER_fetch(NULL, kind == SYM_GCM ? "AES-256-GCM" : "AES-256-CBC", NULL);
        o->cctx = EVP_CIPHER_CTX_new();
        o->padded = padded;
        return o->cipher != NULL && o->cctx != NULL;
    case SYM_SHA:
        o->md = EVP_MD_fetch(NULL, "SHA256", NULL);
        o->mctx = EVP_MD_CTX_new();
        return o->md != NULL && o->mctx != NULL;
    case SYM_HMAC:
        mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        o->mac = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac);
        return o->mac != NULL && EVP_MAC_CTX_set_params(o->mac, params);
    }
    return false;
}

static void free_ossl(ossl_sym *o)
{
    EVP_CIPHER_free(o->cipher);
    EVP_CIPHER_CTX_free(o->cctx);
    EVP_MD_free(o->md);
    EVP_MD_CTX_free(o->mctx);
    EVP_MAC_CTX_free(o->mac);
}

static void measure_case(bench_ctx *c, const struct sym_case *sc, unsigned char *in,
                         unsigned char *out)
{
    p11_sym p = {.m = c->m, .kind = sc->kind, .in = in, .out = out};
    ossl_sym o = {.in = in, .out = out};
    bench_stat base = {0}, obase = {0};
    char name[64], label[128];

    prepare_p11(c, sc, &p, &base);
    if (!prepare_ossl(&o, sc->kind, p.mech.mechanism == CKM_AES_CBC_PAD))
        bench_stat_failed(&obase, "OpenSSL algorithm unavailable");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        bench_op p11_op = {p11_sym_run, NULL, &p}, ossl_op = {ossl_sym_run, NULL, &o};
        bench_stat ps = base, os = obase;

        p.len = o.len = sizes[i].len;
        bench_run_pair(c->cfg, &p11_op, &ps, &ossl_op, &os);
        snprintf(name, sizeof(name), "%s.%s", sc->name, sizes[i].name);
        snprintf(label, sizeof(label), "%s%s, %s", sc->label,
                 p.mech.mechanism == CKM_AES_CBC_PAD ? " (CBC_PAD)" : "", sizes[i].label);
        report_pair(name, label, &ps, &os, (double)sizes[i].len);
    }
    if (p.key != CK_INVALID_HANDLE)
        c->m->f->C_DestroyObject(c->m->s, p.key);
    free_ossl(&o);
}

void cipher_section(bench_ctx *c)
{
    unsigned char *in = malloc(MAX_MSG), *out = malloc(MAX_MSG + 64);

    report_section("Symmetric, per message (Init + one-shot call vs EVP init + update + final)");
    report_columns("messages/s");
    if (in == NULL || out == NULL) {
        fprintf(stderr, "tessera-bench: out of memory\n");
        exit(2);
    }
    memset(in, 0xa5, MAX_MSG);
    for (size_t i = 0; i < sizeof(sym_cases) / sizeof(sym_cases[0]); i++)
        measure_case(c, &sym_cases[i], in, out);
    free(in);
    free(out);
}
