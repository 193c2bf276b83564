/* AES-GCM and AES-CCM (CKM_AES_GCM, CKM_AES_CCM), single- and multi-part.
 *
 * GCM encryption streams: each update outputs its input's length, final the
 * tag.  GCM decryption is all or nothing: updates only collect, and final
 * releases the plaintext after the tag is checked.  CCM needs the whole
 * payload in one call to OpenSSL, so both directions collect until final;
 * its parameters announce the payload length up front, and input beyond it
 * is refused at once.
 *
 * The ciphertext of both is the encrypted data followed by the tag, as
 * PKCS#11 lays it out. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>

#include "secmem.h"
#include "sym.h"

#define GCM_IV_MAX 128 /* OpenSSL 3.0's limit; PKCS#11 allows longer */

/* CK_GCM_PARAMS as first published in 2.40, without ulIvBits: some
 * applications still pass it, and its size tells it apart. */
typedef struct gcm_params_240 {
    CK_BYTE_PTR pIv;
    CK_ULONG ulIvLen;
    CK_BYTE_PTR pAAD;
    CK_ULONG ulAADLen;
    CK_ULONG ulTagBits;
} gcm_params_240;

typedef struct aead_state {
    EVP_CIPHER_CTX *ctx;   /* GCM: keyed->cctx */
    tsr_warm_entry *keyed; /* GCM: owns ctx; parked in `warm` at the end */
    tsr_warm *warm;
    size_t tag_len;
    size_t data_len; /* CCM: the payload length the parameters announce */
    tsr_sbuf buf;    /* input kept for final (GCM decryption, CCM) */
} aead_state;

/* The parameters both modes share, read from either structure. */
typedef struct aead_params {
    const unsigned char *iv;
    size_t iv_len;
    const unsigned char *aad;
    size_t aad_len;
    size_t tag_len;
} aead_params;

static bool buf_ok(const void *p, CK_ULONG len)
{
    return len == 0 || p != NULL;
}

/* GCM tags: the lengths NIST SP 800-38D allows. */
static bool gcm_tag_ok(CK_ULONG bits)
{
    static const CK_ULONG ok[] = {32, 64, 96, 104, 112, 120, 128};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (bits == ok[i])
            return true;
    return false;
}

static CK_RV gcm_params(const CK_MECHANISM *mech, aead_params *p)
{
    CK_ULONG tag_bits;

    if (mech->pParameter == NULL)
        return CKR_MECHANISM_PARAM_INVALID;
    if (mech->ulParameterLen == sizeof(CK_GCM_PARAMS)) {
        const CK_GCM_PARAMS *g = mech->pParameter;

        *p = (aead_params){g->pIv, g->ulIvLen, g->pAAD, g->ulAADLen, 0};
        tag_bits = g->ulTagBits;
    } else if (mech->ulParameterLen == sizeof(gcm_params_240)) {
        const gcm_params_240 *g = mech->pParameter;

        *p = (aead_params){g->pIv, g->ulIvLen, g->pAAD, g->ulAADLen, 0};
        tag_bits = g->ulTagBits;
    } else {
        return CKR_MECHANISM_PARAM_INVALID;
    }
    if (p->iv == NULL || p->iv_len == 0 || p->iv_len > GCM_IV_MAX || !buf_ok(p->aad, p->aad_len) ||
        p->aad_len > INT_MAX || !gcm_tag_ok(tag_bits))
        return CKR_MECHANISM_PARAM_INVALID;
    p->tag_len = tag_bits / 8;
    return CKR_OK;
}

static CK_RV ccm_params(const CK_MECHANISM *mech, aead_params *p, size_t *data_len)
{
    const CK_CCM_PARAMS *c = mech->pParameter;
    size_t len_bytes;

    if (c == NULL || mech->ulParameterLen != sizeof(CK_CCM_PARAMS))
        return CKR_MECHANISM_PARAM_INVALID;
    *p = (aead_params){c->pNonce, c->ulNonceLen, c->pAAD, c->ulAADLen, c->ulMACLen};
    *data_len = c->ulDataLen;
    if (p->iv == NULL || p->iv_len < 7 || p->iv_len > 13 || !buf_ok(p->aad, p->aad_len) ||
        p->aad_len > INT_MAX || p->tag_len < 4 || p->tag_len > 16 || p->tag_len % 2 != 0)
        return CKR_MECHANISM_PARAM_INVALID;
    /* The payload length must fit the 15 - nonce length bytes CCM counts in. */
    len_bytes = 15 - p->iv_len;
    if (len_bytes < sizeof(size_t) && *data_len >> (8 * len_bytes) != 0)
        return CKR_MECHANISM_PARAM_INVALID;
    return CKR_OK;
}

/* CCM's context, made for each op: CCM sets its key up for the nonce and
 * tag lengths, so those come before the key; then key and nonce, the
 * payload length, then the AAD. */
static CK_RV ccm_ctx(tsr_op *op, const tsr_key *key, const aead_params *p, size_t data_len)
{
    aead_state *st = op->state;
    EVP_CIPHER *cipher = NULL;
    int enc = op->kind == TSR_OP_ENCRYPT, n = 0;
    CK_RV rv;

    rv = tsr_sym_aes_fetch(key, "CCM", &cipher);
    if (rv != CKR_OK)
        return rv;
    st->ctx = EVP_CIPHER_CTX_new();
    if (st->ctx == NULL || !EVP_CipherInit_ex2(st->ctx, cipher, NULL, NULL, enc, NULL) ||
        EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)p->iv_len, NULL) <= 0 ||
        EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_TAG, (int)p->tag_len, NULL) <= 0 ||
        !EVP_CipherInit_ex2(st->ctx, NULL, key->secret, p->iv, enc, NULL) ||
        !EVP_CipherUpdate(st->ctx, NULL, &n, NULL, (int)data_len))
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
    if (rv == CKR_OK && p->aad_len > 0 &&
        !EVP_CipherUpdate(st->ctx, NULL, &n, p->aad, (int)p->aad_len))
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
    EVP_CIPHER_free(cipher);
    return rv;
}

/* GCM's context comes keyed (perhaps kept from the last op with this key,
 * sparing the key schedule and the GHASH table): the IV length, the IV, then
 * the AAD. */
static CK_RV gcm_ctx(tsr_op *op, const tsr_key *key, const aead_params *p)
{
    aead_state *st = op->state;
    int enc = op->kind == TSR_OP_ENCRYPT, n = 0;
    CK_RV rv;

    rv = tsr_sym_keyed_ctx(op, key, "GCM", &st->keyed);
    if (rv != CKR_OK)
        return rv;
    st->warm = key->warm;
    st->ctx = st->keyed->cctx;
    if (st->keyed->iv_len != (int)p->iv_len) {
        if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)p->iv_len, NULL) <= 0)
            return tsr_ossl_fail(CKR_FUNCTION_FAILED);
        st->keyed->iv_len = (int)p->iv_len;
    }
    if (!EVP_CipherInit_ex2(st->ctx, NULL, NULL, p->iv, enc, NULL) ||
        (p->aad_len > 0 && !EVP_CipherUpdate(st->ctx, NULL, &n, p->aad, (int)p->aad_len)))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

static CK_RV aead_new(tsr_op *op, aead_state **out)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return CKR_HOST_MEMORY;
    op->state = *out;
    return CKR_OK;
}

static void aead_cleanup(tsr_op *op)
{
    aead_state *st = op->state;

    if (st == NULL)
        return;
    if (st->keyed != NULL)
        tsr_warm_park(st->warm, st->keyed); /* or frees it, wiping the key schedule */
    else
        EVP_CIPHER_CTX_free(st->ctx);
    tsr_sbuf_clear(&st->buf);
    free(st);
    op->state = NULL;
}

/* --- GCM --- */

static CK_RV gcm_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    aead_state *st;
    aead_params p;
    CK_RV rv;

    rv = gcm_params(mech, &p);
    if (rv == CKR_OK)
        rv = aead_new(op, &st);
    if (rv != CKR_OK)
        return rv;
    st->tag_len = p.tag_len;
    op->out_len = op->kind == TSR_OP_ENCRYPT ? p.tag_len : 0;
    return gcm_ctx(op, key, &p);
}

static CK_RV gcm_update_len(const tsr_op *op, size_t in_len, size_t *len)
{
    *len = op->kind == TSR_OP_ENCRYPT ? in_len : 0;
    return CKR_OK;
}

static CK_RV gcm_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                        size_t *out_len)
{
    aead_state *st = op->state;
    CK_RV rv;

    *out_len = 0;
    if (in_len > 0 && in == NULL)
        return CKR_ARGUMENTS_BAD;
    if (op->kind == TSR_OP_ENCRYPT)
        return tsr_sym_update(st->ctx, out, in, in_len, out_len);
    rv = tsr_sbuf_append(&st->buf, in, in_len);
    if (rv == CKR_OK)
        op->out_len = st->buf.len > st->tag_len ? st->buf.len - st->tag_len : 0;
    return rv;
}

static CK_RV gcm_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    aead_state *st = op->state;
    size_t n = 0, data_len;
    int last = 0;
    CK_RV rv;

    *out_len = 0;
    if (op->kind == TSR_OP_ENCRYPT) {
        if (!EVP_CipherFinal_ex(st->ctx, out, &last) || last != 0 ||
            EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_GET_TAG, (int)st->tag_len, out) <= 0)
            return tsr_ossl_fail(CKR_FUNCTION_FAILED);
        *out_len = st->tag_len;
        return CKR_OK;
    }
    if (st->buf.len < st->tag_len)
        return CKR_ENCRYPTED_DATA_LEN_RANGE;
    data_len = st->buf.len - st->tag_len;
    if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_TAG, (int)st->tag_len,
                            st->buf.p + data_len) <= 0)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    rv = tsr_sym_update(st->ctx, out, st->buf.p, data_len, &n);
    if (rv == CKR_OK && (!EVP_CipherFinal_ex(st->ctx, out + n, &last) || last != 0))
        rv = tsr_ossl_fail(CKR_ENCRYPTED_DATA_INVALID);
    if (rv != CKR_OK) {
        tsr_wipe(out, data_len); /* nothing unauthenticated leaves */
        return rv;
    }
    *out_len = n;
    return CKR_OK;
}

static CK_RV gcm_oneshot_len(const tsr_op *op, size_t in_len, size_t *len)
{
    const aead_state *st = op->state;
    size_t total = st->buf.len + in_len;

    *len = 0;
    if (op->kind == TSR_OP_ENCRYPT) {
        if (in_len > SIZE_MAX - st->tag_len)
            return CKR_DATA_LEN_RANGE;
        *len = in_len + st->tag_len;
        return CKR_OK;
    }
    if (total < in_len || total < st->tag_len)
        return CKR_ENCRYPTED_DATA_LEN_RANGE;
    *len = total - st->tag_len;
    return CKR_OK;
}

const tsr_mech_ops tsr_aes_gcm_ops = {
    .init = gcm_init,
    .update = gcm_update,
    .final = gcm_final,
    .cleanup = aead_cleanup,
    .update_len = gcm_update_len,
    .oneshot_len = gcm_oneshot_len,
};

/* --- CCM --- */

/* All the input CCM takes: the payload, and the tag when decrypting. */
static size_t ccm_input_len(const tsr_op *op)
{
    const aead_state *st = op->state;

    return st->data_len + (op->kind == TSR_OP_DECRYPT ? st->tag_len : 0);
}

static CK_RV ccm_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    aead_state *st;
    aead_params p;
    size_t data_len = 0;
    CK_RV rv;

    rv = ccm_params(mech, &p, &data_len);
    if (rv == CKR_OK && data_len > INT_MAX)
        rv = CKR_MECHANISM_PARAM_INVALID; /* beyond what OpenSSL takes in one call */
    if (rv == CKR_OK)
        rv = aead_new(op, &st);
    if (rv != CKR_OK)
        return rv;
    st->tag_len = p.tag_len;
    st->data_len = data_len;
    op->out_len = data_len + (op->kind == TSR_OP_ENCRYPT ? p.tag_len : 0);
    return ccm_ctx(op, key, &p, data_len);
}

static CK_RV ccm_update_len(const tsr_op *op, size_t in_len, size_t *len)
{
    const aead_state *st = op->state;

    *len = 0;
    if (in_len > ccm_input_len(op) - st->buf.len)
        return tsr_sym_len_error(op);
    return CKR_OK;
}

static CK_RV ccm_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                        size_t *out_len)
{
    aead_state *st = op->state;
    CK_RV rv;

    *out_len = 0;
    rv = ccm_update_len(op, in_len, out_len);
    if (rv == CKR_OK)
        rv = tsr_sbuf_append(&st->buf, in, in_len);
    return rv;
}

static CK_RV ccm_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    static const unsigned char empty[1];
    aead_state *st = op->state;
    const unsigned char *in = st->buf.len > 0 ? st->buf.p : empty;
    int n = 0, last = 0;

    *out_len = 0;
    if (st->buf.len != ccm_input_len(op))
        return tsr_sym_len_error(op);
    if (op->kind == TSR_OP_DECRYPT) {
        if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_TAG, (int)st->tag_len,
                                st->buf.p + st->data_len) <= 0)
            return tsr_ossl_fail(CKR_FUNCTION_FAILED);
        if (!EVP_CipherUpdate(st->ctx, out, &n, in, (int)st->data_len)) {
            tsr_wipe(out, st->data_len);
            return tsr_ossl_fail(CKR_ENCRYPTED_DATA_INVALID);
        }
        *out_len = st->data_len;
        return CKR_OK;
    }
    if (!EVP_CipherUpdate(st->ctx, out, &n, in, (int)st->data_len) ||
        !EVP_CipherFinal_ex(st->ctx, out + st->data_len, &last) || last != 0 ||
        EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_GET_TAG, (int)st->tag_len, out + st->data_len) <=
            0)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    *out_len = st->data_len + st->tag_len;
    return CKR_OK;
}

static CK_RV ccm_oneshot_len(const tsr_op *op, size_t in_len, size_t *len)
{
    const aead_state *st = op->state;

    *len = 0;
    if (in_len != ccm_input_len(op) - st->buf.len)
        return tsr_sym_len_error(op);
    *len = op->out_len;
    return CKR_OK;
}

const tsr_mech_ops tsr_aes_ccm_ops = {
    .init = ccm_init,
    .update = ccm_update,
    .final = ccm_final,
    .cleanup = aead_cleanup,
    .update_len = ccm_update_len,
    .oneshot_len = ccm_oneshot_len,
};
