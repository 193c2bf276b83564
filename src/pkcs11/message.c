/* Message-based encryption, decryption, signing and verification: PKCS#11 3.0
 * sections 5.9, 5.11, 5.14 and 5.16.  None is offered yet: each checks that
 * the module is initialised and the session is valid, then answers
 * CKR_FUNCTION_NOT_SUPPORTED.  Only the 3.0 function list carries them. */
#include "face.h"

static CK_RV not_offered(CK_SESSION_HANDLE h)
{
    FACE_CHECK_INIT();
    return tsr_face_refuse(h, CKR_FUNCTION_NOT_SUPPORTED);
}

/* 5.9.1 C_MessageEncryptInit */
CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey)
{
    return not_offered(hSession);
}

/* 5.9.2 C_EncryptMessage */
CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext,
                       CK_ULONG_PTR pulCiphertextLen)
{
    return not_offered(hSession);
}

/* 5.9.3 C_EncryptMessageBegin */
CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen)
{
    return not_offered(hSession);
}

/* 5.9.4 C_EncryptMessageNext */
CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
    return not_offered(hSession);
}

/* 5.9.5 C_MessageEncryptFinal */
CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
    return not_offered(hSession);
}

/* 5.11.1 C_MessageDecryptInit */
CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey)
{
    return not_offered(hSession);
}

/* 5.11.2 C_DecryptMessage */
CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext,
                       CK_ULONG_PTR pulPlaintextLen)
{
    return not_offered(hSession);
}

/* 5.11.3 C_DecryptMessageBegin */
CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen)
{
    return not_offered(hSession);
}

/* 5.11.4 C_DecryptMessageNext */
CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
    return not_offered(hSession);
}

/* 5.11.5 C_MessageDecryptFinal */
CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
    return not_offered(hSession);
}

/* 5.14.1 C_MessageSignInit */
CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey)
{
    return not_offered(hSession);
}

/* 5.14.2 C_SignMessage */
CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                    CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
    return not_offered(hSession);
}

/* 5.14.3 C_SignMessageBegin */
CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                         CK_ULONG ulParameterLen)
{
    return not_offered(hSession);
}

/* 5.14.4 C_SignMessageNext */
CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                        CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                        CK_ULONG_PTR pulSignatureLen)
{
    return not_offered(hSession);
}

/* 5.14.5 C_MessageSignFinal */
CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
    return not_offered(hSession);
}

/* 5.16.1 C_MessageVerifyInit */
CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey)
{
    return not_offered(hSession);
}

/* 5.16.2 C_VerifyMessage */
CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                      CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen)
{
    return not_offered(hSession);
}

/* 5.16.3 C_VerifyMessageBegin */
CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen)
{
    return not_offered(hSession);
}

/* 5.16.4 C_VerifyMessageNext */
CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                          CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                          CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    return not_offered(hSession);
}

/* 5.16.5 C_MessageVerifyFinal */
CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
    return not_offered(hSession);
}
