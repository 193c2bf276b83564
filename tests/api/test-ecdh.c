/* ECDH through C_DeriveKey, by the module's function list.  Known answers
 * from Debian's python3-cryptography-vectors: NIST CAVP KAS ECC CDH
 * (P-256/384/521, valid and invalid peer keys) and RFC 7748 (X25519, X448);
 * ANSI X9.63 vectors check this test's own KDF, which then checks the
 * token's CKD_SHA*_KDF.  ECDH is cross-checked with OpenSSL both ways on
 * every curve; wrong parameters and keys are refused. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "asymkit.h"
#include "asymvec.h"

static CK_SESSION_HANDLE s;

/* The session every test here uses, in the shared helpers. */
#define secret_key(v, l)  ak_secret(s, CKK_GENERIC_SECRET, v, l)
#define derive(...)       ak_derive(s, __VA_ARGS__)
#define take_value(h, l)  ak_take_value(s, h, l)
#define value_is(h, w, l) ak_value_is(s, h, w, l)
#define assert_bytes      ak_assert_bytes

static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const CK_BYTE oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const CK_BYTE oid_x25519[] = {0x06, 0x03, 0x2b, 0x65, 0x6e};
static const CK_BYTE oid_x448[] = {0x06, 0x03, 0x2b, 0x65, 0x6f};

typedef struct curve {
    const char *name; /* OpenSSL's */
    const CK_BYTE *oid;
    size_t oid_len;
    CK_KEY_TYPE type;
    size_t field; /* bytes of a coordinate / of the shared secret */
} curve;

static const curve curves[] = {
    {"prime256v1", oid_p256, sizeof(oid_p256), CKK_EC, 32},
    {"secp384r1", oid_p384, sizeof(oid_p384), CKK_EC, 48},
    {"secp521r1", oid_p521, sizeof(oid_p521), CKK_EC, 66},
    {"X25519", oid_x25519, sizeof(oid_x25519), CKK_EC_MONTGOMERY, 32},
    {"X448", oid_x448, sizeof(oid_x448), CKK_EC_MONTGOMERY, 56},
};
#define P256   (&curves[0])
#define P384   (&curves[1])
#define P521   (&curves[2])
#define X25519 (&curves[3])
#define X448   (&curves[4])

/* An EC-family private key from its scalar, for derivation. */
static CK_RV ec_private_rv(const curve *c, const unsigned char *d, size_t len, CK_OBJECT_HANDLE *h)
{
    CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
    CK_KEY_TYPE type = c->type;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, klass),
        ATTR_VAR(CKA_KEY_TYPE, type),
        {CKA_EC_PARAMS, (void *)c->oid, c->oid_len},
        {CKA_VALUE, (void *)d, len},
        ATTR_VAR(CKA_DERIVE, api_true),
    };

    return p11->C_CreateObject(s, t, COUNT(t), h);
}

static CK_OBJECT_HANDLE ec_private(const curve *c, const unsigned char *d, size_t len)
{
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

    assert_rv(ec_private_rv(c, d, len, &h), CKR_OK);
    return h;
}

/* --- ECDH: NIST CAVP KAS ECC CDH (ZZ only) --- */

typedef struct kas_tally {
    unsigned pass[3], bad_peer, other_fail;
} kas_tally;

/* The file's parameter sets EC, ED, EE are P-256, P-384, P-521 (EA, EB:
 * P-192, P-224, which this token does not offer). */
static int kas_curve(const char *section)
{
    if (strncmp(section, "EC", 2) == 0)
        return 0;
    if (strncmp(section, "ED", 2) == 0)
        return 1;
    if (strncmp(section, "EE", 2) == 0)
        return 2;
    return -1;
}

/* Left-pads a coordinate to the field size into `out`. */
static void put_coord(unsigned char *out, size_t field, const char *hex)
{
    size_t len, skip = 0;
    unsigned char *v = av_hex(hex, &len);

    /* P-521's values are written in 68 bytes, with leading zeros. */
    while (len - skip > field && v[skip] == 0)
        skip++;
    assert_true(len - skip <= field);
    memset(out, 0, field - (len - skip));
    memcpy(out + field - (len - skip), v + skip, len - skip);
    free(v);
}

static CK_RV ecdh_raw(CK_OBJECT_HANDLE key, const unsigned char *pub, size_t pub_len,
                      CK_OBJECT_HANDLE *out)
{
    CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, pub_len, (CK_BYTE_PTR)pub};
    CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof(p)};

    return derive(&m, key, CKK_GENERIC_SECRET, 0, out);
}

/* ECDH with the peer's point raw or, `der`, in a DER OCTET STRING as
 * CKA_EC_POINT holds it. */
static CK_RV ecdh_either(CK_OBJECT_HANDLE k, const unsigned char *pub, size_t pl, bool der,
                         CK_OBJECT_HANDLE *out)
{
    unsigned char wrapped[3 + 2 * 66 + 1];
    size_t hdr = pl > 127 ? 3 : 2;

    if (!der)
        return ecdh_raw(k, pub, pl, out);
    wrapped[0] = 0x04;
    wrapped[1] = pl > 127 ? 0x81 : (unsigned char)pl;
    wrapped[hdr - 1] = (unsigned char)pl;
    memcpy(wrapped + hdr, pub, pl);
    return ecdh_raw(k, wrapped, pl + hdr, out);
}

static void kas_record(const av_record *r, void *arg)
{
    kas_tally *t = arg;
    int ci = kas_curve(r->section);
    const curve *c = ci >= 0 ? &curves[ci] : NULL;
    const char *result = av_get(r, "Result");
    unsigned char pub[1 + 2 * 66], *d, *z;
    size_t dl, zl;
    CK_OBJECT_HANDLE k, out;
    CK_ULONG got_len = 0;
    unsigned char *got;
    CK_RV rv;

    if (c == NULL)
        return;
    assert_non_null(result);
    pub[0] = 0x04;
    put_coord(pub + 1, c->field, av_get(r, "QsCAVSx"));
    put_coord(pub + 1 + c->field, c->field, av_get(r, "QsCAVSy"));
    d = av_hex(av_get(r, "dsIUT"), &dl);
    z = av_hex(av_get(r, "Z"), &zl);
    rv = ec_private_rv(c, d, dl, &k);
    if (rv != CKR_OK && strstr(result, "private key d changed") != NULL) {
        /* A scalar out of range is no key at all. */
        assert_rv(rv, CKR_ATTRIBUTE_VALUE_INVALID);
        t->other_fail++;
        goto out;
    }
    assert_rv(rv, CKR_OK);
    rv = ecdh_either(k, pub, 1 + 2 * c->field, atoi(av_get(r, "COUNT")) % 2 == 1, &out);
    if (result[0] == 'P') {
        assert_rv(rv, CKR_OK);
        value_is(out, z, zl);
        t->pass[ci]++;
    } else if (strstr(result, "CAVS's Static public key") != NULL) {
        /* A peer point that fails public key validation is refused. */
        assert_rv(rv, CKR_MECHANISM_PARAM_INVALID);
        t->bad_peer++;
    } else {
        /* Z changed, or the IUT's own key changed: our Z is another. */
        assert_rv(rv, CKR_OK);
        got = take_value(out, &got_len);
        if (strstr(result, "Z changed") != NULL)
            assert_false(got_len == zl && memcmp(got, z, zl) == 0);
        free(got);
        t->other_fail++;
    }
    assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
out:
    free(d);
    free(z);
}

static void test_ecdh_kas(void **state)
{
    static const char *files[] = {
        "asymmetric/ECDH/KASValidityTest_ECCStaticUnified_NOKC_ZZOnly_init.fax",
        "asymmetric/ECDH/KASValidityTest_ECCStaticUnified_NOKC_ZZOnly_resp.fax",
    };
    kas_tally t;

    memset(&t, 0, sizeof(t));

    for (size_t i = 0; i < COUNT(files); i++)
        assert_true(av_each_record(files[i], kas_record, &t) > 100);
    print_message("KAS ECC CDH: %u/%u/%u valid (P-256/384/521), %u bad peer keys refused, "
                  "%u other failures\n",
                  t.pass[0], t.pass[1], t.pass[2], t.bad_peer, t.other_fail);
    for (int i = 0; i < 3; i++)
        assert_true(t.pass[i] >= 20);
    assert_true(t.bad_peer >= 20);
}

/* --- X25519, X448: RFC 7748 section 5.2 --- */

static void x_record(const av_record *r, void *arg)
{
    const curve *c = arg;
    size_t sl, ul, ol;
    unsigned char *scalar = av_hex(av_get(r, "INPUT_SCALAR"), &sl);
    unsigned char *u = av_hex(av_get(r, "INPUT_U"), &ul);
    unsigned char *want = av_hex(av_get(r, "OUTPUT_U"), &ol);
    CK_OBJECT_HANDLE k = ec_private(c, scalar, sl), out;

    assert_rv(ecdh_raw(k, u, ul, &out), CKR_OK);
    value_is(out, want, ol);
    assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
    free(scalar);
    free(u);
    free(want);
}

static void test_x25519_x448(void **state)
{
    unsigned char zero[56] = {0}, scalar[56];
    CK_OBJECT_HANDLE k, out;

    assert_int_equal(av_each_record("asymmetric/X25519/rfc7748.txt", x_record, (void *)X25519), 3);
    assert_int_equal(av_each_record("asymmetric/X448/rfc7748.txt", x_record, (void *)X448), 3);
    /* A small-order point makes an all-zero secret: refused (RFC 7748, 6.1). */
    memset(scalar, 0x42, sizeof(scalar));
    k = ec_private(X25519, scalar, 32);
    assert_rv(ecdh_raw(k, zero, 32, &out), CKR_MECHANISM_PARAM_INVALID);
    assert_rv(ecdh_raw(k, zero, 31, &out), CKR_MECHANISM_PARAM_INVALID);
    assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
}

/* --- ANSI X9.63 --- */

/* This test's own X9.63 KDF: Hash(Z || counter || SharedInfo) blocks. */
static void host_x963(const char *md, const unsigned char *z, size_t zl, const unsigned char *info,
                      size_t il, unsigned char *out, size_t len)
{
    unsigned char block[EVP_MAX_MD_SIZE];
    unsigned int bl = 0;
    uint32_t counter = 1;

    for (size_t done = 0; done < len; counter++) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned char c[4] = {counter >> 24, counter >> 16, counter >> 8, counter};

        assert_non_null(ctx);
        assert_int_equal(EVP_DigestInit_ex2(ctx, EVP_get_digestbyname(md), NULL), 1);
        assert_int_equal(EVP_DigestUpdate(ctx, z, zl), 1);
        assert_int_equal(EVP_DigestUpdate(ctx, c, 4), 1);
        assert_int_equal(EVP_DigestUpdate(ctx, info, il), 1);
        assert_int_equal(EVP_DigestFinal_ex(ctx, block, &bl), 1);
        EVP_MD_CTX_free(ctx);
        memcpy(out + done, block, len - done < bl ? len - done : bl);
        done += len - done < bl ? len - done : bl;
    }
}

static void x963_record(const av_record *r, void *arg)
{
    unsigned *n = arg;
    char md[16];
    size_t zl, il, kl;
    unsigned char *z = av_hex(av_get(r, "Z"), &zl);
    unsigned char *info = av_hex(av_get(r, "SharedInfo"), &il);
    unsigned char *want = av_hex(av_get(r, "key_data"), &kl);
    unsigned char *got = malloc(kl);

    /* "SHA-256;shared secret length = ..." -> "SHA256" */
    assert_int_equal(sscanf(r->section, "SHA-%3[0-9]", md + 3), 1);
    memcpy(md, "SHA", 3);
    assert_non_null(got);
    host_x963(md, z, zl, info, il, got, kl);
    assert_memory_equal(got, want, kl);
    (*n)++;
    free(z);
    free(info);
    free(want);
    free(got);
}

static void test_x963_reference(void **state)
{
    unsigned n = 0;

    av_each_record("KDF/ansx963_2001.txt", x963_record, &n);
    print_message("ANSI X9.63: %u vectors check this test's KDF\n", n);
    assert_true(n >= 40);
}

/* --- ECDH against OpenSSL --- */

static CK_OBJECT_HANDLE token_pair(const curve *c, CK_OBJECT_HANDLE *pub)
{
    CK_MECHANISM m = {c->type == CKK_EC ? CKM_EC_KEY_PAIR_GEN : CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
                      NULL, 0};
    CK_ATTRIBUTE pt[] = {{CKA_EC_PARAMS, (void *)c->oid, c->oid_len}};
    CK_ATTRIBUTE vt[] = {ATTR_VAR(CKA_DERIVE, api_true)};
    CK_OBJECT_HANDLE priv;

    assert_rv(p11->C_GenerateKeyPair(s, &m, pt, COUNT(pt), vt, COUNT(vt), pub, &priv), CKR_OK);
    return priv;
}

/* The raw point inside a token public key's CKA_EC_POINT (DER OCTET STRING). */
static size_t token_point(CK_OBJECT_HANDLE pub, unsigned char *raw)
{
    unsigned char *der;
    CK_ULONG len;
    size_t hdr, n;

    assert_rv(api_get_attr(s, pub, CKA_EC_POINT, &der, &len), CKR_OK);
    assert_int_equal(der[0], 0x04);
    hdr = der[1] == 0x81 ? 3 : 2;
    n = len - hdr;
    memcpy(raw, der + hdr, n);
    free(der);
    return n;
}

static EVP_PKEY *ossl_peer(const curve *c, const unsigned char *raw, size_t len)
{
    OSSL_PARAM_BLD *bld;
    OSSL_PARAM *params;
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;

    if (c->type == CKK_EC_MONTGOMERY)
        return EVP_PKEY_new_raw_public_key_ex(NULL, c->name, NULL, raw, len);
    bld = OSSL_PARAM_BLD_new();
    assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0),
                     1);
    assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, raw, len), 1);
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

static size_t ossl_derive(EVP_PKEY *own, EVP_PKEY *peer, unsigned char *z)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(own, NULL);
    size_t n = 200;

    assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
    assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
    assert_int_equal(EVP_PKEY_derive(ctx, z, &n), 1);
    EVP_PKEY_CTX_free(ctx);
    return n;
}

static EVP_PKEY *ossl_key(const curve *c)
{
    if (c->type == CKK_EC)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->name);
    return EVP_PKEY_Q_keygen(NULL, NULL, c->name);
}

/* CKD_SHA*_KDF against the token's own raw secret and this test's X9.63. */
static void check_kdfs(CK_OBJECT_HANDLE priv, const unsigned char *peer, size_t peer_len,
                       const unsigned char *z, size_t zl)
{
    static const struct {
        CK_ULONG kdf;
        const char *md;
    } kdfs[] = {
        {CKD_SHA1_KDF, "SHA1"},         {CKD_SHA224_KDF, "SHA224"},
        {CKD_SHA256_KDF, "SHA256"},     {CKD_SHA384_KDF, "SHA384"},
        {CKD_SHA512_KDF, "SHA512"},     {CKD_SHA3_224_KDF, "SHA3-224"},
        {CKD_SHA3_256_KDF, "SHA3-256"}, {CKD_SHA3_384_KDF, "SHA3-384"},
        {CKD_SHA3_512_KDF, "SHA3-512"},
    };
    unsigned char info[] = "tessera shared info", want[100];
    CK_ECDH1_DERIVE_PARAMS p = {0, sizeof(info), info, peer_len, (CK_BYTE_PTR)peer};
    CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
    CK_OBJECT_HANDLE out;

    for (size_t i = 0; i < COUNT(kdfs); i++) {
        p.kdf = kdfs[i].kdf;
        p.ulSharedDataLen = i % 2 ? 0 : sizeof(info); /* with and without shared data */
        host_x963(kdfs[i].md, z, zl, info, p.ulSharedDataLen, want, 100);
        assert_rv(derive(&m, priv, CKK_GENERIC_SECRET, 100, &out), CKR_OK);
        value_is(out, want, 100);
        /* A KDF has no length of its own. */
        assert_rv(derive(&m, priv, CKK_GENERIC_SECRET, 0, &out), CKR_TEMPLATE_INCOMPLETE);
    }
}

static void cross_check(const curve *c)
{
    CK_OBJECT_HANDLE pub, priv = token_pair(c, &pub), out;
    EVP_PKEY *mine = ossl_key(c), *theirs;
    unsigned char their_pt[200], my_pt[200], z1[200];
    size_t tl, ml = 0, zl;
    CK_ULONG l2;
    unsigned char *z2;

    assert_non_null(mine);
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(mine, OSSL_PKEY_PARAM_PUB_KEY, my_pt, sizeof(my_pt), &ml),
        1);
    tl = token_point(pub, their_pt);
    theirs = ossl_peer(c, their_pt, tl);
    zl = ossl_derive(mine, theirs, z1);
    assert_int_equal(zl, c->field);
    assert_rv(ecdh_raw(priv, my_pt, ml, &out), CKR_OK);
    z2 = take_value(out, &l2);
    assert_bytes(z2, l2, z1, zl);
    if (c->type == CKK_EC) {
        CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, ml, my_pt};
        CK_MECHANISM m = {CKM_ECDH1_COFACTOR_DERIVE, &p, sizeof(p)};

        /* The NIST curves have cofactor 1: the same secret. */
        assert_rv(derive(&m, priv, CKK_GENERIC_SECRET, 0, &out), CKR_OK);
        value_is(out, z1, zl);
        /* CKD_NULL truncates from the leading end (3.0, 2.3.9). */
        assert_rv(derive(&m, priv, CKK_AES, 16, &out), CKR_OK);
        value_is(out, z1 + zl - 16, 16);
    }
    check_kdfs(priv, my_pt, ml, z1, zl);
    free(z2);
    EVP_PKEY_free(mine);
    EVP_PKEY_free(theirs);
}

static void test_ecdh_openssl(void **state)
{
    for (size_t i = 0; i < COUNT(curves); i++)
        cross_check(&curves[i]);
}

/* --- refusals --- */

static void test_ecdh_refusals(void **state)
{
    unsigned char v[32] = {3}, pt[65] = {0x04};
    CK_OBJECT_HANDLE ec_pub, ec = token_pair(P256, &ec_pub), x_pub, x = token_pair(X25519, &x_pub);
    CK_OBJECT_HANDLE sec = secret_key(v, sizeof(v)), h;
    CK_ECDH1_DERIVE_PARAMS ep = {CKD_NULL, 0, NULL, sizeof(pt), pt};
    CK_MECHANISM ecdh = {CKM_ECDH1_DERIVE, &ep, sizeof(ep)};
    CK_HKDF_PARAMS hp = {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL, NULL, 0, 0, NULL, 0};
    CK_MECHANISM hkdf = {CKM_HKDF_DERIVE, &hp, sizeof(hp)};
    CK_ATTRIBUTE no_derive[] = {ATTR_VAR(CKA_DERIVE, api_false)};

    token_point(ec_pub, pt); /* a valid peer: its own public key */
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 0, &h), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, h), CKR_OK);
    /* Parameters. */
    ecdh.ulParameterLen--;
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 0, &h), CKR_MECHANISM_PARAM_INVALID);
    ecdh.ulParameterLen++;
    ep.kdf = 0x99;
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_PARAM_INVALID);
    ep.kdf = CKD_NULL;
    ep.ulSharedDataLen = 1;
    ep.pSharedData = v;
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 0, &h), CKR_MECHANISM_PARAM_INVALID);
    ep.ulSharedDataLen = 0;
    ep.pSharedData = NULL;
    ep.ulPublicDataLen = 64;
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 0, &h), CKR_MECHANISM_PARAM_INVALID);
    ep.ulPublicDataLen = 65;
    pt[64] ^= 1; /* off the curve */
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 0, &h), CKR_MECHANISM_PARAM_INVALID);
    pt[64] ^= 1;
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 33, &h), CKR_TEMPLATE_INCONSISTENT);
    /* Keys. */
    assert_rv(derive(&ecdh, sec, CKK_GENERIC_SECRET, 0, &h), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(derive(&ecdh, ec_pub, CKK_GENERIC_SECRET, 0, &h), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_rv(derive(&hkdf, ec, CKK_GENERIC_SECRET, 32, &h), CKR_KEY_TYPE_INCONSISTENT);
    ecdh.mechanism = CKM_ECDH1_COFACTOR_DERIVE;
    assert_rv(derive(&ecdh, x, CKK_GENERIC_SECRET, 0, &h), CKR_KEY_TYPE_INCONSISTENT);
    ecdh.mechanism = CKM_ECDH1_DERIVE;
    assert_rv(p11->C_SetAttributeValue(s, ec, no_derive, 1), CKR_OK);
    assert_rv(derive(&ecdh, ec, CKK_GENERIC_SECRET, 0, &h), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_rv(p11->C_DeriveKey(s, &ecdh, 0x7777, NULL, 0, &h), CKR_KEY_HANDLE_INVALID);
    assert_rv(p11->C_DeriveKey(s, &ecdh, sec, NULL, 0, NULL), CKR_ARGUMENTS_BAD);
}

static int group_setup(void **state)
{
    api_setup(state);
    s = api_user_session(api_new_token(TOKEN_LABEL, true));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdh_kas),       cmocka_unit_test(test_x25519_x448),
        cmocka_unit_test(test_x963_reference), cmocka_unit_test(test_ecdh_openssl),
        cmocka_unit_test(test_ecdh_refusals),
    };

    return cmocka_run_group_tests(tests, group_setup, api_teardown);
}
