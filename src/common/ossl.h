/* Tessera's own OpenSSL library context, so the host application's OpenSSL
 * configuration cannot reach into the token, and the one place OpenSSL
 * errors are translated to CK_RV. */
#ifndef TSR_OSSL_H
#define TSR_OSSL_H

#include <openssl/types.h>

#include "pkcs11-3.h"

/* Creates the context (default provider) at C_Initialize; idempotent. */
CK_RV tsr_ossl_init(void);
void tsr_ossl_cleanup(void);
/* The context; tsr_ossl_init must have succeeded. */
OSSL_LIB_CTX *tsr_ossl_ctx(void);
/* Algorithms fetched once from our context and kept: fetching is a method
 * store lookup with locks, paid on every small-message operation otherwise.
 * Each returns a new reference (free it as usual), or NULL when OpenSSL has
 * no such algorithm. */
EVP_MD *tsr_ossl_md(const char *name);
EVP_CIPHER *tsr_ossl_cipher(const char *name);
EVP_MAC *tsr_ossl_mac(const char *name);

/* Logs and clears OpenSSL's error queue, returns `rv`. */
CK_RV tsr_ossl_fail(CK_RV rv);

#endif
