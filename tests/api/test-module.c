/* The module as a whole: function lists, interfaces, exports, C_Initialize
 * and C_Finalize, C_GetInfo, and a forked child. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"

typedef void (*fn_ptr)(void);

/* The function pointers after a list's CK_VERSION. */
static size_t count_functions(const void *list, size_t size, size_t *nulls)
{
    const fn_ptr *fns =
        (const fn_ptr *)((const char *)list + offsetof(CK_FUNCTION_LIST, C_Initialize));
    size_t n = (size - offsetof(CK_FUNCTION_LIST, C_Initialize)) / sizeof(fn_ptr), i;

    *nulls = 0;
    for (i = 0; i < n; i++)
        if (fns[i] == NULL)
            (*nulls)++;
    return n;
}

static void test_function_lists(void **state)
{
    CK_FUNCTION_LIST *again = NULL;
    size_t nulls;

    assert_int_equal(p11->version.major, 2);
    assert_int_equal(p11->version.minor, 40);
    assert_int_equal(count_functions(p11, sizeof(*p11), &nulls), 68);
    assert_int_equal(nulls, 0);

    assert_int_equal(p11_3->version.major, 3);
    assert_int_equal(p11_3->version.minor, 0);
    assert_int_equal(count_functions(p11_3, sizeof(*p11_3), &nulls), 92);
    assert_int_equal(nulls, 0);

    /* Same list every time, from every door. */
    assert_rv(p11->C_GetFunctionList(&again), CKR_OK);
    assert_ptr_equal(again, p11);
    assert_rv(p11_3->C_GetFunctionList(&again), CKR_OK);
    assert_ptr_equal(again, p11);
    assert_rv(p11->C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
}

static void test_interface_list(void **state)
{
    CK_INTERFACE list[3];
    CK_ULONG count = 0;
    CK_VERSION *v0, *v1;

    assert_rv(p11_3->C_GetInterfaceList(NULL, &count), CKR_OK);
    assert_int_equal(count, 2);

    count = 1;
    assert_rv(p11_3->C_GetInterfaceList(list, &count), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(count, 2);

    count = 3;
    assert_rv(p11_3->C_GetInterfaceList(list, &count), CKR_OK);
    assert_int_equal(count, 2);
    assert_string_equal((char *)list[0].pInterfaceName, "PKCS 11");
    assert_string_equal((char *)list[1].pInterfaceName, "PKCS 11");
    assert_int_equal(list[0].flags, 0);
    assert_int_equal(list[1].flags, 0);
    v0 = list[0].pFunctionList;
    v1 = list[1].pFunctionList;
    assert_int_equal(v0->major, 3);
    assert_int_equal(v0->minor, 0);
    assert_int_equal(v1->major, 2);
    assert_int_equal(v1->minor, 40);
    assert_ptr_equal(list[0].pFunctionList, p11_3);
    assert_ptr_equal(list[1].pFunctionList, p11);

    assert_rv(p11_3->C_GetInterfaceList(list, NULL), CKR_ARGUMENTS_BAD);
}

static void test_get_interface(void **state)
{
    CK_INTERFACE *iface = NULL;
    CK_VERSION v30 = {3, 0}, v240 = {2, 40}, v211 = {2, 11}, v31 = {3, 1};
    CK_UTF8CHAR name[] = "PKCS 11", other[] = "Vendor 11";

    assert_rv(p11_3->C_GetInterface(NULL, NULL, &iface, 0), CKR_OK);
    assert_ptr_equal(iface->pFunctionList, p11_3);
    assert_rv(p11_3->C_GetInterface(name, NULL, &iface, 0), CKR_OK);
    assert_ptr_equal(iface->pFunctionList, p11_3);
    assert_rv(p11_3->C_GetInterface(name, &v30, &iface, 0), CKR_OK);
    assert_ptr_equal(iface->pFunctionList, p11_3);
    assert_rv(p11_3->C_GetInterface(NULL, &v240, &iface, 0), CKR_OK);
    assert_ptr_equal(iface->pFunctionList, p11);
    assert_rv(p11_3->C_GetInterface(name, &v240, &iface, 0), CKR_OK);
    assert_ptr_equal(iface->pFunctionList, p11);

    /* Nothing matches: an unknown name or version, or a flag we lack. */
    iface = NULL;
    assert_rv(p11_3->C_GetInterface(other, NULL, &iface, 0), CKR_ARGUMENTS_BAD);
    assert_rv(p11_3->C_GetInterface(NULL, &v211, &iface, 0), CKR_ARGUMENTS_BAD);
    assert_rv(p11_3->C_GetInterface(NULL, &v31, &iface, 0), CKR_ARGUMENTS_BAD);
    assert_rv(p11_3->C_GetInterface(NULL, NULL, &iface, CKF_INTERFACE_FORK_SAFE),
              CKR_ARGUMENTS_BAD);
    assert_null(iface);
    assert_rv(p11_3->C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
}

static void test_exports(void **state)
{
    static const char *const hidden[] = {
        "C_Initialize",    "C_Finalize",        "C_GetInfo",          "C_OpenSession",
        "C_Sign",          "C_LoginUser",       "C_MessageSignInit",  "tsr_module_check",
        "tsr_face_refuse", "tsr_face_list_3_0", "tsr_face_list_2_40",
    };
    void *get_list = dlsym(api_dl, "C_GetFunctionList");
    void *get_ilist = dlsym(api_dl, "C_GetInterfaceList");
    void *get_iface = dlsym(api_dl, "C_GetInterface");
    size_t i;

    assert_ptr_equal(get_list, *(void **)&p11->C_GetFunctionList);
    assert_ptr_equal(get_ilist, *(void **)&p11_3->C_GetInterfaceList);
    assert_ptr_equal(get_iface, *(void **)&p11_3->C_GetInterface);
    for (i = 0; i < COUNT(hidden); i++) {
        if (dlsym(api_dl, hidden[i]) != NULL)
            fail_msg("%s is exported", hidden[i]);
    }
}

static void test_not_initialized(void **state)
{
    CK_INFO info;
    CK_ULONG count = 0;
    CK_SLOT_ID slot = 0;
    CK_SESSION_HANDLE s = 0;
    CK_SESSION_INFO si;
    CK_BYTE buf[16];
    CK_MECHANISM mech = {CKM_SHA256, NULL, 0};

    assert_rv(p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_GetInfo(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_GetSlotList(CK_FALSE, NULL, &count), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s),
              CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_GetSessionInfo(1, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_CloseAllSessions(0), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_Login(1, CKU_USER, PIN(USER_PIN)), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_FindObjectsInit(1, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_DigestInit(1, &mech), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_GenerateRandom(1, buf, sizeof(buf)), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_SeedRandom(1, buf, sizeof(buf)), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_GetFunctionStatus(1), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_CancelFunction(1), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11->C_GetOperationState(1, NULL, &count), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11_3->C_SessionCancel(1, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11_3->C_MessageSignInit(1, &mech, 1), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_rv(p11_3->C_LoginUser(1, CKU_USER, PIN(USER_PIN), NULL, 0),
              CKR_CRYPTOKI_NOT_INITIALIZED);
}

static CK_RV mutex_create(CK_VOID_PTR_PTR m)
{
    pthread_mutex_t *p = malloc(sizeof(*p));

    if (p == NULL)
        return CKR_HOST_MEMORY;
    pthread_mutex_init(p, NULL);
    *m = p;
    return CKR_OK;
}

static CK_RV mutex_destroy(CK_VOID_PTR m)
{
    pthread_mutex_destroy(m);
    free(m);
    return CKR_OK;
}

static CK_RV mutex_lock(CK_VOID_PTR m)
{
    return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_MUTEX_BAD;
}

static CK_RV mutex_unlock(CK_VOID_PTR m)
{
    return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_MUTEX_NOT_LOCKED;
}

/* C_Initialize with `args` must answer `want`, and leave the module
 * initialised exactly when it answered CKR_OK. */
static void init_with(CK_C_INITIALIZE_ARGS *args, CK_RV want)
{
    CK_INFO info;

    assert_rv(p11->C_Initialize(args), want);
    if (want == CKR_OK) {
        assert_rv(p11->C_GetInfo(&info), CKR_OK);
        assert_rv(p11->C_Finalize(NULL), CKR_OK);
    }
    assert_rv(p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_initialize_args(void **state)
{
    CK_C_INITIALIZE_ARGS args;
    int reserved;

    memset(&args, 0, sizeof(args));
    init_with(&args, CKR_OK);

    args.pReserved = &reserved;
    init_with(&args, CKR_ARGUMENTS_BAD);
    args.pReserved = NULL;

    args.CreateMutex = mutex_create;
    init_with(&args, CKR_ARGUMENTS_BAD);
    args.DestroyMutex = mutex_destroy;
    args.LockMutex = mutex_lock;
    init_with(&args, CKR_ARGUMENTS_BAD);
    args.UnlockMutex = mutex_unlock;
    args.flags = CKF_OS_LOCKING_OK;
    init_with(&args, CKR_OK);

    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    init_with(&args, CKR_OK);
    args.flags = CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS;
    init_with(&args, CKR_OK);
}

static void test_initialize_twice(void **state)
{
    int reserved;

    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_rv(p11->C_Finalize(&reserved), CKR_ARGUMENTS_BAD);
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    /* And again, as applications that load and unload the module do. */
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
}

static void test_get_info(void **state)
{
    CK_INFO info;

    assert_rv(p11->C_GetInfo(&info), CKR_OK);
    assert_int_equal(info.cryptokiVersion.major, 3);
    assert_int_equal(info.cryptokiVersion.minor, 0);
    assert_memory_equal(info.manufacturerID, "Tessera                         ", 32);
    assert_int_equal(info.flags, 0);
    assert_memory_equal(info.libraryDescription, "Tessera PKCS#11 token           ", 32);
    assert_int_equal(info.libraryVersion.major, 0);
    assert_int_equal(info.libraryVersion.minor, 1);
    assert_rv(p11->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
}

/* In the child: exit codes say which step went wrong. */
static int fork_child(void)
{
    CK_INFO info;
    CK_ULONG count = 0;

    if (p11->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 1;
    if (p11->C_GetSlotList(CK_FALSE, NULL, &count) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 2;
    if (p11->C_Finalize(NULL) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 3;
    if (p11->C_Initialize(NULL) != CKR_OK)
        return 4;
    if (p11->C_GetInfo(&info) != CKR_OK)
        return 5;
    if (p11->C_GetSlotList(CK_FALSE, NULL, &count) != CKR_OK || count == 0)
        return 6;
    if (p11->C_Finalize(NULL) != CKR_OK)
        return 7;
    return 0;
}

static void test_fork(void **state)
{
    CK_INFO info;
    int status = -1;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fork_child());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent is untouched by its child's C_Initialize/C_Finalize. */
    assert_rv(p11->C_GetInfo(&info), CKR_OK);
}

static void test_parallel_functions(void **state)
{
    assert_rv(p11->C_GetFunctionStatus(1), CKR_FUNCTION_NOT_PARALLEL);
    assert_rv(p11->C_CancelFunction(1), CKR_FUNCTION_NOT_PARALLEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_function_lists, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_interface_list, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_get_interface, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_exports, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_not_initialized, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_initialize_args, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_initialize_twice, api_setup_noinit, api_teardown),
        cmocka_unit_test_setup_teardown(test_get_info, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_fork, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_parallel_functions, api_setup, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
