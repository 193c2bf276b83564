/* Helpers the symmetric families share: fetching AES ciphers by key size,
 * setting up cipher contexts, and a wiped growing buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secmem.h"
#include "sym.h"

#define EVP_CHUNK (1u << 30) /* EVP counts in int */

CK_RV tsr_sym_aes_fetch(const tsr_key *key, const char *mode, EVP_CIPHER **out)
{
    char name[32];

    *out = NULL;
    if (key == NULL || key->klass != CKO_SECRET_KEY || key->secret == NULL)
        return CKR_KEY_TYPE_INCONSISTENT;
    if (key->secret_len != 16 && key->secret_len != 24 && key->secret_len != 32)
        return CKR_KEY_SIZE_RANGE;
    snprintf(name, sizeof(name), "AES-%zu-%s", key->secret_len * 8, mode);
    *out = tsr_ossl_cipher(name);
    if (*out == NULL)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

CK_RV tsr_sym_aes_ctx(const tsr_op *op, const tsr_key *key, const char *mode,
                      const unsigned char *iv, const OSSL_PARAM *params, EVP_CIPHER_CTX **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_CIPHER *cipher = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    int enc = op->kind == TSR_OP_ENCRYPT;

    *out = NULL;
    rv = tsr_sym_aes_fetch(key, mode, &cipher);
    if (rv != CKR_OK)
        goto out;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || !EVP_CipherInit_ex2(ctx, cipher, key->secret, iv, enc, params)) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    *out = ctx;
    ctx = NULL;
    rv = CKR_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return rv;
}

CK_RV tsr_sym_keyed_ctx(const tsr_op *op, const tsr_key *key, const char *mode, tsr_warm_entry **e)
{
    CK_RV rv;
    EVP_CIPHER *cipher = NULL;
    int enc = op->kind == TSR_OP_ENCRYPT;

    /* Kept under the mode's name: with the key bytes (whose length picks
     * AES-128, -192 or -256) it says which cipher, without building its name
     * and fetching it. */
    *e = tsr_warm_take(key->warm, mode, NULL, enc, key->secret, key->secret_len);
    if (*e != NULL)
        return CKR_OK;
    rv = tsr_sym_aes_fetch(key, mode, &cipher);
    if (rv != CKR_OK)
        return rv;
    *e = tsr_warm_entry_new(mode, NULL, enc, key->secret, key->secret_len);
    if (*e == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    (*e)->cctx = EVP_CIPHER_CTX_new();
    (*e)->iv_len = EVP_CIPHER_get_iv_length(cipher);
    (*e)->padding = 1; /* EVP's default */
    if ((*e)->cctx == NULL ||
        !EVP_CipherInit_ex2((*e)->cctx, cipher, key->secret, NULL, enc, NULL)) {
        tsr_warm_entry_free(*e);
        *e = NULL;
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
    }
out:
    EVP_CIPHER_free(cipher);
    return rv;
}

CK_RV tsr_sym_update(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len,
                     size_t *out_len)
{
    int n;

    *out_len = 0;
    while (len > 0) {
        size_t chunk = len < EVP_CHUNK ? len : EVP_CHUNK;

        if (!EVP_CipherUpdate(ctx, out + *out_len, &n, in, (int)chunk) || n < 0)
            return tsr_ossl_fail(CKR_FUNCTION_FAILED);
        *out_len += (size_t)n;
        in += chunk;
        len -= chunk;
    }
    return CKR_OK;
}

CK_RV tsr_sym_len_error(const tsr_op *op)
{
    return op->kind == TSR_OP_ENCRYPT ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
}

CK_RV tsr_sbuf_append(tsr_sbuf *b, const unsigned char *in, size_t len)
{
    size_t want, size;
    unsigned char *p;

    if (len == 0)
        return CKR_OK;
    if (in == NULL)
        return CKR_ARGUMENTS_BAD;
    if (len > SIZE_MAX / 2 - b->len)
        return CKR_DATA_LEN_RANGE;
    want = b->len + len;
    if (want > b->alloc) {
        size = want < 256 ? 256 : want * 2;
        p = malloc(size);
        if (p == NULL)
            return CKR_HOST_MEMORY;
        if (b->len > 0)
            memcpy(p, b->p, b->len);
        tsr_free_secret(b->p, b->alloc);
        b->p = p;
        b->alloc = size;
    }
    memcpy(b->p + b->len, in, len);
    b->len = want;
    return CKR_OK;
}

void tsr_sbuf_clear(tsr_sbuf *b)
{
    tsr_free_secret(b->p, b->alloc);
    b->p = NULL;
    b->len = b->alloc = 0;
}
