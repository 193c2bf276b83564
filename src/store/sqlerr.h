/* The one place SQLite result codes become CK_RV. */
#ifndef TSR_SQLERR_H
#define TSR_SQLERR_H

#include "pkcs11-3.h"

/* SQLITE_OK/ROW/DONE -> CKR_OK, NOMEM -> CKR_HOST_MEMORY, FULL ->
 * CKR_DEVICE_MEMORY, READONLY -> CKR_TOKEN_WRITE_PROTECTED, CORRUPT/NOTADB ->
 * CKR_DEVICE_ERROR, everything else -> CKR_DEVICE_ERROR; the table is in sqlerr.c. */
CK_RV tsr_sqlerr(int sqlite_rc);

#endif
