#include <pthread.h>

#include <openssl/err.h>
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
