/* Internals of src/store shared by its files (and its unit tests): the
 * schema version, the migration entry point, SQLite call helpers, the
 * search cache and two test hooks.  Nothing outside src/store and tests/unit includes this. */
#ifndef TSR_STORE_INT_H
#define TSR_STORE_INT_H

#include "sqlite-api.h"

#include "pkcs11-3.h"
#include "store.h"

/* PRAGMA application_id of a token file ("TSR1"): tells ours from any other
 * SQLite file. */
#define TSR_SCHEMA_APP_ID 0x54535231
/* PRAGMA user_version this code writes; the migrations lead up to it. */
#define TSR_SCHEMA_VERSION 1

/* Brings `db` to TSR_SCHEMA_VERSION, creating the tables in an empty file.
 * A SQLite file that is not a token file (another application_id, or tables
 * but no version) or one newer than this code is CKR_DEVICE_ERROR.  Takes its
 * own BEGIN IMMEDIATE transaction when there is work to do, so that two
 * processes opening a new file at once migrate it once.  (schema.c) */
CK_RV tsr_schema_migrate(sqlite3 *db);

/* Logs sqlite3_errmsg(db) and returns tsr_sqlerr(rc).  (sqlerr.c) */
CK_RV tsr_sql_fail(sqlite3 *db, int rc);
/* sqlite3_exec of statements without results, errors translated. */
CK_RV tsr_sql_exec(sqlite3 *db, const char *sql);

/* NULL pointer binds SQL NULL (an absent attribute); an empty value a
 * zero-length blob, which sqlite3_bind_blob would make NULL.  (sqlite.c) */
int tsr_sql_bind_blob(sqlite3_stmt *s, int idx, const void *p, size_t len);

/* tsr_store_find's statements, prepared on first use and kept by the shape
 * of the query.  The _locked calls run under the store's lock.  (find.c) */
typedef struct tsr_find_cache tsr_find_cache;
tsr_find_cache *tsr_find_cache_new(void);
void tsr_find_cache_free(tsr_find_cache *c);
CK_RV tsr_find_locked(sqlite3 *db, tsr_find_cache *c, const tsr_store_query *q, uint64_t **ids,
                      size_t *n);
/* EXPLAIN QUERY PLAN of the search tsr_find_locked would run for `q`. */
CK_RV tsr_find_plan_locked(sqlite3 *db, const tsr_store_query *q, char **plan);

/* Test hooks.  The connection, borrowed, for checking pragmas.  And the
 * EXPLAIN QUERY PLAN of the statement tsr_store_find would run for `q`, its
 * rows' details joined by "\n" into a malloc'd string.  (sqlite.c) */
sqlite3 *tsr_store_test_db(tsr_store *st);
CK_RV tsr_store_test_plan(tsr_store *st, const tsr_store_query *q, char **plan);

#endif
