/* A token: one token file, its metadata mirrored in memory, its object cache
 * and this process's login state.  C_InitToken lives here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "secmem.h"
#include "token-impl.h"

char *tsr_token_path(const char *serial_or_name);

/* Drops cached objects matching `keep == false`; collects first because
 * taking from the map moves its entries. */
static void drop_objects_locked(tsr_token *t, bool token_objects_only)
{
    size_t n = 0;
    tsr_object **gone = calloc(t->objects.n + 1, sizeof(*gone));

    for (size_t i = 0; gone != NULL && i < t->objects.cap; i++) {
        tsr_object *o = t->objects.vals[i];
        if (t->objects.keys[i] != 0 && (!token_objects_only || o->is_token))
            gone[n++] = o;
    }
    for (size_t i = 0; i < n; i++) {
        tsr_hmap_take(&t->objects, gone[i]->handle);
        if (!gone[i]->is_token)
            t->session_objects--;
        tsr_object_unref(gone[i]);
    }
    free(gone);
}

CK_RV tsr_token_load_meta_locked(tsr_token *t)
{
    CK_RV rv;
    unsigned char *v = NULL;
    size_t len = 0;

    rv = tsr_store_meta_get(t->store, "label", &v, &len);
    if (rv != CKR_OK)
        return rv;
    memset(t->label, ' ', sizeof(t->label));
    if (v != NULL)
        memcpy(t->label, v, len < sizeof(t->label) ? len : sizeof(t->label));
    free(v);
    v = NULL;
    rv = tsr_store_meta_get(t->store, "serial", &v, &len);
    if (rv != CKR_OK)
        return rv;
    memset(t->serial, ' ', sizeof(t->serial));
    if (v != NULL)
        memcpy(t->serial, v, len < sizeof(t->serial) ? len : sizeof(t->serial));
    free(v);
    v = NULL;
    rv = tsr_store_meta_get(t->store, "user_wrap", &v, &len);
    if (rv != CKR_OK)
        return rv;
    t->user_pin_set = v != NULL;
    free(v);
    if ((rv = tsr_store_meta_get_u64(t->store, "user_fails", 0, &t->user_fails)) != CKR_OK)
        return rv;
    return tsr_store_meta_get_u64(t->store, "so_fails", 0, &t->so_fails);
}

CK_RV tsr_token_open(const char *path, tsr_token **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_token *t = calloc(1, sizeof(*t));
    struct stat st;
    unsigned char *wrap = NULL;
    size_t wrap_len = 0;

    if (t == NULL)
        return CKR_HOST_MEMORY;
    tsr_hmap_init(&t->objects);
    t->path = strdup(path);
    if (t->path == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    if ((rv = tsr_rwlock_new(&t->lock)) != CKR_OK)
        goto out;
    if (stat(path, &st) != 0) {
        rv = CKR_TOKEN_NOT_PRESENT;
        goto out;
    }
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    if ((rv = tsr_store_open(path, false, &t->store)) != CKR_OK)
        goto out;
    if ((rv = tsr_token_load_meta_locked(t)) != CKR_OK)
        goto out;
    /* A file without a SO key was never initialised: not a card. */
    if ((rv = tsr_store_meta_get(t->store, "so_wrap", &wrap, &wrap_len)) != CKR_OK)
        goto out;
    if (wrap == NULL) {
        rv = CKR_TOKEN_NOT_RECOGNIZED;
        goto out;
    }
    *out = t;
    t = NULL;
out:
    free(wrap);
    tsr_token_free(t);
    return rv;
}

void tsr_token_free(tsr_token *t)
{
    if (t == NULL)
        return;
    drop_objects_locked(t, false);
    tsr_hmap_clear(&t->objects);
    tsr_wipe(t->mk, sizeof(t->mk));
    tsr_store_free(t->store);
    tsr_rwlock_free(t->lock);
    free(t->path);
    free(t);
}

CK_RV tsr_token_refresh_locked(tsr_token *t)
{
    drop_objects_locked(t, true);
    return tsr_token_load_meta_locked(t);
}

CK_RV tsr_token_refresh(tsr_token *t)
{
    bool changed = false;
    CK_RV rv = tsr_store_changed(t->store, &changed);

    if (rv != CKR_OK || !changed)
        return rv;
    tsr_rwlock_wrlock(t->lock);
    rv = tsr_token_refresh_locked(t);
    tsr_rwlock_unlock(t->lock);
    return rv;
}

void tsr_token_forget_locked(tsr_token *t)
{
    t->login = TSR_LOGIN_NONE;
    tsr_wipe(t->mk, sizeof(t->mk));
    /* Cached token objects may hold unsealed material: reload on demand. */
    drop_objects_locked(t, true);
}

/* Writes the metadata of a fresh token: label, serial, the master key
 * wrapped under the SO PIN, no user PIN yet, counters at zero. */
static CK_RV write_fresh_meta(tsr_store *st, const char serial[16], const CK_UTF8CHAR *label,
                              const CK_UTF8CHAR *so_pin, CK_ULONG so_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char mk[TSR_MASTER_KEY_LEN];
    unsigned char *wrap = NULL;
    size_t wrap_len = 0;
    bool in_tx = false;

    if ((rv = tsr_seal_new_master(mk)) != CKR_OK)
        goto out;
    rv = tsr_seal_wrap_master(mk, so_pin, so_len, tsr_mod.conf.kdf_iterations, &wrap, &wrap_len);
    if (rv != CKR_OK)
        goto out;
    if ((rv = tsr_store_begin(st)) != CKR_OK)
        goto out;
    in_tx = true;
    if ((rv = tsr_store_wipe(st)) != CKR_OK)
        goto out;
    if ((rv = tsr_store_meta_put(st, "label", label, 32)) != CKR_OK ||
        (rv = tsr_store_meta_put(st, "serial", serial, 16)) != CKR_OK ||
        (rv = tsr_store_meta_put(st, "so_wrap", wrap, wrap_len)) != CKR_OK ||
        (rv = tsr_store_meta_put_u64(st, "so_fails", 0)) != CKR_OK ||
        (rv = tsr_store_meta_put_u64(st, "user_fails", 0)) != CKR_OK)
        goto out;
    rv = tsr_store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        tsr_store_rollback(st);
    tsr_wipe(mk, sizeof(mk));
    free(wrap);
    return rv;
}

static CK_RV new_serial(char serial[17])
{
    unsigned char r[8];
    CK_RV rv = tsr_mech_random(r, sizeof(r));

    if (rv != CKR_OK)
        return rv;
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(serial + 2 * i, 3, "%02x", r[i]);
    return CKR_OK;
}

static CK_RV init_blank_slot_locked(tsr_slot *s, const CK_UTF8CHAR *pin, CK_ULONG pin_len,
                                    const CK_UTF8CHAR *label)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    char serial[17];
    char *path = NULL;
    tsr_store *st = NULL;
    tsr_token *t = NULL;

    if ((rv = new_serial(serial)) != CKR_OK)
        goto out;
    path = tsr_token_path(serial);
    if (path == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    if ((rv = tsr_store_open(path, true, &st)) != CKR_OK)
        goto out;
    rv = write_fresh_meta(st, serial, label, pin, pin_len);
    tsr_store_free(st);
    if (rv != CKR_OK) {
        remove(path);
        goto out;
    }
    if ((rv = tsr_token_open(path, &t)) != CKR_OK)
        goto out;
    t->slot = s;
    s->token = t;
    s->blank = false;
    memcpy(s->serial, t->serial, sizeof(s->serial));
    tsr_slots_next_blank_locked();
out:
    free(path);
    return rv;
}

CK_RV tsr_pin_verify(tsr_token *t, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG pin_len,
                     unsigned char mk[TSR_MASTER_KEY_LEN]);

/* The label is 32 blank-padded bytes.  Some callers (PyKCS11) pass a C
 * string instead: a NUL cannot be part of a label, so it ends it. */
static void normalise_label(const CK_UTF8CHAR *in, CK_UTF8CHAR out[32])
{
    size_t n = 0;

    while (n < 32 && in[n] != '\0')
        n++;
    memset(out, ' ', 32);
    memcpy(out, in, n);
}

CK_RV tsr_token_init(CK_SLOT_ID id, const CK_UTF8CHAR *pin, CK_ULONG pin_len,
                     const CK_UTF8CHAR *given_label)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_slot *s = tsr_slot_lookup(id);
    tsr_token *t;
    unsigned char mk[TSR_MASTER_KEY_LEN];
    CK_UTF8CHAR label[32];

    if (s == NULL)
        return CKR_SLOT_ID_INVALID;
    if (pin_len < TSR_MIN_PIN_LEN || pin_len > TSR_MAX_PIN_LEN)
        return CKR_PIN_LEN_RANGE;
    normalise_label(given_label, label);
    tsr_mutex_lock(tsr_mod.lock);
    t = s->token;
    if (t == NULL) {
        rv = s->blank ? init_blank_slot_locked(s, pin, pin_len, label) : CKR_TOKEN_NOT_PRESENT;
        goto out;
    }
    if (t->sessions > 0) {
        rv = CKR_SESSION_EXISTS;
        goto out;
    }
    /* Re-initialising wipes the token, and only its SO may do that. */
    if ((rv = tsr_pin_verify(t, CKU_SO, pin, pin_len, mk)) != CKR_OK)
        goto out;
    tsr_wipe(mk, sizeof(mk));
    rv = write_fresh_meta(t->store, t->serial, label, pin, pin_len);
    tsr_rwlock_wrlock(t->lock);
    tsr_token_forget_locked(t);
    if (rv == CKR_OK)
        rv = tsr_token_load_meta_locked(t);
    tsr_rwlock_unlock(t->lock);
out:
    tsr_mutex_unlock(tsr_mod.lock);
    return rv;
}
