/* Mechanisms: one const table row per mechanism, each with an ops vtable
 * implemented on OpenSSL EVP.  This layer knows OpenSSL, nothing of sessions
 * or objects: it takes keys as EVP_PKEYs or raw secret bytes. */
#ifndef TSR_MECH_H
#define TSR_MECH_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "pkcs11-3.h"
#include "attrs.h"
#include "ossl.h"
#include "warm.h"

/* What an operation does; one bit each so a mechanism row can list several. */
typedef enum tsr_op_kind {
    TSR_OP_ENCRYPT = 1 << 0,
    TSR_OP_DECRYPT = 1 << 1,
    TSR_OP_DIGEST = 1 << 2,
    TSR_OP_SIGN = 1 << 3,
    TSR_OP_VERIFY = 1 << 4,
    TSR_OP_SIGN_RECOVER = 1 << 5,
    TSR_OP_VERIFY_RECOVER = 1 << 6,
    TSR_OP_DERIVE = 1 << 7, /* a row's `derive` (C_DeriveKey), never a session op */
} tsr_op_kind;

/* The key an operation runs with.  Asymmetric keys come as a (cached)
 * EVP_PKEY, secret keys as raw bytes; both are borrowed for the call, the op
 * takes its own reference/copy. */
typedef struct tsr_key {
    CK_OBJECT_CLASS klass;
    CK_KEY_TYPE type;
    EVP_PKEY *pkey;
    const unsigned char *secret;
    size_t secret_len;
    tsr_warm *warm; /* where a keyed context may be kept for the next op, or NULL */
} tsr_key;

typedef struct tsr_op tsr_op;
typedef struct tsr_mech tsr_mech;

/* An implementation family (digest, RSA, ECDSA, ...).  Unused entries are NULL. */
typedef struct tsr_mech_ops {
    /* Validates mech->pParameter and the key, sets op->out_len to the exact (or
     * maximal) output size of final/oneshot, and sets up op->state. */
    CK_RV (*init)(tsr_op *op, const CK_MECHANISM *mech, const tsr_key *key);
    /* Feeds data.  For ciphers `out`/`out_len` follow the length protocol; for
     * sign/verify/digest they are NULL. */
    CK_RV(*update)
    (tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out, size_t *out_len);
    /* Produces the result into `out`, which is at least op->out_len bytes;
     * sets *out_len to the real length. */
    CK_RV (*final)(tsr_op *op, unsigned char *out, size_t *out_len);
    /* Verification end: CKR_SIGNATURE_INVALID / CKR_SIGNATURE_LEN_RANGE. */
    CK_RV (*verify_final)(tsr_op *op, const unsigned char *sig, size_t sig_len);
    /* Frees op->state (wiping secrets). */
    void (*cleanup)(tsr_op *op);
    /* Ciphers only (NULL elsewhere).  update_len: exactly how many bytes the
     * next update of `in_len` bytes outputs, so tsr_op_update answers the
     * length protocol before consuming input; update then writes that many.
     * A family with this hook keeps op->out_len at what final would output
     * now (exact when encrypting, a bound when decrypting).  oneshot_len: the
     * same for a whole single-part run; may refuse the length
     * (CKR_DATA_LEN_RANGE, CKR_ENCRYPTED_DATA_LEN_RANGE).  oneshot: optional,
     * for single-part-only mechanisms (key wrap); without it a single-part
     * run is update then final. */
    CK_RV (*update_len)(const tsr_op *op, size_t in_len, size_t *len);
    CK_RV (*oneshot_len)(const tsr_op *op, size_t in_len, size_t *len);
    CK_RV(*oneshot)
    (tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out, size_t *out_len);
    /* Derivation rows only: the derived bytes for C_DeriveKey (see
     * tsr_mech_derive; the row and key checks are done). */
    CK_RV(*derive)
    (const tsr_mech *m, const CK_MECHANISM *mech, const tsr_key *base, size_t want,
     unsigned char **out, size_t *out_len);
} tsr_mech_ops;

/* One row of the mechanism table. */
struct tsr_mech {
    CK_MECHANISM_TYPE type;
    CK_MECHANISM_INFO info;   /* what C_GetMechanismInfo reports */
    unsigned kinds;           /* tsr_op_kind bits this row can do */
    CK_KEY_TYPE key_types[4]; /* accepted key types (CKK_RSA is 0, hence the count) */
    unsigned key_type_count;  /* 0 for digests, which take no key */
    const tsr_mech_ops *ops;
    const void *arg; /* row-specific constant, e.g. a digest name */
};

struct tsr_op {
    const tsr_mech *mech;
    tsr_op_kind kind;
    size_t out_len; /* bound on final output, for the NULL-buffer length query */
    void *state;    /* the family's own */
};

/* --- the table (registry.c) --- */

/* The row for `type`, or NULL (CKR_MECHANISM_INVALID for the caller). */
const tsr_mech *tsr_mech_lookup(CK_MECHANISM_TYPE type);
/* Number of rows, and row i in ascending type order. */
size_t tsr_mech_count(void);
const tsr_mech *tsr_mech_at(size_t i);

/* --- operations (op.c) --- */

/* Starts an operation.  CKR_MECHANISM_INVALID when the row cannot do `kind`,
 * CKR_KEY_TYPE_INCONSISTENT for a key of another type, CKR_KEY_SIZE_RANGE,
 * CKR_MECHANISM_PARAM_INVALID for bad parameters.  `key` is NULL for digests. */
CK_RV tsr_op_new(const tsr_mech *m, tsr_op_kind kind, const CK_MECHANISM *mech, const tsr_key *key,
                 tsr_op **out);
void tsr_op_free(tsr_op *op);

/* Length protocol, shared by final and oneshot: `out` NULL -> *out_len is set
 * to the size needed and CKR_OK, nothing is computed; *out_len too small ->
 * CKR_BUFFER_TOO_SMALL with the size needed; otherwise the result.  The caller
 * ends the operation on any return other than (NULL query | BUFFER_TOO_SMALL).
 * A cipher's update follows the same protocol (`out_len` required); the
 * other kinds take `out`/`out_len` NULL there. */
CK_RV tsr_op_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                    size_t *out_len);
CK_RV tsr_op_final(tsr_op *op, unsigned char *out, size_t *out_len);
/* update + final in one call (C_Sign, C_Digest, C_Encrypt, C_Decrypt). */
CK_RV tsr_op_oneshot(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                     size_t *out_len);
CK_RV tsr_op_verify_final(tsr_op *op, const unsigned char *sig, size_t sig_len);
CK_RV tsr_op_verify(tsr_op *op, const unsigned char *data, size_t data_len,
                    const unsigned char *sig, size_t sig_len);

/* --- keys (keys.c, keygen.c) --- */

/* Builds the EVP_PKEY of a public or private key object from its attributes
 * (RSA: CKA_MODULUS, CKA_PUBLIC_EXPONENT, private parts; EC: CKA_EC_PARAMS with
 * CKA_EC_POINT or CKA_VALUE; EdDSA/Montgomery likewise).  CKR_TEMPLATE_INCOMPLETE
 * when material is missing, CKR_ATTRIBUTE_VALUE_INVALID when it does not parse,
 * CKR_CURVE_NOT_SUPPORTED for an unknown curve. */
CK_RV tsr_mech_pkey_from_attrs(CK_OBJECT_CLASS klass, CK_KEY_TYPE type, const tsr_attrs *a,
                               EVP_PKEY **out);

/* Generates a key pair.  `mech` is CKM_RSA_PKCS_KEY_PAIR_GEN (CKA_MODULUS_BITS,
 * optional CKA_PUBLIC_EXPONENT in pub_tmpl), CKM_EC_KEY_PAIR_GEN (CKA_EC_PARAMS
 * in pub_tmpl), CKM_EC_EDWARDS_KEY_PAIR_GEN / CKM_EC_MONTGOMERY_KEY_PAIR_GEN.
 * Adds to pub_out / priv_out the key material and CKA_KEY_TYPE; *type is the
 * key type.  CKR_TEMPLATE_INCOMPLETE when a needed attribute is missing,
 * CKR_KEY_SIZE_RANGE, CKR_CURVE_NOT_SUPPORTED, CKR_MECHANISM_INVALID. */
CK_RV tsr_mech_generate_pair(const CK_MECHANISM *mech, const tsr_attrs *pub_tmpl, CK_KEY_TYPE *type,
                             tsr_attrs *pub_out, tsr_attrs *priv_out);

/* Generates a secret key (CKM_AES_KEY_GEN with CKA_VALUE_LEN 16/24/32,
 * CKM_GENERIC_SECRET_KEY_GEN with CKA_VALUE_LEN, CKM_PKCS5_PBKD2 from a
 * password with the template's CKA_KEY_TYPE and CKA_VALUE_LEN): adds
 * CKA_VALUE and CKA_KEY_TYPE to `out`. */
CK_RV tsr_mech_generate_secret(const CK_MECHANISM *mech, const tsr_attrs *tmpl, CK_KEY_TYPE *type,
                               tsr_attrs *out);

/* The CKA_ID NSS derives for a new key: SHA-1 of the RSA modulus (as stored,
 * big-endian without leading zeros) or of the raw EC/EdDSA public point. */
CK_RV tsr_mech_key_id(CK_KEY_TYPE type, const tsr_attrs *pub, unsigned char id[20]);

/* Key size in bits for CK_MECHANISM_INFO-style range checks and CKA_MODULUS_BITS. */
CK_RV tsr_mech_key_bits(const EVP_PKEY *pkey, CK_ULONG *bits);

/* --- helpers (keys.c) --- */

/* Random bytes from the token's DRBG (RAND_priv_bytes_ex on our context). */
CK_RV tsr_mech_random(unsigned char *out, size_t len);
/* SHA-256 / SHA-1 of a buffer, used for stored value hashes and CKA_ID. */
CK_RV tsr_mech_sha256(const void *in, size_t len, unsigned char out[32]);
CK_RV tsr_mech_sha1(const void *in, size_t len, unsigned char out[20]);

/* --- derivation and key transport (op.c, ecdh.c, kdf.c, pkcs8.c) --- */

/* The secret C_DeriveKey makes with row `m` (a TSR_OP_DERIVE row) from
 * `base`.  `want` is the length the new object's template asks for
 * (CKA_VALUE_LEN), 0 when it names none: then the mechanism's natural length
 * (the ECDH shared secret, the digest, HKDF's hash length), or
 * CKR_TEMPLATE_INCOMPLETE when it has none (an X9.63 KDF).  *out is malloc'd;
 * free it with tsr_free_secret.  The row's checks as tsr_op_new
 * (CKR_MECHANISM_INVALID, CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_SIZE_RANGE), then
 * CKR_MECHANISM_PARAM_INVALID for bad parameters (a peer point that is not on
 * the curve included) and CKR_TEMPLATE_INCONSISTENT when `want` is more than
 * the mechanism can give. */
CK_RV tsr_mech_derive(const tsr_mech *m, const CK_MECHANISM *mech, const tsr_key *base, size_t want,
                      unsigned char **out, size_t *out_len);

/* A private key as PKCS#8 PrivateKeyInfo DER, what C_WrapKey encrypts.
 * *der is malloc'd; free it with tsr_free_secret. */
CK_RV tsr_mech_pkcs8_encode(EVP_PKEY *pkey, unsigned char **der, size_t *len);
/* The private key attributes in PKCS#8 DER (C_UnwrapKey): the material,
 * CKA_KEY_TYPE and, for the EC family, CKA_EC_PARAMS, added to `priv`; *type
 * set.  CKR_WRAPPED_KEY_INVALID when it does not parse or holds a kind of key
 * this token does not know. */
CK_RV tsr_mech_pkcs8_decode(const unsigned char *der, size_t len, CK_KEY_TYPE *type,
                            tsr_attrs *priv);

#endif
