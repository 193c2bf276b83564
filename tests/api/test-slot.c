/* Slots and tokens: the slot list, C_InitToken, PINs and their counters,
 * mechanisms. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api.h"

static const CK_FLAGS pin_counter_flags =
    CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;

static void test_slot_list(void **state)
{
    CK_SLOT_ID slots[64], present[64], free_slot = 0;
    CK_ULONG count = 0, npresent = COUNT(present), i, uninit = 0, small = 0;
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;

    assert_rv(p11->C_GetSlotList(CK_FALSE, NULL, &count), CKR_OK);
    assert_true(count >= 1 && count <= COUNT(slots));
    if (count > 1)
        assert_rv(p11->C_GetSlotList(CK_FALSE, slots, &small), CKR_BUFFER_TOO_SMALL);
    count = COUNT(slots);
    assert_rv(p11->C_GetSlotList(CK_FALSE, slots, &count), CKR_OK);
    if (count > 1)
        assert_int_equal(small, count);

    for (i = 0; i < count; i++) {
        assert_rv(p11->C_GetSlotInfo(slots[i], &si), CKR_OK);
        assert_true(si.flags & CKF_REMOVABLE_DEVICE);
        if ((si.flags & CKF_TOKEN_PRESENT) == 0) {
            assert_rv(p11->C_GetTokenInfo(slots[i], &ti), CKR_TOKEN_NOT_PRESENT);
            continue;
        }
        assert_rv(p11->C_GetTokenInfo(slots[i], &ti), CKR_OK);
        assert_false(ti.flags & CKF_TOKEN_INITIALIZED);
        free_slot = slots[i];
        uninit++;
    }
    /* A fresh directory: exactly one slot presents an uninitialised token. */
    assert_int_equal(uninit, 1);

    assert_rv(p11->C_GetSlotList(CK_TRUE, present, &npresent), CKR_OK);
    assert_int_equal(npresent, 1);
    assert_int_equal(present[0], free_slot);

    assert_rv(p11->C_GetSlotInfo((CK_SLOT_ID)0xdeadbeef, &si), CKR_SLOT_ID_INVALID);
    assert_rv(p11->C_GetTokenInfo((CK_SLOT_ID)0xdeadbeef, &ti), CKR_SLOT_ID_INVALID);
}

/* Whether the token directory holds a file named *.tessera. */
static bool token_file_exists(void)
{
    DIR *d = opendir(api_dir);
    struct dirent *e;
    bool found = false;
    size_t n;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n = strlen(e->d_name);
        if (n > 8 && strcmp(e->d_name + n - 8, ".tessera") == 0)
            found = true;
    }
    closedir(d);
    return found;
}

static void test_init_token(void **state)
{
    CK_SLOT_ID slot = api_free_slot(), next;
    CK_UTF8CHAR label[32];
    CK_TOKEN_INFO ti;

    assert_false(token_file_exists());
    api_pad(label, sizeof(label), TOKEN_LABEL);
    assert_rv(p11->C_InitToken(slot, PIN(SO_PIN), NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_InitToken(slot, PIN(SO_PIN), label), CKR_OK);

    assert_rv(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
    assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
    assert_true(ti.flags & CKF_LOGIN_REQUIRED);
    assert_true(ti.flags & CKF_RNG);
    assert_false(ti.flags & CKF_USER_PIN_INITIALIZED);
    assert_false(ti.flags & pin_counter_flags);
    assert_memory_equal(ti.label, TOKEN_LABEL "                ", 32);
    assert_true(token_file_exists());

    /* The next free slot now presents an uninitialised token of its own. */
    next = api_free_slot();
    assert_int_not_equal(next, slot);

    /* The token survives the module. */
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    assert_int_equal(api_token_slot(TOKEN_LABEL), slot);
}

static void test_reinit_token(void **state)
{
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true);
    CK_UTF8CHAR label[32];
    CK_SESSION_HANDLE s;

    api_pad(label, sizeof(label), "renamed");
    s = api_open(slot, false);
    assert_rv(p11->C_InitToken(slot, PIN(SO_PIN), label), CKR_SESSION_EXISTS);
    assert_rv(p11->C_CloseSession(s), CKR_OK);
    assert_rv(p11->C_InitToken(slot, PIN("00000000"), label), CKR_PIN_INCORRECT);
    assert_rv(p11->C_InitToken(slot, PIN(SO_PIN), label), CKR_OK);
    assert_int_equal(api_token_slot("renamed"), slot);
    /* Re-initialising resets the user PIN. */
    assert_false(api_token_flags(slot) & CKF_USER_PIN_INITIALIZED);
}

static void test_init_pin(void **state)
{
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, false);
    CK_SESSION_HANDLE s = api_open(slot, true);

    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_USER_PIN_NOT_INITIALIZED);
    assert_rv(p11->C_InitPIN(s, PIN(USER_PIN)), CKR_USER_NOT_LOGGED_IN);
    assert_rv(p11->C_Login(s, CKU_SO, PIN(SO_PIN)), CKR_OK);
    assert_rv(p11->C_InitPIN(s, NULL, 8), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_InitPIN(s, PIN(USER_PIN)), CKR_OK);
    assert_true(api_token_flags(slot) & CKF_USER_PIN_INITIALIZED);
    assert_rv(p11->C_Logout(s), CKR_OK);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_OK);
    /* The user may not set the user PIN with C_InitPIN. */
    assert_rv(p11->C_InitPIN(s, PIN(USER_PIN)), CKR_USER_NOT_LOGGED_IN);
}

static void test_set_pin(void **state)
{
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true);
    CK_SESSION_HANDLE s = api_user_session(slot);

    assert_rv(p11->C_SetPIN(s, PIN("99999999"), PIN("55667788")), CKR_PIN_INCORRECT);
    assert_rv(p11->C_SetPIN(s, PIN(USER_PIN), PIN("55667788")), CKR_OK);
    assert_rv(p11->C_Logout(s), CKR_OK);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_PIN_INCORRECT);
    assert_rv(p11->C_Login(s, CKU_USER, PIN("55667788")), CKR_OK);

    /* The new PIN is the token's, not the process's. */
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    s = api_open(api_token_slot(TOKEN_LABEL), true);
    assert_rv(p11->C_Login(s, CKU_USER, PIN("55667788")), CKR_OK);
}

static int setup_three_tries(void **state)
{
    return api_setup_with_conf("max_pin_tries = 3", true);
}

static void test_pin_counters(void **state)
{
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true);
    CK_SESSION_HANDLE s = api_open(slot, true);
    CK_RV rv;

    /* One failure lowers the count; a success restores it. */
    assert_rv(p11->C_Login(s, CKU_USER, PIN("00000000")), CKR_PIN_INCORRECT);
    assert_int_equal(api_token_flags(slot) & pin_counter_flags, CKF_USER_PIN_COUNT_LOW);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_OK);
    assert_int_equal(api_token_flags(slot) & pin_counter_flags, 0);
    assert_rv(p11->C_Logout(s), CKR_OK);

    /* max_pin_tries = 3: the second failure leaves the final try. */
    assert_rv(p11->C_Login(s, CKU_USER, PIN("00000000")), CKR_PIN_INCORRECT);
    assert_rv(p11->C_Login(s, CKU_USER, PIN("00000000")), CKR_PIN_INCORRECT);
    assert_true(api_token_flags(slot) & CKF_USER_PIN_FINAL_TRY);
    assert_false(api_token_flags(slot) & CKF_USER_PIN_LOCKED);

    /* The third locks (that attempt itself may say either). */
    rv = p11->C_Login(s, CKU_USER, PIN("00000000"));
    if (rv != CKR_PIN_INCORRECT && rv != CKR_PIN_LOCKED)
        fail_msg("third wrong PIN: %s", api_rv_name(rv));
    assert_true(api_token_flags(slot) & CKF_USER_PIN_LOCKED);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_PIN_LOCKED);

    /* The lock is in the token file, not in this process. */
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    slot = api_token_slot(TOKEN_LABEL);
    assert_true(api_token_flags(slot) & CKF_USER_PIN_LOCKED);
    s = api_open(slot, true);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_PIN_LOCKED);

    /* The SO unlocks by setting a new user PIN. */
    assert_rv(p11->C_Login(s, CKU_SO, PIN(SO_PIN)), CKR_OK);
    assert_rv(p11->C_InitPIN(s, PIN("24682468")), CKR_OK);
    assert_rv(p11->C_Logout(s), CKR_OK);
    assert_int_equal(api_token_flags(slot) & pin_counter_flags, 0);
    assert_rv(p11->C_Login(s, CKU_USER, PIN("24682468")), CKR_OK);
}

static bool has_mechanism(const CK_MECHANISM_TYPE *list, CK_ULONG n, CK_MECHANISM_TYPE m)
{
    CK_ULONG i;

    for (i = 0; i < n; i++)
        if (list[i] == m)
            return true;
    return false;
}

static void test_mechanisms(void **state)
{
    static const CK_MECHANISM_TYPE wanted[] = {
        CKM_RSA_PKCS_KEY_PAIR_GEN,
        CKM_EC_KEY_PAIR_GEN,
        CKM_RSA_PKCS,
        CKM_RSA_PKCS_PSS,
        CKM_SHA256_RSA_PKCS,
        CKM_SHA256_RSA_PKCS_PSS,
        CKM_ECDSA,
        CKM_ECDSA_SHA256,
        CKM_SHA256,
    };
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, false);
    CK_MECHANISM_TYPE *list;
    CK_MECHANISM_INFO mi;
    CK_ULONG count = 0, small = 1, i;

    assert_rv(p11->C_GetMechanismList(slot, NULL, &count), CKR_OK);
    assert_true(count >= COUNT(wanted));
    list = calloc(count, sizeof(*list));
    assert_non_null(list);
    assert_rv(p11->C_GetMechanismList(slot, list, &small), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(small, count);
    assert_rv(p11->C_GetMechanismList(slot, list, &count), CKR_OK);
    for (i = 0; i < COUNT(wanted); i++)
        if (!has_mechanism(list, count, wanted[i]))
            fail_msg("mechanism 0x%lx missing", wanted[i]);
    free(list);

    assert_rv(p11->C_GetMechanismInfo(slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi), CKR_OK);
    assert_true(mi.flags & CKF_GENERATE_KEY_PAIR);
    assert_true(mi.ulMinKeySize <= 2048 && mi.ulMaxKeySize >= 4096);
    assert_rv(p11->C_GetMechanismInfo(slot, CKM_ECDSA, &mi), CKR_OK);
    assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY), CKF_SIGN | CKF_VERIFY);
    assert_rv(p11->C_GetMechanismInfo(slot, CKM_SHA256, &mi), CKR_OK);
    assert_true(mi.flags & CKF_DIGEST);
    assert_rv(p11->C_GetMechanismInfo(slot, 0x7ffffff0UL, &mi), CKR_MECHANISM_INVALID);
    assert_rv(p11->C_GetMechanismInfo(slot, CKM_SHA256, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetMechanismList(slot, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_GetMechanismInfo((CK_SLOT_ID)0xdeadbeef, CKM_SHA256, &mi),
              CKR_SLOT_ID_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slot_list, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_init_token, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_reinit_token, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_init_pin, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_set_pin, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_pin_counters, setup_three_tries, api_teardown),
        cmocka_unit_test_setup_teardown(test_mechanisms, api_setup, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
