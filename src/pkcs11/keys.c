/* Key management functions: PKCS#11 3.0 section 5.18. */
#include "face.h"

/* The face's checks on a mechanism that cannot be NULL here. */
static CK_RV mech_refuse(CK_SESSION_HANDLE h, const CK_MECHANISM *mech)
{
    if (mech == NULL)
        return tsr_face_refuse(h, CKR_ARGUMENTS_BAD);
    if (!face_buf_ok(mech->pParameter, mech->ulParameterLen))
        return tsr_face_refuse(h, CKR_MECHANISM_PARAM_INVALID);
    return CKR_OK;
}

/* 5.18.1 C_GenerateKey */
CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                    CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey)
{
    CK_RV rv;

    FACE_CHECK_INIT();
    if (phKey == NULL || !face_buf_ok(pTemplate, ulCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    rv = mech_refuse(hSession, pMechanism);
    if (rv != CKR_OK)
        return rv;
    return tsr_key_generate(hSession, pMechanism, pTemplate, ulCount, phKey);
}

/* 5.18.2 C_GenerateKeyPair */
CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
                        CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
                        CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey)
{
    CK_RV rv;

    FACE_CHECK_INIT();
    if (phPublicKey == NULL || phPrivateKey == NULL ||
        !face_buf_ok(pPublicKeyTemplate, ulPublicKeyAttributeCount) ||
        !face_buf_ok(pPrivateKeyTemplate, ulPrivateKeyAttributeCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    rv = mech_refuse(hSession, pMechanism);
    if (rv != CKR_OK)
        return rv;
    return tsr_key_generate_pair(hSession, pMechanism, pPublicKeyTemplate,
                                 ulPublicKeyAttributeCount, pPrivateKeyTemplate,
                                 ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey);
}

/* 5.18.3 C_WrapKey */
CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey,
                CK_ULONG_PTR pulWrappedKeyLen)
{
    CK_RV rv;

    FACE_CHECK_INIT();
    if (pulWrappedKeyLen == NULL)
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    rv = mech_refuse(hSession, pMechanism);
    if (rv != CKR_OK)
        return rv;
    return tsr_key_wrap(hSession, pMechanism, hWrappingKey, hKey, pWrappedKey, pulWrappedKeyLen);
}

/* 5.18.4 C_UnwrapKey */
CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                  CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey,
                  CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
                  CK_OBJECT_HANDLE_PTR phKey)
{
    CK_RV rv;

    FACE_CHECK_INIT();
    if (phKey == NULL || !face_buf_ok(pWrappedKey, ulWrappedKeyLen) ||
        !face_buf_ok(pTemplate, ulAttributeCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    rv = mech_refuse(hSession, pMechanism);
    if (rv != CKR_OK)
        return rv;
    return tsr_key_unwrap(hSession, pMechanism, hUnwrappingKey, pWrappedKey, ulWrappedKeyLen,
                          pTemplate, ulAttributeCount, phKey);
}

/* 5.18.5 C_DeriveKey.  phKey may be NULL for mechanisms that derive several
 * keys (CKM_TLS12_KEY_AND_MAC_DERIVE), so the face leaves it to the token
 * layer, which knows the mechanism. */
CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                  CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
                  CK_OBJECT_HANDLE_PTR phKey)
{
    CK_RV rv;

    FACE_CHECK_INIT();
    if (!face_buf_ok(pTemplate, ulAttributeCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    rv = mech_refuse(hSession, pMechanism);
    if (rv != CKR_OK)
        return rv;
    return tsr_key_derive(hSession, pMechanism, hBaseKey, pTemplate, ulAttributeCount, phKey);
}
