/* Loading a PKCS#11 module and giving it a token of its own: a temporary
 * directory both Tessera and SoftHSM2 are pointed at, C_InitToken on the
 * first uninitialised slot, C_InitPIN, and a user session. */
#include <dlfcn.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define RV(x)                                                                                      \
    {                                                                                              \
        x, #x                                                                                      \
    }
static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
    RV(CKR_OK),
    RV(CKR_HOST_MEMORY),
    RV(CKR_SLOT_ID_INVALID),
    RV(CKR_GENERAL_ERROR),
    RV(CKR_FUNCTION_FAILED),
    RV(CKR_ARGUMENTS_BAD),
    RV(CKR_ATTRIBUTE_READ_ONLY),
    RV(CKR_ATTRIBUTE_SENSITIVE),
    RV(CKR_ATTRIBUTE_TYPE_INVALID),
    RV(CKR_ATTRIBUTE_VALUE_INVALID),
    RV(CKR_DATA_INVALID),
    RV(CKR_DATA_LEN_RANGE),
    RV(CKR_DEVICE_ERROR),
    RV(CKR_DEVICE_MEMORY),
    RV(CKR_DEVICE_REMOVED),
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
    RV(CKR_PIN_LOCKED),
    RV(CKR_SESSION_CLOSED),
    RV(CKR_SESSION_COUNT),
    RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_SESSION_READ_ONLY),
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
    RV(CKR_DOMAIN_PARAMS_INVALID),
    RV(CKR_CURVE_NOT_SUPPORTED),
    RV(CKR_BUFFER_TOO_SMALL),
    RV(CKR_CRYPTOKI_NOT_INITIALIZED),
    RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
};

const char *p11_rv_name(CK_RV rv)
{
    static __thread char hex[24];

    for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
        if (rv_names[i].rv == rv)
            return rv_names[i].name;
    snprintf(hex, sizeof(hex), "CKR 0x%lx", (unsigned long)rv);
    return hex;
}

bool p11_fail(char *why, const char *call, CK_RV rv)
{
    snprintf(why, BENCH_WHY, "%s: %s", call, p11_rv_name(rv));
    return false;
}

/* The directory a signal handler removes; set while it exists. */
static const char *volatile doomed_dir;

/* Interrupted (^C, a test timeout, a closed pipe): remove the temporary
 * token with async-signal-safe calls only, then die of the signal. */
static void on_signal(int sig)
{
    const char *dir = doomed_dir;
    pid_t pid;

    if (dir != NULL && (pid = fork()) == 0) {
        execl("/bin/rm", "rm", "-rf", "--", dir, (char *)NULL);
        _exit(127);
    } else if (dir != NULL && pid > 0) {
        waitpid(pid, NULL, 0);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void remove_on_signal(const char *dir)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

    doomed_dir = dir;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], on_signal);
}

static bool write_file(const char *path, const char *text, char *why)
{
    FILE *f = fopen(path, "w");

    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        snprintf(why, BENCH_WHY, "cannot write %.120s", path);
        return false;
    }
    return true;
}

bool p11_make_env(bench_p11 *m, const char *base, char *why)
{
    char path[PATH_MAX + 32], text[PATH_MAX + 128];

    snprintf(m->dir, sizeof(m->dir), "%s/tessera-bench-XXXXXX", base);
    if (mkdtemp(m->dir) == NULL) {
        snprintf(why, BENCH_WHY, "mkdtemp in %.120s failed", base);
        m->dir[0] = '\0';
        return false;
    }
    remove_on_signal(m->dir);
    /* Tessera: kdf_iterations = 1000 only so that C_InitToken and C_Login
     * are quick; no measured operation derives a PIN key. */
    snprintf(path, sizeof(path), "%s/tessera.conf", m->dir);
    if (!write_file(path, "kdf_iterations = 1000\n", why))
        return false;
    setenv("TESSERA_CONF", path, 1);
    setenv("TESSERA_TOKEN_DIR", m->dir, 1);
    /* SoftHSM2: its file backend, as Debian configures it. */
    snprintf(path, sizeof(path), "%s/softhsm", m->dir);
    if (mkdir(path, 0700) != 0) {
        snprintf(why, BENCH_WHY, "mkdir %.120s failed", path);
        return false;
    }
    snprintf(text, sizeof(text),
             "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
             "slots.removable = false\n",
             path);
    snprintf(path, sizeof(path), "%s/softhsm2.conf", m->dir);
    if (!write_file(path, text, why))
        return false;
    setenv("SOFTHSM2_CONF", path, 1);
    return true;
}

bool p11_load(bench_p11 *m, const char *path, char *why)
{
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
    CK_RV rv;

    m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (m->dl == NULL) {
        snprintf(why, BENCH_WHY, "dlopen: %s", dlerror());
        return false;
    }
    *(void **)&get_list = dlsym(m->dl, "C_GetFunctionList");
    if (get_list == NULL) {
        snprintf(why, BENCH_WHY, "%.120s has no C_GetFunctionList", path);
        return false;
    }
    if ((rv = get_list(&m->f)) != CKR_OK)
        return p11_fail(why, "C_GetFunctionList", rv);
    return true;
}

/* A blank-padded PKCS#11 text field. */
static void pad(CK_UTF8CHAR *dst, size_t width, const char *s)
{
    size_t n = strlen(s);

    memset(dst, ' ', width);
    memcpy(dst, s, n < width ? n : width);
}

static bool first_blank_slot(CK_FUNCTION_LIST *f, CK_SLOT_ID *slot, char *why)
{
    CK_SLOT_ID ids[64];
    CK_ULONG n = 64;
    CK_TOKEN_INFO ti;
    CK_RV rv;

    if ((rv = f->C_GetSlotList(CK_TRUE, ids, &n)) != CKR_OK)
        return p11_fail(why, "C_GetSlotList", rv);
    for (CK_ULONG i = 0; i < n; i++) {
        if (f->C_GetTokenInfo(ids[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
            *slot = ids[i];
            return true;
        }
    }
    snprintf(why, BENCH_WHY, "no slot with an uninitialised token");
    return false;
}

bool p11_find_slot(CK_FUNCTION_LIST *f, CK_SLOT_ID *slot)
{
    CK_SLOT_ID ids[64];
    CK_ULONG n = 64;
    CK_TOKEN_INFO ti;
    CK_UTF8CHAR label[32];

    pad(label, sizeof(label), BENCH_LABEL);
    if (f->C_GetSlotList(CK_TRUE, ids, &n) != CKR_OK)
        return false;
    for (CK_ULONG i = 0; i < n; i++) {
        if (f->C_GetTokenInfo(ids[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
            memcmp(ti.label, label, sizeof(label)) == 0) {
            *slot = ids[i];
            return true;
        }
    }
    return false;
}

static void describe(bench_p11 *m)
{
    CK_INFO info;
    char man[33], lib[33];

    if (m->f->C_GetInfo(&info) != CKR_OK) {
        snprintf(m->desc, sizeof(m->desc), "(C_GetInfo failed)");
        return;
    }
    memcpy(man, info.manufacturerID, 32);
    memcpy(lib, info.libraryDescription, 32);
    man[32] = lib[32] = '\0';
    for (int i = 31; i >= 0 && man[i] == ' '; i--)
        man[i] = '\0';
    for (int i = 31; i >= 0 && lib[i] == ' '; i--)
        lib[i] = '\0';
    snprintf(m->desc, sizeof(m->desc), "%s, %s %u.%u", man, lib, info.libraryVersion.major,
             info.libraryVersion.minor);
}

bool p11_setup_token(bench_p11 *m, char *why)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_UTF8CHAR label[32];
    CK_SESSION_HANDLE so;
    CK_RV rv;

    if ((rv = m->f->C_Initialize(&args)) != CKR_OK)
        return p11_fail(why, "C_Initialize", rv);
    m->initialized = true;
    describe(m);
    if (!first_blank_slot(m->f, &m->slot, why))
        return false;
    pad(label, sizeof(label), BENCH_LABEL);
    rv = m->f->C_InitToken(m->slot, (CK_UTF8CHAR_PTR)BENCH_SO_PIN, strlen(BENCH_SO_PIN), label);
    if (rv != CKR_OK)
        return p11_fail(why, "C_InitToken", rv);
    /* SoftHSM2 renumbers its slots after C_InitToken: look the token up. */
    if (!p11_find_slot(m->f, &m->slot)) {
        snprintf(why, BENCH_WHY, "the new token is in no slot");
        return false;
    }
    rv = m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &so);
    if (rv != CKR_OK)
        return p11_fail(why, "C_OpenSession", rv);
    rv = m->f->C_Login(so, CKU_SO, (CK_UTF8CHAR_PTR)BENCH_SO_PIN, strlen(BENCH_SO_PIN));
    if (rv == CKR_OK)
        rv = m->f->C_InitPIN(so, (CK_UTF8CHAR_PTR)BENCH_USER_PIN, strlen(BENCH_USER_PIN));
    m->f->C_CloseSession(so);
    if (rv != CKR_OK)
        return p11_fail(why, "C_Login(SO)/C_InitPIN", rv);
    rv = m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->s);
    if (rv != CKR_OK)
        return p11_fail(why, "C_OpenSession", rv);
    rv = m->f->C_Login(m->s, CKU_USER, (CK_UTF8CHAR_PTR)BENCH_USER_PIN, strlen(BENCH_USER_PIN));
    if (rv != CKR_OK)
        return p11_fail(why, "C_Login(USER)", rv);
    return true;
}

bool p11_has_mech(const bench_p11 *m, CK_MECHANISM_TYPE mech, CK_FLAGS flags, char *why)
{
    CK_MECHANISM_INFO info;
    CK_RV rv = m->f->C_GetMechanismInfo(m->slot, mech, &info);

    if (rv != CKR_OK) {
        snprintf(why, BENCH_WHY, "mechanism 0x%lx not offered (%s)", (unsigned long)mech,
                 p11_rv_name(rv));
        return false;
    }
    if ((info.flags & flags) != flags) {
        snprintf(why, BENCH_WHY, "mechanism 0x%lx lacks flags 0x%lx", (unsigned long)mech,
                 (unsigned long)(flags & ~info.flags));
        return false;
    }
    return true;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void p11_teardown(bench_p11 *m)
{
    if (m->initialized)
        (void)m->f->C_Finalize(NULL);
    m->initialized = false;
    /* No dlclose: a module's atexit handlers or threads may still point in. */
    doomed_dir = NULL;
    if (m->dir[0] != '\0')
        nftw(m->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    m->dir[0] = '\0';
}
