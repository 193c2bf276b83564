/* AES key wrap, single-part only, for C_Encrypt/C_Decrypt and for
 * C_WrapKey/C_UnwrapKey:
 *  - CKM_AES_KEY_WRAP: RFC 3394 (SP 800-38F KW); input in whole 8-byte
 *    semiblocks, at least two; optional 8-byte IV;
 *  - CKM_AES_KEY_WRAP_PAD: as PKCS#11 3.0 defines it, PKCS #7 padding to a
 *    whole semiblock, then KW; optional 8-byte IV;
 *  - CKM_AES_KEY_WRAP_KWP: RFC 5649 (SP 800-38F KWP); any length from one
 *    byte; optional 4-byte IV.
 * A wrong integrity check or padding on unwrapping is
 * CKR_ENCRYPTED_DATA_INVALID. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "secmem.h"
#include "sym.h"

#define SEMIBLOCK 8

typedef struct kw_mode {
    CK_MECHANISM_TYPE mech;
    const char *cipher; /* OpenSSL mode */
    size_t iv_len;      /* the optional parameter's length */
    size_t min_plain;   /* shortest input to wrap */
    size_t min_wrapped; /* shortest input to unwrap */
    bool pkcs7;         /* PKCS #7 padding before KW */
} kw_mode;

static const kw_mode modes[] = {
    {CKM_AES_KEY_WRAP, "WRAP", 8, 2 * SEMIBLOCK, 3 * SEMIBLOCK, false},
    {CKM_AES_KEY_WRAP_PAD, "WRAP", 8, SEMIBLOCK, 3 * SEMIBLOCK, true},
    {CKM_AES_KEY_WRAP_KWP, "WRAP-PAD", 4, 1, 2 * SEMIBLOCK, false},
};

typedef struct kw_state {
    const kw_mode *mode;
    EVP_CIPHER_CTX *ctx;
} kw_state;

static const kw_mode *mode_of(CK_MECHANISM_TYPE type)
{
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (modes[i].mech == type)
            return &modes[i];
    return NULL;
}

static CK_RV kw_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    const kw_mode *m = mode_of(mech->mechanism);
    const unsigned char *iv = NULL;
    kw_state *st;

    if (m == NULL)
        return CKR_MECHANISM_INVALID;
    if (mech->ulParameterLen == m->iv_len && mech->pParameter != NULL)
        iv = mech->pParameter;
    else if (mech->ulParameterLen != 0)
        return CKR_MECHANISM_PARAM_INVALID;
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return CKR_HOST_MEMORY;
    op->state = st;
    st->mode = m;
    return tsr_sym_aes_ctx(op, key, m->cipher, iv, NULL, &st->ctx);
}

/* The length PKCS #7 padding to a whole semiblock gives `len`. */
static size_t padded(size_t len)
{
    return len - len % SEMIBLOCK + SEMIBLOCK;
}

static CK_RV kw_oneshot_len(const tsr_op *op, size_t in_len, size_t *len)
{
    const kw_mode *m = ((const kw_state *)op->state)->mode;

    *len = 0;
    if (in_len > SIZE_MAX - 3 * SEMIBLOCK)
        return tsr_sym_len_error(op);
    if (op->kind == TSR_OP_DECRYPT) {
        /* The output is the integrity block longer than the (padded) input. */
        if (in_len % SEMIBLOCK != 0 || in_len < m->min_wrapped)
            return CKR_ENCRYPTED_DATA_LEN_RANGE;
        *len = in_len - SEMIBLOCK;
        return CKR_OK;
    }
    if (in_len < m->min_plain || (m->mech == CKM_AES_KEY_WRAP && in_len % SEMIBLOCK != 0))
        return CKR_DATA_LEN_RANGE;
    if (m->pkcs7)
        *len = padded(in_len) + SEMIBLOCK;
    else if (m->mech == CKM_AES_KEY_WRAP_KWP)
        *len = (in_len + SEMIBLOCK - 1) / SEMIBLOCK * SEMIBLOCK + SEMIBLOCK;
    else
        *len = in_len + SEMIBLOCK;
    return CKR_OK;
}

/* One EVP call wraps everything; `out` has room for the exact result. */
static CK_RV wrap(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                  size_t *out_len)
{
    kw_state *st = op->state;
    int n = 0;

    if (in_len > INT_MAX - 2 * SEMIBLOCK)
        return CKR_DATA_LEN_RANGE;
    if (!EVP_CipherUpdate(st->ctx, out, &n, in, (int)in_len) || n < 0)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    *out_len = (size_t)n;
    return CKR_OK;
}

/* One EVP call unwraps everything; a failure is a failed integrity check.
 * OpenSSL wipes as many bytes of its output as the input has when the check
 * fails, more than the result's bound: it works in a buffer that large. */
static CK_RV unwrap(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                    size_t *out_len)
{
    kw_state *st = op->state;
    unsigned char *tmp;
    int n = 0;
    CK_RV rv = CKR_OK;

    if (in_len > INT_MAX)
        return CKR_ENCRYPTED_DATA_LEN_RANGE;
    tmp = malloc(in_len);
    if (tmp == NULL)
        return CKR_HOST_MEMORY;
    if (!EVP_CipherUpdate(st->ctx, tmp, &n, in, (int)in_len) || n < 0 ||
        (size_t)n > in_len - SEMIBLOCK)
        rv = tsr_ossl_fail(CKR_ENCRYPTED_DATA_INVALID);
    if (rv == CKR_OK) {
        memcpy(out, tmp, (size_t)n);
        *out_len = (size_t)n;
    }
    tsr_free_secret(tmp, in_len);
    return rv;
}

static CK_RV wrap_pkcs7(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                        size_t *out_len)
{
    size_t len = padded(in_len);
    unsigned char *buf = malloc(len);
    CK_RV rv;

    if (buf == NULL)
        return CKR_HOST_MEMORY;
    if (in_len > 0)
        memcpy(buf, in, in_len);
    memset(buf + in_len, (int)(len - in_len), len - in_len);
    rv = wrap(op, buf, len, out, out_len);
    tsr_free_secret(buf, len);
    return rv;
}

/* Checks and removes PKCS #7 padding from an unwrapped (so authenticated)
 * result. */
static CK_RV unpad_pkcs7(unsigned char *out, size_t *out_len)
{
    size_t n = *out_len, pad = n > 0 ? out[n - 1] : 0;
    unsigned char bad = pad == 0 || pad > SEMIBLOCK || pad > n;

    for (size_t i = 1; !bad && i <= pad; i++)
        bad |= out[n - i] != pad;
    if (bad) {
        tsr_wipe(out, n);
        *out_len = 0;
        return CKR_ENCRYPTED_DATA_INVALID;
    }
    tsr_wipe(out + n - pad, pad);
    *out_len = n - pad;
    return CKR_OK;
}

static CK_RV kw_oneshot(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                        size_t *out_len)
{
    const kw_mode *m = ((kw_state *)op->state)->mode;
    size_t need = 0;
    CK_RV rv;

    *out_len = 0;
    rv = kw_oneshot_len(op, in_len, &need);
    if (rv != CKR_OK)
        return rv;
    if (in == NULL)
        return CKR_ARGUMENTS_BAD;
    if (op->kind == TSR_OP_ENCRYPT)
        return m->pkcs7 ? wrap_pkcs7(op, in, in_len, out, out_len)
                        : wrap(op, in, in_len, out, out_len);
    rv = unwrap(op, in, in_len, out, out_len);
    if (rv == CKR_OK && m->pkcs7)
        rv = unpad_pkcs7(out, out_len);
    return rv;
}

static void kw_cleanup(tsr_op *op)
{
    kw_state *st = op->state;

    if (st == NULL)
        return;
    EVP_CIPHER_CTX_free(st->ctx);
    free(st);
    op->state = NULL;
}

const tsr_mech_ops tsr_aes_kw_ops = {
    .init = kw_init,
    .cleanup = kw_cleanup,
    .oneshot_len = kw_oneshot_len,
    .oneshot = kw_oneshot,
};
