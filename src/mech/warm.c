/* Parking of keyed contexts between operations (warm.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "secmem.h"
#include "warm.h"

static tsr_warm_entry *exchange(tsr_warm *w, tsr_warm_entry *e)
{
    return __atomic_exchange_n(&w->entry, e, __ATOMIC_ACQ_REL);
}

static bool same(const tsr_warm_entry *e, const void *algo, const void *variant, int enc,
                 const unsigned char *key, size_t key_len)
{
    return e->algo == algo && e->variant == variant && e->enc == enc && e->key_len == key_len &&
           (key_len == 0 || CRYPTO_memcmp(e->key, key, key_len) == 0);
}

tsr_warm_entry *tsr_warm_take(tsr_warm *w, const void *algo, const void *variant, int enc,
                              const unsigned char *key, size_t key_len)
{
    tsr_warm_entry *e, *none = NULL;

    if (w == NULL || algo == NULL || (key == NULL && key_len > 0) || key_len > TSR_WARM_KEY_MAX ||
        __atomic_load_n(&w->entry, __ATOMIC_ACQUIRE) == NULL)
        return NULL;
    e = exchange(w, NULL);
    if (e == NULL || same(e, algo, variant, enc, key, key_len))
        return e;
    /* Another key's context: put it back unless something was parked meanwhile. */
    if (!__atomic_compare_exchange_n(&w->entry, &none, e, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        tsr_warm_entry_free(e);
    return NULL;
}

tsr_warm_entry *tsr_warm_entry_new(const void *algo, const void *variant, int enc,
                                   const unsigned char *key, size_t key_len)
{
    tsr_warm_entry *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    if (algo == NULL || (key == NULL && key_len > 0) || key_len > TSR_WARM_KEY_MAX)
        return e; /* a bare holder: tsr_warm_park frees it */
    e->algo = algo;
    e->variant = variant;
    e->enc = enc;
    e->key_len = key_len;
    if (key_len > 0)
        memcpy(e->key, key, key_len);
    return e;
}

void tsr_warm_entry_free(tsr_warm_entry *e)
{
    if (e == NULL)
        return;
    EVP_CIPHER_CTX_free(e->cctx); /* both wipe their keyed state */
    EVP_MAC_CTX_free(e->mctx);
    EVP_MD_CTX_free(e->dctx);
    EVP_PKEY_free(e->pkey);
    tsr_free_secret(e, sizeof(*e));
}

void tsr_warm_park(tsr_warm *w, tsr_warm_entry *e)
{
    if (e == NULL)
        return;
    if (w == NULL || e->algo == NULL) {
        tsr_warm_entry_free(e);
        return;
    }
    tsr_warm_entry_free(exchange(w, e));
}

void tsr_warm_clear(tsr_warm *w)
{
    if (w != NULL)
        tsr_warm_entry_free(exchange(w, NULL));
}
