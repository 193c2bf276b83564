/* Message digests (CKM_SHA_1 ... CKM_SHA3_512), and the table of hashes the
 * signature families look up by mechanism, MGF or name. */
#include <stdlib.h>
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

/* A digest op's context lives in an entry (warm.h), so that the next
 * digest of the session takes it back instead of allocating one. */
typedef struct digest_state {
    tsr_warm_entry *e; /* e->dctx */
    tsr_warm *warm;
} digest_state;

static CK_RV digest_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_warm *warm = key != NULL ? key->warm : NULL;
    digest_state *st;
    EVP_MD *md = NULL;

    rv = tsr_mech_no_params(mech);
    if (rv != CKR_OK)
        return rv;
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return CKR_HOST_MEMORY;
    op->state = st;
    st->warm = warm;
    st->e = tsr_warm_take(warm, op->mech, NULL, 0, NULL, 0);
    if (st->e != NULL) {
        if (!EVP_DigestInit_ex2(st->e->dctx, NULL, NULL))
            goto fail;
        op->out_len = (size_t)EVP_MD_CTX_get_size(st->e->dctx);
        return CKR_OK;
    }
    st->e = tsr_warm_entry_new(op->mech, NULL, 0, NULL, 0);
    md = tsr_ossl_md(op->mech->arg);
    if (st->e == NULL || md == NULL || (st->e->dctx = EVP_MD_CTX_new()) == NULL ||
        !EVP_DigestInit_ex2(st->e->dctx, md, NULL))
        goto fail;
    op->out_len = (size_t)EVP_MD_get_size(md);
    EVP_MD_free(md);
    return CKR_OK;
fail:
    EVP_MD_free(md);
    tsr_warm_entry_free(st->e); /* never kept in an unknown state */
    st->e = NULL;
    return tsr_ossl_fail(CKR_FUNCTION_FAILED);
}

static CK_RV digest_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                           size_t *out_len)
{
    digest_state *st = op->state;

    if (!EVP_DigestUpdate(st->e->dctx, in, in_len))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

static CK_RV digest_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    digest_state *st = op->state;
    unsigned int n = 0;

    if (!EVP_DigestFinal_ex(st->e->dctx, out, &n))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    *out_len = n;
    return CKR_OK;
}

static void digest_cleanup(tsr_op *op)
{
    digest_state *st = op->state;

    if (st == NULL)
        return;
    tsr_warm_park(st->warm, st->e); /* or frees it, wiping the hash state */
    free(st);
    op->state = NULL;
}

const tsr_mech_ops tsr_digest_ops = {
    .init = digest_init,
    .update = digest_update,
    .final = digest_final,
    .cleanup = digest_cleanup,
};
