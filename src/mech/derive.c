/* C_DeriveKey's entry into the table: the row and key checks every
 * derivation shares, then the family's `derive`. */
#include "mech-impl.h"

/* No derived secret is larger (HKDF_DATA's data objects included). */
#define DERIVE_MAX_LEN (64u << 10)

static bool key_type_ok(const tsr_mech *m, CK_KEY_TYPE type)
{
    for (unsigned i = 0; i < m->key_type_count; i++)
        if (m->key_types[i] == type)
            return true;
    return false;
}

/* An asymmetric base key's size against the row's CK_MECHANISM_INFO. */
static CK_RV key_size_ok(const tsr_mech *m, const tsr_key *base)
{
    CK_ULONG bits = 0;
    CK_RV rv;

    if (base->pkey == NULL)
        return CKR_OK;
    rv = tsr_mech_key_bits(base->pkey, &bits);
    if (rv == CKR_OK && (bits < m->info.ulMinKeySize || bits > m->info.ulMaxKeySize))
        rv = CKR_KEY_SIZE_RANGE;
    return rv;
}

CK_RV tsr_mech_derive(const tsr_mech *m, const CK_MECHANISM *mech, const tsr_key *base, size_t want,
                      unsigned char **out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    *out = NULL;
    *out_len = 0;
    if (m == NULL || !(m->kinds & TSR_OP_DERIVE) || m->ops == NULL || m->ops->derive == NULL)
        return CKR_MECHANISM_INVALID;
    if (mech == NULL || base == NULL)
        return CKR_ARGUMENTS_BAD;
    if (!key_type_ok(m, base->type))
        return CKR_KEY_TYPE_INCONSISTENT;
    rv = key_size_ok(m, base);
    if (rv != CKR_OK)
        return rv;
    if (want > DERIVE_MAX_LEN)
        return CKR_TEMPLATE_INCONSISTENT;
    return m->ops->derive(m, mech, base, want, out, out_len);
}
