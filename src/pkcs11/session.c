/* Session management functions: PKCS#11 3.0 section 5.6. */
#include "face.h"

CK_RV tsr_face_refuse(CK_SESSION_HANDLE h, CK_RV rv)
{
    CK_SESSION_INFO info;
    CK_RV srv = tsr_session_info(h, &info);

    return srv != CKR_OK ? srv : rv;
}

/* 5.6.1 C_OpenSession: serial sessions only.  Tessera never calls back, so
 * pApplication and Notify are accepted and ignored. */
CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                    CK_SESSION_HANDLE_PTR phSession)
{
    FACE_CHECK_INIT();
    if (phSession == NULL)
        return CKR_ARGUMENTS_BAD;
    if ((flags & CKF_SERIAL_SESSION) == 0)
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    return tsr_session_open(slotID, flags, phSession);
}

/* 5.6.2 C_CloseSession */
CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    FACE_CHECK_INIT();
    return tsr_session_close(hSession);
}

/* 5.6.3 C_CloseAllSessions */
CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    FACE_CHECK_INIT();
    return tsr_session_close_all(slotID);
}

/* 5.6.4 C_GetSessionInfo */
CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
    FACE_CHECK_INIT();
    if (pInfo == NULL)
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_session_info(hSession, pInfo);
}

/* 5.6.5 C_SessionCancel: the 3.0 way to end several operations at once.  Not
 * offered yet; C_*Init with a NULL mechanism cancels one kind. */
CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
    FACE_CHECK_INIT();
    return tsr_face_refuse(hSession, CKR_FUNCTION_NOT_SUPPORTED);
}

/* 5.6.6 C_GetOperationState: operations live in OpenSSL contexts that cannot
 * be serialised.  The specification's code for "the token is simply unable to
 * save the current state" is CKR_STATE_UNSAVEABLE, which it ranks above
 * CKR_OPERATION_NOT_INITIALIZED, so no operation need be looked at. */
CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                          CK_ULONG_PTR pulOperationStateLen)
{
    FACE_CHECK_INIT();
    if (pulOperationStateLen == NULL)
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_face_refuse(hSession, CKR_STATE_UNSAVEABLE);
}

/* 5.6.7 C_SetOperationState: C_GetOperationState never produces a state, so
 * any state offered is not one of ours: CKR_SAVED_STATE_INVALID. */
CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                          CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,
                          CK_OBJECT_HANDLE hAuthenticationKey)
{
    FACE_CHECK_INIT();
    if (pOperationState == NULL || ulOperationStateLen == 0)
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_face_refuse(hSession, CKR_SAVED_STATE_INVALID);
}

static bool user_type_ok(CK_USER_TYPE user)
{
    return user == CKU_SO || user == CKU_USER || user == CKU_CONTEXT_SPECIFIC;
}

/* 5.6.8 C_Login: there is no protected authentication path, so a PIN is
 * always passed in (an empty one is the token's to judge). */
CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
              CK_ULONG ulPinLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pPin, ulPinLen))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    if (!user_type_ok(userType))
        return tsr_face_refuse(hSession, CKR_USER_TYPE_INVALID);
    return tsr_login(hSession, userType, pPin, ulPinLen);
}

/* 5.6.9 C_LoginUser: a token's users have no names here.  An empty name is
 * C_Login; any other name cannot be ours and is CKR_ARGUMENTS_BAD rather than
 * a PIN try counted against the one unnamed user. */
CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                  CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
    FACE_CHECK_INIT();
    if (ulUsernameLen != 0)
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return C_Login(hSession, userType, pPin, ulPinLen);
}

/* 5.6.10 C_Logout */
CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    FACE_CHECK_INIT();
    return tsr_logout(hSession);
}
