/* Login, logout and PINs.  PIN checks unwrap the master key: a wrong PIN
 * fails the AES-GCM tag, so no PIN or PIN hash is stored.  Failures are
 * counted in the token file so a lockout holds across processes. */
#include <string.h>

#include "secmem.h"
#include "token-impl.h"

static const char *wrap_key(CK_USER_TYPE user)
{
    return user == CKU_SO ? "so_wrap" : "user_wrap";
}

static const char *fails_key(CK_USER_TYPE user)
{
    return user == CKU_SO ? "so_fails" : "user_fails";
}

/* Adds one to (or resets) a failure counter in one transaction, and mirrors
 * the new value in memory. */
static CK_RV record_attempt(tsr_token *t, CK_USER_TYPE user, bool failed)
{
    CK_RV rv;
    uint64_t fails = 0;

    if ((rv = tsr_store_begin(t->store)) != CKR_OK)
        return rv;
    rv = tsr_store_meta_get_u64(t->store, fails_key(user), 0, &fails);
    if (rv == CKR_OK && (failed || fails != 0))
        rv = tsr_store_meta_put_u64(t->store, fails_key(user), failed ? fails + 1 : 0);
    if (rv == CKR_OK)
        rv = tsr_store_commit(t->store);
    else
        tsr_store_rollback(t->store);
    if (rv != CKR_OK)
        return rv;
    tsr_rwlock_wrlock(t->lock);
    if (user == CKU_SO)
        t->so_fails = failed ? fails + 1 : 0;
    else
        t->user_fails = failed ? fails + 1 : 0;
    tsr_rwlock_unlock(t->lock);
    return CKR_OK;
}

/* Checks `pin` for `user` (CKU_USER or CKU_SO) and yields the master key.
 * CKR_PIN_LOCKED once the failures reached the limit, CKR_PIN_INCORRECT
 * (counted), CKR_USER_PIN_NOT_INITIALIZED.  No token lock held on entry:
 * the key derivation is slow. */
CK_RV tsr_pin_verify(tsr_token *t, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG pin_len,
                     unsigned char mk[TSR_MASTER_KEY_LEN])
{
    CK_RV rv;
    uint64_t fails = 0;
    unsigned char *wrap = NULL;
    size_t wrap_len = 0;

    if ((rv = tsr_store_meta_get_u64(t->store, fails_key(user), 0, &fails)) != CKR_OK)
        return rv;
    if (fails >= tsr_mod.conf.max_pin_tries)
        return CKR_PIN_LOCKED;
    if ((rv = tsr_store_meta_get(t->store, wrap_key(user), &wrap, &wrap_len)) != CKR_OK)
        return rv;
    if (wrap == NULL)
        return user == CKU_SO ? CKR_DEVICE_ERROR : CKR_USER_PIN_NOT_INITIALIZED;
    rv = tsr_seal_unwrap_master(wrap, wrap_len, pin, pin_len, mk);
    free(wrap);
    if (rv == CKR_PIN_INCORRECT) {
        CK_RV rv2 = record_attempt(t, user, true);
        return rv2 != CKR_OK ? rv2 : CKR_PIN_INCORRECT;
    }
    if (rv == CKR_OK && fails != 0 && (rv = record_attempt(t, user, false)) != CKR_OK)
        tsr_wipe(mk, TSR_MASTER_KEY_LEN);
    return rv;
}

/* Stores `mk` wrapped under a new PIN for `user`, resetting its counter. */
static CK_RV store_wrap(tsr_token *t, CK_USER_TYPE user, const unsigned char *mk,
                        const CK_UTF8CHAR *pin, CK_ULONG pin_len)
{
    CK_RV rv;
    unsigned char *wrap = NULL;
    size_t wrap_len = 0;

    rv = tsr_seal_wrap_master(mk, pin, pin_len, tsr_mod.conf.kdf_iterations, &wrap, &wrap_len);
    if (rv != CKR_OK)
        return rv;
    if ((rv = tsr_store_begin(t->store)) != CKR_OK)
        goto out;
    rv = tsr_store_meta_put(t->store, wrap_key(user), wrap, wrap_len);
    if (rv == CKR_OK)
        rv = tsr_store_meta_put_u64(t->store, fails_key(user), 0);
    if (rv == CKR_OK)
        rv = tsr_store_commit(t->store);
    else
        tsr_store_rollback(t->store);
    if (rv == CKR_OK) {
        tsr_rwlock_wrlock(t->lock);
        if (user == CKU_SO) {
            t->so_fails = 0;
        } else {
            t->user_fails = 0;
            t->user_pin_set = true;
        }
        tsr_rwlock_unlock(t->lock);
    }
out:
    free(wrap);
    return rv;
}

static bool pin_len_ok(CK_ULONG len)
{
    return len >= TSR_MIN_PIN_LEN && len <= TSR_MAX_PIN_LEN;
}

/* CKU_CONTEXT_SPECIFIC: re-authentication for a key with
 * CKA_ALWAYS_AUTHENTICATE, for the operation just initialised. */
static CK_RV login_context(tsr_session *s, const CK_UTF8CHAR *pin, CK_ULONG pin_len)
{
    CK_RV rv;
    bool pending = false;
    unsigned char mk[TSR_MASTER_KEY_LEN];

    tsr_mutex_lock(s->lock);
    for (size_t i = 0; i < sizeof(s->ops) / sizeof(s->ops[0]); i++)
        pending |= s->ops[i] != NULL && s->op_needs_auth[i];
    tsr_mutex_unlock(s->lock);
    if (s->token->login != TSR_LOGIN_USER)
        return CKR_USER_NOT_LOGGED_IN;
    if (!pending)
        return CKR_OPERATION_NOT_INITIALIZED;
    rv = tsr_pin_verify(s->token, CKU_USER, pin, pin_len, mk);
    tsr_wipe(mk, sizeof(mk));
    if (rv != CKR_OK)
        return rv;
    tsr_mutex_lock(s->lock);
    memset(s->op_needs_auth, 0, sizeof(s->op_needs_auth));
    tsr_mutex_unlock(s->lock);
    return CKR_OK;
}

/* Who may log in now: CKR_OK, or the reason not. Token lock held. */
static CK_RV may_login_locked(const tsr_token *t, CK_USER_TYPE user)
{
    tsr_login_state want = user == CKU_SO ? TSR_LOGIN_SO : TSR_LOGIN_USER;

    if (t->login == want)
        return CKR_USER_ALREADY_LOGGED_IN;
    if (t->login != TSR_LOGIN_NONE)
        return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
    if (user == CKU_SO && t->sessions > t->rw_sessions)
        return CKR_SESSION_READ_ONLY_EXISTS;
    if (user == CKU_USER && !t->user_pin_set)
        return CKR_USER_PIN_NOT_INITIALIZED;
    return CKR_OK;
}

CK_RV tsr_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG pin_len)
{
    CK_RV rv;
    tsr_session *s;
    tsr_token *t;
    unsigned char mk[TSR_MASTER_KEY_LEN];

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    t = s->token;
    if ((rv = tsr_token_refresh(t)) != CKR_OK)
        goto out;
    if (user == CKU_CONTEXT_SPECIFIC) {
        rv = login_context(s, pin, pin_len);
        goto out;
    }
    tsr_rwlock_rdlock(t->lock);
    rv = may_login_locked(t, user);
    tsr_rwlock_unlock(t->lock);
    if (rv != CKR_OK)
        goto out;
    if ((rv = tsr_pin_verify(t, user, pin, pin_len, mk)) != CKR_OK)
        goto out;
    tsr_rwlock_wrlock(t->lock);
    rv = may_login_locked(t, user); /* another thread may have won meanwhile */
    if (rv == CKR_OK) {
        memcpy(t->mk, mk, sizeof(mk));
        t->login = user == CKU_SO ? TSR_LOGIN_SO : TSR_LOGIN_USER;
    }
    tsr_rwlock_unlock(t->lock);
    tsr_wipe(mk, sizeof(mk));
out:
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_logout(CK_SESSION_HANDLE h)
{
    CK_RV rv;
    tsr_session *s;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_rwlock_wrlock(s->token->lock);
    if (s->token->login == TSR_LOGIN_NONE)
        rv = CKR_USER_NOT_LOGGED_IN;
    else
        tsr_token_forget_locked(s->token);
    tsr_rwlock_unlock(s->token->lock);
    if (rv == CKR_OK)
        tsr_sessions_forget_keys(s->token); /* key schedules of private keys too */
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_pin_init(CK_SESSION_HANDLE h, const CK_UTF8CHAR *pin, CK_ULONG pin_len)
{
    CK_RV rv;
    tsr_session *s;
    unsigned char mk[TSR_MASTER_KEY_LEN];

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_rwlock_rdlock(s->token->lock);
    if (tsr_session_state(s) != CKS_RW_SO_FUNCTIONS)
        rv = CKR_USER_NOT_LOGGED_IN;
    else
        memcpy(mk, s->token->mk, sizeof(mk));
    tsr_rwlock_unlock(s->token->lock);
    if (rv == CKR_OK)
        rv = pin_len_ok(pin_len) ? store_wrap(s->token, CKU_USER, mk, pin, pin_len)
                                 : CKR_PIN_LEN_RANGE;
    tsr_wipe(mk, sizeof(mk));
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_pin_set(CK_SESSION_HANDLE h, const CK_UTF8CHAR *old_pin, CK_ULONG old_len,
                  const CK_UTF8CHAR *new_pin, CK_ULONG new_len)
{
    CK_RV rv;
    tsr_session *s;
    CK_USER_TYPE who;
    unsigned char mk[TSR_MASTER_KEY_LEN];

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    if (!(s->flags & CKF_RW_SESSION)) {
        rv = CKR_SESSION_READ_ONLY;
        goto out;
    }
    if (!pin_len_ok(new_len)) {
        rv = CKR_PIN_LEN_RANGE;
        goto out;
    }
    tsr_rwlock_rdlock(s->token->lock);
    who = s->token->login == TSR_LOGIN_SO ? CKU_SO : CKU_USER;
    tsr_rwlock_unlock(s->token->lock);
    if ((rv = tsr_pin_verify(s->token, who, old_pin, old_len, mk)) != CKR_OK)
        goto out;
    rv = store_wrap(s->token, who, mk, new_pin, new_len);
    tsr_wipe(mk, sizeof(mk));
out:
    tsr_session_put(s);
    return rv;
}
