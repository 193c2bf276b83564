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
 *  - CKR_ATTRIBUTE_TYPE_INVALID: an attribute this class does not have
 *    (vendor-defined ones included);
 *  - CKR_ATTRIBUTE_VALUE_INVALID: a wrong size (CK_BBOOL, CK_ULONG, CK_DATE)
 *    or value (a CK_BBOOL other than 0/1, a certificate type other than
 *    CKC_X_509), or a class / key type this token does not support;
 *  - CKR_ATTRIBUTE_READ_ONLY: one only the token sets (CKA_LOCAL,
 *    CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_KEY_GEN_MECHANISM,
 *    CKA_UNIQUE_ID), or key material in a GENERATE, UNWRAP or DERIVE template
 *    (CKA_MODULUS, CKA_VALUE, CKA_EC_POINT ...; not the inputs CKA_VALUE_LEN,
 *    CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT of a public key, CKA_EC_PARAMS);
 *  - CKR_TEMPLATE_INCONSISTENT: CKA_CLASS or CKA_KEY_TYPE other than
 *    `klass`/`type`, or a key type of another class (CKK_AES for a public key);
 *  - CKR_TEMPLATE_INCOMPLETE: a key class with `type` CK_UNAVAILABLE_INFORMATION.
 * COPY is checked as CREATE here; copies go through tsr_schema_check_change. */
CK_RV tsr_schema_check_template(const tsr_attrs *tmpl, CK_OBJECT_CLASS klass, CK_KEY_TYPE type,
                                tsr_origin origin);

/* Finishes a new object whose attributes are the caller's template plus any
 * material the token made (for a generated EC private key that includes
 * CKA_EC_PARAMS), CKA_CLASS and, for keys, CKA_KEY_TYPE:
 *  - CKR_TEMPLATE_INCOMPLETE when a required attribute is missing (GENERATE:
 *    also the generation inputs CKA_MODULUS_BITS, CKA_EC_PARAMS, CKA_VALUE_LEN);
 *  - fills what follows from other attributes: CKA_VALUE_LEN of a secret key,
 *    CKA_MODULUS_BITS of an RSA public key (CKR_TEMPLATE_INCONSISTENT when a
 *    given one disagrees); for an X.509 certificate parses CKA_VALUE and fills
 *    CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_PUBLIC_KEY_INFO and
 *    CKA_CHECK_VALUE when absent (given values are kept), CKR_ATTRIBUTE_VALUE_INVALID
 *    if it does not parse;
 *  - applies defaults (CKA_TOKEN false, CKA_PRIVATE true for private and secret
 *    keys and false otherwise, CKA_MODIFIABLE/COPYABLE/DESTROYABLE true,
 *    CKA_LABEL and CKA_ID empty, usage flags, CKA_SENSITIVE true and
 *    CKA_EXTRACTABLE false; see schema-table.c);
 *  - sets CKA_LOCAL (GENERATE only), CKA_KEY_GEN_MECHANISM (`keygen_mech` for
 *    GENERATE and DERIVE, else CK_UNAVAILABLE_INFORMATION), CKA_ALWAYS_SENSITIVE
 *    and CKA_NEVER_EXTRACTABLE (from CKA_SENSITIVE/CKA_EXTRACTABLE for GENERATE
 *    and DERIVE, false otherwise; for DERIVE the caller ANDs in the base key's);
 *    COPY keeps the source's values;
 *  - CKR_TEMPLATE_INCONSISTENT for CKA_ALWAYS_AUTHENTICATE without CKA_PRIVATE,
 *    CKR_ATTRIBUTE_VALUE_INVALID for a secret key of a length its type forbids.
 * CKA_UNIQUE_ID is left to the token layer. */
CK_RV tsr_schema_finish(tsr_attrs *obj, tsr_origin origin, CK_MECHANISM_TYPE keygen_mech);

/* Checks changes to an existing object: C_SetAttributeValue (`is_copy`
 * false) or the template of C_CopyObject (`is_copy` true).  A read-only
 * attribute is refused even when given the value it has.
 *  - CKR_ACTION_PROHIBITED: set on an object with CKA_MODIFIABLE false, copy
 *    of one with CKA_COPYABLE false (the spec's code for both);
 *  - CKR_ATTRIBUTE_READ_ONLY: the attribute may not change after creation
 *    (CKA_CLASS, CKA_KEY_TYPE, material, CKA_LOCAL ...), or only in a copy
 *    (CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE), or not that way
 *    (CKA_SENSITIVE true->false, CKA_EXTRACTABLE false->true, CKA_COPYABLE,
 *    CKA_DESTROYABLE and CKA_MODIFIABLE false->true, CKA_WRAP_WITH_TRUSTED
 *    true->false); a copy of a non-modifiable object may change only CKA_TOKEN,
 *    CKA_PRIVATE and CKA_MODIFIABLE; a trusted certificate only CKA_TRUSTED;
 *  - CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID as above.
 * Who may set CKA_TRUSTED is tsr_schema_needs_so's question. */
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

/* `tmpl` sets to CK_TRUE an attribute only the SO may set so (CKA_TRUSTED):
 * the token layer answers CKR_USER_NOT_LOGGED_IN or similar unless the SO is. */
bool tsr_schema_needs_so(const tsr_attrs *tmpl);

#endif
