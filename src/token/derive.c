/* C_DeriveKey: the base key's checks, the new object's template, the
 * mechanism layer's secret, and the sensitivity the new key inherits. */
#include <string.h>

#include "schema.h"
#include "secmem.h"
#include "token-impl.h"

/* What the template asks for: the new object's class and key type, and
 * CKA_VALUE_LEN (0: none given). */
typedef struct new_object {
    CK_OBJECT_CLASS klass;
    CK_KEY_TYPE type;
    CK_ULONG len;
} new_object;

/* CKM_HKDF_DATA makes a data object, everything else a secret key (3.0,
 * 6.62.4).  A data object has no CKA_VALUE_LEN: its length is taken from the
 * template and the attribute dropped. */
static CK_RV read_template(CK_MECHANISM_TYPE mech, tsr_attrs *a, new_object *n)
{
    bool data = mech == CKM_HKDF_DATA;
    CK_ULONG v = 0;

    n->klass = data ? CKO_DATA : CKO_SECRET_KEY;
    n->type = data ? CK_UNAVAILABLE_INFORMATION : CKK_GENERIC_SECRET;
    n->len = 0;
    if (tsr_attrs_has(a, CKA_CLASS) && (!tsr_attrs_get_ulong(a, CKA_CLASS, &v) || v != n->klass))
        return CKR_TEMPLATE_INCONSISTENT;
    if (!data && tsr_attrs_has(a, CKA_KEY_TYPE) && !tsr_attrs_get_ulong(a, CKA_KEY_TYPE, &n->type))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (tsr_attrs_has(a, CKA_VALUE_LEN) && !tsr_attrs_get_ulong(a, CKA_VALUE_LEN, &n->len))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (data)
        tsr_attrs_remove(a, CKA_VALUE_LEN);
    return CKR_OK;
}

/* "If the base key has CKA_ALWAYS_SENSITIVE false, the derived key will as
 * well ... similarly CKA_NEVER_EXTRACTABLE" (3.0, 2.3.9 and every KDF). */
static CK_RV inherit(tsr_attrs *a, const tsr_object *base)
{
    CK_RV rv;

    if (!tsr_attrs_has(a, CKA_ALWAYS_SENSITIVE))
        return CKR_OK; /* a data object */
    rv = tsr_attrs_set_bool(a, CKA_ALWAYS_SENSITIVE,
                            tsr_attrs_get_bool(a, CKA_ALWAYS_SENSITIVE, false) &&
                                tsr_attrs_get_bool(&base->attrs, CKA_ALWAYS_SENSITIVE, false));
    if (rv == CKR_OK)
        rv = tsr_attrs_set_bool(a, CKA_NEVER_EXTRACTABLE,
                                tsr_attrs_get_bool(a, CKA_NEVER_EXTRACTABLE, false) &&
                                    tsr_attrs_get_bool(&base->attrs, CKA_NEVER_EXTRACTABLE, false));
    return rv;
}

/* HKDF's salt may be a key (CKF_HKDF_SALT_KEY): the mechanism layer knows no
 * handles, so it gets a copy of the parameters with the key's value as salt
 * data.  *salt keeps the borrowed value alive. */
static CK_RV resolve_salt_key(tsr_session *s, const CK_MECHANISM *mech, CK_MECHANISM *fixed,
                              CK_HKDF_PARAMS *p, tsr_object **salt)
{
    CK_RV rv;
    const CK_ATTRIBUTE *value;

    *fixed = *mech;
    if ((mech->mechanism != CKM_HKDF_DERIVE && mech->mechanism != CKM_HKDF_DATA) ||
        mech->pParameter == NULL || mech->ulParameterLen != sizeof(*p))
        return CKR_OK;
    memcpy(p, mech->pParameter, sizeof(*p));
    if (!p->bExtract || p->ulSaltType != CKF_HKDF_SALT_KEY)
        return CKR_OK;
    rv = tsr_key_lookup(s, p->hSaltKey, CKR_MECHANISM_PARAM_INVALID, salt);
    if (rv != CKR_OK)
        return rv;
    value = tsr_attrs_find(&(*salt)->attrs, CKA_VALUE);
    if ((*salt)->klass != CKO_SECRET_KEY || (*salt)->sealed_missing || value == NULL ||
        value->ulValueLen == 0)
        return CKR_MECHANISM_PARAM_INVALID;
    p->ulSaltType = CKF_HKDF_SALT_DATA;
    p->pSalt = value->pValue;
    p->ulSaltLen = value->ulValueLen;
    fixed->pParameter = p;
    return CKR_OK;
}

/* The derived secret, from the mechanism layer. */
static CK_RV derive_value(tsr_session *s, const tsr_mech *m, const CK_MECHANISM *mech,
                          tsr_object *base, size_t want, unsigned char **val, size_t *val_len)
{
    CK_RV rv;
    CK_MECHANISM fixed;
    CK_HKDF_PARAMS hkdf;
    tsr_object *salt = NULL;
    tsr_key k;

    rv = resolve_salt_key(s, mech, &fixed, &hkdf, &salt);
    if (rv == CKR_OK)
        rv = tsr_key_view(s, base, &k);
    if (rv == CKR_OK) {
        rv = tsr_mech_derive(m, &fixed, &k, want, val, val_len);
        tsr_key_release(&k);
    }
    tsr_wipe(&hkdf, sizeof(hkdf));
    tsr_object_unref(salt);
    return rv;
}

/* Checks the caller's template for the new object (`a`, with the base key's
 * CKA_DERIVE_TEMPLATE added) and reads what it asks for. */
static CK_RV check_template(tsr_session *s, const CK_MECHANISM *mech, tsr_attrs *a, new_object *n)
{
    CK_RV rv = read_template(mech->mechanism, a, n);

    if (rv == CKR_OK)
        rv = tsr_schema_check_template(a, n->klass, n->type, TSR_ORIGIN_DERIVE);
    if (rv == CKR_OK && tsr_schema_needs_so(a) && s->token->login != TSR_LOGIN_SO)
        rv = CKR_ATTRIBUTE_READ_ONLY; /* CKA_TRUSTED */
    if (rv == CKR_OK)
        rv = tsr_access_write(s, tsr_attrs_get_bool(a, CKA_TOKEN, false),
                              tsr_attrs_get_bool(a, CKA_PRIVATE, true));
    return rv;
}

/* Makes the new object's attributes: the template, the value, and what the
 * token sets. */
static CK_RV complete(tsr_attrs *a, const new_object *n, const CK_MECHANISM *mech,
                      const tsr_object *base, const unsigned char *val, size_t len)
{
    CK_RV rv = tsr_attrs_set(a, CKA_VALUE, val, (CK_ULONG)len);

    /* Choice: a data object made from a secret is private unless asked
     * otherwise (data objects default to public). */
    if (rv == CKR_OK && n->klass == CKO_DATA)
        rv = tsr_attrs_default_bool(a, CKA_PRIVATE, true);

    if (rv == CKR_OK)
        rv = tsr_attrs_set_ulong(a, CKA_CLASS, n->klass);
    if (rv == CKR_OK && n->klass == CKO_SECRET_KEY)
        rv = tsr_attrs_set_ulong(a, CKA_KEY_TYPE, n->type);
    if (rv == CKR_OK)
        rv = tsr_schema_finish(a, TSR_ORIGIN_DERIVE, mech->mechanism);
    if (rv == CKR_OK)
        rv = inherit(a, base);
    return rv;
}

static CK_RV derive_object(tsr_session *s, const tsr_mech *m, const CK_MECHANISM *mech,
                           tsr_object *base, tsr_attrs *a, CK_OBJECT_HANDLE *out)
{
    CK_RV rv;
    new_object n;
    unsigned char *val = NULL;
    size_t len = 0;
    tsr_attrs *objs[1] = {a};

    rv = tsr_key_permits(base, CKA_DERIVE, mech->mechanism);
    if (rv == CKR_OK)
        rv = tsr_key_apply_template(base, CKA_DERIVE_TEMPLATE, a);
    if (rv == CKR_OK)
        rv = check_template(s, mech, a, &n);
    if (rv == CKR_OK)
        rv = derive_value(s, m, mech, base, n.len, &val, &len);
    if (rv == CKR_OK)
        rv = complete(a, &n, mech, base, val, len);
    if (rv == CKR_OK)
        rv = tsr_object_add(s, objs, 1, out);
    tsr_free_secret(val, len);
    return rv;
}

CK_RV tsr_key_derive(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE base,
                     const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out)
{
    CK_RV rv;
    tsr_session *s;
    const tsr_mech *m = tsr_mech_lookup(mech->mechanism);
    tsr_object *o = NULL;
    tsr_attrs a;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_attrs_init(&a);
    if (m == NULL || !(m->kinds & TSR_OP_DERIVE)) {
        rv = CKR_MECHANISM_INVALID;
        goto out;
    }
    if (out == NULL) {
        rv = CKR_ARGUMENTS_BAD; /* every mechanism here makes one object */
        goto out;
    }
    rv = tsr_key_lookup(s, base, CKR_KEY_HANDLE_INVALID, &o);
    if (rv == CKR_OK)
        rv = tsr_attrs_from_template(&a, tmpl, count);
    if (rv == CKR_OK)
        rv = derive_object(s, m, mech, o, &a, out);
out:
    tsr_attrs_clear(&a);
    tsr_object_unref(o);
    tsr_session_put(s);
    return rv;
}
