/* Certificates in files and on tokens. */
#ifndef TSR_CLI_CERTS_H
#define TSR_CLI_CERTS_H

#include <openssl/x509.h>

#include "keys.h"

/* Append the certificates of a PEM, DER or PKCS#7 (PEM or DER) file to OUT.
 * A file with none is an input error.  Returns an exit code. */
int cli_certs_read(const char *path, STACK_OF(X509) * out);
/* The certificate object O as an X509, or NULL. */
X509 *cli_cert_from_token(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o);
/* The key's certificate (same CKA_ID, and checked to match) and the issuers
 * above it that the token holds.  Returns an exit code. */
int cli_key_chain(struct cli_key *k, X509 **cert, STACK_OF(X509) * chain);
/* The subject's CN (else the whole subject), malloc'd. */
char *cli_cert_cn(X509 *x);

/* cmd-import.c: store CERT (a user certificate, with the key's ID and LABEL)
 * and the CA certificates of CHAIN on SLOT's token. */
int cli_store_certs(struct cli *cli, struct cli_slot *slot, const unsigned char *id,
                    const char *label, X509 *cert, STACK_OF(X509) * chain);
/* cmd-import-p12.c: import a PKCS#12 file onto the token URI names. */
int cli_import_p12(struct cli *cli, const struct p11uri *uri, const char *path, const char *label,
                   const char *passfile);

#endif
