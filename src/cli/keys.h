/* Token keys as OpenSSL objects: the public half read from the token, and
 * (through provider.c) EVP_PKEYs whose private operations run on the token. */
#ifndef TSR_CLI_KEYS_H
#define TSR_CLI_KEYS_H

#include <openssl/evp.h>

#include "cli.h"

/* A private key on a token, with the session it is used through. */
struct cli_key {
    struct cli_slot slot;
    CK_SESSION_HANDLE session; /* logged in; closed by cli_key_free */
    CK_OBJECT_HANDLE priv;
    CK_KEY_TYPE type;  /* CKK_RSA, CKK_EC or CKK_EC_EDWARDS */
    EVP_PKEY *pub;     /* the public half, in cli_libctx() */
    unsigned char *id; /* CKA_ID */
    CK_ULONG idlen;
    char *label;
};

/* The tool's own library context: the default provider plus the token
 * provider of provider.c.  The host's OpenSSL configuration does not reach
 * it. */
OSSL_LIB_CTX *cli_libctx(void);

/* Open the private key URI names: the one private key it matches, logged in.
 * Returns an exit code. */
int cli_key_open(struct cli *cli, const struct p11uri *uri, struct cli_key **out);
void cli_key_free(struct cli_key *k);
/* The EVP_PKEY for K whose private operations run on the token (provider.c).
 * K must outlive it.  NULL on failure (reported). */
EVP_PKEY *cli_key_pkey(struct cli_key *k);

/* Build the public key of object O (a public key, a private key with its
 * public attributes, or found via its CKA_ID) as an EVP_PKEY. */
CK_RV cli_token_pubkey(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                       CK_KEY_TYPE type, EVP_PKEY **out);
/* The CKA_ID NSS derives from a public key: SHA-1 of the RSA modulus, of the
 * raw EC point, or of the raw EdDSA key.  ID holds 20 bytes. */
int cli_pubkey_id(const EVP_PKEY *pub, unsigned char id[20]);

/* cmd-keygen.c: generate a key pair of TYPE ("rsa:2048", ...) labelled LABEL
 * on the logged-in session H, with the derived CKA_ID (in ID).  Refuses a
 * label already used; leaves nothing behind on failure. */
int cli_keygen_pair(struct cli_slot *s, CK_SESSION_HANDLE h, const char *type, const char *label,
                    bool extractable, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv,
                    unsigned char id[20]);

#endif
