/* Slot events: C_WaitForSlotEvent, and a token file that disappears (a card
 * pulled from its reader). */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

static void *wait_blocking(void *arg)
{
    CK_SLOT_ID slot;

    *(CK_RV *)arg = p11->C_WaitForSlotEvent(0, &slot, NULL);
    return NULL;
}

static void test_wait_event_finalize(void **state)
{
    CK_SLOT_ID slot;
    CK_RV rv = CKR_GENERAL_ERROR;
    int reserved;
    pthread_t t;

    assert_rv(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
    assert_rv(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, &reserved), CKR_ARGUMENTS_BAD);

    /* C_Finalize is how NSS unblocks its waiting thread. */
    assert_int_equal(pthread_create(&t, NULL, wait_blocking, &rv), 0);
    usleep(200 * 1000);
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_rv(rv, CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* Removes every file of the token (and SQLite's -wal/-shm beside it). */
static void remove_token_files(void)
{
    DIR *d = opendir(api_dir);
    struct dirent *e;
    char path[4096];

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".tessera") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", api_dir, e->d_name);
        assert_int_equal(unlink(path), 0);
    }
    closedir(d);
}

/* Polls C_GetSessionInfo for up to five seconds until it stops answering OK. */
static CK_RV wait_session_end(CK_SESSION_HANDLE s)
{
    CK_SESSION_INFO si;
    CK_RV rv = CKR_OK;
    int i;

    for (i = 0; i < 100 && rv == CKR_OK; i++) {
        rv = p11->C_GetSessionInfo(s, &si);
        if (rv == CKR_OK)
            usleep(50 * 1000);
    }
    return rv;
}

static void test_token_removal(void **state)
{
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true), event = 0;
    CK_SESSION_HANDLE s = api_user_session(slot);
    CK_SESSION_INFO si;
    CK_SLOT_INFO sli;
    CK_RV rv;
    bool reported = false;

    /* Drain the events of the token's creation. */
    usleep(200 * 1000);
    while (p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, NULL) == CKR_OK)
        ;
    remove_token_files();

    rv = wait_session_end(s);
    if (rv != CKR_DEVICE_REMOVED && rv != CKR_SESSION_HANDLE_INVALID)
        fail_msg("session on a removed token: %s", api_rv_name(rv));
    assert_rv(p11->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);

    /* The slot no longer shows that token, and an event names the slot. */
    assert_rv(p11->C_GetSlotInfo(slot, &sli), CKR_OK);
    if (sli.flags & CKF_TOKEN_PRESENT)
        assert_false(api_token_flags(slot) & CKF_TOKEN_INITIALIZED);
    while (p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, NULL) == CKR_OK)
        reported |= event == slot;
    assert_true(reported);
}

/* Moves every token file between the token directory and `elsewhere`
 * (rename: the file arrives whole, as a card does). */
static void move_token_files(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;
    char a[4096], b[4096];

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".tessera") == NULL)
            continue;
        snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
        snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
        assert_int_equal(rename(a, b), 0);
    }
    closedir(d);
}

/* Waits up to five seconds for an event naming `slot`. */
static bool event_for(CK_SLOT_ID slot)
{
    CK_SLOT_ID event;

    for (int i = 0; i < 100; i++) {
        while (p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, NULL) == CKR_OK)
            if (event == slot)
                return true;
        usleep(50 * 1000);
    }
    return false;
}

/* A card taken out and put back comes back in the same reader, with its
 * objects, and both moves are reported. */
static void test_token_returns_to_its_slot(void **state)
{
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true), event;
    CK_SESSION_HANDLE s = api_user_session(slot);
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data), ATTR_VAR(CKA_TOKEN, api_true),
                        ATTR_STR(CKA_LABEL, "kept")};
    CK_OBJECT_HANDLE h, found;
    CK_ULONG n = 0;
    CK_SLOT_INFO si;
    char aside[4096];

    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    usleep(200 * 1000);
    while (p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &event, NULL) == CKR_OK)
        ;
    snprintf(aside, sizeof(aside), "%s.aside", api_dir);
    assert_int_equal(mkdir(aside, 0700), 0);

    move_token_files(api_dir, aside);
    assert_true(event_for(slot));
    assert_rv(p11->C_GetSlotInfo(slot, &si), CKR_OK);
    if (si.flags & CKF_TOKEN_PRESENT)
        assert_false(api_token_flags(slot) & CKF_TOKEN_INITIALIZED);

    move_token_files(aside, api_dir);
    assert_true(event_for(slot));
    assert_rv(p11->C_GetSlotInfo(slot, &si), CKR_OK);
    assert_true(si.flags & CKF_TOKEN_PRESENT);
    assert_true(api_token_flags(slot) & CKF_TOKEN_INITIALIZED);

    s = api_user_session(slot);
    assert_rv(p11->C_FindObjectsInit(s, t + 2, 1), CKR_OK);
    assert_rv(p11->C_FindObjects(s, &found, 1, &n), CKR_OK);
    assert_rv(p11->C_FindObjectsFinal(s), CKR_OK);
    assert_int_equal(n, 1);
    rmdir(aside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait_event_finalize, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_token_removal, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_token_returns_to_its_slot, api_setup, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
