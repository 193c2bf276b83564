/* Attribute rules as data: which attributes each class and key type knows,
 * which are required, which the token sets, which may never be changed or
 * only one way, which are sensitive.  Used at creation, generation, copy and
 * C_SetAttributeValue, and by C_GetAttributeValue. */
#ifndef TSR_SCHEMA_H
#define TSR_SCHEMA_H

#include <stdbool.h>

#include "pkcs11-3.h"
#include "attrs.h"

/* How an object comes to be; the rules differ (CKA_LOCAL, material given or made). */
typedef enum tsr_origin {
    TSR_ORIGIN_CREATE,   /* C_CreateObject: material in the template */
    TSR_ORIGIN_GENERATE, /* C_GenerateKey(Pair): material made by the token */
    TSR_ORIGIN_COPY,     /* C_CopyObject */
    TSR_ORIGIN_DERIVE,   /* C_DeriveKey */
    TSR_ORIGIN_UNWRAP,   /* C_UnwrapKey */
} tsr_origin;

/* Checks what a caller put in a template for a new object of class `klass`
 * and key type `type` (CK_UNAVAILABLE_INFORMATION for non-keys):
 *  - CKR_ATTRIBUTE_TYPE_INVALID: an attribute this class does not have;
 *  - CKR_ATTRIBUTE_VALUE_INVALID: a wrong size (CK_BBOOL, CK_ULONG) or value;
 *  - CKR_ATTRIBUTE_READ_ONLY: one only the token sets (CKA_LOCAL,
 *    CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_KEY_GEN_MECHANISM), or key
 *    material in a GENERATE template (CKA_MODULUS, CKA_VALUE, CKA_EC_POINT ...);
 *  - CKR_TEMPLATE_INCONSISTENT: CKA_CLASS or CKA_KEY_TYPE other than `klass`/`type`. */
CK_RV tsr_schema_check_template(const tsr_attrs *tmpl, CK_OBJECT_CLASS klass, CK_KEY_TYPE type,
                                tsr_origin origin);

/* Finishes a new object whose attributes are the caller's template plus any
 * material the token made: CKR_TEMPLATE_INCOMPLETE when a required attribute
 * is missing; applies defaults (CKA_TOKEN false, CKA_PRIVATE true for private
 * and secret keys and false otherwise, CKA_MODIFIABLE/COPYABLE/DESTROYABLE
 * true, CKA_LABEL empty, usage flags...); sets CKA_LOCAL, CKA_ALWAYS_SENSITIVE,
 * CKA_NEVER_EXTRACTABLE, CKA_KEY_GEN_MECHANISM for the origin; for an X.509
 * certificate parses CKA_VALUE and fills CKA_SUBJECT, CKA_ISSUER and
 * CKA_SERIAL_NUMBER when absent (CKR_ATTRIBUTE_VALUE_INVALID if it does not
 * parse).  `keygen_mech` is the mechanism for GENERATE, else
 * CK_UNAVAILABLE_INFORMATION. */
CK_RV tsr_schema_finish(tsr_attrs *obj, tsr_origin origin, CK_MECHANISM_TYPE keygen_mech);

/* Checks changes to an existing object: C_SetAttributeValue (`is_copy`
 * false) or the template of C_CopyObject (`is_copy` true).
 *  - CKR_ATTRIBUTE_READ_ONLY: CKA_MODIFIABLE is false (set only), or the
 *    attribute may not change after creation (CKA_CLASS, CKA_KEY_TYPE,
 *    material, CKA_LOCAL ...), or CKA_SENSITIVE true->false, CKA_EXTRACTABLE
 *    false->true, CKA_COPYABLE false->true...;
 *  - CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID as above. */
CK_RV tsr_schema_check_change(const tsr_attrs *current, const tsr_attrs *changes, bool is_copy);

/* After a change to CKA_SENSITIVE / CKA_EXTRACTABLE, keeps
 * CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE truthful. */
CK_RV tsr_schema_after_change(tsr_attrs *obj);

/* C_GetAttributeValue must answer CKR_ATTRIBUTE_SENSITIVE for `type`: secret
 * material of a key that is CKA_SENSITIVE or not CKA_EXTRACTABLE. */
bool tsr_schema_is_sensitive(const tsr_attrs *obj, CK_ATTRIBUTE_TYPE type);

/* `type` is key material of class `klass` (private key parts, a secret key's
 * CKA_VALUE): sealed at rest even on an object with CKA_PRIVATE false. */
bool tsr_schema_is_secret(CK_OBJECT_CLASS klass, CK_ATTRIBUTE_TYPE type);

/* `type` is an attribute objects of this class / key type have at all
 * (C_GetAttributeValue answers CKR_ATTRIBUTE_TYPE_INVALID otherwise). */
bool tsr_schema_is_known(const tsr_attrs *obj, CK_ATTRIBUTE_TYPE type);

#endif
