/* C_FindObjects: the store's indexes narrow token objects down, the full
 * template is then matched on the few candidates; session objects are
 * matched in memory.  All matches are collected at C_FindObjectsInit. */
#include <stdlib.h>
#include <string.h>

#include "token-impl.h"

typedef struct handle_list {
    CK_OBJECT_HANDLE *v;
    size_t n, cap;
} handle_list;

static CK_RV list_add(handle_list *l, CK_OBJECT_HANDLE h)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        CK_OBJECT_HANDLE *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return CKR_HOST_MEMORY;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = h;
    return CKR_OK;
}

static void query_blob(tsr_blob *b, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
                       CK_ATTRIBUTE_TYPE type)
{
    for (CK_ULONG i = 0; i < count; i++) {
        if (tmpl[i].type == type) {
            b->p = tmpl[i].pValue ? tmpl[i].pValue : (unsigned char *)"";
            b->len = tmpl[i].ulValueLen;
            return;
        }
    }
}

/* Turns the indexed attributes of a template into a store query. */
static CK_RV make_query(const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool logged_in,
                        tsr_store_query *q, unsigned char hash[32])
{
    memset(q, 0, sizeof(*q));
    q->include_private = logged_in;
    for (CK_ULONG i = 0; i < count; i++) {
        if (tmpl[i].type == CKA_CLASS && tmpl[i].ulValueLen == sizeof(CK_OBJECT_CLASS)) {
            q->has_class = true;
            memcpy(&q->klass, tmpl[i].pValue, sizeof(CK_OBJECT_CLASS));
        }
    }
    query_blob(&q->ckaid, tmpl, count, CKA_ID);
    query_blob(&q->label, tmpl, count, CKA_LABEL);
    query_blob(&q->subject, tmpl, count, CKA_SUBJECT);
    query_blob(&q->issuer, tmpl, count, CKA_ISSUER);
    query_blob(&q->serial, tmpl, count, CKA_SERIAL_NUMBER);
    /* Values are hashed (and indexed) for certificates and data objects only. */
    if (q->has_class && (q->klass == CKO_CERTIFICATE || q->klass == CKO_DATA)) {
        for (CK_ULONG i = 0; i < count; i++) {
            if (tmpl[i].type != CKA_VALUE)
                continue;
            CK_RV rv = tsr_mech_sha256(tmpl[i].pValue, tmpl[i].ulValueLen, hash);
            if (rv != CKR_OK)
                return rv;
            q->value_hash.p = hash;
            q->value_hash.len = 32;
        }
    }
    return CKR_OK;
}

/* Whether the store query alone decides the template: every attribute is an
 * indexed column (or CKA_TOKEN true, which every stored object has). */
static bool index_covers(const CK_ATTRIBUTE *tmpl, CK_ULONG count, const tsr_store_query *q)
{
    for (CK_ULONG i = 0; i < count; i++) {
        switch (tmpl[i].type) {
        case CKA_CLASS:
            if (!q->has_class)
                return false;
            break;
        case CKA_ID:
        case CKA_LABEL:
        case CKA_SUBJECT:
        case CKA_ISSUER:
        case CKA_SERIAL_NUMBER:
            break;
        case CKA_VALUE:
            if (q->value_hash.p == NULL)
                return false;
            break;
        case CKA_TOKEN:
            if (tmpl[i].ulValueLen != sizeof(CK_BBOOL) || !*(CK_BBOOL *)tmpl[i].pValue)
                return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

static CK_RV find_token_objects(tsr_session *s, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
                                handle_list *out)
{
    CK_RV rv;
    tsr_store_query q;
    unsigned char hash[32];
    uint64_t *ids = NULL;
    size_t n = 0;
    bool logged_in;

    tsr_rwlock_rdlock(s->token->lock);
    logged_in = s->token->login == TSR_LOGIN_USER;
    tsr_rwlock_unlock(s->token->lock);
    if ((rv = make_query(tmpl, count, logged_in, &q, hash)) != CKR_OK)
        return rv;
    if ((rv = tsr_store_find(s->token->store, &q, &ids, &n)) != CKR_OK)
        return rv;
    /* When the indexes answered the whole template, the rows are the answer:
     * no object is loaded, so the cost does not grow with the objects. */
    if (index_covers(tmpl, count, &q)) {
        for (size_t i = 0; i < n && rv == CKR_OK; i++)
            rv = list_add(out, ids[i]);
        free(ids);
        return rv;
    }
    for (size_t i = 0; i < n && rv == CKR_OK; i++) {
        tsr_object *o = NULL;
        CK_RV one = tsr_object_lookup(s, ids[i], &o);
        if (one == CKR_OBJECT_HANDLE_INVALID)
            continue; /* deleted meanwhile, or not ours to see */
        if (one != CKR_OK) {
            rv = one;
            break;
        }
        if (tsr_attrs_match(&o->attrs, tmpl, count))
            rv = list_add(out, o->handle);
        tsr_object_unref(o);
    }
    free(ids);
    return rv;
}

static CK_RV find_session_objects(tsr_session *s, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
                                  handle_list *out)
{
    CK_RV rv = CKR_OK;
    tsr_token *t = s->token;

    tsr_rwlock_rdlock(t->lock);
    if (t->session_objects > 0) {
        for (size_t i = 0; i < t->objects.cap && rv == CKR_OK; i++) {
            tsr_object *o = t->objects.vals[i];
            if (t->objects.keys[i] == 0 || o->is_token || !tsr_access_visible(s, o))
                continue;
            if (tsr_attrs_match(&o->attrs, tmpl, count))
                rv = list_add(out, o->handle);
        }
    }
    tsr_rwlock_unlock(t->lock);
    return rv;
}

CK_RV tsr_find_init(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    CK_RV rv;
    tsr_session *s;
    handle_list found = {0};
    int token_only = -1; /* CKA_TOKEN in the template: which kind to search */

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    for (CK_ULONG i = 0; i < count; i++) {
        if (tmpl[i].ulValueLen > 0 && tmpl[i].pValue == NULL) {
            rv = CKR_ARGUMENTS_BAD;
            goto out;
        }
        if (tmpl[i].type == CKA_TOKEN && tmpl[i].ulValueLen == sizeof(CK_BBOOL))
            token_only = *(CK_BBOOL *)tmpl[i].pValue ? 1 : 0;
    }
    tsr_mutex_lock(s->lock);
    if (s->finding)
        rv = CKR_OPERATION_ACTIVE;
    tsr_mutex_unlock(s->lock);
    if (rv != CKR_OK)
        goto out;
    if ((rv = tsr_token_refresh(s->token)) != CKR_OK)
        goto out;
    if (token_only != 0)
        rv = find_token_objects(s, tmpl, count, &found);
    if (rv == CKR_OK && token_only != 1)
        rv = find_session_objects(s, tmpl, count, &found);
    if (rv != CKR_OK)
        goto out;
    tsr_mutex_lock(s->lock);
    if (s->finding) {
        rv = CKR_OPERATION_ACTIVE;
    } else {
        s->finding = true;
        s->found = found.v;
        s->found_n = found.n;
        s->found_pos = 0;
        found.v = NULL;
    }
    tsr_mutex_unlock(s->lock);
out:
    free(found.v);
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_find_next(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
    CK_RV rv;
    tsr_session *s;
    CK_ULONG n = 0;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_mutex_lock(s->lock);
    if (!s->finding) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
    } else {
        while (n < max && s->found_pos < s->found_n)
            out[n++] = s->found[s->found_pos++];
        *count = n;
    }
    tsr_mutex_unlock(s->lock);
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_find_final(CK_SESSION_HANDLE h)
{
    CK_RV rv;
    tsr_session *s;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_mutex_lock(s->lock);
    if (!s->finding) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
    } else {
        free(s->found);
        s->found = NULL;
        s->found_n = s->found_pos = 0;
        s->finding = false;
    }
    tsr_mutex_unlock(s->lock);
    tsr_session_put(s);
    return rv;
}
