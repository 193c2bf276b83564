/* The attribute rules of schema-table.c, applied: template checks, defaults
 * and token-set attributes, the changes an existing object allows, and the
 * questions C_GetAttributeValue asks. */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "log.h"
#include "ossl.h"
#include "schema.h"
#include "schema-impl.h"

#define SHA1_LEN        20
#define CHECK_VALUE_LEN 3 /* the first bytes of SHA-1(CKA_VALUE), as 3.0 says */

/* The row for a template's class and key type, or the error a caller gets. */
static CK_RV class_of(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, const tsr_schema_class **out)
{
    CK_RV rv = CKR_ATTRIBUTE_VALUE_INVALID;
    bool class_known = false, type_known = false;

    *out = NULL;
    if (!tsr_schema_is_key_class(klass))
        type = CK_UNAVAILABLE_INFORMATION;
    else if (type == CK_UNAVAILABLE_INFORMATION) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    *out = tsr_schema_class_find(klass, type);
    if (*out != NULL) {
        rv = CKR_OK;
        goto out;
    }
    for (size_t i = 0; i < tsr_schema_class_count; i++) {
        class_known |= tsr_schema_classes[i].klass == klass;
        type_known |= tsr_schema_classes[i].type == type;
    }
    /* A key type we know, asked of the wrong class (CKK_AES public key). */
    if (class_known && type_known)
        rv = CKR_TEMPLATE_INCONSISTENT;
out:
    return rv;
}

/* Why a CK_ULONG could not be read: missing, or there with a wrong size. */
static CK_RV absent_or_invalid(const tsr_attrs *obj, CK_ATTRIBUTE_TYPE type)
{
    return tsr_attrs_has(obj, type) ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCOMPLETE;
}

/* The row for an existing or finished object, from its own attributes. */
static CK_RV class_of_object(const tsr_attrs *obj, const tsr_schema_class **out)
{
    CK_OBJECT_CLASS klass;
    CK_KEY_TYPE type = CK_UNAVAILABLE_INFORMATION;

    *out = NULL;
    if (!tsr_attrs_get_ulong(obj, CKA_CLASS, &klass))
        return absent_or_invalid(obj, CKA_CLASS);
    if (tsr_schema_is_key_class(klass) && !tsr_attrs_get_ulong(obj, CKA_KEY_TYPE, &type))
        return absent_or_invalid(obj, CKA_KEY_TYPE);
    return class_of(klass, type, out);
}

static CK_ULONG ulong_of(const CK_ATTRIBUTE *a)
{
    CK_ULONG v;

    memcpy(&v, a->pValue, sizeof(v)); /* caller checked the size */
    return v;
}

/* Size and range of one value against its rule. */
static CK_RV check_value(const tsr_attr_rule *r, const CK_ATTRIBUTE *a)
{
    const CK_BBOOL *b = a->pValue;

    switch (r->flags & TSR_K_MASK) {
    case TSR_K_BOOL:
        if (a->ulValueLen != sizeof(CK_BBOOL) || (*b != CK_FALSE && *b != CK_TRUE))
            return CKR_ATTRIBUTE_VALUE_INVALID;
        break;
    case TSR_K_ULONG:
        if (a->ulValueLen != sizeof(CK_ULONG))
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if ((r->flags & TSR_A_LIMIT) && ulong_of(a) > r->lim)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        break;
    case TSR_K_DATE:
        if (a->ulValueLen != 0 && a->ulValueLen != sizeof(CK_DATE))
            return CKR_ATTRIBUTE_VALUE_INVALID;
        break;
    case TSR_K_MECHS:
        if (a->ulValueLen % sizeof(CK_MECHANISM_TYPE) != 0)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        break;
    default:
        break;
    }
    return CKR_OK;
}

static bool makes_material(tsr_origin origin)
{
    return origin == TSR_ORIGIN_GENERATE || origin == TSR_ORIGIN_UNWRAP ||
           origin == TSR_ORIGIN_DERIVE;
}

CK_RV tsr_schema_check_template(const tsr_attrs *tmpl, CK_OBJECT_CLASS klass, CK_KEY_TYPE type,
                                tsr_origin origin)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_schema_class *c;
    const CK_ATTRIBUTE *a = NULL;

    rv = class_of(klass, type, &c);
    if (rv != CKR_OK)
        goto out;
    for (size_t i = 0; i < tmpl->n; i++) {
        const tsr_attr_rule *r;

        a = &tmpl->v[i];
        r = tsr_schema_rule(c, a->type);
        if (r == NULL) {
            rv = CKR_ATTRIBUTE_TYPE_INVALID;
            goto out;
        }
        rv = check_value(r, a);
        if (rv != CKR_OK)
            goto out;
        if ((a->type == CKA_CLASS && ulong_of(a) != c->klass) ||
            (a->type == CKA_KEY_TYPE && ulong_of(a) != c->type)) {
            rv = CKR_TEMPLATE_INCONSISTENT;
            goto out;
        }
        if ((r->flags & TSR_A_TOKEN) || ((r->flags & TSR_A_MATERIAL) && makes_material(origin))) {
            rv = CKR_ATTRIBUTE_READ_ONLY;
            goto out;
        }
    }
    rv = CKR_OK;
out:
    if (rv != CKR_OK)
        TSR_DEBUG("schema: template for class 0x%lx: attribute 0x%lx: rv 0x%lx", klass,
                  a ? a->type : 0UL, rv);
    return rv;
}

/* --- finishing a new object --- */

/* Every rule of `c` with all of `flags` is present in `obj`. */
static CK_RV check_required(const tsr_attrs *obj, const tsr_schema_class *c, unsigned flags)
{
    for (size_t p = 0; p < TSR_SCHEMA_PARTS && c->parts[p] != NULL; p++) {
        for (size_t i = 0; i < c->parts[p]->n; i++) {
            const tsr_attr_rule *r = &c->parts[p]->v[i];

            if ((r->flags & flags) == flags && !tsr_attrs_has(obj, r->type)) {
                TSR_DEBUG("schema: missing attribute 0x%lx", r->type);
                return CKR_TEMPLATE_INCOMPLETE;
            }
        }
    }
    return CKR_OK;
}

static CK_RV apply_default(tsr_attrs *obj, const tsr_schema_class *c, const tsr_attr_rule *r)
{
    switch (r->flags & TSR_D_MASK) {
    case TSR_D_FALSE:
        return tsr_attrs_default_bool(obj, r->type, false);
    case TSR_D_TRUE:
        return tsr_attrs_default_bool(obj, r->type, true);
    case TSR_D_EMPTY:
        return tsr_attrs_default_bytes(obj, r->type, NULL, 0);
    case TSR_D_ULONG:
        return tsr_attrs_default_ulong(obj, r->type, r->dval);
    case TSR_D_CLASS:
        return tsr_attrs_default_bool(obj, r->type, c->private_dflt);
    default:
        return CKR_OK;
    }
}

static CK_RV apply_defaults(tsr_attrs *obj, const tsr_schema_class *c)
{
    CK_RV rv = CKR_OK;

    for (size_t p = 0; p < TSR_SCHEMA_PARTS && c->parts[p] != NULL; p++)
        for (size_t i = 0; i < c->parts[p]->n && rv == CKR_OK; i++)
            rv = apply_default(obj, c, &c->parts[p]->v[i]);
    return rv;
}

/* Fills `type` with a derived length, or checks a given one against it. */
static CK_RV derived_ulong(tsr_attrs *obj, CK_ATTRIBUTE_TYPE type, CK_ULONG val)
{
    CK_ULONG given;

    if (!tsr_attrs_has(obj, type))
        return tsr_attrs_set_ulong(obj, type, val);
    if (!tsr_attrs_get_ulong(obj, type, &given) || given != val)
        return CKR_TEMPLATE_INCONSISTENT;
    return CKR_OK;
}

/* Significant bits of a big-endian unsigned integer. */
static CK_ULONG bit_length(const unsigned char *p, CK_ULONG n)
{
    CK_ULONG bits;

    while (n > 0 && *p == 0) {
        p++;
        n--;
    }
    if (n == 0)
        return 0;
    bits = (n - 1) * 8;
    for (unsigned char b = *p; b != 0; b >>= 1)
        bits++;
    return bits;
}

/* CKA_VALUE_LEN of a secret key, CKA_MODULUS_BITS of an RSA public key. */
static CK_RV fill_lengths(tsr_attrs *obj, const tsr_schema_class *c)
{
    const CK_ATTRIBUTE *v = tsr_attrs_find(obj, CKA_VALUE);
    const CK_ATTRIBUTE *m = tsr_attrs_find(obj, CKA_MODULUS);
    CK_RV rv = CKR_OK;

    if (v != NULL && tsr_schema_rule(c, CKA_VALUE_LEN) != NULL)
        rv = derived_ulong(obj, CKA_VALUE_LEN, v->ulValueLen);
    if (rv == CKR_OK && m != NULL && tsr_schema_rule(c, CKA_MODULUS_BITS) != NULL)
        rv = derived_ulong(obj, CKA_MODULUS_BITS, bit_length(m->pValue, m->ulValueLen));
    return rv;
}

/* The encoding of one certificate field for `type`, OPENSSL_malloc'd; <= 0 on failure. */
static int cert_field(X509 *x, const CK_ATTRIBUTE *val, CK_ATTRIBUTE_TYPE type, unsigned char **out)
{
    unsigned char md[SHA1_LEN];
    EVP_MD *sha1;
    int ok;

    switch (type) {
    case CKA_SUBJECT:
        return i2d_X509_NAME(X509_get_subject_name(x), out);
    case CKA_ISSUER:
        return i2d_X509_NAME(X509_get_issuer_name(x), out);
    case CKA_SERIAL_NUMBER:
        return i2d_ASN1_INTEGER(X509_get0_serialNumber(x), out);
    case CKA_PUBLIC_KEY_INFO:
        return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), out);
    case CKA_CHECK_VALUE:
        sha1 = EVP_MD_fetch(tsr_ossl_ctx(), "SHA1", NULL);
        ok = sha1 != NULL && EVP_Digest(val->pValue, val->ulValueLen, md, NULL, sha1, NULL);
        EVP_MD_free(sha1);
        *out = ok ? OPENSSL_memdup(md, CHECK_VALUE_LEN) : NULL;
        return *out != NULL ? CHECK_VALUE_LEN : -1;
    default:
        return -1;
    }
}

static const CK_ATTRIBUTE_TYPE cert_fields[] = {
    CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_PUBLIC_KEY_INFO, CKA_CHECK_VALUE,
};

/* Parses an X.509 CKA_VALUE and fills the fields the caller left out. */
static CK_RV fill_certificate(tsr_attrs *obj)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const CK_ATTRIBUTE *val = tsr_attrs_find(obj, CKA_VALUE);
    const CK_ATTRIBUTE *url = tsr_attrs_find(obj, CKA_URL);
    const unsigned char *p;
    X509 *x = NULL;

    if (val == NULL) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    if (val->ulValueLen == 0) {
        /* Only a certificate known by its URL may have an empty value. */
        rv = url != NULL && url->ulValueLen > 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
        goto out;
    }
    rv = CKR_ATTRIBUTE_VALUE_INVALID;
    if (val->ulValueLen > LONG_MAX)
        goto out;
    x = X509_new_ex(tsr_ossl_ctx(), NULL);
    if (x == NULL) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    p = val->pValue;
    /* d2i frees and clears x on failure.  Trailing bytes are not a certificate. */
    if (d2i_X509(&x, &p, (long)val->ulValueLen) == NULL ||
        p != (const unsigned char *)val->pValue + val->ulValueLen) {
        rv = tsr_ossl_fail(CKR_ATTRIBUTE_VALUE_INVALID);
        goto out;
    }
    rv = CKR_OK;
    for (size_t i = 0; i < sizeof(cert_fields) / sizeof(cert_fields[0]) && rv == CKR_OK; i++) {
        unsigned char *der = NULL;
        int len;

        if (tsr_attrs_has(obj, cert_fields[i]))
            continue; /* a caller's value stays, even one that disagrees (NSS) */
        len = cert_field(x, val, cert_fields[i], &der);
        rv = len > 0 ? tsr_attrs_set(obj, cert_fields[i], der, (CK_ULONG)len)
                     : tsr_ossl_fail(CKR_ATTRIBUTE_VALUE_INVALID);
        OPENSSL_free(der);
        val = tsr_attrs_find(obj, CKA_VALUE); /* the set may have moved it */
    }
out:
    X509_free(x);
    return rv;
}

/* A token-set attribute, when the class has it: COPY keeps the source's. */
static CK_RV put_token_attr(tsr_attrs *obj, const tsr_schema_class *c, CK_ATTRIBUTE_TYPE type,
                            CK_ULONG val, tsr_origin origin)
{
    const tsr_attr_rule *r = tsr_schema_rule(c, type);
    bool is_bool;

    if (r == NULL)
        return CKR_OK;
    is_bool = (r->flags & TSR_K_MASK) == TSR_K_BOOL;
    if (origin == TSR_ORIGIN_COPY)
        return is_bool ? tsr_attrs_default_bool(obj, type, val != 0)
                       : tsr_attrs_default_ulong(obj, type, val);
    return is_bool ? tsr_attrs_set_bool(obj, type, val != 0) : tsr_attrs_set_ulong(obj, type, val);
}

static CK_RV set_token_attrs(tsr_attrs *obj, const tsr_schema_class *c, tsr_origin origin,
                             CK_MECHANISM_TYPE keygen_mech)
{
    /* Material the token made itself has been sensitive (or unextractable)
     * all along if it is so now; material that came from outside has not. */
    bool made = origin == TSR_ORIGIN_GENERATE || origin == TSR_ORIGIN_DERIVE;
    bool sensitive = tsr_attrs_get_bool(obj, CKA_SENSITIVE, false);
    bool extractable = tsr_attrs_get_bool(obj, CKA_EXTRACTABLE, true);
    CK_RV rv;

    rv = put_token_attr(obj, c, CKA_LOCAL, origin == TSR_ORIGIN_GENERATE, origin);
    if (rv == CKR_OK)
        rv = put_token_attr(obj, c, CKA_KEY_GEN_MECHANISM,
                            made ? keygen_mech : CK_UNAVAILABLE_INFORMATION, origin);
    if (rv == CKR_OK)
        rv = put_token_attr(obj, c, CKA_ALWAYS_SENSITIVE, made && sensitive, origin);
    if (rv == CKR_OK)
        rv = put_token_attr(obj, c, CKA_NEVER_EXTRACTABLE, made && !extractable, origin);
    return rv;
}

/* Rules between attributes that no single rule row can say. */
static CK_RV check_consistency(const tsr_attrs *obj, const tsr_schema_class *c)
{
    const CK_ATTRIBUTE *v = tsr_attrs_find(obj, CKA_VALUE);

    if (tsr_attrs_get_bool(obj, CKA_ALWAYS_AUTHENTICATE, false) &&
        !tsr_attrs_get_bool(obj, CKA_PRIVATE, false))
        return CKR_TEMPLATE_INCONSISTENT;
    if (c->value_step != 0 && v != NULL &&
        (v->ulValueLen < c->value_min || v->ulValueLen > c->value_max ||
         (v->ulValueLen - c->value_min) % c->value_step != 0))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    return CKR_OK;
}

CK_RV tsr_schema_finish(tsr_attrs *obj, tsr_origin origin, CK_MECHANISM_TYPE keygen_mech)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_schema_class *c;

    rv = class_of_object(obj, &c);
    if (rv != CKR_OK)
        goto out;
    if (origin == TSR_ORIGIN_GENERATE) {
        rv = check_required(obj, c, TSR_A_REQ_GEN);
        if (rv != CKR_OK)
            goto out;
    }
    rv = c->klass == CKO_CERTIFICATE ? fill_certificate(obj) : fill_lengths(obj, c);
    if (rv != CKR_OK)
        goto out;
    rv = apply_defaults(obj, c);
    if (rv != CKR_OK)
        goto out;
    rv = set_token_attrs(obj, c, origin, keygen_mech);
    if (rv != CKR_OK)
        goto out;
    if (origin != TSR_ORIGIN_COPY) {
        rv = check_required(obj, c, TSR_A_REQ);
        if (rv != CKR_OK)
            goto out;
    }
    rv = check_consistency(obj, c);
    if (rv != CKR_OK)
        goto out;
    rv = tsr_schema_after_change(obj);
out:
    if (rv != CKR_OK)
        TSR_DEBUG("schema: finish (origin %d): rv 0x%lx", (int)origin, rv);
    return rv;
}

/* --- changes to existing objects --- */

static CK_RV check_one_change(const tsr_attrs *current, const tsr_schema_class *c,
                              const CK_ATTRIBUTE *a, bool is_copy)
{
    const tsr_attr_rule *r = tsr_schema_rule(c, a->type);
    unsigned may = is_copy ? TSR_A_MODIFY | TSR_A_COPY : TSR_A_MODIFY;
    bool to;
    CK_RV rv;

    if (r == NULL)
        return CKR_ATTRIBUTE_TYPE_INVALID;
    rv = check_value(r, a);
    if (rv != CKR_OK)
        return rv;
    /* Even to the value it has: an attempt is refused, as SoftHSM does. */
    if ((r->flags & may) == 0 || (r->flags & TSR_A_TOKEN))
        return CKR_ATTRIBUTE_READ_ONLY;
    /* A non-modifiable object's copy may differ only where copies may. */
    if (is_copy && !(r->flags & TSR_A_COPY) && !tsr_attrs_get_bool(current, CKA_MODIFIABLE, true))
        return CKR_ATTRIBUTE_READ_ONLY;
    /* "Trusted certificates cannot be modified" (3.0, 4.6.2), but may be untrusted. */
    if (!is_copy && c->klass == CKO_CERTIFICATE && a->type != CKA_TRUSTED &&
        tsr_attrs_get_bool(current, CKA_TRUSTED, false))
        return CKR_ATTRIBUTE_READ_ONLY;
    to = (r->flags & TSR_K_MASK) == TSR_K_BOOL && *(const CK_BBOOL *)a->pValue == CK_TRUE;
    if ((r->flags & TSR_A_TO_TRUE) && tsr_attrs_get_bool(current, a->type, false) && !to)
        return CKR_ATTRIBUTE_READ_ONLY;
    if ((r->flags & TSR_A_TO_FALSE) && !tsr_attrs_get_bool(current, a->type, true) && to)
        return CKR_ATTRIBUTE_READ_ONLY;
    return CKR_OK;
}

CK_RV tsr_schema_check_change(const tsr_attrs *current, const tsr_attrs *changes, bool is_copy)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_schema_class *c;
    const CK_ATTRIBUTE *a = NULL;

    if (class_of_object(current, &c) != CKR_OK)
        goto out; /* a stored object without a class we know: damaged */
    if (is_copy ? !tsr_attrs_get_bool(current, CKA_COPYABLE, true)
                : !tsr_attrs_get_bool(current, CKA_MODIFIABLE, true)) {
        rv = CKR_ACTION_PROHIBITED;
        goto out;
    }
    for (size_t i = 0; i < changes->n; i++) {
        a = &changes->v[i];
        rv = check_one_change(current, c, a, is_copy);
        if (rv != CKR_OK)
            goto out;
    }
    rv = CKR_OK;
out:
    if (rv != CKR_OK)
        TSR_DEBUG("schema: %s: attribute 0x%lx: rv 0x%lx", is_copy ? "copy" : "set",
                  a ? a->type : 0UL, rv);
    return rv;
}

CK_RV tsr_schema_after_change(tsr_attrs *obj)
{
    CK_RV rv = CKR_OK;

    /* Never turns them true: "always" and "never" are about the past too. */
    if (tsr_attrs_get_bool(obj, CKA_ALWAYS_SENSITIVE, false) &&
        !tsr_attrs_get_bool(obj, CKA_SENSITIVE, false))
        rv = tsr_attrs_set_bool(obj, CKA_ALWAYS_SENSITIVE, false);
    if (rv == CKR_OK && tsr_attrs_get_bool(obj, CKA_NEVER_EXTRACTABLE, false) &&
        tsr_attrs_get_bool(obj, CKA_EXTRACTABLE, true))
        rv = tsr_attrs_set_bool(obj, CKA_NEVER_EXTRACTABLE, false);
    return rv;
}

/* --- questions about attributes --- */

bool tsr_schema_is_sensitive(const tsr_attrs *obj, CK_ATTRIBUTE_TYPE type)
{
    CK_OBJECT_CLASS klass;

    if (!tsr_attrs_get_ulong(obj, CKA_CLASS, &klass) || !tsr_schema_is_secret(klass, type))
        return false;
    /* Absent flags count as the safe answer. */
    return tsr_attrs_get_bool(obj, CKA_SENSITIVE, true) ||
           !tsr_attrs_get_bool(obj, CKA_EXTRACTABLE, false);
}

bool tsr_schema_is_secret(CK_OBJECT_CLASS klass, CK_ATTRIBUTE_TYPE type)
{
    for (size_t i = 0; i < tsr_schema_class_count; i++) {
        const tsr_schema_class *c = &tsr_schema_classes[i];
        const tsr_attr_rule *r = c->klass == klass ? tsr_schema_rule(c, type) : NULL;

        if (r != NULL && (r->flags & TSR_A_SECRET))
            return true;
    }
    return false;
}

bool tsr_schema_is_known(const tsr_attrs *obj, CK_ATTRIBUTE_TYPE type)
{
    const tsr_schema_class *c;

    return class_of_object(obj, &c) == CKR_OK && tsr_schema_rule(c, type) != NULL;
}

bool tsr_schema_needs_so(const tsr_attrs *tmpl)
{
    for (size_t i = 0; i < tmpl->n; i++) {
        const CK_ATTRIBUTE *a = &tmpl->v[i];

        if (a->ulValueLen != sizeof(CK_BBOOL) || *(const CK_BBOOL *)a->pValue == CK_FALSE)
            continue;
        for (size_t k = 0; k < tsr_schema_class_count; k++) {
            const tsr_attr_rule *r = tsr_schema_rule(&tsr_schema_classes[k], a->type);

            if (r != NULL && (r->flags & TSR_A_SO))
                return true;
        }
    }
    return false;
}
