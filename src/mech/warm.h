/* Keyed OpenSSL contexts kept between operations.  Setting an AES key
 * expands its round keys (and GCM's hash table); an HMAC key is hashed into
 * inner and outer pads.  A session that encrypts or MACs message after
 * message with one key pays that each time unless the keyed context of the
 * last operation is kept: a tsr_warm slot parks one, and the next operation
 * with the same algorithm, direction and key bytes takes it back and only
 * sets its IV.  The key bytes themselves are the identity (for a key pair,
 * the EVP_PKEY the entry holds a reference to), so a destroyed or replaced
 * key can never be confused with another.  The token frees every session's
 * kept contexts at logout and when a key is destroyed through it. */
#ifndef TSR_WARM_H
#define TSR_WARM_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#define TSR_WARM_KEY_MAX 64 /* longer keys are not kept */

/* One parked context and what it was keyed for. */
typedef struct tsr_warm_entry {
    const void *algo;    /* the cipher mode's name constant, or the EVP_MAC */
    const void *variant; /* a row constant that changes the keying (HMAC's digest) */
    int enc;             /* ciphers: 1 encrypt, 0 decrypt */
    EVP_CIPHER_CTX *cctx;
    EVP_MAC_CTX *mctx;
    EVP_MD_CTX *dctx; /* a hash-and-sign context just initialised, copied per op */
    EVP_PKEY *pkey;   /* the key of dctx, referenced so that its address stays its own */
    /* Settings of cctx as last set, so that unchanged ones are not set again
     * (each costs OpenSSL a parameter lookup by name). */
    int iv_len;
    int padding;
    size_t key_len;
    unsigned char key[TSR_WARM_KEY_MAX];
} tsr_warm_entry;

/* A parking place; zero-initialised is empty.  Take and park are atomic
 * exchanges, so no lock is needed around them. */
typedef struct tsr_warm {
    tsr_warm_entry *entry;
} tsr_warm;

/* The parked entry when it was keyed for `algo`, `variant`, `enc` and these
 * key bytes (compared in constant time; none for an asymmetric key, whose
 * referenced EVP_PKEY is the variant), or NULL, leaving a different one
 * parked.  `w` may be NULL. */
tsr_warm_entry *tsr_warm_take(tsr_warm *w, const void *algo, const void *variant, int enc,
                              const unsigned char *key, size_t key_len);

/* A new, empty entry that records the identity; for a key too long to keep,
 * a bare holder that is never parked.  NULL only when memory is short. */
tsr_warm_entry *tsr_warm_entry_new(const void *algo, const void *variant, int enc,
                                   const unsigned char *key, size_t key_len);

/* Parks `e` in `w` for the next operation, freeing what it replaces; with
 * `w` NULL, or an entry without identity (a bare holder), frees `e`.  NULL
 * `e` is fine. */
void tsr_warm_park(tsr_warm *w, tsr_warm_entry *e);

/* Frees the parked entry, if any (its contexts wipe their keys). */
void tsr_warm_clear(tsr_warm *w);

void tsr_warm_entry_free(tsr_warm_entry *e);

#endif
