/* AES block modes: CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD, CKM_AES_CTR
 * and CKM_AES_CTS, single- and multi-part.
 *
 * OpenSSL's own buffering only promises bounds, so the family keeps the
 * input that cannot be processed yet itself and gives EVP whole blocks:
 * every update then outputs exactly what update_len said.  What is kept:
 *  - ECB, CBC, CBC_PAD encryption: the partial last block;
 *  - CBC_PAD decryption: the last block, whole or not (it holds the padding,
 *    which EVP removes at final);
 *  - CTS: the last 17 to 32 bytes, which ciphertext stealing works on; the
 *    blocks before go through plain CBC, which CTS equals there.
 * CTR is a stream and keeps nothing.
 *
 * CKM_AES_CTS is CBC-CS1 of the NIST SP 800-38A addendum, the variant NSS's
 * softoken implements (PKCS#11 names no variant); OpenSSL's CTS ciphers work
 * one-shot only, hence the CBC prefix. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>

#include "secmem.h"
#include "sym.h"

#define BLOCK TSR_AES_BLOCK

typedef enum aes_keep { KEEP_NONE, KEEP_PARTIAL, KEEP_LAST_BLOCK, KEEP_CTS } aes_keep;

typedef struct aes_mode {
    CK_MECHANISM_TYPE mech;
    const char *cipher; /* OpenSSL mode */
    size_t param_len;   /* the parameter's exact length */
    bool whole;         /* input must be whole blocks */
    bool pad;           /* PKCS#7 padding */
    aes_keep keep_enc;  /* what update keeps back when encrypting */
    aes_keep keep_dec;  /* ... and decrypting */
} aes_mode;

static const aes_mode modes[] = {
    {CKM_AES_ECB, "ECB", 0, true, false, KEEP_PARTIAL, KEEP_PARTIAL},
    {CKM_AES_CBC, "CBC", BLOCK, true, false, KEEP_PARTIAL, KEEP_PARTIAL},
    {CKM_AES_CBC_PAD, "CBC", BLOCK, false, true, KEEP_PARTIAL, KEEP_LAST_BLOCK},
    {CKM_AES_CTR, "CTR", sizeof(CK_AES_CTR_PARAMS), false, false, KEEP_NONE, KEEP_NONE},
    {CKM_AES_CTS, "CBC", BLOCK, false, false, KEEP_CTS, KEEP_CTS},
};

typedef struct aes_state {
    const aes_mode *mode;
    aes_keep keep;
    EVP_CIPHER_CTX *ctx;   /* keyed->cctx */
    tsr_warm_entry *keyed; /* owns ctx; parked in `warm` at the end */
    tsr_warm *warm;
    EVP_CIPHER_CTX *tail;          /* CTS: CBC-CS1 for the last bytes */
    unsigned char part[2 * BLOCK]; /* input not given to ctx yet */
    size_t part_len;
    uint64_t ctr_blocks; /* CTR: blocks before the counter wraps (0: no limit) */
    uint64_t ctr_done;   /* CTR: bytes processed */
} aes_state;

static const aes_mode *mode_of(CK_MECHANISM_TYPE type)
{
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (modes[i].mech == type)
            return &modes[i];
    return NULL;
}

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* How many blocks CK_AES_CTR_PARAMS' counter (its low ulCounterBits bits)
 * takes before it wraps, which would change the nonce part; 0 when that is
 * 2^64 or more (beyond reach).  The whole block as counter wraps as OpenSSL's. */
static CK_RV ctr_room(const CK_AES_CTR_PARAMS *p, uint64_t *blocks)
{
    CK_ULONG bits = p->ulCounterBits;
    uint64_t hi = be64(p->cb), lo = be64(p->cb + 8), hmask;

    *blocks = 0;
    if (bits == 0 || bits > 128)
        return CKR_MECHANISM_PARAM_INVALID;
    if (bits < 64) {
        lo &= ((uint64_t)1 << bits) - 1;
        *blocks = ((uint64_t)1 << bits) - lo;
    } else if (bits < 128) {
        hmask = bits == 64 ? 0 : ((uint64_t)1 << (bits - 64)) - 1;
        if ((hi & hmask) == hmask && lo != 0)
            *blocks = (uint64_t)0 - lo; /* 2^64 - lo */
    }
    return CKR_OK;
}

/* The initial counter block or IV from the mechanism parameter. */
static CK_RV read_params(tsr_op *op, const CK_MECHANISM *mech, const unsigned char **iv)
{
    aes_state *st = op->state;
    const aes_mode *m = st->mode;

    *iv = NULL;
    if (mech->ulParameterLen != m->param_len || (m->param_len > 0 && mech->pParameter == NULL))
        return CKR_MECHANISM_PARAM_INVALID;
    if (m->mech == CKM_AES_CTR) {
        const CK_AES_CTR_PARAMS *p = mech->pParameter;

        *iv = p->cb;
        return ctr_room(p, &st->ctr_blocks);
    }
    if (m->param_len > 0)
        *iv = mech->pParameter;
    return CKR_OK;
}

static CK_RV aes_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    aes_state *st;
    const unsigned char *iv = NULL;
    int pad;
    OSSL_PARAM cs1[] = {
        OSSL_PARAM_utf8_string(OSSL_CIPHER_PARAM_CTS_MODE, (char *)"CS1", 0),
        OSSL_PARAM_END,
    };

    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return CKR_HOST_MEMORY;
    op->state = st;
    st->mode = mode_of(mech->mechanism);
    if (st->mode == NULL)
        return CKR_MECHANISM_INVALID;
    st->keep = op->kind == TSR_OP_ENCRYPT ? st->mode->keep_enc : st->mode->keep_dec;
    rv = read_params(op, mech, &iv);
    if (rv == CKR_OK)
        rv = tsr_sym_keyed_ctx(op, key, st->mode->cipher, &st->keyed);
    if (rv == CKR_OK) {
        st->warm = key->warm;
        st->ctx = st->keyed->cctx;
        if (!EVP_CipherInit_ex2(st->ctx, NULL, NULL, iv, op->kind == TSR_OP_ENCRYPT, NULL))
            rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
    }
    if (rv == CKR_OK && st->keep == KEEP_CTS)
        rv = tsr_sym_aes_ctx(op, key, "CBC-CTS", iv, cs1, &st->tail);
    if (rv != CKR_OK)
        return rv;
    /* Decryption removes the padding at final only (aes_final). */
    pad = st->mode->pad && op->kind == TSR_OP_ENCRYPT;
    if (st->keyed->padding != pad) {
        if (!EVP_CIPHER_CTX_set_padding(st->ctx, pad))
            return tsr_ossl_fail(CKR_FUNCTION_FAILED);
        st->keyed->padding = pad;
    }
    op->out_len = st->mode->pad ? BLOCK : 0;
    return CKR_OK;
}

/* How much of `total` pending bytes update keeps back. */
static size_t kept(const aes_state *st, size_t total)
{
    switch (st->keep) {
    case KEEP_NONE:
        return 0;
    case KEEP_PARTIAL:
        return total % BLOCK;
    case KEEP_LAST_BLOCK:
        return total == 0 ? 0 : (total - 1) % BLOCK + 1;
    case KEEP_CTS:
        return total <= 2 * BLOCK ? total : (total - 2 * BLOCK - 1) % BLOCK + BLOCK + 1;
    }
    return total;
}

/* CTR: CKR_OK unless `more` bytes would wrap the counter. */
static CK_RV ctr_check(const tsr_op *op, size_t more)
{
    const aes_state *st = op->state;
    uint64_t after;

    if (st->ctr_blocks == 0)
        return CKR_OK;
    if (more > UINT64_MAX - st->ctr_done)
        return tsr_sym_len_error(op);
    after = st->ctr_done + more;
    if (after / BLOCK + (after % BLOCK != 0) > st->ctr_blocks)
        return tsr_sym_len_error(op);
    return CKR_OK;
}

static CK_RV aes_update_len(const tsr_op *op, size_t in_len, size_t *len)
{
    const aes_state *st = op->state;
    size_t total = st->part_len + in_len;

    *len = 0;
    if (total < in_len)
        return tsr_sym_len_error(op);
    if (st->keep == KEEP_NONE) {
        *len = in_len;
        return ctr_check(op, in_len);
    }
    *len = total - kept(st, total);
    return CKR_OK;
}

/* Gives ctx the first `n` bytes of part||in (n a multiple of the block, so
 * exactly n come out), and keeps the rest as the new part. */
static CK_RV feed(aes_state *st, const unsigned char *in, size_t in_len, size_t n,
                  unsigned char *out)
{
    size_t from_part = n < st->part_len ? n : st->part_len;
    size_t from_in = n - from_part, rest = st->part_len - from_part, l1 = 0, l2 = 0;
    CK_RV rv;

    rv = tsr_sym_update(st->ctx, out, st->part, from_part, &l1);
    if (rv == CKR_OK)
        rv = tsr_sym_update(st->ctx, out + l1, in, from_in, &l2);
    if (rv != CKR_OK)
        return rv;
    if (l1 + l2 != n)
        return CKR_GENERAL_ERROR;
    memmove(st->part, st->part + from_part, rest);
    if (in_len > from_in)
        memcpy(st->part + rest, in + from_in, in_len - from_in);
    st->part_len = rest + in_len - from_in;
    tsr_wipe(st->part + st->part_len, sizeof(st->part) - st->part_len);
    return CKR_OK;
}

static CK_RV aes_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                        size_t *out_len)
{
    aes_state *st = op->state;
    size_t n = 0;
    CK_RV rv;

    if (in_len > 0 && in == NULL)
        return CKR_ARGUMENTS_BAD;
    rv = aes_update_len(op, in_len, &n);
    if (rv != CKR_OK)
        return rv;
    if (st->keep == KEEP_NONE) {
        rv = tsr_sym_update(st->ctx, out, in, in_len, out_len);
        st->ctr_done += in_len;
        return rv;
    }
    rv = feed(st, in, in_len, n, out);
    *out_len = rv == CKR_OK ? n : 0;
    if (st->keep == KEEP_CTS)
        op->out_len = st->part_len;
    return rv;
}

/* The last 16 to 32 bytes, with ciphertext stealing, chained on from the
 * CBC blocks before them. */
static CK_RV cts_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    aes_state *st = op->state;
    unsigned char iv[BLOCK];

    if (st->part_len < BLOCK)
        return tsr_sym_len_error(op);
    if (!EVP_CIPHER_CTX_get_updated_iv(st->ctx, iv, sizeof(iv)) ||
        !EVP_CipherInit_ex2(st->tail, NULL, NULL, iv, op->kind == TSR_OP_ENCRYPT, NULL))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return tsr_sym_update(st->tail, out, st->part, st->part_len, out_len);
}

static CK_RV aes_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    aes_state *st = op->state;
    bool unpad = st->mode->pad && op->kind == TSR_OP_DECRYPT;
    size_t n = 0;
    int last = 0;
    CK_RV rv;

    *out_len = 0;
    if (st->keep == KEEP_CTS)
        return cts_final(op, out, out_len);
    if ((st->mode->whole && st->part_len != 0) || (unpad && st->part_len != BLOCK))
        return tsr_sym_len_error(op);
    if (unpad) {
        if (!EVP_CIPHER_CTX_set_padding(st->ctx, 1))
            return tsr_ossl_fail(CKR_FUNCTION_FAILED);
        st->keyed->padding = 1;
    }
    rv = tsr_sym_update(st->ctx, out, st->part, st->part_len, &n);
    if (rv != CKR_OK)
        return rv;
    if (!EVP_CipherFinal_ex(st->ctx, out + n, &last) || last < 0) {
        tsr_wipe(out, n);
        return tsr_ossl_fail(unpad ? CKR_ENCRYPTED_DATA_INVALID : CKR_FUNCTION_FAILED);
    }
    *out_len = n + (size_t)last;
    return CKR_OK;
}

static CK_RV aes_oneshot_len(const tsr_op *op, size_t in_len, size_t *len)
{
    const aes_state *st = op->state;
    size_t total = st->part_len + in_len;

    *len = 0;
    if (total < in_len || total > SIZE_MAX - BLOCK)
        return tsr_sym_len_error(op);
    if (st->keep == KEEP_NONE) {
        *len = in_len;
        return ctr_check(op, in_len);
    }
    if (st->mode->whole && total % BLOCK != 0)
        return tsr_sym_len_error(op);
    if (st->keep == KEEP_CTS && total < BLOCK)
        return tsr_sym_len_error(op);
    if (st->mode->pad && op->kind == TSR_OP_DECRYPT && (total == 0 || total % BLOCK != 0))
        return tsr_sym_len_error(op);
    if (st->mode->pad && op->kind == TSR_OP_ENCRYPT)
        total = total - total % BLOCK + BLOCK;
    *len = total;
    return CKR_OK;
}

static void aes_cleanup(tsr_op *op)
{
    aes_state *st = op->state;

    if (st == NULL)
        return;
    tsr_warm_park(st->warm, st->keyed); /* or frees it, wiping the key schedule */
    EVP_CIPHER_CTX_free(st->tail);
    tsr_free_secret(st, sizeof(*st));
    op->state = NULL;
}

const tsr_mech_ops tsr_aes_ops = {
    .init = aes_init,
    .update = aes_update,
    .final = aes_final,
    .cleanup = aes_cleanup,
    .update_len = aes_update_len,
    .oneshot_len = aes_oneshot_len,
};
