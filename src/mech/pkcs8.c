/* Private keys as PKCS#8 PrivateKeyInfo, the plaintext of a wrapped private
 * key (3.0, 2.7: "Wrapping/unwrapping private keys"). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "mech-impl.h"
#include "secmem.h"

CK_RV tsr_mech_pkcs8_encode(EVP_PKEY *pkey, unsigned char **der, size_t *len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
    unsigned char *enc = NULL;
    int n = 0;

    *der = NULL;
    if (p8 == NULL || (n = i2d_PKCS8_PRIV_KEY_INFO(p8, &enc)) <= 0) {
        rv = tsr_ossl_fail(CKR_KEY_NOT_WRAPPABLE);
        goto out;
    }
    *der = tsr_memdup(enc, (size_t)n);
    if (*der == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    *len = (size_t)n;
    rv = CKR_OK;
out:
    OPENSSL_clear_free(enc, n > 0 ? (size_t)n : 0);
    PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key octets */
    return rv;
}

CK_RV tsr_mech_pkcs8_decode(const unsigned char *der, size_t len, CK_KEY_TYPE *type,
                            tsr_attrs *priv)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    EVP_PKEY *pkey = NULL;

    if (len == 0 || len > LONG_MAX) {
        rv = CKR_WRAPPED_KEY_INVALID;
        goto out;
    }
    /* Trailing bytes are not part of a key. */
    p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    if (p8 == NULL || p != der + len) {
        rv = tsr_ossl_fail(CKR_WRAPPED_KEY_INVALID);
        goto out;
    }
    pkey = EVP_PKCS82PKEY_ex(p8, tsr_ossl_ctx(), NULL);
    if (pkey == NULL) {
        rv = tsr_ossl_fail(CKR_WRAPPED_KEY_INVALID);
        goto out;
    }
    rv = tsr_mech_private_attrs(pkey, type, priv);
    if (rv == CKR_KEY_TYPE_INCONSISTENT)
        rv = CKR_WRAPPED_KEY_INVALID; /* RSA-PSS, DSA, explicit curves ... */
out:
    EVP_PKEY_free(pkey);
    PKCS8_PRIV_KEY_INFO_free(p8);
    return rv;
}
