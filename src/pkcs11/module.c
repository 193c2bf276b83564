/* The module's front door: the two function tables and the three exported
 * functions that hand them out.  PKCS#11 3.0 section 5.4.4 - 5.4.6. */
#include <string.h>

#include "face.h"

#define INTERFACE_NAME "PKCS 11"

/* The functions both tables share, in the order of the 2.40 list. */
#define FACE_FUNCTIONS_2_40                                                                        \
    .C_Initialize = C_Initialize, .C_Finalize = C_Finalize, .C_GetInfo = C_GetInfo,                \
    .C_GetFunctionList = C_GetFunctionList, .C_GetSlotList = C_GetSlotList,                        \
    .C_GetSlotInfo = C_GetSlotInfo, .C_GetTokenInfo = C_GetTokenInfo,                              \
    .C_GetMechanismList = C_GetMechanismList, .C_GetMechanismInfo = C_GetMechanismInfo,            \
    .C_InitToken = C_InitToken, .C_InitPIN = C_InitPIN, .C_SetPIN = C_SetPIN,                      \
    .C_OpenSession = C_OpenSession, .C_CloseSession = C_CloseSession,                              \
    .C_CloseAllSessions = C_CloseAllSessions, .C_GetSessionInfo = C_GetSessionInfo,                \
    .C_GetOperationState = C_GetOperationState, .C_SetOperationState = C_SetOperationState,        \
    .C_Login = C_Login, .C_Logout = C_Logout, .C_CreateObject = C_CreateObject,                    \
    .C_CopyObject = C_CopyObject, .C_DestroyObject = C_DestroyObject,                              \
    .C_GetObjectSize = C_GetObjectSize, .C_GetAttributeValue = C_GetAttributeValue,                \
    .C_SetAttributeValue = C_SetAttributeValue, .C_FindObjectsInit = C_FindObjectsInit,            \
    .C_FindObjects = C_FindObjects, .C_FindObjectsFinal = C_FindObjectsFinal,                      \
    .C_EncryptInit = C_EncryptInit, .C_Encrypt = C_Encrypt, .C_EncryptUpdate = C_EncryptUpdate,    \
    .C_EncryptFinal = C_EncryptFinal, .C_DecryptInit = C_DecryptInit, .C_Decrypt = C_Decrypt,      \
    .C_DecryptUpdate = C_DecryptUpdate, .C_DecryptFinal = C_DecryptFinal,                          \
    .C_DigestInit = C_DigestInit, .C_Digest = C_Digest, .C_DigestUpdate = C_DigestUpdate,          \
    .C_DigestKey = C_DigestKey, .C_DigestFinal = C_DigestFinal, .C_SignInit = C_SignInit,          \
    .C_Sign = C_Sign, .C_SignUpdate = C_SignUpdate, .C_SignFinal = C_SignFinal,                    \
    .C_SignRecoverInit = C_SignRecoverInit, .C_SignRecover = C_SignRecover,                        \
    .C_VerifyInit = C_VerifyInit, .C_Verify = C_Verify, .C_VerifyUpdate = C_VerifyUpdate,          \
    .C_VerifyFinal = C_VerifyFinal, .C_VerifyRecoverInit = C_VerifyRecoverInit,                    \
    .C_VerifyRecover = C_VerifyRecover, .C_DigestEncryptUpdate = C_DigestEncryptUpdate,            \
    .C_DecryptDigestUpdate = C_DecryptDigestUpdate, .C_SignEncryptUpdate = C_SignEncryptUpdate,    \
    .C_DecryptVerifyUpdate = C_DecryptVerifyUpdate, .C_GenerateKey = C_GenerateKey,                \
    .C_GenerateKeyPair = C_GenerateKeyPair, .C_WrapKey = C_WrapKey, .C_UnwrapKey = C_UnwrapKey,    \
    .C_DeriveKey = C_DeriveKey, .C_SeedRandom = C_SeedRandom,                                      \
    .C_GenerateRandom = C_GenerateRandom, .C_GetFunctionStatus = C_GetFunctionStatus,              \
    .C_CancelFunction = C_CancelFunction, .C_WaitForSlotEvent = C_WaitForSlotEvent

const CK_FUNCTION_LIST tsr_face_list_2_40 = {
    .version = {2, 40},
    FACE_FUNCTIONS_2_40,
};

const CK_FUNCTION_LIST_3_0 tsr_face_list_3_0 = {
    .version = {3, 0},
    FACE_FUNCTIONS_2_40,
    .C_GetInterfaceList = C_GetInterfaceList,
    .C_GetInterface = C_GetInterface,
    .C_LoginUser = C_LoginUser,
    .C_SessionCancel = C_SessionCancel,
    .C_MessageEncryptInit = C_MessageEncryptInit,
    .C_EncryptMessage = C_EncryptMessage,
    .C_EncryptMessageBegin = C_EncryptMessageBegin,
    .C_EncryptMessageNext = C_EncryptMessageNext,
    .C_MessageEncryptFinal = C_MessageEncryptFinal,
    .C_MessageDecryptInit = C_MessageDecryptInit,
    .C_DecryptMessage = C_DecryptMessage,
    .C_DecryptMessageBegin = C_DecryptMessageBegin,
    .C_DecryptMessageNext = C_DecryptMessageNext,
    .C_MessageDecryptFinal = C_MessageDecryptFinal,
    .C_MessageSignInit = C_MessageSignInit,
    .C_SignMessage = C_SignMessage,
    .C_SignMessageBegin = C_SignMessageBegin,
    .C_SignMessageNext = C_SignMessageNext,
    .C_MessageSignFinal = C_MessageSignFinal,
    .C_MessageVerifyInit = C_MessageVerifyInit,
    .C_VerifyMessage = C_VerifyMessage,
    .C_VerifyMessageBegin = C_VerifyMessageBegin,
    .C_VerifyMessageNext = C_VerifyMessageNext,
    .C_MessageVerifyFinal = C_MessageVerifyFinal,
};

/* What C_GetInterfaceList reports, preferred first.  Neither interface is
 * CKF_INTERFACE_FORK_SAFE: a forked child must call C_Initialize again.  The
 * caller gets pointers into this const memory and must not write to it. */
static const CK_INTERFACE interfaces[] = {
    {(CK_CHAR *)INTERFACE_NAME, (CK_VOID_PTR)&tsr_face_list_3_0, 0},
    {(CK_CHAR *)INTERFACE_NAME, (CK_VOID_PTR)&tsr_face_list_2_40, 0},
};
#define INTERFACE_COUNT (sizeof(interfaces) / sizeof(interfaces[0]))

/* Every function list starts with its CK_VERSION. */
static const CK_VERSION *interface_version(const CK_INTERFACE *iface)
{
    return (const CK_VERSION *)iface->pFunctionList;
}

/* C_GetInterface's three conditions: name, version (when given) and all the
 * requested flags. */
static bool interface_matches(const CK_INTERFACE *iface, const CK_UTF8CHAR *name,
                              const CK_VERSION *version, CK_FLAGS flags)
{
    const CK_VERSION *have = interface_version(iface);

    if (name != NULL && strcmp((const char *)name, (const char *)iface->pInterfaceName) != 0)
        return false;
    if (version != NULL && (version->major != have->major || version->minor != have->minor))
        return false;
    return (iface->flags & flags) == flags;
}

/* 5.4.4 C_GetFunctionList: the 2.40 table, for callers that know no better. */
TSR_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
    if (ppFunctionList == NULL)
        return CKR_ARGUMENTS_BAD;
    *ppFunctionList = (CK_FUNCTION_LIST_PTR)&tsr_face_list_2_40;
    return CKR_OK;
}

/* 5.4.5 C_GetInterfaceList: the variable-length buffer convention of 5.2. */
TSR_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
    CK_ULONG have;

    if (pulCount == NULL)
        return CKR_ARGUMENTS_BAD;
    have = *pulCount;
    *pulCount = INTERFACE_COUNT;
    if (pInterfacesList == NULL)
        return CKR_OK;
    if (have < INTERFACE_COUNT)
        return CKR_BUFFER_TOO_SMALL;
    memcpy(pInterfacesList, interfaces, sizeof(interfaces));
    return CKR_OK;
}

/* 5.4.6 C_GetInterface: name NULL or "PKCS 11"; version NULL picks the first
 * (3.0).  The specification names no code for "nothing matches": like other
 * 3.0 modules we answer CKR_ARGUMENTS_BAD, the one it lists for bad input. */
TSR_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                                CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
    size_t i;

    if (ppInterface == NULL)
        return CKR_ARGUMENTS_BAD;
    for (i = 0; i < INTERFACE_COUNT; i++) {
        if (interface_matches(&interfaces[i], pInterfaceName, pVersion, flags)) {
            *ppInterface = (CK_INTERFACE_PTR)&interfaces[i];
            return CKR_OK;
        }
    }
    return CKR_ARGUMENTS_BAD;
}
