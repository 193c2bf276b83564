/* An OpenSSL 3 provider inside the tool: token keys as EVP_PKEYs.
 *
 * Key management for RSA, EC and Ed25519 keys whose private half stays on the
 * token, and signatures that run C_Sign there, so that X509_REQ_sign_ctx,
 * OSSL_CRMF_MSG_create_popo and CMS_add1_signer work unchanged.  It is added
 * with OSSL_PROVIDER_add_builtin to the tool's own OSSL_LIB_CTX, beside the
 * default provider, which does everything public (encoding the
 * SubjectPublicKeyInfo, verifying, digests).
 *
 * A key's data holds the public half as a default-provider EVP_PKEY and, for a
 * token key, a borrowed struct cli_key.  Export gives the public half only and
 * refuses any selection with the private key: OpenSSL then falls back to this
 * provider's own signature instead of a default-provider copy that could not
 * sign.  Import takes either a token key reference (the parameter
 * "tessera-key") or plain public parameters, so that EVP_PKEY_eq can compare a
 * certificate's key with a token key.
 *
 * The signature: RSA PKCS#1 v1.5 signs a DigestInfo (built with X509_SIG)
 * with CKM_RSA_PKCS, RSA-PSS uses CKM_RSA_PKCS_PSS, ECDSA signs the digest with
 * CKM_ECDSA and re-encodes r||s with ECDSA_SIG, and Ed25519 signs the message
 * with CKM_EDDSA.  Digests are computed here, in the default provider, so
 * the token needs only the plain mechanisms every module has.
 *
 * The asymmetric cipher decrypts with RSA keys on the token (C_Decrypt with
 * CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP or CKM_RSA_X_509); encryption, being
 * public, is the default provider's. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "provider-int.h"

/* ---- key management ---- */

static struct tkey *tkey_new(enum alg alg)
{
    struct tkey *k = OPENSSL_zalloc(sizeof(*k));

    if (k != NULL)
        k->alg = alg;
    return k;
}

static void *rsa_new(void *provctx)
{
    return tkey_new(ALG_RSA);
}

static void *ec_new(void *provctx)
{
    return tkey_new(ALG_EC);
}

static void *ed_new(void *provctx)
{
    return tkey_new(ALG_ED25519);
}

static void tkey_free(void *kd)
{
    struct tkey *k = kd;

    if (k == NULL)
        return;
    EVP_PKEY_free(k->pub);
    OPENSSL_free(k);
}

static int tkey_has(const void *kd, int selection)
{
    const struct tkey *k = kd;

    if (k == NULL)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && k->ref == NULL)
        return 0;
    return k->pub != NULL || (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0;
}

static int tkey_match(const void *a, const void *b, int selection)
{
    const struct tkey *x = a, *y = b;

    if (x->pub == NULL || y->pub == NULL)
        return 0;
    return EVP_PKEY_eq(x->pub, y->pub) == 1;
}

static const char *alg_type(enum alg alg)
{
    return alg == ALG_RSA ? "RSA" : alg == ALG_EC ? "EC" : "ED25519";
}

static int tkey_import(void *kd, int selection, const OSSL_PARAM params[])
{
    struct tkey *k = kd;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, KEY_REF_PARAM);
    EVP_PKEY_CTX *ctx;
    int ok;

    if (k == NULL || k->pub != NULL)
        return 0;
    if (p != NULL) {
        struct cli_key *ref = NULL;

        if (p->data_type != OSSL_PARAM_OCTET_STRING || p->data_size != sizeof(ref))
            return 0;
        memcpy(&ref, p->data, sizeof(ref));
        if (ref == NULL || ref->pub == NULL || !EVP_PKEY_up_ref(ref->pub))
            return 0;
        k->ref = ref;
        k->pub = ref->pub;
        return 1;
    }
    /* Public parameters only (for comparisons): a default-provider key. */
    if (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY &&
        OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY) != NULL)
        return 0;
    ctx = EVP_PKEY_CTX_new_from_name(cli_libctx(), alg_type(k->alg), "provider=default");
    ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) > 0 &&
         EVP_PKEY_fromdata(ctx, &k->pub, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static const OSSL_PARAM *rsa_types(int selection)
{
    static const OSSL_PARAM t[] = {OSSL_PARAM_octet_string(KEY_REF_PARAM, NULL, 0),
                                   OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
                                   OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0), OSSL_PARAM_END};
    return t;
}

static const OSSL_PARAM *ec_types(int selection)
{
    static const OSSL_PARAM t[] = {
        OSSL_PARAM_octet_string(KEY_REF_PARAM, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
        OSSL_PARAM_END};
    return t;
}

static const OSSL_PARAM *ed_types(int selection)
{
    static const OSSL_PARAM t[] = {OSSL_PARAM_octet_string(KEY_REF_PARAM, NULL, 0),
                                   OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
                                   OSSL_PARAM_END};
    return t;
}

static int tkey_export(void *kd, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    struct tkey *k = kd;
    OSSL_PARAM *params = NULL;
    int ok;

    /* Never a private key: it does not leave the token. */
    if (k == NULL || k->pub == NULL || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY))
        return 0;
    if (EVP_PKEY_todata(k->pub, EVP_PKEY_PUBLIC_KEY, &params) <= 0)
        return 0;
    ok = cb(params, cbarg);
    OSSL_PARAM_free(params);
    return ok;
}

static int tkey_get_params(void *kd, OSSL_PARAM params[])
{
    struct tkey *k = kd;

    return k != NULL && k->pub != NULL && EVP_PKEY_get_params(k->pub, params);
}

static const OSSL_PARAM *tkey_gettable(void *provctx)
{
    static const OSSL_PARAM t[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
        OSSL_PARAM_END};
    return t;
}

static void *tkey_dup(const void *kd, int selection)
{
    const struct tkey *k = kd;
    struct tkey *d = tkey_new(k->alg);

    if (d == NULL || (k->pub != NULL && !EVP_PKEY_up_ref(k->pub))) {
        OPENSSL_free(d);
        return NULL;
    }
    d->pub = k->pub;
    d->ref = k->ref;
    return d;
}

static const char *ec_opname(int op)
{
    return op == OSSL_OP_SIGNATURE ? "ECDSA" : NULL;
}

static const char *rsa_opname(int op)
{
    return "RSA";
}

static const char *ed_opname(int op)
{
    return "ED25519";
}

#define KEYMGMT(prefix)                                                                            \
    static const OSSL_DISPATCH prefix##_keymgmt[] = {                                              \
        FN(OSSL_FUNC_KEYMGMT_NEW, prefix##_new),                                                   \
        FN(OSSL_FUNC_KEYMGMT_FREE, tkey_free),                                                     \
        FN(OSSL_FUNC_KEYMGMT_HAS, tkey_has),                                                       \
        FN(OSSL_FUNC_KEYMGMT_MATCH, tkey_match),                                                   \
        FN(OSSL_FUNC_KEYMGMT_IMPORT, tkey_import),                                                 \
        FN(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, prefix##_types),                                        \
        FN(OSSL_FUNC_KEYMGMT_EXPORT, tkey_export),                                                 \
        FN(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, prefix##_types),                                        \
        FN(OSSL_FUNC_KEYMGMT_GET_PARAMS, tkey_get_params),                                         \
        FN(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, tkey_gettable),                                      \
        FN(OSSL_FUNC_KEYMGMT_DUP, tkey_dup),                                                       \
        FN(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, prefix##_opname),                               \
        {0, NULL}}
KEYMGMT(rsa);
KEYMGMT(ec);
KEYMGMT(ed);

/* ---- the provider ---- */

#define RSA_NAMES "RSA:rsaEncryption:1.2.840.113549.1.1.1"
#define EC_NAMES  "EC:id-ecPublicKey:1.2.840.10045.2.1"
#define ED_NAMES  "ED25519:1.3.101.112"

static const OSSL_ALGORITHM keymgmt_algs[] = {
    {RSA_NAMES, PROPS, rsa_keymgmt, "RSA keys on a PKCS#11 token"},
    {EC_NAMES, PROPS, ec_keymgmt, "EC keys on a PKCS#11 token"},
    {ED_NAMES, PROPS, ed_keymgmt, "Ed25519 keys on a PKCS#11 token"},
    {NULL, NULL, NULL, NULL}};

static const OSSL_ALGORITHM signature_algs[] = {
    {RSA_NAMES, PROPS, cli_prov_signature_fns, "RSA signatures on a PKCS#11 token"},
    {"ECDSA", PROPS, cli_prov_signature_fns, "ECDSA on a PKCS#11 token"},
    {ED_NAMES, PROPS, cli_prov_signature_fns, "Ed25519 on a PKCS#11 token"},
    {NULL, NULL, NULL, NULL}};

static const OSSL_ALGORITHM asym_cipher_algs[] = {
    {RSA_NAMES, PROPS, cli_prov_rsa_cipher_fns, "RSA decryption on a PKCS#11 token"},
    {NULL, NULL, NULL, NULL}};

static const OSSL_ALGORITHM *query(void *provctx, int op, int *no_cache)
{
    *no_cache = 0;
    switch (op) {
    case OSSL_OP_KEYMGMT:
        return keymgmt_algs;
    case OSSL_OP_SIGNATURE:
        return signature_algs;
    case OSSL_OP_ASYM_CIPHER:
        return asym_cipher_algs;
    default:
        return NULL;
    }
}

static const OSSL_DISPATCH provider_fns[] = {FN(OSSL_FUNC_PROVIDER_QUERY_OPERATION, query),
                                             {0, NULL}};

static int provider_init(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
                         const OSSL_DISPATCH **out, void **provctx)
{
    *out = provider_fns;
    *provctx = (void *)core;
    return 1;
}

OSSL_LIB_CTX *cli_libctx(void)
{
    static OSSL_LIB_CTX *ctx;

    if (ctx != NULL)
        return ctx;
    ctx = OSSL_LIB_CTX_new();
    if (ctx == NULL || OSSL_PROVIDER_load(ctx, "default") == NULL ||
        !OSSL_PROVIDER_add_builtin(ctx, "tessera", provider_init) ||
        OSSL_PROVIDER_load(ctx, "tessera") == NULL) {
        cli_err_ssl(CLI_EFAIL, "cannot set up OpenSSL");
        exit(CLI_EFAIL);
    }
    return ctx;
}

EVP_PKEY *cli_key_pkey(struct cli_key *k)
{
    const char *type = k->type == CKK_RSA ? "RSA" : k->type == CKK_EC ? "EC" : "ED25519";
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM p[2];

    if (k->type == CKK_EC_EDWARDS && !EVP_PKEY_is_a(k->pub, "ED25519")) {
        cli_err(CLI_EUNSUPPORTED, "only Ed25519 EdDSA keys are supported");
        return NULL;
    }
    ctx = EVP_PKEY_CTX_new_from_name(cli_libctx(), type, PROPS);
    p[0] = OSSL_PARAM_construct_octet_string(KEY_REF_PARAM, &k, sizeof(k));
    p[1] = OSSL_PARAM_construct_end();
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, p) <= 0) {
        cli_err_ssl(CLI_EFAIL, "cannot make an OpenSSL key of the token key");
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}
