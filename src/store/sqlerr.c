/* SQLite result codes to CK_RV, as a table: the only place this happens. */
#include <stddef.h>

#include "sqlite-api.h"

#include "log.h"
#include "sqlerr.h"
#include "store-int.h"

static const struct {
    int sqlite_rc; /* primary result code */
    CK_RV rv;
} sqlerr_map[] = {
    {SQLITE_OK, CKR_OK},
    {SQLITE_ROW, CKR_OK},
    {SQLITE_DONE, CKR_OK},
    {SQLITE_NOMEM, CKR_HOST_MEMORY},
    {SQLITE_FULL, CKR_DEVICE_MEMORY},
    {SQLITE_READONLY, CKR_TOKEN_WRITE_PROTECTED},
    {SQLITE_CORRUPT, CKR_DEVICE_ERROR},
    {SQLITE_NOTADB, CKR_DEVICE_ERROR},
};

CK_RV tsr_sqlerr(int sqlite_rc)
{
    /* Extended codes (SQLITE_IOERR_WRITE...) carry the primary in the low byte. */
    int primary = sqlite_rc & 0xff;
    size_t i;

    for (i = 0; i < sizeof(sqlerr_map) / sizeof(sqlerr_map[0]); i++)
        if (sqlerr_map[i].sqlite_rc == primary)
            return sqlerr_map[i].rv;
    return CKR_DEVICE_ERROR;
}

CK_RV tsr_sql_fail(sqlite3 *db, int rc)
{
    tsr_log("sqlite: %s (%d)", db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
    return tsr_sqlerr(rc);
}

CK_RV tsr_sql_exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? CKR_OK : tsr_sql_fail(db, rc);
}
