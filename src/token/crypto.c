/* Cryptographic operations on a session: the key checks at *Init, then the
 * mechanism layer's operation.  The session mutex serialises calls on one
 * session only; different sessions sign in parallel. */

#include "schema.h"
#include "token-impl.h"

/* The key attribute that must be true for each kind of operation. */
static const struct {
    tsr_op_kind kind;
    CK_ATTRIBUTE_TYPE usage;
} usage_of[] = {
    {TSR_OP_ENCRYPT, CKA_ENCRYPT},
    {TSR_OP_DECRYPT, CKA_DECRYPT},
    {TSR_OP_SIGN, CKA_SIGN},
    {TSR_OP_VERIFY, CKA_VERIFY},
    {TSR_OP_SIGN_RECOVER, CKA_SIGN_RECOVER},
    {TSR_OP_VERIFY_RECOVER, CKA_VERIFY_RECOVER},
};

static CK_ATTRIBUTE_TYPE usage_attr(tsr_op_kind kind)
{
    for (size_t i = 0; i < sizeof(usage_of) / sizeof(usage_of[0]); i++)
        if (usage_of[i].kind == kind)
            return usage_of[i].usage;
    return CK_UNAVAILABLE_INFORMATION;
}

/* Checks the key may do `kind` with `mech` (keyuse.c), and starts the
 * operation. */
static CK_RV start_with_key(tsr_session *s, const tsr_mech *m, tsr_op_kind kind,
                            const CK_MECHANISM *mech, CK_OBJECT_HANDLE key, tsr_op **op,
                            bool *needs_auth)
{
    CK_RV rv;
    tsr_object *o = NULL;
    tsr_key k;

    rv = tsr_key_lookup(s, key, CKR_KEY_HANDLE_INVALID, &o);
    if (rv != CKR_OK)
        return rv;
    rv = tsr_key_permits(o, usage_attr(kind), mech->mechanism);
    if (rv == CKR_OK)
        rv = tsr_key_view(s, o, &k);
    if (rv == CKR_OK) {
        k.warm = &s->warm[tsr_op_index(kind)];
        rv = tsr_op_new(m, kind, mech, &k, op);
        tsr_key_release(&k);
    }
    *needs_auth = o->klass == CKO_PRIVATE_KEY &&
                  tsr_attrs_get_bool(&o->attrs, CKA_ALWAYS_AUTHENTICATE, false);
    tsr_object_unref(o);
    return rv;
}

CK_RV tsr_crypto_init(CK_SESSION_HANDLE h, tsr_op_kind kind, const CK_MECHANISM *mech,
                      CK_OBJECT_HANDLE key)
{
    CK_RV rv;
    tsr_session *s;
    const tsr_mech *m;
    tsr_op *op = NULL;
    bool needs_auth = false;
    int idx = tsr_op_index(kind);

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_mutex_lock(s->lock);
    if (mech == NULL) {
        tsr_op_free(s->ops[idx]); /* a NULL mechanism cancels */
        s->ops[idx] = NULL;
        s->op_needs_auth[idx] = false;
    } else if (s->ops[idx] != NULL) {
        rv = CKR_OPERATION_ACTIVE;
    }
    tsr_mutex_unlock(s->lock);
    if (mech == NULL || rv != CKR_OK)
        goto out;
    m = tsr_mech_lookup(mech->mechanism);
    if (m == NULL || !(m->kinds & kind)) {
        rv = CKR_MECHANISM_INVALID;
        goto out;
    }
    if (kind == TSR_OP_DIGEST)
        rv = tsr_op_new(m, kind, mech, &(tsr_key){.warm = &s->warm[idx]}, &op);
    else
        rv = start_with_key(s, m, kind, mech, key, &op, &needs_auth);
    if (rv != CKR_OK)
        goto out;
    tsr_mutex_lock(s->lock);
    if (s->ops[idx] != NULL) {
        rv = CKR_OPERATION_ACTIVE;
    } else {
        s->ops[idx] = op;
        s->op_needs_auth[idx] = needs_auth;
        op = NULL;
    }
    tsr_mutex_unlock(s->lock);
out:
    tsr_op_free(op);
    tsr_session_put(s);
    return rv;
}

/* Runs `fn` on the active operation of `kind`, under the session lock, and
 * ends the operation unless the call was a length query or too small. */
typedef CK_RV (*op_step)(tsr_op *op, const unsigned char *in, size_t in_len,
                         const unsigned char *sig, size_t sig_len, unsigned char *out,
                         size_t *out_len);

static CK_RV run(CK_SESSION_HANDLE h, tsr_op_kind kind, op_step fn, const unsigned char *in,
                 CK_ULONG in_len, const unsigned char *sig, CK_ULONG sig_len, unsigned char *out,
                 CK_ULONG *out_len, bool ends)
{
    CK_RV rv;
    tsr_session *s;
    int idx = tsr_op_index(kind);
    size_t len = out_len ? *out_len : 0;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_mutex_lock(s->lock);
    if (s->ops[idx] == NULL) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
        goto out;
    }
    if (s->op_needs_auth[idx]) {
        rv = CKR_USER_NOT_LOGGED_IN;
        goto out;
    }
    rv = fn(s->ops[idx], in, in_len, sig, sig_len, out, out_len ? &len : NULL);
    if (out_len != NULL)
        *out_len = (CK_ULONG)len;
    if (rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && out == NULL && out_len != NULL))
        goto out; /* the caller asks again with a buffer */
    if (rv != CKR_OK || ends) {
        tsr_op_free(s->ops[idx]);
        s->ops[idx] = NULL;
        s->op_needs_auth[idx] = false;
    }
out:
    tsr_mutex_unlock(s->lock);
    tsr_session_put(s);
    return rv;
}

static CK_RV step_oneshot(tsr_op *op, const unsigned char *in, size_t in_len,
                          const unsigned char *sig, size_t sig_len, unsigned char *out,
                          size_t *out_len)
{
    return tsr_op_oneshot(op, in, in_len, out, out_len);
}

static CK_RV step_update(tsr_op *op, const unsigned char *in, size_t in_len,
                         const unsigned char *sig, size_t sig_len, unsigned char *out,
                         size_t *out_len)
{
    return tsr_op_update(op, in, in_len, out, out_len);
}

static CK_RV step_final(tsr_op *op, const unsigned char *in, size_t in_len,
                        const unsigned char *sig, size_t sig_len, unsigned char *out,
                        size_t *out_len)
{
    return tsr_op_final(op, out, out_len);
}

static CK_RV step_verify(tsr_op *op, const unsigned char *in, size_t in_len,
                         const unsigned char *sig, size_t sig_len, unsigned char *out,
                         size_t *out_len)
{
    return tsr_op_verify(op, in, in_len, sig, sig_len);
}

static CK_RV step_verify_final(tsr_op *op, const unsigned char *in, size_t in_len,
                               const unsigned char *sig, size_t sig_len, unsigned char *out,
                               size_t *out_len)
{
    return tsr_op_verify_final(op, sig, sig_len);
}

CK_RV tsr_crypto_oneshot(CK_SESSION_HANDLE h, tsr_op_kind kind, const unsigned char *in,
                         CK_ULONG in_len, unsigned char *out, CK_ULONG *out_len)
{
    return run(h, kind, step_oneshot, in, in_len, NULL, 0, out, out_len, true);
}

CK_RV tsr_crypto_update(CK_SESSION_HANDLE h, tsr_op_kind kind, const unsigned char *in,
                        CK_ULONG in_len, unsigned char *out, CK_ULONG *out_len)
{
    return run(h, kind, step_update, in, in_len, NULL, 0, out, out_len, false);
}

CK_RV tsr_crypto_final(CK_SESSION_HANDLE h, tsr_op_kind kind, unsigned char *out, CK_ULONG *out_len)
{
    return run(h, kind, step_final, NULL, 0, NULL, 0, out, out_len, true);
}

CK_RV tsr_crypto_verify(CK_SESSION_HANDLE h, const unsigned char *data, CK_ULONG data_len,
                        const unsigned char *sig, CK_ULONG sig_len)
{
    return run(h, TSR_OP_VERIFY, step_verify, data, data_len, sig, sig_len, NULL, NULL, true);
}

CK_RV tsr_crypto_verify_final(CK_SESSION_HANDLE h, const unsigned char *sig, CK_ULONG sig_len)
{
    return run(h, TSR_OP_VERIFY, step_verify_final, NULL, 0, sig, sig_len, NULL, NULL, true);
}

CK_RV tsr_crypto_digest_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key)
{
    CK_RV rv;
    tsr_session *s;
    tsr_object *o = NULL;
    const CK_ATTRIBUTE *value;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    rv = tsr_object_lookup(s, key, &o);
    if (rv == CKR_OBJECT_HANDLE_INVALID)
        rv = CKR_KEY_HANDLE_INVALID;
    tsr_session_put(s);
    if (rv != CKR_OK)
        return rv;
    value = tsr_attrs_find(&o->attrs, CKA_VALUE);
    if (o->klass != CKO_SECRET_KEY || value == NULL || o->sealed_missing)
        rv = CKR_KEY_INDIGESTIBLE;
    else
        rv = tsr_crypto_update(h, TSR_OP_DIGEST, value->pValue, value->ulValueLen, NULL, NULL);
    tsr_object_unref(o);
    return rv;
}
