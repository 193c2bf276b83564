/* Slot and token management functions: PKCS#11 3.0 section 5.5. */
#include "face.h"

/* 5.5.1 C_GetSlotList */
CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
    FACE_CHECK_INIT();
    if (pulCount == NULL)
        return CKR_ARGUMENTS_BAD;
    return tsr_slot_list(tokenPresent != CK_FALSE, pSlotList, pulCount);
}

/* 5.5.2 C_GetSlotInfo */
CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    FACE_CHECK_INIT();
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    return tsr_slot_info(slotID, pInfo);
}

/* 5.5.3 C_GetTokenInfo */
CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    FACE_CHECK_INIT();
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    return tsr_token_info(slotID, pInfo);
}

/* 5.5.4 C_WaitForSlotEvent */
CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
    FACE_CHECK_INIT();
    if (pSlot == NULL || pReserved != NULL)
        return CKR_ARGUMENTS_BAD;
    return tsr_slot_wait_event(flags, pSlot);
}

/* 5.5.5 C_GetMechanismList */
CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                         CK_ULONG_PTR pulCount)
{
    FACE_CHECK_INIT();
    if (pulCount == NULL)
        return CKR_ARGUMENTS_BAD;
    return tsr_slot_mechanisms(slotID, pMechanismList, pulCount);
}

/* 5.5.6 C_GetMechanismInfo */
CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
    FACE_CHECK_INIT();
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    return tsr_slot_mechanism_info(slotID, type, pInfo);
}

/* 5.5.7 C_InitToken: pLabel is 32 blank-padded bytes.  There is no protected
 * authentication path, so the PIN is always passed in. */
CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                  CK_UTF8CHAR_PTR pLabel)
{
    FACE_CHECK_INIT();
    if (pLabel == NULL || !face_buf_ok(pPin, ulPinLen))
        return CKR_ARGUMENTS_BAD;
    return tsr_token_init(slotID, pPin, ulPinLen, pLabel);
}

/* 5.5.8 C_InitPIN */
CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pPin, ulPinLen))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_pin_init(hSession, pPin, ulPinLen);
}

/* 5.5.9 C_SetPIN */
CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
               CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pOldPin, ulOldLen) || !face_buf_ok(pNewPin, ulNewLen))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_pin_set(hSession, pOldPin, ulOldLen, pNewPin, ulNewLen);
}
