/* Key archival in CRMF PKIArchiveOptions (archive.c). */
#ifndef TSR_CLI_ARCHIVE_H
#define TSR_CLI_ARCHIVE_H

#include <openssl/crmf.h>

#include "keys.h"

/* Read the KRA certificate (its key must be RSA).  Returns an exit code. */
int cli_archive_prepare(const char *kra_path, X509 **kra);
/* On K's token: a new extractable RSA-2048 encryption key pair, its private
 * key wrapped to KRA, and the CertReqMsg (certReqId 1) for it with
 * PKIArchiveOptions and a keyEncipherment proof of possession.  Nothing is
 * left on the token on failure.  Returns an exit code. */
int cli_archive_msg(struct cli *cli, struct cli_key *k, X509 *kra, const X509_NAME *subject,
                    OSSL_CRMF_MSG **out);

/* Destroy the key pair the last cli_archive_msg made (the request failed
 * after it). */
void cli_archive_undo(struct cli_key *k);

#endif
