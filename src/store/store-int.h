/* Internals of src/store shared by its files (and its unit tests): the
 * schema version, the migration entry point, SQLite call helpers and two
 * test hooks.  Nothing outside src/store and tests/unit includes this. */
#ifndef TSR_STORE_INT_H
#define TSR_STORE_INT_H

#include <sqlite3.h>

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

/* Test hooks.  The connection, borrowed, for checking pragmas.  And the
 * EXPLAIN QUERY PLAN of the statement tsr_store_find would run for `q`, its
 * rows' details joined by "\n" into a malloc'd string.  (sqlite.c) */
sqlite3 *tsr_store_test_db(tsr_store *st);
CK_RV tsr_store_test_plan(tsr_store *st, const tsr_store_query *q, char **plan);

#endif
