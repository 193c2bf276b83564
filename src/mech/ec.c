/* ECDSA: CKM_ECDSA (the input is a hash) and the hash-and-sign
 * CKM_ECDSA_SHA*.  PKCS#11 signatures are raw r||s, each half padded to the
 * group order's length; OpenSSL speaks DER, so both ends convert. */
#include <stdlib.h>

#include <openssl/ec.h>

#include "mech-impl.h"
#include "secmem.h"

/* The group order in bytes: half a signature. */
static size_t order_len(const tsr_op *op)
{
    return op->out_len / 2;
}

static CK_RV ecdsa_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_pk *pk;

    rv = tsr_mech_no_params(mech);
    if (rv == CKR_OK)
        rv = tsr_pk_new(op, key);
    if (rv != CKR_OK)
        goto out;
    pk = op->state;
    if (!EVP_PKEY_is_a(pk->pkey, "EC")) {
        rv = CKR_KEY_TYPE_INCONSISTENT;
        goto out;
    }
    op->out_len = 2 * (((size_t)EVP_PKEY_get_bits(pk->pkey) + 7) / 8);
    if (op->mech->arg != NULL)
        rv = tsr_pk_init_digest_kept(op, key, op->mech->arg, NULL, 0, NULL);
    else
        rv = tsr_pk_init_raw(op, EVP_MAX_MD_SIZE); /* the input is a hash */
out:
    return rv;
}

static CK_RV ecdsa_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_pk *pk = op->state;
    size_t olen = order_len(op);
    size_t der_len = (size_t)EVP_PKEY_get_size(pk->pkey);
    unsigned char *der = malloc(der_len);
    const unsigned char *p = der;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *sig = NULL;

    if (der == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    rv = tsr_pk_sign(pk, der, &der_len);
    if (rv != CKR_OK)
        goto out;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig == NULL) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, out, (int)olen) < 0 || BN_bn2binpad(s, out + olen, (int)olen) < 0) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    *out_len = 2 * olen;
    rv = CKR_OK;
out:
    ECDSA_SIG_free(sig);
    free(der);
    return rv;
}

/* r||s -> DER, for OpenSSL's verifier. */
static CK_RV raw_to_der(const unsigned char *raw, size_t olen, unsigned char **der, int *der_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)olen, NULL);
    BIGNUM *s = BN_bin2bn(raw + olen, (int)olen, NULL);

    if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        rv = tsr_ossl_fail(CKR_HOST_MEMORY);
        goto out;
    }
    *der = NULL;
    *der_len = i2d_ECDSA_SIG(sig, der);
    rv = *der_len > 0 ? CKR_OK : tsr_ossl_fail(CKR_FUNCTION_FAILED);
out:
    ECDSA_SIG_free(sig);
    return rv;
}

static CK_RV ecdsa_verify_final(tsr_op *op, const unsigned char *sig, size_t sig_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char *der = NULL;
    int der_len = 0;

    if (sig_len != op->out_len) {
        rv = CKR_SIGNATURE_LEN_RANGE;
        goto out;
    }
    rv = raw_to_der(sig, order_len(op), &der, &der_len);
    if (rv == CKR_OK)
        rv = tsr_pk_verify(op->state, der, (size_t)der_len);
out:
    OPENSSL_free(der);
    return rv;
}

const tsr_mech_ops tsr_ecdsa_ops = {
    .init = ecdsa_init,
    .update = tsr_pk_update,
    .final = ecdsa_final,
    .verify_final = ecdsa_verify_final,
    .cleanup = tsr_pk_cleanup,
};
