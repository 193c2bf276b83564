#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api.h"

CK_BBOOL api_true = CK_TRUE;
CK_BBOOL api_false = CK_FALSE;

void *api_dl;
CK_FUNCTION_LIST *p11;
CK_FUNCTION_LIST_3_0 *p11_3;
char api_dir[PATH_MAX];

#define RV(x)                                                                                      \
    {                                                                                              \
        x, #x                                                                                      \
    }
static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
    RV(CKR_OK),
    RV(CKR_CANCEL),
    RV(CKR_HOST_MEMORY),
    RV(CKR_SLOT_ID_INVALID),
    RV(CKR_GENERAL_ERROR),
    RV(CKR_FUNCTION_FAILED),
    RV(CKR_ARGUMENTS_BAD),
    RV(CKR_NO_EVENT),
    RV(CKR_NEED_TO_CREATE_THREADS),
    RV(CKR_CANT_LOCK),
    RV(CKR_ATTRIBUTE_READ_ONLY),
    RV(CKR_ATTRIBUTE_SENSITIVE),
    RV(CKR_ATTRIBUTE_TYPE_INVALID),
    RV(CKR_ATTRIBUTE_VALUE_INVALID),
    RV(CKR_ACTION_PROHIBITED),
    RV(CKR_DATA_INVALID),
    RV(CKR_DATA_LEN_RANGE),
    RV(CKR_DEVICE_ERROR),
    RV(CKR_DEVICE_MEMORY),
    RV(CKR_DEVICE_REMOVED),
    RV(CKR_ENCRYPTED_DATA_INVALID),
    RV(CKR_ENCRYPTED_DATA_LEN_RANGE),
    RV(CKR_FUNCTION_CANCELED),
    RV(CKR_FUNCTION_NOT_PARALLEL),
    RV(CKR_FUNCTION_NOT_SUPPORTED),
    RV(CKR_KEY_HANDLE_INVALID),
    RV(CKR_KEY_SIZE_RANGE),
    RV(CKR_KEY_TYPE_INCONSISTENT),
    RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
    RV(CKR_MECHANISM_INVALID),
    RV(CKR_MECHANISM_PARAM_INVALID),
    RV(CKR_OBJECT_HANDLE_INVALID),
    RV(CKR_OPERATION_ACTIVE),
    RV(CKR_OPERATION_NOT_INITIALIZED),
    RV(CKR_PIN_INCORRECT),
    RV(CKR_PIN_INVALID),
    RV(CKR_PIN_LEN_RANGE),
    RV(CKR_PIN_EXPIRED),
    RV(CKR_PIN_LOCKED),
    RV(CKR_SESSION_CLOSED),
    RV(CKR_SESSION_COUNT),
    RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
    RV(CKR_SESSION_READ_ONLY),
    RV(CKR_SESSION_EXISTS),
    RV(CKR_SESSION_READ_ONLY_EXISTS),
    RV(CKR_SESSION_READ_WRITE_SO_EXISTS),
    RV(CKR_SIGNATURE_INVALID),
    RV(CKR_SIGNATURE_LEN_RANGE),
    RV(CKR_TEMPLATE_INCOMPLETE),
    RV(CKR_TEMPLATE_INCONSISTENT),
    RV(CKR_TOKEN_NOT_PRESENT),
    RV(CKR_TOKEN_NOT_RECOGNIZED),
    RV(CKR_TOKEN_WRITE_PROTECTED),
    RV(CKR_USER_ALREADY_LOGGED_IN),
    RV(CKR_USER_NOT_LOGGED_IN),
    RV(CKR_USER_PIN_NOT_INITIALIZED),
    RV(CKR_USER_TYPE_INVALID),
    RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
    RV(CKR_USER_TOO_MANY_TYPES),
    RV(CKR_RANDOM_SEED_NOT_SUPPORTED),
    RV(CKR_RANDOM_NO_RNG),
    RV(CKR_DOMAIN_PARAMS_INVALID),
    RV(CKR_BUFFER_TOO_SMALL),
    RV(CKR_SAVED_STATE_INVALID),
    RV(CKR_INFORMATION_SENSITIVE),
    RV(CKR_STATE_UNSAVEABLE),
    RV(CKR_CRYPTOKI_NOT_INITIALIZED),
    RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    RV(CKR_MUTEX_BAD),
    RV(CKR_MUTEX_NOT_LOCKED),
};

const char *api_rv_name(CK_RV rv)
{
    size_t i;

    for (i = 0; i < COUNT(rv_names); i++)
        if (rv_names[i].rv == rv)
            return rv_names[i].name;
    return "CKR_?";
}

void api_assert_rv(CK_RV got, CK_RV want, const char *expr, const char *file, int line)
{
    if (got == want)
        return;
    print_error("%s returned %s (0x%lx), expected %s (0x%lx)\n", expr, api_rv_name(got), got,
                api_rv_name(want), want);
    _fail(file, line);
}

void api_load(void)
{
    const char *path = getenv("TESSERA_MODULE");
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
    CK_RV (*get_iface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
    CK_INTERFACE *iface = NULL;

    if (api_dl != NULL)
        return;
    if (path == NULL)
        fail_msg("TESSERA_MODULE is not set");
    api_dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (api_dl == NULL)
        fail_msg("dlopen(%s): %s", path, dlerror());
    *(void **)&get_list = dlsym(api_dl, "C_GetFunctionList");
    *(void **)&get_iface = dlsym(api_dl, "C_GetInterface");
    assert_non_null(get_list);
    assert_non_null(get_iface);
    assert_rv(get_list(&p11), CKR_OK);
    assert_rv(get_iface(NULL, NULL, &iface, 0), CKR_OK);
    p11_3 = iface->pFunctionList;
}

void api_make_dir(const char *extra_conf)
{
    const char *tmp = getenv("TMPDIR");
    char conf[PATH_MAX + 16];
    FILE *f;

    snprintf(api_dir, sizeof(api_dir), "%s/tessera-api-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(api_dir) == NULL)
        fail_msg("mkdtemp(%s) failed", api_dir);
    snprintf(conf, sizeof(conf), "%s/tessera.conf", api_dir);
    f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f, "kdf_iterations = 1000\n%s\n", extra_conf != NULL ? extra_conf : "");
    assert_int_equal(fclose(f), 0);
    assert_int_equal(setenv("TESSERA_TOKEN_DIR", api_dir, 1), 0);
    assert_int_equal(setenv("TESSERA_CONF", conf, 1), 0);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void api_remove_dir(void)
{
    if (api_dir[0] == '\0')
        return;
    nftw(api_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    api_dir[0] = '\0';
}

int api_setup_with_conf(const char *extra_conf, bool init)
{
    api_load();
    api_make_dir(extra_conf);
    if (init)
        assert_rv(p11->C_Initialize(NULL), CKR_OK);
    return 0;
}

int api_setup(void **state)
{
    return api_setup_with_conf(NULL, true);
}

int api_setup_noinit(void **state)
{
    return api_setup_with_conf(NULL, false);
}

int api_teardown(void **state)
{
    if (p11 != NULL)
        (void)p11->C_Finalize(NULL);
    api_remove_dir();
    return 0;
}

void api_pad(CK_UTF8CHAR *dst, size_t width, const char *s)
{
    size_t n = strlen(s);

    memset(dst, ' ', width);
    memcpy(dst, s, n < width ? n : width);
}

/* Every slot ID, malloc'd; *count set. */
static CK_SLOT_ID *all_slots(CK_ULONG *count)
{
    CK_SLOT_ID *slots;

    assert_rv(p11->C_GetSlotList(CK_FALSE, NULL, count), CKR_OK);
    assert_true(*count > 0);
    slots = calloc(*count, sizeof(*slots));
    assert_non_null(slots);
    assert_rv(p11->C_GetSlotList(CK_FALSE, slots, count), CKR_OK);
    return slots;
}

CK_SLOT_ID api_free_slot(void)
{
    CK_ULONG count, i, found = 0;
    CK_SLOT_ID *slots = all_slots(&count), slot = 0;
    CK_SLOT_INFO si;

    for (i = 0; i < count; i++) {
        assert_rv(p11->C_GetSlotInfo(slots[i], &si), CKR_OK);
        if ((si.flags & CKF_TOKEN_PRESENT) == 0)
            continue;
        if ((api_token_flags(slots[i]) & CKF_TOKEN_INITIALIZED) == 0) {
            slot = slots[i];
            found++;
        }
    }
    free(slots);
    assert_int_equal(found, 1);
    return slot;
}

CK_SLOT_ID api_token_slot(const char *label)
{
    CK_ULONG count, i;
    CK_SLOT_ID *slots = all_slots(&count), slot = 0;
    CK_UTF8CHAR want[32];
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    bool found = false;

    api_pad(want, sizeof(want), label);
    for (i = 0; i < count && !found; i++) {
        assert_rv(p11->C_GetSlotInfo(slots[i], &si), CKR_OK);
        if ((si.flags & CKF_TOKEN_PRESENT) == 0)
            continue;
        assert_rv(p11->C_GetTokenInfo(slots[i], &ti), CKR_OK);
        if ((ti.flags & CKF_TOKEN_INITIALIZED) && memcmp(ti.label, want, sizeof(want)) == 0) {
            slot = slots[i];
            found = true;
        }
    }
    free(slots);
    if (!found)
        fail_msg("no token labelled \"%s\"", label);
    return slot;
}

CK_FLAGS api_token_flags(CK_SLOT_ID slot)
{
    CK_TOKEN_INFO ti;

    assert_rv(p11->C_GetTokenInfo(slot, &ti), CKR_OK);
    return ti.flags;
}

CK_SLOT_ID api_new_token(const char *label, bool user_pin)
{
    CK_SLOT_ID slot = api_free_slot();
    CK_UTF8CHAR padded[32];
    CK_SESSION_HANDLE s;

    api_pad(padded, sizeof(padded), label);
    assert_rv(p11->C_InitToken(slot, PIN(SO_PIN), padded), CKR_OK);
    if (!user_pin)
        return slot;
    s = api_open(slot, true);
    assert_rv(p11->C_Login(s, CKU_SO, PIN(SO_PIN)), CKR_OK);
    assert_rv(p11->C_InitPIN(s, PIN(USER_PIN)), CKR_OK);
    assert_rv(p11->C_Logout(s), CKR_OK);
    assert_rv(p11->C_CloseSession(s), CKR_OK);
    return slot;
}

CK_SESSION_HANDLE api_open(CK_SLOT_ID slot, bool rw)
{
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);

    assert_rv(p11->C_OpenSession(slot, flags, NULL, NULL, &s), CKR_OK);
    assert_int_not_equal(s, CK_INVALID_HANDLE);
    return s;
}

CK_SESSION_HANDLE api_user_session(CK_SLOT_ID slot)
{
    CK_SESSION_HANDLE s = api_open(slot, true);

    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_OK);
    return s;
}

CK_ULONG api_find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out,
                  CK_ULONG max)
{
    CK_OBJECT_HANDLE spare[64];
    CK_ULONG found = 0;

    if (out == NULL) {
        out = spare;
        max = COUNT(spare);
    }
    assert_rv(p11->C_FindObjectsInit(s, tmpl, count), CKR_OK);
    assert_rv(p11->C_FindObjects(s, out, max, &found), CKR_OK);
    assert_rv(p11->C_FindObjectsFinal(s), CKR_OK);
    return found;
}

CK_RV api_get_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                   unsigned char **val, CK_ULONG *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_RV rv;

    *val = NULL;
    *len = 0;
    rv = p11->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK)
        return rv;
    a.pValue = malloc(a.ulValueLen + 1);
    assert_non_null(a.pValue);
    rv = p11->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK) {
        free(a.pValue);
        return rv;
    }
    *val = a.pValue;
    *len = a.ulValueLen;
    return CKR_OK;
}

CK_ULONG api_get_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type)
{
    CK_ULONG v = 0;
    CK_ATTRIBUTE a = ATTR_VAR(type, v);

    assert_rv(p11->C_GetAttributeValue(s, o, &a, 1), CKR_OK);
    assert_int_equal(a.ulValueLen, sizeof(v));
    return v;
}

CK_BBOOL api_get_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type)
{
    CK_BBOOL v = CK_FALSE;
    CK_ATTRIBUTE a = ATTR_VAR(type, v);

    assert_rv(p11->C_GetAttributeValue(s, o, &a, 1), CKR_OK);
    assert_int_equal(a.ulValueLen, sizeof(v));
    return v;
}

CK_STATE api_session_state(CK_SESSION_HANDLE s)
{
    CK_SESSION_INFO si;

    assert_rv(p11->C_GetSessionInfo(s, &si), CKR_OK);
    return si.state;
}
