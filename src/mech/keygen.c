/* Key generation: RSA, EC, Edwards and Montgomery key pairs, and secret
 * keys.  Each writes the generated material as PKCS#11 attributes, the form
 * the token stores and tsr_mech_pkey_from_attrs reads back. */
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "mech-impl.h"
#include "secmem.h"

#define RSA_GEN_MIN_BITS 1024
#define RSA_GEN_MAX_BITS 8192
#define GENERIC_MAX_LEN  512 /* bytes; CKM_GENERIC_SECRET_KEY_GEN's 4096 bits */

/* The template may name the key type; it must be the mechanism's. */
static CK_RV check_key_type(const tsr_attrs *tmpl, CK_KEY_TYPE type)
{
    CK_ULONG t;

    if (tmpl != NULL && tsr_attrs_get_ulong(tmpl, CKA_KEY_TYPE, &t) && t != type)
        return CKR_TEMPLATE_INCONSISTENT;
    return CKR_OK;
}

/* Copies a BIGNUM parameter of `pkey` as a big-endian attribute to `a`. */
static CK_RV put_bn(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, const EVP_PKEY *pkey, const char *name)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    BIGNUM *bn = NULL;
    unsigned char *buf = NULL;
    int len = 0;

    if (!EVP_PKEY_get_bn_param(pkey, name, &bn)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    len = BN_num_bytes(bn);
    buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    len = BN_bn2bin(bn, buf);
    rv = tsr_attrs_set(a, type, buf, (CK_ULONG)len);
out:
    tsr_free_secret(buf, len > 0 ? (size_t)len : 0);
    BN_clear_free(bn);
    return rv;
}

/* --- RSA --- */

static const struct {
    CK_ATTRIBUTE_TYPE attr;
    const char *param;
} rsa_priv_parts[] = {
    {CKA_MODULUS, OSSL_PKEY_PARAM_RSA_N},
    {CKA_PUBLIC_EXPONENT, OSSL_PKEY_PARAM_RSA_E},
    {CKA_PRIVATE_EXPONENT, OSSL_PKEY_PARAM_RSA_D},
    {CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1},
    {CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2},
    {CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2},
    {CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

/* CKA_PUBLIC_EXPONENT from the template, 65537 when absent. */
static CK_RV rsa_exponent(const tsr_attrs *tmpl, BIGNUM **e)
{
    const CK_ATTRIBUTE *at = tsr_attrs_find(tmpl, CKA_PUBLIC_EXPONENT);

    *e = BN_new();
    if (*e == NULL)
        return tsr_ossl_fail(CKR_HOST_MEMORY);
    if (at == NULL)
        return BN_set_word(*e, RSA_F4) ? CKR_OK : tsr_ossl_fail(CKR_HOST_MEMORY);
    /* Odd, above 1, and at most 64 bits, as every RSA implementation expects. */
    if (at->ulValueLen == 0 || at->ulValueLen > 8)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (BN_bin2bn(at->pValue, (int)at->ulValueLen, *e) == NULL)
        return tsr_ossl_fail(CKR_HOST_MEMORY);
    if (!BN_is_odd(*e) || BN_is_one(*e))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    return CKR_OK;
}

static CK_RV rsa_generate(const tsr_attrs *tmpl, EVP_PKEY **pkey)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *e = NULL;
    CK_ULONG bits = 0;

    if (!tsr_attrs_get_ulong(tmpl, CKA_MODULUS_BITS, &bits)) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    if (bits < RSA_GEN_MIN_BITS || bits > RSA_GEN_MAX_BITS) {
        rv = CKR_KEY_SIZE_RANGE;
        goto out;
    }
    rv = rsa_exponent(tmpl, &e);
    if (rv != CKR_OK)
        goto out;
    ctx = EVP_PKEY_CTX_new_from_name(tsr_ossl_ctx(), "RSA", NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_generate(ctx, pkey) != 1) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = CKR_OK;
out:
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);
    return rv;
}

/* Every part of an RSA private key, as attributes. */
static CK_RV rsa_private(tsr_attrs *priv, const EVP_PKEY *pkey)
{
    CK_RV rv = CKR_OK;

    for (size_t i = 0; rv == CKR_OK && i < sizeof(rsa_priv_parts) / sizeof(rsa_priv_parts[0]); i++)
        rv = put_bn(priv, rsa_priv_parts[i].attr, pkey, rsa_priv_parts[i].param);
    return rv;
}

static CK_RV rsa_pair(const tsr_attrs *tmpl, tsr_attrs *pub, tsr_attrs *priv)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_PKEY *pkey = NULL;
    CK_ULONG bits = 0;

    rv = rsa_generate(tmpl, &pkey);
    if (rv != CKR_OK)
        goto out;
    rv = rsa_private(priv, pkey);
    if (rv == CKR_OK)
        rv = put_bn(pub, CKA_MODULUS, pkey, OSSL_PKEY_PARAM_RSA_N);
    if (rv == CKR_OK)
        rv = put_bn(pub, CKA_PUBLIC_EXPONENT, pkey, OSSL_PKEY_PARAM_RSA_E);
    if (rv == CKR_OK)
        rv = tsr_mech_key_bits(pkey, &bits);
    if (rv == CKR_OK)
        rv = tsr_attrs_set_ulong(pub, CKA_MODULUS_BITS, bits);
out:
    EVP_PKEY_free(pkey);
    return rv;
}

/* --- the EC family --- */

static CK_RV ec_generate(const tsr_curve *c, EVP_PKEY **pkey)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    bool weierstrass = c->type == CKK_EC;
    EVP_PKEY_CTX *ctx =
        EVP_PKEY_CTX_new_from_name(tsr_ossl_ctx(), weierstrass ? "EC" : c->group, NULL);

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
        (weierstrass && EVP_PKEY_CTX_set_group_name(ctx, c->group) <= 0) ||
        EVP_PKEY_generate(ctx, pkey) != 1) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = CKR_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    return rv;
}

/* CKA_EC_POINT: the raw public key in a DER OCTET STRING, as NSS expects. */
static CK_RV put_point(tsr_attrs *pub, const EVP_PKEY *pkey)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char raw[160];
    unsigned char *der = NULL;
    size_t raw_len = 0, der_len = 0;

    if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, raw, sizeof(raw),
                                         &raw_len)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = tsr_curve_wrap_point(raw, raw_len, &der, &der_len);
    if (rv == CKR_OK)
        rv = tsr_attrs_set(pub, CKA_EC_POINT, der, (CK_ULONG)der_len);
out:
    free(der);
    return rv;
}

/* CKA_VALUE: the scalar (big-endian) or the raw Edwards/Montgomery key. */
static CK_RV put_private(tsr_attrs *priv, const tsr_curve *c, const EVP_PKEY *pkey)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char raw[64];
    size_t len = sizeof(raw);

    if (c->type == CKK_EC)
        return put_bn(priv, CKA_VALUE, pkey, OSSL_PKEY_PARAM_PRIV_KEY);
    if (!EVP_PKEY_get_raw_private_key(pkey, raw, &len)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = tsr_attrs_set(priv, CKA_VALUE, raw, (CK_ULONG)len);
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    return rv;
}

static CK_RV ec_pair(CK_KEY_TYPE type, const tsr_attrs *tmpl, tsr_attrs *pub, tsr_attrs *priv)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const CK_ATTRIBUTE *params = tsr_attrs_find(tmpl, CKA_EC_PARAMS);
    const tsr_curve *c = NULL;
    EVP_PKEY *pkey = NULL;

    if (params == NULL) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    rv = tsr_curve_from_params(params->pValue, params->ulValueLen, &c);
    if (rv == CKR_OK && c->type != type)
        rv = CKR_CURVE_NOT_SUPPORTED; /* e.g. Ed25519 asked of CKM_EC_KEY_PAIR_GEN */
    if (rv == CKR_OK)
        rv = ec_generate(c, &pkey);
    if (rv == CKR_OK)
        rv = tsr_attrs_set(pub, CKA_EC_PARAMS, params->pValue, params->ulValueLen);
    if (rv == CKR_OK)
        rv = put_point(pub, pkey);
    if (rv == CKR_OK)
        rv = tsr_attrs_set(priv, CKA_EC_PARAMS, params->pValue, params->ulValueLen);
    if (rv == CKR_OK)
        rv = put_private(priv, c, pkey);
out:
    EVP_PKEY_free(pkey);
    return rv;
}

CK_RV tsr_mech_private_attrs(const EVP_PKEY *pkey, CK_KEY_TYPE *type, tsr_attrs *priv)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_curve *c = NULL;

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        *type = CKK_RSA;
        rv = rsa_private(priv, pkey);
    } else if ((c = tsr_curve_of_pkey(pkey)) != NULL) {
        *type = c->type;
        rv = tsr_attrs_set(priv, CKA_EC_PARAMS, c->oid_der, (CK_ULONG)c->oid_der_len);
        if (rv == CKR_OK)
            rv = put_private(priv, c, pkey);
    } else {
        rv = CKR_KEY_TYPE_INCONSISTENT;
    }
    if (rv == CKR_OK)
        rv = tsr_attrs_set_ulong(priv, CKA_KEY_TYPE, *type);
    return rv;
}

/* --- the entry points --- */

static const struct {
    CK_MECHANISM_TYPE mech;
    CK_KEY_TYPE type;
} pair_gens[] = {
    {CKM_RSA_PKCS_KEY_PAIR_GEN, CKK_RSA},
    {CKM_EC_KEY_PAIR_GEN, CKK_EC},
    {CKM_EC_EDWARDS_KEY_PAIR_GEN, CKK_EC_EDWARDS},
    {CKM_EC_MONTGOMERY_KEY_PAIR_GEN, CKK_EC_MONTGOMERY},
};

CK_RV tsr_mech_generate_pair(const CK_MECHANISM *mech, const tsr_attrs *pub_tmpl, CK_KEY_TYPE *type,
                             tsr_attrs *pub_out, tsr_attrs *priv_out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    size_t i;

    for (i = 0; i < sizeof(pair_gens) / sizeof(pair_gens[0]); i++)
        if (pair_gens[i].mech == mech->mechanism)
            break;
    if (i == sizeof(pair_gens) / sizeof(pair_gens[0])) {
        rv = CKR_MECHANISM_INVALID;
        goto out;
    }
    rv = tsr_mech_no_params(mech);
    if (rv == CKR_OK)
        rv = check_key_type(pub_tmpl, pair_gens[i].type);
    if (rv != CKR_OK)
        goto out;
    if (pair_gens[i].type == CKK_RSA)
        rv = rsa_pair(pub_tmpl, pub_out, priv_out);
    else
        rv = ec_pair(pair_gens[i].type, pub_tmpl, pub_out, priv_out);
    if (rv == CKR_OK)
        rv = tsr_attrs_set_ulong(pub_out, CKA_KEY_TYPE, pair_gens[i].type);
    if (rv == CKR_OK)
        rv = tsr_attrs_set_ulong(priv_out, CKA_KEY_TYPE, pair_gens[i].type);
    if (rv == CKR_OK)
        *type = pair_gens[i].type;
out:
    return rv;
}

/* The lengths a secret key of each kind may have, in bytes. */
static bool secret_len_ok(CK_KEY_TYPE type, CK_ULONG len)
{
    if (type == CKK_AES)
        return len == 16 || len == 24 || len == 32;
    return len >= 1;
}

/* The key type a secret key generation makes.  PBKDF2 makes "any type of
 * secret key", so its template must say which (3.0, 2.37.4). */
static CK_RV secret_type(const CK_MECHANISM *mech, const tsr_attrs *tmpl, CK_KEY_TYPE *t)
{
    CK_ULONG given = 0;

    if (mech->mechanism == CKM_PKCS5_PBKD2) {
        if (!tsr_attrs_get_ulong(tmpl, CKA_KEY_TYPE, &given))
            return CKR_TEMPLATE_INCOMPLETE;
        if (given != CKK_AES && given != CKK_GENERIC_SECRET)
            return CKR_TEMPLATE_INCONSISTENT;
        *t = given;
        return CKR_OK;
    }
    if (mech->mechanism == CKM_AES_KEY_GEN)
        *t = CKK_AES;
    else if (mech->mechanism == CKM_GENERIC_SECRET_KEY_GEN)
        *t = CKK_GENERIC_SECRET;
    else
        return CKR_MECHANISM_INVALID;
    if (tsr_mech_no_params(mech) != CKR_OK)
        return CKR_MECHANISM_PARAM_INVALID;
    return check_key_type(tmpl, *t);
}

CK_RV tsr_mech_generate_secret(const CK_MECHANISM *mech, const tsr_attrs *tmpl, CK_KEY_TYPE *type,
                               tsr_attrs *out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    CK_KEY_TYPE t = 0;
    CK_ULONG len = 0;
    unsigned char *buf = NULL;

    rv = secret_type(mech, tmpl, &t);
    if (rv != CKR_OK)
        goto out;
    if (!tsr_attrs_get_ulong(tmpl, CKA_VALUE_LEN, &len)) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto out;
    }
    if (!secret_len_ok(t, len)) {
        rv = CKR_ATTRIBUTE_VALUE_INVALID;
        goto out;
    }
    if (len > GENERIC_MAX_LEN) {
        rv = CKR_KEY_SIZE_RANGE;
        goto out;
    }
    buf = malloc(len);
    if (buf == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    if (mech->mechanism == CKM_PKCS5_PBKD2)
        rv = tsr_kdf_pbkdf2(mech, buf, len);
    else
        rv = tsr_mech_random(buf, len);
    if (rv == CKR_OK)
        rv = tsr_attrs_set(out, CKA_VALUE, buf, len);
    if (rv == CKR_OK)
        rv = tsr_attrs_set_ulong(out, CKA_KEY_TYPE, t);
    if (rv == CKR_OK)
        *type = t;
out:
    tsr_free_secret(buf, len);
    return rv;
}
