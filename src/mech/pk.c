/* The state every public-key family shares: the key reference, the OpenSSL
 * context, and the input buffer of mechanisms that take their whole input at
 * once (raw RSA, CKM_ECDSA, EdDSA). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "mech-impl.h"
#include "secmem.h"

typedef int (*raw_init_fn)(EVP_PKEY_CTX *ctx);

static const struct {
    tsr_op_kind kind;
    raw_init_fn init;
} raw_inits[] = {
    {TSR_OP_SIGN, EVP_PKEY_sign_init},
    {TSR_OP_VERIFY, EVP_PKEY_verify_init},
    {TSR_OP_ENCRYPT, EVP_PKEY_encrypt_init},
    {TSR_OP_DECRYPT, EVP_PKEY_decrypt_init},
};

CK_RV tsr_pk_new(tsr_op *op, const tsr_key *key)
{
    tsr_pk *pk;

    if (key == NULL)
        return CKR_ARGUMENTS_BAD;
    if (key->klass != CKO_PUBLIC_KEY && key->klass != CKO_PRIVATE_KEY)
        return CKR_KEY_TYPE_INCONSISTENT;
    if (key->pkey == NULL)
        return CKR_ARGUMENTS_BAD; /* the token always builds it for a key pair */
    /* Only a private key can sign or decrypt; either half can verify. */
    if ((op->kind == TSR_OP_SIGN || op->kind == TSR_OP_DECRYPT) && key->klass != CKO_PRIVATE_KEY)
        return CKR_KEY_TYPE_INCONSISTENT;
    pk = calloc(1, sizeof(*pk));
    if (pk == NULL)
        return CKR_HOST_MEMORY;
    if (!EVP_PKEY_up_ref(key->pkey)) {
        free(pk);
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    }
    pk->pkey = key->pkey;
    op->state = pk;
    return CKR_OK;
}

CK_RV tsr_pk_init_digest(tsr_op *op, const char *md, EVP_PKEY_CTX **pctx)
{
    tsr_pk *pk = op->state;
    EVP_PKEY_CTX *unused = NULL;
    int ok = 0;

    if (pctx == NULL)
        pctx = &unused;
    pk->mdctx = EVP_MD_CTX_new();
    if (pk->mdctx == NULL)
        return tsr_ossl_fail(CKR_HOST_MEMORY);
    if (op->kind == TSR_OP_SIGN)
        ok = EVP_DigestSignInit_ex(pk->mdctx, pctx, md, tsr_ossl_ctx(), NULL, pk->pkey, NULL);
    else if (op->kind == TSR_OP_VERIFY)
        ok = EVP_DigestVerifyInit_ex(pk->mdctx, pctx, md, tsr_ossl_ctx(), NULL, pk->pkey, NULL);
    else
        return CKR_MECHANISM_INVALID;
    if (ok != 1)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

CK_RV tsr_pk_init_digest_kept(tsr_op *op, const tsr_key *key, const char *md, const void *tuning,
                              size_t tuning_len, tsr_pk_tune_fn tune)
{
    tsr_pk *pk = op->state;
    EVP_PKEY_CTX *pctx = NULL;
    tsr_warm_entry *e;
    CK_RV rv;

    e = tsr_warm_take(key->warm, op->mech, pk->pkey, (int)op->kind, tuning, tuning_len);
    if (e != NULL) {
        pk->mdctx = EVP_MD_CTX_new();
        if (pk->mdctx != NULL && EVP_MD_CTX_copy_ex(pk->mdctx, e->dctx)) {
            tsr_warm_park(key->warm, e);
            return CKR_OK;
        }
        tsr_warm_entry_free(e);
        EVP_MD_CTX_free(pk->mdctx);
        pk->mdctx = NULL;
        ERR_clear_error();
    }
    rv = tsr_pk_init_digest(op, md, &pctx);
    if (rv == CKR_OK && tune != NULL)
        rv = tune(pctx, tuning);
    if (rv != CKR_OK || key->warm == NULL)
        return rv;
    /* Keep a pristine copy for the next op; without one, just go on. */
    e = tsr_warm_entry_new(op->mech, pk->pkey, (int)op->kind, tuning, tuning_len);
    if (e != NULL && EVP_PKEY_up_ref(pk->pkey)) {
        e->pkey = pk->pkey;
        e->dctx = EVP_MD_CTX_new();
        if (e->dctx != NULL && EVP_MD_CTX_copy_ex(e->dctx, pk->mdctx)) {
            tsr_warm_park(key->warm, e);
            return CKR_OK;
        }
    }
    tsr_warm_entry_free(e);
    ERR_clear_error();
    return CKR_OK;
}

CK_RV tsr_pk_set_buffered(tsr_op *op, size_t cap)
{
    tsr_pk *pk = op->state;

    pk->buffered = true;
    pk->cap = cap;
    return CKR_OK;
}

CK_RV tsr_pk_init_raw(tsr_op *op, size_t cap)
{
    tsr_pk *pk = op->state;
    raw_init_fn init = NULL;

    for (size_t i = 0; i < sizeof(raw_inits) / sizeof(raw_inits[0]); i++)
        if (raw_inits[i].kind == op->kind)
            init = raw_inits[i].init;
    if (init == NULL)
        return CKR_MECHANISM_INVALID;
    pk->pctx = EVP_PKEY_CTX_new_from_pkey(tsr_ossl_ctx(), pk->pkey, NULL);
    if (pk->pctx == NULL || init(pk->pctx) != 1)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return tsr_pk_set_buffered(op, cap);
}

/* Appends to the input buffer, growing it (never past cap) and wiping the
 * old copy, since it may hold plaintext. */
static CK_RV append(tsr_pk *pk, const unsigned char *in, size_t in_len)
{
    size_t want, size;
    unsigned char *p;

    if (in_len > pk->cap - pk->len)
        return CKR_DATA_LEN_RANGE;
    want = pk->len + in_len;
    if (want > pk->alloc) {
        size = want < 256 ? 256 : want;
        size = size > pk->cap / 2 ? pk->cap : size * 2;
        p = malloc(size);
        if (p == NULL)
            return CKR_HOST_MEMORY;
        if (pk->len > 0)
            memcpy(p, pk->buf, pk->len);
        tsr_free_secret(pk->buf, pk->len);
        pk->buf = p;
        pk->alloc = size;
    }
    if (in_len > 0)
        memcpy(pk->buf + pk->len, in, in_len);
    pk->len = want;
    return CKR_OK;
}

CK_RV tsr_pk_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                    size_t *out_len)
{
    tsr_pk *pk = op->state;
    int ok = 0;

    if (out_len != NULL)
        *out_len = 0; /* nothing comes out before final */
    if (in_len > 0 && in == NULL)
        return CKR_ARGUMENTS_BAD;
    if (pk->buffered)
        return append(pk, in, in_len);
    if (op->kind == TSR_OP_SIGN)
        ok = EVP_DigestSignUpdate(pk->mdctx, in, in_len);
    else if (op->kind == TSR_OP_VERIFY)
        ok = EVP_DigestVerifyUpdate(pk->mdctx, in, in_len);
    if (ok != 1)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

CK_RV tsr_pk_shape_input(tsr_pk *pk, CK_RV len_rv)
{
    unsigned char *p;

    if (pk->exact_len != 0 && pk->len != pk->exact_len)
        return len_rv;
    if (pk->pad_to == 0 || pk->len == pk->pad_to)
        return CKR_OK;
    if (pk->len > pk->pad_to)
        return len_rv;
    p = calloc(1, pk->pad_to);
    if (p == NULL)
        return CKR_HOST_MEMORY;
    if (pk->len > 0)
        memcpy(p + pk->pad_to - pk->len, pk->buf, pk->len);
    tsr_free_secret(pk->buf, pk->len);
    pk->buf = p;
    pk->len = pk->alloc = pk->pad_to;
    return CKR_OK;
}

CK_RV tsr_pk_sign(tsr_pk *pk, unsigned char *out, size_t *out_len)
{
    int ok;

    if (pk->buffered && pk->mdctx != NULL)
        ok = EVP_DigestSign(pk->mdctx, out, out_len, pk->buf, pk->len);
    else if (pk->buffered)
        ok = EVP_PKEY_sign(pk->pctx, out, out_len, pk->buf, pk->len);
    else
        ok = EVP_DigestSignFinal(pk->mdctx, out, out_len);
    if (ok != 1)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

CK_RV tsr_pk_verify(tsr_pk *pk, const unsigned char *sig, size_t sig_len)
{
    int ok;

    if (pk->buffered && pk->mdctx != NULL)
        ok = EVP_DigestVerify(pk->mdctx, sig, sig_len, pk->buf, pk->len);
    else if (pk->buffered)
        ok = EVP_PKEY_verify(pk->pctx, sig, sig_len, pk->buf, pk->len);
    else
        ok = EVP_DigestVerifyFinal(pk->mdctx, sig, sig_len);
    /* A malformed signature is reported as an error by some providers:
     * to the caller it is just as invalid. */
    if (ok != 1)
        return tsr_ossl_fail(CKR_SIGNATURE_INVALID);
    return CKR_OK;
}

void tsr_pk_cleanup(tsr_op *op)
{
    tsr_pk *pk = op->state;

    if (pk == NULL)
        return;
    EVP_MD_CTX_free(pk->mdctx);
    EVP_PKEY_CTX_free(pk->pctx);
    tsr_free_secret(pk->buf, pk->len);
    EVP_PKEY_free(pk->pkey);
    free(pk);
    op->state = NULL;
}
