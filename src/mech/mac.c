/* MACs on EVP_MAC: HMAC with every SHA-1/2/3 hash (CKM_SHA*_HMAC and the
 * _GENERAL forms, generic secret keys), and AES-CMAC (CKM_AES_CMAC and
 * CKM_AES_CMAC_GENERAL).  A _GENERAL mechanism's parameter is the MAC length,
 * from 1 byte to the full length; the MAC is the full one truncated.
 * Verification compares in constant time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "secmem.h"
#include "sym.h"

#define HMAC_KEY_MAX 4096 /* bytes, as the rows report */
#define CMAC_LEN     16

typedef struct mac_state {
    EVP_MAC_CTX *ctx;      /* keyed->mctx */
    tsr_warm_entry *keyed; /* owns ctx; parked in `warm` at the end */
    tsr_warm *warm;
} mac_state;

/* The length a _GENERAL mechanism asks for: 1 to `full` bytes. */
static CK_RV general_len(const CK_MECHANISM *mech, size_t full, size_t *len)
{
    CK_MAC_GENERAL_PARAMS n;

    if (mech->pParameter == NULL || mech->ulParameterLen != sizeof(n))
        return CKR_MECHANISM_PARAM_INVALID;
    memcpy(&n, mech->pParameter, sizeof(n));
    if (n == 0 || n > full)
        return CKR_MECHANISM_PARAM_INVALID;
    *len = n;
    return CKR_OK;
}

/* Sets op->out_len from the parameter (or its absence). */
static CK_RV mac_len(tsr_op *op, const CK_MECHANISM *mech, bool general, size_t full)
{
    if (general)
        return general_len(mech, full, &op->out_len);
    op->out_len = full;
    return tsr_mech_no_params(mech);
}

/* The keyed MAC context: the one kept from the last op with this MAC and
 * key, re-initialised without its key (HMAC keeps its pads, CMAC its
 * subkeys), or a new one. */
static CK_RV mac_start(tsr_op *op, const char *alg, const OSSL_PARAM *params, const tsr_key *key)
{
    EVP_MAC *mac = tsr_ossl_mac(alg);
    const void *variant = op->mech->arg;
    mac_state *st = calloc(1, sizeof(*st));
    CK_RV rv = CKR_OK;

    if (st == NULL) {
        EVP_MAC_free(mac);
        return CKR_HOST_MEMORY;
    }
    op->state = st;
    st->warm = key->warm;
    if (mac == NULL)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    st->keyed = tsr_warm_take(key->warm, mac, variant, 1, key->secret, key->secret_len);
    if (st->keyed != NULL) {
        st->ctx = st->keyed->mctx;
        if (!EVP_MAC_init(st->ctx, NULL, 0, NULL))
            rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
        goto out;
    }
    st->keyed = tsr_warm_entry_new(mac, variant, 1, key->secret, key->secret_len);
    if (st->keyed == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    st->ctx = st->keyed->mctx = EVP_MAC_CTX_new(mac);
    if (st->ctx == NULL || !EVP_MAC_init(st->ctx, key->secret, key->secret_len, params))
        rv = tsr_ossl_fail(CKR_FUNCTION_FAILED);
out:
    if (rv != CKR_OK) { /* never park a context in an unknown state */
        tsr_warm_entry_free(st->keyed);
        st->keyed = NULL;
        st->ctx = NULL;
    }
    EVP_MAC_free(mac);
    return rv;
}

static CK_RV secret_ok(const tsr_key *key)
{
    if (key == NULL || key->klass != CKO_SECRET_KEY || key->secret == NULL)
        return CKR_KEY_TYPE_INCONSISTENT;
    return CKR_OK;
}

static CK_RV hmac_init_any(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key, bool general)
{
    const tsr_hash *h = tsr_hash_by_name(op->mech->arg);
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)op->mech->arg, 0),
        OSSL_PARAM_END,
    };
    CK_RV rv;

    if (h == NULL)
        return CKR_GENERAL_ERROR; /* a row without its hash */
    rv = secret_ok(key);
    if (rv != CKR_OK)
        return rv;
    if (key->secret_len == 0 || key->secret_len > HMAC_KEY_MAX)
        return CKR_KEY_SIZE_RANGE;
    rv = mac_len(op, mech, general, h->len);
    if (rv != CKR_OK)
        return rv;
    return mac_start(op, "HMAC", params, key);
}

static CK_RV hmac_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    return hmac_init_any(op, mech, key, false);
}

static CK_RV hmac_general_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    return hmac_init_any(op, mech, key, true);
}

static CK_RV cmac_init_any(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key, bool general)
{
    char cipher[16] = "";
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
        OSSL_PARAM_END,
    };
    CK_RV rv;

    rv = secret_ok(key);
    if (rv != CKR_OK)
        return rv;
    if (key->secret_len != 16 && key->secret_len != 24 && key->secret_len != 32)
        return CKR_KEY_SIZE_RANGE;
    snprintf(cipher, sizeof(cipher), "AES-%zu-CBC", key->secret_len * 8);
    rv = mac_len(op, mech, general, CMAC_LEN);
    if (rv != CKR_OK)
        return rv;
    return mac_start(op, "CMAC", params, key);
}

static CK_RV cmac_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    return cmac_init_any(op, mech, key, false);
}

static CK_RV cmac_general_init(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key)
{
    return cmac_init_any(op, mech, key, true);
}

static CK_RV mac_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                        size_t *out_len)
{
    mac_state *st = op->state;

    if (out_len != NULL)
        *out_len = 0;
    if (in_len > 0 && in == NULL)
        return CKR_ARGUMENTS_BAD;
    if (!EVP_MAC_update(st->ctx, in, in_len))
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

/* The full MAC into `full` (EVP_MAX_MD_SIZE bytes). */
static CK_RV mac_compute(tsr_op *op, unsigned char *full)
{
    mac_state *st = op->state;
    size_t n = 0;

    if (!EVP_MAC_final(st->ctx, full, &n, EVP_MAX_MD_SIZE) || n < op->out_len)
        return tsr_ossl_fail(CKR_FUNCTION_FAILED);
    return CKR_OK;
}

static CK_RV mac_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    unsigned char full[EVP_MAX_MD_SIZE];
    CK_RV rv = mac_compute(op, full);

    if (rv == CKR_OK) {
        memcpy(out, full, op->out_len);
        *out_len = op->out_len;
    }
    tsr_wipe(full, sizeof(full));
    return rv;
}

static CK_RV mac_verify_final(tsr_op *op, const unsigned char *sig, size_t sig_len)
{
    unsigned char full[EVP_MAX_MD_SIZE];
    CK_RV rv;

    if (sig_len != op->out_len)
        return CKR_SIGNATURE_LEN_RANGE;
    if (sig == NULL)
        return CKR_ARGUMENTS_BAD;
    rv = mac_compute(op, full);
    if (rv == CKR_OK && CRYPTO_memcmp(full, sig, sig_len) != 0)
        rv = CKR_SIGNATURE_INVALID;
    tsr_wipe(full, sizeof(full));
    return rv;
}

static void mac_cleanup(tsr_op *op)
{
    mac_state *st = op->state;

    if (st == NULL)
        return;
    tsr_warm_park(st->warm, st->keyed); /* or frees it, wiping the keyed state */
    free(st);
    op->state = NULL;
}

#define MAC_OPS(init_fn)                                                                           \
    {                                                                                              \
        .init = init_fn, .update = mac_update, .final = mac_final,                                 \
        .verify_final = mac_verify_final, .cleanup = mac_cleanup                                   \
    }

const tsr_mech_ops tsr_hmac_ops = MAC_OPS(hmac_init);
const tsr_mech_ops tsr_hmac_general_ops = MAC_OPS(hmac_general_init);
const tsr_mech_ops tsr_cmac_ops = MAC_OPS(cmac_init);
const tsr_mech_ops tsr_cmac_general_ops = MAC_OPS(cmac_general_init);
