/* Several processes on one token directory.  Children report through their
 * exit code (0 is success, anything else names the failing step); they never
 * use cmocka's assertions, which would unwind into the parent's test runner. */
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"

#define SHARED_LABEL "shared-object"

static CK_OBJECT_CLASS data_class = CKO_DATA;

/* Runs `fn` in a forked child and returns its exit code. */
static int in_child(int (*fn)(void))
{
    int status = -1;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* The slot of the one initialised token, or (CK_SLOT_ID)-1. */
static CK_SLOT_ID child_token_slot(void)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = COUNT(slots), i;
    CK_TOKEN_INFO ti;

    if (p11->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return (CK_SLOT_ID)-1;
    for (i = 0; i < n; i++)
        if (p11->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED))
            return slots[i];
    return (CK_SLOT_ID)-1;
}

/* Objects labelled `label` a session sees, or -1. */
static long child_count(CK_SESSION_HANDLE s, const char *label)
{
    CK_ATTRIBUTE t[] = {ATTR_STR(CKA_LABEL, label)};
    CK_OBJECT_HANDLE found[8];
    CK_ULONG n = 0;

    if (p11->C_FindObjectsInit(s, t, 1) != CKR_OK ||
        p11->C_FindObjects(s, found, COUNT(found), &n) != CKR_OK ||
        p11->C_FindObjectsFinal(s) != CKR_OK)
        return -1;
    return (long)n;
}

static int child_create(CK_SESSION_HANDLE s, const char *label)
{
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data_class), ATTR_VAR(CKA_TOKEN, api_true),
                        ATTR_STR(CKA_LABEL, label), ATTR_STR(CKA_VALUE, "shared")};
    CK_OBJECT_HANDLE h;

    return p11->C_CreateObject(s, t, COUNT(t), &h) == CKR_OK ? 0 : 1;
}

/* First child: makes the token and a public token object. */
static int first_child(void)
{
    CK_UTF8CHAR label[32];
    CK_SESSION_HANDLE s;
    CK_SLOT_ID slots[64];
    CK_ULONG n = COUNT(slots);

    api_pad(label, sizeof(label), TOKEN_LABEL);
    if (p11->C_Initialize(NULL) != CKR_OK)
        return 1;
    if (p11->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || n != 1)
        return 2;
    if (p11->C_InitToken(slots[0], PIN(SO_PIN), label) != CKR_OK)
        return 3;
    if (p11->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
        return 4;
    if (p11->C_Login(s, CKU_SO, PIN(SO_PIN)) != CKR_OK ||
        p11->C_InitPIN(s, PIN(USER_PIN)) != CKR_OK || p11->C_Logout(s) != CKR_OK)
        return 5;
    if (child_create(s, SHARED_LABEL) != 0)
        return 6;
    return p11->C_Finalize(NULL) == CKR_OK ? 0 : 7;
}

/* Second child, forked from an initialised parent: must not find the object
 * the parent destroyed, then adds one of its own. */
static int second_child(void)
{
    CK_INFO info;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;

    if (p11->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 1;
    if (p11->C_Initialize(NULL) != CKR_OK)
        return 2;
    slot = child_token_slot();
    if (slot == (CK_SLOT_ID)-1)
        return 3;
    if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
        return 4;
    if (child_count(s, SHARED_LABEL) != 0)
        return 5;
    if (child_create(s, "from-second-child") != 0)
        return 6;
    return p11->C_Finalize(NULL) == CKR_OK ? 0 : 7;
}

static void test_two_processes(void **state)
{
    CK_ATTRIBUTE by_label[] = {ATTR_STR(CKA_LABEL, SHARED_LABEL)};
    CK_ATTRIBUTE by_child_label[] = {ATTR_STR(CKA_LABEL, "from-second-child")};
    CK_OBJECT_HANDLE h;
    CK_SESSION_HANDLE s;

    /* Forked before this process initialises. */
    assert_int_equal(in_child(first_child), 0);

    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    s = api_open(api_token_slot(TOKEN_LABEL), true);
    assert_int_equal(api_find(s, by_label, 1, &h, 1), 1);
    assert_rv(p11->C_DestroyObject(s, h), CKR_OK);

    /* Forked from this initialised process; this session stays open. */
    assert_int_equal(in_child(second_child), 0);
    assert_int_equal(api_find(s, by_label, 1, &h, 1), 0);
    assert_int_equal(api_find(s, by_child_label, 1, &h, 1), 1);
}

/* Wrong PINs in another process count here too. */
static int wrong_pin_child(void)
{
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;

    if (p11->C_Initialize(NULL) != CKR_OK)
        return 1;
    slot = child_token_slot();
    if (slot == (CK_SLOT_ID)-1)
        return 2;
    if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
        return 3;
    if (p11->C_Login(s, CKU_USER, PIN("00000000")) != CKR_PIN_INCORRECT)
        return 4;
    return p11->C_Finalize(NULL) == CKR_OK ? 0 : 5;
}

static void test_pin_tries_shared(void **state)
{
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true);

    assert_false(api_token_flags(slot) & CKF_USER_PIN_COUNT_LOW);
    assert_int_equal(in_child(wrong_pin_child), 0);
    assert_true(api_token_flags(slot) & CKF_USER_PIN_COUNT_LOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_processes, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_pin_tries_shared, api_setup, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
