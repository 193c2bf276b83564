/* Searches on the indexed columns.  The WHERE clause is built from the
 * fields a query sets, and the prepared statement is cached under that
 * shape (a bitmask), so a repeated search never prepares again. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite-api.h"

#include "store-int.h"
#include "store.h"

/* The blob columns a query may constrain, most selective first.  The first
 * one set that has an index of its own leads the search; the others are
 * written `+col = ?`, which SQLite checks on the rows found but never uses to
 * choose an index, so the plan does not hang on the planner's guesses. */
static const struct find_col {
    const char *name;
    size_t offset;        /* of its tsr_blob in tsr_store_query */
    const char *rides_on; /* NULL: has an index; else indexed behind that column */
} find_cols[] = {
    {"value_hash", offsetof(tsr_store_query, value_hash), NULL},
    {"issuer", offsetof(tsr_store_query, issuer), NULL},
    {"serial", offsetof(tsr_store_query, serial), "issuer"},
    {"ckaid", offsetof(tsr_store_query, ckaid), NULL},
    {"subject", offsetof(tsr_store_query, subject), NULL},
    {"label", offsetof(tsr_store_query, label), NULL},
};

#define N_FIND_COLS      (sizeof(find_cols) / sizeof(find_cols[0]))
#define FIND_CLASS       (1u << N_FIND_COLS)
#define FIND_PUBLIC      (1u << (N_FIND_COLS + 1))
#define N_FIND_STMTS     (1u << (N_FIND_COLS + 2))
#define FIND_SQL_MAX     512
#define QUERY_BLOB(q, i) ((const tsr_blob *)((const char *)(q) + find_cols[i].offset))

struct tsr_find_cache {
    sqlite3_stmt *stmt[N_FIND_STMTS]; /* prepared on first use, by query mask */
};

tsr_find_cache *tsr_find_cache_new(void)
{
    return calloc(1, sizeof(tsr_find_cache));
}

void tsr_find_cache_free(tsr_find_cache *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < N_FIND_STMTS; i++)
        sqlite3_finalize(c->stmt[i]);
    free(c);
}

static unsigned query_mask(const tsr_store_query *q)
{
    unsigned mask = 0;
    size_t i;

    for (i = 0; i < N_FIND_COLS; i++)
        if (QUERY_BLOB(q, i)->p != NULL)
            mask |= 1u << i;
    if (q->has_class)
        mask |= FIND_CLASS;
    if (!q->include_private)
        mask |= FIND_PUBLIC;
    return mask;
}

static bool uses_index(size_t i, size_t lead)
{
    if (lead == N_FIND_COLS)
        return false;
    return i == lead || (find_cols[i].rides_on != NULL &&
                         strcmp(find_cols[i].rides_on, find_cols[lead].name) == 0);
}

/* The SELECT for a mask.  Parameters are bound in the order written: the
 * set columns of find_cols, then the class. */
static void find_sql(unsigned mask, char *sql, size_t size)
{
    size_t i, lead = N_FIND_COLS, n;
    const char *join = " WHERE ";
    bool class_leads;

    for (i = 0; i < N_FIND_COLS && lead == N_FIND_COLS; i++)
        if ((mask & (1u << i)) && find_cols[i].rides_on == NULL)
            lead = i;
    n = (size_t)snprintf(sql, size, "SELECT id FROM objects");
    for (i = 0; i < N_FIND_COLS; i++) {
        if (!(mask & (1u << i)))
            continue;
        n += (size_t)snprintf(sql + n, size - n, "%s%s%s = ?", join, uses_index(i, lead) ? "" : "+",
                              find_cols[i].name);
        join = " AND ";
    }
    /* The class (and is_private, its index's second column) leads only when
     * no blob column does. */
    class_leads = lead == N_FIND_COLS && (mask & FIND_CLASS);
    if (mask & FIND_CLASS) {
        n += (size_t)snprintf(sql + n, size - n, "%s%sclass = ?", join, class_leads ? "" : "+");
        join = " AND ";
    }
    if (mask & FIND_PUBLIC)
        n +=
            (size_t)snprintf(sql + n, size - n, "%s%sis_private = 0", join, class_leads ? "" : "+");
    snprintf(sql + n, size - n, " ORDER BY id");
}

static int bind_query(sqlite3_stmt *s, unsigned mask, const tsr_store_query *q)
{
    const tsr_blob *b;
    int rc = SQLITE_OK, idx = 1;
    size_t i;

    for (i = 0; i < N_FIND_COLS && rc == SQLITE_OK; i++) {
        if (!(mask & (1u << i)))
            continue;
        b = QUERY_BLOB(q, i);
        rc = tsr_sql_bind_blob(s, idx++, b->p, b->len);
    }
    if (rc == SQLITE_OK && (mask & FIND_CLASS))
        rc = sqlite3_bind_int64(s, idx, (sqlite3_int64)q->klass);
    return rc;
}

static CK_RV collect_ids(sqlite3 *db, sqlite3_stmt *s, uint64_t **ids, size_t *n)
{
    uint64_t *v = NULL, *grown;
    size_t cap = 0, len = 0;
    int rc;

    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            grown = realloc(v, cap * sizeof(*v));
            if (grown == NULL) {
                free(v);
                return CKR_HOST_MEMORY;
            }
            v = grown;
        }
        v[len++] = (uint64_t)sqlite3_column_int64(s, 0);
    }
    if (rc != SQLITE_DONE) {
        free(v);
        return tsr_sql_fail(db, rc);
    }
    *ids = v;
    *n = len;
    return CKR_OK;
}

CK_RV tsr_find_locked(sqlite3 *db, tsr_find_cache *c, const tsr_store_query *q, uint64_t **ids,
                      size_t *n)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned mask = query_mask(q);
    char sql[FIND_SQL_MAX];
    sqlite3_stmt *s;
    int rc;

    *ids = NULL;
    *n = 0;
    if (c->stmt[mask] == NULL) {
        find_sql(mask, sql, sizeof(sql));
        rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[mask], NULL);
        if (rc != SQLITE_OK)
            return tsr_sql_fail(db, rc);
    }
    s = c->stmt[mask];
    rc = bind_query(s, mask, q);
    if (rc != SQLITE_OK)
        rv = tsr_sql_fail(db, rc);
    else
        rv = collect_ids(db, s, ids, n);
    /* Reset: no read lock kept on the file, no pointer into the query. */
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rv;
}

CK_RV tsr_find_plan_locked(sqlite3 *db, const tsr_store_query *q, char **plan)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned mask = query_mask(q);
    char sql[FIND_SQL_MAX + 32] = "EXPLAIN QUERY PLAN ";
    sqlite3_str *acc = sqlite3_str_new(NULL);
    const char *text;
    sqlite3_stmt *s = NULL;
    int rc;

    *plan = NULL;
    find_sql(mask, sql + strlen(sql), FIND_SQL_MAX);
    rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = bind_query(s, mask, q);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
        sqlite3_str_appendf(acc, "%s\n", (const char *)sqlite3_column_text(s, 3));
    rv = rc == SQLITE_DONE ? CKR_OK : tsr_sql_fail(db, rc);
    sqlite3_finalize(s);
    if (rv == CKR_OK) {
        text = sqlite3_str_value(acc);
        *plan = strdup(text != NULL ? text : "");
        if (*plan == NULL)
            rv = CKR_HOST_MEMORY;
    }
    sqlite3_free(sqlite3_str_finish(acc));
    return rv;
}
