/* Key pair generation and signatures.  Every signature the token makes is
 * checked twice: by C_Verify, and by OpenSSL with the public key read from the
 * token.  One token and one pair of each kind serve all the tests. */
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "api.h"

static const CK_BYTE p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const char message[] = "The quick brown fox jumps over the lazy dog";
#define MSG     (CK_BYTE_PTR) message
#define MSG_LEN (CK_ULONG)(sizeof(message) - 1)

static CK_SESSION_HANDLE s;
static CK_OBJECT_HANDLE rsa_pub, rsa_priv, ec_pub, ec_priv;
static EVP_PKEY *rsa_ossl, *ec_ossl;

/* --- host-side helpers --- */

static void host_digest(const char *md, const void *in, size_t len, unsigned char *out,
                        unsigned int *out_len)
{
    assert_int_equal(EVP_Digest(in, len, out, out_len, EVP_get_digestbyname(md), NULL), 1);
}

static EVP_PKEY *pkey_from(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    assert_non_null(params);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* The token's RSA public key as OpenSSL sees it. */
static EVP_PKEY *rsa_from_token(CK_OBJECT_HANDLE pub)
{
    unsigned char *n, *e;
    CK_ULONG nl, el;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn, *be;
    EVP_PKEY *pkey;

    assert_rv(api_get_attr(s, pub, CKA_MODULUS, &n, &nl), CKR_OK);
    assert_rv(api_get_attr(s, pub, CKA_PUBLIC_EXPONENT, &e, &el), CKR_OK);
    bn = BN_bin2bn(n, (int)nl, NULL);
    be = BN_bin2bn(e, (int)el, NULL);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be), 1);
    pkey = pkey_from("RSA", bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return pkey;
}

/* CKA_EC_POINT is a DER OCTET STRING around the uncompressed P-256 point. */
static void ec_point(CK_OBJECT_HANDLE pub, unsigned char raw[65])
{
    unsigned char *der;
    CK_ULONG len;

    assert_rv(api_get_attr(s, pub, CKA_EC_POINT, &der, &len), CKR_OK);
    assert_int_equal(len, 67);
    assert_int_equal(der[0], 0x04);
    assert_int_equal(der[1], 65);
    assert_int_equal(der[2], 0x04);
    memcpy(raw, der + 2, 65);
    free(der);
}

static EVP_PKEY *ec_from_token(CK_OBJECT_HANDLE pub)
{
    unsigned char raw[65];
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();

    ec_point(pub, raw);
    assert_int_equal(
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, raw, 65), 1);
    return pkey_from("EC", bld);
}

/* How OpenSSL should check a signature. */
struct host_verify {
    const char *md;
    bool prehashed; /* data is the hash (or DigestInfo with pad PKCS1 and md NULL) */
    int pad;        /* RSA padding, 0 for ECDSA */
};

static void pss_params(EVP_PKEY_CTX *ctx)
{
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()), 1);
}

/* Raw r||s (PKCS#11) to DER (OpenSSL). */
static int ecdsa_der(const unsigned char *sig, size_t len, unsigned char **der)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    int n;

    assert_int_equal(len, 64);
    assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)),
                     1);
    *der = NULL;
    n = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);
    assert_true(n > 0);
    return n;
}

static void host_check(EVP_PKEY *key, const struct host_verify *hv, const unsigned char *data,
                       size_t len, const unsigned char *sig, size_t sig_len)
{
    unsigned char *der = NULL;
    int ok;

    if (hv->pad == 0) {
        sig_len = (size_t)ecdsa_der(sig, sig_len, &der);
        sig = der;
    }
    if (hv->prehashed) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        if (hv->pad == RSA_PKCS1_PSS_PADDING)
            pss_params(ctx);
        else if (hv->pad != 0)
            assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, hv->pad), 1);
        if (hv->md != NULL)
            assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_get_digestbyname(hv->md)), 1);
        ok = EVP_PKEY_verify(ctx, sig, sig_len, data, len);
        EVP_PKEY_CTX_free(ctx);
    } else {
        EVP_MD_CTX *mctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;

        assert_int_equal(EVP_DigestVerifyInit(mctx, &pctx, EVP_get_digestbyname(hv->md), NULL, key),
                         1);
        if (hv->pad == RSA_PKCS1_PSS_PADDING)
            pss_params(pctx);
        ok = EVP_DigestVerify(mctx, sig, sig_len, data, len);
        EVP_MD_CTX_free(mctx);
    }
    OPENSSL_free(der);
    if (ok != 1)
        fail_msg("OpenSSL does not accept the token's signature");
}

/* --- token-side helpers --- */

/* C_Sign with the length query first; returns the signature length. */
static CK_ULONG token_sign(CK_MECHANISM *m, CK_OBJECT_HANDLE key, const void *data, CK_ULONG len,
                           CK_BYTE *sig, CK_ULONG expect_len)
{
    CK_ULONG sig_len = 0;

    assert_rv(p11->C_SignInit(s, m, key), CKR_OK);
    assert_rv(p11->C_Sign(s, (CK_BYTE_PTR)data, len, NULL, &sig_len), CKR_OK);
    assert_int_equal(sig_len, expect_len);
    assert_rv(p11->C_Sign(s, (CK_BYTE_PTR)data, len, sig, &sig_len), CKR_OK);
    assert_int_equal(sig_len, expect_len);
    return sig_len;
}

/* C_Verify must accept the signature and refuse it with one bit flipped. */
static void token_verify(CK_MECHANISM *m, CK_OBJECT_HANDLE key, const void *data, CK_ULONG len,
                         CK_BYTE *sig, CK_ULONG sig_len)
{
    assert_rv(p11->C_VerifyInit(s, m, key), CKR_OK);
    assert_rv(p11->C_Verify(s, (CK_BYTE_PTR)data, len, sig, sig_len), CKR_OK);
    sig[sig_len / 2] ^= 0x01;
    assert_rv(p11->C_VerifyInit(s, m, key), CKR_OK);
    assert_rv(p11->C_Verify(s, (CK_BYTE_PTR)data, len, sig, sig_len), CKR_SIGNATURE_INVALID);
    sig[sig_len / 2] ^= 0x01;
}

static void generate_keys(void)
{
    CK_MECHANISM rsa_gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_MECHANISM ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG bits = 2048;
    CK_BYTE e[] = {1, 0, 1};
    CK_ATTRIBUTE rsa_pt[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_VERIFY, api_true),
                             ATTR_VAR(CKA_MODULUS_BITS, bits), ATTR_VAR(CKA_PUBLIC_EXPONENT, e),
                             ATTR_STR(CKA_LABEL, "rsa")};
    CK_ATTRIBUTE ec_pt[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_VERIFY, api_true),
                            ATTR_VAR(CKA_EC_PARAMS, p256_oid), ATTR_STR(CKA_LABEL, "ec")};
    CK_ATTRIBUTE rsa_kt[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_PRIVATE, api_true),
                             ATTR_VAR(CKA_SENSITIVE, api_true), ATTR_VAR(CKA_SIGN, api_true),
                             ATTR_STR(CKA_LABEL, "rsa")};
    CK_ATTRIBUTE ec_kt[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_PRIVATE, api_true),
                            ATTR_VAR(CKA_SENSITIVE, api_true), ATTR_VAR(CKA_SIGN, api_true),
                            ATTR_STR(CKA_LABEL, "ec")};

    assert_rv(p11->C_GenerateKeyPair(s, &rsa_gen, rsa_pt, COUNT(rsa_pt), rsa_kt, COUNT(rsa_kt),
                                     &rsa_pub, &rsa_priv),
              CKR_OK);
    assert_rv(p11->C_GenerateKeyPair(s, &ec_gen, ec_pt, COUNT(ec_pt), ec_kt, COUNT(ec_kt), &ec_pub,
                                     &ec_priv),
              CKR_OK);
    rsa_ossl = rsa_from_token(rsa_pub);
    ec_ossl = ec_from_token(ec_pub);
}

static int group_setup(void **state)
{
    api_setup(state);
    s = api_user_session(api_new_token(TOKEN_LABEL, true));
    generate_keys();
    return 0;
}

static int group_teardown(void **state)
{
    EVP_PKEY_free(rsa_ossl);
    EVP_PKEY_free(ec_ossl);
    return api_teardown(state);
}

/* --- the tests --- */

static void assert_id_is_sha1_of(CK_OBJECT_HANDLE o, const unsigned char *v, size_t len)
{
    unsigned char want[20], *id;
    unsigned int wl = 0;
    CK_ULONG il;

    host_digest("SHA1", v, len, want, &wl);
    assert_rv(api_get_attr(s, o, CKA_ID, &id, &il), CKR_OK);
    assert_int_equal(il, 20);
    assert_memory_equal(id, want, 20);
    free(id);
}

static void test_rsa_key_attributes(void **state)
{
    unsigned char *n, *n2, *e, buf[512];
    CK_ULONG nl, nl2, el;
    CK_ATTRIBUTE secret[] = {{CKA_PRIVATE_EXPONENT, buf, sizeof(buf)}};

    assert_int_equal(api_get_ulong(s, rsa_pub, CKA_CLASS), CKO_PUBLIC_KEY);
    assert_int_equal(api_get_ulong(s, rsa_priv, CKA_CLASS), CKO_PRIVATE_KEY);
    assert_int_equal(api_get_ulong(s, rsa_pub, CKA_KEY_TYPE), CKK_RSA);
    assert_int_equal(api_get_ulong(s, rsa_priv, CKA_KEY_TYPE), CKK_RSA);
    assert_int_equal(api_get_ulong(s, rsa_pub, CKA_MODULUS_BITS), 2048);
    assert_int_equal(api_get_ulong(s, rsa_priv, CKA_KEY_GEN_MECHANISM), CKM_RSA_PKCS_KEY_PAIR_GEN);
    assert_true(api_get_bool(s, rsa_pub, CKA_LOCAL));
    assert_true(api_get_bool(s, rsa_priv, CKA_LOCAL));
    assert_true(api_get_bool(s, rsa_priv, CKA_ALWAYS_SENSITIVE));
    assert_true(api_get_bool(s, rsa_priv, CKA_SIGN));
    assert_true(api_get_bool(s, rsa_priv, CKA_PRIVATE));

    assert_rv(api_get_attr(s, rsa_pub, CKA_MODULUS, &n, &nl), CKR_OK);
    assert_int_equal(nl, 256);
    assert_true(n[0] & 0x80);
    assert_rv(api_get_attr(s, rsa_pub, CKA_PUBLIC_EXPONENT, &e, &el), CKR_OK);
    assert_int_equal(el, 3);
    assert_memory_equal(e, "\x01\x00\x01", 3);
    assert_rv(api_get_attr(s, rsa_priv, CKA_MODULUS, &n2, &nl2), CKR_OK);
    assert_int_equal(nl2, nl);
    assert_memory_equal(n2, n, nl);

    /* No CKA_ID given: SHA-1 of the modulus on both halves, as NSS does. */
    assert_id_is_sha1_of(rsa_pub, n, nl);
    assert_id_is_sha1_of(rsa_priv, n, nl);

    assert_rv(p11->C_GetAttributeValue(s, rsa_priv, secret, 1), CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(secret[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    free(n);
    free(n2);
    free(e);
}

static void test_ec_key_attributes(void **state)
{
    unsigned char raw[65], *params, buf[64];
    CK_ULONG pl;
    CK_ATTRIBUTE secret[] = {{CKA_VALUE, buf, sizeof(buf)}};

    assert_int_equal(api_get_ulong(s, ec_pub, CKA_KEY_TYPE), CKK_EC);
    assert_int_equal(api_get_ulong(s, ec_priv, CKA_KEY_TYPE), CKK_EC);
    assert_int_equal(api_get_ulong(s, ec_priv, CKA_KEY_GEN_MECHANISM), CKM_EC_KEY_PAIR_GEN);
    assert_rv(api_get_attr(s, ec_priv, CKA_EC_PARAMS, &params, &pl), CKR_OK);
    assert_int_equal(pl, sizeof(p256_oid));
    assert_memory_equal(params, p256_oid, pl);
    free(params);

    /* CKA_ID: SHA-1 of the raw point (without the OCTET STRING), as NSS does. */
    ec_point(ec_pub, raw);
    assert_id_is_sha1_of(ec_pub, raw, sizeof(raw));
    assert_id_is_sha1_of(ec_priv, raw, sizeof(raw));

    assert_rv(p11->C_GetAttributeValue(s, ec_priv, secret, 1), CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(secret[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

static void test_given_id_kept(void **state)
{
    CK_MECHANISM ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BYTE id[] = {0xee, 0x01};
    CK_ATTRIBUTE pt[] = {ATTR_VAR(CKA_EC_PARAMS, p256_oid), ATTR_VAR(CKA_ID, id)};
    CK_ATTRIBUTE kt[] = {ATTR_VAR(CKA_SIGN, api_true), ATTR_VAR(CKA_ID, id)};
    CK_OBJECT_HANDLE pub, priv;
    unsigned char *v;
    CK_ULONG len;

    assert_rv(p11->C_GenerateKeyPair(s, &ec_gen, pt, COUNT(pt), kt, COUNT(kt), &pub, &priv),
              CKR_OK);
    assert_rv(api_get_attr(s, priv, CKA_ID, &v, &len), CKR_OK);
    assert_int_equal(len, sizeof(id));
    assert_memory_equal(v, id, sizeof(id));
    free(v);
    assert_false(api_get_bool(s, priv, CKA_TOKEN));
}

static void test_sha256_rsa_pkcs(void **state)
{
    CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
    const struct host_verify hv = {"SHA256", false, RSA_PKCS1_PADDING};
    CK_BYTE sig[256];
    CK_ULONG len = 10;

    /* The two-call protocol: a NULL buffer and a short one keep the operation. */
    assert_rv(p11->C_SignInit(s, &m, rsa_priv), CKR_OK);
    assert_rv(p11->C_SignInit(s, &m, rsa_priv), CKR_OPERATION_ACTIVE);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, NULL, &len), CKR_OK);
    assert_int_equal(len, 256);
    len = 10;
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 256);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, &len), CKR_OK);
    assert_int_equal(len, 256);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, &len), CKR_OPERATION_NOT_INITIALIZED);

    token_verify(&m, rsa_pub, MSG, MSG_LEN, sig, len);
    host_check(rsa_ossl, &hv, (const unsigned char *)message, MSG_LEN, sig, len);

    assert_rv(p11->C_VerifyInit(s, &m, rsa_pub), CKR_OK);
    assert_rv(p11->C_Verify(s, MSG, MSG_LEN, sig, 255), CKR_SIGNATURE_LEN_RANGE);
}

static void test_rsa_pkcs_digest_info(void **state)
{
    CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
    const struct host_verify hv = {"SHA256", false, RSA_PKCS1_PADDING};
    unsigned char info[sizeof(sha256_prefix) + 32];
    unsigned int hl = 0;
    CK_BYTE sig[256];
    CK_ULONG len;

    /* NSS sends CKM_RSA_PKCS a DigestInfo it built itself. */
    memcpy(info, sha256_prefix, sizeof(sha256_prefix));
    host_digest("SHA256", message, MSG_LEN, info + sizeof(sha256_prefix), &hl);
    len = token_sign(&m, rsa_priv, info, sizeof(info), sig, 256);
    token_verify(&m, rsa_pub, info, sizeof(info), sig, len);
    host_check(rsa_ossl, &hv, (const unsigned char *)message, MSG_LEN, sig, len);
}

static void test_rsa_pss(void **state)
{
    CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_MECHANISM m = {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
    const struct host_verify hv = {"SHA256", true, RSA_PKCS1_PSS_PADDING};
    unsigned char hash[32];
    unsigned int hl = 0;
    CK_BYTE sig[256], sig2[256];
    CK_ULONG len;

    host_digest("SHA256", message, MSG_LEN, hash, &hl);
    len = token_sign(&m, rsa_priv, hash, sizeof(hash), sig, 256);
    token_verify(&m, rsa_pub, hash, sizeof(hash), sig, len);
    host_check(rsa_ossl, &hv, hash, sizeof(hash), sig, len);
    /* A random salt: two signatures differ. */
    token_sign(&m, rsa_priv, hash, sizeof(hash), sig2, 256);
    assert_memory_not_equal(sig, sig2, sizeof(sig));

    /* The hash must be as long as the parameters say. */
    assert_rv(p11->C_SignInit(s, &m, rsa_priv), CKR_OK);
    len = sizeof(sig);
    assert_rv(p11->C_Sign(s, hash, 20, sig, &len), CKR_DATA_LEN_RANGE);
}

static void test_sha256_rsa_pss_multipart(void **state)
{
    CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_MECHANISM m = {CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss)};
    const struct host_verify hv = {"SHA256", false, RSA_PKCS1_PSS_PADDING};
    CK_BYTE sig[256];
    CK_ULONG len = 0, half = MSG_LEN / 2;

    assert_rv(p11->C_SignInit(s, &m, rsa_priv), CKR_OK);
    assert_rv(p11->C_SignUpdate(s, MSG, half), CKR_OK);
    assert_rv(p11->C_SignUpdate(s, MSG + half, MSG_LEN - half), CKR_OK);
    assert_rv(p11->C_SignFinal(s, NULL, &len), CKR_OK);
    assert_int_equal(len, 256);
    assert_rv(p11->C_SignFinal(s, sig, &len), CKR_OK);
    assert_int_equal(len, 256);
    assert_rv(p11->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);

    assert_rv(p11->C_VerifyInit(s, &m, rsa_pub), CKR_OK);
    assert_rv(p11->C_VerifyUpdate(s, MSG, half), CKR_OK);
    assert_rv(p11->C_VerifyUpdate(s, MSG + half, MSG_LEN - half), CKR_OK);
    assert_rv(p11->C_VerifyFinal(s, sig, len), CKR_OK);
    token_verify(&m, rsa_pub, MSG, MSG_LEN, sig, len);
    host_check(rsa_ossl, &hv, (const unsigned char *)message, MSG_LEN, sig, len);
}

static void test_ecdsa(void **state)
{
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    const struct host_verify hv = {NULL, true, 0};
    unsigned char hash[32];
    unsigned int hl = 0;
    CK_BYTE sig[64];
    CK_ULONG len;

    host_digest("SHA256", message, MSG_LEN, hash, &hl);
    len = token_sign(&m, ec_priv, hash, sizeof(hash), sig, 64);
    token_verify(&m, ec_pub, hash, sizeof(hash), sig, len);
    host_check(ec_ossl, &hv, hash, sizeof(hash), sig, len);
}

static void test_ecdsa_sha256(void **state)
{
    CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
    const struct host_verify hv = {"SHA256", false, 0};
    CK_BYTE sig[64];
    CK_ULONG len = sizeof(sig);

    len = token_sign(&m, ec_priv, MSG, MSG_LEN, sig, 64);
    token_verify(&m, ec_pub, MSG, MSG_LEN, sig, len);
    host_check(ec_ossl, &hv, (const unsigned char *)message, MSG_LEN, sig, len);

    assert_rv(p11->C_SignInit(s, &m, ec_priv), CKR_OK);
    assert_rv(p11->C_SignUpdate(s, MSG, 10), CKR_OK);
    assert_rv(p11->C_SignUpdate(s, MSG + 10, MSG_LEN - 10), CKR_OK);
    assert_rv(p11->C_SignFinal(s, sig, &len), CKR_OK);
    assert_int_equal(len, 64);
    host_check(ec_ossl, &hv, (const unsigned char *)message, MSG_LEN, sig, len);
}

static void test_sign_errors(void **state)
{
    CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0}, rsa = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_MECHANISM bogus = {0x7ffffff0UL, NULL, 0};
    CK_MECHANISM null_param = {CKM_RSA_PKCS_PSS, NULL, sizeof(CK_RSA_PKCS_PSS_PARAMS)};
    CK_ULONG short_param = 1;
    CK_MECHANISM bad_param = {CKM_RSA_PKCS_PSS, &short_param, 1};
    CK_BYTE sig[256];
    CK_ULONG len = sizeof(sig);

    assert_rv(p11->C_SignInit(s, &ecdsa, rsa_priv), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(p11->C_SignInit(s, &bogus, rsa_priv), CKR_MECHANISM_INVALID);
    assert_rv(p11->C_SignInit(s, &null_param, rsa_priv), CKR_MECHANISM_PARAM_INVALID);
    assert_rv(p11->C_SignInit(s, &bad_param, rsa_priv), CKR_MECHANISM_PARAM_INVALID);
    assert_rv(p11->C_SignInit(s, &rsa, 0x7fff0001UL), CKR_KEY_HANDLE_INVALID);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, &len), CKR_OPERATION_NOT_INITIALIZED);

    /* A NULL mechanism cancels. */
    assert_rv(p11->C_SignInit(s, &rsa, rsa_priv), CKR_OK);
    assert_rv(p11->C_SignInit(s, NULL, 0), CKR_OK);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, &len), CKR_OPERATION_NOT_INITIALIZED);

    /* A call refused for its arguments still ends the operation. */
    assert_rv(p11->C_SignInit(s, &rsa, rsa_priv), CKR_OK);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_SignInit(s, &rsa, rsa_priv), CKR_OK);
    assert_rv(p11->C_SignUpdate(s, NULL, 5), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);

    /* Signing and verifying are different operations. */
    assert_rv(p11->C_VerifyInit(s, &rsa, rsa_pub), CKR_OK);
    assert_rv(p11->C_Sign(s, MSG, MSG_LEN, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_VerifyInit(s, NULL, 0), CKR_OK);
}

static void test_digest(void **state)
{
    static const unsigned char abc_sha256[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                                 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                                 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                                 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    CK_MECHANISM m = {CKM_SHA256, NULL, 0};
    CK_BYTE out[32];
    CK_ULONG len = 0;

    assert_rv(p11->C_DigestInit(s, &m), CKR_OK);
    assert_rv(p11->C_Digest(s, (CK_BYTE_PTR) "abc", 3, NULL, &len), CKR_OK);
    assert_int_equal(len, 32);
    assert_rv(p11->C_Digest(s, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_OK);
    assert_memory_equal(out, abc_sha256, 32);

    assert_rv(p11->C_DigestInit(s, &m), CKR_OK);
    assert_rv(p11->C_DigestUpdate(s, (CK_BYTE_PTR) "a", 1), CKR_OK);
    assert_rv(p11->C_DigestUpdate(s, (CK_BYTE_PTR) "bc", 2), CKR_OK);
    len = 16;
    assert_rv(p11->C_DigestFinal(s, out, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 32);
    assert_rv(p11->C_DigestFinal(s, out, &len), CKR_OK);
    assert_memory_equal(out, abc_sha256, 32);
}

static void test_random(void **state)
{
    CK_BYTE a[32], b[32], zero[32] = {0};

    assert_rv(p11->C_GenerateRandom(s, a, sizeof(a)), CKR_OK);
    assert_rv(p11->C_GenerateRandom(s, b, sizeof(b)), CKR_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_rv(p11->C_GenerateRandom(s, NULL, 8), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SeedRandom(s, a, sizeof(a)), CKR_RANDOM_SEED_NOT_SUPPORTED);
}

/* Last: the token keys survive the module, and still sign. */
static void test_keys_persist(void **state)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    unsigned char *id;
    CK_ULONG idl, len;
    CK_OBJECT_HANDLE found[2];
    CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
    const struct host_verify hv = {"SHA256", false, RSA_PKCS1_PADDING};
    CK_BYTE sig[256];

    assert_rv(api_get_attr(s, rsa_priv, CKA_ID, &id, &idl), CKR_OK);
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    s = api_open(api_token_slot(TOKEN_LABEL), true);
    {
        CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, cls), {CKA_ID, id, idl}};

        /* Private: invisible until the user logs in. */
        assert_int_equal(api_find(s, t, COUNT(t), found, 2), 0);
        assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_OK);
        assert_int_equal(api_find(s, t, COUNT(t), found, 2), 1);
    }
    len = token_sign(&m, found[0], MSG, MSG_LEN, sig, 256);
    host_check(rsa_ossl, &hv, (const unsigned char *)message, MSG_LEN, sig, len);
    free(id);
}

/* One session alternates keys, hashes and directions, abandons a signature
 * halfway and logs out and in: every signature still verifies with OpenSSL,
 * and RSA's deterministic ones repeat exactly, so a hash-and-sign context
 * kept from an earlier operation (warm.h) never carries a key, a hash or
 * fed data into the next. */
static void test_kept_contexts(void **state)
{
    CK_MECHANISM ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pt[] = {ATTR_VAR(CKA_VERIFY, api_true), ATTR_VAR(CKA_EC_PARAMS, p256_oid)};
    CK_ATTRIBUTE kt[] = {ATTR_VAR(CKA_SIGN, api_true), ATTR_VAR(CKA_SENSITIVE, api_true)};
    CK_MECHANISM ec256 = {CKM_ECDSA_SHA256, NULL, 0}, ec384 = {CKM_ECDSA_SHA384, NULL, 0};
    CK_MECHANISM rsa256 = {CKM_SHA256_RSA_PKCS, NULL, 0}, rsa384 = {CKM_SHA384_RSA_PKCS, NULL, 0};
    const struct host_verify hv256 = {"SHA256", false, 0}, hv384 = {"SHA384", false, 0};
    const struct host_verify rv256 = {"SHA256", false, RSA_PKCS1_PADDING};
    const struct host_verify rv384 = {"SHA384", false, RSA_PKCS1_PADDING};
    CK_RSA_PKCS_PSS_PARAMS p32 = {CKM_SHA256, CKG_MGF1_SHA256, 32},
                           p0 = {CKM_SHA256, CKG_MGF1_SHA256, 0};
    CK_MECHANISM pss32 = {CKM_SHA256_RSA_PKCS_PSS, &p32, sizeof(p32)};
    CK_MECHANISM pss0 = {CKM_SHA256_RSA_PKCS_PSS, &p0, sizeof(p0)};
    const struct host_verify pv = {"SHA256", false, RSA_PKCS1_PSS_PADDING};
    CK_OBJECT_HANDLE pub2, priv2;
    CK_BYTE sig[256], first[256], first0[256];
    CK_ULONG len;
    EVP_PKEY *ossl2;

    assert_rv(p11->C_GenerateKeyPair(s, &ec_gen, pt, COUNT(pt), kt, COUNT(kt), &pub2, &priv2),
              CKR_OK);
    ossl2 = ec_from_token(pub2);
    for (int round = 0; round < 3; round++) {
        len = token_sign(&ec256, ec_priv, MSG, MSG_LEN, sig, 64);
        host_check(ec_ossl, &hv256, (const unsigned char *)message, MSG_LEN, sig, len);
        token_verify(&ec256, ec_pub, MSG, MSG_LEN, sig, len);
        len = token_sign(&ec256, priv2, MSG, MSG_LEN, sig, 64);
        host_check(ossl2, &hv256, (const unsigned char *)message, MSG_LEN, sig, len);
        token_verify(&ec256, pub2, MSG, MSG_LEN, sig, len);
        len = token_sign(&ec384, ec_priv, MSG, MSG_LEN, sig, 64);
        host_check(ec_ossl, &hv384, (const unsigned char *)message, MSG_LEN, sig, len);

        /* Fed, then abandoned: the next signature covers only its own data. */
        assert_rv(p11->C_SignInit(s, &ec256, ec_priv), CKR_OK);
        assert_rv(p11->C_SignUpdate(s, (CK_BYTE_PTR) "not this", 8), CKR_OK);
        assert_rv(p11->C_SignInit(s, NULL, ec_priv), CKR_OK);
        assert_rv(p11->C_VerifyInit(s, &ec256, ec_pub), CKR_OK);
        assert_rv(p11->C_VerifyUpdate(s, (CK_BYTE_PTR) "not this", 8), CKR_OK);
        assert_rv(p11->C_VerifyInit(s, NULL, ec_pub), CKR_OK);
        len = token_sign(&ec256, ec_priv, MSG, MSG_LEN, sig, 64);
        host_check(ec_ossl, &hv256, (const unsigned char *)message, MSG_LEN, sig, len);
        token_verify(&ec256, ec_pub, MSG, MSG_LEN, sig, len);

        len = token_sign(&rsa256, rsa_priv, MSG, MSG_LEN, sig, 256);
        host_check(rsa_ossl, &rv256, (const unsigned char *)message, MSG_LEN, sig, len);
        if (round == 0)
            memcpy(first, sig, len);
        assert_memory_equal(sig, first, len);
        token_verify(&rsa256, rsa_pub, MSG, MSG_LEN, sig, len);
        len = token_sign(&rsa384, rsa_priv, MSG, MSG_LEN, sig, 256);
        host_check(rsa_ossl, &rv384, (const unsigned char *)message, MSG_LEN, sig, len);
        assert_memory_not_equal(sig, first, len);

        /* PSS kept per salt length: salt 0 is deterministic, salt 32 is not. */
        len = token_sign(&pss32, rsa_priv, MSG, MSG_LEN, sig, 256);
        host_check(rsa_ossl, &pv, (const unsigned char *)message, MSG_LEN, sig, len);
        len = token_sign(&pss0, rsa_priv, MSG, MSG_LEN, sig, 256);
        if (round == 0)
            memcpy(first0, sig, len);
        assert_memory_equal(sig, first0, len);
        assert_rv(p11->C_VerifyInit(s, &pss32, rsa_pub), CKR_OK);
        assert_rv(p11->C_Verify(s, MSG, MSG_LEN, sig, len), CKR_SIGNATURE_INVALID);
        assert_rv(p11->C_VerifyInit(s, &pss0, rsa_pub), CKR_OK);
        assert_rv(p11->C_Verify(s, MSG, MSG_LEN, sig, len), CKR_OK);

        /* A logout drops what was kept; after a login all is as before. */
        if (round == 1) {
            assert_rv(p11->C_Logout(s), CKR_OK);
            assert_rv(p11->C_SignInit(s, &rsa256, rsa_priv), CKR_KEY_HANDLE_INVALID);
            assert_rv(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)),
                      CKR_OK);
        }
    }
    EVP_PKEY_free(ossl2);
    assert_rv(p11->C_DestroyObject(s, priv2), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, pub2), CKR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_key_attributes),
        cmocka_unit_test(test_ec_key_attributes),
        cmocka_unit_test(test_given_id_kept),
        cmocka_unit_test(test_sha256_rsa_pkcs),
        cmocka_unit_test(test_rsa_pkcs_digest_info),
        cmocka_unit_test(test_rsa_pss),
        cmocka_unit_test(test_sha256_rsa_pss_multipart),
        cmocka_unit_test(test_ecdsa),
        cmocka_unit_test(test_ecdsa_sha256),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_kept_contexts),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_keys_persist),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
