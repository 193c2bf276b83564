/* The token store: one file per token holding token metadata and objects.
 * This is the interface the token layer uses; sqlite.c is the backend.  It
 * knows rows and indexes, nothing of PKCS#11 semantics or sealing keys (the
 * token layer hands it blobs already sealed).
 *
 * Every function is safe to call from several threads: a store serialises
 * access to its connection internally.  Every write is its own transaction
 * unless the caller brackets several with tsr_store_begin/commit. */
#ifndef TSR_STORE_H
#define TSR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11-3.h"

typedef struct tsr_store tsr_store;

/* Opens the token file at `path` (WAL, busy_timeout, secure_delete, schema
 * migrated to the current version).  With `create`, a missing file is created;
 * without it, a missing file is CKR_TOKEN_NOT_PRESENT.  A file that is not a
 * token file is CKR_DEVICE_ERROR. */
CK_RV tsr_store_open(const char *path, bool create, tsr_store **out);
void tsr_store_free(tsr_store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Calls may not nest (a second begin
 * fails).  A transaction belongs to the thread that began it: begin keeps the
 * store's (recursive) lock until commit or rollback, so that thread's store
 * calls run inside it and other threads' store calls wait for its end.  Take
 * no other lock between begin and commit.  A failed commit has rolled back;
 * rollback outside a transaction does nothing. */
CK_RV tsr_store_begin(tsr_store *st);
CK_RV tsr_store_commit(tsr_store *st);
void tsr_store_rollback(tsr_store *st);

/* Token metadata, a small key -> blob map (label, serial, wrapped master keys,
 * PIN counters...).  _get returns CKR_OK with *val NULL when absent; *val is
 * malloc'd and owned by the caller (non-NULL, len 0, for an empty value).
 * Keys beginning "store." are the store's own. */
CK_RV tsr_store_meta_get(tsr_store *st, const char *key, unsigned char **val, size_t *len);
CK_RV tsr_store_meta_put(tsr_store *st, const char *key, const void *val, size_t len);
CK_RV tsr_store_meta_del(tsr_store *st, const char *key);
/* Convenience for integer metadata (8 bytes, big-endian); absent reads as
 * `dflt`, a value of another length is CKR_DEVICE_ERROR. */
CK_RV tsr_store_meta_get_u64(tsr_store *st, const char *key, uint64_t dflt, uint64_t *out);
CK_RV tsr_store_meta_put_u64(tsr_store *st, const char *key, uint64_t val);

/* True when another connection (another process) changed the file since the
 * previous call on this store, or since the open for the first call (SQLite's
 * data_version).  Writes through this store do not count.  Cheap: no I/O
 * beyond SQLite's own check. */
CK_RV tsr_store_changed(tsr_store *st, bool *changed);

/* Removes every object and every metadata key: C_InitToken on an existing
 * token.  One transaction (the caller's, if open).  The id counter stays, so
 * ids are not reused across a wipe either. */
CK_RV tsr_store_wipe(tsr_store *st);

/* Bytes free on the file system holding the token, for CK_TOKEN_INFO. */
CK_RV tsr_store_free_space(tsr_store *st, uint64_t *bytes);

/* A stored object.  Index columns are what searches filter on; NULL pointer
 * means "no such attribute" (distinct from a zero-length value).  `pub` holds
 * the attributes readable without login, `sealed` the sealed ones; either may
 * be NULL. */
typedef struct tsr_blob {
    unsigned char *p; /* NULL: absent */
    size_t len;
} tsr_blob;

typedef struct tsr_store_row {
    uint64_t id; /* row id, > 0; the object's handle */
    CK_OBJECT_CLASS klass;
    bool is_private;     /* CKA_PRIVATE: hidden from searches before login */
    tsr_blob ckaid;      /* CKA_ID */
    tsr_blob label;      /* CKA_LABEL */
    tsr_blob subject;    /* CKA_SUBJECT */
    tsr_blob issuer;     /* CKA_ISSUER */
    tsr_blob serial;     /* CKA_SERIAL_NUMBER */
    tsr_blob value_hash; /* SHA-256 of CKA_VALUE, certificates and data objects only */
    tsr_blob pub;
    tsr_blob sealed;
} tsr_store_row;

/* Frees (and wipes) the blobs of a row filled by tsr_store_get. */
void tsr_store_row_clear(tsr_store_row *row);

/* A fresh id never used in this file (ids are not reused, so a handle held by
 * another process never names a different object).  Call inside a transaction
 * that then puts the row; outside one it takes its own. */
CK_RV tsr_store_next_id(tsr_store *st, uint64_t *id);
/* Inserts or replaces the row with row->id, which comes from
 * tsr_store_next_id (0 is refused). */
CK_RV tsr_store_put(tsr_store *st, const tsr_store_row *row);
/* CKR_OBJECT_HANDLE_INVALID when no such row. */
CK_RV tsr_store_delete(tsr_store *st, uint64_t id);
/* Reads a row; CKR_OBJECT_HANDLE_INVALID when absent.  The row's blobs are
 * owned by the caller (tsr_store_row_clear). */
CK_RV tsr_store_get(tsr_store *st, uint64_t id, tsr_store_row *out);
/* Number of objects, of which private. */
CK_RV tsr_store_count(tsr_store *st, uint64_t *all, uint64_t *private_count);

/* A search on the indexed columns.  A set field (has_* / non-NULL p) must
 * match exactly; unset fields match anything. */
typedef struct tsr_store_query {
    bool has_class;
    CK_OBJECT_CLASS klass;
    bool include_private; /* false: skip is_private rows */
    tsr_blob ckaid, label, subject, issuer, serial, value_hash;
} tsr_store_query;

/* Ids of matching rows in ascending order; *ids is malloc'd (NULL when none).
 * An index lookup whenever the class or any blob but serial is set. */
CK_RV tsr_store_find(tsr_store *st, const tsr_store_query *q, uint64_t **ids, size_t *n);

#endif
