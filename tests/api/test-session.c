/* Sessions and login state. */
#include "api.h"

static CK_SLOT_ID slot;

static int setup_token(void **state)
{
    api_setup(state);
    slot = api_new_token(TOKEN_LABEL, true);
    return 0;
}

static void test_invalid_handles(void **state)
{
    CK_SESSION_HANDLE s = api_open(slot, false);
    CK_SESSION_INFO si;

    assert_rv(p11->C_GetSessionInfo(CK_INVALID_HANDLE, &si), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_CloseSession(CK_INVALID_HANDLE), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_Login(CK_INVALID_HANDLE, CKU_USER, PIN(USER_PIN)), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_Logout(CK_INVALID_HANDLE), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_GetSessionInfo(0x7fff1234, &si), CKR_SESSION_HANDLE_INVALID);

    assert_rv(p11->C_CloseSession(s), CKR_OK);
    assert_rv(p11->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID);
}

static void test_open_session(void **state)
{
    CK_SESSION_HANDLE ro, rw, h = CK_INVALID_HANDLE;
    CK_SESSION_INFO si;
    CK_SLOT_ID slots[64];
    CK_ULONG count = COUNT(slots), i;
    CK_SLOT_INFO sli;

    assert_rv(p11->C_OpenSession(slot, 0, NULL, NULL, &h), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    assert_rv(p11->C_OpenSession(slot, CKF_RW_SESSION, NULL, NULL, &h),
              CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    assert_rv(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_OpenSession((CK_SLOT_ID)0xdeadbeef, CKF_SERIAL_SESSION, NULL, NULL, &h),
              CKR_SLOT_ID_INVALID);

    ro = api_open(slot, false);
    rw = api_open(slot, true);
    assert_int_not_equal(ro, rw);
    assert_rv(p11->C_GetSessionInfo(ro, &si), CKR_OK);
    assert_int_equal(si.slotID, slot);
    assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
    assert_int_equal(si.flags, CKF_SERIAL_SESSION);
    assert_rv(p11->C_GetSessionInfo(rw, &si), CKR_OK);
    assert_int_equal(si.slotID, slot);
    assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
    assert_int_equal(si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    assert_rv(p11->C_GetSessionInfo(rw, NULL), CKR_ARGUMENTS_BAD);

    /* An empty slot has no token to open a session with. */
    assert_rv(p11->C_GetSlotList(CK_FALSE, slots, &count), CKR_OK);
    for (i = 0; i < count; i++) {
        assert_rv(p11->C_GetSlotInfo(slots[i], &sli), CKR_OK);
        if ((sli.flags & CKF_TOKEN_PRESENT) == 0) {
            assert_rv(p11->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &h),
                      CKR_TOKEN_NOT_PRESENT);
            break;
        }
    }
}

static void test_read_only_and_so(void **state)
{
    CK_SESSION_HANDLE ro = api_open(slot, false), rw = api_open(slot, true), h;

    /* The SO works in read-write sessions only. */
    assert_rv(p11->C_Login(rw, CKU_SO, PIN(SO_PIN)), CKR_SESSION_READ_ONLY_EXISTS);
    assert_rv(p11->C_CloseSession(ro), CKR_OK);
    assert_rv(p11->C_Login(rw, CKU_SO, PIN(SO_PIN)), CKR_OK);
    assert_rv(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h),
              CKR_SESSION_READ_WRITE_SO_EXISTS);
}

static void test_login_twice(void **state)
{
    CK_SESSION_HANDLE s = api_open(slot, true), t = api_open(slot, true);

    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_OK);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_USER_ALREADY_LOGGED_IN);
    assert_rv(p11->C_Login(t, CKU_USER, PIN(USER_PIN)), CKR_USER_ALREADY_LOGGED_IN);
    assert_rv(p11->C_Login(t, CKU_SO, PIN(SO_PIN)), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    assert_rv(p11->C_Logout(t), CKR_OK);

    assert_rv(p11->C_Login(t, CKU_SO, PIN(SO_PIN)), CKR_OK);
    assert_rv(p11->C_Login(s, CKU_SO, PIN(SO_PIN)), CKR_USER_ALREADY_LOGGED_IN);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
}

static void test_user_type(void **state)
{
    CK_SESSION_HANDLE s = api_open(slot, true);

    assert_rv(p11->C_Login(s, 3, PIN(USER_PIN)), CKR_USER_TYPE_INVALID);
    assert_rv(p11->C_Login(s, (CK_USER_TYPE)-1, PIN(USER_PIN)), CKR_USER_TYPE_INVALID);
    /* A bad session handle takes precedence (section 5.1.2 over 5.1.6). */
    assert_rv(p11->C_Login(CK_INVALID_HANDLE, 3, PIN(USER_PIN)), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_Login(s, CKU_USER, NULL, 8), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
}

/* Login state belongs to the application: every session shows it. */
static void test_session_states(void **state)
{
    CK_SESSION_HANDLE ro = api_open(slot, false), rw = api_open(slot, true), rw2;

    assert_int_equal(api_session_state(ro), CKS_RO_PUBLIC_SESSION);
    assert_int_equal(api_session_state(rw), CKS_RW_PUBLIC_SESSION);

    assert_rv(p11->C_Login(ro, CKU_USER, PIN(USER_PIN)), CKR_OK);
    assert_int_equal(api_session_state(ro), CKS_RO_USER_FUNCTIONS);
    assert_int_equal(api_session_state(rw), CKS_RW_USER_FUNCTIONS);
    rw2 = api_open(slot, true);
    assert_int_equal(api_session_state(rw2), CKS_RW_USER_FUNCTIONS);

    assert_rv(p11->C_Logout(rw), CKR_OK);
    assert_int_equal(api_session_state(ro), CKS_RO_PUBLIC_SESSION);
    assert_int_equal(api_session_state(rw), CKS_RW_PUBLIC_SESSION);
    assert_int_equal(api_session_state(rw2), CKS_RW_PUBLIC_SESSION);
    assert_rv(p11->C_Logout(ro), CKR_USER_NOT_LOGGED_IN);

    assert_rv(p11->C_CloseSession(ro), CKR_OK);
    assert_rv(p11->C_Login(rw, CKU_SO, PIN(SO_PIN)), CKR_OK);
    assert_int_equal(api_session_state(rw), CKS_RW_SO_FUNCTIONS);
    assert_int_equal(api_session_state(rw2), CKS_RW_SO_FUNCTIONS);
    assert_rv(p11->C_Logout(rw2), CKR_OK);
    assert_int_equal(api_session_state(rw), CKS_RW_PUBLIC_SESSION);
}

static void test_close_logs_out(void **state)
{
    CK_SESSION_HANDLE s = api_user_session(slot), t = api_open(slot, false);
    CK_SESSION_INFO si;

    assert_rv(p11->C_CloseAllSessions(slot), CKR_OK);
    assert_rv(p11->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
    assert_rv(p11->C_GetSessionInfo(t, &si), CKR_SESSION_HANDLE_INVALID);
    s = api_open(slot, false);
    assert_int_equal(api_session_state(s), CKS_RO_PUBLIC_SESSION);

    /* Closing the last session one by one logs out as well. */
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_OK);
    assert_rv(p11->C_CloseSession(s), CKR_OK);
    s = api_open(slot, true);
    assert_int_equal(api_session_state(s), CKS_RW_PUBLIC_SESSION);

    assert_rv(p11->C_CloseAllSessions((CK_SLOT_ID)0xdeadbeef), CKR_SLOT_ID_INVALID);
}

static void test_finalize_closes(void **state)
{
    CK_SESSION_HANDLE s = api_user_session(slot);
    CK_SESSION_INFO si;

    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    assert_rv(p11->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
    s = api_open(api_token_slot(TOKEN_LABEL), false);
    assert_int_equal(api_session_state(s), CKS_RO_PUBLIC_SESSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_invalid_handles, setup_token, api_teardown),
        cmocka_unit_test_setup_teardown(test_open_session, setup_token, api_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_and_so, setup_token, api_teardown),
        cmocka_unit_test_setup_teardown(test_login_twice, setup_token, api_teardown),
        cmocka_unit_test_setup_teardown(test_user_type, setup_token, api_teardown),
        cmocka_unit_test_setup_teardown(test_session_states, setup_token, api_teardown),
        cmocka_unit_test_setup_teardown(test_close_logs_out, setup_token, api_teardown),
        cmocka_unit_test_setup_teardown(test_finalize_closes, setup_token, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
