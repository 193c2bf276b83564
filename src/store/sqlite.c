/* The SQLite token store: one connection per tsr_store, its statements
 * prepared once, access serialised by a recursive mutex.
 *
 * Locking.  st->lock is recursive.  Every call takes it for its duration;
 * tsr_store_begin takes it once more and keeps it until commit or rollback,
 * so a transaction belongs to one thread: that thread's calls inside it
 * re-enter, other threads' calls wait for the end of the transaction (their
 * statements would otherwise run inside it).  The store lock is the innermost
 * lock: take no other lock between begin and commit. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>

#include "sqlite-api.h"

#include "log.h"
#include "secmem.h"
#include "sqlerr.h"
#include "store-int.h"
#include "store.h"

/* The meta key of the id counter, kept across tsr_store_wipe. */
#define NEXT_ID_KEY     "store.next_id"
#define BUSY_TIMEOUT_MS 30000

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_DATA_VERSION,
    ST_META_GET,
    ST_META_PUT,
    ST_META_DEL,
    ST_META_WIPE,
    ST_OBJ_GET,
    ST_OBJ_PUT,
    ST_OBJ_DEL,
    ST_OBJ_WIPE,
    ST_OBJ_MAX_ID,
    ST_OBJ_COUNT,
    N_STMTS
};

static const char *const stmt_sql[N_STMTS] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_DATA_VERSION] = "PRAGMA data_version",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_PUT] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [ST_META_DEL] = "DELETE FROM meta WHERE key = ?1",
    [ST_META_WIPE] = "DELETE FROM meta WHERE key <> '" NEXT_ID_KEY "'",
    [ST_OBJ_GET] = "SELECT class, is_private, ckaid, label, subject, issuer, serial, value_hash,"
                   " pub, sealed FROM objects WHERE id = ?1",
    [ST_OBJ_PUT] = "INSERT OR REPLACE INTO objects (id, class, is_private, ckaid, label, subject,"
                   " issuer, serial, value_hash, pub, sealed)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_OBJ_DEL] = "DELETE FROM objects WHERE id = ?1",
    [ST_OBJ_WIPE] = "DELETE FROM objects",
    [ST_OBJ_MAX_ID] = "SELECT coalesce(max(id), 0) FROM objects",
    [ST_OBJ_COUNT] = "SELECT count(*), coalesce(sum(is_private <> 0), 0) FROM objects",
};

struct tsr_store {
    pthread_mutex_t lock; /* recursive; see the top of the file */
    sqlite3 *db;
    void *shm;            /* read-only view of SQLite's WAL index (-shm), or NULL */
    uint32_t seen_change; /* its iChange when tsr_store_changed last looked */
    char *dir;            /* the directory holding the file, for free space */
    bool in_txn;
    sqlite3_int64 data_version; /* last seen by tsr_store_changed */
    unsigned busy_seed;         /* jitter for busy_wait */
    /* Object ids are reserved in blocks, so that most creations write no
     * counter: [ids_next, ids_end) is ours; ids_pending while the block's
     * reservation is not committed yet (a rollback gives it up). */
    uint64_t ids_next, ids_end;
    bool ids_pending;
    sqlite3_stmt *stmt[N_STMTS];
    tsr_find_cache *finds; /* tsr_store_find's statements */
};

static void store_lock(tsr_store *st)
{
    pthread_mutex_lock(&st->lock);
}

static void store_unlock(tsr_store *st)
{
    pthread_mutex_unlock(&st->lock);
}

/* Every statement is reset after use so it holds no read lock on the file
 * and no pointer into the caller's buffers. */
static void stmt_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Runs a statement that returns no rows, then resets it. */
static CK_RV step_done(tsr_store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    CK_RV rv = rc == SQLITE_DONE ? CKR_OK : tsr_sql_fail(st->db, rc);

    stmt_done(s);
    return rv;
}

/* NULL pointer binds SQL NULL (absent); an empty value binds a zero-length
 * blob, which sqlite3_bind_blob would turn into NULL given a NULL pointer. */
int tsr_sql_bind_blob(sqlite3_stmt *s, int idx, const void *p, size_t len)
{
    if (p == NULL)
        return sqlite3_bind_null(s, idx);
    if (len == 0)
        return sqlite3_bind_zeroblob(s, idx, 0);
    return sqlite3_bind_blob64(s, idx, p, len, SQLITE_STATIC);
}

/* The inverse: SQL NULL gives p NULL, anything else a malloc'd copy. */
static CK_RV column_blob(sqlite3_stmt *s, int col, tsr_blob *out)
{
    const void *p;

    out->p = NULL;
    out->len = 0;
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return CKR_OK;
    p = sqlite3_column_blob(s, col); /* before _bytes, as SQLite asks */
    out->len = (size_t)sqlite3_column_bytes(s, col);
    out->p = tsr_memdup(p, out->len);
    if (out->p == NULL) {
        out->len = 0;
        return CKR_HOST_MEMORY;
    }
    return CKR_OK;
}

static bool valid_id(uint64_t id)
{
    return id > 0 && id <= (uint64_t)INT64_MAX;
}

/* ---- opening ---- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static CK_RV set_wal(sqlite3 *db)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    sqlite3_stmt *s = NULL;
    const unsigned char *mode;
    int rc;

    rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s); /* the first read: a non-database fails here */
    if (rc != SQLITE_ROW) {
        rv = tsr_sql_fail(db, rc);
        goto out;
    }
    mode = sqlite3_column_text(s, 0);
    /* A read-only file keeps whatever mode it has. */
    if ((mode == NULL || strcmp((const char *)mode, "wal") != 0) &&
        sqlite3_db_readonly(db, "main") != 1) {
        tsr_log("store: cannot use WAL");
        rv = CKR_DEVICE_ERROR;
        goto out;
    }
    rv = CKR_OK;
out:
    sqlite3_finalize(s);
    return rv;
}

/* Another process holds the write lock: wait in short, jittered steps.
 * SQLite's own handler sleeps up to 100 ms at a time, and under steady load
 * from several processes some never got their turn (CKR_DEVICE_ERROR).  A
 * token waits rather than fails; BUSY_TIMEOUT_MS bounds it. */
static int busy_wait(void *arg, int count)
{
    unsigned *seed = arg;
    long step_us = 50L << (count < 6 ? count : 6); /* 50 us .. 3.2 ms */
    struct timespec ts;

    if ((long)count * 1700 > BUSY_TIMEOUT_MS * 1000L)
        return 0; /* give up: about BUSY_TIMEOUT_MS in all */
    step_us = step_us / 2 + rand_r(seed) % step_us;
    ts.tv_sec = 0;
    ts.tv_nsec = step_us * 1000;
    nanosleep(&ts, NULL);
    return 1;
}

static CK_RV configure(sqlite3 *db, unsigned *busy_seed)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    sqlite3_extended_result_codes(db, 1);
    /* A token file may come from anywhere: no schema-borne functions with
     * side effects, no writable_schema tricks. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_busy_handler(db, busy_wait, busy_seed);
    rv = set_wal(db);
    if (rv != CKR_OK)
        return rv;
    /* synchronous FULL: a committed object survives a power cut, also in WAL
     * mode.  The page cache may grow to 128 MiB (it grows only as pages are read,
     * so a small token stays small): at a million objects it holds the
     * indexes, so a find walks its tree in memory as at a thousand instead
     * of a pread per level, and an insert finds its leaf pages there.
     * Measured with tessera-bench at 10^6 objects: SQLite's default 2 MiB
     * made finds 2x slower than at 10^3 and creation 3,700/s; 64 MiB left
     * finds 1.3-1.55x slower depending on the run; 128 MiB 1.33-1.48x. */
    return tsr_sql_exec(db, "PRAGMA secure_delete = ON;"
                            "PRAGMA synchronous = FULL;"
                            "PRAGMA cache_size = -131072;"
                            "PRAGMA foreign_keys = OFF;");
}

static CK_RV prepare_all(tsr_store *st)
{
    size_t i;
    int rc;

    for (i = 0; i < N_STMTS; i++) {
        rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                                NULL);
        if (rc != SQLITE_OK)
            return tsr_sql_fail(st->db, rc);
    }
    return CKR_OK;
}

/* The WAL-index header (https://www.sqlite.org/walformat.html) starts the
 * -shm file that every connection to the token maps; its 32-bit iChange at
 * offset 8 is incremented by every write transaction.  Reading it is one
 * memory load: when it has not moved, nothing changed and tsr_store_changed
 * need not run PRAGMA data_version, whose read transaction costs file-lock
 * system calls.  Without the map the PRAGMA runs every time. */
#define WAL_INDEX_MAP     4096
#define WAL_INDEX_ICHANGE 8

static uint32_t wal_change(const tsr_store *st)
{
    return __atomic_load_n((const uint32_t *)((const char *)st->shm + WAL_INDEX_ICHANGE),
                           __ATOMIC_ACQUIRE);
}

static void map_wal_index(tsr_store *st, const char *path)
{
    size_t n = strlen(path) + sizeof("-shm");
    char *shm_path = malloc(n);
    int fd = -1;
    struct stat sb;
    void *map;

    if (shm_path == NULL)
        return;
    snprintf(shm_path, n, "%s-shm", path);
    fd = open(shm_path, O_RDONLY | O_CLOEXEC);
    free(shm_path);
    if (fd < 0)
        return;
    if (fstat(fd, &sb) == 0 && sb.st_size >= WAL_INDEX_MAP) {
        map = mmap(NULL, WAL_INDEX_MAP, PROT_READ, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED) {
            st->shm = map;
            st->seen_change = wal_change(st);
        }
    }
    close(fd);
}

static CK_RV data_version(tsr_store *st, sqlite3_int64 *v)
{
    sqlite3_stmt *s = st->stmt[ST_DATA_VERSION];
    CK_RV rv = CKR_OK;
    int rc;

    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    else
        rv = tsr_sql_fail(st->db, rc);
    stmt_done(s);
    return rv;
}

static tsr_store *store_alloc(const char *path)
{
    tsr_store *st = calloc(1, sizeof(*st));
    pthread_mutexattr_t attr;

    if (st == NULL)
        return NULL;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&st->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    st->dir = dir_of(path);
    st->finds = tsr_find_cache_new();
    if (st->dir == NULL || st->finds == NULL) {
        tsr_store_free(st);
        return NULL;
    }
    return st;
}

CK_RV tsr_store_open(const char *path, bool create, tsr_store **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_store *st = NULL;
    struct stat sb;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
    int rc;

    *out = NULL;
    if ((rv = tsr_sqlite_load()) != CKR_OK)
        goto out;
    if (!create && stat(path, &sb) != 0) {
        rv = errno == ENOENT || errno == ENOTDIR ? CKR_TOKEN_NOT_PRESENT : CKR_DEVICE_ERROR;
        goto out;
    }
    if (create)
        flags |= SQLITE_OPEN_CREATE;
    st = store_alloc(path);
    if (st == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rv = tsr_sql_fail(st->db, rc);
        goto out;
    }
    st->busy_seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)st;
    rv = configure(st->db, &st->busy_seed);
    if (rv == CKR_OK)
        rv = tsr_schema_migrate(st->db);
    if (rv == CKR_OK)
        rv = prepare_all(st);
    /* The baseline for tsr_store_changed: the state this open has seen. */
    if (rv == CKR_OK)
        rv = data_version(st, &st->data_version);
    if (rv == CKR_OK)
        map_wal_index(st, path);
    if (rv != CKR_OK)
        goto out;
    *out = st;
    st = NULL;
out:
    if (rv != CKR_OK)
        tsr_log("store: cannot open a token file (rv %#lx)", (unsigned long)rv);
    tsr_store_free(st);
    return rv;
}

void tsr_store_free(tsr_store *st)
{
    size_t i;

    if (st == NULL)
        return;
    for (i = 0; i < N_STMTS; i++)
        sqlite3_finalize(st->stmt[i]);
    tsr_find_cache_free(st->finds);
    if (st->shm != NULL)
        munmap(st->shm, WAL_INDEX_MAP);
    /* An open transaction is rolled back by the close. */
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st->dir);
    free(st);
}

/* ---- transactions ---- */

/* Ends the open transaction: COMMIT when rv is CKR_OK, otherwise (or when
 * COMMIT fails) ROLLBACK, unless SQLite already rolled back on its own. */
static CK_RV txn_finish(tsr_store *st, CK_RV rv)
{
    if (rv == CKR_OK)
        rv = step_done(st, st->stmt[ST_COMMIT]);
    if (rv != CKR_OK && !sqlite3_get_autocommit(st->db))
        step_done(st, st->stmt[ST_ROLLBACK]);
    if (rv != CKR_OK && st->ids_pending)
        st->ids_next = st->ids_end = 0; /* its reservation was undone */
    st->ids_pending = false;
    return rv;
}

/* For a write of several statements: joins the caller's transaction, or
 * opens one of its own (*own) for txn_end to close.  Lock held. */
static CK_RV txn_join(tsr_store *st, bool *own)
{
    CK_RV rv = CKR_OK;

    *own = false;
    if (!st->in_txn) {
        rv = step_done(st, st->stmt[ST_BEGIN]);
        *own = rv == CKR_OK;
    }
    return rv;
}

static CK_RV txn_end(tsr_store *st, bool own, CK_RV rv)
{
    return own ? txn_finish(st, rv) : rv;
}

CK_RV tsr_store_begin(tsr_store *st)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    store_lock(st);
    if (st->in_txn) {
        tsr_log("store: nested transaction");
        goto out;
    }
    rv = step_done(st, st->stmt[ST_BEGIN]);
    if (rv == CKR_OK)
        st->in_txn = true;
out:
    /* On success the lock stays held until commit or rollback. */
    if (rv != CKR_OK)
        store_unlock(st);
    return rv;
}

CK_RV tsr_store_commit(tsr_store *st)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    store_lock(st);
    if (!st->in_txn) {
        tsr_log("store: commit without a transaction");
        store_unlock(st);
        return rv;
    }
    rv = txn_finish(st, CKR_OK);
    st->in_txn = false;
    store_unlock(st);
    store_unlock(st); /* the hold taken by tsr_store_begin */
    return rv;
}

void tsr_store_rollback(tsr_store *st)
{
    store_lock(st);
    if (st->in_txn) {
        txn_finish(st, CKR_CANCEL);
        st->in_txn = false;
        store_unlock(st); /* the hold taken by tsr_store_begin */
    }
    store_unlock(st);
}

/* ---- metadata ---- */

static CK_RV meta_get_locked(tsr_store *st, const char *key, tsr_blob *val)
{
    sqlite3_stmt *s = st->stmt[ST_META_GET];
    CK_RV rv = CKR_GENERAL_ERROR;
    int rc;

    val->p = NULL;
    val->len = 0;
    rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rv = column_blob(s, 0, val);
    else if (rc == SQLITE_DONE)
        rv = CKR_OK;
    else
        rv = tsr_sql_fail(st->db, rc);
    stmt_done(s);
    return rv;
}

static CK_RV meta_put_locked(tsr_store *st, const char *key, const void *val, size_t len)
{
    sqlite3_stmt *s = st->stmt[ST_META_PUT];
    int rc;

    rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = tsr_sql_bind_blob(s, 2, val != NULL ? val : "", len);
    if (rc != SQLITE_OK) {
        stmt_done(s);
        return tsr_sql_fail(st->db, rc);
    }
    return step_done(st, s);
}

CK_RV tsr_store_meta_get(tsr_store *st, const char *key, unsigned char **val, size_t *len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_blob b;

    *val = NULL;
    *len = 0;
    store_lock(st);
    rv = meta_get_locked(st, key, &b);
    store_unlock(st);
    if (rv == CKR_OK) {
        *val = b.p;
        *len = b.len;
    }
    return rv;
}

CK_RV tsr_store_meta_put(tsr_store *st, const char *key, const void *val, size_t len)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    store_lock(st);
    rv = meta_put_locked(st, key, val, len);
    store_unlock(st);
    return rv;
}

CK_RV tsr_store_meta_del(tsr_store *st, const char *key)
{
    sqlite3_stmt *s = st->stmt[ST_META_DEL];
    CK_RV rv = CKR_GENERAL_ERROR;
    int rc;

    store_lock(st);
    rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rv = step_done(st, s);
    } else {
        stmt_done(s);
        rv = tsr_sql_fail(st->db, rc);
    }
    store_unlock(st);
    return rv;
}

/* Integers are stored as 8 bytes, big-endian. */
static CK_RV meta_get_u64_locked(tsr_store *st, const char *key, uint64_t dflt, uint64_t *out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_blob b;
    uint64_t v = 0;
    size_t i;

    rv = meta_get_locked(st, key, &b);
    if (rv != CKR_OK)
        return rv;
    if (b.p == NULL) {
        *out = dflt;
    } else if (b.len == 8) {
        for (i = 0; i < 8; i++)
            v = v << 8 | b.p[i];
        *out = v;
    } else {
        tsr_log("store: meta %s is not an integer", key);
        rv = CKR_DEVICE_ERROR;
    }
    free(b.p);
    return rv;
}

static CK_RV meta_put_u64_locked(tsr_store *st, const char *key, uint64_t val)
{
    unsigned char b[8];
    int i;

    for (i = 7; i >= 0; i--, val >>= 8)
        b[i] = (unsigned char)(val & 0xff);
    return meta_put_locked(st, key, b, sizeof(b));
}

CK_RV tsr_store_meta_get_u64(tsr_store *st, const char *key, uint64_t dflt, uint64_t *out)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    store_lock(st);
    rv = meta_get_u64_locked(st, key, dflt, out);
    store_unlock(st);
    return rv;
}

CK_RV tsr_store_meta_put_u64(tsr_store *st, const char *key, uint64_t val)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    store_lock(st);
    rv = meta_put_u64_locked(st, key, val);
    store_unlock(st);
    return rv;
}

/* ---- the file as a whole ---- */

CK_RV tsr_store_changed(tsr_store *st, bool *changed)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    sqlite3_int64 v = 0;

    uint32_t change = 0;

    *changed = false;
    /* This check runs on every object lookup (C_SignInit among them): it
     * must cost nothing when nothing changed, and never queue behind another
     * thread's write, which may be waiting for another process.  While this
     * process writes, the next call looks. */
    if (st->shm != NULL) {
        change = wal_change(st);
        if (change == __atomic_load_n(&st->seen_change, __ATOMIC_RELAXED))
            return CKR_OK;
    }
    if (pthread_mutex_trylock(&st->lock) != 0)
        return CKR_OK;
    rv = data_version(st, &v);
    if (rv == CKR_OK) {
        *changed = v != st->data_version;
        st->data_version = v;
        /* The count read before the PRAGMA: a write after it shows next time. */
        __atomic_store_n(&st->seen_change, change, __ATOMIC_RELAXED);
    }
    store_unlock(st);
    return rv;
}

CK_RV tsr_store_wipe(tsr_store *st)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    bool own = false;

    store_lock(st);
    rv = txn_join(st, &own);
    if (rv == CKR_OK)
        rv = step_done(st, st->stmt[ST_OBJ_WIPE]);
    /* The id counter stays: handles held elsewhere must not come back. */
    if (rv == CKR_OK)
        rv = step_done(st, st->stmt[ST_META_WIPE]);
    rv = txn_end(st, own, rv);
    store_unlock(st);
    return rv;
}

CK_RV tsr_store_free_space(tsr_store *st, uint64_t *bytes)
{
    struct statvfs sv;

    *bytes = 0;
    if (statvfs(st->dir, &sv) != 0) {
        tsr_log("store: statvfs: %s", strerror(errno));
        return CKR_DEVICE_ERROR;
    }
    *bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    return CKR_OK;
}

/* ---- objects ---- */

void tsr_store_row_clear(tsr_store_row *row)
{
    tsr_blob *blobs[] = {&row->ckaid,  &row->label,      &row->subject, &row->issuer,
                         &row->serial, &row->value_hash, &row->pub,     &row->sealed};
    size_t i;

    if (row == NULL)
        return;
    for (i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++)
        tsr_free_secret(blobs[i]->p, blobs[i]->len);
    memset(row, 0, sizeof(*row));
}

static sqlite3_int64 query_max_id(tsr_store *st, CK_RV *rv)
{
    sqlite3_stmt *s = st->stmt[ST_OBJ_MAX_ID];
    sqlite3_int64 max = 0;
    int rc;

    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        max = sqlite3_column_int64(s, 0);
    else
        *rv = tsr_sql_fail(st->db, rc);
    stmt_done(s);
    return max;
}

/* Ids handed out per write of the counter. */
#define ID_BLOCK 64

CK_RV tsr_store_next_id(tsr_store *st, uint64_t *id)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    uint64_t next = 0;
    sqlite3_int64 max;
    bool own = false;

    *id = 0;
    store_lock(st);
    rv = txn_join(st, &own);
    if (rv != CKR_OK)
        goto out;
    /* Never at or below a row already present, whoever wrote it (another
     * process with its own block, or after a re-initialisation): read in the
     * same write transaction as the insert that follows. */
    max = query_max_id(st, &rv);
    if (rv != CKR_OK)
        goto out;
    if (st->ids_next < st->ids_end && (uint64_t)max < st->ids_next) {
        next = st->ids_next;
        goto take;
    }
    rv = meta_get_u64_locked(st, NEXT_ID_KEY, 1, &next);
    if (rv != CKR_OK)
        goto out;
    if ((uint64_t)max >= next)
        next = (uint64_t)max + 1;
    if (!valid_id(next) || !valid_id(next + ID_BLOCK)) {
        rv = CKR_DEVICE_MEMORY;
        goto out;
    }
    rv = meta_put_u64_locked(st, NEXT_ID_KEY, next + ID_BLOCK);
    if (rv != CKR_OK)
        goto out;
    st->ids_end = next + ID_BLOCK;
    st->ids_pending = true;
take:
    st->ids_next = next + 1;
out:
    rv = txn_end(st, own, rv);
    store_unlock(st);
    if (rv == CKR_OK)
        *id = next;
    return rv;
}

static int bind_row(sqlite3_stmt *s, const tsr_store_row *row)
{
    const tsr_blob *blobs[] = {&row->ckaid,  &row->label,      &row->subject, &row->issuer,
                               &row->serial, &row->value_hash, &row->pub,     &row->sealed};
    int rc;
    size_t i;

    rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)row->id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, (sqlite3_int64)row->klass);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, row->is_private ? 1 : 0);
    for (i = 0; i < sizeof(blobs) / sizeof(blobs[0]) && rc == SQLITE_OK; i++)
        rc = tsr_sql_bind_blob(s, (int)i + 4, blobs[i]->p, blobs[i]->len);
    return rc;
}

CK_RV tsr_store_put(tsr_store *st, const tsr_store_row *row)
{
    sqlite3_stmt *s = st->stmt[ST_OBJ_PUT];
    CK_RV rv = CKR_GENERAL_ERROR;
    int rc;

    if (!valid_id(row->id))
        return CKR_GENERAL_ERROR; /* ids come from tsr_store_next_id */
    store_lock(st);
    rc = bind_row(s, row);
    if (rc == SQLITE_OK) {
        rv = step_done(st, s);
    } else {
        stmt_done(s);
        rv = tsr_sql_fail(st->db, rc);
    }
    store_unlock(st);
    return rv;
}

CK_RV tsr_store_delete(tsr_store *st, uint64_t id)
{
    sqlite3_stmt *s = st->stmt[ST_OBJ_DEL];
    CK_RV rv = CKR_GENERAL_ERROR;

    if (!valid_id(id))
        return CKR_OBJECT_HANDLE_INVALID;
    store_lock(st);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
    rv = step_done(st, s);
    if (rv == CKR_OK && sqlite3_changes(st->db) == 0)
        rv = CKR_OBJECT_HANDLE_INVALID;
    store_unlock(st);
    return rv;
}

static CK_RV read_row(sqlite3_stmt *s, tsr_store_row *row)
{
    tsr_blob *blobs[] = {&row->ckaid,  &row->label,      &row->subject, &row->issuer,
                         &row->serial, &row->value_hash, &row->pub,     &row->sealed};
    CK_RV rv = CKR_OK;
    size_t i;

    row->klass = (CK_OBJECT_CLASS)sqlite3_column_int64(s, 0);
    row->is_private = sqlite3_column_int(s, 1) != 0;
    for (i = 0; i < sizeof(blobs) / sizeof(blobs[0]) && rv == CKR_OK; i++)
        rv = column_blob(s, (int)i + 2, blobs[i]);
    return rv;
}

CK_RV tsr_store_get(tsr_store *st, uint64_t id, tsr_store_row *out)
{
    sqlite3_stmt *s = st->stmt[ST_OBJ_GET];
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_store_row row;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&row, 0, sizeof(row));
    if (!valid_id(id))
        return CKR_OBJECT_HANDLE_INVALID;
    store_lock(st);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rv = read_row(s, &row);
    else if (rc == SQLITE_DONE)
        rv = CKR_OBJECT_HANDLE_INVALID;
    else
        rv = tsr_sql_fail(st->db, rc);
    stmt_done(s);
    store_unlock(st);
    if (rv != CKR_OK) {
        tsr_store_row_clear(&row);
        return rv;
    }
    row.id = id;
    *out = row;
    return CKR_OK;
}

CK_RV tsr_store_count(tsr_store *st, uint64_t *all, uint64_t *private_count)
{
    sqlite3_stmt *s = st->stmt[ST_OBJ_COUNT];
    CK_RV rv = CKR_GENERAL_ERROR;
    int rc;

    *all = 0;
    *private_count = 0;
    store_lock(st);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *all = (uint64_t)sqlite3_column_int64(s, 0);
        *private_count = (uint64_t)sqlite3_column_int64(s, 1);
        rv = CKR_OK;
    } else {
        rv = tsr_sql_fail(st->db, rc);
    }
    stmt_done(s);
    store_unlock(st);
    return rv;
}

/* ---- searches ---- */

CK_RV tsr_store_find(tsr_store *st, const tsr_store_query *q, uint64_t **ids, size_t *n)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    store_lock(st);
    rv = tsr_find_locked(st->db, st->finds, q, ids, n);
    store_unlock(st);
    return rv;
}

/* ---- test hooks ---- */

sqlite3 *tsr_store_test_db(tsr_store *st)
{
    return st->db;
}

CK_RV tsr_store_test_plan(tsr_store *st, const tsr_store_query *q, char **plan)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    store_lock(st);
    rv = tsr_find_plan_locked(st->db, q, plan);
    store_unlock(st);
    return rv;
}
