/* Message digests (CKM_SHA_1 ... CKM_SHA3_512), and the table of hashes the
 * signature families look up by mechanism, MGF or name. */
#include <string.h>

#include "mech-impl.h"

static const tsr_hash hashes[] = {
    {CKM_SHA_1, CKG_MGF1_SHA1, "SHA1", 20},
    {CKM_SHA224, CKG_MGF1_SHA224, "SHA224", 28},
    {CKM_SHA256, CKG_MGF1_SHA256, "SHA256", 32},
    {CKM_SHA384, CKG_MGF1_SHA384, "SHA384", 48},
    {CKM_SHA512, CKG_MGF1_SHA512, "SHA512", 64},
    {CKM_SHA3_224, CKG_MGF1_SHA3_224, "SHA3-224", 28},
    {CKM_SHA3_256, CKG_MGF1_SHA3_256, "SHA3-256", 32},
    {CKM_SHA3_384, CKG_MGF1_SHA3_384, "SHA3-384", 48},
    {CKM_SHA3_512, CKG_MGF1_SHA3_512, "SHA3-512", 64},
};

#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

const tsr_hash *tsr_hash_by_mech(CK_MECHANISM_TYPE mech)
{
    for (size_t i = 0; i < N_HASHES; i++)
        if (hashes[i].mech == mech)
            return &hashes[i];
    return NULL;
}

const tsr_hash *tsr_hash_by_mgf(CK_RSA_PKCS_MGF_TYPE mgf)
{
    for (size_t i = 0; i < N_HASHES; i++)
        if (hashes[i].mgf == mgf)
            return &hashes[i];
    return NULL;
}

const tsr_hash *tsr_hash_by_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_HASHES; i++)
        if (strcmp(hashes[i].name, name) == 0)
            return &hashes[i];
    return NULL;
}

CK_RV tsr_mech_no_params(const CK_MECHANISM *mech)
{
    /* Only the length counts: some callers leave a stale pointer beside 0. */
    return mech->ulParameterLen == 0 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

static CK_RV digest_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_MD *md = NULL;
    EVP_MD_CTX *ctx = NULL;

    rv = tsr_mech_no_params(mech);
    if (rv != CKR_OK)
        goto out;
    md = tsr_ossl_md(op->mech->arg);
    ctx = EVP_MD_CTX_new();
    if (md == NULL || ctx == NULL || !EVP_DigestInit_ex2(ctx, md, NULL)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    op->out_len = (size_t)EVP_MD_get_size(md);
    op->state = ctx;
    ctx = NULL;
    rv = CKR_OK;
out:
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return rv;
}

static CK_RV digest_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                           size_t *out_len)
{
    if (!EVP_DigestUpdate(op->state, in, in_len))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

static CK_RV digest_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    unsigned int n = 0;

    if (!EVP_DigestFinal_ex(op->state, out, &n))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    *out_len = n;
    return CKR_OK;
}

static void digest_cleanup(tsr_op *op)
{
    EVP_MD_CTX_free(op->state); /* wipes the hash state */
    op->state = NULL;
}

const tsr_mech_ops tsr_digest_ops = {
    .init = digest_init,
    .update = digest_update,
    .final = digest_final,
    .cleanup = digest_cleanup,
};
