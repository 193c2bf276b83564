/* What a careless caller gets: NULL pointers, stale and made-up handles, and
 * the functions Tessera does not offer. */
#include "api.h"

static CK_SLOT_ID slot;
static CK_SESSION_HANDLE s;      /* read-write, user logged in */
static CK_SESSION_HANDLE closed; /* a handle that was valid once */
static const CK_SLOT_ID bad_slot = (CK_SLOT_ID)0xdeadbeef;
static const CK_OBJECT_HANDLE bad_object = (CK_OBJECT_HANDLE)0x7fff0001;

static int setup_session(void **state)
{
    api_setup(state);
    slot = api_new_token(TOKEN_LABEL, true);
    s = api_user_session(slot);
    closed = api_open(slot, false);
    assert_rv(p11->C_CloseSession(closed), CKR_OK);
    return 0;
}

static void test_null_pointers(void **state)
{
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
    CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG n = 0;
    CK_OBJECT_HANDLE h;
    CK_BYTE buf[8];

    assert_rv(p11->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetSlotInfo(slot, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetTokenInfo(slot, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetMechanismList(slot, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetSessionInfo(s, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_Login(s, CKU_SO, NULL, 4), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SetPIN(s, NULL, 4, PIN(USER_PIN)), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SetPIN(s, PIN(USER_PIN), NULL, 4), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_CreateObject(s, NULL, 2, &h), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetObjectSize(s, bad_object, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SetAttributeValue(s, bad_object, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_FindObjectsInit(s, NULL, 0), CKR_OK);
    assert_rv(p11->C_FindObjects(s, NULL, 1, &n), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_FindObjects(s, &h, 1, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_FindObjectsFinal(s), CKR_OK);
    assert_rv(p11->C_DigestInit(s, &sha), CKR_OK);
    assert_rv(p11->C_Digest(s, NULL, 3, buf, &n), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_DigestFinal(s, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_DigestInit(s, &sha), CKR_OK);
    assert_rv(p11->C_DigestFinal(s, buf, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_Encrypt(s, buf, 1, buf, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_Decrypt(s, NULL, 1, buf, &n), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_Verify(s, buf, 1, NULL, 64), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_VerifyFinal(s, NULL, 64), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_VerifyRecover(s, buf, 1, buf, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SignRecover(s, buf, 1, buf, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateKeyPair(s, NULL, NULL, 0, NULL, 0, &h, &h), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateKeyPair(s, &gen, NULL, 0, NULL, 0, NULL, &h), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateKeyPair(s, &gen, NULL, 0, NULL, 0, &h, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateKeyPair(s, &gen, NULL, 1, NULL, 0, &h, &h), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateKey(s, NULL, NULL, 0, &h), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateKey(s, &gen, NULL, 0, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateRandom(s, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GenerateRandom(s, NULL, 0), CKR_OK);
}

/* Every call on a closed session: CKR_SESSION_HANDLE_INVALID, even when its
 * other arguments are bad too (section 5.1.2 ranks above 5.1.6). */
static void test_closed_session(void **state)
{
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
    CK_SESSION_INFO si;
    CK_OBJECT_HANDLE h;
    CK_ULONG n = 0;
    CK_BYTE buf[8];

    assert_rv(p11->C_GetSessionInfo(closed, &si), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_GetSessionInfo(closed, NULL), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_Login(closed, CKU_USER, PIN(USER_PIN)), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_Login(closed, 99, NULL, 4), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_Logout(closed), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_InitPIN(closed, PIN(USER_PIN)), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_SetPIN(closed, PIN(USER_PIN), PIN(USER_PIN)), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_CreateObject(closed, NULL, 0, &h), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_CreateObject(closed, NULL, 1, &h), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_FindObjectsInit(closed, NULL, 0), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_FindObjects(closed, &h, 1, &n), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_DigestInit(closed, &sha), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_Digest(closed, buf, 1, NULL, NULL), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_SignInit(closed, &sha, bad_object), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_GenerateRandom(closed, buf, sizeof(buf)), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_SeedRandom(closed, buf, sizeof(buf)), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_GetOperationState(closed, NULL, &n), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_DigestEncryptUpdate(closed, buf, 1, buf, &n), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_WrapKey(closed, &sha, 1, 2, NULL, &n), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11_3->C_SessionCancel(closed, CKF_SIGN), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11_3->C_MessageEncryptInit(closed, &sha, 1), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11_3->C_LoginUser(closed, CKU_USER, PIN(USER_PIN), NULL, 0),
              CKR_SESSION_HANDLE_INVALID);
}

static void test_bad_slots(void **state)
{
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_MECHANISM_INFO mi;
    CK_ULONG n = 0;
    CK_UTF8CHAR label[32];
    CK_SESSION_HANDLE h;

    api_pad(label, sizeof(label), "x");
    assert_rv(p11->C_GetSlotInfo(bad_slot, &si), CKR_SLOT_ID_INVALID);
    assert_rv(p11->C_GetTokenInfo(bad_slot, &ti), CKR_SLOT_ID_INVALID);
    assert_rv(p11->C_GetMechanismList(bad_slot, NULL, &n), CKR_SLOT_ID_INVALID);
    assert_rv(p11->C_GetMechanismInfo(bad_slot, CKM_SHA256, &mi), CKR_SLOT_ID_INVALID);
    assert_rv(p11->C_InitToken(bad_slot, PIN(SO_PIN), label), CKR_SLOT_ID_INVALID);
    assert_rv(p11->C_OpenSession(bad_slot, CKF_SERIAL_SESSION, NULL, NULL, &h),
              CKR_SLOT_ID_INVALID);
    assert_rv(p11->C_CloseAllSessions(bad_slot), CKR_SLOT_ID_INVALID);
}

static void test_bad_objects(void **state)
{
    CK_MECHANISM rsa = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_BYTE buf[8];
    CK_ATTRIBUTE a[] = {{CKA_LABEL, buf, sizeof(buf)}};
    CK_ULONG size;
    CK_OBJECT_HANDLE h;

    assert_rv(p11->C_GetAttributeValue(s, bad_object, a, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_rv(p11->C_SetAttributeValue(s, bad_object, a, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_rv(p11->C_GetObjectSize(s, bad_object, &size), CKR_OBJECT_HANDLE_INVALID);
    assert_rv(p11->C_CopyObject(s, bad_object, NULL, 0, &h), CKR_OBJECT_HANDLE_INVALID);
    assert_rv(p11->C_DestroyObject(s, bad_object), CKR_OBJECT_HANDLE_INVALID);
    assert_rv(p11->C_DestroyObject(s, CK_INVALID_HANDLE), CKR_OBJECT_HANDLE_INVALID);
    assert_rv(p11->C_SignInit(s, &rsa, bad_object), CKR_KEY_HANDLE_INVALID);
    assert_rv(p11->C_VerifyInit(s, &rsa, bad_object), CKR_KEY_HANDLE_INVALID);
}

/* The calls the face answers itself. */
static void test_not_offered(void **state)
{
    CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_BYTE buf[16];
    CK_ULONG n = sizeof(buf);
    CK_OBJECT_HANDLE h;

    assert_rv(p11->C_GetOperationState(s, NULL, &n), CKR_STATE_UNSAVEABLE);
    assert_rv(p11->C_GetOperationState(s, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SetOperationState(s, buf, sizeof(buf), 0, 0), CKR_SAVED_STATE_INVALID);
    assert_rv(p11->C_SetOperationState(s, NULL, 0, 0, 0), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_SeedRandom(s, buf, sizeof(buf)), CKR_RANDOM_SEED_NOT_SUPPORTED);
    assert_rv(p11->C_SeedRandom(s, NULL, 4), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetFunctionStatus(s), CKR_FUNCTION_NOT_PARALLEL);
    assert_rv(p11->C_CancelFunction(s), CKR_FUNCTION_NOT_PARALLEL);

    /* Offered, but no operations are active (test-symops.c runs them). */
    assert_rv(p11->C_DigestEncryptUpdate(s, buf, 1, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_DecryptDigestUpdate(s, buf, 1, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_SignEncryptUpdate(s, buf, 1, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_DecryptVerifyUpdate(s, buf, 1, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_DigestEncryptUpdate(s, buf, 1, buf, NULL), CKR_ARGUMENTS_BAD);
    /* Offered, but not with a signature mechanism (test-wrap.c, test-derive.c). */
    assert_rv(p11->C_WrapKey(s, &m, 1, 2, buf, &n), CKR_MECHANISM_INVALID);
    assert_rv(p11->C_WrapKey(s, NULL, 1, 2, buf, &n), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_UnwrapKey(s, &m, 1, buf, 4, NULL, 0, &h), CKR_MECHANISM_INVALID);
    assert_rv(p11->C_UnwrapKey(s, &m, 1, buf, 4, NULL, 0, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_DeriveKey(s, &m, 1, NULL, 0, &h), CKR_MECHANISM_INVALID);

    assert_rv(p11_3->C_SessionCancel(s, CKF_SIGN), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_MessageEncryptInit(s, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_EncryptMessage(s, NULL, 0, NULL, 0, buf, 1, buf, &n),
              CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_MessageEncryptFinal(s), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_MessageDecryptInit(s, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_DecryptMessageBegin(s, NULL, 0, NULL, 0), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_MessageSignInit(s, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_SignMessageNext(s, NULL, 0, buf, 1, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_MessageVerifyInit(s, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_VerifyMessage(s, NULL, 0, buf, 1, buf, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_rv(p11_3->C_MessageVerifyFinal(s), CKR_FUNCTION_NOT_SUPPORTED);
}

static void test_login_user(void **state)
{
    CK_SESSION_HANDLE t = api_open(slot, true);

    assert_rv(p11->C_Logout(s), CKR_OK);
    assert_rv(p11_3->C_LoginUser(t, CKU_USER, PIN(USER_PIN), (CK_UTF8CHAR_PTR) "alice", 5),
              CKR_ARGUMENTS_BAD);
    assert_rv(p11_3->C_LoginUser(t, CKU_USER, PIN(USER_PIN), NULL, 3), CKR_ARGUMENTS_BAD);
    assert_rv(p11_3->C_LoginUser(t, 7, PIN(USER_PIN), NULL, 0), CKR_USER_TYPE_INVALID);
    assert_rv(p11_3->C_LoginUser(t, CKU_USER, PIN("00000000"), NULL, 0), CKR_PIN_INCORRECT);
    assert_rv(p11_3->C_LoginUser(t, CKU_USER, PIN(USER_PIN), NULL, 0), CKR_OK);
    assert_int_equal(api_session_state(s), CKS_RW_USER_FUNCTIONS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_null_pointers, setup_session, api_teardown),
        cmocka_unit_test_setup_teardown(test_closed_session, setup_session, api_teardown),
        cmocka_unit_test_setup_teardown(test_bad_slots, setup_session, api_teardown),
        cmocka_unit_test_setup_teardown(test_bad_objects, setup_session, api_teardown),
        cmocka_unit_test_setup_teardown(test_not_offered, setup_session, api_teardown),
        cmocka_unit_test_setup_teardown(test_login_user, setup_session, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
