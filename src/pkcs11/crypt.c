/* Encryption and decryption: PKCS#11 3.0 sections 5.8 and 5.10, and the
 * dual-function calls of section 5.17.  Also the helpers every
 * operation-starting and operation-continuing call of the face shares. */
#include "face.h"

CK_RV tsr_face_crypto_init(CK_SESSION_HANDLE h, tsr_op_kind kind, const CK_MECHANISM *mech,
                           CK_OBJECT_HANDLE key)
{
    if (mech != NULL && !face_buf_ok(mech->pParameter, mech->ulParameterLen))
        return tsr_face_refuse(h, CKR_MECHANISM_PARAM_INVALID);
    return tsr_crypto_init(h, kind, mech, key);
}

CK_RV tsr_face_abort(CK_SESSION_HANDLE h, tsr_op_kind kind, CK_RV rv)
{
    CK_RV srv = tsr_face_refuse(h, rv);

    if (srv == rv)
        (void)tsr_crypto_init(h, kind, NULL, CK_INVALID_HANDLE);
    return srv;
}

/* 5.8.1 C_EncryptInit */
CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    FACE_CHECK_INIT();
    return tsr_face_crypto_init(hSession, TSR_OP_ENCRYPT, pMechanism, hKey);
}

/* 5.8.2 C_Encrypt */
CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen)
{
    FACE_CHECK_INIT();
    if (pulEncryptedDataLen == NULL || !face_buf_ok(pData, ulDataLen))
        return tsr_face_abort(hSession, TSR_OP_ENCRYPT, CKR_ARGUMENTS_BAD);
    return tsr_crypto_oneshot(hSession, TSR_OP_ENCRYPT, pData, ulDataLen, pEncryptedData,
                              pulEncryptedDataLen);
}

/* 5.8.3 C_EncryptUpdate */
CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                      CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
    FACE_CHECK_INIT();
    if (pulEncryptedPartLen == NULL || !face_buf_ok(pPart, ulPartLen))
        return tsr_face_abort(hSession, TSR_OP_ENCRYPT, CKR_ARGUMENTS_BAD);
    return tsr_crypto_update(hSession, TSR_OP_ENCRYPT, pPart, ulPartLen, pEncryptedPart,
                             pulEncryptedPartLen);
}

/* 5.8.4 C_EncryptFinal */
CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart,
                     CK_ULONG_PTR pulLastEncryptedPartLen)
{
    FACE_CHECK_INIT();
    if (pulLastEncryptedPartLen == NULL)
        return tsr_face_abort(hSession, TSR_OP_ENCRYPT, CKR_ARGUMENTS_BAD);
    return tsr_crypto_final(hSession, TSR_OP_ENCRYPT, pLastEncryptedPart, pulLastEncryptedPartLen);
}

/* 5.10.1 C_DecryptInit */
CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    FACE_CHECK_INIT();
    return tsr_face_crypto_init(hSession, TSR_OP_DECRYPT, pMechanism, hKey);
}

/* 5.10.2 C_Decrypt */
CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen,
                CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
    FACE_CHECK_INIT();
    if (pulDataLen == NULL || !face_buf_ok(pEncryptedData, ulEncryptedDataLen))
        return tsr_face_abort(hSession, TSR_OP_DECRYPT, CKR_ARGUMENTS_BAD);
    return tsr_crypto_oneshot(hSession, TSR_OP_DECRYPT, pEncryptedData, ulEncryptedDataLen, pData,
                              pulDataLen);
}

/* 5.10.3 C_DecryptUpdate */
CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                      CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
    FACE_CHECK_INIT();
    if (pulPartLen == NULL || !face_buf_ok(pEncryptedPart, ulEncryptedPartLen))
        return tsr_face_abort(hSession, TSR_OP_DECRYPT, CKR_ARGUMENTS_BAD);
    return tsr_crypto_update(hSession, TSR_OP_DECRYPT, pEncryptedPart, ulEncryptedPartLen, pPart,
                             pulPartLen);
}

/* 5.10.4 C_DecryptFinal */
CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen)
{
    FACE_CHECK_INIT();
    if (pulLastPartLen == NULL)
        return tsr_face_abort(hSession, TSR_OP_DECRYPT, CKR_ARGUMENTS_BAD);
    return tsr_crypto_final(hSession, TSR_OP_DECRYPT, pLastPart, pulLastPartLen);
}

/* The dual-function calls: the cipher's update with its length protocol,
 * and the other operation fed in order (token/dual.c).  Bad arguments end
 * both operations, as any failure does. */
static CK_RV dual(CK_SESSION_HANDLE h, tsr_op_kind cipher, tsr_op_kind other,
                  const unsigned char *in, CK_ULONG in_len, unsigned char *out, CK_ULONG *out_len)
{
    CK_RV rv;

    if (out_len == NULL || !face_buf_ok(in, in_len)) {
        rv = tsr_face_abort(h, cipher, CKR_ARGUMENTS_BAD);
        if (rv == CKR_ARGUMENTS_BAD)
            (void)tsr_crypto_init(h, other, NULL, CK_INVALID_HANDLE);
        return rv;
    }
    return tsr_crypto_dual_update(h, cipher, other, in, in_len, out, out_len);
}

/* 5.17.1 C_DigestEncryptUpdate */
CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                            CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
    FACE_CHECK_INIT();
    return dual(hSession, TSR_OP_ENCRYPT, TSR_OP_DIGEST, pPart, ulPartLen, pEncryptedPart,
                pulEncryptedPartLen);
}

/* 5.17.2 C_DecryptDigestUpdate */
CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
    FACE_CHECK_INIT();
    return dual(hSession, TSR_OP_DECRYPT, TSR_OP_DIGEST, pEncryptedPart, ulEncryptedPartLen, pPart,
                pulPartLen);
}

/* 5.17.3 C_SignEncryptUpdate */
CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                          CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
    FACE_CHECK_INIT();
    return dual(hSession, TSR_OP_ENCRYPT, TSR_OP_SIGN, pPart, ulPartLen, pEncryptedPart,
                pulEncryptedPartLen);
}

/* 5.17.4 C_DecryptVerifyUpdate */
CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
    FACE_CHECK_INIT();
    return dual(hSession, TSR_OP_DECRYPT, TSR_OP_VERIFY, pEncryptedPart, ulEncryptedPartLen, pPart,
                pulPartLen);
}
