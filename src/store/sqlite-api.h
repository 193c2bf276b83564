/* SQLite, bound explicitly.  The module must use the system's libsqlite3
 * even inside applications that bring their own (Firefox and Thunderbird
 * load libmozsqlite3, which exports the same unversioned names but not all
 * of them): ordinary linking would bind some calls to one library and some
 * to the other.  So the store resolves every function it uses with dlsym on
 * its own handle to libsqlite3.so.0, and the names below are redirected to
 * that table.  Include after <sqlite3.h>, in store files only. */
#ifndef TSR_SQLITE_API_H
#define TSR_SQLITE_API_H

#include <sqlite3.h>

#include "pkcs11-3.h"

/* Every SQLite function the store calls. */
#define TSR_SQLITE_FUNCTIONS(X)                                                                    \
    X(step)                                                                                        \
    X(column_int64)                                                                                \
    X(finalize)                                                                                    \
    X(bind_int64)                                                                                  \
    X(prepare_v2)                                                                                  \
    X(bind_text)                                                                                   \
    X(reset)                                                                                       \
    X(prepare_v3)                                                                                  \
    X(exec)                                                                                        \
    X(db_config)                                                                                   \
    X(column_text)                                                                                 \
    X(column_int)                                                                                  \
    X(clear_bindings)                                                                              \
    X(str_value)                                                                                   \
    X(str_new)                                                                                     \
    X(str_finish)                                                                                  \
    X(str_appendf)                                                                                 \
    X(open_v2)                                                                                     \
    X(get_autocommit)                                                                              \
    X(free)                                                                                        \
    X(extended_result_codes)                                                                       \
    X(errstr)                                                                                      \
    X(errmsg)                                                                                      \
    X(db_readonly)                                                                                 \
    X(column_type)                                                                                 \
    X(column_bytes)                                                                                \
    X(column_blob)                                                                                 \
    X(close)                                                                                       \
    X(changes)                                                                                     \
    X(busy_timeout)                                                                                \
    X(busy_handler)                                                                                \
    X(bind_zeroblob)                                                                               \
    X(bind_null)                                                                                   \
    X(bind_int)                                                                                    \
    X(bind_blob64)

struct tsr_sqlite_api {
#define TSR_SQLITE_MEMBER(name) __typeof__(sqlite3_##name) *name;
    TSR_SQLITE_FUNCTIONS(TSR_SQLITE_MEMBER)
#undef TSR_SQLITE_MEMBER
};

extern struct tsr_sqlite_api tsr_sqlite;

/* Loads libsqlite3.so.0 and resolves the table, once; CKR_GENERAL_ERROR
 * (logged) when the library or a function is missing. */
CK_RV tsr_sqlite_load(void);

#ifndef TSR_SQLITE_API_IMPL
#define sqlite3_step                  (tsr_sqlite.step)
#define sqlite3_column_int64          (tsr_sqlite.column_int64)
#define sqlite3_finalize              (tsr_sqlite.finalize)
#define sqlite3_bind_int64            (tsr_sqlite.bind_int64)
#define sqlite3_prepare_v2            (tsr_sqlite.prepare_v2)
#define sqlite3_bind_text             (tsr_sqlite.bind_text)
#define sqlite3_reset                 (tsr_sqlite.reset)
#define sqlite3_prepare_v3            (tsr_sqlite.prepare_v3)
#define sqlite3_exec                  (tsr_sqlite.exec)
#define sqlite3_db_config             (tsr_sqlite.db_config)
#define sqlite3_column_text           (tsr_sqlite.column_text)
#define sqlite3_column_int            (tsr_sqlite.column_int)
#define sqlite3_clear_bindings        (tsr_sqlite.clear_bindings)
#define sqlite3_str_value             (tsr_sqlite.str_value)
#define sqlite3_str_new               (tsr_sqlite.str_new)
#define sqlite3_str_finish            (tsr_sqlite.str_finish)
#define sqlite3_str_appendf           (tsr_sqlite.str_appendf)
#define sqlite3_open_v2               (tsr_sqlite.open_v2)
#define sqlite3_get_autocommit        (tsr_sqlite.get_autocommit)
#define sqlite3_free                  (tsr_sqlite.free)
#define sqlite3_extended_result_codes (tsr_sqlite.extended_result_codes)
#define sqlite3_errstr                (tsr_sqlite.errstr)
#define sqlite3_errmsg                (tsr_sqlite.errmsg)
#define sqlite3_db_readonly           (tsr_sqlite.db_readonly)
#define sqlite3_column_type           (tsr_sqlite.column_type)
#define sqlite3_column_bytes          (tsr_sqlite.column_bytes)
#define sqlite3_column_blob           (tsr_sqlite.column_blob)
#define sqlite3_close                 (tsr_sqlite.close)
#define sqlite3_changes               (tsr_sqlite.changes)
#define sqlite3_busy_timeout          (tsr_sqlite.busy_timeout)
#define sqlite3_busy_handler          (tsr_sqlite.busy_handler)
#define sqlite3_bind_zeroblob         (tsr_sqlite.bind_zeroblob)
#define sqlite3_bind_null             (tsr_sqlite.bind_null)
#define sqlite3_bind_int              (tsr_sqlite.bind_int)
#define sqlite3_bind_blob64           (tsr_sqlite.bind_blob64)
#endif

#endif
