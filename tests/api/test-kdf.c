/* HKDF, PBKDF2 and key derivation by digesting, by the module's function
 * list.  Known answers from Debian's python3-cryptography-vectors: RFC 5869
 * and a long generated HKDF vector (extract and expand, each alone, as a key
 * and as a data object, the salt as data and as a key), RFC 6070 PBKDF2
 * (both parameter structures); the SHA-2 PRFs and the digests against
 * OpenSSL.  Also the attributes a derived key inherits, CKA_DERIVE_TEMPLATE,
 * and the refusals. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "asymkit.h"
#include "asymvec.h"

static CK_SESSION_HANDLE s;
static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
static CK_KEY_TYPE generic_type = CKK_GENERIC_SECRET;

/* The session every test here uses, in the shared helpers. */
#define secret_key(v, l)  ak_secret(s, CKK_GENERIC_SECRET, v, l)
#define derive(...)       ak_derive(s, __VA_ARGS__)
#define take_value(h, l)  ak_take_value(s, h, l)
#define value_is(h, w, l) ak_value_is(s, h, w, l)
#define assert_bytes      ak_assert_bytes

/* --- HKDF: RFC 5869 and a long generated vector --- */

static CK_MECHANISM_TYPE hash_mech(const char *name)
{
    if (strcmp(name, "SHA-256") == 0)
        return CKM_SHA256;
    if (strcmp(name, "SHA-1") == 0)
        return CKM_SHA_1;
    fail_msg("unknown hash %s in an HKDF vector", name);
    return 0;
}

/* A data object from CKM_HKDF_DATA. */
static void hkdf_data(CK_HKDF_PARAMS *p, CK_OBJECT_HANDLE base, CK_ULONG len,
                      const unsigned char *want)
{
    CK_MECHANISM m = {CKM_HKDF_DATA, p, sizeof(*p)};
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data), ATTR_VAR(CKA_VALUE_LEN, len)};
    CK_OBJECT_HANDLE out;

    assert_rv(p11->C_DeriveKey(s, &m, base, t, COUNT(t), &out), CKR_OK);
    assert_int_equal(api_get_ulong(s, out, CKA_CLASS), CKO_DATA);
    assert_int_equal(api_get_bool(s, out, CKA_PRIVATE), CK_TRUE); /* made from a secret */
    value_is(out, want, len);
}

/* The same with the salt as a key object (CKF_HKDF_SALT_KEY). */
static void hkdf_salt_key(CK_HKDF_PARAMS p, CK_OBJECT_HANDLE base, const unsigned char *okm,
                          size_t okl)
{
    CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
    CK_OBJECT_HANDLE out, salt_key = secret_key(p.pSalt, p.ulSaltLen);

    p.ulSaltType = CKF_HKDF_SALT_KEY;
    p.pSalt = NULL;
    p.ulSaltLen = 0;
    p.hSaltKey = salt_key;
    assert_rv(derive(&m, base, CKK_GENERIC_SECRET, okl, &out), CKR_OK);
    value_is(out, okm, okl);
    assert_rv(p11->C_DestroyObject(s, salt_key), CKR_OK);
}

/* Extraction alone gives the PRK, expansion alone the OKM from it. */
static void hkdf_split(CK_HKDF_PARAMS p, CK_OBJECT_HANDLE base, const unsigned char *prk,
                       size_t prl, const unsigned char *okm, size_t okl)
{
    CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
    CK_OBJECT_HANDLE out, prk_key = secret_key(prk, prl);

    p.bExpand = CK_FALSE;
    assert_rv(derive(&m, base, CKK_GENERIC_SECRET, 0, &out), CKR_OK);
    value_is(out, prk, prl);
    p.bExpand = CK_TRUE;
    p.bExtract = CK_FALSE;
    assert_rv(derive(&m, prk_key, CKK_GENERIC_SECRET, okl, &out), CKR_OK);
    value_is(out, okm, okl);
    assert_rv(p11->C_DestroyObject(s, prk_key), CKR_OK);
}

static void hkdf_record(const av_record *r, void *arg)
{
    unsigned *n = arg;
    size_t ikl, sl, il, okl, prl = 0;
    unsigned char *ikm = av_hex(av_get(r, "IKM"), &ikl), *salt = av_hex(av_get(r, "salt"), &sl);
    unsigned char *info = av_hex(av_get(r, "info"), &il), *okm = av_hex(av_get(r, "OKM"), &okl);
    unsigned char *prk = av_get(r, "PRK") ? av_hex(av_get(r, "PRK"), &prl) : NULL;
    CK_ULONG len = strtoul(av_get(r, "L"), NULL, 10);
    CK_HKDF_PARAMS p = {CK_TRUE,
                        CK_TRUE,
                        hash_mech(av_get(r, "Hash")),
                        sl > 0 ? CKF_HKDF_SALT_DATA : CKF_HKDF_SALT_NULL,
                        salt,
                        sl,
                        CK_INVALID_HANDLE,
                        info,
                        il};
    CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
    CK_OBJECT_HANDLE base = secret_key(ikm, ikl), out;

    assert_int_equal(okl, len);
    assert_rv(derive(&m, base, CKK_GENERIC_SECRET, len, &out), CKR_OK);
    value_is(out, okm, okl);
    hkdf_data(&p, base, len, okm);
    if (sl > 0)
        hkdf_salt_key(p, base, okm, okl);
    if (prk != NULL)
        hkdf_split(p, base, prk, prl, okm, okl);
    assert_rv(p11->C_DestroyObject(s, base), CKR_OK);
    (*n)++;
    free(ikm);
    free(salt);
    free(info);
    free(okm);
    free(prk);
}

static void test_hkdf(void **state)
{
    unsigned n = 0;

    assert_int_equal(av_each_record("KDF/rfc-5869-HKDF-SHA256.txt", hkdf_record, &n), 3);
    assert_int_equal(av_each_record("KDF/rfc-5869-HKDF-SHA1.txt", hkdf_record, &n), 4);
    assert_int_equal(av_each_record("KDF/hkdf-generated.txt", hkdf_record, &n), 1);
    print_message("HKDF: %u vectors, each extract+expand, data, salt key, and split\n", n);
}

/* --- PBKDF2: RFC 6070, both parameter structures --- */

/* The password and salt of RFC 6070 are text, with "\0" for a NUL. */
static size_t unescape(const char *in, unsigned char *out)
{
    size_t n = 0;

    for (; *in != '\0'; in++) {
        if (in[0] == '\\' && in[1] == '0') {
            out[n++] = 0;
            in++;
        } else {
            out[n++] = (unsigned char)*in;
        }
    }
    return n;
}

static CK_RV pbkdf2(void *params, CK_ULONG params_len, CK_KEY_TYPE type, CK_ULONG len,
                    CK_OBJECT_HANDLE *out)
{
    CK_MECHANISM m = {CKM_PKCS5_PBKD2, params, params_len};
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_KEY_TYPE, type),
        ATTR_VAR(CKA_VALUE_LEN, len),
        ATTR_VAR(CKA_SENSITIVE, api_false),
        ATTR_VAR(CKA_EXTRACTABLE, api_true),
    };

    return p11->C_GenerateKey(s, &m, t, COUNT(t), out);
}

static void pbkdf2_record(const av_record *r, void *arg)
{
    unsigned *n = arg;
    unsigned char pw[64], salt[64], *want;
    size_t pl = unescape(av_get(r, "PASSWORD"), pw), sl = unescape(av_get(r, "SALT"), salt), wl;
    CK_ULONG iter = strtoul(av_get(r, "ITERATIONS"), NULL, 10), pl_ul = pl;
    CK_PKCS5_PBKD2_PARAMS2 p2 = {
        CKZ_SALT_SPECIFIED, salt, sl, iter, CKP_PKCS5_PBKD2_HMAC_SHA1, NULL, 0, pw, pl};
    CK_PKCS5_PBKD2_PARAMS p1 = {
        CKZ_SALT_SPECIFIED, salt, sl, iter, CKP_PKCS5_PBKD2_HMAC_SHA1, NULL, 0, pw, &pl_ul};
    CK_OBJECT_HANDLE out;

    want = av_hex(av_get(r, "DERIVED_KEY"), &wl);
    /* The 2.40 structure (length by pointer, as NSS sends it) and 3.0's. */
    if (atoi(av_get(r, "COUNT")) % 2 == 0)
        assert_rv(pbkdf2(&p2, sizeof(p2), CKK_GENERIC_SECRET, wl, &out), CKR_OK);
    else
        assert_rv(pbkdf2(&p1, sizeof(p1), CKK_GENERIC_SECRET, wl, &out), CKR_OK);
    assert_true(api_get_bool(s, out, CKA_LOCAL));
    assert_int_equal(api_get_ulong(s, out, CKA_KEY_GEN_MECHANISM), CKM_PKCS5_PBKD2);
    value_is(out, want, wl);
    (*n)++;
    free(want);
}

static void test_pbkdf2(void **state)
{
    unsigned n = 0;
    unsigned char pw[] = "password", salt[] = "saltsaltsaltsalt", want[32];
    CK_PKCS5_PBKD2_PARAMS2 p = {
        CKZ_SALT_SPECIFIED, salt, 16, 1000, CKP_PKCS5_PBKD2_HMAC_SHA256, NULL, 0, pw, 8};
    CK_OBJECT_HANDLE out;

    assert_int_equal(av_each_record("KDF/rfc-6070-PBKDF2-SHA1.txt", pbkdf2_record, &n), 6);
    /* The SHA-2 PRFs against OpenSSL, and an AES key. */
    assert_int_equal(PKCS5_PBKDF2_HMAC((char *)pw, 8, salt, 16, 1000, EVP_sha256(), 32, want), 1);
    assert_rv(pbkdf2(&p, sizeof(p), CKK_AES, 32, &out), CKR_OK);
    assert_int_equal(api_get_ulong(s, out, CKA_KEY_TYPE), CKK_AES);
    value_is(out, want, 32);
    p.prf = CKP_PKCS5_PBKD2_HMAC_SHA512;
    assert_int_equal(PKCS5_PBKDF2_HMAC((char *)pw, 8, salt, 16, 1000, EVP_sha512(), 24, want), 1);
    assert_rv(pbkdf2(&p, sizeof(p), CKK_AES, 24, &out), CKR_OK);
    value_is(out, want, 24);
    /* Refusals. */
    assert_rv(pbkdf2(&p, sizeof(p), CKK_AES, 20, &out), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_rv(pbkdf2(&p, sizeof(p) - 1, CKK_AES, 16, &out), CKR_MECHANISM_PARAM_INVALID);
    p.prf = CKP_PKCS5_PBKD2_HMAC_GOSTR3411;
    assert_rv(pbkdf2(&p, sizeof(p), CKK_AES, 16, &out), CKR_MECHANISM_PARAM_INVALID);
    p.prf = CKP_PKCS5_PBKD2_HMAC_SHA256;
    p.iterations = 0;
    assert_rv(pbkdf2(&p, sizeof(p), CKK_AES, 16, &out), CKR_MECHANISM_PARAM_INVALID);
    p.iterations = 1;
    p.saltSource = 2;
    assert_rv(pbkdf2(&p, sizeof(p), CKK_AES, 16, &out), CKR_MECHANISM_PARAM_INVALID);
    print_message("PBKDF2: %u RFC 6070 vectors\n", n);
}

/* --- key derivation by digesting --- */

static void test_key_digest(void **state)
{
    static const struct {
        CK_MECHANISM_TYPE mech;
        const char *md;
    } mechs[] = {
        {CKM_SHA1_KEY_DERIVATION, "SHA1"},     {CKM_SHA224_KEY_DERIVATION, "SHA224"},
        {CKM_SHA256_KEY_DERIVATION, "SHA256"}, {CKM_SHA384_KEY_DERIVATION, "SHA384"},
        {CKM_SHA512_KEY_DERIVATION, "SHA512"}, {CKM_SHA3_224_KEY_DERIVE, "SHA3-224"},
        {CKM_SHA3_256_KEY_DERIVE, "SHA3-256"}, {CKM_SHA3_384_KEY_DERIVE, "SHA3-384"},
        {CKM_SHA3_512_KEY_DERIVE, "SHA3-512"},
    };
    unsigned char key[] = "a key to digest", md[64];
    unsigned int ml;
    CK_OBJECT_HANDLE base = secret_key(key, sizeof(key)), out;

    for (size_t i = 0; i < COUNT(mechs); i++) {
        CK_MECHANISM m = {mechs[i].mech, NULL, 0};

        assert_int_equal(
            EVP_Digest(key, sizeof(key), md, &ml, EVP_get_digestbyname(mechs[i].md), NULL), 1);
        assert_rv(derive(&m, base, CKK_GENERIC_SECRET, 0, &out), CKR_OK);
        value_is(out, md, ml);
        /* A shorter key is the digest's first bytes (2.40, 6.2.x). */
        assert_rv(derive(&m, base, CKK_AES, 16, &out), CKR_OK);
        value_is(out, md, 16);
        assert_rv(derive(&m, base, CKK_GENERIC_SECRET, ml + 1, &out), CKR_TEMPLATE_INCONSISTENT);
    }
    assert_rv(p11->C_DestroyObject(s, base), CKR_OK);
}

/* --- the derived key's attributes --- */

static CK_OBJECT_HANDLE generated_secret(CK_BBOOL sensitive, CK_BBOOL extractable)
{
    CK_MECHANISM m = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ULONG len = 32;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_VALUE_LEN, len),
        ATTR_VAR(CKA_DERIVE, api_true),
        ATTR_VAR(CKA_SENSITIVE, sensitive),
        ATTR_VAR(CKA_EXTRACTABLE, extractable),
    };
    CK_OBJECT_HANDLE h;

    assert_rv(p11->C_GenerateKey(s, &m, t, COUNT(t), &h), CKR_OK);
    return h;
}

static CK_OBJECT_HANDLE derive_flags(CK_OBJECT_HANDLE base, CK_BBOOL sensitive,
                                     CK_BBOOL extractable)
{
    CK_MECHANISM m = {CKM_SHA256_KEY_DERIVATION, NULL, 0};
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_SENSITIVE, sensitive), ATTR_VAR(CKA_EXTRACTABLE, extractable)};
    CK_OBJECT_HANDLE h;

    assert_rv(p11->C_DeriveKey(s, &m, base, t, COUNT(t), &h), CKR_OK);
    return h;
}

static void flags_are(CK_OBJECT_HANDLE h, CK_BBOOL always_sensitive, CK_BBOOL never_extractable)
{
    assert_int_equal(api_get_bool(s, h, CKA_ALWAYS_SENSITIVE), always_sensitive);
    assert_int_equal(api_get_bool(s, h, CKA_NEVER_EXTRACTABLE), never_extractable);
    assert_int_equal(api_get_bool(s, h, CKA_LOCAL), CK_FALSE);
    assert_int_equal(api_get_ulong(s, h, CKA_KEY_GEN_MECHANISM), CKM_SHA256_KEY_DERIVATION);
    assert_rv(p11->C_DestroyObject(s, h), CKR_OK);
}

static void test_derived_attributes(void **state)
{
    CK_OBJECT_HANDLE strict = generated_secret(CK_TRUE, CK_FALSE);
    CK_OBJECT_HANDLE loose = generated_secret(CK_FALSE, CK_TRUE);
    unsigned char v[16] = {1};
    CK_OBJECT_HANDLE imported = secret_key(v, sizeof(v));

    /* The base's "always" and "never" carry over, and-ed with the new key's. */
    flags_are(derive_flags(strict, CK_TRUE, CK_FALSE), CK_TRUE, CK_TRUE);
    flags_are(derive_flags(strict, CK_FALSE, CK_FALSE), CK_FALSE, CK_TRUE);
    flags_are(derive_flags(strict, CK_TRUE, CK_TRUE), CK_TRUE, CK_FALSE);
    flags_are(derive_flags(loose, CK_TRUE, CK_FALSE), CK_FALSE, CK_FALSE);
    flags_are(derive_flags(imported, CK_TRUE, CK_FALSE), CK_FALSE, CK_FALSE);
    /* A sensitive derived key hides its value. */
    {
        CK_OBJECT_HANDLE h = derive_flags(strict, CK_TRUE, CK_FALSE);
        unsigned char *val;
        CK_ULONG len;

        assert_rv(api_get_attr(s, h, CKA_VALUE, &val, &len), CKR_ATTRIBUTE_SENSITIVE);
        assert_rv(p11->C_DestroyObject(s, h), CKR_OK);
    }
    assert_rv(p11->C_DestroyObject(s, strict), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, loose), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, imported), CKR_OK);
}

/* CKA_DERIVE_TEMPLATE: added to every derived key; a conflict is refused. */
static void test_derive_template(void **state)
{
    CK_ATTRIBUTE inner[] = {ATTR_VAR(CKA_ENCRYPT, api_false), ATTR_VAR(CKA_SIGN, api_true)};
    unsigned char v[16] = {2};
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, secret_class),
        ATTR_VAR(CKA_KEY_TYPE, generic_type),
        {CKA_VALUE, v, sizeof(v)},
        ATTR_VAR(CKA_DERIVE, api_true),
        {CKA_DERIVE_TEMPLATE, inner, sizeof(inner)},
    };
    CK_MECHANISM m = {CKM_SHA256_KEY_DERIVATION, NULL, 0};
    CK_ATTRIBUTE bad[] = {ATTR_VAR(CKA_ENCRYPT, api_true)};
    CK_ATTRIBUTE same[] = {ATTR_VAR(CKA_SIGN, api_true)};
    CK_OBJECT_HANDLE base, h;

    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &base), CKR_OK);
    assert_rv(p11->C_DeriveKey(s, &m, base, NULL, 0, &h), CKR_OK);
    assert_int_equal(api_get_bool(s, h, CKA_ENCRYPT), CK_FALSE);
    assert_int_equal(api_get_bool(s, h, CKA_SIGN), CK_TRUE);
    assert_rv(p11->C_DestroyObject(s, h), CKR_OK);
    assert_rv(p11->C_DeriveKey(s, &m, base, same, COUNT(same), &h), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, h), CKR_OK);
    assert_rv(p11->C_DeriveKey(s, &m, base, bad, COUNT(bad), &h), CKR_TEMPLATE_INCONSISTENT);
    assert_rv(p11->C_DestroyObject(s, base), CKR_OK);
}

/* --- refusals --- */

static void test_kdf_refusals(void **state)
{
    unsigned char v[32] = {3};
    CK_OBJECT_HANDLE sec = secret_key(v, sizeof(v)), h, only_hmac_key;
    CK_HKDF_PARAMS hp = {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL, NULL, 0, 0, NULL, 0};
    CK_MECHANISM hkdf = {CKM_HKDF_DERIVE, &hp, sizeof(hp)};
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_ATTRIBUTE data_t[] = {ATTR_VAR(CKA_CLASS, data)};
    CK_MECHANISM_TYPE only_hmac = CKM_SHA256_HMAC;
    CK_ATTRIBUTE allowed[] = {
        ATTR_VAR(CKA_CLASS, secret_class),
        ATTR_VAR(CKA_KEY_TYPE, generic_type),
        {CKA_VALUE, v, sizeof(v)},
        ATTR_VAR(CKA_DERIVE, api_true),
        ATTR_VAR(CKA_ALLOWED_MECHANISMS, only_hmac),
    };

    /* HKDF. */
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 0, &h), CKR_TEMPLATE_INCOMPLETE);
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 255 * 32 + 1, &h), CKR_TEMPLATE_INCONSISTENT);
    assert_rv(p11->C_DeriveKey(s, &hkdf, sec, data_t, COUNT(data_t), &h),
              CKR_TEMPLATE_INCONSISTENT);
    hp.prfHashMechanism = CKM_MD5;
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_PARAM_INVALID);
    hp.prfHashMechanism = CKM_SHA256;
    hp.bExtract = hp.bExpand = CK_FALSE;
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_PARAM_INVALID);
    hp.bExtract = hp.bExpand = CK_TRUE;
    hp.ulSaltType = CKF_HKDF_SALT_KEY;
    hp.hSaltKey = 0x7777;
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_PARAM_INVALID);
    hp.ulSaltType = CKF_HKDF_SALT_DATA; /* without data */
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_PARAM_INVALID);
    hp.ulSaltType = 8;
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_PARAM_INVALID);
    hp.ulSaltType = CKF_HKDF_SALT_NULL;
    hkdf.ulParameterLen = 8;
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_PARAM_INVALID);
    hkdf.ulParameterLen = sizeof(hp);
    assert_rv(derive(&hkdf, sec, CKK_AES, 20, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    /* CKA_ALLOWED_MECHANISMS. */
    assert_rv(p11->C_CreateObject(s, allowed, COUNT(allowed), &only_hmac_key), CKR_OK);
    assert_rv(derive(&hkdf, only_hmac_key, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_INVALID);
    /* Not derivation mechanisms. */
    hkdf.mechanism = CKM_SHA256;
    assert_rv(derive(&hkdf, sec, CKK_GENERIC_SECRET, 32, &h), CKR_MECHANISM_INVALID);
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
        cmocka_unit_test(test_hkdf),
        cmocka_unit_test(test_pbkdf2),
        cmocka_unit_test(test_key_digest),
        cmocka_unit_test(test_derived_attributes),
        cmocka_unit_test(test_derive_template),
        cmocka_unit_test(test_kdf_refusals),
    };

    return cmocka_run_group_tests(tests, group_setup, api_teardown);
}
