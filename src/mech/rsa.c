/* RSA: PKCS#1 v1.5 (CKM_RSA_PKCS and the hash-and-sign CKM_SHA*_RSA_PKCS),
 * raw CKM_RSA_X_509, PSS (CKM_RSA_PKCS_PSS and CKM_SHA*_RSA_PKCS_PSS) and
 * OAEP encryption (CKM_RSA_PKCS_OAEP).
 * Hash-and-sign mechanisms stream through EVP_DigestSign*; the raw ones
 * collect their input (a DigestInfo, a hash, a message block) and use it at
 * final. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "mech-impl.h"

/* PKCS#1 v1.5 padding takes at least 11 bytes of the block. */
#define PKCS1_OVERHEAD 11

/* The modulus, in bytes: every RSA output has exactly this length. */
static size_t modulus_len(const EVP_PKEY *pkey)
{
    int n = EVP_PKEY_get_size(pkey);

    return n > 0 ? (size_t)n : 0;
}

static CK_RV set_padding(EVP_PKEY_CTX *ctx, int padding)
{
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, padding) <= 0)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

/* --- PKCS#1 v1.5 and X.509 --- */

static CK_RV pkcs_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_PKEY_CTX *pctx = NULL;
    tsr_pk *pk;
    size_t k;

    rv = tsr_mech_no_params(mech);
    if (rv == CKR_OK)
        rv = tsr_pk_new(op, key);
    if (rv != CKR_OK)
        goto out;
    pk = op->state;
    k = op->out_len = modulus_len(pk->pkey);
    if (k <= PKCS1_OVERHEAD) {
        rv = CKR_KEY_SIZE_RANGE;
        goto out;
    }
    if (op->mech->arg != NULL) {
        /* PKCS#1 v1.5 is the padding an RSA key signs with unless told. */
        rv = tsr_pk_init_digest_kept(op, key, op->mech->arg, NULL, 0, NULL);
        goto out;
    }
    /* A ciphertext is a whole block; everything else leaves room for padding. */
    rv = tsr_pk_init_raw(op, op->kind == TSR_OP_DECRYPT ? k : k - PKCS1_OVERHEAD);
    pctx = pk->pctx;
    pk->exact_len = op->kind == TSR_OP_DECRYPT ? k : 0;
    if (rv == CKR_OK)
        rv = set_padding(pctx, RSA_PKCS1_PADDING);
out:
    return rv;
}

static CK_RV x509_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_pk *pk;

    rv = tsr_mech_no_params(mech);
    if (rv == CKR_OK)
        rv = tsr_pk_new(op, key);
    if (rv != CKR_OK)
        goto out;
    pk = op->state;
    op->out_len = modulus_len(pk->pkey);
    rv = tsr_pk_init_raw(op, op->out_len);
    if (rv != CKR_OK)
        goto out;
    /* Raw RSA works on whole blocks; shorter input is a smaller integer. */
    pk->pad_to = op->out_len;
    rv = set_padding(pk->pctx, RSA_NO_PADDING);
out:
    return rv;
}

/* --- PSS --- */

/* Checks CK_RSA_PKCS_PSS_PARAMS against the mechanism and the key. */
static CK_RV pss_params(const tsr_op *op, const CK_MECHANISM *mech, const EVP_PKEY *pkey,
                        const tsr_hash **hash, const tsr_hash **mgf, int *salt)
{
    const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;
    size_t em_len = ((size_t)EVP_PKEY_get_bits(pkey) - 1 + 7) / 8;

    if (p == NULL || mech->ulParameterLen != sizeof(*p))
        return CKR_MECHANISM_PARAM_INVALID;
    *hash = tsr_hash_by_mech(p->hashAlg);
    *mgf = tsr_hash_by_mgf(p->mgf);
    if (*hash == NULL || *mgf == NULL)
        return CKR_MECHANISM_PARAM_INVALID;
    /* The hash-and-sign mechanisms fix the hash; params must agree. */
    if (op->mech->arg != NULL && tsr_hash_by_name(op->mech->arg) != *hash)
        return CKR_MECHANISM_PARAM_INVALID;
    /* RFC 8017 9.1.1: emLen >= hLen + sLen + 2. */
    if (p->sLen > em_len || em_len - p->sLen < (*hash)->len + 2)
        return CKR_MECHANISM_PARAM_INVALID;
    *salt = (int)p->sLen;
    return CKR_OK;
}

static CK_RV pss_tune(EVP_PKEY_CTX *pctx, const char *md, const tsr_hash *mgf, int salt)
{
    OSSL_PARAM params[2] = {OSSL_PARAM_END, OSSL_PARAM_END};

    /* Raw PSS signs a hash it is given: tell OpenSSL which, without hashing. */
    if (md != NULL) {
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, (char *)md, 0);
        if (EVP_PKEY_CTX_set_params(pctx, params) != 1)
            return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    }
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf->name, NULL) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) <= 0)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

/* What a hash-and-sign PSS context is tuned with, and kept for. */
typedef struct pss_tuning {
    const tsr_hash *mgf;
    int salt;
} pss_tuning;

static CK_RV pss_tune_kept(EVP_PKEY_CTX *pctx, const void *tuning)
{
    const pss_tuning *t = tuning;

    return pss_tune(pctx, NULL, t->mgf, t->salt);
}

static CK_RV pss_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_hash *hash = NULL, *mgf = NULL;
    tsr_pk *pk;
    int salt = 0;

    rv = tsr_pk_new(op, key);
    if (rv != CKR_OK)
        goto out;
    pk = op->state;
    op->out_len = modulus_len(pk->pkey);
    rv = pss_params(op, mech, pk->pkey, &hash, &mgf, &salt);
    if (rv != CKR_OK)
        goto out;
    if (op->mech->arg != NULL) {
        pss_tuning t;

        memset(&t, 0, sizeof(t)); /* its bytes, padding too, are compared */
        t.mgf = mgf;
        t.salt = salt;
        rv = tsr_pk_init_digest_kept(op, key, hash->name, &t, sizeof(t), pss_tune_kept);
    } else {
        rv = tsr_pk_init_raw(op, hash->len);
        pk->exact_len = hash->len;
        if (rv == CKR_OK)
            rv = pss_tune(pk->pctx, hash->name, mgf, salt);
    }
out:
    return rv;
}

/* --- OAEP --- */

/* Checks CK_RSA_PKCS_OAEP_PARAMS: a hash and MGF1 hash we know, and the
 * label (CKZ_DATA_SPECIFIED; a source of 0 is taken for "no label", as
 * some callers send it). */
static CK_RV oaep_params(const CK_MECHANISM *mech, const tsr_hash **hash, const tsr_hash **mgf)
{
    const CK_RSA_PKCS_OAEP_PARAMS *p = mech->pParameter;

    if (p == NULL || mech->ulParameterLen != sizeof(*p))
        return CKR_MECHANISM_PARAM_INVALID;
    *hash = tsr_hash_by_mech(p->hashAlg);
    *mgf = tsr_hash_by_mgf(p->mgf);
    if (*hash == NULL || *mgf == NULL)
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->source != CKZ_DATA_SPECIFIED && !(p->source == 0 && p->ulSourceDataLen == 0))
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->ulSourceDataLen > 0 && p->pSourceData == NULL)
        return CKR_MECHANISM_PARAM_INVALID;
    return CKR_OK;
}

/* OpenSSL takes ownership of the label it is given. */
static CK_RV oaep_tune(EVP_PKEY_CTX *pctx, const CK_RSA_PKCS_OAEP_PARAMS *p, const tsr_hash *hash,
                       const tsr_hash *mgf)
{
    unsigned char *label = NULL;

    if (p->ulSourceDataLen > 0) {
        label = OPENSSL_memdup(p->pSourceData, p->ulSourceDataLen);
        if (label == NULL)
            return tsr_ossl_fail(CKR_HOST_MEMORY);
    }
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md_name(pctx, hash->name, NULL) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf->name, NULL) <= 0) {
        OPENSSL_free(label);
        return tsr_ossl_fail(CKR_MECHANISM_PARAM_INVALID);
    }
    if (EVP_PKEY_CTX_set0_rsa_oaep_label(pctx, label, (int)p->ulSourceDataLen) <= 0) {
        OPENSSL_free(label);
        return tsr_ossl_fail(CKR_MECHANISM_PARAM_INVALID);
    }
    return CKR_OK;
}

static CK_RV oaep_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    const tsr_hash *hash = NULL, *mgf = NULL;
    bool dec = op->kind == TSR_OP_DECRYPT;
    tsr_pk *pk;
    size_t k;

    rv = oaep_params(mech, &hash, &mgf);
    if (rv == CKR_OK)
        rv = tsr_pk_new(op, key);
    if (rv != CKR_OK)
        goto out;
    pk = op->state;
    k = op->out_len = modulus_len(pk->pkey);
    /* RFC 8017 7.1.1: a message of at most k - 2hLen - 2 bytes. */
    if (k < 2 * hash->len + 2) {
        rv = CKR_KEY_SIZE_RANGE;
        goto out;
    }
    rv = tsr_pk_init_raw(op, dec ? k : k - 2 * hash->len - 2);
    pk->exact_len = dec ? k : 0;
    if (rv == CKR_OK)
        rv = oaep_tune(pk->pctx, mech->pParameter, hash, mgf);
out:
    return rv;
}

/* --- shared ends --- */

/* Raw X.509 input must be an integer below the modulus. */
static CK_RV below_modulus(const tsr_pk *pk, CK_RV rv_if_not)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    BIGNUM *n = NULL, *m = NULL;

    if (pk->pad_to == 0) {
        rv = CKR_OK;
        goto out;
    }
    m = BN_bin2bn(pk->buf, (int)pk->len, NULL);
    if (m == NULL || !EVP_PKEY_get_bn_param(pk->pkey, OSSL_PKEY_PARAM_RSA_N, &n)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = BN_cmp(m, n) < 0 ? CKR_OK : rv_if_not;
out:
    BN_clear_free(m);
    BN_free(n);
    return rv;
}

static CK_RV rsa_crypt(tsr_op *op, unsigned char *out, size_t *out_len)
{
    tsr_pk *pk = op->state;
    int ok;

    if (op->kind == TSR_OP_ENCRYPT) {
        ok = EVP_PKEY_encrypt(pk->pctx, out, out_len, pk->buf, pk->len);
        return ok == 1 ? CKR_OK : tsr_ossl_fail(CKR_FUNCTION_FAILED);
    }
    /* A decryption fails on bad padding, the ciphertext's fault.  With
     * PKCS#1 v1.5 (and OAEP) that answer is a padding oracle: OpenSSL 3.0
     * checks the padding in constant time but has no implicit rejection, so
     * all we can do is add no work of our own that depends on the outcome:
     * the error queue is dropped unread on both paths (no logging), and the
     * one answer is CKR_ENCRYPTED_DATA_INVALID. */
    ok = EVP_PKEY_decrypt(pk->pctx, out, out_len, pk->buf, pk->len);
    ERR_clear_error();
    return ok == 1 ? CKR_OK : CKR_ENCRYPTED_DATA_INVALID;
}

static CK_RV rsa_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_pk *pk = op->state;
    bool dec = op->kind == TSR_OP_DECRYPT;

    *out_len = op->out_len;
    if (pk->buffered) {
        rv = tsr_pk_shape_input(pk, dec ? CKR_ENCRYPTED_DATA_LEN_RANGE : CKR_DATA_LEN_RANGE);
        if (rv == CKR_OK)
            rv = below_modulus(pk, dec ? CKR_ENCRYPTED_DATA_INVALID : CKR_DATA_INVALID);
        if (rv != CKR_OK)
            goto out;
    }
    if (op->kind == TSR_OP_SIGN)
        rv = tsr_pk_sign(pk, out, out_len);
    else
        rv = rsa_crypt(op, out, out_len);
out:
    return rv;
}

static CK_RV rsa_verify_final(tsr_op *op, const unsigned char *sig, size_t sig_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    tsr_pk *pk = op->state;

    if (sig_len != op->out_len) {
        rv = CKR_SIGNATURE_LEN_RANGE;
        goto out;
    }
    if (pk->buffered) {
        rv = tsr_pk_shape_input(pk, CKR_DATA_LEN_RANGE);
        if (rv != CKR_OK)
            goto out;
    }
    rv = tsr_pk_verify(pk, sig, sig_len);
out:
    return rv;
}

const tsr_mech_ops tsr_rsa_pkcs_ops = {
    .init = pkcs_init,
    .update = tsr_pk_update,
    .final = rsa_final,
    .verify_final = rsa_verify_final,
    .cleanup = tsr_pk_cleanup,
};

const tsr_mech_ops tsr_rsa_x509_ops = {
    .init = x509_init,
    .update = tsr_pk_update,
    .final = rsa_final,
    .verify_final = rsa_verify_final,
    .cleanup = tsr_pk_cleanup,
};

const tsr_mech_ops tsr_rsa_pss_ops = {
    .init = pss_init,
    .update = tsr_pk_update,
    .final = rsa_final,
    .verify_final = rsa_verify_final,
    .cleanup = tsr_pk_cleanup,
};

const tsr_mech_ops tsr_rsa_oaep_ops = {
    .init = oaep_init,
    .update = tsr_pk_update,
    .final = rsa_final,
    .cleanup = tsr_pk_cleanup,
};
