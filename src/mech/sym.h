/* Internal to src/mech: the symmetric families (AES modes, AEAD, key wrap,
 * MACs) and the few helpers they share.  Every cipher and MAC runs on EVP
 * with our library context; the families only check parameters, count bytes
 * and move buffers. */
#ifndef TSR_SYM_H
#define TSR_SYM_H

#include "mech-impl.h"

#define TSR_AES_BLOCK 16

/* --- families --- */

extern const tsr_mech_ops tsr_aes_ops;          /* aes.c: ECB, CBC, CBC_PAD, CTR, CTS */
extern const tsr_mech_ops tsr_aes_gcm_ops;      /* aead.c */
extern const tsr_mech_ops tsr_aes_ccm_ops;      /* aead.c */
extern const tsr_mech_ops tsr_aes_kw_ops;       /* kw.c: KEY_WRAP, KEY_WRAP_PAD, KEY_WRAP_KWP */
extern const tsr_mech_ops tsr_hmac_ops;         /* mac.c, arg: digest name */
extern const tsr_mech_ops tsr_hmac_general_ops; /* mac.c, arg: digest name */
extern const tsr_mech_ops tsr_cmac_ops;         /* mac.c */
extern const tsr_mech_ops tsr_cmac_general_ops; /* mac.c */

/* --- helpers (sym.c) --- */

/* An AES key's OpenSSL cipher for `mode` ("CBC", "GCM", "WRAP-PAD", ...):
 * CKR_KEY_TYPE_INCONSISTENT unless `key` is secret, CKR_KEY_SIZE_RANGE unless
 * it has 16, 24 or 32 bytes. */
CK_RV tsr_sym_aes_fetch(const tsr_key *key, const char *mode, EVP_CIPHER **out);

/* A new cipher context for `key` in `mode`, initialised for op->kind
 * (encrypt or decrypt) with `iv` (may be NULL) and `params` (may be NULL). */
CK_RV tsr_sym_aes_ctx(const tsr_op *op, const tsr_key *key, const char *mode,
                      const unsigned char *iv, const OSSL_PARAM *params, EVP_CIPHER_CTX **out);

/* A cipher context for `key` in `mode` (a string constant: its address is
 * part of the identity), keyed for op->kind with no IV set yet: the one
 * parked in key->warm when it was keyed the same way (so the key schedule is
 * reused), else a new one.  *e owns the context (e->cctx);
 * the op hands it back with tsr_warm_park(key->warm, *e) when it ends. */
CK_RV tsr_sym_keyed_ctx(const tsr_op *op, const tsr_key *key, const char *mode, tsr_warm_entry **e);

/* EVP_CipherUpdate for any length (EVP counts in int); *out_len is what
 * came out. */
CK_RV tsr_sym_update(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len,
                     size_t *out_len);

/* The error for input of the wrong length: CKR_DATA_LEN_RANGE when
 * encrypting, CKR_ENCRYPTED_DATA_LEN_RANGE when decrypting. */
CK_RV tsr_sym_len_error(const tsr_op *op);

/* A growing buffer for input a mechanism can only use at the end (CCM, GCM
 * decryption).  It may hold plaintext: every copy is wiped. */
typedef struct tsr_sbuf {
    unsigned char *p;
    size_t len;
    size_t alloc;
} tsr_sbuf;

CK_RV tsr_sbuf_append(tsr_sbuf *b, const unsigned char *in, size_t len);
void tsr_sbuf_clear(tsr_sbuf *b);

#endif
