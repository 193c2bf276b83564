/* The token file's schema and its migrations.  A file records its version in
 * PRAGMA user_version and its owner in PRAGMA application_id; each step
 * below takes it one version further, so a new version is one more row. */
#include <stdbool.h>
#include <stdio.h>

#include "sqlite-api.h"

#include "log.h"
#include "sqlerr.h"
#include "store-int.h"

/* Version 1.  NULL in an index column means the attribute is absent, so the
 * indexes are partial: rows without the attribute cost nothing, and SQLite
 * still uses them for `col = ?` (which implies `col IS NOT NULL`).  Indexed
 * rows are ordered by (key, id), so equality finds need no sort. */
static const char ddl_v1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value BLOB);"
    "CREATE TABLE objects ("
    " id INTEGER PRIMARY KEY, class INTEGER NOT NULL, is_private INTEGER NOT NULL,"
    " ckaid BLOB, label BLOB, subject BLOB, issuer BLOB, serial BLOB, value_hash BLOB,"
    " pub BLOB, sealed BLOB);"
    "CREATE INDEX objects_class ON objects (class, is_private);"
    "CREATE INDEX objects_ckaid ON objects (ckaid) WHERE ckaid IS NOT NULL;"
    "CREATE INDEX objects_label ON objects (label) WHERE label IS NOT NULL;"
    "CREATE INDEX objects_subject ON objects (subject) WHERE subject IS NOT NULL;"
    "CREATE INDEX objects_issuer_serial ON objects (issuer, serial) WHERE issuer IS NOT NULL;"
    "CREATE INDEX objects_value_hash ON objects (value_hash) WHERE value_hash IS NOT NULL;";

static const struct migration {
    int to;          /* the version this step produces, from to - 1 */
    const char *sql; /* one or more statements */
} migrations[] = {
    {1, ddl_v1},
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* What the file says about itself. */
struct file_state {
    int app_id;
    int version;
    int n_schema; /* entries in sqlite_master: tables, indexes... */
};

static CK_RV query_int(sqlite3 *db, const char *sql, int *out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    sqlite3_stmt *s = NULL;
    int rc;

    rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) {
        rv = tsr_sql_fail(db, rc);
        goto out;
    }
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        rv = rc == SQLITE_DONE ? CKR_DEVICE_ERROR : tsr_sql_fail(db, rc);
        goto out;
    }
    *out = sqlite3_column_int(s, 0);
    rv = CKR_OK;
out:
    sqlite3_finalize(s);
    return rv;
}

static CK_RV read_state(sqlite3 *db, struct file_state *fs)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    rv = query_int(db, "PRAGMA application_id", &fs->app_id);
    if (rv == CKR_OK)
        rv = query_int(db, "PRAGMA user_version", &fs->version);
    if (rv == CKR_OK)
        rv = query_int(db, "SELECT count(*) FROM sqlite_master", &fs->n_schema);
    return rv;
}

/* The version to migrate from, or CKR_DEVICE_ERROR for a file that is not
 * ours or is newer than this code. */
static CK_RV starting_version(const struct file_state *fs, int *from)
{
    if (fs->app_id == 0 && fs->version == 0 && fs->n_schema == 0) {
        *from = 0; /* a new, empty file */
        return CKR_OK;
    }
    if (fs->app_id == TSR_SCHEMA_APP_ID && fs->version >= 1 && fs->version <= TSR_SCHEMA_VERSION) {
        *from = fs->version;
        return CKR_OK;
    }
    tsr_log("store: not a token file (application_id %#x, version %d)", (unsigned)fs->app_id,
            fs->version);
    return CKR_DEVICE_ERROR;
}

static CK_RV run_steps(sqlite3 *db, int from)
{
    CK_RV rv = CKR_OK;
    char sql[96];
    size_t i;

    for (i = 0; i < N_MIGRATIONS && rv == CKR_OK; i++) {
        if (migrations[i].to <= from)
            continue;
        tsr_log("store: schema %d -> %d", migrations[i].to - 1, migrations[i].to);
        rv = tsr_sql_exec(db, migrations[i].sql);
    }
    if (rv != CKR_OK)
        return rv;
    /* Pragmas take no parameters; both values are our own constants. */
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
             TSR_SCHEMA_APP_ID, TSR_SCHEMA_VERSION);
    return tsr_sql_exec(db, sql);
}

CK_RV tsr_schema_migrate(sqlite3 *db)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    struct file_state fs;
    bool in_txn = false;
    int from = 0;

    /* The usual case needs no write lock, so a read-only file still opens. */
    rv = read_state(db, &fs);
    if (rv != CKR_OK)
        goto out;
    if (fs.app_id == TSR_SCHEMA_APP_ID && fs.version == TSR_SCHEMA_VERSION)
        goto out;

    rv = tsr_sql_exec(db, "BEGIN IMMEDIATE");
    if (rv != CKR_OK)
        goto out;
    in_txn = true;
    /* Again under the write lock: another process may just have done it. */
    rv = read_state(db, &fs);
    if (rv == CKR_OK)
        rv = starting_version(&fs, &from);
    if (rv == CKR_OK && from < TSR_SCHEMA_VERSION)
        rv = run_steps(db, from);
    if (rv != CKR_OK)
        goto out;
    rv = tsr_sql_exec(db, "COMMIT");
    if (rv == CKR_OK)
        in_txn = false;
out:
    if (in_txn)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rv;
}
