/* Sealing of private material at rest.  A token has a random master key; it
 * is stored only wrapped under keys derived from the user and SO PINs
 * (PBKDF2-HMAC-SHA256 through EVP_KDF, salted, iteration count recorded in
 * the blob).  Private object blobs are AES-256-GCM sealed under the master key
 * with the object's id as additional data, so a blob moved to another row
 * does not open. */
#ifndef TSR_SEAL_H
#define TSR_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "pkcs11-3.h"

#define TSR_MASTER_KEY_LEN 32
/* The most PBKDF2 iterations a wrapped key may ask for: more is taken for a
 * damaged blob (CKR_DEVICE_ERROR) rather than a reason to stall C_Login. */
#define TSR_SEAL_MAX_ITERATIONS 10000000UL

/* A fresh random master key. */
CK_RV tsr_seal_new_master(unsigned char mk[TSR_MASTER_KEY_LEN]);

/* Wraps `mk` under a key derived from `pin`: *blob (malloc'd) records the
 * format version, KDF iterations, salt, nonce, ciphertext and tag.
 * Format 1, 81 bytes: 0x01 | iterations (u32 big-endian) | salt[16] |
 * nonce[12] | AES-256-GCM(mk)[32] | tag[16]; the first 21 bytes are the
 * GCM additional data.  `iterations` must be 1..TSR_SEAL_MAX_ITERATIONS,
 * else CKR_ARGUMENTS_BAD. */
CK_RV tsr_seal_wrap_master(const unsigned char mk[TSR_MASTER_KEY_LEN], const CK_UTF8CHAR *pin,
                           size_t pin_len, unsigned long iterations, unsigned char **blob,
                           size_t *blob_len);
/* Recovers the master key: CKR_PIN_INCORRECT when the PIN is wrong (the tag
 * does not verify), CKR_DEVICE_ERROR when the blob is malformed.  `mk` is
 * written only on success. */
CK_RV tsr_seal_unwrap_master(const unsigned char *blob, size_t blob_len, const CK_UTF8CHAR *pin,
                             size_t pin_len, unsigned char mk[TSR_MASTER_KEY_LEN]);

/* AES-256-GCM with a random 96-bit nonce; `aad_id` (8 bytes, big-endian) is
 * bound as additional data.  *ct (malloc'd) is nonce[12] | ciphertext |
 * tag[16], so pt_len + 28 bytes. */
CK_RV tsr_seal(const unsigned char mk[TSR_MASTER_KEY_LEN], uint64_t aad_id, const unsigned char *pt,
               size_t pt_len, unsigned char **ct, size_t *ct_len);
/* CKR_DEVICE_ERROR when the blob was altered or belongs to another id; the
 * plaintext is malloc'd, free it with tsr_free_secret. */
CK_RV tsr_unseal(const unsigned char mk[TSR_MASTER_KEY_LEN], uint64_t aad_id,
                 const unsigned char *ct, size_t ct_len, unsigned char **pt, size_t *pt_len);

#endif
