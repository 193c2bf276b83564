/* Helpers the ECDH, KDF, OAEP and wrapping API tests share: readable secret
 * keys, C_DeriveKey into one, and reading a value back. */
#ifndef TSR_API_ASYMKIT_H
#define TSR_API_ASYMKIT_H

#include "api.h"

/* Fails unless the two byte strings are equal. */
void ak_assert_bytes(const unsigned char *got, size_t got_len, const unsigned char *want,
                     size_t want_len);
/* A secret key of `type` with CKA_DERIVE, neither sensitive nor unextractable,
 * so its value can be read and wrapped. */
CK_OBJECT_HANDLE ak_secret(CK_SESSION_HANDLE s, CK_KEY_TYPE type, const void *val, size_t len);
/* C_DeriveKey to a readable secret key of `type`; `len` 0 leaves
 * CKA_VALUE_LEN out. */
CK_RV ak_derive(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE base, CK_KEY_TYPE type,
                CK_ULONG len, CK_OBJECT_HANDLE *out);
/* The object's CKA_VALUE (malloc'd); the object is destroyed. */
unsigned char *ak_take_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ULONG *len);
/* Fails unless the object's CKA_VALUE is `want`; the object is destroyed. */
void ak_value_is(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const unsigned char *want,
                 size_t want_len);

#endif
