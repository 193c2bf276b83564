/* The attribute tables behind schema.c: one rule per attribute, grouped in
 * small tables (storage, data, certificate, key, public, private, secret,
 * and per key type), and one row per supported (class, key type) naming the
 * tables that make up its schema.  Only schema.c and schema-table.c see this. */
#ifndef TSR_SCHEMA_IMPL_H
#define TSR_SCHEMA_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11-3.h"

/* Value kind, for size checks (low bits of tsr_attr_rule.flags). */
#define TSR_K_BYTES 0x0u /* any length */
#define TSR_K_BOOL  0x1u /* one CK_BBOOL, CK_TRUE or CK_FALSE */
#define TSR_K_ULONG 0x2u /* one CK_ULONG */
#define TSR_K_DATE  0x3u /* a CK_DATE or empty */
#define TSR_K_MECHS 0x4u /* an array of CK_MECHANISM_TYPE */
#define TSR_K_MASK  0x7u

/* Rules, after the spec's footnotes (PKCS#11 3.0, table 13). */
#define TSR_A_REQ      (1u << 3)  /* needed in a complete object (1) */
#define TSR_A_REQ_GEN  (1u << 4)  /* needed when generated (3) */
#define TSR_A_TOKEN    (1u << 5)  /* set by the token only (2,4,6) */
#define TSR_A_MATERIAL (1u << 6)  /* key material: not given to GENERATE/UNWRAP/DERIVE (4,6) */
#define TSR_A_MODIFY   (1u << 7)  /* may change by set or copy (8) */
#define TSR_A_COPY     (1u << 8)  /* may change in C_CopyObject only */
#define TSR_A_TO_TRUE  (1u << 9)  /* may only go false -> true (11) */
#define TSR_A_TO_FALSE (1u << 10) /* may only go true -> false (12) */
#define TSR_A_SO       (1u << 11) /* only the SO sets it to true (10) */
#define TSR_A_SECRET   (1u << 12) /* secret material, hidden when sensitive (7) */
#define TSR_A_LIMIT    (1u << 13) /* CK_ULONG no greater than `lim` */

/* Default applied by tsr_schema_finish when the attribute is absent. */
#define TSR_D_FALSE (1u << 16)
#define TSR_D_TRUE  (1u << 17)
#define TSR_D_EMPTY (1u << 18)
#define TSR_D_ULONG (1u << 19) /* the rule's `dval` */
#define TSR_D_CLASS (1u << 20) /* the class row's `private_dflt` (CKA_PRIVATE) */
#define TSR_D_MASK  (0x1fu << 16)

typedef struct tsr_attr_rule {
    CK_ATTRIBUTE_TYPE type;
    unsigned flags;
    CK_ULONG dval; /* TSR_D_ULONG default */
    CK_ULONG lim;  /* TSR_A_LIMIT bound */
} tsr_attr_rule;

typedef struct tsr_attr_table {
    const tsr_attr_rule *v;
    size_t n;
} tsr_attr_table;

#define TSR_SCHEMA_PARTS 4

typedef struct tsr_schema_class {
    CK_OBJECT_CLASS klass;
    CK_KEY_TYPE type; /* CK_UNAVAILABLE_INFORMATION for data and certificates */
    bool private_dflt;
    /* Allowed CKA_VALUE lengths of a secret key: min..max in steps (0: no rule). */
    CK_ULONG value_min, value_max, value_step;
    const tsr_attr_table *parts[TSR_SCHEMA_PARTS]; /* NULL-terminated when short */
} tsr_schema_class;

/* Every supported (class, key type). */
extern const tsr_schema_class tsr_schema_classes[];
extern const size_t tsr_schema_class_count;

/* The row for (klass, type), or NULL. */
const tsr_schema_class *tsr_schema_class_find(CK_OBJECT_CLASS klass, CK_KEY_TYPE type);
/* The rule for `type` in row `c`, or NULL. */
const tsr_attr_rule *tsr_schema_rule(const tsr_schema_class *c, CK_ATTRIBUTE_TYPE type);

/* Object classes that carry CKA_KEY_TYPE. */
static inline bool tsr_schema_is_key_class(CK_OBJECT_CLASS klass)
{
    return klass == CKO_PUBLIC_KEY || klass == CKO_PRIVATE_KEY || klass == CKO_SECRET_KEY;
}

#endif
