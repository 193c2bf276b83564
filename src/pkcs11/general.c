/* General-purpose functions: PKCS#11 3.0 section 5.4.1 - 5.4.3, and the
 * legacy parallel function management of section 5.20. */
#include <string.h>

#include "face.h"

#ifndef TSR_VERSION_MAJOR
#define TSR_VERSION_MAJOR 0
#endif
#ifndef TSR_VERSION_MINOR
#define TSR_VERSION_MINOR 0
#endif

#define MANUFACTURER "Tessera"
#define DESCRIPTION  "Tessera PKCS#11 token"

/* Fills a fixed-width PKCS#11 text field: blank-padded, not NUL-terminated. */
static void pad_copy(CK_UTF8CHAR *dst, size_t width, const char *src)
{
    size_t n = strlen(src);

    if (n > width)
        n = width;
    memset(dst, ' ', width);
    memcpy(dst, src, n);
}

/* Section 5.4.1: the mutex callbacks come all four or none, pReserved is NULL. */
static CK_RV init_args_check(const CK_C_INITIALIZE_ARGS *args)
{
    int set;

    if (args == NULL)
        return CKR_OK;
    if (args->pReserved != NULL)
        return CKR_ARGUMENTS_BAD;
    set = (args->CreateMutex != NULL) + (args->DestroyMutex != NULL) + (args->LockMutex != NULL) +
          (args->UnlockMutex != NULL);
    if (set != 0 && set != 4)
        return CKR_ARGUMENTS_BAD;
    return CKR_OK;
}

/* 5.4.1 C_Initialize */
CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    const CK_C_INITIALIZE_ARGS *args = pInitArgs;
    CK_RV rv = init_args_check(args);

    if (rv != CKR_OK)
        return rv;
    return tsr_module_initialize(args);
}

/* 5.4.2 C_Finalize */
CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    FACE_CHECK_INIT();
    if (pReserved != NULL)
        return CKR_ARGUMENTS_BAD;
    return tsr_module_finalize();
}

/* 5.4.3 C_GetInfo */
CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    FACE_CHECK_INIT();
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    memset(pInfo, 0, sizeof(*pInfo));
    pInfo->cryptokiVersion.major = 3;
    pInfo->cryptokiVersion.minor = 0;
    pad_copy(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), MANUFACTURER);
    pInfo->flags = 0;
    pad_copy(pInfo->libraryDescription, sizeof(pInfo->libraryDescription), DESCRIPTION);
    pInfo->libraryVersion.major = TSR_VERSION_MAJOR;
    pInfo->libraryVersion.minor = TSR_VERSION_MINOR;
    return CKR_OK;
}

/* 5.20.1 C_GetFunctionStatus: a legacy function; there are no parallel calls. */
CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
    FACE_CHECK_INIT();
    return CKR_FUNCTION_NOT_PARALLEL;
}

/* 5.20.2 C_CancelFunction: a legacy function; there are no parallel calls. */
CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
    FACE_CHECK_INIT();
    return CKR_FUNCTION_NOT_PARALLEL;
}
