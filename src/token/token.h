/* The token layer as the face (src/pkcs11/) sees it: one function per
 * PKCS#11 call, arguments already checked for NULL pointers and obvious
 * nonsense by the face.  Everything here knows PKCS#11 object and session
 * semantics but no SQL and no OpenSSL.
 *
 * Locks are taken inside: the face never locks.  Lock order: module, token
 * rwlock, session mutex; none is held across an OpenSSL call. */
#ifndef TSR_TOKEN_H
#define TSR_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11-3.h"
#include "mech.h"

/* --- module (module.c) --- */

/* C_Initialize after the face validated `args` (NULL, or pReserved NULL and
 * mutex callbacks all-or-none).  CKR_CRYPTOKI_ALREADY_INITIALIZED on a second
 * call; CKR_CANT_LOCK when callbacks are given without CKF_OS_LOCKING_OK and
 * the module cannot use them. */
CK_RV tsr_module_initialize(const CK_C_INITIALIZE_ARGS *args);
/* C_Finalize: closes every session, wakes a blocked C_WaitForSlotEvent. */
CK_RV tsr_module_finalize(void);
/* CKR_OK when initialised in this process (a forked child is not),
 * CKR_CRYPTOKI_NOT_INITIALIZED otherwise.  Every other call checks this first. */
CK_RV tsr_module_check(void);

/* --- slots and tokens (slot.c, token.c, events.c) --- */

/* C_GetSlotList with its length protocol (list NULL: count only). */
CK_RV tsr_slot_list(bool token_present, CK_SLOT_ID *list, CK_ULONG *count);
CK_RV tsr_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO *info);
CK_RV tsr_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *info);
CK_RV tsr_slot_mechanisms(CK_SLOT_ID slot, CK_MECHANISM_TYPE *list, CK_ULONG *count);
CK_RV tsr_slot_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);
/* C_WaitForSlotEvent: CKR_NO_EVENT with CKF_DONT_BLOCK and nothing pending;
 * CKR_CRYPTOKI_NOT_INITIALIZED when C_Finalize woke a blocked caller. */
CK_RV tsr_slot_wait_event(CK_FLAGS flags, CK_SLOT_ID *slot);
/* C_InitToken: label is 32 blank-padded bytes. */
CK_RV tsr_token_init(CK_SLOT_ID slot, const CK_UTF8CHAR *pin, CK_ULONG pin_len,
                     const CK_UTF8CHAR *label);

/* --- sessions (session.c) --- */

CK_RV tsr_session_open(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *out);
CK_RV tsr_session_close(CK_SESSION_HANDLE h);
CK_RV tsr_session_close_all(CK_SLOT_ID slot);
CK_RV tsr_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO *info);

/* --- login and PINs (login.c) --- */

CK_RV tsr_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG pin_len);
CK_RV tsr_logout(CK_SESSION_HANDLE h);
CK_RV tsr_pin_init(CK_SESSION_HANDLE h, const CK_UTF8CHAR *pin, CK_ULONG pin_len);
CK_RV tsr_pin_set(CK_SESSION_HANDLE h, const CK_UTF8CHAR *old_pin, CK_ULONG old_len,
                  const CK_UTF8CHAR *new_pin, CK_ULONG new_len);

/* --- objects (object.c, find.c) --- */

CK_RV tsr_object_create(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
                        CK_OBJECT_HANDLE *out);
CK_RV tsr_object_copy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, const CK_ATTRIBUTE *tmpl,
                      CK_ULONG count, CK_OBJECT_HANDLE *out);
CK_RV tsr_object_destroy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj);
CK_RV tsr_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ULONG *size);
/* C_GetAttributeValue with the per-attribute protocol: fills every entry it
 * can, and returns the last of CKR_ATTRIBUTE_SENSITIVE /
 * CKR_ATTRIBUTE_TYPE_INVALID / CKR_BUFFER_TOO_SMALL met. */
CK_RV tsr_object_get_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE *tmpl,
                           CK_ULONG count);
CK_RV tsr_object_set_attrs(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, const CK_ATTRIBUTE *tmpl,
                           CK_ULONG count);
CK_RV tsr_find_init(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG count);
CK_RV tsr_find_next(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count);
CK_RV tsr_find_final(CK_SESSION_HANDLE h);

/* --- cryptographic operations (crypto.c) --- */

/* C_EncryptInit, C_SignInit, ...: `mech` NULL cancels an active operation of
 * that kind.  `key` is ignored for TSR_OP_DIGEST.  CKR_OPERATION_ACTIVE when
 * one of that kind runs already. */
CK_RV tsr_crypto_init(CK_SESSION_HANDLE h, tsr_op_kind kind, const CK_MECHANISM *mech,
                      CK_OBJECT_HANDLE key);
/* Single-part call (C_Encrypt, C_Decrypt, C_Digest, C_Sign, C_SignRecover,
 * C_VerifyRecover) with the length protocol; the operation ends unless the
 * call was a length query or CKR_BUFFER_TOO_SMALL. */
CK_RV tsr_crypto_oneshot(CK_SESSION_HANDLE h, tsr_op_kind kind, const unsigned char *in,
                         CK_ULONG in_len, unsigned char *out, CK_ULONG *out_len);
/* C_*Update; `out`/`out_len` are NULL for digest/sign/verify. */
CK_RV tsr_crypto_update(CK_SESSION_HANDLE h, tsr_op_kind kind, const unsigned char *in,
                        CK_ULONG in_len, unsigned char *out, CK_ULONG *out_len);
CK_RV tsr_crypto_final(CK_SESSION_HANDLE h, tsr_op_kind kind, unsigned char *out,
                       CK_ULONG *out_len);
CK_RV tsr_crypto_verify(CK_SESSION_HANDLE h, const unsigned char *data, CK_ULONG data_len,
                        const unsigned char *sig, CK_ULONG sig_len);
CK_RV tsr_crypto_verify_final(CK_SESSION_HANDLE h, const unsigned char *sig, CK_ULONG sig_len);
CK_RV tsr_crypto_digest_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key);
/* The dual-function updates (dual.c): C_DigestEncryptUpdate and
 * C_SignEncryptUpdate (`cipher` TSR_OP_ENCRYPT; `other`, the digest or
 * signature, gets the input), C_DecryptDigestUpdate and C_DecryptVerifyUpdate
 * (`cipher` TSR_OP_DECRYPT; `other` gets the output).  The cipher update's
 * length protocol; `other` is fed only when input was consumed.
 * CKR_OPERATION_NOT_INITIALIZED unless both operations are active; any
 * other failure ends both. */
CK_RV tsr_crypto_dual_update(CK_SESSION_HANDLE h, tsr_op_kind cipher, tsr_op_kind other,
                             const unsigned char *in, CK_ULONG in_len, unsigned char *out,
                             CK_ULONG *out_len);

/* --- keys and randomness (keys.c) --- */

CK_RV tsr_key_generate_pair(CK_SESSION_HANDLE h, const CK_MECHANISM *mech,
                            const CK_ATTRIBUTE *pub_tmpl, CK_ULONG pub_count,
                            const CK_ATTRIBUTE *priv_tmpl, CK_ULONG priv_count,
                            CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv);
CK_RV tsr_key_generate(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, const CK_ATTRIBUTE *tmpl,
                       CK_ULONG count, CK_OBJECT_HANDLE *out);
CK_RV tsr_random(CK_SESSION_HANDLE h, unsigned char *out, CK_ULONG len);

/* --- derivation and wrapping (derive.c, wrap.c) --- */

/* C_DeriveKey (3.0, 5.18.5): the base key must have CKA_DERIVE
 * (CKR_KEY_FUNCTION_NOT_PERMITTED); the new object is a secret key of the
 * template's CKA_KEY_TYPE (default CKK_GENERIC_SECRET) and CKA_VALUE_LEN, or a
 * data object (CKM_HKDF_DATA), plus the base's CKA_DERIVE_TEMPLATE.  Its
 * CKA_LOCAL is false, CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE as the
 * mechanisms say: the new key's own, and-ed with the base key's. */
CK_RV tsr_key_derive(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE base,
                     const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out);
/* C_WrapKey (5.18.3) with the length protocol (`out` NULL: the length).  A
 * secret key is wrapped as its value, a private key as PKCS#8
 * PrivateKeyInfo; a public wrapping key wraps secret keys only.  Refusals:
 * CKR_KEY_FUNCTION_NOT_PERMITTED (no CKA_WRAP), CKR_KEY_UNEXTRACTABLE,
 * CKR_KEY_NOT_WRAPPABLE (CKA_WRAP_WITH_TRUSTED without a CKA_TRUSTED wrapping
 * key), CKR_KEY_HANDLE_INVALID (the key does not match CKA_WRAP_TEMPLATE),
 * CKR_KEY_SIZE_RANGE (too long for the mechanism). */
CK_RV tsr_key_wrap(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping,
                   CK_OBJECT_HANDLE key, unsigned char *out, CK_ULONG *out_len);
/* C_UnwrapKey (5.18.4): a secret or private key (the template's CKA_CLASS)
 * from `wrapped`, with the unwrapping key's CKA_UNWRAP_TEMPLATE.  CKA_LOCAL,
 * CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE are false, CKA_EXTRACTABLE
 * defaults to true.  CKR_WRAPPED_KEY_INVALID / CKR_WRAPPED_KEY_LEN_RANGE for
 * what does not decrypt or parse. */
CK_RV tsr_key_unwrap(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, CK_OBJECT_HANDLE unwrapping,
                     const unsigned char *wrapped, CK_ULONG wrapped_len, const CK_ATTRIBUTE *tmpl,
                     CK_ULONG count, CK_OBJECT_HANDLE *out);

#endif
