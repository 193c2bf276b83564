/* Object management functions: PKCS#11 3.0 section 5.7.  Templates are
 * passed through: a NULL pValue with a length inside a template is the
 * token's to refuse (CKR_ATTRIBUTE_VALUE_INVALID), a NULL template with a
 * count is the face's (CKR_ARGUMENTS_BAD). */
#include "face.h"

/* 5.7.1 C_CreateObject */
CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject)
{
    FACE_CHECK_INIT();
    if (phObject == NULL || !face_buf_ok(pTemplate, ulCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_object_create(hSession, pTemplate, ulCount, phObject);
}

/* 5.7.2 C_CopyObject */
CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                   CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject)
{
    FACE_CHECK_INIT();
    if (phNewObject == NULL || !face_buf_ok(pTemplate, ulCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_object_copy(hSession, hObject, pTemplate, ulCount, phNewObject);
}

/* 5.7.3 C_DestroyObject */
CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
    FACE_CHECK_INIT();
    return tsr_object_destroy(hSession, hObject);
}

/* 5.7.4 C_GetObjectSize */
CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
    FACE_CHECK_INIT();
    if (pulSize == NULL)
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_object_size(hSession, hObject, pulSize);
}

/* 5.7.5 C_GetAttributeValue: a NULL pValue inside the template is a length
 * query, which the token answers entry by entry. */
CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pTemplate, ulCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_object_get_attrs(hSession, hObject, pTemplate, ulCount);
}

/* 5.7.6 C_SetAttributeValue */
CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pTemplate, ulCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_object_set_attrs(hSession, hObject, pTemplate, ulCount);
}

/* 5.7.7 C_FindObjectsInit: an empty template finds every visible object. */
CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pTemplate, ulCount))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_find_init(hSession, pTemplate, ulCount);
}

/* 5.7.8 C_FindObjects */
CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
    FACE_CHECK_INIT();
    if (phObject == NULL || pulObjectCount == NULL)
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_find_next(hSession, phObject, ulMaxObjectCount, pulObjectCount);
}

/* 5.7.9 C_FindObjectsFinal */
CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    FACE_CHECK_INIT();
    return tsr_find_final(hSession);
}
