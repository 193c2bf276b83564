/* Published test vectors for the asymmetric and derivation API tests, from
 * Debian's python3-cryptography-vectors (NIST CAVP KAS, RFC 5869, 6070 and
 * 7748, ANSI X9.63, PKCS #1 OAEP), read from the installed package.  Their
 * files start each record with COUNT (sometimes with a blank line after it)
 * or label hex lines with comments, which rsp.h's block reader does not
 * take.  A missing file fails the test: a known-answer test never passes
 * silently. */
#ifndef TSR_API_ASYMVEC_H
#define TSR_API_ASYMVEC_H

#include <stdbool.h>
#include <stddef.h>

/* The package's root, overridable with TESSERA_VECTORS. */
#define AV_ROOT "/usr/lib/python3/dist-packages/cryptography_vectors"

/* "KEY = value" records, one per COUNT (the NIST and RFC files).  `section`
 * is the last run of "[...]" lines before the record, without brackets,
 * joined by ';' ("SHA-1;shared secret length = 192;..."). */
#define AV_MAX_FIELDS 24
typedef struct av_record {
    char section[256];
    size_t n;
    char *key[AV_MAX_FIELDS];
    char *val[AV_MAX_FIELDS];
} av_record;

/* The value of `key`, or NULL. */
const char *av_get(const av_record *r, const char *key);

typedef void (*av_record_fn)(const av_record *r, void *arg);
/* Calls `fn` for every record of `rel` (a path below the root); returns how
 * many there were.  Fails the test when the file cannot be read. */
size_t av_each_record(const char *rel, av_record_fn fn, void *arg);

/* Files of "# Label:" lines each followed by hex (the RSA OAEP vectors).
 * `fn` gets every label with the bytes that followed it (label without "# "
 * and ":"), and every other comment line as a marker with data NULL. */
typedef void (*av_labelled_fn)(const char *label, const unsigned char *data, size_t len, void *arg);
void av_each_labelled(const char *rel, av_labelled_fn fn, void *arg);

/* Hex to bytes into a malloc'd buffer (never NULL, even for ""); an odd
 * number of digits is a number short of its leading zero.  Fails the test
 * on anything but hex digits and spaces. */
unsigned char *av_hex(const char *hex, size_t *len);

#endif
