/* Unit tests of the mechanism layer: the table, digests against known
 * answers, every signature mechanism round-tripped single- and multi-part,
 * cross-checks with OpenSSL, the length protocol, and key import/generation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "mech-impl.h"

/* --- fixtures: one key pair per key kind, generated once --- */

typedef struct pair {
    CK_KEY_TYPE type;
    tsr_attrs pub_attrs, priv_attrs;
    EVP_PKEY *pub, *priv;
    tsr_key kpub, kpriv;
} pair;

static const unsigned char der_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char der_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char der_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const unsigned char der_k256[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
static const unsigned char der_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const unsigned char str_ed448[] = {0x13, 0x0a, 'e', 'd', 'w', 'a',
                                          'r',  'd',  's', '4', '4', '8'};

enum { K_RSA, K_P256, K_P384, K_P521, K_K256, K_ED25519, K_ED448, K_COUNT };
static pair keys[K_COUNT];

static const unsigned char msg[] = "The quick brown fox jumps over the lazy dog, more than once: "
                                   "0123456789abcdefghijklmnopqrstuvwxyz0123456789";

static void make_pair(pair *p, CK_MECHANISM_TYPE gen, const void *params, size_t plen)
{
    CK_MECHANISM m = {gen, NULL, 0};
    tsr_attrs tmpl;

    tsr_attrs_init(&tmpl);
    tsr_attrs_init(&p->pub_attrs);
    tsr_attrs_init(&p->priv_attrs);
    if (gen == CKM_RSA_PKCS_KEY_PAIR_GEN)
        assert_int_equal(tsr_attrs_set_ulong(&tmpl, CKA_MODULUS_BITS, 2048), CKR_OK);
    else
        assert_int_equal(tsr_attrs_set(&tmpl, CKA_EC_PARAMS, params, plen), CKR_OK);
    assert_int_equal(tsr_mech_generate_pair(&m, &tmpl, &p->type, &p->pub_attrs, &p->priv_attrs),
                     CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, p->type, &p->pub_attrs, &p->pub),
                     CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, p->type, &p->priv_attrs, &p->priv),
                     CKR_OK);
    p->kpub = (tsr_key){CKO_PUBLIC_KEY, p->type, p->pub, NULL, 0, NULL};
    p->kpriv = (tsr_key){CKO_PRIVATE_KEY, p->type, p->priv, NULL, 0, NULL};
    tsr_attrs_clear(&tmpl);
}

static int setup(void **state)
{
    if (tsr_ossl_init() != CKR_OK)
        return -1;
    make_pair(&keys[K_RSA], CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0);
    make_pair(&keys[K_P256], CKM_EC_KEY_PAIR_GEN, der_p256, sizeof(der_p256));
    make_pair(&keys[K_P384], CKM_EC_KEY_PAIR_GEN, der_p384, sizeof(der_p384));
    make_pair(&keys[K_P521], CKM_EC_KEY_PAIR_GEN, der_p521, sizeof(der_p521));
    make_pair(&keys[K_K256], CKM_EC_KEY_PAIR_GEN, der_k256, sizeof(der_k256));
    make_pair(&keys[K_ED25519], CKM_EC_EDWARDS_KEY_PAIR_GEN, der_ed25519, sizeof(der_ed25519));
    make_pair(&keys[K_ED448], CKM_EC_EDWARDS_KEY_PAIR_GEN, str_ed448, sizeof(str_ed448));
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < K_COUNT; i++) {
        EVP_PKEY_free(keys[i].pub);
        EVP_PKEY_free(keys[i].priv);
        tsr_attrs_clear(&keys[i].pub_attrs);
        tsr_attrs_clear(&keys[i].priv_attrs);
    }
    return 0;
}

/* --- helpers --- */

static tsr_op *start(CK_MECHANISM_TYPE type, tsr_op_kind kind, const void *param, size_t plen,
                     const tsr_key *key)
{
    CK_MECHANISM m = {type, (void *)param, plen};
    tsr_op *op = NULL;

    assert_int_equal(tsr_op_new(tsr_mech_lookup(type), kind, &m, key, &op), CKR_OK);
    assert_non_null(op);
    return op;
}

static CK_RV start_rv(CK_MECHANISM_TYPE type, tsr_op_kind kind, const void *param, size_t plen,
                      const tsr_key *key)
{
    CK_MECHANISM m = {type, (void *)param, plen};
    tsr_op *op = NULL;
    CK_RV rv = tsr_op_new(tsr_mech_lookup(type), kind, &m, key, &op);

    if (rv != CKR_OK)
        assert_null(op);
    tsr_op_free(op);
    return rv;
}

/* The input a signature mechanism takes, and its parameter. */
typedef struct sig_case {
    unsigned char data[512];
    size_t len;
    CK_RSA_PKCS_PSS_PARAMS pss;
    const void *param;
    size_t plen;
} sig_case;

static const unsigned char sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                              0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                              0x01, 0x05, 0x00, 0x04, 0x20};

static void make_case(const tsr_mech *m, sig_case *c)
{
    const tsr_hash *h = tsr_hash_by_name(m->arg != NULL ? m->arg : "SHA256");

    memset(c, 0, sizeof(*c));
    if (m->arg != NULL || m->type == CKM_EDDSA) {
        memcpy(c->data, msg, sizeof(msg));
        c->len = sizeof(msg);
    } else if (m->type == CKM_RSA_PKCS) {
        memcpy(c->data, sha256_prefix, sizeof(sha256_prefix));
        assert_int_equal(tsr_mech_sha256(msg, sizeof(msg), c->data + sizeof(sha256_prefix)),
                         CKR_OK);
        c->len = sizeof(sha256_prefix) + 32;
    } else if (m->type == CKM_RSA_X_509) {
        memset(c->data, 0x5a, 100);
        c->len = 100;
    } else {
        assert_int_equal(tsr_mech_sha256(msg, sizeof(msg), c->data), CKR_OK);
        c->len = 32;
    }
    if (m->ops == &tsr_rsa_pss_ops) {
        c->pss = (CK_RSA_PKCS_PSS_PARAMS){h->mech, h->mgf, h->len};
        c->param = &c->pss;
        c->plen = sizeof(c->pss);
    }
}

static size_t sign(const tsr_mech *m, const sig_case *c, const tsr_key *k, bool multi,
                   unsigned char *sig, size_t cap)
{
    tsr_op *op = start(m->type, TSR_OP_SIGN, c->param, c->plen, k);
    size_t len = cap, third = c->len / 3;

    if (multi) {
        assert_int_equal(tsr_op_update(op, c->data, third, NULL, NULL), CKR_OK);
        assert_int_equal(tsr_op_update(op, c->data + third, 0, NULL, NULL), CKR_OK);
        assert_int_equal(tsr_op_update(op, c->data + third, c->len - third, NULL, NULL), CKR_OK);
        assert_int_equal(tsr_op_final(op, sig, &len), CKR_OK);
    } else {
        assert_int_equal(tsr_op_oneshot(op, c->data, c->len, sig, &len), CKR_OK);
    }
    assert_int_equal(len, op->out_len);
    tsr_op_free(op);
    return len;
}

static CK_RV verify(const tsr_mech *m, const sig_case *c, const tsr_key *k, bool multi,
                    const unsigned char *sig, size_t len)
{
    tsr_op *op = start(m->type, TSR_OP_VERIFY, c->param, c->plen, k);
    CK_RV rv;

    if (multi) {
        assert_int_equal(tsr_op_update(op, c->data, 5, NULL, NULL), CKR_OK);
        assert_int_equal(tsr_op_update(op, c->data + 5, c->len - 5, NULL, NULL), CKR_OK);
        rv = tsr_op_verify_final(op, sig, len);
    } else {
        rv = tsr_op_verify(op, c->data, c->len, sig, len);
    }
    tsr_op_free(op);
    return rv;
}

/* Signs single- and multi-part, verifies each both ways, and checks that
 * a flipped bit and a wrong length are refused. */
static void roundtrip(const tsr_mech *m, const pair *p)
{
    unsigned char sig1[1024], sig2[1024];
    size_t n1, n2;
    sig_case c;

    make_case(m, &c);
    n1 = sign(m, &c, &p->kpriv, false, sig1, sizeof(sig1));
    n2 = sign(m, &c, &p->kpriv, true, sig2, sizeof(sig2));
    assert_int_equal(n1, n2);
    assert_int_equal(verify(m, &c, &p->kpub, false, sig1, n1), CKR_OK);
    assert_int_equal(verify(m, &c, &p->kpub, true, sig1, n1), CKR_OK);
    assert_int_equal(verify(m, &c, &p->kpub, false, sig2, n2), CKR_OK);
    assert_int_equal(verify(m, &c, &p->kpub, true, sig2, n2), CKR_OK);
    sig1[n1 / 2] ^= 0x01;
    assert_int_equal(verify(m, &c, &p->kpub, false, sig1, n1), CKR_SIGNATURE_INVALID);
    assert_int_equal(verify(m, &c, &p->kpub, true, sig1, n1), CKR_SIGNATURE_INVALID);
    assert_int_equal(verify(m, &c, &p->kpub, false, sig2, n2 - 1), CKR_SIGNATURE_LEN_RANGE);
}

static void hex(const char *h, unsigned char *out, size_t *len)
{
    size_t n = strlen(h) / 2;

    for (size_t i = 0; i < n; i++)
        sscanf(h + 2 * i, "%2hhx", &out[i]);
    *len = n;
}

/* --- the table --- */

static void test_registry_sorted(void **state)
{
    size_t n = tsr_mech_count();

    assert_true(n > 40);
    for (size_t i = 0; i < n; i++) {
        const tsr_mech *m = tsr_mech_at(i);
        CK_FLAGS f = m->info.flags;

        if (i > 0)
            assert_true(tsr_mech_at(i - 1)->type < m->type);
        assert_ptr_equal(tsr_mech_lookup(m->type), m);
        assert_false(f & CKF_HW);
        assert_int_equal(!!(m->kinds & TSR_OP_SIGN), !!(f & CKF_SIGN));
        assert_int_equal(!!(m->kinds & TSR_OP_VERIFY), !!(f & CKF_VERIFY));
        assert_int_equal(!!(m->kinds & TSR_OP_DIGEST), !!(f & CKF_DIGEST));
        assert_int_equal(!!(m->kinds & TSR_OP_ENCRYPT), !!(f & CKF_ENCRYPT));
        assert_int_equal(!!(m->kinds & TSR_OP_DECRYPT), !!(f & CKF_DECRYPT));
        assert_int_equal(m->ops != NULL, m->kinds != 0);
        assert_true(m->info.ulMinKeySize <= m->info.ulMaxKeySize);
    }
    assert_null(tsr_mech_at(n));
    assert_null(tsr_mech_lookup(CKM_MD5));
    assert_null(tsr_mech_lookup(0xffffffffUL));
    assert_int_equal(tsr_mech_lookup(CKM_RSA_PKCS_KEY_PAIR_GEN)->info.ulMaxKeySize, 8192);
    assert_int_equal(tsr_mech_lookup(CKM_ECDSA)->info.ulMinKeySize, 256);
    assert_int_equal(tsr_mech_lookup(CKM_ECDSA)->info.ulMaxKeySize, 521);
    assert_true(tsr_mech_lookup(CKM_EC_KEY_PAIR_GEN)->info.flags & CKF_GENERATE_KEY_PAIR);
}

/* --- digests --- */

static const struct {
    CK_MECHANISM_TYPE type;
    const char *abc;
} digest_kats[] = {
    {CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {CKM_SHA224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
    {CKM_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {CKM_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc"
                 "2358baeca134c825a7"},
    {CKM_SHA512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1"
                 "a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    {CKM_SHA3_224, "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"},
    {CKM_SHA3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
    {CKM_SHA3_384, "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927a"
                   "c7f539f1edf228376d25"},
    {CKM_SHA3_512, "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192a"
                   "f3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"},
};

static void test_digest_kat(void **state)
{
    for (size_t i = 0; i < sizeof(digest_kats) / sizeof(digest_kats[0]); i++) {
        unsigned char want[64], got[64];
        size_t want_len, len = sizeof(got);
        tsr_op *op = start(digest_kats[i].type, TSR_OP_DIGEST, NULL, 0, NULL);

        hex(digest_kats[i].abc, want, &want_len);
        assert_int_equal(tsr_op_oneshot(op, (const unsigned char *)"abc", 3, got, &len), CKR_OK);
        assert_int_equal(len, want_len);
        assert_memory_equal(got, want, want_len);
        tsr_op_free(op);

        op = start(digest_kats[i].type, TSR_OP_DIGEST, NULL, 0, NULL);
        len = sizeof(got);
        assert_int_equal(tsr_op_update(op, (const unsigned char *)"a", 1, NULL, NULL), CKR_OK);
        assert_int_equal(tsr_op_update(op, (const unsigned char *)"bc", 2, NULL, NULL), CKR_OK);
        assert_int_equal(tsr_op_final(op, got, &len), CKR_OK);
        assert_int_equal(len, want_len);
        assert_memory_equal(got, want, want_len);
        tsr_op_free(op);
    }
}

static void test_digest_length_protocol(void **state)
{
    unsigned char want[32], got[32];
    size_t want_len, len = 0;
    tsr_op *op = start(CKM_SHA256, TSR_OP_DIGEST, NULL, 0, NULL);

    hex(digest_kats[2].abc, want, &want_len);
    assert_int_equal(tsr_op_update(op, (const unsigned char *)"abc", 3, NULL, NULL), CKR_OK);
    assert_int_equal(tsr_op_final(op, NULL, &len), CKR_OK);
    assert_int_equal(len, 32);
    len = 31;
    assert_int_equal(tsr_op_final(op, got, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 32);
    len = sizeof(got);
    assert_int_equal(tsr_op_final(op, got, &len), CKR_OK);
    assert_memory_equal(got, want, 32);
    tsr_op_free(op);
    tsr_op_free(NULL);
    /* A digest takes no parameter. */
    assert_int_equal(start_rv(CKM_SHA256, TSR_OP_DIGEST, got, 4, NULL),
                     CKR_MECHANISM_PARAM_INVALID);
}

/* --- every signature mechanism --- */

static void test_rsa_roundtrip_all(void **state)
{
    int count = 0;

    for (size_t i = 0; i < tsr_mech_count(); i++) {
        const tsr_mech *m = tsr_mech_at(i);

        if ((m->kinds & TSR_OP_SIGN) && m->key_types[0] == CKK_RSA) {
            roundtrip(m, &keys[K_RSA]);
            count++;
        }
    }
    assert_int_equal(count, 21);
}

static void test_ec_roundtrip_all(void **state)
{
    int count = 0;

    for (size_t i = 0; i < tsr_mech_count(); i++) {
        const tsr_mech *m = tsr_mech_at(i);

        if (!(m->kinds & TSR_OP_SIGN) || m->key_types[0] != CKK_EC)
            continue;
        for (int k = K_P256; k <= K_K256; k++) {
            roundtrip(m, &keys[k]);
            count++;
        }
    }
    assert_int_equal(count, 40);
}

static void test_eddsa_roundtrip(void **state)
{
    const tsr_mech *m = tsr_mech_lookup(CKM_EDDSA);
    struct {
        CK_BBOOL ph;
        CK_ULONG len;
        CK_BYTE_PTR ctx;
    } prehash = {CK_TRUE, 0, NULL};

    roundtrip(m, &keys[K_ED25519]);
    roundtrip(m, &keys[K_ED448]);
    assert_int_equal(
        start_rv(CKM_EDDSA, TSR_OP_SIGN, &prehash, sizeof(prehash), &keys[K_ED25519].kpriv),
        CKR_MECHANISM_PARAM_INVALID);
    prehash.ph = CK_FALSE;
    assert_int_equal(
        start_rv(CKM_EDDSA, TSR_OP_SIGN, &prehash, sizeof(prehash), &keys[K_ED25519].kpriv),
        CKR_OK);
}

/* --- agreement with OpenSSL --- */

static void test_rsa_pkcs_matches_openssl(void **state)
{
    const tsr_mech *m = tsr_mech_lookup(CKM_RSA_PKCS);
    unsigned char ours[512], theirs[512];
    size_t n_ours, n_theirs = sizeof(theirs);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    sig_case c;

    make_case(m, &c);
    n_ours = sign(m, &c, &keys[K_RSA].kpriv, false, ours, sizeof(ours));
    assert_int_equal(
        EVP_DigestSignInit_ex(ctx, NULL, "SHA256", tsr_ossl_ctx(), NULL, keys[K_RSA].priv, NULL),
        1);
    assert_int_equal(EVP_DigestSign(ctx, theirs, &n_theirs, msg, sizeof(msg)), 1);
    assert_int_equal(n_ours, 256);
    assert_int_equal(n_theirs, n_ours);
    assert_memory_equal(ours, theirs, n_ours);
    /* And the hash-and-sign mechanism gives the same deterministic signature. */
    make_case(tsr_mech_lookup(CKM_SHA256_RSA_PKCS), &c);
    n_ours = sign(tsr_mech_lookup(CKM_SHA256_RSA_PKCS), &c, &keys[K_RSA].kpriv, true, ours,
                  sizeof(ours));
    assert_memory_equal(ours, theirs, n_ours);
    EVP_MD_CTX_free(ctx);
}

/* Raw r||s back to DER, independently of the code under test. */
static int der_of(const unsigned char *rs, size_t half, unsigned char **der)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    int n;

    ECDSA_SIG_set0(s, BN_bin2bn(rs, (int)half, NULL), BN_bin2bn(rs + half, (int)half, NULL));
    *der = NULL;
    n = i2d_ECDSA_SIG(s, der);
    ECDSA_SIG_free(s);
    return n;
}

static void test_ecdsa_raw_matches_openssl(void **state)
{
    unsigned char sig[256], *der = NULL;
    size_t len;
    int der_len;
    sig_case c;
    EVP_PKEY_CTX *pctx;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();

    make_case(tsr_mech_lookup(CKM_ECDSA), &c);
    len = sign(tsr_mech_lookup(CKM_ECDSA), &c, &keys[K_P256].kpriv, false, sig, sizeof(sig));
    assert_int_equal(len, 64);
    der_len = der_of(sig, 32, &der);
    pctx = EVP_PKEY_CTX_new_from_pkey(tsr_ossl_ctx(), keys[K_P256].pub, NULL);
    assert_int_equal(EVP_PKEY_verify_init(pctx), 1);
    assert_int_equal(EVP_PKEY_verify(pctx, der, (size_t)der_len, c.data, c.len), 1);
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(pctx);

    make_case(tsr_mech_lookup(CKM_ECDSA_SHA384), &c);
    len = sign(tsr_mech_lookup(CKM_ECDSA_SHA384), &c, &keys[K_P521].kpriv, true, sig, sizeof(sig));
    assert_int_equal(len, 132);
    der_len = der_of(sig, 66, &der);
    assert_int_equal(
        EVP_DigestVerifyInit_ex(mctx, NULL, "SHA384", tsr_ossl_ctx(), NULL, keys[K_P521].pub, NULL),
        1);
    assert_int_equal(EVP_DigestVerify(mctx, der, (size_t)der_len, msg, sizeof(msg)), 1);
    OPENSSL_free(der);
    EVP_MD_CTX_free(mctx);
}

/* --- the length protocol --- */

static void test_sign_length_query(void **state)
{
    const tsr_mech *m = tsr_mech_lookup(CKM_RSA_PKCS);
    unsigned char want[512], got[512];
    size_t want_len, len = 0;
    sig_case c;
    tsr_op *op;

    make_case(m, &c);
    want_len = sign(m, &c, &keys[K_RSA].kpriv, false, want, sizeof(want));
    op = start(CKM_RSA_PKCS, TSR_OP_SIGN, NULL, 0, &keys[K_RSA].kpriv);
    /* A NULL query consumes nothing: the raw input would be doubled otherwise. */
    assert_int_equal(tsr_op_oneshot(op, c.data, c.len, NULL, &len), CKR_OK);
    assert_int_equal(len, 256);
    len = 100;
    assert_int_equal(tsr_op_oneshot(op, c.data, c.len, got, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 256);
    len = sizeof(got);
    assert_int_equal(tsr_op_oneshot(op, c.data, c.len, got, &len), CKR_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len); /* PKCS#1 v1.5 is deterministic */
    tsr_op_free(op);

    op = start(CKM_ECDSA_SHA256, TSR_OP_SIGN, NULL, 0, &keys[K_P384].kpriv);
    assert_int_equal(tsr_op_update(op, msg, sizeof(msg), NULL, NULL), CKR_OK);
    len = 0;
    assert_int_equal(tsr_op_final(op, NULL, &len), CKR_OK);
    assert_int_equal(len, 96);
    len = 95;
    assert_int_equal(tsr_op_final(op, got, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 96);
    len = 96;
    assert_int_equal(tsr_op_final(op, got, &len), CKR_OK);
    assert_int_equal(len, 96);
    tsr_op_free(op);
    op = start(CKM_ECDSA_SHA256, TSR_OP_VERIFY, NULL, 0, &keys[K_P384].kpub);
    assert_int_equal(tsr_op_verify(op, msg, sizeof(msg), got, 96), CKR_OK);
    tsr_op_free(op);
}

/* --- parameters and keys refused --- */

static void test_pss_params(void **state)
{
    const tsr_key *k = &keys[K_RSA].kpriv;
    CK_RSA_PKCS_PSS_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    unsigned char sig[256], h[48] = {0};
    size_t len = sizeof(sig);
    tsr_op *op;

    assert_int_equal(start_rv(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, NULL, 0, k),
                     CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(start_rv(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p) - 1, k),
                     CKR_MECHANISM_PARAM_INVALID);
    p.hashAlg = CKM_MD5;
    assert_int_equal(start_rv(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k),
                     CKR_MECHANISM_PARAM_INVALID);
    p.hashAlg = CKM_SHA256;
    p.mgf = 0x77;
    assert_int_equal(start_rv(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k),
                     CKR_MECHANISM_PARAM_INVALID);
    p.mgf = CKG_MGF1_SHA1; /* a different MGF hash is allowed */
    assert_int_equal(start_rv(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k), CKR_OK);
    p.sLen = 256 - 32 - 1; /* no room left in a 2048-bit block */
    assert_int_equal(start_rv(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k),
                     CKR_MECHANISM_PARAM_INVALID);
    p.sLen = 32;
    /* Hash-and-sign: the parameter's hash must be the mechanism's. */
    assert_int_equal(start_rv(CKM_SHA384_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k),
                     CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(start_rv(CKM_SHA256_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k), CKR_OK);
    /* Raw PSS: the input is a hash of the parameter's length. */
    op = start(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k);
    assert_int_equal(tsr_op_oneshot(op, h, 20, sig, &len), CKR_DATA_LEN_RANGE);
    tsr_op_free(op);
    op = start(CKM_RSA_PKCS_PSS, TSR_OP_SIGN, &p, sizeof(p), k);
    assert_int_equal(tsr_op_oneshot(op, h, 48, sig, &len), CKR_DATA_LEN_RANGE);
    tsr_op_free(op);
}

static void test_wrong_keys(void **state)
{
    assert_int_equal(start_rv(CKM_SHA256_RSA_PKCS, TSR_OP_SIGN, NULL, 0, &keys[K_P256].kpriv),
                     CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(start_rv(CKM_ECDSA, TSR_OP_SIGN, NULL, 0, &keys[K_RSA].kpriv),
                     CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(start_rv(CKM_EDDSA, TSR_OP_SIGN, NULL, 0, &keys[K_P256].kpriv),
                     CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(start_rv(CKM_ECDSA, TSR_OP_SIGN, NULL, 0, &keys[K_P256].kpub),
                     CKR_KEY_TYPE_INCONSISTENT); /* a public key cannot sign */
    assert_int_equal(start_rv(CKM_ECDSA, TSR_OP_VERIFY, NULL, 0, &keys[K_P256].kpriv), CKR_OK);
    assert_int_equal(start_rv(CKM_SHA256, TSR_OP_SIGN, NULL, 0, &keys[K_RSA].kpriv),
                     CKR_MECHANISM_INVALID);
    assert_int_equal(start_rv(CKM_SHA256_RSA_PKCS, TSR_OP_ENCRYPT, NULL, 0, &keys[K_RSA].kpub),
                     CKR_MECHANISM_INVALID);
    assert_int_equal(start_rv(CKM_RSA_PKCS_KEY_PAIR_GEN, TSR_OP_SIGN, NULL, 0, &keys[K_RSA].kpriv),
                     CKR_MECHANISM_INVALID);
    assert_int_equal(start_rv(CKM_ECDSA, TSR_OP_SIGN, "x", 1, &keys[K_P256].kpriv),
                     CKR_MECHANISM_PARAM_INVALID);
    /* A secret key with no CKA_KEY_TYPE reads as CKK_RSA (0): still refused. */
    tsr_key secret = {
        CKO_SECRET_KEY, CKK_RSA, NULL, (const unsigned char *)"0123456789abcdef", 16, NULL};
    assert_int_equal(start_rv(CKM_RSA_PKCS, TSR_OP_SIGN, NULL, 0, &secret),
                     CKR_KEY_TYPE_INCONSISTENT);
}

static void test_rsa_key_size_range(void **state)
{
    EVP_PKEY *small = EVP_PKEY_Q_keygen(tsr_ossl_ctx(), NULL, "RSA", (size_t)512);
    tsr_key k = {CKO_PRIVATE_KEY, CKK_RSA, small, NULL, 0, NULL};
    CK_ULONG bits = 0;

    assert_non_null(small);
    assert_int_equal(tsr_mech_key_bits(small, &bits), CKR_OK);
    assert_int_equal(bits, 512);
    assert_int_equal(start_rv(CKM_SHA256_RSA_PKCS, TSR_OP_SIGN, NULL, 0, &k), CKR_KEY_SIZE_RANGE);
    EVP_PKEY_free(small);
    assert_int_equal(tsr_mech_key_bits(keys[K_P521].pub, &bits), CKR_OK);
    assert_int_equal(bits, 521);
    assert_int_equal(tsr_mech_key_bits(keys[K_ED25519].pub, &bits), CKR_OK);
    assert_int_equal(bits, 255);
}

static void test_raw_lengths(void **state)
{
    unsigned char big[300] = {0}, sig[512];
    size_t len = sizeof(sig);
    tsr_op *op = start(CKM_RSA_PKCS, TSR_OP_SIGN, NULL, 0, &keys[K_RSA].kpriv);

    assert_int_equal(tsr_op_update(op, big, 200, NULL, NULL), CKR_OK);
    assert_int_equal(tsr_op_update(op, big, 100, NULL, NULL), CKR_DATA_LEN_RANGE);
    tsr_op_free(op);
    op = start(CKM_ECDSA, TSR_OP_SIGN, NULL, 0, &keys[K_P256].kpriv);
    assert_int_equal(tsr_op_oneshot(op, big, 65, sig, &len), CKR_DATA_LEN_RANGE);
    tsr_op_free(op);
    op = start(CKM_RSA_X_509, TSR_OP_SIGN, NULL, 0, &keys[K_RSA].kpriv);
    memset(big, 0xff, 256); /* above the modulus */
    len = sizeof(sig);
    assert_int_equal(tsr_op_oneshot(op, big, 256, sig, &len), CKR_DATA_INVALID);
    tsr_op_free(op);
}

/* --- RSA encryption --- */

static void test_rsa_crypt(void **state)
{
    const unsigned char pt[16] = "sixteen byte key";
    unsigned char ct[256], out[256];
    size_t ct_len = sizeof(ct), len = 0;
    tsr_op *op = start(CKM_RSA_PKCS, TSR_OP_ENCRYPT, NULL, 0, &keys[K_RSA].kpub);

    assert_int_equal(tsr_op_oneshot(op, pt, sizeof(pt), ct, &ct_len), CKR_OK);
    assert_int_equal(ct_len, 256);
    tsr_op_free(op);

    op = start(CKM_RSA_PKCS, TSR_OP_DECRYPT, NULL, 0, &keys[K_RSA].kpriv);
    assert_int_equal(tsr_op_oneshot(op, ct, ct_len, NULL, &len), CKR_OK);
    assert_int_equal(len, 256); /* a bound: the plaintext is not known yet */
    len = 8;
    assert_int_equal(tsr_op_oneshot(op, ct, ct_len, out, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 16); /* now exact: the result is held for the next call */
    assert_int_equal(tsr_op_oneshot(op, ct, ct_len, NULL, &len), CKR_OK);
    assert_int_equal(len, 16);
    assert_int_equal(tsr_op_oneshot(op, ct, ct_len, out, &len), CKR_OK);
    assert_int_equal(len, 16);
    assert_memory_equal(out, pt, 16);
    tsr_op_free(op);

    op = start(CKM_RSA_PKCS, TSR_OP_DECRYPT, NULL, 0, &keys[K_RSA].kpriv);
    len = 16; /* exactly enough, though below the bound */
    assert_int_equal(tsr_op_oneshot(op, ct, ct_len, out, &len), CKR_OK);
    assert_memory_equal(out, pt, 16);
    tsr_op_free(op);

    op = start(CKM_RSA_PKCS, TSR_OP_DECRYPT, NULL, 0, &keys[K_RSA].kpriv);
    len = sizeof(out);
    assert_int_equal(tsr_op_oneshot(op, ct, ct_len - 1, out, &len), CKR_ENCRYPTED_DATA_LEN_RANGE);
    tsr_op_free(op);

    /* Raw RSA both ways gives the (left-padded) input back. */
    op = start(CKM_RSA_X_509, TSR_OP_ENCRYPT, NULL, 0, &keys[K_RSA].kpub);
    ct_len = sizeof(ct);
    assert_int_equal(tsr_op_oneshot(op, pt, sizeof(pt), ct, &ct_len), CKR_OK);
    tsr_op_free(op);
    op = start(CKM_RSA_X_509, TSR_OP_DECRYPT, NULL, 0, &keys[K_RSA].kpriv);
    len = sizeof(out);
    assert_int_equal(tsr_op_oneshot(op, ct, ct_len, out, &len), CKR_OK);
    assert_int_equal(len, 256);
    assert_memory_equal(out + 240, pt, 16);
    for (int i = 0; i < 240; i++)
        assert_int_equal(out[i], 0);
    tsr_op_free(op);
}

/* --- key import and generation --- */

static void test_pkey_from_attrs(void **state)
{
    tsr_attrs a;
    EVP_PKEY *pk = NULL;
    const CK_ATTRIBUTE *pt = tsr_attrs_find(&keys[K_P256].pub_attrs, CKA_EC_POINT);
    unsigned char bad[65];
    static const unsigned char unknown_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x01};
    static const unsigned char by_name[] = {0x13, 0x0a, 'p', 'r', 'i', 'm',
                                            'e',  '2',  '5', '6', 'v', '1'};

    /* Every private key carries its public half. */
    for (int i = 0; i < K_COUNT; i++)
        assert_int_equal(EVP_PKEY_eq(keys[i].pub, keys[i].priv), 1);
    assert_int_equal(pt->ulValueLen, 67); /* 04 41 04 x y */
    assert_int_equal(((unsigned char *)pt->pValue)[0], 0x04);
    assert_int_equal(((unsigned char *)pt->pValue)[1], 65);

    tsr_attrs_init(&a);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &pk),
                     CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_PARAMS, by_name, sizeof(by_name)), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &pk),
                     CKR_TEMPLATE_INCOMPLETE);
    /* A raw point is accepted as well as the DER one. */
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_POINT, (unsigned char *)pt->pValue + 2, 65), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &pk), CKR_OK);
    assert_int_equal(EVP_PKEY_eq(pk, keys[K_P256].pub), 1);
    EVP_PKEY_free(pk);
    memcpy(bad, (unsigned char *)pt->pValue + 2, 65);
    bad[64] ^= 1; /* off the curve */
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_POINT, bad, 65), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &pk),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_PARAMS, unknown_oid, sizeof(unknown_oid)), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &pk),
                     CKR_CURVE_NOT_SUPPORTED);
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_PARAMS, "\x30\x00", 2), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &pk),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_PARAMS, der_ed25519, sizeof(der_ed25519)), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &pk),
                     CKR_CURVE_NOT_SUPPORTED);
    tsr_attrs_clear(&a);

    /* RSA without its CRT parts still signs. */
    assert_int_equal(tsr_attrs_merge(&a, &keys[K_RSA].priv_attrs), CKR_OK);
    tsr_attrs_remove(&a, CKA_PRIME_1);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &pk), CKR_OK);
    assert_int_equal(EVP_PKEY_eq(pk, keys[K_RSA].pub), 1);
    EVP_PKEY_free(pk);
    tsr_attrs_remove(&a, CKA_PRIVATE_EXPONENT);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &pk),
                     CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_AES, &a, &pk),
                     CKR_KEY_TYPE_INCONSISTENT);
    tsr_attrs_clear(&a);
}

static void test_private_import_checks(void **state)
{
    static const unsigned char p256_order[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
                                               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                               0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
                                               0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    tsr_attrs a;
    EVP_PKEY *pk = NULL;
    tsr_op *op;
    unsigned char sig[64];
    size_t len = sizeof(sig);
    sig_case c;

    tsr_attrs_init(&a);
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_PARAMS, der_p256, sizeof(der_p256)), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &pk),
                     CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(tsr_attrs_set(&a, CKA_VALUE, "\0\0", 2), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &pk),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(tsr_attrs_set(&a, CKA_VALUE, p256_order, sizeof(p256_order)), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &pk),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(tsr_attrs_set(&a, CKA_EC_PARAMS, der_ed25519, sizeof(der_ed25519)), CKR_OK);
    assert_int_equal(tsr_attrs_set(&a, CKA_VALUE, p256_order, 31), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_EC_EDWARDS, &a, &pk),
                     CKR_ATTRIBUTE_VALUE_INVALID); /* an Ed25519 key has 32 bytes */
    assert_int_equal(tsr_attrs_set(&a, CKA_VALUE, p256_order, 32), CKR_OK);
    assert_int_equal(tsr_mech_pkey_from_attrs(CKO_PRIVATE_KEY, CKK_EC_EDWARDS, &a, &pk), CKR_OK);
    EVP_PKEY_free(pk);
    tsr_attrs_clear(&a);

    /* A private key object alone verifies what it signed: its point was derived. */
    make_case(tsr_mech_lookup(CKM_ECDSA), &c);
    op = start(CKM_ECDSA, TSR_OP_SIGN, NULL, 0, &keys[K_K256].kpriv);
    assert_int_equal(tsr_op_oneshot(op, c.data, c.len, sig, &len), CKR_OK);
    tsr_op_free(op);
    op = start(CKM_ECDSA, TSR_OP_VERIFY, NULL, 0, &keys[K_K256].kpriv);
    assert_int_equal(tsr_op_verify(op, c.data, c.len, sig, len), CKR_OK);
    tsr_op_free(op);
}

static void test_key_id(void **state)
{
    unsigned char id[20], want[20];
    const CK_ATTRIBUTE *n = tsr_attrs_find(&keys[K_RSA].pub_attrs, CKA_MODULUS);
    const CK_ATTRIBUTE *pt = tsr_attrs_find(&keys[K_P384].pub_attrs, CKA_EC_POINT);

    assert_int_equal(((unsigned char *)n->pValue)[0] & 0x80, 0x80); /* no leading zero */
    assert_int_equal(tsr_mech_key_id(CKK_RSA, &keys[K_RSA].pub_attrs, id), CKR_OK);
    assert_int_equal(EVP_Q_digest(NULL, "SHA1", NULL, n->pValue, n->ulValueLen, want, NULL), 1);
    assert_memory_equal(id, want, 20);
    assert_int_equal(tsr_mech_key_id(CKK_EC, &keys[K_P384].pub_attrs, id), CKR_OK);
    assert_int_equal(pt->ulValueLen, 99);
    assert_int_equal(
        EVP_Q_digest(NULL, "SHA1", NULL, (unsigned char *)pt->pValue + 2, 97, want, NULL), 1);
    assert_memory_equal(id, want, 20);
    assert_int_equal(tsr_mech_key_id(CKK_EC_EDWARDS, &keys[K_ED448].pub_attrs, id), CKR_OK);
    assert_int_equal(tsr_mech_key_id(CKK_RSA, &keys[K_P256].pub_attrs, id),
                     CKR_TEMPLATE_INCOMPLETE);
}

static CK_RV gen_rsa(CK_ULONG bits, const void *e, size_t e_len, tsr_attrs *pub)
{
    CK_MECHANISM m = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    tsr_attrs tmpl, priv;
    CK_KEY_TYPE type;
    CK_RV rv;

    tsr_attrs_init(&tmpl);
    tsr_attrs_init(&priv);
    if (bits != 0)
        assert_int_equal(tsr_attrs_set_ulong(&tmpl, CKA_MODULUS_BITS, bits), CKR_OK);
    if (e != NULL)
        assert_int_equal(tsr_attrs_set(&tmpl, CKA_PUBLIC_EXPONENT, e, e_len), CKR_OK);
    rv = tsr_mech_generate_pair(&m, &tmpl, &type, pub, &priv);
    tsr_attrs_clear(&tmpl);
    tsr_attrs_clear(&priv);
    return rv;
}

static void test_keygen_rsa(void **state)
{
    tsr_attrs pub;
    const CK_ATTRIBUTE *e;
    CK_ULONG v = 0;

    tsr_attrs_init(&pub);
    assert_int_equal(gen_rsa(0, NULL, 0, &pub), CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(gen_rsa(512, NULL, 0, &pub), CKR_KEY_SIZE_RANGE);
    assert_int_equal(gen_rsa(16384, NULL, 0, &pub), CKR_KEY_SIZE_RANGE);
    assert_int_equal(gen_rsa(1024, "\x01\x00\x00", 3, &pub), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(gen_rsa(1024, "\x03", 1, &pub), CKR_OK);
    e = tsr_attrs_find(&pub, CKA_PUBLIC_EXPONENT);
    assert_int_equal(e->ulValueLen, 1);
    assert_int_equal(((unsigned char *)e->pValue)[0], 3);
    assert_true(tsr_attrs_get_ulong(&pub, CKA_MODULUS_BITS, &v));
    assert_int_equal(v, 1024);
    assert_true(tsr_attrs_get_ulong(&pub, CKA_KEY_TYPE, &v));
    assert_int_equal(v, CKK_RSA);
    e = tsr_attrs_find(&keys[K_RSA].pub_attrs, CKA_PUBLIC_EXPONENT);
    assert_int_equal(e->ulValueLen, 3);
    assert_memory_equal(e->pValue, "\x01\x00\x01", 3);
    for (CK_ATTRIBUTE_TYPE t = CKA_PUBLIC_EXPONENT; t <= CKA_COEFFICIENT; t++)
        assert_true(tsr_attrs_has(&keys[K_RSA].priv_attrs, t));
    assert_true(tsr_attrs_has(&keys[K_RSA].priv_attrs, CKA_MODULUS));
    tsr_attrs_clear(&pub);
}

static void test_keygen_ec_errors(void **state)
{
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    static const unsigned char p192[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x01};
    tsr_attrs tmpl, pub, priv;
    CK_KEY_TYPE type;

    tsr_attrs_init(&tmpl);
    tsr_attrs_init(&pub);
    tsr_attrs_init(&priv);
    assert_int_equal(tsr_mech_generate_pair(&m, &tmpl, &type, &pub, &priv),
                     CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(tsr_attrs_set(&tmpl, CKA_EC_PARAMS, p192, sizeof(p192)), CKR_OK);
    assert_int_equal(tsr_mech_generate_pair(&m, &tmpl, &type, &pub, &priv),
                     CKR_CURVE_NOT_SUPPORTED);
    assert_int_equal(tsr_attrs_set(&tmpl, CKA_EC_PARAMS, der_ed25519, sizeof(der_ed25519)), CKR_OK);
    assert_int_equal(tsr_mech_generate_pair(&m, &tmpl, &type, &pub, &priv),
                     CKR_CURVE_NOT_SUPPORTED);
    assert_int_equal(tsr_attrs_set_ulong(&tmpl, CKA_KEY_TYPE, CKK_RSA), CKR_OK);
    assert_int_equal(tsr_mech_generate_pair(&m, &tmpl, &type, &pub, &priv),
                     CKR_TEMPLATE_INCONSISTENT);
    m.mechanism = CKM_SHA256;
    assert_int_equal(tsr_mech_generate_pair(&m, &tmpl, &type, &pub, &priv), CKR_MECHANISM_INVALID);
    assert_int_equal(keys[K_P256].type, CKK_EC);
    assert_int_equal(keys[K_ED448].type, CKK_EC_EDWARDS);
    assert_int_equal(tsr_attrs_find(&keys[K_ED25519].pub_attrs, CKA_EC_POINT)->ulValueLen, 34);
    assert_int_equal(tsr_attrs_find(&keys[K_ED25519].priv_attrs, CKA_VALUE)->ulValueLen, 32);
    tsr_attrs_clear(&tmpl);
    tsr_attrs_clear(&pub);
    tsr_attrs_clear(&priv);
}

static CK_RV gen_secret(CK_MECHANISM_TYPE mt, CK_ULONG len, size_t *got)
{
    CK_MECHANISM m = {mt, NULL, 0};
    tsr_attrs tmpl, out;
    CK_KEY_TYPE type;
    CK_RV rv;

    tsr_attrs_init(&tmpl);
    tsr_attrs_init(&out);
    if (len != 0)
        assert_int_equal(tsr_attrs_set_ulong(&tmpl, CKA_VALUE_LEN, len), CKR_OK);
    rv = tsr_mech_generate_secret(&m, &tmpl, &type, &out);
    if (rv == CKR_OK) {
        *got = tsr_attrs_find(&out, CKA_VALUE)->ulValueLen;
        assert_int_equal(type, mt == CKM_AES_KEY_GEN ? CKK_AES : CKK_GENERIC_SECRET);
    }
    tsr_attrs_clear(&tmpl);
    tsr_attrs_clear(&out);
    return rv;
}

static void test_keygen_secret(void **state)
{
    size_t got = 0;

    assert_int_equal(gen_secret(CKM_AES_KEY_GEN, 0, &got), CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(gen_secret(CKM_AES_KEY_GEN, 20, &got), CKR_ATTRIBUTE_VALUE_INVALID);
    for (CK_ULONG n = 16; n <= 32; n += 8) {
        assert_int_equal(gen_secret(CKM_AES_KEY_GEN, n, &got), CKR_OK);
        assert_int_equal(got, n);
    }
    assert_int_equal(gen_secret(CKM_GENERIC_SECRET_KEY_GEN, 64, &got), CKR_OK);
    assert_int_equal(got, 64);
    assert_int_equal(gen_secret(CKM_GENERIC_SECRET_KEY_GEN, 4096, &got), CKR_KEY_SIZE_RANGE);
    assert_int_equal(gen_secret(CKM_SHA256, 16, &got), CKR_MECHANISM_INVALID);
}

static void test_helpers(void **state)
{
    unsigned char a[32] = {0}, b[32] = {0}, h[32], want[32];
    size_t n;

    assert_int_equal(tsr_mech_random(a, sizeof(a)), CKR_OK);
    assert_int_equal(tsr_mech_random(b, sizeof(b)), CKR_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(tsr_mech_sha256("abc", 3, h), CKR_OK);
    hex(digest_kats[2].abc, want, &n);
    assert_memory_equal(h, want, 32);
    assert_int_equal(tsr_mech_sha1("abc", 3, h), CKR_OK);
    hex(digest_kats[0].abc, want, &n);
    assert_memory_equal(h, want, 20);
}

/* --- no global lock: ops on one shared EVP_PKEY from several threads --- */

static void *sign_loop(void *arg)
{
    const pair *p = arg;
    const tsr_mech *m =
        tsr_mech_lookup(p->type == CKK_RSA ? CKM_SHA256_RSA_PKCS_PSS : CKM_ECDSA_SHA256);
    unsigned char sig[512];
    sig_case c;

    make_case(m, &c);
    for (int i = 0; i < 20; i++) {
        size_t n = sign(m, &c, &p->kpriv, i & 1, sig, sizeof(sig));

        if (verify(m, &c, &p->kpub, !(i & 1), sig, n) != CKR_OK)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t t[6];
    void *ret;

    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&t[i], NULL, sign_loop, &keys[i % 2 ? K_P256 : K_RSA]), 0);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_null(ret);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_sorted),
        cmocka_unit_test(test_digest_kat),
        cmocka_unit_test(test_digest_length_protocol),
        cmocka_unit_test(test_rsa_roundtrip_all),
        cmocka_unit_test(test_ec_roundtrip_all),
        cmocka_unit_test(test_eddsa_roundtrip),
        cmocka_unit_test(test_rsa_pkcs_matches_openssl),
        cmocka_unit_test(test_ecdsa_raw_matches_openssl),
        cmocka_unit_test(test_sign_length_query),
        cmocka_unit_test(test_pss_params),
        cmocka_unit_test(test_wrong_keys),
        cmocka_unit_test(test_rsa_key_size_range),
        cmocka_unit_test(test_raw_lengths),
        cmocka_unit_test(test_rsa_crypt),
        cmocka_unit_test(test_pkey_from_attrs),
        cmocka_unit_test(test_private_import_checks),
        cmocka_unit_test(test_key_id),
        cmocka_unit_test(test_keygen_rsa),
        cmocka_unit_test(test_keygen_ec_errors),
        cmocka_unit_test(test_keygen_secret),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
