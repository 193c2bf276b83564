/* Message digesting functions: PKCS#11 3.0 section 5.12. */
#include "face.h"

/* 5.12.1 C_DigestInit */
CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
    FACE_CHECK_INIT();
    return tsr_face_crypto_init(hSession, TSR_OP_DIGEST, pMechanism, CK_INVALID_HANDLE);
}

/* 5.12.2 C_Digest */
CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    FACE_CHECK_INIT();
    if (pulDigestLen == NULL || !face_buf_ok(pData, ulDataLen))
        return tsr_face_abort(hSession, TSR_OP_DIGEST, CKR_ARGUMENTS_BAD);
    return tsr_crypto_oneshot(hSession, TSR_OP_DIGEST, pData, ulDataLen, pDigest, pulDigestLen);
}

/* 5.12.3 C_DigestUpdate */
CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pPart, ulPartLen))
        return tsr_face_abort(hSession, TSR_OP_DIGEST, CKR_ARGUMENTS_BAD);
    return tsr_crypto_update(hSession, TSR_OP_DIGEST, pPart, ulPartLen, NULL, NULL);
}

/* 5.12.4 C_DigestKey */
CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
    FACE_CHECK_INIT();
    return tsr_crypto_digest_key(hSession, hKey);
}

/* 5.12.5 C_DigestFinal */
CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    FACE_CHECK_INIT();
    if (pulDigestLen == NULL)
        return tsr_face_abort(hSession, TSR_OP_DIGEST, CKR_ARGUMENTS_BAD);
    return tsr_crypto_final(hSession, TSR_OP_DIGEST, pDigest, pulDigestLen);
}
