/* Signatures, verification and key generation, through the module and on
 * OpenSSL's EVP API.  One operation is C_SignInit + C_Sign (C_VerifyInit +
 * C_Verify) on a 64-byte message; its OpenSSL twin is EVP_DigestSignInit +
 * EVP_DigestSign (EVP_DigestVerify...) on a key OpenSSL generated itself,
 * with the digest fetched once beforehand, as a careful application does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "bench.h"

static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const CK_BYTE oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

static const struct key_kind {
    const char *name; /* in metric names */
    const char *label;
    CK_MECHANISM_TYPE gen;
    CK_ULONG bits;         /* RSA */
    const CK_BYTE *params; /* EC: CKA_EC_PARAMS */
    CK_ULONG params_len;
} kinds[KEY_KINDS] = {
    [KEY_RSA2048] = {"rsa2048", "RSA-2048", CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, NULL, 0},
    [KEY_RSA3072] = {"rsa3072", "RSA-3072", CKM_RSA_PKCS_KEY_PAIR_GEN, 3072, NULL, 0},
    [KEY_P256] = {"p256", "ECDSA P-256", CKM_EC_KEY_PAIR_GEN, 0, oid_p256, sizeof(oid_p256)},
    [KEY_P384] = {"p384", "ECDSA P-384", CKM_EC_KEY_PAIR_GEN, 0, oid_p384, sizeof(oid_p384)},
    [KEY_ED25519] = {"ed25519", "Ed25519", CKM_EC_EDWARDS_KEY_PAIR_GEN, 0, oid_ed25519,
                     sizeof(oid_ed25519)},
};

/* What the sign section measures: the list. */
static const struct sig_case {
    const char *name;
    const char *label;
    int kind;
    CK_MECHANISM_TYPE mech;
    bool pss;
    const char *md; /* NULL: EdDSA, no digest */
} cases[] = {
    {"rsa2048.pkcs1", "RSA-2048 PKCS#1 SHA-256", KEY_RSA2048, CKM_SHA256_RSA_PKCS, false, "SHA256"},
    {"rsa2048.pss", "RSA-2048 PSS SHA-256", KEY_RSA2048, CKM_SHA256_RSA_PKCS_PSS, true, "SHA256"},
    {"rsa3072.pkcs1", "RSA-3072 PKCS#1 SHA-256", KEY_RSA3072, CKM_SHA256_RSA_PKCS, false, "SHA256"},
    {"rsa3072.pss", "RSA-3072 PSS SHA-256", KEY_RSA3072, CKM_SHA256_RSA_PKCS_PSS, true, "SHA256"},
    {"p256", "ECDSA P-256 SHA-256", KEY_P256, CKM_ECDSA_SHA256, false, "SHA256"},
    {"p384", "ECDSA P-384 SHA-384", KEY_P384, CKM_ECDSA_SHA384, false, "SHA384"},
    {"ed25519", "Ed25519", KEY_ED25519, CKM_EDDSA, false, NULL},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

const char *sign_key_name(int kind)
{
    return kinds[kind].label;
}

bool sign_generate(bench_p11 *m, CK_SESSION_HANDLE s, int kind, bool token, bench_pair *out,
                   char *why)
{
    const struct key_kind *k = &kinds[kind];
    CK_BBOOL yes = CK_TRUE, tok = token ? CK_TRUE : CK_FALSE;
    CK_BYTE e[] = {0x01, 0x00, 0x01};
    CK_ULONG bits = k->bits;
    CK_MECHANISM mech = {k->gen, NULL, 0};
    CK_ATTRIBUTE pub[4] = {{CKA_TOKEN, &tok, sizeof(tok)}, {CKA_VERIFY, &yes, sizeof(yes)}};
    CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &tok, sizeof(tok)},
                           {CKA_PRIVATE, &yes, sizeof(yes)},
                           {CKA_SENSITIVE, &yes, sizeof(yes)},
                           {CKA_SIGN, &yes, sizeof(yes)}};
    CK_ULONG n_pub = 2;
    CK_RV rv;

    if (k->bits != 0) {
        pub[n_pub++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof(bits)};
        pub[n_pub++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, e, sizeof(e)};
    } else {
        pub[n_pub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)k->params, k->params_len};
    }
    rv = m->f->C_GenerateKeyPair(s, &mech, pub, n_pub, priv, 4, &out->pub, &out->priv);
    if (rv != CKR_OK)
        return p11_fail(why, "C_GenerateKeyPair", rv);
    return true;
}

EVP_PKEY *sign_ossl_key(int kind)
{
    switch (kind) {
    case KEY_RSA2048:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case KEY_RSA3072:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    case KEY_P256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case KEY_P384:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    case KEY_ED25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    }
    return NULL;
}

bool sign_pick_mech(const bench_p11 *m, CK_MECHANISM_TYPE want, CK_MECHANISM_TYPE *use,
                    bool *prehash, char *why)
{
    char raw_why[BENCH_WHY];

    *use = want;
    *prehash = false;
    if (p11_has_mech(m, want, CKF_SIGN | CKF_VERIFY, why))
        return true;
    if ((want == CKM_ECDSA_SHA256 || want == CKM_ECDSA_SHA384) &&
        p11_has_mech(m, CKM_ECDSA, CKF_SIGN | CKF_VERIFY, raw_why)) {
        *use = CKM_ECDSA;
        *prehash = true;
        return true;
    }
    return false;
}

/* ---- one signature or verification through the module ---- */

typedef struct p11_sig {
    bench_p11 *m;
    CK_OBJECT_HANDLE priv, pub;
    CK_MECHANISM mech;
    CK_RSA_PKCS_PSS_PARAMS pss;
    const EVP_MD *prehash; /* raw CKM_ECDSA: the digest is made here */
    CK_BYTE msg[64];
    CK_BYTE digest[EVP_MAX_MD_SIZE];
    CK_BYTE sig[1024];
    CK_ULONG sig_len;
} p11_sig;

/* What the module is given: the message, or its digest when a raw
 * mechanism stands in for a hashed one (hashing counted in the time). */
static bool p11_input(p11_sig *a, CK_BYTE **data, CK_ULONG *len, char *why)
{
    unsigned int n = 0;

    *data = a->msg;
    *len = sizeof(a->msg);
    if (a->prehash == NULL)
        return true;
    if (!EVP_Digest(a->msg, sizeof(a->msg), a->digest, &n, a->prehash, NULL)) {
        snprintf(why, BENCH_WHY, "EVP_Digest failed");
        return false;
    }
    *data = a->digest;
    *len = n;
    return true;
}

static bool p11_sign_run(void *arg, uint64_t n, char *why)
{
    p11_sig *a = arg;
    CK_FUNCTION_LIST *f = a->m->f;
    CK_BYTE *data;
    CK_ULONG len;
    CK_RV rv;

    for (uint64_t i = 0; i < n; i++) {
        if (!p11_input(a, &data, &len, why))
            return false;
        if ((rv = f->C_SignInit(a->m->s, &a->mech, a->priv)) != CKR_OK)
            return p11_fail(why, "C_SignInit", rv);
        a->sig_len = sizeof(a->sig);
        if ((rv = f->C_Sign(a->m->s, data, len, a->sig, &a->sig_len)) != CKR_OK)
            return p11_fail(why, "C_Sign", rv);
    }
    return true;
}

static bool p11_verify_run(void *arg, uint64_t n, char *why)
{
    p11_sig *a = arg;
    CK_FUNCTION_LIST *f = a->m->f;
    CK_BYTE *data;
    CK_ULONG len;
    CK_RV rv;

    for (uint64_t i = 0; i < n; i++) {
        if (!p11_input(a, &data, &len, why))
            return false;
        if ((rv = f->C_VerifyInit(a->m->s, &a->mech, a->pub)) != CKR_OK)
            return p11_fail(why, "C_VerifyInit", rv);
        rv = f->C_Verify(a->m->s, data, len, a->sig, a->sig_len);
        if (rv != CKR_OK)
            return p11_fail(why, "C_Verify", rv);
    }
    return true;
}

/* ---- the same on EVP ---- */

typedef struct ossl_sig {
    EVP_PKEY *pkey;
    EVP_MD *md; /* NULL for EdDSA */
    bool pss;
    EVP_MD_CTX *ctx;
    unsigned char msg[64];
    unsigned char sig[1024];
    size_t sig_len;
} ossl_sig;

static bool ossl_init(ossl_sig *a, bool verify, char *why)
{
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    EVP_MD_CTX_reset(a->ctx);
    if (verify)
        ok = EVP_DigestVerifyInit(a->ctx, &pctx, a->md, NULL, a->pkey);
    else
        ok = EVP_DigestSignInit(a->ctx, &pctx, a->md, NULL, a->pkey);
    if (ok > 0 && a->pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    if (ok <= 0)
        snprintf(why, BENCH_WHY, "EVP_Digest%sInit failed", verify ? "Verify" : "Sign");
    return ok > 0;
}

static bool ossl_sign_run(void *arg, uint64_t n, char *why)
{
    ossl_sig *a = arg;

    for (uint64_t i = 0; i < n; i++) {
        if (!ossl_init(a, false, why))
            return false;
        a->sig_len = sizeof(a->sig);
        if (EVP_DigestSign(a->ctx, a->sig, &a->sig_len, a->msg, sizeof(a->msg)) <= 0) {
            snprintf(why, BENCH_WHY, "EVP_DigestSign failed");
            return false;
        }
    }
    return true;
}

static bool ossl_verify_run(void *arg, uint64_t n, char *why)
{
    ossl_sig *a = arg;

    for (uint64_t i = 0; i < n; i++) {
        if (!ossl_init(a, true, why))
            return false;
        if (EVP_DigestVerify(a->ctx, a->sig, a->sig_len, a->msg, sizeof(a->msg)) != 1) {
            snprintf(why, BENCH_WHY, "EVP_DigestVerify failed");
            return false;
        }
    }
    return true;
}

/* ---- the section ---- */

typedef struct sign_keys {
    bool have[KEY_KINDS][2]; /* [kind][token] */
    bench_pair pair[KEY_KINDS][2];
    char why[KEY_KINDS][2][BENCH_WHY];
    EVP_PKEY *ossl[KEY_KINDS];
} sign_keys;

static void make_keys(bench_ctx *c, sign_keys *k)
{
    for (int kind = 0; kind < KEY_KINDS; kind++) {
        k->ossl[kind] = sign_ossl_key(kind);
        for (int tok = 0; tok < 2; tok++) {
            char *why = k->why[kind][tok];
            if (p11_has_mech(c->m, kinds[kind].gen, CKF_GENERATE_KEY_PAIR, why))
                k->have[kind][tok] =
                    sign_generate(c->m, c->m->s, kind, tok, &k->pair[kind][tok], why);
        }
    }
}

static void measure_case(bench_ctx *c, sign_keys *k, const struct sig_case *sc, int tok)
{
    p11_sig p = {.m = c->m, .mech = {sc->mech, NULL, 0}};
    ossl_sig o = {.pkey = k->ossl[sc->kind], .pss = sc->pss, .ctx = EVP_MD_CTX_new()};
    bench_op p11_op = {p11_sign_run, NULL, &p}, ossl_op = {ossl_sign_run, NULL, &o};
    bench_stat ps = {0}, os = {0}, pv = {0}, ov = {0};
    char name[96], label[128], why[BENCH_WHY];
    const char *where = tok ? "token" : "session";
    bool raw = false;

    memset(p.msg, 0x5a, sizeof(p.msg));
    memset(o.msg, 0x5a, sizeof(o.msg));
    if (sc->pss) {
        p.pss = (CK_RSA_PKCS_PSS_PARAMS){CKM_SHA256, CKG_MGF1_SHA256, 32};
        p.mech.pParameter = &p.pss;
        p.mech.ulParameterLen = sizeof(p.pss);
    }
    if (sc->md != NULL)
        o.md = EVP_MD_fetch(NULL, sc->md, NULL);
    if (o.ctx == NULL || o.pkey == NULL || (sc->md != NULL && o.md == NULL))
        bench_stat_failed(&os, "OpenSSL key or digest unavailable");
    if (!sign_pick_mech(c->m, sc->mech, &p.mech.mechanism, &raw, why))
        bench_stat_missing(&ps, why);
    else if (!k->have[sc->kind][tok])
        bench_stat_failed(&ps, k->why[sc->kind][tok]);
    if (raw)
        p.prehash = o.md;
    p.priv = k->pair[sc->kind][tok].priv;
    p.pub = k->pair[sc->kind][tok].pub;
    pv = ps;
    ov = os;

    bench_run_pair(c->cfg, &p11_op, &ps, &ossl_op, &os);
    snprintf(name, sizeof(name), "sign.%s.%s", sc->name, where);
    snprintf(label, sizeof(label), "sign   %s, %s key%s", sc->label, where, raw ? " *" : "");
    report_pair(name, label, &ps, &os, 0);

    /* Verify the signatures the sign runs left behind. */
    if (!ps.ok && !pv.missing && pv.why[0] == '\0')
        bench_stat_failed(&pv, "no signature to verify");
    if (!os.ok && ov.why[0] == '\0')
        bench_stat_failed(&ov, "no signature to verify");
    p11_op.run = p11_verify_run;
    ossl_op.run = ossl_verify_run;
    bench_run_pair(c->cfg, &p11_op, &pv, &ossl_op, &ov);
    snprintf(name, sizeof(name), "verify.%s.%s", sc->name, where);
    snprintf(label, sizeof(label), "verify %s, %s key%s", sc->label, where, raw ? " *" : "");
    report_pair(name, label, &pv, &ov, 0);

    EVP_MD_free(o.md);
    EVP_MD_CTX_free(o.ctx);
}

void sign_section(bench_ctx *c)
{
    sign_keys k;

    memset(&k, 0, sizeof(k));
    report_section("Signatures and verifications (C_SignInit+C_Sign vs EVP_DigestSignInit+"
                   "EVP_DigestSign, 64-byte message)");
    make_keys(c, &k);
    report_columns("operations/s");
    for (size_t i = 0; i < N_CASES; i++)
        for (int tok = 1; tok >= 0; tok--)
            measure_case(c, &k, &cases[i], tok);
    for (size_t i = 0; i < N_CASES; i++) {
        CK_MECHANISM_TYPE use;
        bool raw;
        char why[BENCH_WHY];
        if (sign_pick_mech(c->m, cases[i].mech, &use, &raw, why) && raw) {
            report_note("* the module lacks the hashed ECDSA mechanisms: CKM_ECDSA on a digest "
                        "made by the caller (its cost included) stands in.");
            break;
        }
    }
    for (int kind = 0; kind < KEY_KINDS; kind++) {
        for (int tok = 0; tok < 2; tok++) {
            if (!k.have[kind][tok])
                continue;
            c->m->f->C_DestroyObject(c->m->s, k.pair[kind][tok].pub);
            c->m->f->C_DestroyObject(c->m->s, k.pair[kind][tok].priv);
        }
        EVP_PKEY_free(k.ossl[kind]);
    }
}

/* ---- key generation, token objects ---- */

typedef struct p11_gen {
    bench_p11 *m;
    int kind;
    bench_pair *made;
    size_t n, cap;
} p11_gen;

static bool p11_gen_run(void *arg, uint64_t n, char *why)
{
    p11_gen *g = arg;

    for (uint64_t i = 0; i < n; i++) {
        if (g->n == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 64;
            bench_pair *v = realloc(g->made, cap * sizeof(*v));
            if (v == NULL) {
                snprintf(why, BENCH_WHY, "out of memory");
                return false;
            }
            g->made = v;
            g->cap = cap;
        }
        if (!sign_generate(g->m, g->m->s, g->kind, true, &g->made[g->n], why))
            return false;
        g->n++;
    }
    return true;
}

/* Untimed: the generated keys go again, so the store section starts empty. */
static void p11_gen_after(void *arg)
{
    p11_gen *g = arg;

    for (size_t i = 0; i < g->n; i++) {
        g->m->f->C_DestroyObject(g->m->s, g->made[i].pub);
        g->m->f->C_DestroyObject(g->m->s, g->made[i].priv);
    }
    g->n = 0;
}

static bool ossl_gen_run(void *arg, uint64_t n, char *why)
{
    const int *kind = arg;

    for (uint64_t i = 0; i < n; i++) {
        EVP_PKEY *k = sign_ossl_key(*kind);
        if (k == NULL) {
            snprintf(why, BENCH_WHY, "EVP_PKEY_Q_keygen failed");
            return false;
        }
        EVP_PKEY_free(k);
    }
    return true;
}

void keygen_section(bench_ctx *c)
{
    static const int gen_kinds[] = {KEY_RSA2048, KEY_P256, KEY_ED25519};
    char name[64], label[128], why[BENCH_WHY];

    report_section("Key generation, token objects (C_GenerateKeyPair vs EVP_PKEY_Q_keygen)");
    report_columns("key pairs/s");
    for (size_t i = 0; i < sizeof(gen_kinds) / sizeof(gen_kinds[0]); i++) {
        int kind = gen_kinds[i];
        p11_gen g = {.m = c->m, .kind = kind};
        bench_op p11_op = {p11_gen_run, p11_gen_after, &g}, ossl_op = {ossl_gen_run, NULL, &kind};
        bench_stat ps = {0}, os = {0};

        if (!p11_has_mech(c->m, kinds[kind].gen, CKF_GENERATE_KEY_PAIR, why))
            bench_stat_missing(&ps, why);
        bench_run_pair(c->cfg, &p11_op, &ps, &ossl_op, &os);
        snprintf(name, sizeof(name), "keygen.%s", kinds[kind].name);
        snprintf(label, sizeof(label), "keygen  %s", kinds[kind].label);
        report_pair(name, label, &ps, &os, 0);
        free(g.made);
    }
}
