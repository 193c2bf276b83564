/* Unit tests of the SQLite token store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ossl.h"
#include "store-int.h"
#include "store.h"

struct fixture {
    char dir[64];
    char path[128];
    tsr_store *st;
};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    strcpy(f->dir, "/tmp/tsr-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/token.tessera", f->dir);
    assert_int_equal(tsr_store_open(f->path, true, &f->st), CKR_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    tsr_store_free(f->st);
    nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static tsr_blob B(const char *s)
{
    tsr_blob b = {(unsigned char *)s, s != NULL ? strlen(s) : 0};
    return b;
}

static uint64_t put_obj(tsr_store *st, CK_OBJECT_CLASS klass, bool priv, const char *id,
                        const char *label)
{
    tsr_store_row r;

    memset(&r, 0, sizeof(r));
    assert_int_equal(tsr_store_next_id(st, &r.id), CKR_OK);
    r.klass = klass;
    r.is_private = priv;
    r.ckaid = B(id);
    r.label = B(label);
    r.pub = B("pub");
    assert_int_equal(tsr_store_put(st, &r), CKR_OK);
    return r.id;
}

static void find_expect(tsr_store *st, const tsr_store_query *q, size_t n, const uint64_t *want)
{
    uint64_t *ids = NULL;
    size_t got = 99, i;

    assert_int_equal(tsr_store_find(st, q, &ids, &got), CKR_OK);
    assert_int_equal(got, n);
    for (i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
    if (n == 0)
        assert_null(ids);
    free(ids);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_open_reopen(void **state)
{
    struct fixture *f = *state;
    unsigned char *v = NULL;
    size_t n = 0;
    tsr_store *st2 = NULL;

    assert_int_equal(tsr_store_meta_put(f->st, "label", "abc", 3), CKR_OK);
    tsr_store_free(f->st);
    f->st = NULL;
    assert_int_equal(tsr_store_open(f->path, false, &f->st), CKR_OK);
    assert_int_equal(tsr_store_meta_get(f->st, "label", &v, &n), CKR_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "abc", 3);
    free(v);
    /* A second open of the same file, create or not. */
    assert_int_equal(tsr_store_open(f->path, true, &st2), CKR_OK);
    tsr_store_free(st2);
}

static int pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int v;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void *commit_later(void *arg)
{
    usleep(300 * 1000);
    sqlite3_exec(arg, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

/* Another process holds the write lock for a while: a write waits for it
 * and then succeeds, rather than failing. */
static void test_waits_for_writer(void **state)
{
    struct fixture *f = *state;
    sqlite3 *other = NULL;
    pthread_t t;
    uint64_t v = 0;

    assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(pthread_create(&t, NULL, commit_later, other), 0);
    assert_int_equal(tsr_store_meta_put_u64(f->st, "waited", 7), CKR_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(tsr_store_meta_get_u64(f->st, "waited", 0, &v), CKR_OK);
    assert_int_equal(v, 7);
    sqlite3_close(other);
}

static void test_pragmas(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = tsr_store_test_db(f->st);
    sqlite3_stmt *s = NULL;

    assert_int_equal(pragma_int(db, "PRAGMA secure_delete"), 1);
    assert_int_equal(pragma_int(db, "PRAGMA synchronous"), 2);      /* FULL */
    assert_int_equal(pragma_int(db, "PRAGMA cache_size"), -131072); /* KiB: 128 MiB at most */
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), TSR_SCHEMA_VERSION);
    assert_int_equal(pragma_int(db, "PRAGMA application_id"), TSR_SCHEMA_APP_ID);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
}

static void test_open_missing(void **state)
{
    struct fixture *f = *state;
    char path[160];
    tsr_store *st = (tsr_store *)1;

    snprintf(path, sizeof(path), "%s/absent.tessera", f->dir);
    assert_int_equal(tsr_store_open(path, false, &st), CKR_TOKEN_NOT_PRESENT);
    assert_null(st);
    assert_int_equal(access(path, F_OK), -1); /* and not created */
    snprintf(path, sizeof(path), "%s/no-dir/absent.tessera", f->dir);
    assert_int_equal(tsr_store_open(path, false, &st), CKR_TOKEN_NOT_PRESENT);
}

static void test_open_garbage(void **state)
{
    struct fixture *f = *state;
    char path[160];
    unsigned char junk[4096];
    tsr_store *st = (tsr_store *)1;
    size_t i;

    for (i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 7 + 3);
    snprintf(path, sizeof(path), "%s/junk.tessera", f->dir);
    write_file(path, junk, sizeof(junk));
    assert_int_equal(tsr_store_open(path, false, &st), CKR_DEVICE_ERROR);
    assert_null(st);
    assert_int_equal(tsr_store_open(path, true, &st), CKR_DEVICE_ERROR);
    /* A short text file. */
    snprintf(path, sizeof(path), "%s/text.tessera", f->dir);
    write_file(path, "hello, world\n", 13);
    assert_int_equal(tsr_store_open(path, false, &st), CKR_DEVICE_ERROR);
    /* A directory. */
    assert_int_equal(tsr_store_open(f->dir, false, &st), CKR_DEVICE_ERROR);
}

static void test_open_foreign(void **state)
{
    struct fixture *f = *state;
    char path[160];
    tsr_store *st = (tsr_store *)1;

    /* Another application's database. */
    snprintf(path, sizeof(path), "%s/foreign.db", f->dir);
    raw_exec(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    assert_int_equal(tsr_store_open(path, false, &st), CKR_DEVICE_ERROR);
    assert_null(st);
    /* Ours, but from the future. */
    snprintf(path, sizeof(path), "%s/future.tessera", f->dir);
    assert_int_equal(tsr_store_open(path, true, &st), CKR_OK);
    tsr_store_free(st);
    raw_exec(path, "PRAGMA user_version = 99");
    assert_int_equal(tsr_store_open(path, false, &st), CKR_DEVICE_ERROR);
    /* Someone else's application_id. */
    raw_exec(path, "PRAGMA user_version = 1; PRAGMA application_id = 1234");
    assert_int_equal(tsr_store_open(path, false, &st), CKR_DEVICE_ERROR);
    /* An empty file is a new token file. */
    snprintf(path, sizeof(path), "%s/empty.tessera", f->dir);
    write_file(path, "", 0);
    assert_int_equal(tsr_store_open(path, false, &st), CKR_OK);
    tsr_store_free(st);
}

static void test_meta(void **state)
{
    struct fixture *f = *state;
    unsigned char *v = (unsigned char *)1;
    size_t n = 99;
    uint64_t u = 0;

    assert_int_equal(tsr_store_meta_get(f->st, "k", &v, &n), CKR_OK);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_int_equal(tsr_store_meta_put(f->st, "k", "\0\1\2", 3), CKR_OK);
    assert_int_equal(tsr_store_meta_get(f->st, "k", &v, &n), CKR_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "\0\1\2", 3);
    free(v);
    /* Overwrite with an empty value: present, zero length. */
    assert_int_equal(tsr_store_meta_put(f->st, "k", NULL, 0), CKR_OK);
    assert_int_equal(tsr_store_meta_get(f->st, "k", &v, &n), CKR_OK);
    assert_non_null(v);
    assert_int_equal(n, 0);
    free(v);
    assert_int_equal(tsr_store_meta_del(f->st, "k"), CKR_OK);
    assert_int_equal(tsr_store_meta_get(f->st, "k", &v, &n), CKR_OK);
    assert_null(v);
    assert_int_equal(tsr_store_meta_del(f->st, "k"), CKR_OK); /* absent is fine */

    assert_int_equal(tsr_store_meta_get_u64(f->st, "n", 42, &u), CKR_OK);
    assert_int_equal(u, 42);
    assert_int_equal(tsr_store_meta_put_u64(f->st, "n", UINT64_C(0x0102030405060708)), CKR_OK);
    assert_int_equal(tsr_store_meta_get_u64(f->st, "n", 42, &u), CKR_OK);
    assert_int_equal(u, UINT64_C(0x0102030405060708));
    assert_int_equal(tsr_store_meta_get(f->st, "n", &v, &n), CKR_OK);
    assert_int_equal(n, 8);
    assert_memory_equal(v, "\1\2\3\4\5\6\7\10", 8); /* big-endian */
    free(v);
    /* Not an integer. */
    assert_int_equal(tsr_store_meta_put(f->st, "n", "abc", 3), CKR_OK);
    assert_int_equal(tsr_store_meta_get_u64(f->st, "n", 42, &u), CKR_DEVICE_ERROR);
}

static void assert_blob(const tsr_blob *got, const char *want)
{
    if (want == NULL) {
        assert_null(got->p);
        return;
    }
    assert_non_null(got->p);
    assert_int_equal(got->len, strlen(want));
    assert_memory_equal(got->p, want, got->len);
}

static void test_object_roundtrip(void **state)
{
    struct fixture *f = *state;
    tsr_store_row r, g;
    unsigned char sealed[300];
    size_t i;

    for (i = 0; i < sizeof(sealed); i++)
        sealed[i] = (unsigned char)i;
    memset(&r, 0, sizeof(r));
    assert_int_equal(tsr_store_next_id(f->st, &r.id), CKR_OK);
    assert_true(r.id > 0);
    r.klass = CKO_PRIVATE_KEY;
    r.is_private = true;
    r.ckaid = B("id1");
    r.label = B(""); /* empty, not absent */
    r.subject = B(NULL);
    r.issuer = B("iss");
    r.serial = B("\x01");
    r.value_hash = B(NULL);
    r.pub = B("public attrs");
    r.sealed.p = sealed;
    r.sealed.len = sizeof(sealed);
    assert_int_equal(tsr_store_put(f->st, &r), CKR_OK);

    assert_int_equal(tsr_store_get(f->st, r.id, &g), CKR_OK);
    assert_int_equal(g.id, r.id);
    assert_int_equal(g.klass, CKO_PRIVATE_KEY);
    assert_true(g.is_private);
    assert_blob(&g.ckaid, "id1");
    assert_blob(&g.label, "");
    assert_blob(&g.subject, NULL);
    assert_blob(&g.issuer, "iss");
    assert_blob(&g.serial, "\x01");
    assert_blob(&g.value_hash, NULL);
    assert_blob(&g.pub, "public attrs");
    assert_int_equal(g.sealed.len, sizeof(sealed));
    assert_memory_equal(g.sealed.p, sealed, sizeof(sealed));
    tsr_store_row_clear(&g);
    assert_null(g.sealed.p);

    /* Replace: the new row wins entirely. */
    r.label = B("new");
    r.ckaid = B(NULL);
    r.sealed = B(NULL);
    r.is_private = false;
    assert_int_equal(tsr_store_put(f->st, &r), CKR_OK);
    assert_int_equal(tsr_store_get(f->st, r.id, &g), CKR_OK);
    assert_blob(&g.label, "new");
    assert_blob(&g.ckaid, NULL);
    assert_blob(&g.sealed, NULL);
    assert_false(g.is_private);
    tsr_store_row_clear(&g);

    assert_int_equal(tsr_store_get(f->st, r.id + 100, &g), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(tsr_store_get(f->st, 0, &g), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(tsr_store_delete(f->st, r.id), CKR_OK);
    assert_int_equal(tsr_store_get(f->st, r.id, &g), CKR_OBJECT_HANDLE_INVALID);
    assert_null(g.pub.p);
    assert_int_equal(tsr_store_delete(f->st, r.id), CKR_OBJECT_HANDLE_INVALID);
    r.id = 0;
    assert_int_not_equal(tsr_store_put(f->st, &r), CKR_OK);
}

static void test_find(void **state)
{
    struct fixture *f = *state;
    tsr_store_query q;
    tsr_store_row r;
    uint64_t a, b, c, d, e;

    a = put_obj(f->st, CKO_CERTIFICATE, false, "k1", "alice");
    b = put_obj(f->st, CKO_PRIVATE_KEY, true, "k1", "alice");
    c = put_obj(f->st, CKO_PUBLIC_KEY, false, "k1", "alice");
    d = put_obj(f->st, CKO_CERTIFICATE, false, "k2", "");
    e = put_obj(f->st, CKO_DATA, false, NULL, NULL);
    /* A certificate with subject, issuer, serial and value hash. */
    assert_int_equal(tsr_store_get(f->st, d, &r), CKR_OK);
    tsr_store_row_clear(&r);
    memset(&r, 0, sizeof(r));
    r.id = d;
    r.klass = CKO_CERTIFICATE;
    r.ckaid = B("k2");
    r.label = B("");
    r.subject = B("CN=bob");
    r.issuer = B("CN=ca");
    r.serial = B("\x05");
    r.value_hash = B("hash-d");
    assert_int_equal(tsr_store_put(f->st, &r), CKR_OK);

    memset(&q, 0, sizeof(q));
    q.include_private = true;
    find_expect(f->st, &q, 5, (uint64_t[]){a, b, c, d, e}); /* everything, by id */
    q.include_private = false;
    find_expect(f->st, &q, 4, (uint64_t[]){a, c, d, e});

    q.ckaid = B("k1");
    find_expect(f->st, &q, 2, (uint64_t[]){a, c});
    q.include_private = true;
    find_expect(f->st, &q, 3, (uint64_t[]){a, b, c});
    q.has_class = true;
    q.klass = CKO_PRIVATE_KEY;
    find_expect(f->st, &q, 1, (uint64_t[]){b});
    q.include_private = false;
    find_expect(f->st, &q, 0, NULL);

    memset(&q, 0, sizeof(q));
    q.include_private = true;
    q.has_class = true;
    q.klass = CKO_CERTIFICATE;
    find_expect(f->st, &q, 2, (uint64_t[]){a, d});
    q.label = B("alice");
    find_expect(f->st, &q, 1, (uint64_t[]){a});
    q.label = B(""); /* empty label is a value, not a wildcard */
    find_expect(f->st, &q, 1, (uint64_t[]){d});
    q.has_class = false;
    q.label = B("nobody");
    find_expect(f->st, &q, 0, NULL);

    memset(&q, 0, sizeof(q));
    q.subject = B("CN=bob");
    find_expect(f->st, &q, 1, (uint64_t[]){d});
    q.subject = B(NULL);
    q.issuer = B("CN=ca");
    q.serial = B("\x05");
    find_expect(f->st, &q, 1, (uint64_t[]){d});
    q.serial = B("\x06");
    find_expect(f->st, &q, 0, NULL);
    q.serial = B(NULL);
    find_expect(f->st, &q, 1, (uint64_t[]){d});
    q.issuer = B(NULL);
    q.value_hash = B("hash-d");
    find_expect(f->st, &q, 1, (uint64_t[]){d});
    q.ckaid = B("k1"); /* contradicting criteria */
    find_expect(f->st, &q, 0, NULL);

    memset(&q, 0, sizeof(q));
    q.has_class = true;
    q.klass = CKO_DATA;
    find_expect(f->st, &q, 1, (uint64_t[]){e});
}

/* Each query shape runs as an index lookup, without a sort. */
static void test_find_plans(void **state)
{
    struct fixture *f = *state;
    static const tsr_blob v = {(unsigned char *)"x", 1};
    tsr_blob *cols[6];
    tsr_store_query q;
    unsigned mask;
    size_t i;
    char *plan = NULL;

    memset(&q, 0, sizeof(q));
    cols[0] = &q.ckaid;
    cols[1] = &q.label;
    cols[2] = &q.subject;
    cols[3] = &q.issuer;
    cols[4] = &q.value_hash;
    cols[5] = &q.serial; /* last: needs issuer or another column */
    for (mask = 1; mask < 1u << 8; mask++) {
        memset(&q, 0, sizeof(q));
        for (i = 0; i < 6; i++)
            *cols[i] = (mask & (1u << i)) ? v : B(NULL);
        q.has_class = (mask & 0x40) != 0;
        q.include_private = (mask & 0x80) != 0;
        if ((mask & 0x5f) == 0)
            continue; /* no indexed column set (serial alone, or only the flag) */
        assert_int_equal(tsr_store_test_plan(f->st, &q, &plan), CKR_OK);
        if (getenv("TSR_SHOW_PLANS") != NULL)
            printf("%#04x %s", mask, plan);
        if (strstr(plan, "SEARCH objects USING ") == NULL ||
            strstr(plan, "INDEX objects_") == NULL || strstr(plan, "SCAN") != NULL ||
            strstr(plan, "TEMP B-TREE") != NULL)
            fail_msg("mask %#x: %s", mask, plan);
        if (mask == 0x01)
            assert_non_null(strstr(plan, "objects_ckaid"));
        if (mask == 0x02)
            assert_non_null(strstr(plan, "objects_label"));
        if (mask == 0x28)
            assert_non_null(strstr(plan, "objects_issuer_serial (issuer=? AND serial=?)"));
        if (mask == 0x40)
            assert_non_null(strstr(plan, "objects_class (class=? AND is_private=?)"));
        free(plan);
    }
}

/* A repeated search reuses its prepared statement. */
static void test_find_cache(void **state)
{
    struct fixture *f = *state;
    tsr_store_query q;
    uint64_t *ids = NULL;
    size_t n, before, after;
    sqlite3 *db = tsr_store_test_db(f->st);
    sqlite3_stmt *s;

    memset(&q, 0, sizeof(q));
    q.label = B("x");
    assert_int_equal(tsr_store_find(f->st, &q, &ids, &n), CKR_OK);
    for (before = 0, s = sqlite3_next_stmt(db, NULL); s != NULL; s = sqlite3_next_stmt(db, s))
        before++;
    q.label = B("y");
    assert_int_equal(tsr_store_find(f->st, &q, &ids, &n), CKR_OK);
    for (after = 0, s = sqlite3_next_stmt(db, NULL); s != NULL; s = sqlite3_next_stmt(db, s)) {
        after++;
        assert_false(sqlite3_stmt_busy(s)); /* every statement was reset */
    }
    assert_int_equal(before, after);
}

static void test_ids_not_reused(void **state)
{
    struct fixture *f = *state;
    uint64_t a, b, c;

    a = put_obj(f->st, CKO_DATA, false, NULL, NULL);
    b = put_obj(f->st, CKO_DATA, false, NULL, NULL);
    assert_true(b > a);
    assert_int_equal(tsr_store_delete(f->st, b), CKR_OK);
    c = put_obj(f->st, CKO_DATA, false, NULL, NULL);
    assert_true(c > b);
    /* Across a reopen and a wipe, too. */
    assert_int_equal(tsr_store_delete(f->st, c), CKR_OK);
    tsr_store_free(f->st);
    assert_int_equal(tsr_store_open(f->path, false, &f->st), CKR_OK);
    assert_int_equal(tsr_store_wipe(f->st), CKR_OK);
    assert_int_equal(tsr_store_next_id(f->st, &a), CKR_OK);
    assert_true(a > c);
}

/* Ids come in reserved blocks: two connections (two processes) interleaving
 * creations never hand out the same id, a block whose reservation was rolled
 * back is given up, and a row written by another connection inside our block
 * moves us past it. */
static void test_id_blocks(void **state)
{
    struct fixture *f = *state;
    tsr_store *other = NULL;
    uint64_t seen[400], id = 0;
    size_t n = 0;

    assert_int_equal(tsr_store_open(f->path, false, &other), CKR_OK);
    for (int i = 0; i < 100; i++) {
        seen[n++] = put_obj(f->st, CKO_DATA, false, NULL, NULL);
        seen[n++] = put_obj(other, CKO_DATA, false, NULL, NULL);
    }
    /* A reservation undone with its transaction. */
    assert_int_equal(tsr_store_begin(other), CKR_OK);
    for (int i = 0; i < 70; i++) /* past a block: a new reservation */
        assert_int_equal(tsr_store_next_id(other, &id), CKR_OK);
    tsr_store_rollback(other);
    /* The block given up may go to the first connection; ids it used and
     * deleted are not handed out again by the other. */
    {
        uint64_t gone[20], mine;
        for (int i = 0; i < 20; i++)
            gone[i] = put_obj(f->st, CKO_DATA, false, NULL, NULL);
        for (int i = 0; i < 20; i++)
            assert_int_equal(tsr_store_delete(f->st, gone[i]), CKR_OK);
        mine = put_obj(other, CKO_DATA, false, NULL, NULL);
        for (int i = 0; i < 20; i++)
            assert_true(mine > gone[i]);
    }
    for (int i = 0; i < 100; i++) {
        seen[n++] = put_obj(f->st, CKO_DATA, false, NULL, NULL);
        seen[n++] = put_obj(other, CKO_DATA, false, NULL, NULL);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (seen[i] == seen[j])
                fail_msg("id %llu handed out twice", (unsigned long long)seen[i]);
    /* Every one of them is a row of its own. */
    for (size_t i = 0; i < n; i++) {
        tsr_store_row g;
        assert_int_equal(tsr_store_get(f->st, seen[i], &g), CKR_OK);
        tsr_store_row_clear(&g);
    }
    tsr_store_free(other);
}

static void test_changed(void **state)
{
    struct fixture *f = *state;
    tsr_store *other = NULL;
    bool ch = true;

    assert_int_equal(tsr_store_open(f->path, false, &other), CKR_OK);
    assert_int_equal(tsr_store_changed(f->st, &ch), CKR_OK);
    assert_false(ch);
    assert_int_equal(tsr_store_changed(other, &ch), CKR_OK);
    assert_false(ch);
    /* Our own writes are not changes. */
    put_obj(f->st, CKO_DATA, false, NULL, NULL);
    assert_int_equal(tsr_store_changed(f->st, &ch), CKR_OK);
    assert_false(ch);
    /* ...but they are for the other connection, once. */
    assert_int_equal(tsr_store_changed(other, &ch), CKR_OK);
    assert_true(ch);
    assert_int_equal(tsr_store_changed(other, &ch), CKR_OK);
    assert_false(ch);
    assert_int_equal(tsr_store_meta_put(other, "k", "v", 1), CKR_OK);
    assert_int_equal(tsr_store_changed(f->st, &ch), CKR_OK);
    assert_true(ch);
    assert_int_equal(tsr_store_changed(f->st, &ch), CKR_OK);
    assert_false(ch);
    tsr_store_free(other);
}

static void test_wipe_count(void **state)
{
    struct fixture *f = *state;
    uint64_t all = 9, priv = 9;
    unsigned char *v = NULL;
    size_t n;

    assert_int_equal(tsr_store_count(f->st, &all, &priv), CKR_OK);
    assert_int_equal(all, 0);
    assert_int_equal(priv, 0);
    put_obj(f->st, CKO_DATA, false, NULL, "a");
    put_obj(f->st, CKO_PRIVATE_KEY, true, NULL, "b");
    put_obj(f->st, CKO_SECRET_KEY, true, NULL, "c");
    assert_int_equal(tsr_store_meta_put(f->st, "label", "tok", 3), CKR_OK);
    assert_int_equal(tsr_store_count(f->st, &all, &priv), CKR_OK);
    assert_int_equal(all, 3);
    assert_int_equal(priv, 2);
    assert_int_equal(tsr_store_wipe(f->st), CKR_OK);
    assert_int_equal(tsr_store_count(f->st, &all, &priv), CKR_OK);
    assert_int_equal(all, 0);
    assert_int_equal(priv, 0);
    assert_int_equal(tsr_store_meta_get(f->st, "label", &v, &n), CKR_OK);
    assert_null(v);
}

static void test_transactions(void **state)
{
    struct fixture *f = *state;
    tsr_store_row r;
    unsigned char *v = NULL;
    size_t n;
    uint64_t id, all, priv;

    assert_int_equal(tsr_store_begin(f->st), CKR_OK);
    assert_int_not_equal(tsr_store_begin(f->st), CKR_OK); /* no nesting */
    id = put_obj(f->st, CKO_DATA, false, NULL, "x");
    assert_int_equal(tsr_store_meta_put(f->st, "k", "v", 1), CKR_OK);
    assert_int_equal(tsr_store_get(f->st, id, &r), CKR_OK); /* visible inside */
    tsr_store_row_clear(&r);
    tsr_store_rollback(f->st);
    assert_int_equal(tsr_store_get(f->st, id, &r), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(tsr_store_meta_get(f->st, "k", &v, &n), CKR_OK);
    assert_null(v);
    assert_int_equal(tsr_store_count(f->st, &all, &priv), CKR_OK);
    assert_int_equal(all, 0);

    assert_int_equal(tsr_store_begin(f->st), CKR_OK);
    id = put_obj(f->st, CKO_DATA, false, NULL, "y");
    assert_int_equal(tsr_store_wipe(f->st), CKR_OK); /* joins, does not commit */
    id = put_obj(f->st, CKO_DATA, false, NULL, "z");
    assert_int_equal(tsr_store_commit(f->st), CKR_OK);
    assert_int_equal(tsr_store_count(f->st, &all, &priv), CKR_OK);
    assert_int_equal(all, 1);
    assert_int_equal(tsr_store_get(f->st, id, &r), CKR_OK);
    assert_blob(&r.label, "z");
    tsr_store_row_clear(&r);
    /* Unbalanced calls are refused or harmless. */
    assert_int_not_equal(tsr_store_commit(f->st), CKR_OK);
    tsr_store_rollback(f->st);
    assert_int_equal(tsr_store_begin(f->st), CKR_OK);
    assert_int_equal(tsr_store_commit(f->st), CKR_OK);
}

static void test_free_space(void **state)
{
    struct fixture *f = *state;
    uint64_t bytes = 0;

    assert_int_equal(tsr_store_free_space(f->st, &bytes), CKR_OK);
    assert_true(bytes > 0);
}

#define N_THREADS 4
#define N_PER     25

static void *writer(void *arg)
{
    tsr_store *st = arg;
    tsr_store_row r;
    int i;

    for (i = 0; i < N_PER; i++) {
        memset(&r, 0, sizeof(r));
        if (tsr_store_begin(st) != CKR_OK)
            return (void *)1;
        if (tsr_store_next_id(st, &r.id) != CKR_OK) {
            tsr_store_rollback(st);
            return (void *)1;
        }
        r.klass = CKO_DATA;
        r.label = B("t");
        if (tsr_store_put(st, &r) != CKR_OK || tsr_store_commit(st) != CKR_OK)
            return (void *)1;
    }
    return NULL;
}

/* Threads sharing one store, each running whole transactions. */
static void test_threads(void **state)
{
    struct fixture *f = *state;
    pthread_t t[N_THREADS];
    tsr_store_query q;
    uint64_t *ids = NULL;
    void *res;
    size_t n, i;

    for (i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, f->st), 0);
    for (i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    memset(&q, 0, sizeof(q));
    q.label = B("t");
    assert_int_equal(tsr_store_find(f->st, &q, &ids, &n), CKR_OK);
    assert_int_equal(n, N_THREADS * N_PER);
    for (i = 1; i < n; i++)
        assert_true(ids[i] > ids[i - 1]); /* distinct and ascending */
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waits_for_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_not_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wipe_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };

    assert_int_equal(tsr_ossl_init(), CKR_OK);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
