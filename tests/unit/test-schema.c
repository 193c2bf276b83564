/* Unit tests of the attribute rules (src/token/schema.c and its table). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ossl.h"
#include "schema.h"

#define UNAV CK_UNAVAILABLE_INFORMATION

static const unsigned char modulus[] = {0x00, 0x80, 0x01, 0x02, 0x03}; /* 32 bits */
static const unsigned char exponent[] = {0x01, 0x00, 0x01};
static const unsigned char priv_exp[] = {0x11, 0x22, 0x33};
static const unsigned char ec_params[] = {0x06, 0x03, 0x2b, 0x65, 0x70}; /* OID 1.3.101.112 */
static const unsigned char ec_point[] = {0x04, 0x02, 0xaa, 0xbb};
static const unsigned char key16[16] = {1, 2, 3};

/* --- helpers --- */

static void put(tsr_attrs *a, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG n)
{
    assert_int_equal(tsr_attrs_set(a, t, v, n), CKR_OK);
}

static void put_ulong(tsr_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
    assert_int_equal(tsr_attrs_set_ulong(a, t, v), CKR_OK);
}

static void put_bool(tsr_attrs *a, CK_ATTRIBUTE_TYPE t, bool v)
{
    assert_int_equal(tsr_attrs_set_bool(a, t, v), CKR_OK);
}

static tsr_attrs *obj_of(CK_OBJECT_CLASS klass, CK_KEY_TYPE type)
{
    tsr_attrs *a = tsr_attrs_new();

    assert_non_null(a);
    put_ulong(a, CKA_CLASS, klass);
    if (type != UNAV)
        put_ulong(a, CKA_KEY_TYPE, type);
    return a;
}

static bool get_bool(const tsr_attrs *a, CK_ATTRIBUTE_TYPE t)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(a, t);

    assert_non_null(at);
    assert_int_equal(at->ulValueLen, sizeof(CK_BBOOL));
    return *(CK_BBOOL *)at->pValue == CK_TRUE;
}

static CK_ULONG get_ulong(const tsr_attrs *a, CK_ATTRIBUTE_TYPE t)
{
    CK_ULONG v = 0;

    assert_true(tsr_attrs_get_ulong(a, t, &v));
    return v;
}

static void assert_empty(const tsr_attrs *a, CK_ATTRIBUTE_TYPE t)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(a, t);

    assert_non_null(at);
    assert_int_equal(at->ulValueLen, 0);
}

static void assert_bytes(const tsr_attrs *a, CK_ATTRIBUTE_TYPE t, const void *v, size_t n)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(a, t);

    assert_non_null(at);
    assert_int_equal(at->ulValueLen, n);
    assert_memory_equal(at->pValue, v, n);
}

/* A finished RSA private key from C_CreateObject. */
static tsr_attrs *rsa_private(void)
{
    tsr_attrs *a = obj_of(CKO_PRIVATE_KEY, CKK_RSA);

    put(a, CKA_MODULUS, modulus, sizeof(modulus));
    put(a, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
    put(a, CKA_PRIVATE_EXPONENT, priv_exp, sizeof(priv_exp));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    return a;
}

static tsr_attrs *aes_key(bool sensitive, bool extractable)
{
    tsr_attrs *a = obj_of(CKO_SECRET_KEY, CKK_AES);

    put(a, CKA_VALUE, key16, sizeof(key16));
    put_bool(a, CKA_SENSITIVE, sensitive);
    put_bool(a, CKA_EXTRACTABLE, extractable);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    return a;
}

/* A one-attribute template checked for (klass, type, origin). */
static CK_RV check1(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, tsr_origin origin, CK_ATTRIBUTE_TYPE t,
                    const void *v, CK_ULONG n)
{
    tsr_attrs tmpl;
    CK_RV rv;

    tsr_attrs_init(&tmpl);
    put(&tmpl, t, v, n);
    rv = tsr_schema_check_template(&tmpl, klass, type, origin);
    tsr_attrs_clear(&tmpl);
    return rv;
}

/* One change against `cur`. */
static CK_RV change1(const tsr_attrs *cur, bool is_copy, CK_ATTRIBUTE_TYPE t, const void *v,
                     CK_ULONG n)
{
    tsr_attrs ch;
    CK_RV rv;

    tsr_attrs_init(&ch);
    put(&ch, t, v, n);
    rv = tsr_schema_check_change(cur, &ch, is_copy);
    tsr_attrs_clear(&ch);
    return rv;
}

static CK_RV change_bool(const tsr_attrs *cur, bool is_copy, CK_ATTRIBUTE_TYPE t, bool v)
{
    CK_BBOOL b = v ? CK_TRUE : CK_FALSE;

    return change1(cur, is_copy, t, &b, sizeof(b));
}

static const CK_BBOOL yes = CK_TRUE;

/* --- defaults --- */

static void test_defaults_data(void **state)
{
    tsr_attrs *a = obj_of(CKO_DATA, UNAV);

    (void)state;
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    assert_false(get_bool(a, CKA_TOKEN));
    assert_false(get_bool(a, CKA_PRIVATE));
    assert_true(get_bool(a, CKA_MODIFIABLE));
    assert_true(get_bool(a, CKA_COPYABLE));
    assert_true(get_bool(a, CKA_DESTROYABLE));
    assert_empty(a, CKA_LABEL);
    assert_empty(a, CKA_APPLICATION);
    assert_empty(a, CKA_OBJECT_ID);
    assert_empty(a, CKA_VALUE);
    assert_false(tsr_attrs_has(a, CKA_LOCAL));     /* not a key */
    assert_false(tsr_attrs_has(a, CKA_UNIQUE_ID)); /* the token layer's */
    tsr_attrs_free(a);
}

static void test_defaults_private_key(void **state)
{
    tsr_attrs *a = rsa_private();

    (void)state;
    assert_true(get_bool(a, CKA_PRIVATE));
    assert_false(get_bool(a, CKA_TOKEN));
    assert_true(get_bool(a, CKA_SENSITIVE));
    assert_false(get_bool(a, CKA_EXTRACTABLE));
    assert_true(get_bool(a, CKA_SIGN));
    assert_true(get_bool(a, CKA_DECRYPT));
    assert_false(get_bool(a, CKA_UNWRAP));
    assert_false(get_bool(a, CKA_DERIVE));
    assert_false(get_bool(a, CKA_ALWAYS_AUTHENTICATE));
    assert_false(get_bool(a, CKA_WRAP_WITH_TRUSTED));
    /* Created, not generated: no history of being sensitive. */
    assert_false(get_bool(a, CKA_LOCAL));
    assert_false(get_bool(a, CKA_ALWAYS_SENSITIVE));
    assert_false(get_bool(a, CKA_NEVER_EXTRACTABLE));
    assert_int_equal(get_ulong(a, CKA_KEY_GEN_MECHANISM), UNAV);
    assert_empty(a, CKA_ID);
    assert_empty(a, CKA_SUBJECT);
    assert_empty(a, CKA_LABEL);
    assert_false(tsr_attrs_has(a, CKA_ALLOWED_MECHANISMS));
    assert_false(tsr_attrs_has(a, CKA_MODULUS_BITS)); /* public keys only */
    tsr_attrs_free(a);
}

static void test_defaults_public_key(void **state)
{
    tsr_attrs *a = obj_of(CKO_PUBLIC_KEY, CKK_EC);

    (void)state;
    put(a, CKA_EC_PARAMS, ec_params, sizeof(ec_params));
    put(a, CKA_EC_POINT, ec_point, sizeof(ec_point));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    assert_false(get_bool(a, CKA_PRIVATE));
    assert_true(get_bool(a, CKA_VERIFY));
    assert_true(get_bool(a, CKA_ENCRYPT));
    assert_true(get_bool(a, CKA_VERIFY_RECOVER));
    assert_false(get_bool(a, CKA_WRAP));
    assert_false(get_bool(a, CKA_TRUSTED));
    assert_false(get_bool(a, CKA_LOCAL));
    assert_false(tsr_attrs_has(a, CKA_SENSITIVE));
    assert_false(tsr_attrs_has(a, CKA_ALWAYS_SENSITIVE));
    tsr_attrs_free(a);
}

static void test_defaults_given_values_kept(void **state)
{
    tsr_attrs *a = obj_of(CKO_SECRET_KEY, CKK_GENERIC_SECRET);

    (void)state;
    put(a, CKA_VALUE, key16, 5);
    put_bool(a, CKA_PRIVATE, false);
    put_bool(a, CKA_TOKEN, true);
    put_bool(a, CKA_SIGN, false);
    put(a, CKA_LABEL, "k", 1);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    assert_false(get_bool(a, CKA_PRIVATE));
    assert_true(get_bool(a, CKA_TOKEN));
    assert_false(get_bool(a, CKA_SIGN));
    assert_true(get_bool(a, CKA_VERIFY));
    assert_bytes(a, CKA_LABEL, "k", 1);
    assert_int_equal(get_ulong(a, CKA_VALUE_LEN), 5);
    tsr_attrs_free(a);
}

static void test_generate_secret(void **state)
{
    tsr_attrs *a = obj_of(CKO_SECRET_KEY, CKK_AES);

    (void)state;
    put_ulong(a, CKA_VALUE_LEN, 16);
    put(a, CKA_VALUE, key16, sizeof(key16)); /* what the mechanism made */
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_GENERATE, CKM_AES_KEY_GEN), CKR_OK);
    assert_true(get_bool(a, CKA_LOCAL));
    assert_int_equal(get_ulong(a, CKA_KEY_GEN_MECHANISM), CKM_AES_KEY_GEN);
    assert_true(get_bool(a, CKA_PRIVATE));
    assert_true(get_bool(a, CKA_SENSITIVE));
    assert_false(get_bool(a, CKA_EXTRACTABLE));
    assert_true(get_bool(a, CKA_ALWAYS_SENSITIVE));
    assert_true(get_bool(a, CKA_NEVER_EXTRACTABLE));
    assert_true(get_bool(a, CKA_ENCRYPT));
    assert_false(get_bool(a, CKA_WRAP));
    tsr_attrs_free(a);

    /* Generated, but not sensitive / extractable from the start. */
    a = obj_of(CKO_SECRET_KEY, CKK_AES);
    put_ulong(a, CKA_VALUE_LEN, 16);
    put_bool(a, CKA_SENSITIVE, false);
    put_bool(a, CKA_EXTRACTABLE, true);
    put(a, CKA_VALUE, key16, sizeof(key16));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_GENERATE, CKM_AES_KEY_GEN), CKR_OK);
    assert_false(get_bool(a, CKA_ALWAYS_SENSITIVE));
    assert_false(get_bool(a, CKA_NEVER_EXTRACTABLE));
    tsr_attrs_free(a);

    /* Unwrapped keys came from outside: never "always sensitive". */
    a = obj_of(CKO_SECRET_KEY, CKK_AES);
    put(a, CKA_VALUE, key16, sizeof(key16));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_UNWRAP, UNAV), CKR_OK);
    assert_false(get_bool(a, CKA_LOCAL));
    assert_false(get_bool(a, CKA_ALWAYS_SENSITIVE));
    assert_false(get_bool(a, CKA_NEVER_EXTRACTABLE));
    tsr_attrs_free(a);
}

static void test_secret_lengths(void **state)
{
    tsr_attrs *a = aes_key(true, false);

    (void)state;
    assert_int_equal(get_ulong(a, CKA_VALUE_LEN), sizeof(key16));
    tsr_attrs_free(a);

    a = obj_of(CKO_SECRET_KEY, CKK_AES);
    put(a, CKA_VALUE, key16, sizeof(key16));
    put_ulong(a, CKA_VALUE_LEN, 24);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCONSISTENT);
    tsr_attrs_free(a);

    a = obj_of(CKO_SECRET_KEY, CKK_AES);
    put(a, CKA_VALUE, key16, 15);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_ATTRIBUTE_VALUE_INVALID);
    tsr_attrs_free(a);

    a = obj_of(CKO_SECRET_KEY, CKK_GENERIC_SECRET);
    put(a, CKA_VALUE, NULL, 0);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_ATTRIBUTE_VALUE_INVALID);
    tsr_attrs_free(a);
}

static void test_modulus_bits(void **state)
{
    tsr_attrs *a = obj_of(CKO_PUBLIC_KEY, CKK_RSA);

    (void)state;
    put(a, CKA_MODULUS, modulus, sizeof(modulus));
    put(a, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    assert_int_equal(get_ulong(a, CKA_MODULUS_BITS), 32);
    tsr_attrs_free(a);

    a = obj_of(CKO_PUBLIC_KEY, CKK_RSA);
    put(a, CKA_MODULUS, modulus, sizeof(modulus));
    put(a, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
    put_ulong(a, CKA_MODULUS_BITS, 2048);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCONSISTENT);
    tsr_attrs_free(a);
}

static void test_always_authenticate_needs_private(void **state)
{
    tsr_attrs *a = obj_of(CKO_PRIVATE_KEY, CKK_EC);

    (void)state;
    put(a, CKA_EC_PARAMS, ec_params, sizeof(ec_params));
    put(a, CKA_VALUE, key16, sizeof(key16));
    put_bool(a, CKA_ALWAYS_AUTHENTICATE, true);
    put_bool(a, CKA_PRIVATE, false);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCONSISTENT);
    put_bool(a, CKA_PRIVATE, true);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    tsr_attrs_free(a);
}

/* --- template checks --- */

static void test_token_set_rejected(void **state)
{
    static const CK_ATTRIBUTE_TYPE types[] = {CKA_LOCAL, CKA_ALWAYS_SENSITIVE,
                                              CKA_NEVER_EXTRACTABLE};
    CK_ULONG mech = CKM_RSA_PKCS_KEY_PAIR_GEN;

    (void)state;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        assert_int_equal(check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_CREATE, types[i], &yes, 1),
                         CKR_ATTRIBUTE_READ_ONLY);
        assert_int_equal(check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_GENERATE, types[i], &yes, 1),
                         CKR_ATTRIBUTE_READ_ONLY);
    }
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_LOCAL, &yes, 1),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_KEY_GEN_MECHANISM,
                            &mech, sizeof(mech)),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_UNIQUE_ID, "1", 1),
                     CKR_ATTRIBUTE_READ_ONLY);
}

static void test_unknown_attribute(void **state)
{
    CK_ULONG kt = CKK_AES;

    (void)state;
    assert_int_equal(check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_CREATE, CKA_MODULUS, "x", 1),
                     CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_VENDOR_DEFINED, "x", 1),
                     CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(
        check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_VENDOR_DEFINED | CKA_LABEL, "x", 1),
        CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_KEY_TYPE, &kt, sizeof(kt)),
                     CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(
        check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_MODULUS_BITS, &kt, sizeof(kt)),
        CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_EC, TSR_ORIGIN_CREATE, CKA_SIGN, &yes, 1),
                     CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(check1(CKO_CERTIFICATE, UNAV, TSR_ORIGIN_CREATE, CKA_SENSITIVE, &yes, 1),
                     CKR_ATTRIBUTE_TYPE_INVALID);
}

static void test_bad_sizes(void **state)
{
    CK_ULONG four = CK_TRUE;
    CK_BBOOL two = 2;
    CK_BYTE one = 1;

    (void)state;
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_TOKEN, &four, sizeof(four)),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_TOKEN, &two, 1),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_TOKEN, NULL, 0),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_CLASS, &one, 1),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_GENERATE, CKA_VALUE_LEN, &one, 1),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_START_DATE, "2024", 4),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_START_DATE, "20240131",
                            sizeof(CK_DATE)),
                     CKR_OK);
    assert_int_equal(
        check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_CREATE, CKA_ALLOWED_MECHANISMS, "abc", 3),
        CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_DATA, UNAV, TSR_ORIGIN_CREATE, CKA_TOKEN, &yes, 1), CKR_OK);
}

static void test_class_and_type(void **state)
{
    CK_ULONG v = CKO_DATA;
    CK_ULONG cat = 4;

    (void)state;
    assert_int_equal(check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_CLASS, &v, sizeof(v)),
                     CKR_TEMPLATE_INCONSISTENT);
    v = CKO_PRIVATE_KEY;
    assert_int_equal(check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_CLASS, &v, sizeof(v)),
                     CKR_OK);
    v = CKK_EC;
    assert_int_equal(
        check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_KEY_TYPE, &v, sizeof(v)),
        CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_AES, TSR_ORIGIN_CREATE, CKA_LABEL, "x", 1),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(check1(CKO_SECRET_KEY, CKK_DES3, TSR_ORIGIN_CREATE, CKA_LABEL, "x", 1),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_HW_FEATURE, UNAV, TSR_ORIGIN_CREATE, CKA_LABEL, "x", 1),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_SECRET_KEY, UNAV, TSR_ORIGIN_CREATE, CKA_LABEL, "x", 1),
                     CKR_TEMPLATE_INCOMPLETE);
    v = CKC_X_509_ATTR_CERT;
    assert_int_equal(
        check1(CKO_CERTIFICATE, UNAV, TSR_ORIGIN_CREATE, CKA_CERTIFICATE_TYPE, &v, sizeof(v)),
        CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(check1(CKO_CERTIFICATE, UNAV, TSR_ORIGIN_CREATE, CKA_CERTIFICATE_CATEGORY,
                            &cat, sizeof(cat)),
                     CKR_ATTRIBUTE_VALUE_INVALID);
}

static void test_generate_material(void **state)
{
    CK_ULONG bits = 2048, len = 32;

    (void)state;
    assert_int_equal(
        check1(CKO_PUBLIC_KEY, CKK_RSA, TSR_ORIGIN_GENERATE, CKA_MODULUS, modulus, sizeof(modulus)),
        CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(
        check1(CKO_PUBLIC_KEY, CKK_RSA, TSR_ORIGIN_GENERATE, CKA_MODULUS_BITS, &bits, sizeof(bits)),
        CKR_OK);
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_RSA, TSR_ORIGIN_GENERATE, CKA_PUBLIC_EXPONENT,
                            exponent, sizeof(exponent)),
                     CKR_OK);
    assert_int_equal(check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_GENERATE, CKA_PUBLIC_EXPONENT,
                            exponent, sizeof(exponent)),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(check1(CKO_PRIVATE_KEY, CKK_RSA, TSR_ORIGIN_GENERATE, CKA_PRIVATE_EXPONENT,
                            priv_exp, sizeof(priv_exp)),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_EC, TSR_ORIGIN_GENERATE, CKA_EC_PARAMS, ec_params,
                            sizeof(ec_params)),
                     CKR_OK);
    assert_int_equal(check1(CKO_PRIVATE_KEY, CKK_EC_EDWARDS, TSR_ORIGIN_GENERATE, CKA_EC_PARAMS,
                            ec_params, sizeof(ec_params)),
                     CKR_OK);
    assert_int_equal(check1(CKO_PUBLIC_KEY, CKK_EC, TSR_ORIGIN_GENERATE, CKA_EC_POINT, ec_point,
                            sizeof(ec_point)),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(
        check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_GENERATE, CKA_VALUE, key16, sizeof(key16)),
        CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(
        check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_GENERATE, CKA_VALUE_LEN, &len, sizeof(len)),
        CKR_OK);
    assert_int_equal(
        check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_UNWRAP, CKA_VALUE, key16, sizeof(key16)),
        CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(check1(CKO_SECRET_KEY, CKK_GENERIC_SECRET, TSR_ORIGIN_DERIVE, CKA_VALUE, key16,
                            sizeof(key16)),
                     CKR_ATTRIBUTE_READ_ONLY);
    /* Material is what C_CreateObject is for. */
    assert_int_equal(
        check1(CKO_PUBLIC_KEY, CKK_RSA, TSR_ORIGIN_CREATE, CKA_MODULUS, modulus, sizeof(modulus)),
        CKR_OK);
    assert_int_equal(
        check1(CKO_SECRET_KEY, CKK_AES, TSR_ORIGIN_CREATE, CKA_VALUE, key16, sizeof(key16)),
        CKR_OK);
}

/* --- required attributes --- */

static void test_incomplete(void **state)
{
    tsr_attrs *a;

    (void)state;
    a = obj_of(CKO_PRIVATE_KEY, CKK_RSA); /* no modulus */
    put(a, CKA_PRIVATE_EXPONENT, priv_exp, sizeof(priv_exp));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = obj_of(CKO_PRIVATE_KEY, CKK_RSA); /* no private exponent */
    put(a, CKA_MODULUS, modulus, sizeof(modulus));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = obj_of(CKO_PUBLIC_KEY, CKK_RSA); /* no public exponent */
    put(a, CKA_MODULUS, modulus, sizeof(modulus));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = obj_of(CKO_PUBLIC_KEY, CKK_EC_MONTGOMERY); /* no point */
    put(a, CKA_EC_PARAMS, ec_params, sizeof(ec_params));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = obj_of(CKO_PRIVATE_KEY, CKK_EC); /* no params */
    put(a, CKA_VALUE, key16, sizeof(key16));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_GENERATE, CKM_EC_KEY_PAIR_GEN),
                     CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = obj_of(CKO_SECRET_KEY, CKK_AES); /* no value */
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = obj_of(CKO_PUBLIC_KEY, CKK_RSA); /* generated without CKA_MODULUS_BITS asked */
    put(a, CKA_MODULUS, modulus, sizeof(modulus));
    put(a, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_GENERATE, CKM_RSA_PKCS_KEY_PAIR_GEN),
                     CKR_TEMPLATE_INCOMPLETE);
    put_ulong(a, CKA_MODULUS_BITS, 32);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_GENERATE, CKM_RSA_PKCS_KEY_PAIR_GEN), CKR_OK);
    assert_true(get_bool(a, CKA_LOCAL));
    assert_int_equal(get_ulong(a, CKA_KEY_GEN_MECHANISM), CKM_RSA_PKCS_KEY_PAIR_GEN);
    tsr_attrs_free(a);

    a = obj_of(CKO_CERTIFICATE, UNAV); /* no value, no type */
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = tsr_attrs_new(); /* no class */
    assert_non_null(a);
    put(a, CKA_LABEL, "x", 1);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);

    a = tsr_attrs_new(); /* a class of the wrong size */
    assert_non_null(a);
    put(a, CKA_CLASS, "\0", 1);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_ATTRIBUTE_VALUE_INVALID);
    tsr_attrs_free(a);

    a = tsr_attrs_new(); /* a key without a key type */
    assert_non_null(a);
    put_ulong(a, CKA_CLASS, CKO_SECRET_KEY);
    put(a, CKA_VALUE, key16, sizeof(key16));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    tsr_attrs_free(a);
}

/* --- certificates --- */

typedef struct cert_fixture {
    X509 *x;
    unsigned char *der;
    int len;
} cert_fixture;

static int cert_setup(void **state)
{
    cert_fixture *f = calloc(1, sizeof(*f));
    EVP_PKEY *k = EVP_PKEY_Q_keygen(tsr_ossl_ctx(), NULL, "EC", "P-256");
    X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
    int ok;

    ok = f != NULL && k != NULL && subj != NULL && iss != NULL;
    ok = ok && (f->x = X509_new_ex(tsr_ossl_ctx(), NULL)) != NULL;
    ok = ok && X509_set_version(f->x, X509_VERSION_3);
    ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(f->x), 0x7a5e55e7);
    ok = ok && X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
                                          (const unsigned char *)"Tessera test", -1, -1, 0);
    ok = ok && X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC,
                                          (const unsigned char *)"Tessera issuer", -1, -1, 0);
    ok = ok && X509_set_subject_name(f->x, subj) && X509_set_issuer_name(f->x, iss);
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(f->x), 0) != NULL;
    ok = ok && X509_gmtime_adj(X509_getm_notAfter(f->x), 3600) != NULL;
    ok = ok && X509_set_pubkey(f->x, k);
    ok = ok && X509_sign(f->x, k, EVP_sha256()) > 0;
    ok = ok && (f->len = i2d_X509(f->x, &f->der)) > 0;
    X509_NAME_free(subj);
    X509_NAME_free(iss);
    EVP_PKEY_free(k);
    *state = f;
    return ok ? 0 : -1;
}

static int cert_teardown(void **state)
{
    cert_fixture *f = *state;

    if (f != NULL) {
        X509_free(f->x);
        OPENSSL_free(f->der);
        free(f);
    }
    return 0;
}

static tsr_attrs *cert_obj(const void *der, CK_ULONG len)
{
    tsr_attrs *a = obj_of(CKO_CERTIFICATE, UNAV);

    put_ulong(a, CKA_CERTIFICATE_TYPE, CKC_X_509);
    put(a, CKA_VALUE, der, len);
    return a;
}

/* `type` in `a` equals what an OpenSSL i2d function makes of the part. */
#define ASSERT_DER(a, type, i2d, part)                                                             \
    do {                                                                                           \
        unsigned char *d_ = NULL;                                                                  \
        int n_ = i2d(part, &d_);                                                                   \
        assert_true(n_ > 0);                                                                       \
        assert_bytes(a, type, d_, (size_t)n_);                                                     \
        OPENSSL_free(d_);                                                                          \
    } while (0)

static void test_cert_fills(void **state)
{
    cert_fixture *f = *state;
    tsr_attrs *a = cert_obj(f->der, (CK_ULONG)f->len);
    unsigned char md[EVP_MAX_MD_SIZE];

    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    ASSERT_DER(a, CKA_SUBJECT, i2d_X509_NAME, X509_get_subject_name(f->x));
    ASSERT_DER(a, CKA_ISSUER, i2d_X509_NAME, X509_get_issuer_name(f->x));
    ASSERT_DER(a, CKA_SERIAL_NUMBER, i2d_ASN1_INTEGER, X509_get0_serialNumber(f->x));
    ASSERT_DER(a, CKA_PUBLIC_KEY_INFO, i2d_X509_PUBKEY, X509_get_X509_PUBKEY(f->x));
    assert_true(EVP_Digest(f->der, (size_t)f->len, md, NULL, EVP_sha1(), NULL));
    assert_bytes(a, CKA_CHECK_VALUE, md, 3);
    assert_int_equal(get_ulong(a, CKA_CERTIFICATE_CATEGORY), CK_CERTIFICATE_CATEGORY_UNSPECIFIED);
    assert_int_equal(get_ulong(a, CKA_JAVA_MIDP_SECURITY_DOMAIN), CK_SECURITY_DOMAIN_UNSPECIFIED);
    assert_false(get_bool(a, CKA_TRUSTED));
    assert_false(get_bool(a, CKA_PRIVATE));
    assert_empty(a, CKA_ID);
    assert_empty(a, CKA_URL);
    assert_false(tsr_attrs_has(a, CKA_LOCAL));
    tsr_attrs_free(a);
}

static void test_cert_keeps_given(void **state)
{
    cert_fixture *f = *state;
    tsr_attrs *a = cert_obj(f->der, (CK_ULONG)f->len);

    put(a, CKA_SUBJECT, "nss", 3);
    put(a, CKA_ID, "id", 2);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    assert_bytes(a, CKA_SUBJECT, "nss", 3);
    assert_bytes(a, CKA_ID, "id", 2);
    ASSERT_DER(a, CKA_ISSUER, i2d_X509_NAME, X509_get_issuer_name(f->x));
    tsr_attrs_free(a);
}

static void test_cert_garbage(void **state)
{
    cert_fixture *f = *state;
    unsigned char *longer = malloc((size_t)f->len + 1);
    tsr_attrs *a;

    assert_non_null(longer);
    a = cert_obj("garbage", 7);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_ATTRIBUTE_VALUE_INVALID);
    tsr_attrs_free(a);

    memcpy(longer, f->der, (size_t)f->len);
    longer[f->len] = 0;
    a = cert_obj(longer, (CK_ULONG)f->len + 1); /* trailing byte */
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_ATTRIBUTE_VALUE_INVALID);
    tsr_attrs_free(a);

    a = cert_obj(f->der, (CK_ULONG)f->len - 1); /* truncated */
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_ATTRIBUTE_VALUE_INVALID);
    tsr_attrs_free(a);

    a = cert_obj(NULL, 0); /* empty without a URL */
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_ATTRIBUTE_VALUE_INVALID);
    put(a, CKA_URL, "http://x/c.der", 14); /* a URL certificate still needs its subject */
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_TEMPLATE_INCOMPLETE);
    put(a, CKA_SUBJECT, "s", 1);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    tsr_attrs_free(a);
    free(longer);
}

static void test_cert_trusted(void **state)
{
    cert_fixture *f = *state;
    tsr_attrs *a = cert_obj(f->der, (CK_ULONG)f->len);
    tsr_attrs tmpl;

    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_CREATE, UNAV), CKR_OK);
    assert_int_equal(change1(a, false, CKA_ID, "new", 3), CKR_OK);
    assert_int_equal(change1(a, false, CKA_SUBJECT, "new", 3), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, false, CKA_VALUE, "new", 3), CKR_ATTRIBUTE_READ_ONLY);
    put_bool(a, CKA_TRUSTED, true);
    assert_int_equal(change1(a, false, CKA_LABEL, "new", 3), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_TRUSTED, false), CKR_OK);

    tsr_attrs_init(&tmpl);
    put_bool(&tmpl, CKA_TRUSTED, true);
    assert_true(tsr_schema_needs_so(&tmpl));
    put_bool(&tmpl, CKA_TRUSTED, false);
    assert_false(tsr_schema_needs_so(&tmpl));
    put_bool(&tmpl, CKA_SENSITIVE, true);
    assert_false(tsr_schema_needs_so(&tmpl));
    tsr_attrs_clear(&tmpl);
    tsr_attrs_free(a);
}

/* --- changes --- */

static void test_change_sensitive(void **state)
{
    tsr_attrs *a = aes_key(true, false);

    (void)state;
    assert_int_equal(change_bool(a, false, CKA_SENSITIVE, false), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, true, CKA_SENSITIVE, false), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_SENSITIVE, true), CKR_OK); /* no change */
    tsr_attrs_free(a);

    a = aes_key(false, true);
    assert_int_equal(change_bool(a, false, CKA_SENSITIVE, true), CKR_OK);
    tsr_attrs_free(a);
}

static void test_change_extractable(void **state)
{
    tsr_attrs *a = aes_key(true, false);

    (void)state;
    assert_int_equal(change_bool(a, false, CKA_EXTRACTABLE, true), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, true, CKA_EXTRACTABLE, true), CKR_ATTRIBUTE_READ_ONLY);
    tsr_attrs_free(a);

    a = aes_key(true, true);
    assert_int_equal(change_bool(a, false, CKA_EXTRACTABLE, false), CKR_OK);
    tsr_attrs_free(a);
}

static void test_change_modifiable(void **state)
{
    tsr_attrs *a = rsa_private();

    (void)state;
    assert_int_equal(change_bool(a, false, CKA_MODIFIABLE, false), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, true, CKA_MODIFIABLE, false), CKR_OK);
    put_bool(a, CKA_MODIFIABLE, false);
    /* Any set at all is refused, even of a harmless attribute. */
    assert_int_equal(change1(a, false, CKA_LABEL, "x", 1), CKR_ACTION_PROHIBITED);
    assert_int_equal(change_bool(a, false, CKA_SIGN, false), CKR_ACTION_PROHIBITED);
    /* Its copy may move (token, private) but not otherwise differ, nor become modifiable. */
    assert_int_equal(change_bool(a, true, CKA_TOKEN, true), CKR_OK);
    assert_int_equal(change1(a, true, CKA_LABEL, "x", 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, true, CKA_MODIFIABLE, true), CKR_ATTRIBUTE_READ_ONLY);
    tsr_attrs_free(a);
}

static void test_change_fixed(void **state)
{
    tsr_attrs *a = rsa_private();
    CK_ULONG v = CKO_SECRET_KEY;

    (void)state;
    assert_int_equal(change1(a, false, CKA_CLASS, &v, sizeof(v)), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, true, CKA_CLASS, &v, sizeof(v)), CKR_ATTRIBUTE_READ_ONLY);
    v = CKO_PRIVATE_KEY; /* not even to the value it has */
    assert_int_equal(change1(a, false, CKA_CLASS, &v, sizeof(v)), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, true, CKA_CLASS, &v, sizeof(v)), CKR_ATTRIBUTE_READ_ONLY);
    v = CKK_EC;
    assert_int_equal(change1(a, false, CKA_KEY_TYPE, &v, sizeof(v)), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, false, CKA_MODULUS, "m", 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, false, CKA_PRIVATE_EXPONENT, "d", 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_LOCAL, true), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_ALWAYS_SENSITIVE, true), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_ALWAYS_AUTHENTICATE, true), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, false, CKA_UNIQUE_ID, "u", 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, false, CKA_EC_POINT, "p", 1), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(change1(a, false, CKA_VENDOR_DEFINED, "p", 1), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(change1(a, false, CKA_SIGN, "pp", 2), CKR_ATTRIBUTE_VALUE_INVALID);
    tsr_attrs_free(a);
}

static void test_change_copy(void **state)
{
    tsr_attrs *a = rsa_private();

    (void)state;
    assert_int_equal(change_bool(a, true, CKA_TOKEN, true), CKR_OK);
    assert_int_equal(change_bool(a, true, CKA_PRIVATE, false), CKR_OK);
    assert_int_equal(change1(a, true, CKA_LABEL, "copy", 4), CKR_OK);
    assert_int_equal(change_bool(a, false, CKA_TOKEN, true), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_PRIVATE, false), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, false, CKA_LABEL, "set", 3), CKR_OK);
    assert_int_equal(change1(a, false, CKA_ID, "id", 2), CKR_OK);
    assert_int_equal(change_bool(a, false, CKA_SIGN, false), CKR_OK);
    assert_int_equal(change_bool(a, false, CKA_WRAP_WITH_TRUSTED, true), CKR_OK);

    assert_int_equal(change_bool(a, false, CKA_COPYABLE, false), CKR_OK);
    assert_int_equal(change_bool(a, false, CKA_DESTROYABLE, false), CKR_OK);
    put_bool(a, CKA_COPYABLE, false);
    put_bool(a, CKA_DESTROYABLE, false);
    put_bool(a, CKA_WRAP_WITH_TRUSTED, true);
    assert_int_equal(change_bool(a, false, CKA_COPYABLE, true), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_DESTROYABLE, true), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change_bool(a, false, CKA_WRAP_WITH_TRUSTED, false), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(change1(a, true, CKA_LABEL, "copy", 4), CKR_ACTION_PROHIBITED);
    tsr_attrs_free(a);
}

static void test_copy_finish(void **state)
{
    tsr_attrs *a = obj_of(CKO_SECRET_KEY, CKK_AES);

    (void)state;
    put_ulong(a, CKA_VALUE_LEN, 16);
    put(a, CKA_VALUE, key16, sizeof(key16));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_GENERATE, CKM_AES_KEY_GEN), CKR_OK);
    /* The copy keeps its history; only a change can spoil it. */
    put_bool(a, CKA_TOKEN, true);
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_COPY, UNAV), CKR_OK);
    assert_true(get_bool(a, CKA_LOCAL));
    assert_true(get_bool(a, CKA_ALWAYS_SENSITIVE));
    assert_true(get_bool(a, CKA_NEVER_EXTRACTABLE));
    assert_int_equal(get_ulong(a, CKA_KEY_GEN_MECHANISM), CKM_AES_KEY_GEN);
    tsr_attrs_free(a);
}

static void test_after_change(void **state)
{
    tsr_attrs *a = obj_of(CKO_SECRET_KEY, CKK_AES);

    (void)state;
    put_ulong(a, CKA_VALUE_LEN, 16);
    put(a, CKA_VALUE, key16, sizeof(key16));
    assert_int_equal(tsr_schema_finish(a, TSR_ORIGIN_GENERATE, CKM_AES_KEY_GEN), CKR_OK);
    assert_true(get_bool(a, CKA_ALWAYS_SENSITIVE));

    /* A change (by whatever path) that left it not sensitive, then extractable. */
    put_bool(a, CKA_SENSITIVE, false);
    assert_int_equal(tsr_schema_after_change(a), CKR_OK);
    assert_false(get_bool(a, CKA_ALWAYS_SENSITIVE));
    assert_true(get_bool(a, CKA_NEVER_EXTRACTABLE));
    put_bool(a, CKA_EXTRACTABLE, true);
    assert_int_equal(tsr_schema_after_change(a), CKR_OK);
    assert_false(get_bool(a, CKA_NEVER_EXTRACTABLE));

    /* Becoming sensitive again does not rewrite the past. */
    put_bool(a, CKA_SENSITIVE, true);
    put_bool(a, CKA_EXTRACTABLE, false);
    assert_int_equal(tsr_schema_after_change(a), CKR_OK);
    assert_false(get_bool(a, CKA_ALWAYS_SENSITIVE));
    assert_false(get_bool(a, CKA_NEVER_EXTRACTABLE));
    tsr_attrs_free(a);

    /* Objects without those attributes are left alone. */
    a = obj_of(CKO_DATA, UNAV);
    assert_int_equal(tsr_schema_after_change(a), CKR_OK);
    assert_false(tsr_attrs_has(a, CKA_ALWAYS_SENSITIVE));
    tsr_attrs_free(a);
}

/* --- the questions --- */

static void test_is_secret(void **state)
{
    static const struct {
        CK_OBJECT_CLASS klass;
        CK_ATTRIBUTE_TYPE type;
        bool secret;
    } rows[] = {
        {CKO_PRIVATE_KEY, CKA_PRIVATE_EXPONENT, true},
        {CKO_PRIVATE_KEY, CKA_PRIME_1, true},
        {CKO_PRIVATE_KEY, CKA_PRIME_2, true},
        {CKO_PRIVATE_KEY, CKA_EXPONENT_1, true},
        {CKO_PRIVATE_KEY, CKA_EXPONENT_2, true},
        {CKO_PRIVATE_KEY, CKA_COEFFICIENT, true},
        {CKO_PRIVATE_KEY, CKA_VALUE, true},
        {CKO_SECRET_KEY, CKA_VALUE, true},
        {CKO_PRIVATE_KEY, CKA_MODULUS, false},
        {CKO_PRIVATE_KEY, CKA_PUBLIC_EXPONENT, false},
        {CKO_PRIVATE_KEY, CKA_EC_PARAMS, false},
        {CKO_PRIVATE_KEY, CKA_LABEL, false},
        {CKO_PUBLIC_KEY, CKA_MODULUS, false},
        {CKO_PUBLIC_KEY, CKA_EC_POINT, false},
        {CKO_SECRET_KEY, CKA_VALUE_LEN, false},
        {CKO_DATA, CKA_VALUE, false},
        {CKO_CERTIFICATE, CKA_VALUE, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(tsr_schema_is_secret(rows[i].klass, rows[i].type), rows[i].secret);
}

static void test_is_sensitive(void **state)
{
    static const struct {
        bool sensitive, extractable, hidden;
    } rows[] = {
        {true, false, true},
        {true, true, true},
        {false, false, true},
        {false, true, false},
    };
    tsr_attrs *a;

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        a = aes_key(rows[i].sensitive, rows[i].extractable);
        assert_int_equal(tsr_schema_is_sensitive(a, CKA_VALUE), rows[i].hidden);
        assert_false(tsr_schema_is_sensitive(a, CKA_VALUE_LEN));
        assert_false(tsr_schema_is_sensitive(a, CKA_LABEL));
        tsr_attrs_free(a);
    }
    a = rsa_private();
    assert_true(tsr_schema_is_sensitive(a, CKA_PRIVATE_EXPONENT));
    assert_false(tsr_schema_is_sensitive(a, CKA_MODULUS));
    assert_false(tsr_schema_is_sensitive(a, CKA_PUBLIC_EXPONENT));
    tsr_attrs_free(a);
    a = obj_of(CKO_DATA, UNAV);
    put_bool(a, CKA_PRIVATE, true);
    assert_false(tsr_schema_is_sensitive(a, CKA_VALUE));
    tsr_attrs_free(a);
}

static void test_is_known(void **state)
{
    tsr_attrs *a = rsa_private();

    (void)state;
    assert_true(tsr_schema_is_known(a, CKA_MODULUS));
    assert_true(tsr_schema_is_known(a, CKA_PRIME_1));
    assert_true(tsr_schema_is_known(a, CKA_SIGN));
    assert_true(tsr_schema_is_known(a, CKA_LABEL));
    assert_true(tsr_schema_is_known(a, CKA_UNIQUE_ID));
    assert_true(tsr_schema_is_known(a, CKA_ALLOWED_MECHANISMS));
    assert_false(tsr_schema_is_known(a, CKA_MODULUS_BITS));
    assert_false(tsr_schema_is_known(a, CKA_EC_POINT));
    assert_false(tsr_schema_is_known(a, CKA_ENCRYPT));
    assert_false(tsr_schema_is_known(a, CKA_VALUE));
    assert_false(tsr_schema_is_known(a, CKA_VENDOR_DEFINED));
    tsr_attrs_free(a);

    a = obj_of(CKO_PUBLIC_KEY, CKK_EC_EDWARDS);
    assert_true(tsr_schema_is_known(a, CKA_EC_POINT));
    assert_true(tsr_schema_is_known(a, CKA_VERIFY));
    assert_false(tsr_schema_is_known(a, CKA_VALUE));
    assert_false(tsr_schema_is_known(a, CKA_SENSITIVE));
    tsr_attrs_free(a);

    a = obj_of(CKO_DATA, UNAV);
    assert_true(tsr_schema_is_known(a, CKA_APPLICATION));
    assert_true(tsr_schema_is_known(a, CKA_VALUE));
    assert_false(tsr_schema_is_known(a, CKA_KEY_TYPE));
    assert_false(tsr_schema_is_known(a, CKA_ID));
    tsr_attrs_free(a);

    a = tsr_attrs_new();
    assert_non_null(a);
    assert_false(tsr_schema_is_known(a, CKA_LABEL)); /* no class at all */
    tsr_attrs_free(a);
}

static int group_setup(void **state)
{
    (void)state;
    return tsr_ossl_init() == CKR_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_data),
        cmocka_unit_test(test_defaults_private_key),
        cmocka_unit_test(test_defaults_public_key),
        cmocka_unit_test(test_defaults_given_values_kept),
        cmocka_unit_test(test_generate_secret),
        cmocka_unit_test(test_secret_lengths),
        cmocka_unit_test(test_modulus_bits),
        cmocka_unit_test(test_always_authenticate_needs_private),
        cmocka_unit_test(test_token_set_rejected),
        cmocka_unit_test(test_unknown_attribute),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_class_and_type),
        cmocka_unit_test(test_generate_material),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test_setup_teardown(test_cert_fills, cert_setup, cert_teardown),
        cmocka_unit_test_setup_teardown(test_cert_keeps_given, cert_setup, cert_teardown),
        cmocka_unit_test_setup_teardown(test_cert_garbage, cert_setup, cert_teardown),
        cmocka_unit_test_setup_teardown(test_cert_trusted, cert_setup, cert_teardown),
        cmocka_unit_test(test_change_sensitive),
        cmocka_unit_test(test_change_extractable),
        cmocka_unit_test(test_change_modifiable),
        cmocka_unit_test(test_change_fixed),
        cmocka_unit_test(test_change_copy),
        cmocka_unit_test(test_copy_finish),
        cmocka_unit_test(test_after_change),
        cmocka_unit_test(test_is_secret),
        cmocka_unit_test(test_is_sensitive),
        cmocka_unit_test(test_is_known),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
