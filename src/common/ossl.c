#include <pthread.h>

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "log.h"
#include "ossl.h"

static OSSL_LIB_CTX *libctx;
static OSSL_PROVIDER *default_provider;
static pthread_mutex_t ossl_lock = PTHREAD_MUTEX_INITIALIZER;

CK_RV tsr_ossl_init(void)
{
    CK_RV rv = CKR_OK;

    pthread_mutex_lock(&ossl_lock);
    if (libctx == NULL) {
        libctx = OSSL_LIB_CTX_new();
        if (libctx != NULL)
            default_provider = OSSL_PROVIDER_load(libctx, "default");
        if (libctx == NULL || default_provider == NULL) {
            OSSL_LIB_CTX_free(libctx);
            libctx = NULL;
            rv = tsr_ossl_fail(CKR_GENERAL_ERROR);
        }
    }
    pthread_mutex_unlock(&ossl_lock);
    return rv;
}

void tsr_ossl_cleanup(void)
{
    /* The context is kept for the life of the process: EVP_PKEYs cached by
     * a later C_Initialize, and other threads still unwinding, may refer to it. */
}

OSSL_LIB_CTX *tsr_ossl_ctx(void)
{
    return libctx;
}

/* The fetch cache: entries are written once, then published by bumping
 * `cached` (release), so readers scan without a lock. */
enum fetch_kind { FETCH_MD, FETCH_CIPHER, FETCH_MAC };

static struct fetched {
    enum fetch_kind kind;
    char name[48];
    void *alg;
} cache[96];
static size_t cached;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void *lookup(enum fetch_kind kind, const char *name)
{
    size_t n = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);

    for (size_t i = 0; i < n; i++)
        if (cache[i].kind == kind && strcmp(cache[i].name, name) == 0)
            return cache[i].alg;
    return NULL;
}

static void *do_fetch(enum fetch_kind kind, const char *name)
{
    switch (kind) {
    case FETCH_MD:
        return EVP_MD_fetch(libctx, name, NULL);
    case FETCH_CIPHER:
        return EVP_CIPHER_fetch(libctx, name, NULL);
    default:
        return EVP_MAC_fetch(libctx, name, NULL);
    }
}

static int up_ref(enum fetch_kind kind, void *alg)
{
    switch (kind) {
    case FETCH_MD:
        return EVP_MD_up_ref(alg);
    case FETCH_CIPHER:
        return EVP_CIPHER_up_ref(alg);
    default:
        return EVP_MAC_up_ref(alg);
    }
}

static void *fetch(enum fetch_kind kind, const char *name)
{
    void *alg = lookup(kind, name);

    if (alg != NULL)
        return up_ref(kind, alg) ? alg : NULL;
    pthread_mutex_lock(&cache_lock);
    alg = lookup(kind, name);
    if (alg == NULL) {
        alg = do_fetch(kind, name);
        /* Kept for the life of the process, like the context it came from. */
        if (alg != NULL && cached < sizeof(cache) / sizeof(cache[0]) &&
            strlen(name) < sizeof(cache[0].name)) {
            cache[cached].kind = kind;
            strcpy(cache[cached].name, name);
            cache[cached].alg = alg;
            __atomic_store_n(&cached, cached + 1, __ATOMIC_RELEASE);
        } else {
            pthread_mutex_unlock(&cache_lock);
            return alg; /* uncached: the caller's reference is the only one */
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return alg != NULL && up_ref(kind, alg) ? alg : NULL;
}

EVP_MD *tsr_ossl_md(const char *name)
{
    return fetch(FETCH_MD, name);
}

EVP_CIPHER *tsr_ossl_cipher(const char *name)
{
    return fetch(FETCH_CIPHER, name);
}

EVP_MAC *tsr_ossl_mac(const char *name)
{
    return fetch(FETCH_MAC, name);
}

CK_RV tsr_ossl_fail(CK_RV rv)
{
    unsigned long e;
    char buf[256];

    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        tsr_log("openssl: %s", buf);
    }
    return rv;
}
