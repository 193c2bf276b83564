/* Shared pieces of the API tests.  They drive the built module exactly as an
 * application does: dlopen() the file named by TESSERA_MODULE, then go through
 * its function lists.  Nothing here links the internal library.
 *
 * Each test gets its own token directory (TESSERA_TOKEN_DIR) and a
 * configuration file in it (TESSERA_CONF, `kdf_iterations = 1000` to keep PIN
 * work fast, plus any lines the test adds). */
#ifndef TSR_API_H
#define TSR_API_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pkcs11-3.h"

#define SO_PIN      "87654321"
#define USER_PIN    "11223344"
#define TOKEN_LABEL "tessera api test"

/* A PIN literal as the two arguments PKCS#11 takes. */
#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

/* Template entries for constants: CK_BBOOL/CK_ULONG variables and strings. */
#define ATTR_VAR(type, var)                                                                        \
    {                                                                                              \
        (type), (void *)&(var), sizeof(var)                                                        \
    }
#define ATTR_STR(type, s)                                                                          \
    {                                                                                              \
        (type), (void *)(s), (CK_ULONG)strlen(s)                                                   \
    }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

extern CK_BBOOL api_true;
extern CK_BBOOL api_false;

/* The module (api_load): its dlopen handle, C_GetFunctionList's 2.40 list and
 * C_GetInterface's default (3.0) list. */
extern void *api_dl;
extern CK_FUNCTION_LIST *p11;
extern CK_FUNCTION_LIST_3_0 *p11_3;

/* This test's token directory. */
extern char api_dir[];

/* Fails the test with the names of both codes unless `got` is `want`. */
#define assert_rv(expr, want) api_assert_rv((expr), (want), #expr, __FILE__, __LINE__)
void api_assert_rv(CK_RV got, CK_RV want, const char *expr, const char *file, int line);
const char *api_rv_name(CK_RV rv);

/* Loads the module once per process; fails the test when it cannot. */
void api_load(void);

/* A fresh token directory and configuration (`extra` lines appended, may be
 * NULL), exported through the environment; api_remove_dir removes it all. */
void api_make_dir(const char *extra_conf);
void api_remove_dir(void);

/* cmocka fixtures.  api_setup: module loaded, fresh directory, C_Initialize
 * done.  api_setup_noinit: the same without C_Initialize.  api_teardown:
 * C_Finalize (whatever it answers) and the directory removed. */
int api_setup(void **state);
int api_setup_noinit(void **state);
int api_setup_with_conf(const char *extra_conf, bool init);
int api_teardown(void **state);

/* Fills a blank-padded PKCS#11 text field. */
void api_pad(CK_UTF8CHAR *dst, size_t width, const char *s);

/* Slots.  api_free_slot: the one slot presenting an uninitialised token
 * (fails unless there is exactly one).  api_token_slot: the slot whose token
 * has `label`, or fails. */
CK_SLOT_ID api_free_slot(void);
CK_SLOT_ID api_token_slot(const char *label);
CK_FLAGS api_token_flags(CK_SLOT_ID slot);

/* C_InitToken on the free slot with SO_PIN and `label`; with `user_pin` the
 * SO then sets USER_PIN.  Returns the slot. */
CK_SLOT_ID api_new_token(const char *label, bool user_pin);

CK_SESSION_HANDLE api_open(CK_SLOT_ID slot, bool rw);
/* A read-write session on `slot`, logged in as the user. */
CK_SESSION_HANDLE api_user_session(CK_SLOT_ID slot);

/* C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal, all expected CKR_OK;
 * returns the number found (up to `max` handles stored in `out`). */
CK_ULONG api_find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out,
                  CK_ULONG max);

/* One attribute through the two-call protocol into a malloc'd buffer
 * (*val NULL when the call fails).  Returns the second call's answer. */
CK_RV api_get_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                   unsigned char **val, CK_ULONG *len);
CK_ULONG api_get_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type);
CK_BBOOL api_get_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type);

/* The session's state, CKS_*. */
CK_STATE api_session_state(CK_SESSION_HANDLE s);

#endif
