/* A pass-through PKCS#11 module that lets Debian 12's pkcs11-spy (OpenSC
 * 0.23) record a PKCS#11 3.0 module that NSS loads.
 *
 * That spy has two faults in its C_GetInterface, both fixed upstream later
 * (OpenSC pull requests 2988 and 3275):
 *   - when the module refuses an interface (NSS first asks for one with
 *     CKF_INTERFACE_FORK_SAFE, which a module that needs C_Initialize after
 *     fork() rightly refuses), it still reads *ppInterface, which NSS left
 *     uninitialised, and crashes;
 *   - on success it writes its own function list into the CK_INTERFACE the
 *     module returned, which crashes when that lives in read-only memory.
 * The spy calls C_GetInterface through the function list it got, so this
 * shim hands out copies of the real module's (TSR_SHIM_MODULE) function
 * lists whose C_GetFunctionList, C_GetInterfaceList and C_GetInterface are
 * the shim's.  Those return writable copies, and on failure point
 * *ppInterface at an interface the spy leaves alone.  Every other entry is
 * the real module's own, so the spy records exactly the application's calls.
 *
 * The client tests build it themselves (see nss_spy_setup in lib-pki.sh):
 *   cc -shared -fPIC -I src/common $(pkg-config --cflags p11-kit-1) \
 *      -o spy-shim.so tests/clients/spy-shim.c -ldl
 * and use it as PKCS11SPY=spy-shim.so TSR_SHIM_MODULE=real-module.so. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11-3.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

static void *real;
static CK_FUNCTION_LIST list2; /* copies of the real lists, our entry points in them */
static CK_FUNCTION_LIST_3_0 list3;
static CK_INTERFACE iface2, iface3;
static CK_INTERFACE refused = {(CK_CHAR *)"refused by the module", NULL, 0};

static CK_RV shim_get_function_list(CK_FUNCTION_LIST_PTR_PTR list);
static CK_RV shim_get_interface_list(CK_INTERFACE_PTR list, CK_ULONG_PTR count);
static CK_RV shim_get_interface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
                                CK_INTERFACE_PTR_PTR iface, CK_FLAGS flags);

static void *real_sym(const char *name)
{
    const char *path;

    if (real == NULL) {
        path = getenv("TSR_SHIM_MODULE");
        if (path == NULL) {
            fprintf(stderr, "spy-shim: TSR_SHIM_MODULE is not set\n");
            return NULL;
        }
        real = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (real == NULL) {
            fprintf(stderr, "spy-shim: %s\n", dlerror());
            return NULL;
        }
    }
    return dlsym(real, name);
}

/* Our copy of a real function list, chosen by its version. */
static void *shim_list(void *real_list)
{
    const CK_VERSION *v = real_list;

    if (v->major == 3) {
        memcpy(&list3, real_list, sizeof(list3));
        list3.C_GetFunctionList = shim_get_function_list;
        list3.C_GetInterfaceList = shim_get_interface_list;
        list3.C_GetInterface = shim_get_interface;
        return &list3;
    }
    memcpy(&list2, real_list, sizeof(list2));
    list2.C_GetFunctionList = shim_get_function_list;
    return &list2;
}

static CK_RV shim_get_function_list(CK_FUNCTION_LIST_PTR_PTR list)
{
    CK_C_GetFunctionList fn = (CK_C_GetFunctionList)real_sym("C_GetFunctionList");
    CK_FUNCTION_LIST_PTR got = NULL;
    CK_RV rv;

    if (fn == NULL)
        return CKR_GENERAL_ERROR;
    if (list == NULL)
        return fn(list);
    rv = fn(&got);
    if (rv == CKR_OK)
        *list = shim_list(got);
    return rv;
}

static CK_RV shim_get_interface_list(CK_INTERFACE_PTR list, CK_ULONG_PTR count)
{
    CK_C_GetInterfaceList fn = (CK_C_GetInterfaceList)real_sym("C_GetInterfaceList");
    CK_ULONG i;
    CK_RV rv;

    if (fn == NULL)
        return CKR_FUNCTION_NOT_SUPPORTED;
    rv = fn(list, count);
    if (rv == CKR_OK && list != NULL)
        for (i = 0; i < *count; i++)
            if (strcmp((char *)list[i].pInterfaceName, "PKCS 11") == 0)
                list[i].pFunctionList = shim_list(list[i].pFunctionList);
    return rv;
}

static CK_RV shim_get_interface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
                                CK_INTERFACE_PTR_PTR iface, CK_FLAGS flags)
{
    CK_C_GetInterface fn = (CK_C_GetInterface)real_sym("C_GetInterface");
    CK_INTERFACE_PTR got = NULL, mine;
    CK_RV rv;

    if (fn == NULL)
        return CKR_FUNCTION_NOT_SUPPORTED;
    if (iface == NULL)
        return fn(name, version, iface, flags);
    rv = fn(name, version, &got, flags);
    if (rv != CKR_OK || got == NULL) {
        *iface = &refused;
        return rv;
    }
    if (strcmp((char *)got->pInterfaceName, "PKCS 11") != 0) {
        *iface = got;
        return rv;
    }
    mine = ((CK_VERSION *)got->pFunctionList)->major == 3 ? &iface3 : &iface2;
    *mine = *got;
    mine->pFunctionList = shim_list(got->pFunctionList);
    *iface = mine;
    return rv;
}

SHIM_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    return shim_get_function_list(list);
}

SHIM_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR list, CK_ULONG_PTR count)
{
    return shim_get_interface_list(list, count);
}

SHIM_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
                                 CK_INTERFACE_PTR_PTR iface, CK_FLAGS flags)
{
    return shim_get_interface(name, version, iface, flags);
}
