/* Helpers for the symmetric API tests: secret keys from known values, and
 * encryption, decryption, MACs and digests through the module's function
 * list, each checking the length protocol on the way (a NULL buffer asks the
 * size; for encryption and MACs a buffer one byte short is refused with
 * CKR_BUFFER_TOO_SMALL and the size, and the operation goes on). */
#ifndef TSR_API_SYMKIT_H
#define TSR_API_SYMKIT_H

#include "api.h"

/* A session secret key with CKA_VALUE `v`, usable for every operation. */
CK_OBJECT_HANDLE sym_key(CK_SESSION_HANDLE s, CK_KEY_TYPE type, const void *v, size_t len);

/* Single-part C_Encrypt (enc) or C_Decrypt into `out` (room for `cap`);
 * *out_len set.  Returns the answer of the call that produced the result,
 * or the first failure (the init's included). */
CK_RV sym_crypt(CK_SESSION_HANDLE s, bool enc, CK_MECHANISM *m, CK_OBJECT_HANDLE key,
                const unsigned char *in, size_t len, unsigned char *out, size_t cap,
                size_t *out_len);

/* The same in parts of `chunk` bytes (C_*Update, then C_*Final), each
 * update asked for its size first and given exactly that; the sizes
 * asked are checked against what came out. */
CK_RV sym_crypt_parts(CK_SESSION_HANDLE s, bool enc, CK_MECHANISM *m, CK_OBJECT_HANDLE key,
                      const unsigned char *in, size_t len, size_t chunk, unsigned char *out,
                      size_t cap, size_t *out_len);

/* C_Sign single-part, or in parts of `chunk` (0: single); *out_len set. */
CK_RV sym_sign(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE key, const unsigned char *in,
               size_t len, size_t chunk, unsigned char *out, size_t *out_len);
/* C_Verify single-part, or in parts of `chunk` (0: single). */
CK_RV sym_verify(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE key,
                 const unsigned char *in, size_t len, size_t chunk, const unsigned char *sig,
                 size_t sig_len);

/* C_Digest single-part, or in parts of `chunk` (0: single). */
CK_RV sym_digest(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE type, const unsigned char *in, size_t len,
                 size_t chunk, unsigned char *out, size_t *out_len);

/* Fails the test with both buffers in hex unless they are equal. */
#define assert_bytes(got, got_len, want, want_len)                                                 \
    sym_assert_bytes((got), (got_len), (want), (want_len), __FILE__, __LINE__)
void sym_assert_bytes(const unsigned char *got, size_t got_len, const unsigned char *want,
                      size_t want_len, const char *file, int line);

#endif
