#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "secmem.h"

void tsr_free_secret(void *p, size_t n)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, n);
    free(p);
}

int tsr_secret_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void tsr_wipe(void *p, size_t n)
{
    if (p != NULL)
        OPENSSL_cleanse(p, n);
}

void *tsr_memdup(const void *p, size_t n)
{
    void *q;

    if (n == 0)
        return malloc(1); /* a valid, empty allocation */
    if (p == NULL)
        return NULL;
    q = malloc(n);
    if (q != NULL)
        memcpy(q, p, n);
    return q;
}
