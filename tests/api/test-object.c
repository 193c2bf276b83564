/* Objects: creation, the C_GetAttributeValue protocol, visibility, search,
 * session objects. */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api.h"

static CK_SLOT_ID slot;
static CK_SESSION_HANDLE user; /* read-write, logged in as the user */
static CK_SESSION_HANDLE ro;   /* read-only, same application */

static CK_OBJECT_CLASS data_class = CKO_DATA;

static int setup_objects(void **state)
{
    api_setup(state);
    slot = api_new_token(TOKEN_LABEL, true);
    user = api_user_session(slot);
    ro = api_open(slot, false);
    return 0;
}

/* A data object: token or session, private or public. */
static CK_OBJECT_HANDLE make_data(CK_SESSION_HANDLE s, const char *label, const void *value,
                                  CK_ULONG value_len, bool token, bool private_)
{
    CK_BBOOL tok = token, priv = private_;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, data_class),
        ATTR_VAR(CKA_TOKEN, tok),
        ATTR_VAR(CKA_PRIVATE, priv),
        ATTR_STR(CKA_LABEL, label),
        ATTR_STR(CKA_APPLICATION, "tessera-api"),
        {CKA_VALUE, (void *)value, value_len},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    assert_int_not_equal(h, CK_INVALID_HANDLE);
    return h;
}

static void assert_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                        const void *want, CK_ULONG want_len)
{
    unsigned char *val;
    CK_ULONG len;

    assert_rv(api_get_attr(s, o, type, &val, &len), CKR_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(val, want, want_len);
    free(val);
}

static CK_ULONG find_label(CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *out)
{
    CK_ATTRIBUTE t[] = {ATTR_STR(CKA_LABEL, label)};

    return api_find(s, t, COUNT(t), out, out != NULL ? 1 : 0);
}

static void test_data_object(void **state)
{
    CK_OBJECT_HANDLE h = make_data(user, "data-1", "hello", 5, true, false), found;

    assert_int_equal(api_get_ulong(user, h, CKA_CLASS), CKO_DATA);
    assert_true(api_get_bool(user, h, CKA_TOKEN));
    assert_false(api_get_bool(user, h, CKA_PRIVATE));
    assert_true(api_get_bool(user, h, CKA_MODIFIABLE));
    assert_attr(user, h, CKA_LABEL, "data-1", 6);
    assert_attr(user, h, CKA_APPLICATION, "tessera-api", 11);
    assert_attr(user, h, CKA_VALUE, "hello", 5);
    assert_int_equal(find_label(ro, "data-1", &found), 1);
    assert_int_equal(found, h);

    /* A token object outlives the module; a public one needs no login. */
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    ro = api_open(api_token_slot(TOKEN_LABEL), false);
    assert_int_equal(find_label(ro, "data-1", &found), 1);
    assert_attr(ro, found, CKA_VALUE, "hello", 5);
}

/* A self-signed P-256 certificate; the DER pieces PKCS#11 wants. */
struct cert {
    unsigned char *der, *subject, *serial;
    int der_len, subject_len, serial_len;
};

static void make_cert(struct cert *c)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();

    assert_non_null(key);
    assert_non_null(x);
    assert_non_null(name);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Tessera Test", -1,
                               -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);

    c->der = c->subject = c->serial = NULL;
    c->der_len = i2d_X509(x, &c->der);
    c->subject_len = i2d_X509_NAME(name, &c->subject);
    c->serial_len = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &c->serial);
    assert_true(c->der_len > 0 && c->subject_len > 0 && c->serial_len > 0);
    X509_NAME_free(name);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void free_cert(struct cert *c)
{
    OPENSSL_free(c->der);
    OPENSSL_free(c->subject);
    OPENSSL_free(c->serial);
}

static void test_certificate(void **state)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ctype = CKC_X_509;
    CK_BYTE id[] = {1, 2, 3, 4};
    struct cert c;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, found = CK_INVALID_HANDLE;

    make_cert(&c);
    {
        CK_ATTRIBUTE t[] = {
            ATTR_VAR(CKA_CLASS, cls),
            ATTR_VAR(CKA_CERTIFICATE_TYPE, ctype),
            ATTR_VAR(CKA_TOKEN, api_true),
            ATTR_STR(CKA_LABEL, "cert-1"),
            ATTR_VAR(CKA_ID, id),
            {CKA_SUBJECT, c.subject, c.subject_len},
            {CKA_ISSUER, c.subject, c.subject_len},
            {CKA_SERIAL_NUMBER, c.serial, c.serial_len},
            {CKA_VALUE, c.der, c.der_len},
        };
        CK_ATTRIBUTE by_id[] = {ATTR_VAR(CKA_CLASS, cls), ATTR_VAR(CKA_ID, id)};
        CK_ATTRIBUTE by_subject[] = {{CKA_SUBJECT, c.subject, c.subject_len}};
        CK_ATTRIBUTE by_issuer_serial[] = {{CKA_ISSUER, c.subject, c.subject_len},
                                           {CKA_SERIAL_NUMBER, c.serial, c.serial_len}};
        CK_ATTRIBUTE by_value[] = {{CKA_VALUE, c.der, c.der_len}};

        assert_rv(p11->C_CreateObject(user, t, COUNT(t), &h), CKR_OK);
        assert_false(api_get_bool(user, h, CKA_PRIVATE));
        assert_attr(user, h, CKA_VALUE, c.der, c.der_len);

        /* Everything NSS looks certificates up by, and without login. */
        assert_rv(p11->C_Logout(user), CKR_OK);
        assert_int_equal(api_find(ro, by_id, COUNT(by_id), &found, 1), 1);
        assert_int_equal(found, h);
        assert_int_equal(api_find(ro, by_subject, COUNT(by_subject), &found, 1), 1);
        assert_int_equal(api_find(ro, by_issuer_serial, COUNT(by_issuer_serial), &found, 1), 1);
        assert_int_equal(api_find(ro, by_value, COUNT(by_value), &found, 1), 1);
        assert_int_equal(find_label(ro, "cert-1", &found), 1);
        assert_int_equal(found, h);
    }
    free_cert(&c);
}

/* Section 5.7.5: every entry is answered, the call reports a failing one. */
static void test_get_attribute_protocol(void **state)
{
    unsigned char value[100], vbuf[100], lbuf[64];
    CK_OBJECT_HANDLE h;
    CK_ULONG i;

    for (i = 0; i < sizeof(value); i++)
        value[i] = (unsigned char)i;
    h = make_data(user, "label-xyz", value, sizeof(value), true, false);
    {
        CK_ATTRIBUTE lengths[] = {{CKA_LABEL, NULL, 0}, {CKA_VALUE, NULL, 0}};
        CK_ATTRIBUTE small[] = {{CKA_LABEL, lbuf, 3}, {CKA_VALUE, vbuf, sizeof(vbuf)}};
        CK_ATTRIBUTE unknown[] = {{CKA_MODULUS, vbuf, sizeof(vbuf)},
                                  {CKA_LABEL, lbuf, sizeof(lbuf)},
                                  {0x0fff1234UL, vbuf, sizeof(vbuf)}};

        assert_rv(p11->C_GetAttributeValue(user, h, lengths, COUNT(lengths)), CKR_OK);
        assert_int_equal(lengths[0].ulValueLen, 9);
        assert_int_equal(lengths[1].ulValueLen, sizeof(value));

        memset(vbuf, 0, sizeof(vbuf));
        assert_rv(p11->C_GetAttributeValue(user, h, small, COUNT(small)), CKR_BUFFER_TOO_SMALL);
        assert_int_equal(small[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        assert_int_equal(small[1].ulValueLen, sizeof(value));
        assert_memory_equal(vbuf, value, sizeof(value));

        assert_rv(p11->C_GetAttributeValue(user, h, unknown, COUNT(unknown)),
                  CKR_ATTRIBUTE_TYPE_INVALID);
        assert_int_equal(unknown[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        assert_int_equal(unknown[1].ulValueLen, 9);
        assert_memory_equal(lbuf, "label-xyz", 9);
        assert_int_equal(unknown[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    }
    assert_rv(p11->C_GetAttributeValue(user, h, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetAttributeValue(user, h, NULL, 0), CKR_OK);
    assert_rv(p11->C_GetAttributeValue(user, 0x7fff0001UL, NULL, 0), CKR_OBJECT_HANDLE_INVALID);
}

/* An imported P-256 private key with a known scalar. */
static void test_sensitive(void **state)
{
    static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_BYTE scalar[32], buf[64], lbuf[32];
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

    memset(scalar, 0x11, sizeof(scalar));
    {
        CK_ATTRIBUTE t[] = {
            ATTR_VAR(CKA_CLASS, cls),           ATTR_VAR(CKA_KEY_TYPE, kt),
            ATTR_VAR(CKA_TOKEN, api_true),      ATTR_VAR(CKA_PRIVATE, api_true),
            ATTR_VAR(CKA_SENSITIVE, api_true),  ATTR_VAR(CKA_SIGN, api_true),
            ATTR_STR(CKA_LABEL, "ec-imported"), ATTR_VAR(CKA_EC_PARAMS, p256),
            ATTR_VAR(CKA_VALUE, scalar),
        };
        CK_ATTRIBUTE get[] = {{CKA_VALUE, buf, sizeof(buf)}, {CKA_LABEL, lbuf, sizeof(lbuf)}};

        assert_rv(p11->C_CreateObject(user, t, COUNT(t), &h), CKR_OK);
        assert_rv(p11->C_GetAttributeValue(user, h, get, COUNT(get)), CKR_ATTRIBUTE_SENSITIVE);
        assert_int_equal(get[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        assert_int_equal(get[1].ulValueLen, 11);
        assert_memory_equal(lbuf, "ec-imported", 11);
    }
    assert_true(api_get_bool(user, h, CKA_SENSITIVE));
    assert_true(api_get_bool(user, h, CKA_PRIVATE));
    assert_attr(user, h, CKA_EC_PARAMS, p256, sizeof(p256));
    assert_false(api_get_bool(user, h, CKA_LOCAL));
    /* Once sensitive, always sensitive. */
    {
        CK_ATTRIBUTE unset[] = {ATTR_VAR(CKA_SENSITIVE, api_false)};

        assert_rv(p11->C_SetAttributeValue(user, h, unset, 1), CKR_ATTRIBUTE_READ_ONLY);
    }
}

static void test_private_objects(void **state)
{
    CK_ATTRIBUTE by_class[] = {ATTR_VAR(CKA_CLASS, data_class)};
    CK_OBJECT_HANDLE found[4];
    CK_OBJECT_HANDLE pub = make_data(user, "public-data", "p", 1, true, false);
    CK_OBJECT_HANDLE priv = make_data(user, "secret-data", "s", 1, true, true);

    assert_int_equal(api_find(ro, by_class, COUNT(by_class), found, COUNT(found)), 2);
    assert_rv(p11->C_Logout(user), CKR_OK);
    assert_int_equal(api_find(ro, by_class, COUNT(by_class), found, COUNT(found)), 1);
    assert_int_equal(found[0], pub);
    assert_int_equal(find_label(user, "secret-data", NULL), 0);

    /* Private objects need a login to be created, token objects a RW session. */
    {
        CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data_class), ATTR_VAR(CKA_TOKEN, api_true),
                            ATTR_VAR(CKA_PRIVATE, api_true)};
        CK_ATTRIBUTE t_ro[] = {ATTR_VAR(CKA_CLASS, data_class), ATTR_VAR(CKA_TOKEN, api_true)};
        CK_OBJECT_HANDLE h;

        assert_rv(p11->C_CreateObject(user, t, COUNT(t), &h), CKR_USER_NOT_LOGGED_IN);
        assert_rv(p11->C_CreateObject(ro, t_ro, COUNT(t_ro), &h), CKR_SESSION_READ_ONLY);
    }

    assert_rv(p11->C_Login(user, CKU_USER, PIN(USER_PIN)), CKR_OK);
    assert_int_equal(find_label(ro, "secret-data", found), 1);
    assert_int_equal(found[0], priv);
}

static void test_find(void **state)
{
    CK_BYTE id2[] = {0xa2};
    CK_ATTRIBUTE t1[] = {ATTR_VAR(CKA_CLASS, data_class), ATTR_VAR(CKA_TOKEN, api_true),
                         ATTR_STR(CKA_LABEL, "find-me")};
    CK_ATTRIBUTE by_label[] = {ATTR_STR(CKA_LABEL, "find-me")};
    CK_ATTRIBUTE by_class[] = {ATTR_VAR(CKA_CLASS, data_class)};
    CK_ATTRIBUTE by_nothing_known[] = {{0x0fff1234UL, id2, sizeof(id2)}};
    CK_ATTRIBUTE by_missing_label[] = {ATTR_STR(CKA_LABEL, "no-such-label")};
    CK_OBJECT_HANDLE a, b, c, found[8];
    CK_ULONG n = 0, total = 0;

    assert_rv(p11->C_CreateObject(user, t1, COUNT(t1), &a), CKR_OK);
    assert_rv(p11->C_CreateObject(user, t1, COUNT(t1), &b), CKR_OK);
    c = make_data(user, "other", "x", 1, true, false);
    assert_int_not_equal(a, b);

    assert_int_equal(api_find(user, by_label, COUNT(by_label), found, COUNT(found)), 2);
    assert_true((found[0] == a && found[1] == b) || (found[0] == b && found[1] == a));
    assert_int_equal(api_find(user, by_class, COUNT(by_class), found, COUNT(found)), 3);
    assert_int_equal(api_find(user, NULL, 0, found, COUNT(found)), 3);
    assert_int_equal(api_find(user, by_missing_label, 1, found, COUNT(found)), 0);
    /* NSS searches on attributes a token may not know: nothing, not an error. */
    assert_int_equal(api_find(user, by_nothing_known, 1, found, COUNT(found)), 0);
    (void)c;

    /* One at a time. */
    assert_rv(p11->C_FindObjectsInit(user, by_class, 1), CKR_OK);
    assert_rv(p11->C_FindObjectsInit(user, by_class, 1), CKR_OPERATION_ACTIVE);
    do {
        assert_rv(p11->C_FindObjects(user, found, 1, &n), CKR_OK);
        total += n;
    } while (n == 1);
    assert_int_equal(total, 3);
    assert_rv(p11->C_FindObjectsFinal(user), CKR_OK);
    assert_rv(p11->C_FindObjectsFinal(user), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_FindObjects(user, found, 1, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_FindObjectsInit(user, NULL, 1), CKR_ARGUMENTS_BAD);
}

static void test_session_objects(void **state)
{
    CK_SESSION_HANDLE s3 = api_open(slot, true);
    CK_OBJECT_HANDLE h = make_data(s3, "ephemeral", "e", 1, false, false), found;
    CK_BYTE buf[4];
    CK_ATTRIBUTE get[] = {{CKA_VALUE, buf, sizeof(buf)}};

    /* Visible to every session of the application... */
    assert_int_equal(find_label(ro, "ephemeral", &found), 1);
    assert_int_equal(found, h);
    assert_false(api_get_bool(ro, h, CKA_TOKEN));
    /* ...and gone with the session that made it. */
    assert_rv(p11->C_CloseSession(s3), CKR_OK);
    assert_int_equal(find_label(ro, "ephemeral", NULL), 0);
    assert_rv(p11->C_GetAttributeValue(ro, h, get, 1), CKR_OBJECT_HANDLE_INVALID);

    /* Read-only sessions may create session objects. */
    h = make_data(ro, "ro-ephemeral", "r", 1, false, false);
    assert_int_equal(find_label(user, "ro-ephemeral", NULL), 1);

    /* Session objects never reach the token. */
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    ro = api_open(api_token_slot(TOKEN_LABEL), false);
    assert_int_equal(find_label(ro, "ro-ephemeral", NULL), 0);
}

static void test_modify_copy_destroy(void **state)
{
    CK_OBJECT_HANDLE h = make_data(user, "before", "v", 1, true, false), copy = 0, found;
    CK_ATTRIBUTE relabel[] = {ATTR_STR(CKA_LABEL, "after")};
    CK_ATTRIBUTE reclass[] = {ATTR_VAR(CKA_CLASS, data_class)};
    CK_ATTRIBUTE copy_label[] = {ATTR_STR(CKA_LABEL, "copied")};
    CK_BYTE buf[4];
    CK_ATTRIBUTE get[] = {{CKA_VALUE, buf, sizeof(buf)}};

    assert_rv(p11->C_SetAttributeValue(user, h, relabel, 1), CKR_OK);
    assert_int_equal(find_label(user, "before", NULL), 0);
    assert_int_equal(find_label(user, "after", &found), 1);
    assert_int_equal(found, h);
    assert_rv(p11->C_SetAttributeValue(user, h, reclass, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_rv(p11->C_SetAttributeValue(ro, h, relabel, 1), CKR_SESSION_READ_ONLY);

    assert_rv(p11->C_CopyObject(user, h, copy_label, 1, &copy), CKR_OK);
    assert_int_not_equal(copy, h);
    assert_attr(user, copy, CKA_VALUE, "v", 1);
    assert_attr(user, copy, CKA_LABEL, "copied", 6);
    assert_rv(p11->C_CopyObject(user, h, copy_label, 1, NULL), CKR_ARGUMENTS_BAD);

    assert_rv(p11->C_DestroyObject(ro, h), CKR_SESSION_READ_ONLY);
    assert_rv(p11->C_DestroyObject(user, h), CKR_OK);
    assert_rv(p11->C_GetAttributeValue(user, h, get, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_rv(p11->C_DestroyObject(user, h), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(find_label(user, "after", NULL), 0);
    assert_int_equal(find_label(user, "copied", NULL), 1);
}

static void test_template_errors(void **state)
{
    CK_ULONG bad_size = 0;
    CK_ATTRIBUTE no_class[] = {ATTR_VAR(CKA_TOKEN, api_false)};
    CK_ATTRIBUTE null_value[] = {ATTR_VAR(CKA_CLASS, data_class), {CKA_VALUE, NULL, 5}};
    CK_ATTRIBUTE short_class[] = {{CKA_CLASS, &bad_size, 1}};
    CK_ATTRIBUTE twice[] = {ATTR_VAR(CKA_CLASS, data_class), ATTR_STR(CKA_LABEL, "a"),
                            ATTR_STR(CKA_LABEL, "b")};
    CK_OBJECT_HANDLE h;

    assert_rv(p11->C_CreateObject(user, no_class, 1, &h), CKR_TEMPLATE_INCOMPLETE);
    assert_rv(p11->C_CreateObject(user, null_value, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_rv(p11->C_CreateObject(user, short_class, 1, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_rv(p11->C_CreateObject(user, twice, 3, &h), CKR_TEMPLATE_INCONSISTENT);
    assert_rv(p11->C_CreateObject(user, NULL, 1, &h), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_CreateObject(user, twice, 2, NULL), CKR_ARGUMENTS_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_data_object, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_certificate, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_get_attribute_protocol, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_sensitive, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_private_objects, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_find, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_session_objects, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_modify_copy_destroy, setup_objects, api_teardown),
        cmocka_unit_test_setup_teardown(test_template_errors, setup_objects, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
