/* More token objects than the module keeps in memory: every one still reads
 * back right, through finds, reads, changes and a signing key in between. */
#include <stdio.h>
#include <stdlib.h>

#include "api.h"

#define OBJECTS 200

static int setup_small_cache(void **state)
{
    return api_setup_with_conf("object_cache = 16\n", true);
}

static CK_OBJECT_HANDLE make_object(CK_SESSION_HANDLE s, int i)
{
    CK_OBJECT_CLASS data = CKO_DATA;
    char label[32], value[32];
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data),
                        ATTR_VAR(CKA_TOKEN, api_true),
                        {CKA_LABEL, label, 0},
                        {CKA_VALUE, value, 0}};
    CK_OBJECT_HANDLE h;

    t[2].ulValueLen = (CK_ULONG)snprintf(label, sizeof(label), "object %d", i);
    t[3].ulValueLen = (CK_ULONG)snprintf(value, sizeof(value), "value of %d", i);
    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    return h;
}

static void check_object(CK_SESSION_HANDLE s, int i, CK_OBJECT_HANDLE want)
{
    char label[32], value[32];
    CK_ATTRIBUTE t[] = {{CKA_LABEL, label, 0}};
    CK_OBJECT_HANDLE found[2];
    unsigned char *v;
    CK_ULONG len;

    t[0].ulValueLen = (CK_ULONG)snprintf(label, sizeof(label), "object %d", i);
    assert_int_equal(api_find(s, t, 1, found, 2), 1);
    assert_int_equal(found[0], want);
    assert_rv(api_get_attr(s, want, CKA_VALUE, &v, &len), CKR_OK);
    snprintf(value, sizeof(value), "value of %d", i);
    assert_int_equal(len, strlen(value));
    assert_memory_equal(v, value, len);
    free(v);
}

static void test_more_objects_than_cache(void **state)
{
    CK_SESSION_HANDLE s = api_user_session(api_new_token(TOKEN_LABEL, true));
    CK_OBJECT_HANDLE h[OBJECTS], pub, priv;
    CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0}, ecdsa = {CKM_ECDSA, NULL, 0};
    static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_ATTRIBUTE pt[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
                         ATTR_VAR(CKA_TOKEN, api_true)};
    CK_ATTRIBUTE kt[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_SIGN, api_true)};
    CK_BYTE hash[32] = {7}, sig[64];
    CK_ULONG len;
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_ATTRIBUTE all[] = {ATTR_VAR(CKA_CLASS, data)};
    CK_OBJECT_HANDLE many[OBJECTS + 1];

    assert_rv(p11->C_GenerateKeyPair(s, &gen, pt, COUNT(pt), kt, COUNT(kt), &pub, &priv), CKR_OK);
    for (int i = 0; i < OBJECTS; i++)
        h[i] = make_object(s, i);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < OBJECTS; i++) {
            check_object(s, i, h[i]);
            if (i % 25 == 0) { /* the key keeps working while the cache churns */
                len = sizeof(sig);
                assert_rv(p11->C_SignInit(s, &ecdsa, priv), CKR_OK);
                assert_rv(p11->C_Sign(s, hash, sizeof(hash), sig, &len), CKR_OK);
            }
        }
    }
    /* A change to an object that is no longer cached sticks. */
    CK_ATTRIBUTE relabel[] = {ATTR_STR(CKA_LABEL, "renamed")};
    assert_rv(p11->C_SetAttributeValue(s, h[3], relabel, 1), CKR_OK);
    assert_int_equal(api_find(s, relabel, 1, many, 2), 1);
    assert_int_equal(many[0], h[3]);
    /* A search by class alone (not answered by the indexes) finds them all. */
    assert_int_equal(api_find(s, all, 1, many, OBJECTS + 1), OBJECTS);
    assert_rv(p11->C_DestroyObject(s, h[OBJECTS - 1]), CKR_OK);
    assert_int_equal(api_find(s, all, 1, many, OBJECTS + 1), OBJECTS - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_more_objects_than_cache, setup_small_cache,
                                        api_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
