/* Key derivation on OpenSSL's EVP_KDF: HKDF (CKM_HKDF_DERIVE, CKM_HKDF_DATA),
 * key derivation by digesting (CKM_SHA*_KEY_DERIVATION), PBKDF2
 * (CKM_PKCS5_PBKD2, a key generation), and the runner the X9.63 KDF of ECDH
 * shares. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "mech-impl.h"
#include "secmem.h"

/* RFC 5869: the expand step makes at most 255 blocks. */
#define HKDF_MAX_BLOCKS 255

/* PBKDF2's parameter structures differ only in how the password length is
 * given; below this a CK_ULONG is a length, never a pointer (no system maps
 * its first pages). */
#define PBKD2_MAX_PASSWORD 4096

CK_RV tsr_kdf_run(const char *name, const OSSL_PARAM *params, unsigned char *out, size_t len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_KDF *kdf = EVP_KDF_fetch(tsr_ossl_ctx(), name, NULL);
    EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;

    if (ctx == NULL) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = EVP_KDF_derive(ctx, out, len, params) == 1 ? CKR_OK : tsr_ossl_fail(CKR_FUNCTION_FAILED);
out:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rv;
}

/* A malloc'd buffer for a derived value, handed to the caller on success. */
static CK_RV take_output(unsigned char **buf, size_t len, unsigned char **out, size_t *out_len)
{
    *out = *buf;
    *out_len = len;
    *buf = NULL;
    return CKR_OK;
}

/* The base of a secret-key derivation: its value. */
static CK_RV secret_of(const tsr_key *base)
{
    if (base->klass != CKO_SECRET_KEY || (base->secret == NULL && base->secret_len > 0))
        return CKR_KEY_TYPE_INCONSISTENT;
    return CKR_OK;
}

/* --- HKDF --- */

/* Checks CK_HKDF_PARAMS.  A salt key (CKF_HKDF_SALT_KEY) names an object,
 * which the token layer has already replaced by its value (SALT_DATA). */
static CK_RV hkdf_params(const CK_MECHANISM *mech, const tsr_hash **hash)
{
    const CK_HKDF_PARAMS *p = mech->pParameter;

    if (p == NULL || mech->ulParameterLen != sizeof(*p))
        return CKR_MECHANISM_PARAM_INVALID;
    *hash = tsr_hash_by_mech(p->prfHashMechanism);
    if (*hash == NULL || (!p->bExtract && !p->bExpand))
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->bExtract && p->ulSaltType != CKF_HKDF_SALT_NULL &&
        (p->ulSaltType != CKF_HKDF_SALT_DATA || p->pSalt == NULL || p->ulSaltLen == 0))
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->bExpand && p->ulInfoLen > 0 && p->pInfo == NULL)
        return CKR_MECHANISM_PARAM_INVALID;
    return CKR_OK;
}

/* The output length: extraction alone gives the hash length; expansion as
 * much as the template asks, up to RFC 5869's limit. */
static CK_RV hkdf_length(const CK_HKDF_PARAMS *p, const tsr_hash *hash, size_t *want)
{
    if (!p->bExpand) {
        if (*want != 0 && *want != hash->len)
            return CKR_TEMPLATE_INCONSISTENT;
        *want = hash->len;
        return CKR_OK;
    }
    if (*want == 0)
        return CKR_TEMPLATE_INCOMPLETE;
    return *want <= HKDF_MAX_BLOCKS * hash->len ? CKR_OK : CKR_TEMPLATE_INCONSISTENT;
}

static int hkdf_mode(const CK_HKDF_PARAMS *p)
{
    if (p->bExtract && p->bExpand)
        return EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
    return p->bExtract ? EVP_KDF_HKDF_MODE_EXTRACT_ONLY : EVP_KDF_HKDF_MODE_EXPAND_ONLY;
}

static CK_RV hkdf_derive(const tsr_mech *m, const CK_MECHANISM *mech, const tsr_key *base,
                         size_t want, unsigned char **out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const CK_HKDF_PARAMS *p = mech->pParameter;
    const tsr_hash *hash = NULL;
    OSSL_PARAM params[6];
    unsigned char *buf = NULL;
    int mode;
    size_t n = 0;

    rv = hkdf_params(mech, &hash);
    if (rv == CKR_OK)
        rv = secret_of(base);
    if (rv == CKR_OK)
        rv = hkdf_length(p, hash, &want);
    if (rv != CKR_OK)
        return rv;
    mode = hkdf_mode(p);
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)hash->name, 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)base->secret,
                                                    base->secret_len);
    if (p->bExtract && p->ulSaltType == CKF_HKDF_SALT_DATA)
        params[n++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, p->pSalt, p->ulSaltLen);
    if (p->bExpand && p->ulInfoLen > 0)
        params[n++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, p->pInfo, p->ulInfoLen);
    params[n] = OSSL_PARAM_construct_end();
    buf = malloc(want);
    if (buf == NULL)
        return CKR_HOST_MEMORY;
    rv = tsr_kdf_run("HKDF", params, buf, want);
    if (rv == CKR_OK)
        rv = take_output(&buf, want, out, out_len);
    tsr_free_secret(buf, want);
    return rv;
}

const tsr_mech_ops tsr_hkdf_ops = {
    .derive = hkdf_derive,
};

/* --- key derivation by digesting (2.40, 2.27 and friends) --- */

/* The digest of the base key's value; a shorter key is its first bytes. */
static CK_RV keydigest_derive(const tsr_mech *m, const CK_MECHANISM *mech, const tsr_key *base,
                              size_t want, unsigned char **out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_hash *hash = tsr_hash_by_name(m->arg);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned char *buf = NULL;

    rv = tsr_mech_no_params(mech);
    if (rv == CKR_OK)
        rv = secret_of(base);
    if (rv == CKR_OK && hash == NULL)
        rv = CKR_GENERAL_ERROR;
    if (rv != CKR_OK)
        return rv;
    if (want == 0)
        want = hash->len;
    if (want > hash->len)
        return CKR_TEMPLATE_INCONSISTENT;
    if (!EVP_Q_digest(tsr_ossl_ctx(), hash->name, NULL, base->secret, base->secret_len, md, NULL)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    buf = tsr_memdup(md, want);
    rv = buf != NULL ? take_output(&buf, want, out, out_len) : CKR_HOST_MEMORY;
out:
    tsr_wipe(md, sizeof(md));
    return rv;
}

const tsr_mech_ops tsr_keydigest_ops = {
    .derive = keydigest_derive,
};

/* --- PBKDF2 --- */

static const struct {
    CK_ULONG prf;
    const char *md;
} prfs[] = {
    {CKP_PKCS5_PBKD2_HMAC_SHA1, "SHA1"},
    {CKP_PKCS5_PBKD2_HMAC_SHA224, "SHA224"},
    {CKP_PKCS5_PBKD2_HMAC_SHA256, "SHA256"},
    {CKP_PKCS5_PBKD2_HMAC_SHA384, "SHA384"},
    {CKP_PKCS5_PBKD2_HMAC_SHA512, "SHA512"},
    {CKP_PKCS5_PBKD2_HMAC_SHA512_224, "SHA512-224"},
    {CKP_PKCS5_PBKD2_HMAC_SHA512_256, "SHA512-256"},
};

/* The password length of either structure.  Where they have the same size
 * (a pointer as wide as a CK_ULONG: every LP64 and ILP32 system), the value
 * tells them apart: a small number is a length (PARAMS2), anything else the
 * address of one (2.40's PARAMS, which NSS still sends). */
static CK_RV password_len(const CK_MECHANISM *mech, size_t *len)
{
    const CK_PKCS5_PBKD2_PARAMS2 *p2 = mech->pParameter;
    const CK_PKCS5_PBKD2_PARAMS *p1 = mech->pParameter;
    bool same = sizeof(CK_PKCS5_PBKD2_PARAMS) == sizeof(CK_PKCS5_PBKD2_PARAMS2);
    bool by_value;

    if (mech->ulParameterLen == sizeof(*p2))
        by_value = !same || p2->ulPasswordLen < PBKD2_MAX_PASSWORD;
    else if (mech->ulParameterLen == sizeof(*p1))
        by_value = false;
    else
        return CKR_MECHANISM_PARAM_INVALID;
    if (by_value) {
        *len = p2->ulPasswordLen;
        return CKR_OK;
    }
    if (p1->ulPasswordLen == NULL || *p1->ulPasswordLen >= PBKD2_MAX_PASSWORD)
        return CKR_MECHANISM_PARAM_INVALID;
    *len = *p1->ulPasswordLen;
    return CKR_OK;
}

/* The PRF's digest, after the checks that do not depend on the password. */
static CK_RV pbkdf2_params(const CK_PKCS5_PBKD2_PARAMS2 *p, const char **md)
{
    size_t i, n = sizeof(prfs) / sizeof(prfs[0]);

    for (i = 0; i < n && prfs[i].prf != p->prf; i++)
        ;
    if (i == n || p->pPrfData != NULL || p->ulPrfDataLen != 0)
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->saltSource != CKZ_SALT_SPECIFIED ||
        (p->ulSaltSourceDataLen > 0 && p->pSaltSourceData == NULL))
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->iterations == 0 || p->iterations > UINT32_MAX)
        return CKR_MECHANISM_PARAM_INVALID;
    *md = prfs[i].md;
    return CKR_OK;
}

CK_RV tsr_kdf_pbkdf2(const CK_MECHANISM *mech, unsigned char *out, size_t len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const CK_PKCS5_PBKD2_PARAMS2 *p = mech->pParameter;
    const char *md = NULL;
    size_t pw_len = 0;
    uint64_t iter;
    int pkcs5 = 1; /* RFC 8018's bounds, not SP 800-132's */
    OSSL_PARAM params[6];

    if (p == NULL)
        return CKR_MECHANISM_PARAM_INVALID;
    rv = password_len(mech, &pw_len);
    if (rv == CKR_OK)
        rv = pbkdf2_params(p, &md);
    if (rv == CKR_OK && pw_len > 0 && p->pPassword == NULL)
        rv = CKR_MECHANISM_PARAM_INVALID;
    if (rv != CKR_OK)
        return rv;
    iter = p->iterations;
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, p->pPassword, pw_len);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, p->pSaltSourceData,
                                                  p->ulSaltSourceDataLen);
    params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter);
    params[3] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
    params[4] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5);
    params[5] = OSSL_PARAM_construct_end();
    return tsr_kdf_run("PBKDF2", params, out, len);
}
