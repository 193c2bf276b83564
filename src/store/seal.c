/* Sealing: PBKDF2 key wrapping of the master key and AES-256-GCM sealing of
 * private blobs, all through EVP in Tessera's own library context. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "log.h"
#include "ossl.h"
#include "seal.h"
#include "secmem.h"

#define WRAP_VERSION 1
#define SALT_LEN     16
#define NONCE_LEN    12
#define TAG_LEN      16
#define KEY_LEN      32
#define ID_LEN       8

/* Wrapped master key: version | iterations (u32 BE) | salt | nonce | ct | tag.
 * The header (version, iterations, salt) is the GCM additional data. */
#define WRAP_SALT_OFF  5
#define WRAP_HDR_LEN   (WRAP_SALT_OFF + SALT_LEN)
#define WRAP_NONCE_OFF WRAP_HDR_LEN
#define WRAP_CT_OFF    (WRAP_NONCE_OFF + NONCE_LEN)
#define WRAP_TAG_OFF   (WRAP_CT_OFF + TSR_MASTER_KEY_LEN)
#define WRAP_LEN       (WRAP_TAG_OFF + TAG_LEN)

/* Sealed blob: nonce | ct | tag. */
#define SEAL_OVERHEAD (NONCE_LEN + TAG_LEN)

static CK_RV random_bytes(unsigned char *p, size_t n)
{
    if (RAND_bytes_ex(tsr_ossl_ctx(), p, n, 0) != 1)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

CK_RV tsr_seal_new_master(unsigned char mk[TSR_MASTER_KEY_LEN])
{
    return random_bytes(mk, TSR_MASTER_KEY_LEN);
}

/* PBKDF2-HMAC-SHA256(pin, salt, iterations) -> key[KEY_LEN]. */
static CK_RV derive_kek(const CK_UTF8CHAR *pin, size_t pin_len, const unsigned char *salt,
                        uint64_t iterations, unsigned char key[KEY_LEN])
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *kctx = NULL;
    OSSL_PARAM params[5];
    char digest[] = "SHA256";
    unsigned char empty = 0;

    kdf = EVP_KDF_fetch(tsr_ossl_ctx(), "PBKDF2", NULL);
    kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    if (kctx == NULL) {
        rv = tsr_ossl_fail(CKR_GENERAL_ERROR);
        goto out;
    }
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                                  pin_len > 0 ? (void *)pin : &empty, pin_len);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN);
    params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iterations);
    params[3] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[4] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(kctx, key, KEY_LEN, params) != 1) {
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    rv = CKR_OK;
out:
    EVP_KDF_CTX_free(kctx); /* cleanses its copy of the PIN */
    EVP_KDF_free(kdf);
    return rv;
}

/* AES-256-GCM encryption of pt into ct (same length), tag[TAG_LEN] out. */
static CK_RV gcm_seal(const unsigned char *key, const unsigned char *nonce,
                      const unsigned char *aad, size_t aad_len, const unsigned char *pt,
                      size_t pt_len, unsigned char *ct, unsigned char *tag)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(tsr_ossl_ctx(), "AES-256-GCM", NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0;

    if (cipher == NULL || c == NULL || pt_len > INT_MAX || aad_len > INT_MAX)
        goto fail;
    /* The default GCM nonce length is 12 bytes, NONCE_LEN. */
    if (EVP_EncryptInit_ex2(c, cipher, key, nonce, NULL) != 1 ||
        EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aad_len) != 1)
        goto fail;
    if (pt_len > 0 && EVP_EncryptUpdate(c, ct, &outl, pt, (int)pt_len) != 1)
        goto fail;
    if (EVP_EncryptFinal_ex(c, ct + pt_len, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
        goto fail;
    rv = CKR_OK;
    goto out;
fail:
    rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
out:
    EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
    EVP_CIPHER_free(cipher);
    return rv;
}

/* The inverse; a tag that does not verify is `bad_tag_rv` and leaves pt
 * wiped. */
static CK_RV gcm_open(const unsigned char *key, const unsigned char *nonce,
                      const unsigned char *aad, size_t aad_len, const unsigned char *ct,
                      size_t ct_len, const unsigned char *tag, unsigned char *pt, CK_RV bad_tag_rv)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(tsr_ossl_ctx(), "AES-256-GCM", NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0;

    if (cipher == NULL || c == NULL || ct_len > INT_MAX || aad_len > INT_MAX)
        goto fail;
    if (EVP_DecryptInit_ex2(c, cipher, key, nonce, NULL) != 1 ||
        EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aad_len) != 1)
        goto fail;
    if (ct_len > 0 && EVP_DecryptUpdate(c, pt, &outl, ct, (int)ct_len) != 1)
        goto fail;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)tag) != 1)
        goto fail;
    if (EVP_DecryptFinal_ex(c, pt + ct_len, &outl) != 1) {
        OPENSSL_cleanse(pt, ct_len);
        rv = tsr_ossl_fail(bad_tag_rv);
        goto out;
    }
    rv = CKR_OK;
    goto out;
fail:
    OPENSSL_cleanse(pt, ct_len);
    rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
out:
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(cipher);
    return rv;
}

CK_RV tsr_seal_wrap_master(const unsigned char mk[TSR_MASTER_KEY_LEN], const CK_UTF8CHAR *pin,
                           size_t pin_len, unsigned long iterations, unsigned char **blob,
                           size_t *blob_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char kek[KEY_LEN];
    unsigned char *b = NULL;

    *blob = NULL;
    *blob_len = 0;
    if (iterations < 1 || iterations > TSR_SEAL_MAX_ITERATIONS || (pin == NULL && pin_len > 0))
        return CKR_ARGUMENTS_BAD;
    b = malloc(WRAP_LEN);
    if (b == NULL)
        return CKR_HOST_MEMORY;
    b[0] = WRAP_VERSION;
    b[1] = (unsigned char)(iterations >> 24);
    b[2] = (unsigned char)(iterations >> 16);
    b[3] = (unsigned char)(iterations >> 8);
    b[4] = (unsigned char)iterations;
    rv = random_bytes(b + WRAP_SALT_OFF, SALT_LEN);
    if (rv == CKR_OK)
        rv = random_bytes(b + WRAP_NONCE_OFF, NONCE_LEN);
    if (rv == CKR_OK)
        rv = derive_kek(pin, pin_len, b + WRAP_SALT_OFF, iterations, kek);
    if (rv == CKR_OK)
        rv = gcm_seal(kek, b + WRAP_NONCE_OFF, b, WRAP_HDR_LEN, mk, TSR_MASTER_KEY_LEN,
                      b + WRAP_CT_OFF, b + WRAP_TAG_OFF);
    if (rv != CKR_OK)
        goto out;
    *blob = b;
    *blob_len = WRAP_LEN;
    b = NULL;
out:
    OPENSSL_cleanse(kek, sizeof(kek));
    free(b);
    return rv;
}

CK_RV tsr_seal_unwrap_master(const unsigned char *blob, size_t blob_len, const CK_UTF8CHAR *pin,
                             size_t pin_len, unsigned char mk[TSR_MASTER_KEY_LEN])
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char kek[KEY_LEN];
    unsigned char out_mk[TSR_MASTER_KEY_LEN];
    uint32_t iterations;

    if (pin == NULL && pin_len > 0)
        return CKR_ARGUMENTS_BAD;
    /* Stored bytes are untrusted: check the shape before reading it. */
    if (blob == NULL || blob_len != WRAP_LEN || blob[0] != WRAP_VERSION) {
        tsr_log("seal: malformed wrapped key");
        return CKR_DEVICE_ERROR;
    }
    iterations = (uint32_t)blob[1] << 24 | (uint32_t)blob[2] << 16 | (uint32_t)blob[3] << 8 |
                 (uint32_t)blob[4];
    /* The cap keeps a damaged count from stalling C_Login for hours. */
    if (iterations < 1 || iterations > TSR_SEAL_MAX_ITERATIONS) {
        tsr_log("seal: wrapped key with %u iterations", iterations);
        return CKR_DEVICE_ERROR;
    }
    rv = derive_kek(pin, pin_len, blob + WRAP_SALT_OFF, iterations, kek);
    if (rv == CKR_OK)
        rv = gcm_open(kek, blob + WRAP_NONCE_OFF, blob, WRAP_HDR_LEN, blob + WRAP_CT_OFF,
                      TSR_MASTER_KEY_LEN, blob + WRAP_TAG_OFF, out_mk, CKR_PIN_INCORRECT);
    if (rv == CKR_OK)
        memcpy(mk, out_mk, TSR_MASTER_KEY_LEN);
    OPENSSL_cleanse(kek, sizeof(kek));
    OPENSSL_cleanse(out_mk, sizeof(out_mk));
    return rv;
}

static void id_bytes(uint64_t id, unsigned char out[ID_LEN])
{
    int i;

    for (i = ID_LEN - 1; i >= 0; i--, id >>= 8)
        out[i] = (unsigned char)(id & 0xff);
}

CK_RV tsr_seal(const unsigned char mk[TSR_MASTER_KEY_LEN], uint64_t aad_id, const unsigned char *pt,
               size_t pt_len, unsigned char **ct, size_t *ct_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char aad[ID_LEN];
    unsigned char *b = NULL;
    size_t len;

    *ct = NULL;
    *ct_len = 0;
    if ((pt == NULL && pt_len > 0) || pt_len > INT_MAX - SEAL_OVERHEAD)
        return CKR_ARGUMENTS_BAD;
    len = pt_len + SEAL_OVERHEAD;
    b = malloc(len);
    if (b == NULL)
        return CKR_HOST_MEMORY;
    id_bytes(aad_id, aad);
    rv = random_bytes(b, NONCE_LEN);
    if (rv == CKR_OK)
        rv = gcm_seal(mk, b, aad, ID_LEN, pt, pt_len, b + NONCE_LEN, b + NONCE_LEN + pt_len);
    if (rv != CKR_OK)
        goto out;
    *ct = b;
    *ct_len = len;
    b = NULL;
out:
    free(b);
    return rv;
}

CK_RV tsr_unseal(const unsigned char mk[TSR_MASTER_KEY_LEN], uint64_t aad_id,
                 const unsigned char *ct, size_t ct_len, unsigned char **pt, size_t *pt_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    unsigned char aad[ID_LEN];
    unsigned char *p = NULL;
    size_t len;

    *pt = NULL;
    *pt_len = 0;
    if (ct == NULL || ct_len < SEAL_OVERHEAD || ct_len > INT_MAX) {
        tsr_log("seal: sealed blob of impossible length");
        return CKR_DEVICE_ERROR;
    }
    len = ct_len - SEAL_OVERHEAD;
    p = malloc(len > 0 ? len : 1);
    if (p == NULL)
        return CKR_HOST_MEMORY;
    id_bytes(aad_id, aad);
    rv = gcm_open(mk, ct, aad, ID_LEN, ct + NONCE_LEN, len, ct + NONCE_LEN + len, p,
                  CKR_DEVICE_ERROR);
    if (rv != CKR_OK)
        goto out;
    *pt = p;
    *pt_len = len;
    p = NULL;
out:
    tsr_free_secret(p, len);
    return rv;
}
