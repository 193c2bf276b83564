/* A decoy SQLite, preloaded ahead of everything as a host application's own
 * SQLite would be (Firefox's libmozsqlite3): any call that reaches it
 * instead of the system library the module bound is a bug, and aborts. */
#include <stdio.h>
#include <stdlib.h>

#define DECOY(name)                                                                                \
    __attribute__((visibility("default"))) void name(void);                                        \
    void name(void)                                                                                \
    {                                                                                              \
        fputs("decoy SQLite called: " #name "\n", stderr);                                         \
        abort();                                                                                   \
    }

/* What libsqlite3 calls most through its own PLT, and what the store calls. */
DECOY(sqlite3_free)
DECOY(sqlite3_malloc)
DECOY(sqlite3_malloc64)
DECOY(sqlite3_realloc64)
DECOY(sqlite3_mutex_enter)
DECOY(sqlite3_mutex_leave)
DECOY(sqlite3_mprintf)
DECOY(sqlite3_log)
DECOY(sqlite3_stricmp)
DECOY(sqlite3_strnicmp)
DECOY(sqlite3_value_text)
DECOY(sqlite3_value_type)
DECOY(sqlite3_str_append)
DECOY(sqlite3_str_appendf)
DECOY(sqlite3_open_v2)
DECOY(sqlite3_prepare_v2)
DECOY(sqlite3_prepare_v3)
DECOY(sqlite3_step)
DECOY(sqlite3_reset)
DECOY(sqlite3_finalize)
DECOY(sqlite3_bind_int64)
DECOY(sqlite3_bind_blob64)
DECOY(sqlite3_column_blob)
DECOY(sqlite3_exec)
DECOY(sqlite3_close)
