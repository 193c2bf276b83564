/* The attribute rules, as data.  Footnote numbers refer to PKCS#11 3.0,
 * table 13; where the spec leaves a choice to the token, the choice is noted.
 *
 * Usage defaults: the ordinary operations of a class are on (public:
 * encrypt/verify/verify-recover; private: decrypt/sign/sign-recover; secret:
 * encrypt/decrypt/sign/verify); the ones that move or make other keys (wrap,
 * unwrap, derive) are off.  Private and secret keys default to sensitive and
 * not extractable, and to CKA_PRIVATE true. */
#include "schema-impl.h"

/* clang-format spreads brace initialisers in macros over lines. */
/* clang-format off */
#define R(t, f)            {(t), (f), 0, 0}
#define RU(t, f, d)        {(t), (f) | TSR_D_ULONG, (d), 0}
#define RL(t, f, d, l)     {(t), (f) | TSR_D_ULONG | TSR_A_LIMIT, (d), (l)}
#define N(a)               (sizeof(a) / sizeof((a)[0]))
#define TABLE(name, rules) static const tsr_attr_table name = {rules, N(rules)}

#define BOOL_M(t, d) R(t, TSR_K_BOOL | TSR_A_MODIFY | (d))
#define BYTES_M(t)   R(t, TSR_K_BYTES | TSR_A_MODIFY | TSR_D_EMPTY)
#define MATERIAL     (TSR_K_BYTES | TSR_A_MATERIAL)
#define SECRET       (TSR_K_BYTES | TSR_A_MATERIAL | TSR_A_SECRET)
/* clang-format on */

static const tsr_attr_rule storage_rules[] = {
    R(CKA_CLASS, TSR_K_ULONG | TSR_A_REQ),
    R(CKA_TOKEN, TSR_K_BOOL | TSR_A_COPY | TSR_D_FALSE),
    R(CKA_PRIVATE, TSR_K_BOOL | TSR_A_COPY | TSR_D_CLASS),
    R(CKA_MODIFIABLE, TSR_K_BOOL | TSR_A_COPY | TSR_A_TO_FALSE | TSR_D_TRUE),
    BYTES_M(CKA_LABEL),
    R(CKA_COPYABLE, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_FALSE | TSR_D_TRUE),
    /* Choice: like CKA_COPYABLE, so a protection once set stays. */
    R(CKA_DESTROYABLE, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_FALSE | TSR_D_TRUE),
    /* Set by the token layer when it stores the object. */
    R(CKA_UNIQUE_ID, TSR_K_BYTES | TSR_A_TOKEN),
};
TABLE(storage, storage_rules);

/* Choice: the spec is silent on changing data objects; CKA_MODIFIABLE guards them. */
static const tsr_attr_rule data_rules[] = {
    BYTES_M(CKA_APPLICATION),
    BYTES_M(CKA_OBJECT_ID),
    BYTES_M(CKA_VALUE),
};
TABLE(data, data_rules);

static const tsr_attr_rule cert_rules[] = {
    /* The limit 0 admits CKC_X_509 only. */
    {CKA_CERTIFICATE_TYPE, TSR_K_ULONG | TSR_A_REQ | TSR_A_LIMIT, 0, CKC_X_509},
    R(CKA_TRUSTED, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_SO | TSR_D_FALSE),
    RL(CKA_CERTIFICATE_CATEGORY, TSR_K_ULONG, CK_CERTIFICATE_CATEGORY_UNSPECIFIED,
       CK_CERTIFICATE_CATEGORY_OTHER_ENTITY),
    R(CKA_CHECK_VALUE, TSR_K_BYTES), /* filled from CKA_VALUE */
    R(CKA_START_DATE, TSR_K_DATE | TSR_D_EMPTY),
    R(CKA_END_DATE, TSR_K_DATE | TSR_D_EMPTY),
    R(CKA_PUBLIC_KEY_INFO, TSR_K_BYTES), /* filled from CKA_VALUE */
};
TABLE(cert, cert_rules);

static const tsr_attr_rule x509_rules[] = {
    R(CKA_SUBJECT, TSR_K_BYTES | TSR_A_REQ), /* filled from CKA_VALUE */
    BYTES_M(CKA_ID),
    BYTES_M(CKA_ISSUER),        /* filled from CKA_VALUE */
    BYTES_M(CKA_SERIAL_NUMBER), /* filled from CKA_VALUE */
    R(CKA_VALUE, TSR_K_BYTES | TSR_A_REQ),
    R(CKA_URL, TSR_K_BYTES | TSR_D_EMPTY),
    R(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, TSR_K_BYTES | TSR_D_EMPTY),
    R(CKA_HASH_OF_ISSUER_PUBLIC_KEY, TSR_K_BYTES | TSR_D_EMPTY),
    RL(CKA_JAVA_MIDP_SECURITY_DOMAIN, TSR_K_ULONG, CK_SECURITY_DOMAIN_UNSPECIFIED,
       CK_SECURITY_DOMAIN_THIRD_PARTY),
    RU(CKA_NAME_HASH_ALGORITHM, TSR_K_ULONG, CKM_SHA_1),
};
TABLE(x509, x509_rules);

static const tsr_attr_rule key_rules[] = {
    R(CKA_KEY_TYPE, TSR_K_ULONG | TSR_A_REQ),
    BYTES_M(CKA_ID),
    R(CKA_START_DATE, TSR_K_DATE | TSR_A_MODIFY | TSR_D_EMPTY),
    R(CKA_END_DATE, TSR_K_DATE | TSR_A_MODIFY | TSR_D_EMPTY),
    BOOL_M(CKA_DERIVE, TSR_D_FALSE),
    R(CKA_LOCAL, TSR_K_BOOL | TSR_A_TOKEN),
    R(CKA_KEY_GEN_MECHANISM, TSR_K_ULONG | TSR_A_TOKEN),
    R(CKA_ALLOWED_MECHANISMS, TSR_K_MECHS),
    R(CKA_DERIVE_TEMPLATE, TSR_K_BYTES), /* a nested template, see attrs.h */
};
TABLE(key, key_rules);

static const tsr_attr_rule public_rules[] = {
    BYTES_M(CKA_SUBJECT),
    BOOL_M(CKA_ENCRYPT, TSR_D_TRUE),
    BOOL_M(CKA_VERIFY, TSR_D_TRUE),
    BOOL_M(CKA_VERIFY_RECOVER, TSR_D_TRUE),
    BOOL_M(CKA_WRAP, TSR_D_FALSE),
    R(CKA_TRUSTED, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_SO | TSR_D_FALSE),
    R(CKA_WRAP_TEMPLATE, TSR_K_BYTES),
    R(CKA_PUBLIC_KEY_INFO, TSR_K_BYTES),
};
TABLE(public, public_rules);

static const tsr_attr_rule private_rules[] = {
    BYTES_M(CKA_SUBJECT),
    R(CKA_SENSITIVE, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_TRUE | TSR_D_TRUE),
    BOOL_M(CKA_DECRYPT, TSR_D_TRUE),
    BOOL_M(CKA_SIGN, TSR_D_TRUE),
    BOOL_M(CKA_SIGN_RECOVER, TSR_D_TRUE),
    BOOL_M(CKA_UNWRAP, TSR_D_FALSE),
    R(CKA_EXTRACTABLE, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_FALSE | TSR_D_FALSE),
    R(CKA_ALWAYS_SENSITIVE, TSR_K_BOOL | TSR_A_TOKEN),
    R(CKA_NEVER_EXTRACTABLE, TSR_K_BOOL | TSR_A_TOKEN),
    R(CKA_WRAP_WITH_TRUSTED, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_TRUE | TSR_D_FALSE),
    R(CKA_UNWRAP_TEMPLATE, TSR_K_BYTES),
    R(CKA_ALWAYS_AUTHENTICATE, TSR_K_BOOL | TSR_D_FALSE),
    R(CKA_PUBLIC_KEY_INFO, TSR_K_BYTES),
};
TABLE(private, private_rules);

static const tsr_attr_rule secret_rules[] = {
    R(CKA_SENSITIVE, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_TRUE | TSR_D_TRUE),
    BOOL_M(CKA_ENCRYPT, TSR_D_TRUE),
    BOOL_M(CKA_DECRYPT, TSR_D_TRUE),
    BOOL_M(CKA_SIGN, TSR_D_TRUE),
    BOOL_M(CKA_VERIFY, TSR_D_TRUE),
    BOOL_M(CKA_WRAP, TSR_D_FALSE),
    BOOL_M(CKA_UNWRAP, TSR_D_FALSE),
    R(CKA_EXTRACTABLE, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_FALSE | TSR_D_FALSE),
    R(CKA_ALWAYS_SENSITIVE, TSR_K_BOOL | TSR_A_TOKEN),
    R(CKA_NEVER_EXTRACTABLE, TSR_K_BOOL | TSR_A_TOKEN),
    R(CKA_CHECK_VALUE, TSR_K_BYTES),
    R(CKA_WRAP_WITH_TRUSTED, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_TO_TRUE | TSR_D_FALSE),
    R(CKA_TRUSTED, TSR_K_BOOL | TSR_A_MODIFY | TSR_A_SO | TSR_D_FALSE),
    R(CKA_WRAP_TEMPLATE, TSR_K_BYTES),
    R(CKA_UNWRAP_TEMPLATE, TSR_K_BYTES),
    R(CKA_VALUE, SECRET | TSR_A_REQ),
    /* Given for generation and unwrapping; on creation it must match CKA_VALUE. */
    R(CKA_VALUE_LEN, TSR_K_ULONG | TSR_A_REQ_GEN),
};
TABLE(secret, secret_rules);

static const tsr_attr_rule rsa_public_rules[] = {
    R(CKA_MODULUS, MATERIAL | TSR_A_REQ),
    /* Input of generation; on creation computed from CKA_MODULUS (or must match it). */
    R(CKA_MODULUS_BITS, TSR_K_ULONG | TSR_A_REQ_GEN),
    R(CKA_PUBLIC_EXPONENT, TSR_K_BYTES | TSR_A_REQ),
};
TABLE(rsa_public, rsa_public_rules);

static const tsr_attr_rule rsa_private_rules[] = {
    R(CKA_MODULUS, MATERIAL | TSR_A_REQ),
    /* Choice: optional, though 2.40 asks for it; without it there is no public key. */
    R(CKA_PUBLIC_EXPONENT, MATERIAL),
    R(CKA_PRIVATE_EXPONENT, SECRET | TSR_A_REQ),
    R(CKA_PRIME_1, SECRET),
    R(CKA_PRIME_2, SECRET),
    R(CKA_EXPONENT_1, SECRET),
    R(CKA_EXPONENT_2, SECRET),
    R(CKA_COEFFICIENT, SECRET),
};
TABLE(rsa_private, rsa_private_rules);

/* EC, Edwards and Montgomery keys share the shape. */
static const tsr_attr_rule ec_public_rules[] = {
    R(CKA_EC_PARAMS, TSR_K_BYTES | TSR_A_REQ | TSR_A_REQ_GEN),
    R(CKA_EC_POINT, MATERIAL | TSR_A_REQ),
};
TABLE(ec_public, ec_public_rules);

static const tsr_attr_rule ec_private_rules[] = {
    /* Choice: accepted in a GENERATE template too (footnote 4 forbids it), as
     * some callers repeat the curve there; the public template's wins. */
    R(CKA_EC_PARAMS, TSR_K_BYTES | TSR_A_REQ),
    R(CKA_VALUE, SECRET | TSR_A_REQ),
};
TABLE(ec_private, ec_private_rules);

/* clang-format off */
#define NO_KEY      CK_UNAVAILABLE_INFORMATION
#define NO_LEN      0, 0, 0
#define PUB(kt, t)  {CKO_PUBLIC_KEY, (kt), false, NO_LEN, {&storage, &key, &public, &(t)}}
#define PRIV(kt, t) {CKO_PRIVATE_KEY, (kt), true, NO_LEN, {&storage, &key, &private, &(t)}}
/* clang-format on */

const tsr_schema_class tsr_schema_classes[] = {
    {CKO_DATA, NO_KEY, false, NO_LEN, {&storage, &data, NULL, NULL}},
    {CKO_CERTIFICATE, NO_KEY, false, NO_LEN, {&storage, &cert, &x509, NULL}},
    PUB(CKK_RSA, rsa_public),
    PUB(CKK_EC, ec_public),
    PUB(CKK_EC_EDWARDS, ec_public),
    PUB(CKK_EC_MONTGOMERY, ec_public),
    PRIV(CKK_RSA, rsa_private),
    PRIV(CKK_EC, ec_private),
    PRIV(CKK_EC_EDWARDS, ec_private),
    PRIV(CKK_EC_MONTGOMERY, ec_private),
    {CKO_SECRET_KEY, CKK_GENERIC_SECRET, true, 1, (CK_ULONG)-1, 1, {&storage, &key, &secret, NULL}},
    {CKO_SECRET_KEY, CKK_AES, true, 16, 32, 8, {&storage, &key, &secret, NULL}},
};
const size_t tsr_schema_class_count = N(tsr_schema_classes);

const tsr_schema_class *tsr_schema_class_find(CK_OBJECT_CLASS klass, CK_KEY_TYPE type)
{
    for (size_t i = 0; i < tsr_schema_class_count; i++) {
        const tsr_schema_class *c = &tsr_schema_classes[i];

        if (c->klass == klass && c->type == type)
            return c;
    }
    return NULL;
}

const tsr_attr_rule *tsr_schema_rule(const tsr_schema_class *c, CK_ATTRIBUTE_TYPE type)
{
    for (size_t p = 0; p < TSR_SCHEMA_PARTS && c->parts[p] != NULL; p++) {
        const tsr_attr_table *t = c->parts[p];

        for (size_t i = 0; i < t->n; i++)
            if (t->v[i].type == type)
                return &t->v[i];
    }
    return NULL;
}
