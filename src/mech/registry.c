/* The mechanism table: one const row per mechanism, sorted by type.
 * C_GetMechanismList, C_GetMechanismInfo, the checks at C_*Init and the
 * dispatch all read it.  Adding a mechanism means one row (and its family). */
#include "mech-impl.h"
#include "sym.h"

/* Key sizes in bits.  RSA keys up to OpenSSL's limit can be used; generating
 * beyond 8192 bits takes minutes and is refused. */
#define RSA_USE       1024, 16384
#define RSA_GEN       1024, 8192
#define EC_SIZES      256, 521
#define ECX_SIZES     255, 448
#define GENERIC_SIZES 8, 4096 /* bits */
#define AES_SIZES     16, 32  /* bytes, as PKCS#11 counts AES keys */
#define HMAC_SIZES    1, 4096 /* bytes */

#define EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
#define SIGVER   (TSR_OP_SIGN | TSR_OP_VERIFY)
#define CRYPT    (TSR_OP_ENCRYPT | TSR_OP_DECRYPT)
#define F_SIGVER (CKF_SIGN | CKF_VERIFY)
#define F_CRYPT  (CKF_ENCRYPT | CKF_DECRYPT)

#define DIGEST(t, md)                                                                              \
    {                                                                                              \
        t, {0, 0, CKF_DIGEST}, TSR_OP_DIGEST, {0}, 0, &tsr_digest_ops, md                          \
    }
#define RSA(t, ops, md, kinds, flags)                                                              \
    {                                                                                              \
        t, {RSA_USE, flags}, kinds, {CKK_RSA}, 1, &ops, md                                         \
    }
#define RSA_SIG(t, ops, md) RSA(t, ops, md, SIGVER, F_SIGVER)
#define ECDSA(t, md)                                                                               \
    {                                                                                              \
        t, {EC_SIZES, F_SIGVER | EC_FLAGS}, SIGVER, {CKK_EC}, 1, &tsr_ecdsa_ops, md                \
    }
#define KEYGEN(t, sizes, flags)                                                                    \
    {                                                                                              \
        t, {sizes, flags}, 0, {0}, 0, NULL, NULL                                                   \
    }
/* Symmetric: HMAC on generic secret keys, AES ciphers (some also wrap) and CMAC. */
#define HMAC(t, ops, md)                                                                           \
    {                                                                                              \
        t, {HMAC_SIZES, F_SIGVER}, SIGVER, {CKK_GENERIC_SECRET}, 1, &ops, md                       \
    }
#define HMACS(t, md) HMAC(t, tsr_hmac_ops, md), HMAC(t##_GENERAL, tsr_hmac_general_ops, md)
#define AES(t, ops, flags)                                                                         \
    {                                                                                              \
        t, {AES_SIZES, F_CRYPT | (flags)}, CRYPT, {CKK_AES}, 1, &ops, NULL                         \
    }
#define AES_WRAPS (CKF_WRAP | CKF_UNWRAP)
#define CMAC(t, ops)                                                                               \
    {                                                                                              \
        t, {AES_SIZES, F_SIGVER}, SIGVER, {CKK_AES}, 1, &ops, NULL                                 \
    }
/* Key derivation by digesting a secret key. */
#define KEYDIGEST(t, md)                                                                           \
    {                                                                                              \
        t, {GENERIC_SIZES, CKF_DERIVE}, TSR_OP_DERIVE, {CKK_GENERIC_SECRET, CKK_AES}, 2,           \
            &tsr_keydigest_ops, md                                                                 \
    }
#define HKDF(t)                                                                                    \
    {                                                                                              \
        t, {GENERIC_SIZES, CKF_DERIVE}, TSR_OP_DERIVE, {CKK_GENERIC_SECRET, CKK_HKDF}, 2,          \
            &tsr_hkdf_ops, NULL                                                                    \
    }
#define F_WRAP (CKF_WRAP | CKF_UNWRAP)

static const tsr_mech table[] = {
    KEYGEN(CKM_RSA_PKCS_KEY_PAIR_GEN, RSA_GEN, CKF_GENERATE_KEY_PAIR),
    RSA(CKM_RSA_PKCS, tsr_rsa_pkcs_ops, NULL, SIGVER | CRYPT, F_SIGVER | F_CRYPT | F_WRAP),
    RSA(CKM_RSA_X_509, tsr_rsa_x509_ops, NULL, SIGVER | CRYPT, F_SIGVER | F_CRYPT),
    RSA_SIG(CKM_SHA1_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA1"),
    RSA(CKM_RSA_PKCS_OAEP, tsr_rsa_oaep_ops, NULL, CRYPT, F_CRYPT | F_WRAP),
    RSA_SIG(CKM_RSA_PKCS_PSS, tsr_rsa_pss_ops, NULL),
    RSA_SIG(CKM_SHA1_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA1"),
    RSA_SIG(CKM_SHA256_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA256"),
    RSA_SIG(CKM_SHA384_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA384"),
    RSA_SIG(CKM_SHA512_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA512"),
    RSA_SIG(CKM_SHA256_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA256"),
    RSA_SIG(CKM_SHA384_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA384"),
    RSA_SIG(CKM_SHA512_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA512"),
    RSA_SIG(CKM_SHA224_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA224"),
    RSA_SIG(CKM_SHA224_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA224"),
    RSA_SIG(CKM_SHA3_256_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA3-256"),
    RSA_SIG(CKM_SHA3_384_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA3-384"),
    RSA_SIG(CKM_SHA3_512_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA3-512"),
    RSA_SIG(CKM_SHA3_256_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA3-256"),
    RSA_SIG(CKM_SHA3_384_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA3-384"),
    RSA_SIG(CKM_SHA3_512_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA3-512"),
    RSA_SIG(CKM_SHA3_224_RSA_PKCS, tsr_rsa_pkcs_ops, "SHA3-224"),
    RSA_SIG(CKM_SHA3_224_RSA_PKCS_PSS, tsr_rsa_pss_ops, "SHA3-224"),
    DIGEST(CKM_SHA_1, "SHA1"),
    HMACS(CKM_SHA_1_HMAC, "SHA1"),
    DIGEST(CKM_SHA256, "SHA256"),
    HMACS(CKM_SHA256_HMAC, "SHA256"),
    DIGEST(CKM_SHA224, "SHA224"),
    HMACS(CKM_SHA224_HMAC, "SHA224"),
    DIGEST(CKM_SHA384, "SHA384"),
    HMACS(CKM_SHA384_HMAC, "SHA384"),
    DIGEST(CKM_SHA512, "SHA512"),
    HMACS(CKM_SHA512_HMAC, "SHA512"),
    DIGEST(CKM_SHA3_256, "SHA3-256"),
    HMACS(CKM_SHA3_256_HMAC, "SHA3-256"),
    DIGEST(CKM_SHA3_224, "SHA3-224"),
    HMACS(CKM_SHA3_224_HMAC, "SHA3-224"),
    DIGEST(CKM_SHA3_384, "SHA3-384"),
    HMACS(CKM_SHA3_384_HMAC, "SHA3-384"),
    DIGEST(CKM_SHA3_512, "SHA3-512"),
    HMACS(CKM_SHA3_512_HMAC, "SHA3-512"),
    KEYGEN(CKM_GENERIC_SECRET_KEY_GEN, GENERIC_SIZES, CKF_GENERATE),
    KEYDIGEST(CKM_SHA1_KEY_DERIVATION, "SHA1"),
    KEYDIGEST(CKM_SHA256_KEY_DERIVATION, "SHA256"),
    KEYDIGEST(CKM_SHA384_KEY_DERIVATION, "SHA384"),
    KEYDIGEST(CKM_SHA512_KEY_DERIVATION, "SHA512"),
    KEYDIGEST(CKM_SHA224_KEY_DERIVATION, "SHA224"),
    KEYDIGEST(CKM_SHA3_256_KEY_DERIVE, "SHA3-256"),
    KEYDIGEST(CKM_SHA3_224_KEY_DERIVE, "SHA3-224"),
    KEYDIGEST(CKM_SHA3_384_KEY_DERIVE, "SHA3-384"),
    KEYDIGEST(CKM_SHA3_512_KEY_DERIVE, "SHA3-512"),
    KEYGEN(CKM_PKCS5_PBKD2, GENERIC_SIZES, CKF_GENERATE),
    KEYGEN(CKM_EC_KEY_PAIR_GEN, EC_SIZES, CKF_GENERATE_KEY_PAIR | EC_FLAGS),
    ECDSA(CKM_ECDSA, NULL),
    ECDSA(CKM_ECDSA_SHA1, "SHA1"),
    ECDSA(CKM_ECDSA_SHA224, "SHA224"),
    ECDSA(CKM_ECDSA_SHA256, "SHA256"),
    ECDSA(CKM_ECDSA_SHA384, "SHA384"),
    ECDSA(CKM_ECDSA_SHA512, "SHA512"),
    ECDSA(CKM_ECDSA_SHA3_224, "SHA3-224"),
    ECDSA(CKM_ECDSA_SHA3_256, "SHA3-256"),
    ECDSA(CKM_ECDSA_SHA3_384, "SHA3-384"),
    ECDSA(CKM_ECDSA_SHA3_512, "SHA3-512"),
    {CKM_ECDH1_DERIVE,
     {255, 521, CKF_DERIVE | EC_FLAGS},
     TSR_OP_DERIVE,
     {CKK_EC, CKK_EC_MONTGOMERY},
     2,
     &tsr_ecdh_ops,
     NULL},
    {CKM_ECDH1_COFACTOR_DERIVE,
     {EC_SIZES, CKF_DERIVE | EC_FLAGS},
     TSR_OP_DERIVE,
     {CKK_EC},
     1,
     &tsr_ecdh_ops,
     "cofactor"},
    KEYGEN(CKM_EC_EDWARDS_KEY_PAIR_GEN, ECX_SIZES,
           CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_NAMEDCURVE),
    KEYGEN(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, ECX_SIZES,
           CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_NAMEDCURVE),
    {CKM_EDDSA,
     {ECX_SIZES, F_SIGVER | CKF_EC_F_P | CKF_EC_NAMEDCURVE},
     SIGVER,
     {CKK_EC_EDWARDS},
     1,
     &tsr_eddsa_ops,
     NULL},
    KEYGEN(CKM_AES_KEY_GEN, AES_SIZES, CKF_GENERATE),
    AES(CKM_AES_ECB, tsr_aes_ops, 0),
    AES(CKM_AES_CBC, tsr_aes_ops, 0),
    AES(CKM_AES_CBC_PAD, tsr_aes_ops, AES_WRAPS),
    AES(CKM_AES_CTR, tsr_aes_ops, 0),
    AES(CKM_AES_GCM, tsr_aes_gcm_ops, 0),
    AES(CKM_AES_CCM, tsr_aes_ccm_ops, 0),
    AES(CKM_AES_CTS, tsr_aes_ops, 0),
    CMAC(CKM_AES_CMAC, tsr_cmac_ops),
    CMAC(CKM_AES_CMAC_GENERAL, tsr_cmac_general_ops),
    AES(CKM_AES_KEY_WRAP, tsr_aes_kw_ops, AES_WRAPS),
    AES(CKM_AES_KEY_WRAP_PAD, tsr_aes_kw_ops, AES_WRAPS),
    AES(CKM_AES_KEY_WRAP_KWP, tsr_aes_kw_ops, AES_WRAPS),
    HKDF(CKM_HKDF_DERIVE),
    HKDF(CKM_HKDF_DATA)};

#define N_ROWS (sizeof(table) / sizeof(table[0]))

const tsr_mech *tsr_mech_lookup(CK_MECHANISM_TYPE type)
{
    size_t lo = 0, hi = N_ROWS;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (table[mid].type == type)
            return &table[mid];
        if (table[mid].type < type)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t tsr_mech_count(void)
{
    return N_ROWS;
}

const tsr_mech *tsr_mech_at(size_t i)
{
    return i < N_ROWS ? &table[i] : NULL;
}
