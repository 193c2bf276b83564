/* Internal to src/mech: the ops vtables the table rows point at, and the few
 * helpers the families share (hashes, curves, the asymmetric op state). */
#ifndef TSR_MECH_IMPL_H
#define TSR_MECH_IMPL_H

#include "mech.h"

/* --- families (one vtable each; a row's `arg` is the digest name or NULL) --- */

extern const tsr_mech_ops tsr_digest_ops;    /* digest.c, arg: digest name */
extern const tsr_mech_ops tsr_rsa_pkcs_ops;  /* rsa.c, arg: NULL (raw) or digest */
extern const tsr_mech_ops tsr_rsa_x509_ops;  /* rsa.c, raw only */
extern const tsr_mech_ops tsr_rsa_pss_ops;   /* rsa.c, arg: NULL (raw) or digest */
extern const tsr_mech_ops tsr_ecdsa_ops;     /* ec.c, arg: NULL (raw) or digest */
extern const tsr_mech_ops tsr_eddsa_ops;     /* eddsa.c */
extern const tsr_mech_ops tsr_rsa_oaep_ops;  /* rsa.c */
extern const tsr_mech_ops tsr_ecdh_ops;      /* ecdh.c, arg: NULL, or "cofactor" */
extern const tsr_mech_ops tsr_hkdf_ops;      /* kdf.c */
extern const tsr_mech_ops tsr_keydigest_ops; /* kdf.c, arg: digest name */

/* --- hashes (digest.c) --- */

typedef struct tsr_hash {
    CK_MECHANISM_TYPE mech;   /* CKM_SHA256 */
    CK_RSA_PKCS_MGF_TYPE mgf; /* CKG_MGF1_SHA256 */
    const char *name;         /* OpenSSL's name */
    size_t len;               /* output bytes */
} tsr_hash;

const tsr_hash *tsr_hash_by_mech(CK_MECHANISM_TYPE mech);
const tsr_hash *tsr_hash_by_mgf(CK_RSA_PKCS_MGF_TYPE mgf);
const tsr_hash *tsr_hash_by_name(const char *name);

/* CKR_MECHANISM_PARAM_INVALID unless `mech` carries no parameter. */
CK_RV tsr_mech_no_params(const CK_MECHANISM *mech);

/* --- curves (curve.c) --- */

typedef struct tsr_curve {
    const char *group;            /* OpenSSL group / key type name */
    CK_KEY_TYPE type;             /* CKK_EC, CKK_EC_EDWARDS, CKK_EC_MONTGOMERY */
    const unsigned char *oid_der; /* the DER OBJECT IDENTIFIER, tag included */
    size_t oid_der_len;
    const char *const *names; /* PrintableString names accepted, NULL-terminated */
    unsigned bits;            /* field size, for CK_MECHANISM_INFO ranges */
    size_t point_len;         /* uncompressed (Weierstrass) or raw public key bytes */
    size_t priv_len;          /* scalar / raw private key bytes */
} tsr_curve;

/* Parses CKA_EC_PARAMS: a DER named-curve OID or PrintableString name.
 * CKR_ATTRIBUTE_VALUE_INVALID when it is not DER of either kind,
 * CKR_CURVE_NOT_SUPPORTED when it names a curve we do not know. */
CK_RV tsr_curve_from_params(const unsigned char *der, size_t len, const tsr_curve **out);
/* The curve of an OpenSSL group or key type name ("prime256v1", "X25519"), or NULL. */
const tsr_curve *tsr_curve_by_group(const char *group);
/* The curve of an EC-family EVP_PKEY, or NULL. */
const tsr_curve *tsr_curve_of_pkey(const EVP_PKEY *pkey);
/* The raw public point inside a CKA_EC_POINT, which is a DER OCTET STRING or,
 * leniently, the raw point itself.  Borrowed pointer into `in`.  A Weierstrass
 * point may also be compressed.  CKR_ATTRIBUTE_VALUE_INVALID otherwise. */
CK_RV tsr_curve_point(const tsr_curve *c, const unsigned char *in, size_t len,
                      const unsigned char **pt, size_t *pt_len);
/* Wraps a raw point into a malloc'd DER OCTET STRING. */
CK_RV tsr_curve_wrap_point(const unsigned char *pt, size_t len, unsigned char **out,
                           size_t *out_len);
/* Reads one DER element of tag `tag` spanning all of `in`; its contents. */
bool tsr_der_unwrap(unsigned char tag, const unsigned char *in, size_t len,
                    const unsigned char **body, size_t *body_len);

/* --- asymmetric op state (pk.c), shared by RSA, ECDSA and EdDSA --- */

typedef struct tsr_pk {
    EVP_PKEY *pkey;     /* own reference */
    EVP_MD_CTX *mdctx;  /* hash-and-sign, and EdDSA's one-shot */
    EVP_PKEY_CTX *pctx; /* raw input: the prepared sign/verify/encrypt/decrypt ctx */
    bool buffered;      /* input is collected and used at final */
    unsigned char *buf; /* the input so far; may be plaintext, wiped on free */
    size_t len;
    size_t alloc;
    size_t cap;       /* more input is CKR_DATA_LEN_RANGE */
    size_t exact_len; /* raw input must have this length at final (0: any) */
    size_t pad_to;    /* raw input is left-padded with zeros to this (0: not) */
} tsr_pk;

/* Checks the key holds an EVP_PKEY of the right class for `kind` and makes
 * op->state a tsr_pk with its own reference to it. */
CK_RV tsr_pk_new(tsr_op *op, const tsr_key *key);
/* Hash-and-sign: EVP_DigestSignInit_ex / EVP_DigestVerifyInit_ex with digest
 * `md` (NULL for EdDSA); *pctx (may be NULL) is the ctx to tune, owned by mdctx. */
CK_RV tsr_pk_init_digest(tsr_op *op, const char *md, EVP_PKEY_CTX **pctx);
/* Hash-and-sign with no tuning beyond what the row fixes: a copy of the
 * context kept in key->warm for this row, key and direction when there is
 * one (OpenSSL's init, which fetches and sets up the signature, is skipped),
 * else tsr_pk_init_digest, kept for the next op. */
typedef CK_RV (*tsr_pk_tune_fn)(EVP_PKEY_CTX *pctx, const void *tuning);
/* `tune` (may be NULL) sets up the fresh context from `tuning`, whose bytes
 * are part of what the kept copy is kept for (PSS: MGF and salt length). */
CK_RV tsr_pk_init_digest_kept(tsr_op *op, const tsr_key *key, const char *md, const void *tuning,
                              size_t tuning_len, tsr_pk_tune_fn tune);
/* Raw input: an EVP_PKEY_CTX set up for op->kind; input buffered up to `cap`. */
CK_RV tsr_pk_init_raw(tsr_op *op, size_t cap);
/* Makes a digest-initialised op buffer its input instead (EdDSA). */
CK_RV tsr_pk_set_buffered(tsr_op *op, size_t cap);
/* Checks exact_len and applies pad_to to the buffered input: CKR_OK, or
 * `len_rv` for a wrong length. */
CK_RV tsr_pk_shape_input(tsr_pk *pk, CK_RV len_rv);
/* The `update` of every family built on tsr_pk. */
CK_RV tsr_pk_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                    size_t *out_len);
/* Signs what was fed (raw, hash-and-sign or one-shot); `out` NULL asks the size. */
CK_RV tsr_pk_sign(tsr_pk *pk, unsigned char *out, size_t *out_len);
/* CKR_OK or CKR_SIGNATURE_INVALID. */
CK_RV tsr_pk_verify(tsr_pk *pk, const unsigned char *sig, size_t sig_len);
void tsr_pk_cleanup(tsr_op *op);

/* --- key material (keygen.c) --- */

/* The private key attributes of `pkey` as the token stores them: RSA's
 * modulus, exponents and CRT parts; an EC-family key's CKA_EC_PARAMS (the
 * named-curve OID) and CKA_VALUE; plus CKA_KEY_TYPE.  *type set. */
CK_RV tsr_mech_private_attrs(const EVP_PKEY *pkey, CK_KEY_TYPE *type, tsr_attrs *priv);

/* --- KDFs (kdf.c) --- */

/* Runs OpenSSL KDF `name` ("HKDF", "X963KDF", "PBKDF2") with `params` into
 * `out`; CKR_FUNCTION_FAILED when OpenSSL refuses. */
CK_RV tsr_kdf_run(const char *name, const OSSL_PARAM *params, unsigned char *out, size_t len);
/* CKM_PKCS5_PBKD2: `len` bytes from the password and salt in mech's
 * CK_PKCS5_PBKD2_PARAMS(2).  CKR_MECHANISM_PARAM_INVALID for bad parameters. */
CK_RV tsr_kdf_pbkdf2(const CK_MECHANISM *mech, unsigned char *out, size_t len);

#endif
