/* The face: the PKCS#11 entry points.  Every C_* function here does the same
 * three things: checks the module is initialised in this process, rejects
 * arguments the ABI forbids with the exact CKR_* the specification names, and
 * calls the one tsr_* function of src/token/token.h that does the work.  The
 * face never locks and keeps no state of its own. */
#ifndef TSR_FACE_H
#define TSR_FACE_H

#include <stdbool.h>

#include "pkcs11-3.h"
#include "token.h"

/* The only symbols the module exports (tessera.map agrees). */
#define TSR_EXPORT __attribute__((visibility("default")))

/* The two function tables (module.c): version 2.40 for C_GetFunctionList and
 * 3.0 for C_GetInterface. */
extern const CK_FUNCTION_LIST tsr_face_list_2_40;
extern const CK_FUNCTION_LIST_3_0 tsr_face_list_3_0;

/* Returns from the calling C_* function unless the module is initialised in
 * this process (a forked child is not). */
#define FACE_CHECK_INIT()                                                                          \
    do {                                                                                           \
        CK_RV face_rv_ = tsr_module_check();                                                       \
        if (face_rv_ != CKR_OK)                                                                    \
            return face_rv_;                                                                       \
    } while (0)

/* A caller's buffer or array: NULL is only fine when it is empty. */
static inline bool face_buf_ok(const void *p, CK_ULONG len)
{
    return p != NULL || len == 0;
}

/* Refuses a call on session `h` with `rv`, unless `h` itself is bad: the
 * session's error (CKR_SESSION_HANDLE_INVALID, ...) takes precedence over
 * CKR_ARGUMENTS_BAD and the other codes of section 5.1.6.  Only on error paths
 * and for the calls the face answers itself.  (session.c) */
CK_RV tsr_face_refuse(CK_SESSION_HANDLE h, CK_RV rv);

/* C_*Init: `mech` NULL cancels the active operation of `kind`; otherwise its
 * parameter pointer and length must agree (CKR_MECHANISM_PARAM_INVALID).
 * (crypt.c) */
CK_RV tsr_face_crypto_init(CK_SESSION_HANDLE h, tsr_op_kind kind, const CK_MECHANISM *mech,
                           CK_OBJECT_HANDLE key);

/* Refuses a call of an active operation with `rv` (CKR_ARGUMENTS_BAD): such a
 * failed call still ends the operation of `kind`, as sections 5.8 - 5.15 say
 * of every call but a length query or CKR_BUFFER_TOO_SMALL.  (crypt.c) */
CK_RV tsr_face_abort(CK_SESSION_HANDLE h, tsr_op_kind kind, CK_RV rv);

/* PKCS#11 3.0 entry points p11-kit 0.24's header does not declare. */
CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags);
CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                  CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen);
CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags);
CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey);
CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext,
                       CK_ULONG_PTR pulCiphertextLen);
CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen);
CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags);
CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession);
CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey);
CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext,
                       CK_ULONG_PTR pulPlaintextLen);
CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen);
CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags);
CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession);
CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey);
CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                    CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen);
CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                         CK_ULONG ulParameterLen);
CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                        CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                        CK_ULONG_PTR pulSignatureLen);
CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession);
CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey);
CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                      CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen);
CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen);
CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                          CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                          CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);
CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession);

#endif
