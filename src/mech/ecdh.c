/* ECDH key agreement: CKM_ECDH1_DERIVE on the NIST curves (and secp256k1)
 * and on X25519/X448, CKM_ECDH1_COFACTOR_DERIVE on the NIST curves.  The
 * shared secret is used raw (CKD_NULL, truncated from the leading end as the
 * specification says) or through the ANSI X9.63 KDF (CKD_SHA*_KDF). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

#include "mech-impl.h"
#include "secmem.h"

/* Bound on the peer's public data: the largest point is P-521's, 133 bytes. */
#define MAX_PUBLIC_DATA 1024

static const struct {
    CK_ULONG kdf;
    const char *md; /* NULL: the raw secret */
} kdfs[] = {
    {CKD_NULL, NULL},
    {CKD_SHA1_KDF, "SHA1"},
    {CKD_SHA224_KDF, "SHA224"},
    {CKD_SHA256_KDF, "SHA256"},
    {CKD_SHA384_KDF, "SHA384"},
    {CKD_SHA512_KDF, "SHA512"},
    {CKD_SHA3_224_KDF, "SHA3-224"},
    {CKD_SHA3_256_KDF, "SHA3-256"},
    {CKD_SHA3_384_KDF, "SHA3-384"},
    {CKD_SHA3_512_KDF, "SHA3-512"},
};

/* Checks CK_ECDH1_DERIVE_PARAMS; *md is the KDF's hash, NULL for CKD_NULL. */
static CK_RV check_params(const CK_MECHANISM *mech, const char **md)
{
    const CK_ECDH1_DERIVE_PARAMS *p = mech->pParameter;
    size_t i, n = sizeof(kdfs) / sizeof(kdfs[0]);

    if (p == NULL || mech->ulParameterLen != sizeof(*p))
        return CKR_MECHANISM_PARAM_INVALID;
    for (i = 0; i < n && kdfs[i].kdf != p->kdf; i++)
        ;
    if (i == n)
        return CKR_MECHANISM_PARAM_INVALID;
    *md = kdfs[i].md;
    /* CKD_NULL takes no shared data (3.0, 2.3.9). */
    if ((*md == NULL && p->ulSharedDataLen != 0) ||
        (p->ulSharedDataLen > 0 && p->pSharedData == NULL))
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->pPublicData == NULL || p->ulPublicDataLen == 0 || p->ulPublicDataLen > MAX_PUBLIC_DATA)
        return CKR_MECHANISM_PARAM_INVALID;
    return CKR_OK;
}

/* The peer's public key on curve `c` from pPublicData: a raw point (or
 * Montgomery u-coordinate) or the same in a DER OCTET STRING, as
 * CKA_EC_POINT.  OpenSSL refuses a Weierstrass point off the curve. */
static CK_RV peer_key(const tsr_curve *c, const CK_ECDH1_DERIVE_PARAMS *p, EVP_PKEY **peer)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const unsigned char *pt = NULL;
    size_t len = 0;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;

    if (tsr_curve_point(c, p->pPublicData, p->ulPublicDataLen, &pt, &len) != CKR_OK)
        return CKR_MECHANISM_PARAM_INVALID;
    if (c->type == CKK_EC_MONTGOMERY) {
        *peer = EVP_PKEY_new_raw_public_key_ex(tsr_ossl_ctx(), c->group, NULL, pt, len);
        return *peer != NULL ? CKR_OK : tsr_ossl_fail(CKR_MECHANISM_PARAM_INVALID);
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(tsr_ossl_ctx(), "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1) {
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    rv = EVP_PKEY_fromdata(ctx, peer, EVP_PKEY_PUBLIC_KEY, params) == 1
             ? CKR_OK
             : tsr_ossl_fail(CKR_MECHANISM_PARAM_INVALID);
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return rv;
}

/* The shared secret Z (the x-coordinate, or X25519/X448's output), malloc'd.
 * A peer key that fails validation, or a small-order Montgomery point (an
 * all-zero secret), is the parameter's fault. */
static CK_RV shared_secret(EVP_PKEY *own, EVP_PKEY *peer, bool cofactor, unsigned char **z,
                           size_t *z_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(tsr_ossl_ctx(), own, NULL);
    size_t n = 0;

    *z = NULL;
    if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
        (cofactor && EVP_PKEY_CTX_set_ecdh_cofactor_mode(ctx, 1) != 1)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) != 1 || EVP_PKEY_derive(ctx, NULL, &n) != 1 ||
        n == 0) {
        rv = tsr_ossl_fail(CKR_MECHANISM_PARAM_INVALID);
        goto out;
    }
    *z = malloc(n);
    if (*z == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    rv = EVP_PKEY_derive(ctx, *z, &n) == 1 ? CKR_OK : tsr_ossl_fail(CKR_MECHANISM_PARAM_INVALID);
    *z_len = n;
out:
    if (rv != CKR_OK) {
        tsr_free_secret(*z, n);
        *z = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return rv;
}

/* ANSI X9.63: `want` bytes from Z and the shared data. */
static CK_RV x963(const char *md, const unsigned char *z, size_t z_len,
                  const CK_ECDH1_DERIVE_PARAMS *p, size_t want, unsigned char *out)
{
    OSSL_PARAM params[4];
    size_t n = 0;

    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len);
    if (p->ulSharedDataLen > 0)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, p->pSharedData,
                                                        p->ulSharedDataLen);
    params[n] = OSSL_PARAM_construct_end();
    return tsr_kdf_run("X963KDF", params, out, want);
}

/* Turns Z into the derived value: Z's trailing `want` bytes, or the KDF's. */
static CK_RV finish(const char *md, const unsigned char *z, size_t z_len, const CK_MECHANISM *mech,
                    size_t want, unsigned char **out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char *buf = NULL;

    if (md == NULL && want == 0)
        want = z_len;
    if (md != NULL && want == 0)
        return CKR_TEMPLATE_INCOMPLETE; /* a KDF has no length of its own */
    if (md == NULL && want > z_len)
        return CKR_TEMPLATE_INCONSISTENT;
    buf = malloc(want);
    if (buf == NULL)
        return CKR_HOST_MEMORY;
    if (md == NULL) {
        memcpy(buf, z + (z_len - want), want);
        rv = CKR_OK;
    } else {
        rv = x963(md, z, z_len, mech->pParameter, want, buf);
    }
    if (rv == CKR_OK) {
        *out = buf;
        *out_len = want;
        buf = NULL;
    }
    tsr_free_secret(buf, want);
    return rv;
}

static CK_RV ecdh_derive(const tsr_mech *m, const CK_MECHANISM *mech, const tsr_key *base,
                         size_t want, unsigned char **out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const char *md = NULL;
    const tsr_curve *c;
    EVP_PKEY *peer = NULL;
    unsigned char *z = NULL;
    size_t z_len = 0;

    rv = check_params(mech, &md);
    if (rv != CKR_OK)
        goto out;
    if (base->klass != CKO_PRIVATE_KEY || base->pkey == NULL ||
        (c = tsr_curve_of_pkey(base->pkey)) == NULL || c->type != base->type) {
        rv = CKR_KEY_TYPE_INCONSISTENT;
        goto out;
    }
    rv = peer_key(c, mech->pParameter, &peer);
    if (rv == CKR_OK)
        rv = shared_secret(base->pkey, peer, m->arg != NULL, &z, &z_len);
    if (rv == CKR_OK)
        rv = finish(md, z, z_len, mech, want, out, out_len);
out:
    tsr_free_secret(z, z_len);
    EVP_PKEY_free(peer);
    return rv;
}

const tsr_mech_ops tsr_ecdh_ops = {
    .derive = ecdh_derive,
};
