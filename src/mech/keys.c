/* Keys as objects describe them, made into EVP_PKEYs; the CKA_ID NSS expects;
 * key sizes; and the token's random and hash helpers. */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "mech-impl.h"
#include "secmem.h"

typedef CK_RV (*from_attrs_fn)(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, const tsr_attrs *a,
                               EVP_PKEY **out);

/* A big integer attribute as a BIGNUM (secure heap for private parts). */
static CK_RV get_bn(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type, bool secret, BIGNUM **out)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(a, type);
    BIGNUM *bn;

    *out = NULL;
    if (at == NULL)
        return CKR_TEMPLATE_INCOMPLETE;
    if (at->ulValueLen == 0 || at->ulValueLen > 0x7fffffff)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    bn = secret ? BN_secure_new() : BN_new();
    if (bn == NULL || BN_bin2bn(at->pValue, (int)at->ulValueLen, bn) == NULL) {
        BN_free(bn);
        return tsr_ossl_fail(CKR_HOST_MEMORY);
    }
    *out = bn;
    return CKR_OK;
}

/* Turns a finished OSSL_PARAM_BLD into a key of `name`. */
static CK_RV build(const char *name, OSSL_PARAM_BLD *bld, bool priv, EVP_PKEY **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(tsr_ossl_ctx(), name, NULL);

    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    if (EVP_PKEY_fromdata(ctx, out, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
        rv = tsr_ossl_fail(CKR_ATTRIBUTE_VALUE_INVALID);
        goto out;
    }
    rv = CKR_OK;
out:
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return rv;
}

/* --- RSA --- */

static const struct {
    CK_ATTRIBUTE_TYPE attr;
    const char *param;
} rsa_crt[] = {
    {CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1},
    {CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2},
    {CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2},
    {CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

#define N_CRT (sizeof(rsa_crt) / sizeof(rsa_crt[0]))

/* The CRT parts are used only when all are there and p*q is the modulus:
 * without them OpenSSL still signs, just more slowly.  OSSL_PARAM_BLD keeps
 * pointers, so crt[] must live until the key is built. */
static CK_RV rsa_push_crt(OSSL_PARAM_BLD *bld, const tsr_attrs *a, const BIGNUM *n,
                          BIGNUM *crt[N_CRT])
{
    CK_RV rv = CKR_GENERAL_ERROR;
    BIGNUM *pq = BN_new();
    BN_CTX *bnctx = BN_CTX_new_ex(tsr_ossl_ctx());

    for (size_t i = 0; i < N_CRT; i++)
        if (!tsr_attrs_has(a, rsa_crt[i].attr)) {
            rv = CKR_OK;
            goto out;
        }
    if (pq == NULL || bnctx == NULL) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    for (size_t i = 0; i < N_CRT; i++) {
        rv = get_bn(a, rsa_crt[i].attr, true, &crt[i]);
        if (rv != CKR_OK)
            goto out;
    }
    if (!BN_mul(pq, crt[0], crt[1], bnctx) || BN_cmp(pq, n) != 0) {
        rv = tsr_ossl_fail(CKR_ATTRIBUTE_VALUE_INVALID);
        goto out;
    }
    for (size_t i = 0; i < N_CRT; i++)
        if (!OSSL_PARAM_BLD_push_BN(bld, rsa_crt[i].param, crt[i])) {
            rv = tsr_ossl_fail(CKR_HOST_MEMORY);
            goto out;
        }
    rv = CKR_OK;
out:
    BN_free(pq);
    BN_CTX_free(bnctx);
    return rv;
}

static CK_RV rsa_from_attrs(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, const tsr_attrs *a,
                            EVP_PKEY **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    BIGNUM *n = NULL, *e = NULL, *d = NULL, *crt[N_CRT] = {NULL};
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool priv = klass == CKO_PRIVATE_KEY;

    if (bld == NULL) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    rv = get_bn(a, CKA_MODULUS, false, &n);
    if (rv == CKR_OK)
        rv = get_bn(a, CKA_PUBLIC_EXPONENT, false, &e);
    if (rv == CKR_OK && priv)
        rv = get_bn(a, CKA_PRIVATE_EXPONENT, true, &d);
    if (rv != CKR_OK)
        goto out;
    if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) || (d != NULL && BN_is_zero(d))) {
        rv = CKR_ATTRIBUTE_VALUE_INVALID;
        goto out;
    }
    if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        (d != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d))) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    if (priv)
        rv = rsa_push_crt(bld, a, n, crt);
    if (rv == CKR_OK)
        rv = build("RSA", bld, priv, out);
out:
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    for (size_t i = 0; i < N_CRT; i++)
        BN_clear_free(crt[i]);
    OSSL_PARAM_BLD_free(bld);
    return rv;
}

/* --- curves --- */

static CK_RV curve_of(const tsr_attrs *a, CK_KEY_TYPE type, const tsr_curve **c)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(a, CKA_EC_PARAMS);
    CK_RV rv;

    if (at == NULL)
        return CKR_TEMPLATE_INCOMPLETE;
    rv = tsr_curve_from_params(at->pValue, at->ulValueLen, c);
    if (rv == CKR_OK && (*c)->type != type)
        rv = CKR_CURVE_NOT_SUPPORTED; /* a curve of another key type */
    return rv;
}

/* The public point d*G of a private scalar, uncompressed, so that a private
 * key object alone can verify and export its public half. */
static CK_RV ec_public_of(const tsr_curve *c, const BIGNUM *d, unsigned char **pt, size_t *len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(tsr_ossl_ctx(), NULL, OBJ_sn2nid(c->group));
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    BN_CTX *bnctx = BN_CTX_new_ex(tsr_ossl_ctx());

    *pt = NULL;
    if (g == NULL || p == NULL || bnctx == NULL) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    if (BN_is_zero(d) || BN_is_negative(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
        rv = CKR_ATTRIBUTE_VALUE_INVALID;
        goto out;
    }
    if (!EC_POINT_mul(g, p, d, NULL, NULL, bnctx) ||
        (*len = EC_POINT_point2buf(g, p, POINT_CONVERSION_UNCOMPRESSED, pt, bnctx)) == 0) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = CKR_OK;
out:
    EC_POINT_free(p);
    EC_GROUP_free(g);
    BN_CTX_free(bnctx);
    return rv;
}

/* `d` and `pt` are referenced by `bld` until the key is built. */
static CK_RV ec_push_private(OSSL_PARAM_BLD *bld, const tsr_curve *c, const tsr_attrs *a,
                             BIGNUM **d, unsigned char **pt)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    size_t len = 0;

    rv = get_bn(a, CKA_VALUE, true, d);
    if (rv == CKR_OK)
        rv = ec_public_of(c, *d, pt, &len);
    if (rv != CKR_OK)
        return rv;
    if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, *d) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, *pt, len))
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
    return rv;
}

static CK_RV ec_from_attrs(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, const tsr_attrs *a,
                           EVP_PKEY **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_curve *c = NULL;
    const CK_ATTRIBUTE *at;
    const unsigned char *pt = NULL;
    size_t len = 0;
    BIGNUM *d = NULL;
    unsigned char *derived = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool priv = klass == CKO_PRIVATE_KEY;

    if (bld == NULL) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    rv = curve_of(a, type, &c);
    if (rv != CKR_OK)
        goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->group, 0)) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    if (priv) {
        rv = ec_push_private(bld, c, a, &d, &derived);
    } else if ((at = tsr_attrs_find(a, CKA_EC_POINT)) == NULL) {
        rv = CKR_TEMPLATE_INCOMPLETE;
    } else {
        rv = tsr_curve_point(c, at->pValue, at->ulValueLen, &pt, &len);
        if (rv == CKR_OK &&
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len))
            rv = tsr_ossl_fail(CKR_HOST_MEMORY);
    }
    if (rv == CKR_OK)
        rv = build("EC", bld, priv, out);
out:
    BN_clear_free(d);
    OPENSSL_free(derived);
    OSSL_PARAM_BLD_free(bld);
    return rv;
}

/* Edwards and Montgomery keys are raw byte strings in OpenSSL too. */
static CK_RV ecx_from_attrs(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, const tsr_attrs *a,
                            EVP_PKEY **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_curve *c = NULL;
    const CK_ATTRIBUTE *at;
    const unsigned char *pt = NULL;
    size_t len = 0;
    OSSL_LIB_CTX *ctx = tsr_ossl_ctx();

    rv = curve_of(a, type, &c);
    if (rv != CKR_OK)
        goto out;
    at = tsr_attrs_find(a, klass == CKO_PRIVATE_KEY ? CKA_VALUE : CKA_EC_POINT);
    if (at == NULL) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    if (klass == CKO_PRIVATE_KEY) {
        if (at->ulValueLen != c->priv_len) {
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
            goto out;
        }
        *out = EVP_PKEY_new_raw_private_key_ex(ctx, c->group, NULL, at->pValue, at->ulValueLen);
    } else {
        rv = tsr_curve_point(c, at->pValue, at->ulValueLen, &pt, &len);
        if (rv != CKR_OK)
            goto out;
        *out = EVP_PKEY_new_raw_public_key_ex(ctx, c->group, NULL, pt, len);
    }
    rv = *out != NULL ? CKR_OK : tsr_ossl_fail(CKR_ATTRIBUTE_VALUE_INVALID);
out:
    return rv;
}

static const struct {
    CK_KEY_TYPE type;
    from_attrs_fn fn;
} importers[] = {
    {CKK_RSA, rsa_from_attrs},
    {CKK_EC, ec_from_attrs},
    {CKK_EC_EDWARDS, ecx_from_attrs},
    {CKK_EC_MONTGOMERY, ecx_from_attrs},
};

CK_RV tsr_mech_pkey_from_attrs(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, const tsr_attrs *a,
                               EVP_PKEY **out)
{
    *out = NULL;
    if (klass != CKO_PUBLIC_KEY && klass != CKO_PRIVATE_KEY)
        return CKR_ARGUMENTS_BAD;
    for (size_t i = 0; i < sizeof(importers) / sizeof(importers[0]); i++)
        if (importers[i].type == type)
            return importers[i].fn(klass, type, a, out);
    return CKR_KEY_TYPE_INCONSISTENT;
}

/* --- identities and sizes --- */

/* The raw public point of an EC-family public key's CKA_EC_POINT. */
static CK_RV raw_point(const tsr_attrs *pub, const unsigned char **pt, size_t *len)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(pub, CKA_EC_POINT);
    const CK_ATTRIBUTE *params = tsr_attrs_find(pub, CKA_EC_PARAMS);
    const tsr_curve *c = NULL;

    if (at == NULL)
        return CKR_TEMPLATE_INCOMPLETE;
    if (params != NULL && tsr_curve_from_params(params->pValue, params->ulValueLen, &c) == CKR_OK)
        return tsr_curve_point(c, at->pValue, at->ulValueLen, pt, len);
    /* Without a known curve, the DER wrapping is the best guess. */
    if (!tsr_der_unwrap(0x04, at->pValue, at->ulValueLen, pt, len)) {
        *pt = at->pValue;
        *len = at->ulValueLen;
    }
    return CKR_OK;
}

CK_RV tsr_mech_key_id(CK_KEY_TYPE type, const tsr_attrs *pub, unsigned char id[20])
{
    const CK_ATTRIBUTE *at;
    const unsigned char *p = NULL;
    size_t len = 0;
    CK_RV rv;

    if (type == CKK_RSA) {
        at = tsr_attrs_find(pub, CKA_MODULUS);
        if (at == NULL)
            return CKR_TEMPLATE_INCOMPLETE;
        p = at->pValue;
        len = at->ulValueLen;
        while (len > 1 && *p == 0) { /* as NSS: the integer, not its encoding */
            p++;
            len--;
        }
    } else if (type == CKK_EC || type == CKK_EC_EDWARDS || type == CKK_EC_MONTGOMERY) {
        rv = raw_point(pub, &p, &len);
        if (rv != CKR_OK)
            return rv;
    } else {
        return CKR_KEY_TYPE_INCONSISTENT;
    }
    return tsr_mech_sha1(p, len, id);
}

/* Field sizes of the curves whose OpenSSL "bits" mean something else. */
static const struct {
    const char *name;
    CK_ULONG bits;
} ecx_bits[] = {
    {"ED25519", 255},
    {"ED448", 448},
    {"X25519", 255},
    {"X448", 448},
};

CK_RV tsr_mech_key_bits(const EVP_PKEY *pkey, CK_ULONG *bits)
{
    int b;

    for (size_t i = 0; i < sizeof(ecx_bits) / sizeof(ecx_bits[0]); i++)
        if (EVP_PKEY_is_a(pkey, ecx_bits[i].name)) {
            *bits = ecx_bits[i].bits;
            return CKR_OK;
        }
    b = EVP_PKEY_get_bits(pkey);
    if (b <= 0)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    *bits = (CK_ULONG)b;
    return CKR_OK;
}

/* --- helpers --- */

CK_RV tsr_mech_random(unsigned char *out, size_t len)
{
    if (len == 0)
        return CKR_OK;
    if (RAND_priv_bytes_ex(tsr_ossl_ctx(), out, len, 0) != 1)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

static CK_RV hash(const char *name, const void *in, size_t len, unsigned char *out)
{
    if (!EVP_Q_digest(tsr_ossl_ctx(), name, NULL, in, len, out, NULL))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

CK_RV tsr_mech_sha256(const void *in, size_t len, unsigned char out[32])
{
    return hash("SHA256", in, len, out);
}

CK_RV tsr_mech_sha1(const void *in, size_t len, unsigned char out[20])
{
    return hash("SHA1", in, len, out);
}
