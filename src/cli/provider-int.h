/* The tool's OpenSSL provider, shared between its parts: provider.c (key
 * management and the provider itself), provider-sig.c (signatures) and
 * provider-cipher.c (RSA decryption).  See provider.c for the design. */
#ifndef TSR_CLI_PROVIDER_INT_H
#define TSR_CLI_PROVIDER_INT_H

#include <openssl/core_dispatch.h>
#include <openssl/evp.h>

#include "keys.h"

#define KEY_REF_PARAM "tessera-key"
#define PROPS         "provider=tessera"

enum alg { ALG_RSA, ALG_EC, ALG_ED25519 };

struct tkey {
    enum alg alg;
    EVP_PKEY *pub;       /* owned reference */
    struct cli_key *ref; /* borrowed; NULL for a public-only key */
};

#define FN(id, f)                                                                                  \
    {                                                                                              \
        id, (void (*)(void))(f)                                                                    \
    }

/* Replace *SLOT with the default provider's digest NAME; 0 when unknown. */
int cli_prov_set_md(EVP_MD **slot, const char *name);
/* The PKCS#11 hash (and MGF1, when MGF is not NULL) for an OpenSSL digest,
 * or CK_UNAVAILABLE_INFORMATION. */
CK_MECHANISM_TYPE cli_prov_ck_hash(const EVP_MD *md, CK_RSA_PKCS_MGF_TYPE *mgf);

extern const OSSL_DISPATCH cli_prov_signature_fns[];
extern const OSSL_DISPATCH cli_prov_rsa_cipher_fns[];

#endif
