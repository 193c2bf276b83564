/* The dual-function updates of PKCS#11 3.0 section 5.17: two operations
 * active on one session, fed in order by one call.  Encryption's partner
 * (digest, sign) gets the plaintext that goes in; decryption's partner
 * (digest, verify) gets the plaintext that comes out, so what a decryption
 * holds back reaches it only with a later call, and what C_DecryptFinal
 * returns the application feeds itself, as the specification describes. */
#include "token-impl.h"

/* Ends both operations (session lock held). */
static void end_both(tsr_session *s, int a, int b)
{
    tsr_op_free(s->ops[a]);
    tsr_op_free(s->ops[b]);
    s->ops[a] = s->ops[b] = NULL;
    s->op_needs_auth[a] = s->op_needs_auth[b] = false;
}

static CK_RV dual_locked(tsr_session *s, tsr_op_kind cipher, tsr_op_kind other,
                         const unsigned char *in, CK_ULONG in_len, unsigned char *out,
                         CK_ULONG *out_len)
{
    int ci = tsr_op_index(cipher), oi = tsr_op_index(other);
    size_t len = *out_len;
    CK_RV rv;

    if (s->ops[ci] == NULL || s->ops[oi] == NULL)
        return CKR_OPERATION_NOT_INITIALIZED;
    if (s->op_needs_auth[ci] || s->op_needs_auth[oi])
        return CKR_USER_NOT_LOGGED_IN;
    rv = tsr_op_update(s->ops[ci], in, in_len, out, &len);
    *out_len = (CK_ULONG)len;
    if (rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && out == NULL))
        return rv; /* nothing consumed: the caller asks again with a buffer */
    if (rv == CKR_OK && cipher == TSR_OP_ENCRYPT)
        rv = tsr_op_update(s->ops[oi], in, in_len, NULL, NULL);
    else if (rv == CKR_OK)
        rv = tsr_op_update(s->ops[oi], out, len, NULL, NULL);
    if (rv != CKR_OK)
        end_both(s, ci, oi);
    return rv;
}

CK_RV tsr_crypto_dual_update(CK_SESSION_HANDLE h, tsr_op_kind cipher, tsr_op_kind other,
                             const unsigned char *in, CK_ULONG in_len, unsigned char *out,
                             CK_ULONG *out_len)
{
    CK_RV rv;
    tsr_session *s;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_mutex_lock(s->lock);
    rv = dual_locked(s, cipher, other, in, in_len, out, out_len);
    tsr_mutex_unlock(s->lock);
    tsr_session_put(s);
    return rv;
}
