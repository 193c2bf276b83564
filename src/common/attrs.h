/* Attribute arrays that own their values.  The object model, templates,
 * storage blobs and searches all speak in these. */
#ifndef TSR_ATTRS_H
#define TSR_ATTRS_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11-3.h"

typedef struct tsr_attrs {
    CK_ATTRIBUTE *v; /* values are malloc'd copies, owned */
    size_t n;
    size_t cap;
} tsr_attrs;

/* An embedded array starts empty; _clear wipes every value (they may be key material). */
void tsr_attrs_init(tsr_attrs *a);
void tsr_attrs_clear(tsr_attrs *a);

tsr_attrs *tsr_attrs_new(void);
void tsr_attrs_free(tsr_attrs *a);

/* Copies `len` bytes from `val` (which may be NULL when len is 0) and replaces any
 * earlier value of `type`.  CKR_HOST_MEMORY on allocation failure, `a` unchanged. */
CK_RV tsr_attrs_set(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, const void *val, CK_ULONG len);
CK_RV tsr_attrs_set_bool(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, bool val);
CK_RV tsr_attrs_set_ulong(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG val);

/* Sets `type` only when absent: how defaults are applied. */
CK_RV tsr_attrs_default_bool(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, bool val);
CK_RV tsr_attrs_default_ulong(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG val);
CK_RV tsr_attrs_default_bytes(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, const void *val, CK_ULONG len);

/* Borrowed pointer into `a`, NULL when absent. */
const CK_ATTRIBUTE *tsr_attrs_find(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type);
bool tsr_attrs_has(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type);

/* The value as a CK_BBOOL/CK_ULONG; `dflt` when absent or of the wrong size. */
bool tsr_attrs_get_bool(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type, bool dflt);
/* true and *out set when present with the size of a CK_ULONG. */
bool tsr_attrs_get_ulong(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG *out);

/* Removes (and wipes) `type` if present. */
void tsr_attrs_remove(tsr_attrs *a, CK_ATTRIBUTE_TYPE type);

/* Copies every attribute of `from` into `a`, replacing equal types. */
CK_RV tsr_attrs_merge(tsr_attrs *a, const tsr_attrs *from);

/* Validates a caller's template (NULL pValue with non-zero length is
 * CKR_ATTRIBUTE_VALUE_INVALID, a repeated type is CKR_TEMPLATE_INCONSISTENT)
 * and copies it into `out`, which must be initialised. */
CK_RV tsr_attrs_from_template(tsr_attrs *out, const CK_ATTRIBUTE *tmpl, CK_ULONG count);

/* C_FindObjects semantics: every template attribute is present in `a` with an
 * equal value.  An empty template matches everything. */
bool tsr_attrs_match(const tsr_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG count);

/* Serialization for storage: a versioned, length-prefixed record of the
 * attributes for which `keep` returns true (all when `keep` is NULL).
 * *out is malloc'd; the caller frees it with tsr_free_secret when it may hold
 * secrets. */
typedef bool (*tsr_attrs_filter)(CK_ATTRIBUTE_TYPE type, void *arg);
CK_RV tsr_attrs_encode(const tsr_attrs *a, tsr_attrs_filter keep, void *arg, unsigned char **out,
                       size_t *out_len);
/* Adds the attributes of an encoded record to `a`.  A malformed record is
 * CKR_DEVICE_ERROR (the store is damaged) and leaves `a` as it was. */
CK_RV tsr_attrs_decode(tsr_attrs *a, const unsigned char *in, size_t in_len);

/* --- nested templates (nested.c) --- */

/* `type` holds a template (CKF_ARRAY_ATTRIBUTE: CKA_WRAP_TEMPLATE,
 * CKA_UNWRAP_TEMPLATE, CKA_DERIVE_TEMPLATE; not CKA_ALLOWED_MECHANISMS). */
bool tsr_attrs_is_nested(CK_ATTRIBUTE_TYPE type);
/* Deep-copies a caller's nested template (`at->pValue` an array of
 * CK_ATTRIBUTE) into `a` as an owned record in tsr_attrs_encode's form: no
 * caller pointer is kept, and the value is stored like any other.
 * CKR_ATTRIBUTE_VALUE_INVALID for a length that is not a whole array, a NULL
 * value with a length, a template inside, or a repeated type. */
CK_RV tsr_attrs_set_nested(tsr_attrs *a, const CK_ATTRIBUTE *at);
/* The template kept in nested attribute `at` (NULL or empty: none), added to
 * `out`.  CKR_DEVICE_ERROR for a damaged record. */
CK_RV tsr_attrs_get_nested(const CK_ATTRIBUTE *at, tsr_attrs *out);
/* C_GetAttributeValue of nested attribute `have` into the caller's `want`
 * (3.0, 5.7.5): pValue NULL -> the array's size; otherwise an array of that
 * many CK_ATTRIBUTE, each given its type, and its length when its pValue is
 * NULL or its value when the buffer is large enough (else
 * CK_UNAVAILABLE_INFORMATION and CKR_BUFFER_TOO_SMALL). */
CK_RV tsr_attrs_nested_out(const CK_ATTRIBUTE *have, CK_ATTRIBUTE *want);

#endif
