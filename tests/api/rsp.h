/* Published test vectors for the symmetric API tests: NIST CAVP response
 * files (.rsp) and the RFC/NIST text files of the same `NAME = value` shape,
 * as Debian's python3-cryptography-vectors installs them.
 *
 * A file is a run of blocks separated by blank lines, with [section] headers
 * between them.  A block that holds the record field the caller names
 * ("COUNT", "MD", ...) is a record; the others (a CCM key and nonce, a
 * file-wide "Tlen = 16") and the [NAME = value, ...] headers are context
 * that the records after them see.  Names compare case-insensitively. */
#ifndef TSR_API_RSP_H
#define TSR_API_RSP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rsp_file rsp_file;

/* The vector directory: $TESSERA_VECTORS, else the installed
 * cryptography_vectors package.  Fails the test with a clear message when
 * there is none (the package is a test dependency, never optional). */
const char *rsp_dir(void);

/* Opens `rel` (e.g. "ciphers/AES/CBC/CBCMMT128.rsp") under rsp_dir();
 * fails the test when it is missing. */
rsp_file *rsp_open(const char *rel);
void rsp_close(rsp_file *f);

/* Advances to the next record; false at the end. */
bool rsp_next(rsp_file *f, const char *record_field);

/* A number that changes with every header and context block: records with
 * the same number share their parameters. */
unsigned rsp_group(const rsp_file *f);
/* Whether the record or its context has `name` (a bare word such as FAIL
 * counts, with an empty value). */
bool rsp_has(const rsp_file *f, const char *name);
/* Its value as text ("" when absent), as a number (fails when absent), and
 * as bytes from hex into a malloc'd buffer (NULL and 0 for an empty value);
 * the test fails when it is absent or not hex. */
const char *rsp_str(const rsp_file *f, const char *name);
unsigned long rsp_num(const rsp_file *f, const char *name);
size_t rsp_hex(const rsp_file *f, const char *name, unsigned char **out);

/* Hex digits to bytes, for literals in tests; returns the length. */
size_t rsp_unhex(const char *hex, unsigned char *out, size_t cap);

#endif
