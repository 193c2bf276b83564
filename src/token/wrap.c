/* C_WrapKey and C_UnwrapKey: the rules on the keys (3.0, 5.18.3-4), the key
 * as bytes (a secret key's value, a private key's PKCS#8), and the wrapping
 * mechanism run as a single-part encryption or decryption through the
 * mechanism layer's generic operations, whatever its family. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "secmem.h"
#include "token-impl.h"

/* Mechanisms whose output is the key padded to whole blocks with nothing
 * that tells the length: an unwrapped key is cut to CKA_VALUE_LEN. */
static const CK_MECHANISM_TYPE block_padded[] = {CKM_AES_ECB, CKM_AES_CBC};

static bool is_block_padded(CK_MECHANISM_TYPE type)
{
    for (size_t i = 0; i < sizeof(block_padded) / sizeof(block_padded[0]); i++)
        if (block_padded[i] == type)
            return true;
    return false;
}

/* The errors of the wrapping key's operation, as C_WrapKey/C_UnwrapKey name them. */
static const struct {
    CK_RV from, wrap, unwrap;
} rv_map[] = {
    {CKR_KEY_TYPE_INCONSISTENT, CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
     CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT},
    {CKR_KEY_SIZE_RANGE, CKR_WRAPPING_KEY_SIZE_RANGE, CKR_UNWRAPPING_KEY_SIZE_RANGE},
    {CKR_DATA_LEN_RANGE, CKR_KEY_SIZE_RANGE, CKR_WRAPPED_KEY_LEN_RANGE},
    {CKR_ENCRYPTED_DATA_LEN_RANGE, CKR_KEY_SIZE_RANGE, CKR_WRAPPED_KEY_LEN_RANGE},
    {CKR_ENCRYPTED_DATA_INVALID, CKR_FUNCTION_FAILED, CKR_WRAPPED_KEY_INVALID},
    {CKR_DATA_INVALID, CKR_KEY_SIZE_RANGE, CKR_WRAPPED_KEY_INVALID},
};

static CK_RV map_rv(CK_RV rv, bool wrap)
{
    for (size_t i = 0; i < sizeof(rv_map) / sizeof(rv_map[0]); i++)
        if (rv_map[i].from == rv)
            return wrap ? rv_map[i].wrap : rv_map[i].unwrap;
    return rv;
}

/* Runs the (un)wrapping mechanism over `in` with key object `ko`; *out is
 * malloc'd, exactly as long as the result. */
static CK_RV run_cipher(tsr_session *s, const tsr_mech *m, const CK_MECHANISM *mech, tsr_object *ko,
                        bool wrap, const unsigned char *in, size_t in_len, unsigned char **out,
                        size_t *out_len)
{
    CK_RV rv;
    tsr_key k;
    tsr_op *op = NULL;
    size_t need = 0;

    *out = NULL;
    rv = tsr_key_view(s, ko, &k);
    if (rv != CKR_OK)
        return rv;
    rv = tsr_op_new(m, wrap ? TSR_OP_ENCRYPT : TSR_OP_DECRYPT, mech, &k, &op);
    if (rv == CKR_OK)
        rv = tsr_op_oneshot(op, in, in_len, NULL, &need);
    /* Room for the input's length too: OpenSSL's key unwrap wipes that much
     * of the output when the integrity check fails. */
    if (rv == CKR_OK && !wrap && need < in_len)
        need = in_len;
    if (rv == CKR_OK && (*out = malloc(need > 0 ? need : 1)) == NULL)
        rv = CKR_HOST_MEMORY;
    if (rv == CKR_OK) {
        *out_len = need;
        rv = tsr_op_oneshot(op, in, in_len, *out, out_len);
    }
    if (rv != CKR_OK) {
        tsr_free_secret(*out, need);
        *out = NULL;
    }
    tsr_op_free(op);
    tsr_key_release(&k);
    return map_rv(rv, wrap);
}

/* --- wrapping --- */

/* The key must be a secret or private key the wrapping key may take out. */
static CK_RV check_wrappable(const tsr_object *wk, const tsr_object *key)
{
    CK_RV rv = CKR_OK;
    tsr_attrs t;

    if (key->klass != CKO_SECRET_KEY && key->klass != CKO_PRIVATE_KEY)
        return CKR_KEY_NOT_WRAPPABLE;
    if (!tsr_attrs_get_bool(&key->attrs, CKA_EXTRACTABLE, false))
        return CKR_KEY_UNEXTRACTABLE;
    if (tsr_attrs_get_bool(&key->attrs, CKA_WRAP_WITH_TRUSTED, false) &&
        !tsr_attrs_get_bool(&wk->attrs, CKA_TRUSTED, false))
        return CKR_KEY_NOT_WRAPPABLE;
    /* "To wrap a private key with any secret key" (5.18.3): not with a public one. */
    if (key->klass == CKO_PRIVATE_KEY && wk->klass != CKO_SECRET_KEY)
        return CKR_KEY_NOT_WRAPPABLE;
    if (key->sealed_missing)
        return CKR_USER_NOT_LOGGED_IN;
    /* CKA_WRAP_TEMPLATE matches as C_FindObjects does; a mismatch is
     * CKR_KEY_HANDLE_INVALID, as 5.18.3 says. */
    tsr_attrs_init(&t);
    if (tsr_attrs_get_nested(tsr_attrs_find(&wk->attrs, CKA_WRAP_TEMPLATE), &t) != CKR_OK)
        rv = CKR_GENERAL_ERROR;
    else if (!tsr_attrs_match(&key->attrs, t.v, (CK_ULONG)t.n))
        rv = CKR_KEY_HANDLE_INVALID;
    tsr_attrs_clear(&t);
    return rv;
}

/* The key as bytes: a secret key's value or a private key's PKCS#8. */
static CK_RV key_bytes(tsr_session *s, tsr_object *key, unsigned char **out, size_t *len)
{
    CK_RV rv;
    const CK_ATTRIBUTE *value;
    EVP_PKEY *pkey = NULL;

    if (key->klass == CKO_SECRET_KEY) {
        value = tsr_attrs_find(&key->attrs, CKA_VALUE);
        if (value == NULL)
            return CKR_KEY_NOT_WRAPPABLE;
        *out = tsr_memdup(value->pValue, value->ulValueLen);
        *len = value->ulValueLen;
        return *out != NULL || *len == 0 ? CKR_OK : CKR_HOST_MEMORY;
    }
    rv = tsr_object_pkey(s->token, key, &pkey);
    if (rv == CKR_OK)
        rv = tsr_mech_pkcs8_encode(pkey, out, len);
    EVP_PKEY_free(pkey);
    return rv;
}

/* The buffer-size protocol of section 5.2 for the finished result. */
static CK_RV hand_out(const unsigned char *res, size_t res_len, unsigned char *out,
                      CK_ULONG *out_len)
{
    CK_RV rv = CKR_OK;

    if (out != NULL && *out_len < res_len)
        rv = CKR_BUFFER_TOO_SMALL;
    else if (out != NULL && res_len > 0)
        memcpy(out, res, res_len);
    *out_len = (CK_ULONG)res_len;
    return rv;
}

static CK_RV wrap_keys(tsr_session *s, const tsr_mech *m, const CK_MECHANISM *mech, tsr_object *wk,
                       tsr_object *key, unsigned char *out, CK_ULONG *out_len)
{
    CK_RV rv;
    unsigned char *plain = NULL, *res = NULL;
    size_t plain_len = 0, res_len = 0;

    rv = tsr_key_permits(wk, CKA_WRAP, mech->mechanism);
    if (rv == CKR_OK)
        rv = check_wrappable(wk, key);
    if (rv == CKR_OK)
        rv = key_bytes(s, key, &plain, &plain_len);
    /* A length query wraps too: only the result knows its length. */
    if (rv == CKR_OK)
        rv = run_cipher(s, m, mech, wk, true, plain, plain_len, &res, &res_len);
    if (rv == CKR_OK)
        rv = hand_out(res, res_len, out, out_len);
    tsr_free_secret(plain, plain_len);
    free(res);
    return rv;
}

CK_RV tsr_key_wrap(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping,
                   CK_OBJECT_HANDLE key, unsigned char *out, CK_ULONG *out_len)
{
    CK_RV rv;
    tsr_session *s;
    const tsr_mech *m = tsr_mech_lookup(mech->mechanism);
    tsr_object *wk = NULL, *k = NULL;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    if (m == NULL || !(m->info.flags & CKF_WRAP)) {
        rv = CKR_MECHANISM_INVALID;
        goto out;
    }
    rv = tsr_key_lookup(s, wrapping, CKR_WRAPPING_KEY_HANDLE_INVALID, &wk);
    if (rv == CKR_OK)
        rv = tsr_key_lookup(s, key, CKR_KEY_HANDLE_INVALID, &k);
    if (rv == CKR_OK)
        rv = wrap_keys(s, m, mech, wk, k, out, out_len);
out:
    tsr_object_unref(wk);
    tsr_object_unref(k);
    tsr_session_put(s);
    return rv;
}

/* --- unwrapping --- */

/* The class and key type the template asks for.  A secret key must name its
 * type; a private key's comes from its PKCS#8 when absent.  A private key is
 * unwrapped with a secret key only, as it is wrapped. */
static CK_RV new_key_kind(const tsr_attrs *a, const tsr_object *uk, CK_OBJECT_CLASS *klass,
                          CK_KEY_TYPE *type)
{
    *type = CK_UNAVAILABLE_INFORMATION;
    if (!tsr_attrs_get_ulong(a, CKA_CLASS, klass))
        return tsr_attrs_has(a, CKA_CLASS) ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCOMPLETE;
    if (*klass != CKO_SECRET_KEY && *klass != CKO_PRIVATE_KEY)
        return CKR_TEMPLATE_INCONSISTENT;
    if (*klass == CKO_PRIVATE_KEY && uk->klass != CKO_SECRET_KEY)
        return CKR_TEMPLATE_INCONSISTENT;
    if (tsr_attrs_get_ulong(a, CKA_KEY_TYPE, type))
        return CKR_OK;
    if (tsr_attrs_has(a, CKA_KEY_TYPE))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    return *klass == CKO_SECRET_KEY ? CKR_TEMPLATE_INCOMPLETE : CKR_OK;
}

/* A secret key's value: CKA_VALUE_LEN cuts a block-padded value, and must
 * otherwise agree with what came out (5.18.4: CKR_WRAPPED_KEY_LEN_RANGE). */
static CK_RV secret_value(tsr_attrs *a, CK_MECHANISM_TYPE mech, const unsigned char *plain,
                          size_t len)
{
    CK_ULONG want = 0, type = 0;

    if (tsr_attrs_get_ulong(a, CKA_VALUE_LEN, &want)) {
        if (want > len || (want < len && !is_block_padded(mech)))
            return CKR_WRAPPED_KEY_LEN_RANGE;
        len = want;
    }
    tsr_attrs_get_ulong(a, CKA_KEY_TYPE, &type);
    if (len == 0 || (type == CKK_AES && len != 16 && len != 24 && len != 32))
        return CKR_WRAPPED_KEY_LEN_RANGE;
    return tsr_attrs_set(a, CKA_VALUE, plain, (CK_ULONG)len);
}

/* Adds what the key itself says to the template; a value the caller gave
 * otherwise (another curve, another key type) is CKR_TEMPLATE_INCONSISTENT. */
static CK_RV merge_strict(tsr_attrs *a, const tsr_attrs *made)
{
    CK_RV rv = CKR_OK;

    for (size_t i = 0; i < made->n && rv == CKR_OK; i++) {
        const CK_ATTRIBUTE *m = &made->v[i], *given = tsr_attrs_find(a, m->type);

        if (given == NULL)
            rv = tsr_attrs_set(a, m->type, m->pValue, m->ulValueLen);
        else if (given->ulValueLen != m->ulValueLen ||
                 (m->ulValueLen > 0 && memcmp(given->pValue, m->pValue, m->ulValueLen) != 0))
            rv = CKR_TEMPLATE_INCONSISTENT;
    }
    return rv;
}

/* A private key's attributes from its PKCS#8; the template's key type, when
 * given, must be the one inside, and when not, the template is checked now
 * that the type is known. */
static CK_RV private_value(tsr_attrs *a, CK_KEY_TYPE asked, const unsigned char *plain, size_t len)
{
    CK_RV rv;
    CK_KEY_TYPE got = 0;
    tsr_attrs made;

    tsr_attrs_init(&made);
    rv = tsr_mech_pkcs8_decode(plain, len, &got, &made);
    if (rv == CKR_OK && asked != CK_UNAVAILABLE_INFORMATION && asked != got)
        rv = CKR_TEMPLATE_INCONSISTENT;
    if (rv == CKR_OK && asked == CK_UNAVAILABLE_INFORMATION)
        rv = tsr_schema_check_template(a, CKO_PRIVATE_KEY, got, TSR_ORIGIN_UNWRAP);
    if (rv == CKR_OK)
        rv = merge_strict(a, &made);
    tsr_attrs_clear(&made);
    return rv;
}

/* The new key's attributes from the template and the plaintext key. */
static CK_RV complete(tsr_attrs *a, CK_OBJECT_CLASS klass, CK_KEY_TYPE type, CK_MECHANISM_TYPE mech,
                      const unsigned char *plain, size_t len)
{
    CK_RV rv;

    if (klass == CKO_SECRET_KEY)
        rv = secret_value(a, mech, plain, len);
    else
        rv = private_value(a, type, plain, len);
    if (rv == CKR_OK)
        rv = tsr_attrs_set_ulong(a, CKA_CLASS, klass);
    /* "CKA_EXTRACTABLE is by default set to CK_TRUE" (5.18.4). */
    if (rv == CKR_OK)
        rv = tsr_attrs_default_bool(a, CKA_EXTRACTABLE, true);
    if (rv == CKR_OK)
        rv = tsr_schema_finish(a, TSR_ORIGIN_UNWRAP, CK_UNAVAILABLE_INFORMATION);
    return rv;
}

/* Template checks that need no decryption: run first, as they are cheap. */
static CK_RV check_unwrap_template(tsr_session *s, const tsr_object *uk, tsr_attrs *a,
                                   CK_OBJECT_CLASS *klass, CK_KEY_TYPE *type)
{
    CK_RV rv = tsr_key_apply_template(uk, CKA_UNWRAP_TEMPLATE, a);

    if (rv == CKR_OK)
        rv = new_key_kind(a, uk, klass, type);
    if (rv == CKR_OK && *type != CK_UNAVAILABLE_INFORMATION)
        rv = tsr_schema_check_template(a, *klass, *type, TSR_ORIGIN_UNWRAP);
    if (rv == CKR_OK && tsr_schema_needs_so(a) && s->token->login != TSR_LOGIN_SO)
        rv = CKR_ATTRIBUTE_READ_ONLY; /* CKA_TRUSTED */
    if (rv == CKR_OK)
        rv = tsr_access_write(s, tsr_attrs_get_bool(a, CKA_TOKEN, false),
                              tsr_attrs_get_bool(a, CKA_PRIVATE, true));
    return rv;
}

static CK_RV unwrap_key(tsr_session *s, const tsr_mech *m, const CK_MECHANISM *mech, tsr_object *uk,
                        const unsigned char *wrapped, size_t wrapped_len, tsr_attrs *a,
                        CK_OBJECT_HANDLE *out)
{
    CK_RV rv;
    CK_OBJECT_CLASS klass = 0;
    CK_KEY_TYPE type = 0;
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    tsr_attrs *objs[1] = {a};

    rv = tsr_key_permits(uk, CKA_UNWRAP, mech->mechanism);
    if (rv == CKR_OK)
        rv = check_unwrap_template(s, uk, a, &klass, &type);
    if (rv == CKR_OK)
        rv = run_cipher(s, m, mech, uk, false, wrapped, wrapped_len, &plain, &plain_len);
    if (rv == CKR_OK)
        rv = complete(a, klass, type, mech->mechanism, plain, plain_len);
    if (rv == CKR_OK)
        rv = tsr_object_add(s, objs, 1, out);
    tsr_free_secret(plain, plain_len);
    return rv;
}

CK_RV tsr_key_unwrap(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE unwrapping,
                     const unsigned char *wrapped, CK_ULONG wrapped_len, const CK_ATTRIBUTE *tmpl,
                     CK_ULONG count, CK_OBJECT_HANDLE *out)
{
    CK_RV rv;
    tsr_session *s;
    const tsr_mech *m = tsr_mech_lookup(mech->mechanism);
    tsr_object *uk = NULL;
    tsr_attrs a;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_attrs_init(&a);
    if (m == NULL || !(m->info.flags & CKF_UNWRAP)) {
        rv = CKR_MECHANISM_INVALID;
        goto out;
    }
    rv = tsr_key_lookup(s, unwrapping, CKR_UNWRAPPING_KEY_HANDLE_INVALID, &uk);
    if (rv == CKR_OK)
        rv = tsr_attrs_from_template(&a, tmpl, count);
    if (rv == CKR_OK)
        rv = unwrap_key(s, m, mech, uk, wrapped, wrapped_len, &a, out);
out:
    tsr_attrs_clear(&a);
    tsr_object_unref(uk);
    tsr_session_put(s);
    return rv;
}
