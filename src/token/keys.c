/* Key generation and randomness. */
#include <string.h>

#include "schema.h"
#include "token-impl.h"

/* Which key type each pair-generation mechanism makes. */
static const struct {
    CK_MECHANISM_TYPE mech;
    CK_KEY_TYPE type;
} pair_types[] = {
    {CKM_RSA_PKCS_KEY_PAIR_GEN, CKK_RSA},
    {CKM_EC_KEY_PAIR_GEN, CKK_EC},
    {CKM_EC_EDWARDS_KEY_PAIR_GEN, CKK_EC_EDWARDS},
    {CKM_EC_MONTGOMERY_KEY_PAIR_GEN, CKK_EC_MONTGOMERY},
};

static const struct {
    CK_MECHANISM_TYPE mech;
    CK_KEY_TYPE type;
} secret_types[] = {
    {CKM_GENERIC_SECRET_KEY_GEN, CKK_GENERIC_SECRET},
    {CKM_AES_KEY_GEN, CKK_AES},
    {CKM_PKCS5_PBKD2, CK_UNAVAILABLE_INFORMATION}, /* any: the template's CKA_KEY_TYPE */
};

static CK_RV pair_type(CK_MECHANISM_TYPE mech, CK_KEY_TYPE *type)
{
    for (size_t i = 0; i < sizeof(pair_types) / sizeof(pair_types[0]); i++) {
        if (pair_types[i].mech == mech) {
            *type = pair_types[i].type;
            return tsr_mech_lookup(mech) ? CKR_OK : CKR_MECHANISM_INVALID;
        }
    }
    return CKR_MECHANISM_INVALID;
}

static CK_RV secret_type(CK_MECHANISM_TYPE mech, CK_KEY_TYPE *type)
{
    for (size_t i = 0; i < sizeof(secret_types) / sizeof(secret_types[0]); i++) {
        if (secret_types[i].mech == mech) {
            *type = secret_types[i].type;
            return tsr_mech_lookup(mech) ? CKR_OK : CKR_MECHANISM_INVALID;
        }
    }
    return CKR_MECHANISM_INVALID;
}

/* NSS finds a new key's certificate by CKA_ID: when the caller gave none,
 * derive it from the public key as NSS does. */
static CK_RV derive_id(CK_KEY_TYPE type, tsr_attrs *pub, tsr_attrs *priv)
{
    unsigned char id[20];
    CK_RV rv;

    if (tsr_attrs_has(pub, CKA_ID) || tsr_attrs_has(priv, CKA_ID))
        return CKR_OK;
    if ((rv = tsr_mech_key_id(type, pub, id)) != CKR_OK)
        return rv;
    if ((rv = tsr_attrs_set(pub, CKA_ID, id, sizeof(id))) != CKR_OK)
        return rv;
    return tsr_attrs_set(priv, CKA_ID, id, sizeof(id));
}

CK_RV tsr_key_generate_pair(CK_SESSION_HANDLE h, const CK_MECHANISM *mech,
                            const CK_ATTRIBUTE *pub_tmpl, CK_ULONG pub_count,
                            const CK_ATTRIBUTE *priv_tmpl, CK_ULONG priv_count,
                            CK_OBJECT_HANDLE *pub_out, CK_OBJECT_HANDLE *priv_out)
{
    CK_RV rv;
    tsr_session *s;
    tsr_attrs pub, priv, pub_made, priv_made, *objs[2] = {&pub, &priv};
    CK_KEY_TYPE type = 0, made_type = 0;
    CK_OBJECT_HANDLE handles[2];

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_attrs_init(&pub);
    tsr_attrs_init(&priv);
    tsr_attrs_init(&pub_made);
    tsr_attrs_init(&priv_made);
    if ((rv = pair_type(mech->mechanism, &type)) != CKR_OK)
        goto out;
    if ((rv = tsr_attrs_from_template(&pub, pub_tmpl, pub_count)) != CKR_OK ||
        (rv = tsr_attrs_from_template(&priv, priv_tmpl, priv_count)) != CKR_OK)
        goto out;
    if ((rv = tsr_schema_check_template(&pub, CKO_PUBLIC_KEY, type, TSR_ORIGIN_GENERATE)) !=
            CKR_OK ||
        (rv = tsr_schema_check_template(&priv, CKO_PRIVATE_KEY, type, TSR_ORIGIN_GENERATE)) !=
            CKR_OK)
        goto out;
    /* Refuse early, before the (slow) generation. */
    if ((rv = tsr_access_write(s, tsr_attrs_get_bool(&pub, CKA_TOKEN, false),
                               tsr_attrs_get_bool(&pub, CKA_PRIVATE, false))) != CKR_OK ||
        (rv = tsr_access_write(s, tsr_attrs_get_bool(&priv, CKA_TOKEN, false),
                               tsr_attrs_get_bool(&priv, CKA_PRIVATE, true))) != CKR_OK)
        goto out;
    if ((rv = tsr_mech_generate_pair(mech, &pub, &made_type, &pub_made, &priv_made)) != CKR_OK ||
        (rv = tsr_attrs_merge(&pub, &pub_made)) != CKR_OK ||
        (rv = tsr_attrs_merge(&priv, &priv_made)) != CKR_OK)
        goto out;
    if ((rv = tsr_attrs_set_ulong(&pub, CKA_CLASS, CKO_PUBLIC_KEY)) != CKR_OK ||
        (rv = tsr_attrs_set_ulong(&priv, CKA_CLASS, CKO_PRIVATE_KEY)) != CKR_OK ||
        (rv = derive_id(made_type, &pub, &priv)) != CKR_OK)
        goto out;
    if ((rv = tsr_schema_finish(&pub, TSR_ORIGIN_GENERATE, mech->mechanism)) != CKR_OK ||
        (rv = tsr_schema_finish(&priv, TSR_ORIGIN_GENERATE, mech->mechanism)) != CKR_OK)
        goto out;
    if ((rv = tsr_object_add(s, objs, 2, handles)) != CKR_OK)
        goto out;
    *pub_out = handles[0];
    *priv_out = handles[1];
out:
    tsr_attrs_clear(&pub);
    tsr_attrs_clear(&priv);
    tsr_attrs_clear(&pub_made);
    tsr_attrs_clear(&priv_made);
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_key_generate(CK_SESSION_HANDLE h, const CK_MECHANISM *mech, const CK_ATTRIBUTE *tmpl,
                       CK_ULONG count, CK_OBJECT_HANDLE *out)
{
    CK_RV rv;
    tsr_session *s;
    tsr_attrs a, made, *objs[1] = {&a};
    CK_KEY_TYPE type = 0, made_type = 0;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_attrs_init(&a);
    tsr_attrs_init(&made);
    if ((rv = secret_type(mech->mechanism, &type)) != CKR_OK)
        goto out;
    if ((rv = tsr_attrs_from_template(&a, tmpl, count)) != CKR_OK)
        goto out;
    if (type == CK_UNAVAILABLE_INFORMATION)
        tsr_attrs_get_ulong(&a, CKA_KEY_TYPE, &type); /* absent: CKR_TEMPLATE_INCOMPLETE below */
    if ((rv = tsr_schema_check_template(&a, CKO_SECRET_KEY, type, TSR_ORIGIN_GENERATE)) != CKR_OK)
        goto out;
    if ((rv = tsr_access_write(s, tsr_attrs_get_bool(&a, CKA_TOKEN, false),
                               tsr_attrs_get_bool(&a, CKA_PRIVATE, true))) != CKR_OK)
        goto out;
    if ((rv = tsr_mech_generate_secret(mech, &a, &made_type, &made)) != CKR_OK ||
        (rv = tsr_attrs_merge(&a, &made)) != CKR_OK)
        goto out;
    if ((rv = tsr_attrs_set_ulong(&a, CKA_CLASS, CKO_SECRET_KEY)) != CKR_OK ||
        (rv = tsr_schema_finish(&a, TSR_ORIGIN_GENERATE, mech->mechanism)) != CKR_OK)
        goto out;
    rv = tsr_object_add(s, objs, 1, out);
out:
    tsr_attrs_clear(&a);
    tsr_attrs_clear(&made);
    tsr_session_put(s);
    return rv;
}

CK_RV tsr_random(CK_SESSION_HANDLE h, unsigned char *out, CK_ULONG len)
{
    CK_RV rv;
    tsr_session *s;

    if ((rv = tsr_session_get(h, &s)) != CKR_OK)
        return rv;
    tsr_session_put(s);
    return len == 0 ? CKR_OK : tsr_mech_random(out, len);
}
