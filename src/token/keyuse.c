/* What C_DeriveKey, C_WrapKey and C_UnwrapKey ask of the keys they use:
 * finding them, their usage flags and allowed mechanisms, the view the
 * mechanism layer takes, and the nested templates they carry. */
#include <string.h>

#include "token-impl.h"

static bool is_key_class(CK_OBJECT_CLASS klass)
{
    return klass == CKO_PUBLIC_KEY || klass == CKO_PRIVATE_KEY || klass == CKO_SECRET_KEY;
}

CK_RV tsr_key_lookup(tsr_session *s, CK_OBJECT_HANDLE h, CK_RV bad_handle, tsr_object **out)
{
    CK_RV rv = tsr_object_lookup(s, h, out);

    if (rv == CKR_OBJECT_HANDLE_INVALID)
        return bad_handle;
    if (rv != CKR_OK)
        return rv;
    if (!is_key_class((*out)->klass)) {
        tsr_object_unref(*out);
        *out = NULL;
        return bad_handle;
    }
    return CKR_OK;
}

static bool mechanism_allowed(const tsr_attrs *a, CK_MECHANISM_TYPE type)
{
    const CK_ATTRIBUTE *allowed = tsr_attrs_find(a, CKA_ALLOWED_MECHANISMS);
    size_t n;

    if (allowed == NULL || allowed->ulValueLen == 0)
        return true;
    n = allowed->ulValueLen / sizeof(CK_MECHANISM_TYPE);
    for (size_t i = 0; i < n; i++) {
        CK_MECHANISM_TYPE t;

        memcpy(&t, (const unsigned char *)allowed->pValue + i * sizeof(t), sizeof(t));
        if (t == type)
            return true;
    }
    return false;
}

CK_RV tsr_key_permits(const tsr_object *o, CK_ATTRIBUTE_TYPE usage, CK_MECHANISM_TYPE mech)
{
    if (!tsr_attrs_get_bool(&o->attrs, usage, false))
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    if (!mechanism_allowed(&o->attrs, mech))
        return CKR_MECHANISM_INVALID;
    return CKR_OK;
}

CK_RV tsr_key_view(tsr_session *s, tsr_object *o, tsr_key *k)
{
    CK_ULONG type = CK_UNAVAILABLE_INFORMATION;
    const CK_ATTRIBUTE *value;

    memset(k, 0, sizeof(*k));
    tsr_attrs_get_ulong(&o->attrs, CKA_KEY_TYPE, &type);
    k->klass = o->klass;
    k->type = type;
    if (o->klass != CKO_SECRET_KEY)
        return tsr_object_pkey(s->token, o, &k->pkey);
    if (o->sealed_missing)
        return CKR_USER_NOT_LOGGED_IN;
    value = tsr_attrs_find(&o->attrs, CKA_VALUE);
    if (value == NULL)
        return CKR_KEY_HANDLE_INVALID;
    k->secret = value->pValue;
    k->secret_len = value->ulValueLen;
    return CKR_OK;
}

void tsr_key_release(tsr_key *k)
{
    EVP_PKEY_free(k->pkey);
    memset(k, 0, sizeof(*k));
}

CK_RV tsr_key_apply_template(const tsr_object *o, CK_ATTRIBUTE_TYPE which, tsr_attrs *a)
{
    CK_RV rv = CKR_OK;
    tsr_attrs t;

    tsr_attrs_init(&t);
    if (tsr_attrs_get_nested(tsr_attrs_find(&o->attrs, which), &t) != CKR_OK) {
        rv = CKR_GENERAL_ERROR; /* a damaged record */
        goto out;
    }
    for (size_t i = 0; i < t.n && rv == CKR_OK; i++) {
        const CK_ATTRIBUTE *given = tsr_attrs_find(a, t.v[i].type);

        if (given == NULL)
            rv = tsr_attrs_set(a, t.v[i].type, t.v[i].pValue, t.v[i].ulValueLen);
        else if (given->ulValueLen != t.v[i].ulValueLen ||
                 (given->ulValueLen > 0 &&
                  memcmp(given->pValue, t.v[i].pValue, given->ulValueLen) != 0))
            rv = CKR_TEMPLATE_INCONSISTENT;
    }
out:
    tsr_attrs_clear(&t);
    return rv;
}
