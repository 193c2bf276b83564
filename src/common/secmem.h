/* Handling of secrets: wiping, freeing and comparing without leaks or timing. */
#ifndef TSR_SECMEM_H
#define TSR_SECMEM_H

#include <stddef.h>

/* OPENSSL_cleanse then free; NULL is fine. */
void tsr_free_secret(void *p, size_t n);
/* Constant-time equality of two buffers of the same length (CRYPTO_memcmp). */
int tsr_secret_equal(const void *a, const void *b, size_t n);
/* OPENSSL_cleanse. */
void tsr_wipe(void *p, size_t n);
/* malloc + memcpy; NULL on failure or when n is 0 and p is NULL. */
void *tsr_memdup(const void *p, size_t n);

#endif
