/* Signing and MACing, and verifying: PKCS#11 3.0 sections 5.13 and 5.15. */
#include "face.h"

/* 5.13.1 C_SignInit */
CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    FACE_CHECK_INIT();
    return tsr_face_crypto_init(hSession, TSR_OP_SIGN, pMechanism, hKey);
}

/* 5.13.2 C_Sign */
CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
             CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    FACE_CHECK_INIT();
    if (pulSignatureLen == NULL || !face_buf_ok(pData, ulDataLen))
        return tsr_face_abort(hSession, TSR_OP_SIGN, CKR_ARGUMENTS_BAD);
    return tsr_crypto_oneshot(hSession, TSR_OP_SIGN, pData, ulDataLen, pSignature, pulSignatureLen);
}

/* 5.13.3 C_SignUpdate */
CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pPart, ulPartLen))
        return tsr_face_abort(hSession, TSR_OP_SIGN, CKR_ARGUMENTS_BAD);
    return tsr_crypto_update(hSession, TSR_OP_SIGN, pPart, ulPartLen, NULL, NULL);
}

/* 5.13.4 C_SignFinal */
CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    FACE_CHECK_INIT();
    if (pulSignatureLen == NULL)
        return tsr_face_abort(hSession, TSR_OP_SIGN, CKR_ARGUMENTS_BAD);
    return tsr_crypto_final(hSession, TSR_OP_SIGN, pSignature, pulSignatureLen);
}

/* 5.13.5 C_SignRecoverInit */
CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey)
{
    FACE_CHECK_INIT();
    return tsr_face_crypto_init(hSession, TSR_OP_SIGN_RECOVER, pMechanism, hKey);
}

/* 5.13.6 C_SignRecover */
CK_RV C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                    CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    FACE_CHECK_INIT();
    if (pulSignatureLen == NULL || !face_buf_ok(pData, ulDataLen))
        return tsr_face_abort(hSession, TSR_OP_SIGN_RECOVER, CKR_ARGUMENTS_BAD);
    return tsr_crypto_oneshot(hSession, TSR_OP_SIGN_RECOVER, pData, ulDataLen, pSignature,
                              pulSignatureLen);
}

/* 5.15.1 C_VerifyInit */
CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    FACE_CHECK_INIT();
    return tsr_face_crypto_init(hSession, TSR_OP_VERIFY, pMechanism, hKey);
}

/* 5.15.2 C_Verify */
CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pData, ulDataLen) || !face_buf_ok(pSignature, ulSignatureLen))
        return tsr_face_abort(hSession, TSR_OP_VERIFY, CKR_ARGUMENTS_BAD);
    return tsr_crypto_verify(hSession, pData, ulDataLen, pSignature, ulSignatureLen);
}

/* 5.15.3 C_VerifyUpdate */
CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pPart, ulPartLen))
        return tsr_face_abort(hSession, TSR_OP_VERIFY, CKR_ARGUMENTS_BAD);
    return tsr_crypto_update(hSession, TSR_OP_VERIFY, pPart, ulPartLen, NULL, NULL);
}

/* 5.15.4 C_VerifyFinal */
CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pSignature, ulSignatureLen))
        return tsr_face_abort(hSession, TSR_OP_VERIFY, CKR_ARGUMENTS_BAD);
    return tsr_crypto_verify_final(hSession, pSignature, ulSignatureLen);
}

/* 5.15.5 C_VerifyRecoverInit */
CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey)
{
    FACE_CHECK_INIT();
    return tsr_face_crypto_init(hSession, TSR_OP_VERIFY_RECOVER, pMechanism, hKey);
}

/* 5.15.6 C_VerifyRecover: the signature goes in, the recovered data comes out. */
CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen,
                      CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
    FACE_CHECK_INIT();
    if (pulDataLen == NULL || !face_buf_ok(pSignature, ulSignatureLen))
        return tsr_face_abort(hSession, TSR_OP_VERIFY_RECOVER, CKR_ARGUMENTS_BAD);
    return tsr_crypto_oneshot(hSession, TSR_OP_VERIFY_RECOVER, pSignature, ulSignatureLen, pData,
                              pulDataLen);
}
