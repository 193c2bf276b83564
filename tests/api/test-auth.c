/* Re-authentication for keys with CKA_ALWAYS_AUTHENTICATE (CKU_CONTEXT_SPECIFIC),
 * and the application's own mutex callbacks. */
#include <stdlib.h>

#include "api.h"

static CK_OBJECT_HANDLE always_auth_key(CK_SESSION_HANDLE s)
{
    CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)}};
    CK_ATTRIBUTE priv[] = {ATTR_VAR(CKA_SIGN, api_true), ATTR_VAR(CKA_PRIVATE, api_true),
                           ATTR_VAR(CKA_ALWAYS_AUTHENTICATE, api_true)};
    CK_OBJECT_HANDLE hpub, hpriv;

    assert_rv(p11->C_GenerateKeyPair(s, &gen, pub, COUNT(pub), priv, COUNT(priv), &hpub, &hpriv),
              CKR_OK);
    assert_true(api_get_bool(s, hpriv, CKA_ALWAYS_AUTHENTICATE));
    return hpriv;
}

static void test_context_specific_login(void **state)
{
    CK_SESSION_HANDLE s = api_user_session(api_new_token(TOKEN_LABEL, true));
    CK_OBJECT_HANDLE key = always_auth_key(s);
    CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0};
    CK_BYTE hash[32] = {1, 2, 3}, sig[64];
    CK_ULONG len = sizeof(sig);

    /* Nothing waits for a context login yet. */
    assert_rv(p11->C_Login(s, CKU_CONTEXT_SPECIFIC, PIN(USER_PIN)), CKR_OPERATION_NOT_INITIALIZED);

    assert_rv(p11->C_SignInit(s, &ecdsa, key), CKR_OK);
    assert_rv(p11->C_Sign(s, hash, sizeof(hash), sig, &len), CKR_USER_NOT_LOGGED_IN);
    assert_rv(p11->C_Login(s, CKU_CONTEXT_SPECIFIC, PIN("99999999")), CKR_PIN_INCORRECT);
    assert_rv(p11->C_Sign(s, hash, sizeof(hash), sig, &len), CKR_USER_NOT_LOGGED_IN);
    assert_rv(p11->C_Login(s, CKU_CONTEXT_SPECIFIC, PIN(USER_PIN)), CKR_OK);
    len = sizeof(sig);
    assert_rv(p11->C_Sign(s, hash, sizeof(hash), sig, &len), CKR_OK);
    assert_int_equal(len, 64);

    /* Each operation asks again. */
    assert_rv(p11->C_SignInit(s, &ecdsa, key), CKR_OK);
    len = sizeof(sig);
    assert_rv(p11->C_Sign(s, hash, sizeof(hash), sig, &len), CKR_USER_NOT_LOGGED_IN);
    assert_rv(p11->C_SignInit(s, NULL, key), CKR_OK); /* cancel */

    /* A context login without a user login first is refused. */
    assert_rv(p11->C_Logout(s), CKR_OK);
    assert_rv(p11->C_Login(s, CKU_CONTEXT_SPECIFIC, PIN(USER_PIN)), CKR_USER_NOT_LOGGED_IN);
}

/* The application's mutexes: counted, and balanced. */
static int created, destroyed, locked, unlocked;

static CK_RV mutex_create(CK_VOID_PTR_PTR m)
{
    *m = calloc(1, 1);
    created++;
    return *m ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV mutex_destroy(CK_VOID_PTR m)
{
    free(m);
    destroyed++;
    return CKR_OK;
}

static CK_RV mutex_lock(CK_VOID_PTR m)
{
    locked++;
    return CKR_OK;
}

static CK_RV mutex_unlock(CK_VOID_PTR m)
{
    unlocked++;
    return CKR_OK;
}

static void test_application_mutexes(void **state)
{
    CK_C_INITIALIZE_ARGS args = {mutex_create, mutex_destroy, mutex_lock, mutex_unlock, 0, NULL};
    CK_SESSION_HANDLE s;

    assert_rv(p11->C_Initialize(&args), CKR_OK);
    s = api_user_session(api_new_token(TOKEN_LABEL, true));
    (void)always_auth_key(s);
    assert_rv(p11->C_CloseSession(s), CKR_OK);
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    /* Without CKF_OS_LOCKING_OK the module must use the callbacks it was given. */
    assert_true(created > 0);
    assert_int_equal(created, destroyed);
    assert_true(locked > 0);
    assert_int_equal(locked, unlocked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_context_specific_login, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_application_mutexes, api_setup_noinit, api_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
