/* Sessions: the table of open sessions, their states, and their lifetime.
 * A session is reference counted so a C_CloseSession racing another call on
 * it never frees memory under that call. */
#include <stdlib.h>
#include <string.h>

#include "secmem.h"
#include "token-impl.h"

static const tsr_op_kind op_kinds[] = {TSR_OP_ENCRYPT,       TSR_OP_DECRYPT, TSR_OP_DIGEST,
                                       TSR_OP_SIGN,          TSR_OP_VERIFY,  TSR_OP_SIGN_RECOVER,
                                       TSR_OP_VERIFY_RECOVER};

int tsr_op_index(tsr_op_kind kind)
{
    for (int i = 0; i < (int)(sizeof(op_kinds) / sizeof(op_kinds[0])); i++)
        if (op_kinds[i] == kind)
            return i;
    return -1;
}

void tsr_session_end_ops_locked(tsr_session *s)
{
    for (size_t i = 0; i < sizeof(s->ops) / sizeof(s->ops[0]); i++) {
        tsr_op_free(s->ops[i]);
        s->ops[i] = NULL;
        s->op_needs_auth[i] = false;
    }
    free(s->found);
    s->found = NULL;
    s->found_n = s->found_pos = 0;
    s->finding = false;
}

static void session_free(tsr_session *s)
{
    tsr_session_end_ops_locked(s);
    for (size_t i = 0; i < sizeof(s->warm) / sizeof(s->warm[0]); i++)
        tsr_warm_clear(&s->warm[i]);
    tsr_mutex_free(s->lock);
    free(s);
}

/* A session whose token was pulled answers CKR_DEVICE_REMOVED once, then is
 * forgotten like any closed session. */
static bool session_removed(CK_SESSION_HANDLE h)
{
    bool removed;

    if (tsr_mod.removed_sessions.n == 0)
        return false;
    tsr_rwlock_wrlock(tsr_mod.sessions_lock);
    removed = tsr_hmap_take(&tsr_mod.removed_sessions, h) != NULL;
    tsr_rwlock_unlock(tsr_mod.sessions_lock);
    return removed;
}

CK_RV tsr_session_get(CK_SESSION_HANDLE h, tsr_session **out)
{
    tsr_session *s;

    if (h == CK_INVALID_HANDLE)
        return CKR_SESSION_HANDLE_INVALID;
    tsr_rwlock_rdlock(tsr_mod.sessions_lock);
    s = tsr_hmap_get(&tsr_mod.sessions, h);
    if (s != NULL)
        __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
    tsr_rwlock_unlock(tsr_mod.sessions_lock);
    if (s == NULL)
        return session_removed(h) ? CKR_DEVICE_REMOVED : CKR_SESSION_HANDLE_INVALID;
    *out = s;
    return CKR_OK;
}

void tsr_session_put(tsr_session *s)
{
    if (s != NULL && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        session_free(s);
}

void tsr_sessions_forget_keys(const tsr_token *t)
{
    tsr_rwlock_rdlock(tsr_mod.sessions_lock);
    for (size_t i = 0; i < tsr_mod.sessions.cap; i++) {
        tsr_session *s = tsr_mod.sessions.vals[i];
        if (tsr_mod.sessions.keys[i] == 0 || s->token != t)
            continue;
        for (size_t k = 0; k < sizeof(s->warm) / sizeof(s->warm[0]); k++)
            tsr_warm_clear(&s->warm[k]); /* atomic: safe beside the session's own calls */
    }
    tsr_rwlock_unlock(tsr_mod.sessions_lock);
}

CK_STATE tsr_session_state(const tsr_session *s)
{
    bool rw = (s->flags & CKF_RW_SESSION) != 0;

    switch (s->token->login) {
    case TSR_LOGIN_SO:
        return CKS_RW_SO_FUNCTIONS;
    case TSR_LOGIN_USER:
        return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    default:
        return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
    }
}

CK_RV tsr_session_open(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE *out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_slot *slot = tsr_slot_lookup(id);
    tsr_session *s = NULL;
    tsr_token *t;

    if (slot == NULL)
        return CKR_SLOT_ID_INVALID;
    tsr_mutex_lock(tsr_mod.lock);
    t = slot->token;
    if (t == NULL) {
        rv = slot->blank ? CKR_TOKEN_NOT_RECOGNIZED : CKR_TOKEN_NOT_PRESENT;
        goto out;
    }
    tsr_rwlock_wrlock(t->lock);
    if (!(flags & CKF_RW_SESSION) && t->login == TSR_LOGIN_SO) {
        tsr_rwlock_unlock(t->lock);
        rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL || tsr_mutex_new(&s->lock) != CKR_OK) {
        tsr_rwlock_unlock(t->lock);
        free(s);
        s = NULL;
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    s->slot = slot;
    s->token = t;
    s->flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
    s->refs = 1; /* the table's reference */
    tsr_rwlock_wrlock(tsr_mod.sessions_lock);
    s->handle = tsr_mod.next_session++;
    if (!tsr_hmap_put(&tsr_mod.sessions, s->handle, s)) {
        tsr_rwlock_unlock(tsr_mod.sessions_lock);
        tsr_rwlock_unlock(t->lock);
        session_free(s);
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    tsr_rwlock_unlock(tsr_mod.sessions_lock);
    t->sessions++;
    if (flags & CKF_RW_SESSION)
        t->rw_sessions++;
    tsr_rwlock_unlock(t->lock);
    *out = s->handle;
    rv = CKR_OK;
out:
    tsr_mutex_unlock(tsr_mod.lock);
    return rv;
}

/* Removes a session from the table and from its token.  The last session of a
 * token closing logs the application out, as the specification says.
 * Module lock held. */
static void close_locked(tsr_session *s)
{
    tsr_token *t = s->token;

    tsr_rwlock_wrlock(tsr_mod.sessions_lock);
    tsr_hmap_take(&tsr_mod.sessions, s->handle);
    tsr_rwlock_unlock(tsr_mod.sessions_lock);
    tsr_rwlock_wrlock(t->lock);
    s->closed = true;
    t->sessions--;
    if (s->flags & CKF_RW_SESSION)
        t->rw_sessions--;
    tsr_object_drop_session(t, s->handle);
    if (t->sessions == 0)
        tsr_token_forget_locked(t);
    tsr_rwlock_unlock(t->lock);
    tsr_session_put(s);
}

CK_RV tsr_session_close(CK_SESSION_HANDLE h)
{
    tsr_session *s;
    CK_RV rv = tsr_session_get(h, &s);

    if (rv != CKR_OK)
        return rv;
    tsr_mutex_lock(tsr_mod.lock);
    if (s->closed) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else {
        close_locked(s);
    }
    tsr_mutex_unlock(tsr_mod.lock);
    tsr_session_put(s);
    return rv;
}

/* Collects the sessions matching `slot` (NULL: all) and closes them; with
 * `pulled`, their handles are remembered as removed. Module lock held. */
static CK_RV close_matching_locked(const tsr_slot *slot, bool pulled)
{
    size_t n = 0;
    tsr_session **list;

    tsr_rwlock_rdlock(tsr_mod.sessions_lock);
    list = calloc(tsr_mod.sessions.n + 1, sizeof(*list));
    if (list == NULL) {
        tsr_rwlock_unlock(tsr_mod.sessions_lock);
        return CKR_HOST_MEMORY;
    }
    for (size_t i = 0; i < tsr_mod.sessions.cap; i++) {
        tsr_session *s = tsr_mod.sessions.vals[i];
        if (tsr_mod.sessions.keys[i] != 0 && (slot == NULL || s->slot == slot)) {
            __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
            list[n++] = s;
        }
    }
    tsr_rwlock_unlock(tsr_mod.sessions_lock);
    for (size_t i = 0; i < n; i++) {
        if (pulled) {
            tsr_rwlock_wrlock(tsr_mod.sessions_lock);
            tsr_hmap_put(&tsr_mod.removed_sessions, list[i]->handle, list[i]->slot);
            tsr_rwlock_unlock(tsr_mod.sessions_lock);
        }
        if (!list[i]->closed)
            close_locked(list[i]);
        tsr_session_put(list[i]);
    }
    free(list);
    return CKR_OK;
}

CK_RV tsr_session_close_all(CK_SLOT_ID id)
{
    tsr_slot *slot = tsr_slot_lookup(id);
    CK_RV rv;

    if (slot == NULL)
        return CKR_SLOT_ID_INVALID;
    tsr_mutex_lock(tsr_mod.lock);
    rv = slot->token == NULL && !slot->blank ? CKR_TOKEN_NOT_PRESENT
                                             : close_matching_locked(slot, false);
    tsr_mutex_unlock(tsr_mod.lock);
    return rv;
}

void tsr_sessions_close_all_locked(void)
{
    close_matching_locked(NULL, false);
}

void tsr_sessions_remove_slot_locked(const tsr_slot *slot)
{
    close_matching_locked(slot, true);
}

CK_RV tsr_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO *info)
{
    tsr_session *s;
    CK_RV rv = tsr_session_get(h, &s);

    if (rv != CKR_OK)
        return rv;
    tsr_rwlock_rdlock(s->token->lock);
    info->slotID = s->slot->id;
    info->state = tsr_session_state(s);
    info->flags = s->flags;
    info->ulDeviceError = 0;
    tsr_rwlock_unlock(s->token->lock);
    tsr_session_put(s);
    return CKR_OK;
}
