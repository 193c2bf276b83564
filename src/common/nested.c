/* Attributes whose value is a template (CKA_WRAP_TEMPLATE,
 * CKA_UNWRAP_TEMPLATE, CKA_DERIVE_TEMPLATE).  A caller hands one in as an
 * array of CK_ATTRIBUTE pointing into its own memory; we keep a deep copy in
 * tsr_attrs_encode's record form, which owns its bytes and goes to the store
 * like any other value, and hand it back by the nested protocol of
 * C_GetAttributeValue. */
#include <string.h>

#include "attrs.h"
#include "secmem.h"

bool tsr_attrs_is_nested(CK_ATTRIBUTE_TYPE type)
{
    /* CKA_ALLOWED_MECHANISMS has the array bit too, but holds mechanism types. */
    return (type & CKF_ARRAY_ATTRIBUTE) != 0 && type != CKA_ALLOWED_MECHANISMS;
}

CK_RV tsr_attrs_set_nested(tsr_attrs *a, const CK_ATTRIBUTE *at)
{
    CK_RV rv = CKR_OK;
    const CK_ATTRIBUTE *inner = at->pValue;
    size_t n = at->ulValueLen / sizeof(CK_ATTRIBUTE);
    unsigned char *rec = NULL;
    size_t rec_len = 0;
    tsr_attrs t;

    if (at->ulValueLen % sizeof(CK_ATTRIBUTE) != 0)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    tsr_attrs_init(&t);
    for (size_t i = 0; i < n && rv == CKR_OK; i++) {
        /* No template inside a template: the spec defines no meaning for it. */
        if (tsr_attrs_is_nested(inner[i].type) || tsr_attrs_has(&t, inner[i].type))
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
        else if (inner[i].ulValueLen > 0 && inner[i].pValue == NULL)
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
        else if (inner[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
        else
            rv = tsr_attrs_set(&t, inner[i].type, inner[i].pValue, inner[i].ulValueLen);
    }
    if (rv == CKR_OK)
        rv = tsr_attrs_encode(&t, NULL, NULL, &rec, &rec_len);
    if (rv == CKR_OK)
        rv = tsr_attrs_set(a, at->type, rec, (CK_ULONG)rec_len);
    tsr_free_secret(rec, rec_len);
    tsr_attrs_clear(&t);
    return rv;
}

CK_RV tsr_attrs_get_nested(const CK_ATTRIBUTE *at, tsr_attrs *out)
{
    /* An empty value (never set, or set empty) is an empty template. */
    if (at == NULL || at->ulValueLen == 0)
        return CKR_OK;
    return tsr_attrs_decode(out, at->pValue, at->ulValueLen);
}

/* One element of the caller's array: its type, and its value or length. */
static CK_RV copy_element(const CK_ATTRIBUTE *have, CK_ATTRIBUTE *want)
{
    want->type = have->type;
    if (want->pValue == NULL) {
        want->ulValueLen = have->ulValueLen;
        return CKR_OK;
    }
    if (want->ulValueLen < have->ulValueLen) {
        want->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_BUFFER_TOO_SMALL;
    }
    if (have->ulValueLen > 0)
        memcpy(want->pValue, have->pValue, have->ulValueLen);
    want->ulValueLen = have->ulValueLen;
    return CKR_OK;
}

CK_RV tsr_attrs_nested_out(const CK_ATTRIBUTE *have, CK_ATTRIBUTE *want)
{
    CK_RV rv = CKR_OK;
    tsr_attrs t;
    CK_ULONG size;

    tsr_attrs_init(&t);
    if (tsr_attrs_get_nested(have, &t) != CKR_OK) {
        want->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_GENERAL_ERROR; /* the store held a damaged record */
    }
    size = (CK_ULONG)(t.n * sizeof(CK_ATTRIBUTE));
    if (want->pValue == NULL) {
        want->ulValueLen = size;
    } else if (want->ulValueLen < size) {
        want->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        rv = CKR_BUFFER_TOO_SMALL;
    } else {
        /* Every element is answered; the call reports a short one. */
        for (size_t i = 0; i < t.n; i++) {
            CK_RV one = copy_element(&t.v[i], (CK_ATTRIBUTE *)want->pValue + i);
            if (one != CKR_OK)
                rv = one;
        }
        want->ulValueLen = size;
    }
    tsr_attrs_clear(&t);
    return rv;
}
