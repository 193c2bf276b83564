/* Objects: the in-memory cache of token objects, session objects, and the
 * object management calls.  A cached object is immutable; a change makes a
 * new object and swaps it in, so readers never need a per-object lock. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "schema.h"
#include "secmem.h"
#include "token-impl.h"

static uint64_t next_session_object = 1;

void tsr_object_ref(tsr_object *o)
{
    __atomic_add_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
}

void tsr_object_unref(tsr_object *o)
{
    if (o == NULL || __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    tsr_attrs_clear(&o->attrs);
    EVP_PKEY_free(o->pkey);
    free(o);
}

/* Takes ownership of `attrs`' contents. */
static tsr_object *object_new(tsr_attrs *attrs, CK_OBJECT_HANDLE handle)
{
    tsr_object *o = calloc(1, sizeof(*o));
    CK_ULONG klass = CKO_DATA;

    if (o == NULL)
        return NULL;
    o->attrs = *attrs;
    tsr_attrs_init(attrs);
    o->handle = handle;
    o->refs = 1;
    tsr_attrs_get_ulong(&o->attrs, CKA_CLASS, &klass);
    o->klass = klass;
    o->is_token = tsr_attrs_get_bool(&o->attrs, CKA_TOKEN, false);
    o->is_private = tsr_attrs_get_bool(&o->attrs, CKA_PRIVATE, false);
    return o;
}

/* --- rows: what the store keeps of an object --- */

static bool keep_public(CK_ATTRIBUTE_TYPE type, void *klass)
{
    return !tsr_schema_is_secret(*(CK_OBJECT_CLASS *)klass, type);
}

static bool keep_secret(CK_ATTRIBUTE_TYPE type, void *klass)
{
    return tsr_schema_is_secret(*(CK_OBJECT_CLASS *)klass, type);
}

static void index_blob(tsr_blob *b, const tsr_attrs *a, CK_ATTRIBUTE_TYPE type)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(a, type);

    b->p = at ? (at->pValue ? at->pValue : (unsigned char *)"") : NULL;
    b->len = at ? at->ulValueLen : 0;
}

/* Builds the row for an object: index columns borrowed from `a`, blobs
 * allocated (free with free_row_blobs).  A private object is sealed whole; a
 * public one keeps its secret attributes (if any) sealed apart. */
static CK_RV make_row(const tsr_attrs *a, uint64_t id, const unsigned char *mk, tsr_store_row *row,
                      unsigned char hash[32])
{
    CK_RV rv = CKR_GENERAL_ERROR;
    CK_OBJECT_CLASS klass = CKO_DATA;
    const CK_ATTRIBUTE *value;
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    bool has_secret = false;

    memset(row, 0, sizeof(*row));
    tsr_attrs_get_ulong(a, CKA_CLASS, &klass);
    row->id = id;
    row->klass = klass;
    row->is_private = tsr_attrs_get_bool(a, CKA_PRIVATE, false);
    index_blob(&row->ckaid, a, CKA_ID);
    index_blob(&row->label, a, CKA_LABEL);
    index_blob(&row->subject, a, CKA_SUBJECT);
    index_blob(&row->issuer, a, CKA_ISSUER);
    index_blob(&row->serial, a, CKA_SERIAL_NUMBER);
    value = tsr_attrs_find(a, CKA_VALUE);
    /* Only public values are hashed: a secret key's hash would leak it. */
    if (value != NULL && (klass == CKO_CERTIFICATE || klass == CKO_DATA)) {
        if ((rv = tsr_mech_sha256(value->pValue, value->ulValueLen, hash)) != CKR_OK)
            return rv;
        row->value_hash.p = hash;
        row->value_hash.len = 32;
    }
    for (size_t i = 0; i < a->n; i++)
        has_secret |= tsr_schema_is_secret(klass, a->v[i].type);
    if (row->is_private || has_secret) {
        if (mk == NULL)
            return CKR_USER_NOT_LOGGED_IN;
        rv = tsr_attrs_encode(a, row->is_private ? NULL : keep_secret, &klass, &plain, &plain_len);
        if (rv == CKR_OK)
            rv = tsr_seal(mk, id, plain, plain_len, &row->sealed.p, &row->sealed.len);
        tsr_free_secret(plain, plain_len);
        if (rv != CKR_OK)
            return rv;
    }
    if (!row->is_private) {
        rv = tsr_attrs_encode(a, keep_public, &klass, &row->pub.p, &row->pub.len);
        if (rv != CKR_OK) {
            free(row->sealed.p);
            row->sealed.p = NULL;
            return rv;
        }
    }
    return CKR_OK;
}

static void free_row_blobs(tsr_store_row *row)
{
    free(row->pub.p);
    free(row->sealed.p);
    row->pub.p = row->sealed.p = NULL;
}

/* Loads a token object from the store.  Without the master key a private
 * object stays invisible (CKR_OBJECT_HANDLE_INVALID) and a public object's
 * sealed part is left for later. */
static CK_RV load_object(tsr_token *t, uint64_t id, const unsigned char *mk, tsr_object **out)
{
    CK_RV rv;
    tsr_store_row row;
    tsr_attrs a;
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    bool missing = false;

    tsr_attrs_init(&a);
    if ((rv = tsr_store_get(t->store, id, &row)) != CKR_OK)
        return rv;
    if (row.is_private && mk == NULL) {
        rv = CKR_OBJECT_HANDLE_INVALID;
        goto out;
    }
    if (row.pub.p != NULL && (rv = tsr_attrs_decode(&a, row.pub.p, row.pub.len)) != CKR_OK)
        goto out;
    if (row.sealed.p != NULL) {
        if (mk == NULL) {
            missing = true;
        } else {
            rv = tsr_unseal(mk, id, row.sealed.p, row.sealed.len, &plain, &plain_len);
            if (rv == CKR_OK)
                rv = tsr_attrs_decode(&a, plain, plain_len);
            tsr_free_secret(plain, plain_len);
            if (rv != CKR_OK) {
                tsr_log("object %llu: sealed data does not open", (unsigned long long)id);
                goto out;
            }
        }
    }
    *out = object_new(&a, id);
    if (*out == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    (*out)->sealed_missing = missing;
out:
    tsr_attrs_clear(&a);
    tsr_store_row_clear(&row);
    return rv;
}

/* Copies the master key out when the user is logged in. Lock held. */
static bool copy_mk_locked(const tsr_token *t, unsigned char mk[TSR_MASTER_KEY_LEN])
{
    if (t->login != TSR_LOGIN_USER)
        return false;
    memcpy(mk, t->mk, TSR_MASTER_KEY_LEN);
    return true;
}

/* At most `object_cache` token objects are kept in memory: the rest stay in
 * the store and are loaded again when asked for.  This bounds memory however
 * many objects a token holds, while the keys in use (and their parsed
 * EVP_PKEYs) stay cached.  Second-chance ("clock") eviction down to 7/8 of
 * the bound. Write lock held. */
static void cache_evict_locked(tsr_token *t)
{
    size_t cached = t->objects.n - t->session_objects;
    size_t target = tsr_mod.conf.object_cache - tsr_mod.conf.object_cache / 8;

    for (size_t steps = 0; cached > target && steps < 4 * t->objects.cap; steps++) {
        size_t i = t->clock_hand % t->objects.cap;
        tsr_object *o = t->objects.vals[i];

        if (t->objects.keys[i] == 0 || !o->is_token) {
            t->clock_hand++;
        } else if (o->used) {
            o->used = false;
            t->clock_hand++;
        } else {
            /* Taking shifts a later entry into slot i: look at i again. */
            tsr_hmap_take(&t->objects, o->handle);
            tsr_object_unref(o);
            cached--;
        }
    }
}

static CK_RV cache_fill(tsr_token *t, CK_OBJECT_HANDLE h, tsr_object **out)
{
    CK_RV rv;
    unsigned char mk[TSR_MASTER_KEY_LEN];
    bool have_mk;
    tsr_object *o = NULL, *cur;

    tsr_rwlock_rdlock(t->lock);
    have_mk = copy_mk_locked(t, mk);
    tsr_rwlock_unlock(t->lock);
    rv = load_object(t, h, have_mk ? mk : NULL, &o);
    tsr_wipe(mk, sizeof(mk));
    if (rv != CKR_OK)
        return rv;
    tsr_rwlock_wrlock(t->lock);
    cur = tsr_hmap_get(&t->objects, h);
    if (cur != NULL && !(cur->sealed_missing && !o->sealed_missing)) {
        tsr_object_unref(o); /* another thread was first */
        o = cur;
    } else {
        if (cur != NULL)
            tsr_object_unref(tsr_hmap_take(&t->objects, h));
        else if (t->objects.n - t->session_objects >= tsr_mod.conf.object_cache)
            cache_evict_locked(t);
        if (!tsr_hmap_put(&t->objects, h, o)) {
            tsr_rwlock_unlock(t->lock);
            tsr_object_unref(o);
            return CKR_HOST_MEMORY;
        }
    }
    tsr_object_ref(o);
    tsr_rwlock_unlock(t->lock);
    *out = o;
    return CKR_OK;
}

CK_RV tsr_object_lookup(tsr_session *s, CK_OBJECT_HANDLE h, tsr_object **out)
{
    CK_RV rv;
    tsr_token *t = s->token;
    tsr_object *o;
    bool reload;

    if (h == CK_INVALID_HANDLE)
        return CKR_OBJECT_HANDLE_INVALID;
    if ((rv = tsr_token_refresh(t)) != CKR_OK)
        return rv;
    tsr_rwlock_rdlock(t->lock);
    o = tsr_hmap_get(&t->objects, h);
    reload = o != NULL && o->sealed_missing && t->login == TSR_LOGIN_USER;
    if (o != NULL && !reload) {
        tsr_object_ref(o);
        __atomic_store_n(&o->used, true, __ATOMIC_RELAXED);
    }
    tsr_rwlock_unlock(t->lock);
    if (o == NULL || reload) {
        if (h & TSR_SESSION_OBJECT_BIT)
            return CKR_OBJECT_HANDLE_INVALID;
        rv = cache_fill(t, h, &o);
        if (rv != CKR_OK)
            return rv == CKR_DEVICE_ERROR ? rv : CKR_OBJECT_HANDLE_INVALID;
    }
    tsr_rwlock_rdlock(t->lock);
    if (!tsr_access_visible(s, o)) {
        tsr_rwlock_unlock(t->lock);
        tsr_object_unref(o);
        return CKR_OBJECT_HANDLE_INVALID;
    }
    tsr_rwlock_unlock(t->lock);
    *out = o;
    return CKR_OK;
}

/* Writes token objects in one transaction and gives them their ids. */
static CK_RV store_new(tsr_token *t, tsr_attrs **objs, size_t n, CK_OBJECT_HANDLE *handles)
{
    CK_RV rv;
    unsigned char mk[TSR_MASTER_KEY_LEN], hash[32];
    bool have_mk;

    tsr_rwlock_rdlock(t->lock);
    have_mk = copy_mk_locked(t, mk);
    tsr_rwlock_unlock(t->lock);
    if ((rv = tsr_store_begin(t->store)) != CKR_OK)
        goto out;
    for (size_t i = 0; i < n && rv == CKR_OK; i++) {
        tsr_store_row row;
        uint64_t id;
        if (!tsr_attrs_get_bool(objs[i], CKA_TOKEN, false))
            continue;
        if ((rv = tsr_store_next_id(t->store, &id)) != CKR_OK)
            break;
        if ((rv = make_row(objs[i], id, have_mk ? mk : NULL, &row, hash)) != CKR_OK)
            break;
        rv = tsr_store_put(t->store, &row);
        free_row_blobs(&row);
        handles[i] = id;
    }
    if (rv == CKR_OK)
        rv = tsr_store_commit(t->store);
    else
        tsr_store_rollback(t->store);
out:
    tsr_wipe(mk, sizeof(mk));
    return rv;
}

CK_RV tsr_object_add(tsr_session *s, tsr_attrs **objs, size_t n, CK_OBJECT_HANDLE *handles)
{
    CK_RV rv = CKR_OK;
    tsr_token *t = s->token;
    tsr_object *made[4] = {NULL};

    if (n > 4)
        return CKR_GENERAL_ERROR;
    for (size_t i = 0; i < n && rv == CKR_OK; i++)
        rv = tsr_access_write(s, tsr_attrs_get_bool(objs[i], CKA_TOKEN, false),
                              tsr_attrs_get_bool(objs[i], CKA_PRIVATE, false));
    if (rv != CKR_OK)
        return rv;
    for (size_t i = 0; i < n; i++)
        handles[i] =
            TSR_SESSION_OBJECT_BIT | __atomic_add_fetch(&next_session_object, 1, __ATOMIC_RELAXED);
    if ((rv = store_new(t, objs, n, handles)) != CKR_OK)
        return rv;
    for (size_t i = 0; i < n; i++) {
        made[i] = object_new(objs[i], handles[i]);
        if (made[i] == NULL)
            rv = CKR_HOST_MEMORY;
        else if (!made[i]->is_token)
            made[i]->owner = s->handle;
    }
    tsr_rwlock_wrlock(t->lock);
    for (size_t i = 0; i < n && rv == CKR_OK; i++) {
        /* New token objects count against the cache bound like loaded ones. */
        if (made[i]->is_token && t->objects.n - t->session_objects >= tsr_mod.conf.object_cache)
            cache_evict_locked(t);
        if (!tsr_hmap_put(&t->objects, handles[i], made[i]))
            rv = CKR_HOST_MEMORY;
        else if (!made[i]->is_token)
            t->session_objects++;
        if (rv == CKR_OK)
            made[i] = NULL;
    }
    tsr_rwlock_unlock(t->lock);
    for (size_t i = 0; i < n; i++)
        tsr_object_unref(made[i]);
    return rv;
}

void tsr_object_drop_session(tsr_token *t, CK_SESSION_HANDLE owner)
{
    size_t n = 0;
    tsr_object **gone;

    if (t->session_objects == 0)
        return;
    gone = calloc(t->session_objects, sizeof(*gone));
    for (size_t i = 0; gone != NULL && i < t->objects.cap; i++) {
        tsr_object *o = t->objects.vals[i];
        if (t->objects.keys[i] != 0 && !o->is_token && o->owner == owner)
            gone[n++] = o;
    }
    for (size_t i = 0; i < n; i++) {
        tsr_hmap_take(&t->objects, gone[i]->handle);
        t->session_objects--;
        tsr_object_unref(gone[i]);
    }
    free(gone);
}

CK_RV tsr_object_pkey(tsr_token *t, tsr_object *o, EVP_PKEY **out)
{
    CK_RV rv;
    EVP_PKEY *pkey = __atomic_load_n(&o->pkey, __ATOMIC_ACQUIRE);
    EVP_PKEY *expected = NULL;
    CK_ULONG type = 0;

    (void)t;
    if (pkey == NULL) {
        if (o->sealed_missing)
            return CKR_USER_NOT_LOGGED_IN;
        tsr_attrs_get_ulong(&o->attrs, CKA_KEY_TYPE, &type);
        if ((rv = tsr_mech_pkey_from_attrs(o->klass, type, &o->attrs, &pkey)) != CKR_OK)
            return rv;
        /* Built outside any lock; the first to finish wins. */
        if (!__atomic_compare_exchange_n(&o->pkey, &expected, pkey, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            EVP_PKEY_free(pkey);
            pkey = expected;
        }
    }
    if (!EVP_PKEY_up_ref(pkey))
        return CKR_HOST_MEMORY;
    *out = pkey;
    return CKR_OK;
}

/* Replaces a cached object by a changed copy (and its row for token objects). */
static CK_RV object_replace(tsr_session *s, tsr_object *o, tsr_attrs *attrs)
{
    CK_RV rv = CKR_OK;
    tsr_token *t = s->token;
    tsr_object *fresh;
    unsigned char mk[TSR_MASTER_KEY_LEN], hash[32];
    bool have_mk;

    if (o->is_token) {
        tsr_store_row row;
        tsr_rwlock_rdlock(t->lock);
        have_mk = copy_mk_locked(t, mk);
        tsr_rwlock_unlock(t->lock);
        rv = make_row(attrs, o->handle, have_mk ? mk : NULL, &row, hash);
        tsr_wipe(mk, sizeof(mk));
        if (rv != CKR_OK)
            return rv;
        rv = tsr_store_put(t->store, &row);
        free_row_blobs(&row);
        if (rv != CKR_OK)
            return rv;
    }
    fresh = object_new(attrs, o->handle);
    if (fresh == NULL)
        return CKR_HOST_MEMORY;
    fresh->owner = o->owner;
    tsr_rwlock_wrlock(t->lock);
    tsr_object_unref(tsr_hmap_take(&t->objects, o->handle));
    if (!tsr_hmap_put(&t->objects, fresh->handle, fresh)) {
        tsr_object_unref(fresh);
        rv = CKR_HOST_MEMORY;
    }
    tsr_rwlock_unlock(t->lock);
    return rv;
}

/* CKA_TRUSTED may be set true by the SO only. */
static CK_RV check_trusted(const tsr_session *s, const tsr_attrs *a)
{
    if (tsr_schema_needs_so(a) && s->token->login != TSR_LOGIN_SO)
        return CKR_ATTRIBUTE_READ_ONLY;
    return CKR_OK;
}

static CK_RV validate_key_material(const tsr_attrs *a)
{
    CK_ULONG klass = 0, type = 0;
    EVP_PKEY *pkey = NULL;
    CK_RV rv;

    tsr_attrs_get_ulong(a, CKA_CLASS, &klass);
    if (klass != CKO_PUBLIC_KEY && klass != CKO_PRIVATE_KEY)
        return CKR_OK;
    tsr_attrs_get_ulong(a, CKA_KEY_TYPE, &type);
    rv = tsr_mech_pkey_from_attrs(klass, type, a, &pkey);
    EVP_PKEY_free(pkey);
    return rv;
}

CK_RV tsr_object_create(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
                        CK_OBJECT_HANDLE *out)
{
    CK_RV rv;
    tsr_session *s;
    tsr_attrs a, *list[1] = {&a};
    CK_ULONG klass, type = CK_UNAVAILABLE_INFORMATION;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_attrs_init(&a);
    if ((rv = tsr_attrs_from_template(&a, tmpl, count)) != CKR_OK)
        goto out;
    /* Absent is an incomplete template; present with the wrong size, a bad value. */
    if (!tsr_attrs_get_ulong(&a, CKA_CLASS, &klass)) {
        rv = tsr_attrs_has(&a, CKA_CLASS) ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    if ((klass == CKO_PUBLIC_KEY || klass == CKO_PRIVATE_KEY || klass == CKO_SECRET_KEY) &&
        !tsr_attrs_get_ulong(&a, CKA_KEY_TYPE, &type)) {
        rv =
            tsr_attrs_has(&a, CKA_KEY_TYPE) ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    if ((rv = tsr_schema_check_template(&a, klass, type, TSR_ORIGIN_CREATE)) != CKR_OK)
        goto out;
    if ((rv = check_trusted(s, &a)) != CKR_OK)
        goto out;
    if ((rv = tsr_schema_finish(&a, TSR_ORIGIN_CREATE, CK_UNAVAILABLE_INFORMATION)) != CKR_OK)
        goto out;
    if ((rv = validate_key_material(&a)) != CKR_OK)
        goto out;
    rv = tsr_object_add(s, list, 1, out);
out:
    tsr_attrs_clear(&a);
    tsr_session_put(s);
    return rv;
}

/* The attributes an object would have after the changes in `tmpl`, checked
 * against the rules for C_SetAttributeValue or (is_copy) C_CopyObject. */
static CK_RV changed_attrs(const tsr_session *s, const tsr_object *o, const CK_ATTRIBUTE *tmpl,
                           CK_ULONG count, bool is_copy, tsr_attrs *out)
{
    CK_RV rv;
    tsr_attrs changes;

    tsr_attrs_init(&changes);
    if ((rv = tsr_attrs_from_template(&changes, tmpl, count)) != CKR_OK ||
        (rv = tsr_schema_check_change(&o->attrs, &changes, is_copy)) != CKR_OK ||
        (rv = check_trusted(s, &changes)) != CKR_OK)
        goto out;
    if (o->sealed_missing) {
        rv = CKR_USER_NOT_LOGGED_IN;
        goto out;
    }
    if ((rv = tsr_attrs_merge(out, &o->attrs)) == CKR_OK &&
        (rv = tsr_attrs_merge(out, &changes)) == CKR_OK)
        rv = tsr_schema_after_change(out);
out:
    tsr_attrs_clear(&changes);
    return rv;
}

CK_RV tsr_object_copy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, const CK_ATTRIBUTE *tmpl,
                      CK_ULONG count, CK_OBJECT_HANDLE *out)
{
    CK_RV rv;
    tsr_session *s;
    tsr_object *o = NULL;
    tsr_attrs a, *list[1] = {&a};

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_attrs_init(&a);
    if ((rv = tsr_object_lookup(s, obj, &o)) != CKR_OK)
        goto out;
    if (!tsr_attrs_get_bool(&o->attrs, CKA_COPYABLE, true)) {
        rv = CKR_ACTION_PROHIBITED;
        goto out;
    }
    if ((rv = changed_attrs(s, o, tmpl, count, true, &a)) == CKR_OK)
        rv = tsr_object_add(s, list, 1, out);
out:
    tsr_attrs_clear(&a);
    tsr_object_unref(o);
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_object_destroy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj)
{
    CK_RV rv;
    tsr_session *s;
    tsr_object *o = NULL;
    tsr_token *t;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    t = s->token;
    if ((rv = tsr_object_lookup(s, obj, &o)) != CKR_OK)
        goto out;
    if ((rv = tsr_access_write(s, o->is_token, o->is_private)) != CKR_OK)
        goto out;
    if (!tsr_attrs_get_bool(&o->attrs, CKA_DESTROYABLE, true)) {
        rv = CKR_ACTION_PROHIBITED;
        goto out;
    }
    if (o->is_token && (rv = tsr_store_delete(t->store, o->handle)) != CKR_OK)
        goto out;
    tsr_rwlock_wrlock(t->lock);
    if (tsr_hmap_get(&t->objects, o->handle) != NULL) {
        tsr_object *gone = tsr_hmap_take(&t->objects, o->handle);
        if (!gone->is_token)
            t->session_objects--;
        tsr_object_unref(gone);
    }
    tsr_rwlock_unlock(t->lock);
    /* Contexts kept for it (and, at no great cost, for other keys) go with it. */
    if (o->klass == CKO_SECRET_KEY || o->klass == CKO_PRIVATE_KEY || o->klass == CKO_PUBLIC_KEY)
        tsr_sessions_forget_keys(t);
out:
    tsr_object_unref(o);
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ULONG *size)
{
    CK_RV rv;
    tsr_session *s;
    tsr_object *o = NULL;
    CK_ULONG n = 0;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    if ((rv = tsr_object_lookup(s, obj, &o)) == CKR_OK) {
        for (size_t i = 0; i < o->attrs.n; i++)
            n += o->attrs.v[i].ulValueLen + sizeof(CK_ATTRIBUTE);
        *size = n;
    }
    tsr_object_unref(o);
    tsr_session_put(s);
    return rv;
}

/* One entry of C_GetAttributeValue; returns that entry's error, if any. */
static CK_RV get_one(const tsr_object *o, CK_ATTRIBUTE *want)
{
    const CK_ATTRIBUTE *have;

    if (!tsr_schema_is_known(&o->attrs, want->type)) {
        want->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    if (tsr_schema_is_sensitive(&o->attrs, want->type) ||
        (o->sealed_missing && tsr_schema_is_secret(o->klass, want->type))) {
        want->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_ATTRIBUTE_SENSITIVE;
    }
    have = tsr_attrs_find(&o->attrs, want->type);
    if (have == NULL) {
        /* A known attribute without a value reads as empty. */
        want->ulValueLen = 0;
        return CKR_OK;
    }
    if (tsr_attrs_is_nested(want->type))
        return tsr_attrs_nested_out(have, want); /* an array of CK_ATTRIBUTE */
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

CK_RV tsr_object_get_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE *tmpl,
                           CK_ULONG count)
{
    CK_RV rv;
    tsr_session *s;
    tsr_object *o = NULL;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    if ((rv = tsr_object_lookup(s, obj, &o)) == CKR_OK) {
        /* Every entry is answered; the call reports the last problem met. */
        for (CK_ULONG i = 0; i < count; i++) {
            CK_RV one = get_one(o, &tmpl[i]);
            if (one != CKR_OK)
                rv = one;
        }
    }
    tsr_object_unref(o);
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_object_set_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, const CK_ATTRIBUTE *tmpl,
                           CK_ULONG count)
{
    CK_RV rv;
    tsr_session *s;
    tsr_object *o = NULL;
    tsr_attrs a;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_attrs_init(&a);
    if ((rv = tsr_object_lookup(s, obj, &o)) != CKR_OK)
        goto out;
    if ((rv = tsr_access_write(s, o->is_token, o->is_private)) != CKR_OK)
        goto out;
    if (!tsr_attrs_get_bool(&o->attrs, CKA_MODIFIABLE, true)) {
        rv = CKR_ACTION_PROHIBITED;
        goto out;
    }
    if ((rv = changed_attrs(s, o, tmpl, count, false, &a)) == CKR_OK)
        rv = object_replace(s, o, &a);
out:
    tsr_attrs_clear(&a);
    tsr_object_unref(o);
    tsr_session_put(s);
    return rv;
}
