/* EdDSA (CKM_EDDSA) over Ed25519 and Ed448.  PureEdDSA needs the whole
 * message at once, so multi-part input is collected and signed at final. */
#include "mech-impl.h"

/* PKCS#11 3.0 CK_EDDSA_PARAMS, which p11-kit 0.24 lacks. */
typedef struct eddsa_params {
    CK_BBOOL phFlag;
    CK_ULONG ulContextDataLen;
    CK_BYTE_PTR pContextData;
} eddsa_params;

/* Bound on a message collected for one signature. */
#define EDDSA_MAX_INPUT (16u << 20)

/* OpenSSL 3.0 does only PureEdDSA without a context: accept no parameter,
 * or one that asks for exactly that. */
static CK_RV check_params(const CK_MECHANISM *mech)
{
    const eddsa_params *p = mech->pParameter;

    if (mech->ulParameterLen == 0)
        return CKR_OK;
    if (p == NULL || mech->ulParameterLen != sizeof(*p) || p->phFlag != CK_FALSE ||
        p->ulContextDataLen != 0)
        return CKR_MECHANISM_PARAM_INVALID;
    return CKR_OK;
}

static CK_RV eddsa_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_pk *pk;

    rv = check_params(mech);
    if (rv == CKR_OK)
        rv = tsr_pk_new(op, key);
    if (rv != CKR_OK)
        goto out;
    pk = op->state;
    if (!EVP_PKEY_is_a(pk->pkey, "ED25519") && !EVP_PKEY_is_a(pk->pkey, "ED448")) {
        rv = CKR_KEY_TYPE_INCONSISTENT;
        goto out;
    }
    op->out_len = (size_t)EVP_PKEY_get_size(pk->pkey);
    rv = tsr_pk_init_digest(op, NULL, NULL);
    if (rv == CKR_OK)
        rv = tsr_pk_set_buffered(op, EDDSA_MAX_INPUT);
out:
    return rv;
}

static CK_RV eddsa_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    *out_len = op->out_len;
    return tsr_pk_sign(op->state, out, out_len);
}

static CK_RV eddsa_verify_final(tsr_op *op, const unsigned char *sig, size_t sig_len)
{
    if (sig_len != op->out_len)
        return CKR_SIGNATURE_LEN_RANGE;
    return tsr_pk_verify(op->state, sig, sig_len);
}

const tsr_mech_ops tsr_eddsa_ops = {
    .init = eddsa_init,
    .update = tsr_pk_update,
    .final = eddsa_final,
    .verify_final = eddsa_verify_final,
    .cleanup = tsr_pk_cleanup,
};
