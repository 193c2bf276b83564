/* The PKCS#11 ABI as Tessera speaks it: p11-kit's 2.40 pkcs11.h plus the few
 * PKCS#11 3.0 declarations p11-kit 0.24 does not ship yet.  Everything in the
 * tree includes this header, never <p11-kit/pkcs11.h> directly. */
#ifndef TSR_PKCS11_3_H
#define TSR_PKCS11_3_H

#define CRYPTOKI_COMPAT 1
#include <p11-kit/pkcs11.h>

#ifndef CKF_INTERFACE_FORK_SAFE

/* 3.0 section 3.6: interfaces. */
typedef struct CK_INTERFACE {
    CK_CHAR *pInterfaceName;
    CK_VOID_PTR pFunctionList;
    CK_FLAGS flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR *CK_INTERFACE_PTR_PTR;

#define CKF_INTERFACE_FORK_SAFE 0x00000001UL

/* 3.0 additions to the function list, in the order of the specification. */
typedef CK_RV (*CK_C_GetInterfaceList)(CK_INTERFACE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_GetInterface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
typedef CK_RV (*CK_C_LoginUser)(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR_PTR, CK_ULONG,
                                CK_UTF8CHAR_PTR, CK_ULONG);
typedef CK_RV (*CK_C_SessionCancel)(CK_SESSION_HANDLE, CK_FLAGS);
typedef CK_RV (*CK_C_MessageEncryptInit)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
typedef CK_RV (*CK_C_EncryptMessage)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                     CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_EncryptMessageBegin)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                          CK_ULONG);
typedef CK_RV (*CK_C_EncryptMessageNext)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                         CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR, CK_FLAGS);
typedef CK_RV (*CK_C_MessageEncryptFinal)(CK_SESSION_HANDLE);
typedef CK_RV (*CK_C_MessageDecryptInit)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
typedef CK_RV (*CK_C_DecryptMessage)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                     CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_DecryptMessageBegin)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                          CK_ULONG);
typedef CK_RV (*CK_C_DecryptMessageNext)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                         CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR, CK_FLAGS);
typedef CK_RV (*CK_C_MessageDecryptFinal)(CK_SESSION_HANDLE);
typedef CK_RV (*CK_C_MessageSignInit)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
typedef CK_RV (*CK_C_SignMessage)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                                  CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_SignMessageBegin)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG);
typedef CK_RV (*CK_C_SignMessageNext)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                      CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_MessageSignFinal)(CK_SESSION_HANDLE);
typedef CK_RV (*CK_C_MessageVerifyInit)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
typedef CK_RV (*CK_C_VerifyMessage)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                                    CK_BYTE_PTR, CK_ULONG);
typedef CK_RV (*CK_C_VerifyMessageBegin)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG);
typedef CK_RV (*CK_C_VerifyMessageNext)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
                                        CK_ULONG, CK_BYTE_PTR, CK_ULONG);
typedef CK_RV (*CK_C_MessageVerifyFinal)(CK_SESSION_HANDLE);

typedef struct CK_FUNCTION_LIST_3_0 {
    CK_VERSION version;
    CK_C_Initialize C_Initialize;
    CK_C_Finalize C_Finalize;
    CK_C_GetInfo C_GetInfo;
    CK_C_GetFunctionList C_GetFunctionList;
    CK_C_GetSlotList C_GetSlotList;
    CK_C_GetSlotInfo C_GetSlotInfo;
    CK_C_GetTokenInfo C_GetTokenInfo;
    CK_C_GetMechanismList C_GetMechanismList;
    CK_C_GetMechanismInfo C_GetMechanismInfo;
    CK_C_InitToken C_InitToken;
    CK_C_InitPIN C_InitPIN;
    CK_C_SetPIN C_SetPIN;
    CK_C_OpenSession C_OpenSession;
    CK_C_CloseSession C_CloseSession;
    CK_C_CloseAllSessions C_CloseAllSessions;
    CK_C_GetSessionInfo C_GetSessionInfo;
    CK_C_GetOperationState C_GetOperationState;
    CK_C_SetOperationState C_SetOperationState;
    CK_C_Login C_Login;
    CK_C_Logout C_Logout;
    CK_C_CreateObject C_CreateObject;
    CK_C_CopyObject C_CopyObject;
    CK_C_DestroyObject C_DestroyObject;
    CK_C_GetObjectSize C_GetObjectSize;
    CK_C_GetAttributeValue C_GetAttributeValue;
    CK_C_SetAttributeValue C_SetAttributeValue;
    CK_C_FindObjectsInit C_FindObjectsInit;
    CK_C_FindObjects C_FindObjects;
    CK_C_FindObjectsFinal C_FindObjectsFinal;
    CK_C_EncryptInit C_EncryptInit;
    CK_C_Encrypt C_Encrypt;
    CK_C_EncryptUpdate C_EncryptUpdate;
    CK_C_EncryptFinal C_EncryptFinal;
    CK_C_DecryptInit C_DecryptInit;
    CK_C_Decrypt C_Decrypt;
    CK_C_DecryptUpdate C_DecryptUpdate;
    CK_C_DecryptFinal C_DecryptFinal;
    CK_C_DigestInit C_DigestInit;
    CK_C_Digest C_Digest;
    CK_C_DigestUpdate C_DigestUpdate;
    CK_C_DigestKey C_DigestKey;
    CK_C_DigestFinal C_DigestFinal;
    CK_C_SignInit C_SignInit;
    CK_C_Sign C_Sign;
    CK_C_SignUpdate C_SignUpdate;
    CK_C_SignFinal C_SignFinal;
    CK_C_SignRecoverInit C_SignRecoverInit;
    CK_C_SignRecover C_SignRecover;
    CK_C_VerifyInit C_VerifyInit;
    CK_C_Verify C_Verify;
    CK_C_VerifyUpdate C_VerifyUpdate;
    CK_C_VerifyFinal C_VerifyFinal;
    CK_C_VerifyRecoverInit C_VerifyRecoverInit;
    CK_C_VerifyRecover C_VerifyRecover;
    CK_C_DigestEncryptUpdate C_DigestEncryptUpdate;
    CK_C_DecryptDigestUpdate C_DecryptDigestUpdate;
    CK_C_SignEncryptUpdate C_SignEncryptUpdate;
    CK_C_DecryptVerifyUpdate C_DecryptVerifyUpdate;
    CK_C_GenerateKey C_GenerateKey;
    CK_C_GenerateKeyPair C_GenerateKeyPair;
    CK_C_WrapKey C_WrapKey;
    CK_C_UnwrapKey C_UnwrapKey;
    CK_C_DeriveKey C_DeriveKey;
    CK_C_SeedRandom C_SeedRandom;
    CK_C_GenerateRandom C_GenerateRandom;
    CK_C_GetFunctionStatus C_GetFunctionStatus;
    CK_C_CancelFunction C_CancelFunction;
    CK_C_WaitForSlotEvent C_WaitForSlotEvent;
    CK_C_GetInterfaceList C_GetInterfaceList;
    CK_C_GetInterface C_GetInterface;
    CK_C_LoginUser C_LoginUser;
    CK_C_SessionCancel C_SessionCancel;
    CK_C_MessageEncryptInit C_MessageEncryptInit;
    CK_C_EncryptMessage C_EncryptMessage;
    CK_C_EncryptMessageBegin C_EncryptMessageBegin;
    CK_C_EncryptMessageNext C_EncryptMessageNext;
    CK_C_MessageEncryptFinal C_MessageEncryptFinal;
    CK_C_MessageDecryptInit C_MessageDecryptInit;
    CK_C_DecryptMessage C_DecryptMessage;
    CK_C_DecryptMessageBegin C_DecryptMessageBegin;
    CK_C_DecryptMessageNext C_DecryptMessageNext;
    CK_C_MessageDecryptFinal C_MessageDecryptFinal;
    CK_C_MessageSignInit C_MessageSignInit;
    CK_C_SignMessage C_SignMessage;
    CK_C_SignMessageBegin C_SignMessageBegin;
    CK_C_SignMessageNext C_SignMessageNext;
    CK_C_MessageSignFinal C_MessageSignFinal;
    CK_C_MessageVerifyInit C_MessageVerifyInit;
    CK_C_VerifyMessage C_VerifyMessage;
    CK_C_VerifyMessageBegin C_VerifyMessageBegin;
    CK_C_VerifyMessageNext C_VerifyMessageNext;
    CK_C_MessageVerifyFinal C_MessageVerifyFinal;
} CK_FUNCTION_LIST_3_0;
typedef CK_FUNCTION_LIST_3_0 *CK_FUNCTION_LIST_3_0_PTR;

#endif /* CKF_INTERFACE_FORK_SAFE */

/* 3.0 constants missing from p11-kit 0.24. */
#ifndef CKK_EC_MONTGOMERY
#define CKK_EC_MONTGOMERY 0x00000041UL
#endif
#ifndef CKA_UNIQUE_ID
#define CKA_UNIQUE_ID 0x0000000AUL
#endif
#ifndef CKM_SHA3_256
#define CKM_SHA3_256_RSA_PKCS          0x00000060UL
#define CKM_SHA3_384_RSA_PKCS          0x00000061UL
#define CKM_SHA3_512_RSA_PKCS          0x00000062UL
#define CKM_SHA3_256_RSA_PKCS_PSS      0x00000063UL
#define CKM_SHA3_384_RSA_PKCS_PSS      0x00000064UL
#define CKM_SHA3_512_RSA_PKCS_PSS      0x00000065UL
#define CKM_SHA3_224_RSA_PKCS          0x00000066UL
#define CKM_SHA3_224_RSA_PKCS_PSS      0x00000067UL
#define CKM_SHA3_256                   0x000002B0UL
#define CKM_SHA3_256_HMAC              0x000002B1UL
#define CKM_SHA3_256_HMAC_GENERAL      0x000002B2UL
#define CKM_SHA3_224                   0x000002B5UL
#define CKM_SHA3_224_HMAC              0x000002B6UL
#define CKM_SHA3_224_HMAC_GENERAL      0x000002B7UL
#define CKM_SHA3_384                   0x000002C0UL
#define CKM_SHA3_384_HMAC              0x000002C1UL
#define CKM_SHA3_384_HMAC_GENERAL      0x000002C2UL
#define CKM_SHA3_512                   0x000002D0UL
#define CKM_SHA3_512_HMAC              0x000002D1UL
#define CKM_SHA3_512_HMAC_GENERAL      0x000002D2UL
#define CKM_ECDSA_SHA3_224             0x00001047UL
#define CKM_ECDSA_SHA3_256             0x00001048UL
#define CKM_ECDSA_SHA3_384             0x00001049UL
#define CKM_ECDSA_SHA3_512             0x0000104AUL
#define CKM_EC_MONTGOMERY_KEY_PAIR_GEN 0x00001056UL
#define CKM_HKDF_DERIVE                0x0000402AUL
#define CKM_HKDF_DATA                  0x0000402BUL
#define CKM_HKDF_KEY_GEN               0x0000402CUL
#define CKG_MGF1_SHA3_224              0x00000006UL
#define CKG_MGF1_SHA3_256              0x00000007UL
#define CKG_MGF1_SHA3_384              0x00000008UL
#define CKG_MGF1_SHA3_512              0x00000009UL
#endif
#ifndef CK_CERTIFICATE_CATEGORY_UNSPECIFIED
#define CK_CERTIFICATE_CATEGORY_UNSPECIFIED  0UL
#define CK_CERTIFICATE_CATEGORY_TOKEN_USER   1UL
#define CK_CERTIFICATE_CATEGORY_AUTHORITY    2UL
#define CK_CERTIFICATE_CATEGORY_OTHER_ENTITY 3UL
#endif
#ifndef CK_SECURITY_DOMAIN_UNSPECIFIED
#define CK_SECURITY_DOMAIN_UNSPECIFIED  0UL
#define CK_SECURITY_DOMAIN_MANUFACTURER 1UL
#define CK_SECURITY_DOMAIN_OPERATOR     2UL
#define CK_SECURITY_DOMAIN_THIRD_PARTY  3UL
#endif
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED 0x00000202UL
#endif

/* 3.0 symmetric pieces p11-kit 0.24 lacks: RFC 5649 key wrap (section 2.14.3;
 * CKM_AES_KEY_WRAP_PAD is PKCS #7 padding before RFC 3394 there), CCM's
 * parameters (2.12.3) and the MAC length of the _GENERAL mechanisms. */
#ifndef CKM_AES_KEY_WRAP_KWP
#define CKM_AES_KEY_WRAP_KWP 0x0000210BUL
#endif
#ifndef TSR_HAVE_CK_CCM_PARAMS
#define TSR_HAVE_CK_CCM_PARAMS 1
typedef struct CK_CCM_PARAMS {
    CK_ULONG ulDataLen;
    CK_BYTE_PTR pNonce;
    CK_ULONG ulNonceLen;
    CK_BYTE_PTR pAAD;
    CK_ULONG ulAADLen;
    CK_ULONG ulMACLen;
} CK_CCM_PARAMS;
typedef CK_ULONG CK_MAC_GENERAL_PARAMS;
#endif

/* 3.0 derivation: HKDF (section 6.62), the SHA-3 forms of key derivation by
 * digesting and of the X9.63 KDF, and PKCS #5 PBKDF2's parameters, which
 * p11-kit 0.24 lacks. */
#ifndef CKF_HKDF_SALT_NULL
#define CKK_HKDF                0x00000042UL
#define CKF_HKDF_SALT_NULL      0x00000001UL
#define CKF_HKDF_SALT_DATA      0x00000002UL
#define CKF_HKDF_SALT_KEY       0x00000004UL
#define CKM_SHA3_256_KEY_DERIVE 0x00000397UL
#define CKM_SHA3_224_KEY_DERIVE 0x00000398UL
#define CKM_SHA3_384_KEY_DERIVE 0x00000399UL
#define CKM_SHA3_512_KEY_DERIVE 0x0000039AUL
#define CKD_SHA3_224_KDF        0x0000000AUL
#define CKD_SHA3_256_KDF        0x0000000BUL
#define CKD_SHA3_384_KDF        0x0000000CUL
#define CKD_SHA3_512_KDF        0x0000000DUL

typedef struct CK_HKDF_PARAMS {
    CK_BBOOL bExtract;
    CK_BBOOL bExpand;
    CK_MECHANISM_TYPE prfHashMechanism;
    CK_ULONG ulSaltType;
    CK_BYTE_PTR pSalt;
    CK_ULONG ulSaltLen;
    CK_OBJECT_HANDLE hSaltKey;
    CK_BYTE_PTR pInfo;
    CK_ULONG ulInfoLen;
} CK_HKDF_PARAMS;
#endif
#ifndef CKZ_SALT_SPECIFIED
#define CKZ_SALT_SPECIFIED              0x00000001UL
#define CKP_PKCS5_PBKD2_HMAC_SHA1       0x00000001UL
#define CKP_PKCS5_PBKD2_HMAC_GOSTR3411  0x00000002UL
#define CKP_PKCS5_PBKD2_HMAC_SHA224     0x00000003UL
#define CKP_PKCS5_PBKD2_HMAC_SHA256     0x00000004UL
#define CKP_PKCS5_PBKD2_HMAC_SHA384     0x00000005UL
#define CKP_PKCS5_PBKD2_HMAC_SHA512     0x00000006UL
#define CKP_PKCS5_PBKD2_HMAC_SHA512_224 0x00000007UL
#define CKP_PKCS5_PBKD2_HMAC_SHA512_256 0x00000008UL

/* 2.40 as published: the password length by pointer. */
typedef struct CK_PKCS5_PBKD2_PARAMS {
    CK_ULONG saltSource;
    CK_VOID_PTR pSaltSourceData;
    CK_ULONG ulSaltSourceDataLen;
    CK_ULONG iterations;
    CK_ULONG prf;
    CK_VOID_PTR pPrfData;
    CK_ULONG ulPrfDataLen;
    CK_UTF8CHAR_PTR pPassword;
    CK_ULONG_PTR ulPasswordLen;
} CK_PKCS5_PBKD2_PARAMS;

/* 2.40 errata and 3.0: the password length by value. */
typedef struct CK_PKCS5_PBKD2_PARAMS2 {
    CK_ULONG saltSource;
    CK_VOID_PTR pSaltSourceData;
    CK_ULONG ulSaltSourceDataLen;
    CK_ULONG iterations;
    CK_ULONG prf;
    CK_VOID_PTR pPrfData;
    CK_ULONG ulPrfDataLen;
    CK_UTF8CHAR_PTR pPassword;
    CK_ULONG ulPasswordLen;
} CK_PKCS5_PBKD2_PARAMS2;
#endif

#endif /* TSR_PKCS11_3_H */
