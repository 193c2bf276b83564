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

#include "keys.h"

#define KEY_REF_PARAM "tessera-key"
#define PROPS         "provider=tessera"

enum alg { ALG_RSA, ALG_EC, ALG_ED25519 };

struct tkey {
    enum alg alg;
    EVP_PKEY *pub;       /* owned reference */
    struct cli_key *ref; /* borrowed; NULL for a public-only key */
};

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
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0), OSSL_PARAM_END};
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

#define FN(id, f) {id, (void (*)(void))(f)}
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

/* ---- signatures ---- */

struct tsig {
    struct tkey *key;
    EVP_MD *md;
    EVP_MD_CTX *mdctx;
    int pad;     /* RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING */
    int saltlen; /* PSS: RSA_PSS_SALTLEN_DIGEST, _MAX, _AUTO or a length */
    EVP_MD *mgf1;
    unsigned char *msg; /* Ed25519: the whole message */
    size_t msglen;
};

static void *sig_newctx(void *provctx, const char *propq)
{
    struct tsig *s = OPENSSL_zalloc(sizeof(*s));

    if (s != NULL) {
        s->pad = RSA_PKCS1_PADDING;
        s->saltlen = RSA_PSS_SALTLEN_DIGEST;
    }
    return s;
}

static void sig_freectx(void *ctx)
{
    struct tsig *s = ctx;

    if (s == NULL)
        return;
    EVP_MD_free(s->md);
    EVP_MD_free(s->mgf1);
    EVP_MD_CTX_free(s->mdctx);
    OPENSSL_clear_free(s->msg, s->msglen);
    OPENSSL_free(s);
}

static void *sig_dupctx(void *ctx)
{
    struct tsig *s = ctx, *d = OPENSSL_memdup(s, sizeof(*s));

    if (d == NULL)
        return NULL;
    d->mdctx = NULL;
    d->msg = NULL;
    if ((d->md != NULL && !EVP_MD_up_ref(d->md)) || (d->mgf1 != NULL && !EVP_MD_up_ref(d->mgf1)))
        goto fail;
    if (s->mdctx != NULL &&
        ((d->mdctx = EVP_MD_CTX_new()) == NULL || !EVP_MD_CTX_copy_ex(d->mdctx, s->mdctx)))
        goto fail;
    if (s->msg != NULL && (d->msg = OPENSSL_memdup(s->msg, s->msglen)) == NULL)
        goto fail;
    return d;
fail:
    sig_freectx(d);
    return NULL;
}

static int set_md(EVP_MD **slot, const char *name)
{
    EVP_MD *md = EVP_MD_fetch(cli_libctx(), name, "provider=default");

    if (md == NULL)
        return 0;
    EVP_MD_free(*slot);
    *slot = md;
    return 1;
}

static int sig_set_ctx_params(void *ctx, const OSSL_PARAM params[])
{
    struct tsig *s = ctx;
    const OSSL_PARAM *p;
    char name[64], *pn = name;

    if (params == NULL)
        return 1;
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST);
    if (p != NULL && (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) || !set_md(&s->md, name)))
        return 0;
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
    if (p != NULL) {
        if (p->data_type == OSSL_PARAM_UTF8_STRING)
            s->pad = strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PSS) == 0 ? RSA_PKCS1_PSS_PADDING
                                                                      : RSA_PKCS1_PADDING;
        else if (!OSSL_PARAM_get_int(p, &s->pad))
            return 0;
        if (s->pad != RSA_PKCS1_PADDING && s->pad != RSA_PKCS1_PSS_PADDING)
            return 0;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN);
    if (p != NULL) {
        if (p->data_type == OSSL_PARAM_UTF8_STRING)
            s->saltlen = strcmp(p->data, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX) == 0
                             ? RSA_PSS_SALTLEN_MAX
                         : strcmp(p->data, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0
                             ? RSA_PSS_SALTLEN_DIGEST
                             : atoi(p->data);
        else if (!OSSL_PARAM_get_int(p, &s->saltlen))
            return 0;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
    pn = name;
    if (p != NULL &&
        (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) || !set_md(&s->mgf1, name)))
        return 0;
    return 1;
}

static const OSSL_PARAM *sig_settable(void *ctx, void *provctx)
{
    static const OSSL_PARAM t[] = {
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
        OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0), OSSL_PARAM_END};
    return t;
}

/* The signature's AlgorithmIdentifier, DER, through X509_ALGOR. */
static int algorithm_id(const struct tsig *s, unsigned char **der)
{
    X509_ALGOR *alg = X509_ALGOR_new();
    int md_nid = s->md != NULL ? EVP_MD_get_type(s->md) : NID_undef, sig_nid = NID_undef, len = -1;
    int pkey_nid = s->key->alg == ALG_RSA  ? NID_rsaEncryption
                   : s->key->alg == ALG_EC ? NID_X9_62_id_ecPublicKey
                                           : NID_ED25519;

    if (alg == NULL)
        return -1;
    if (s->key->alg == ALG_ED25519)
        sig_nid = NID_ED25519;
    else if (s->key->alg == ALG_RSA && s->pad == RSA_PKCS1_PSS_PADDING)
        sig_nid = NID_undef; /* RSASSA-PSS carries parameters: not offered as an AlgorithmId */
    else if (!OBJ_find_sigid_by_algs(&sig_nid, md_nid, pkey_nid))
        sig_nid = NID_undef;
    if (sig_nid != NID_undef &&
        X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid),
                        s->key->alg == ALG_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, NULL))
        len = i2d_X509_ALGOR(alg, der);
    X509_ALGOR_free(alg);
    return len;
}

static int sig_get_ctx_params(void *ctx, OSSL_PARAM params[])
{
    struct tsig *s = ctx;
    OSSL_PARAM *p;

    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
    if (p != NULL) {
        unsigned char *der = NULL;
        int len = s->key != NULL ? algorithm_id(s, &der) : -1;
        int ok = len > 0 && OSSL_PARAM_set_octet_string(p, der, (size_t)len);

        OPENSSL_free(der);
        if (!ok)
            return 0;
    }
    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST);
    if (p != NULL && s->md != NULL && !OSSL_PARAM_set_utf8_string(p, EVP_MD_get0_name(s->md)))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
    if (p != NULL) {
        int ok = p->data_type == OSSL_PARAM_UTF8_STRING
                     ? OSSL_PARAM_set_utf8_string(p, s->pad == RSA_PKCS1_PSS_PADDING
                                                         ? OSSL_PKEY_RSA_PAD_MODE_PSS
                                                         : OSSL_PKEY_RSA_PAD_MODE_PKCSV15)
                     : OSSL_PARAM_set_int(p, s->pad);
        if (!ok)
            return 0;
    }
    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN);
    if (p != NULL && !OSSL_PARAM_set_int(p, s->saltlen))
        return 0;
    return 1;
}

static const OSSL_PARAM *sig_gettable(void *ctx, void *provctx)
{
    static const OSSL_PARAM t[] = {
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
        OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL), OSSL_PARAM_END};
    return t;
}

static int sig_init(void *ctx, void *kd, const OSSL_PARAM params[])
{
    struct tsig *s = ctx;
    struct tkey *k = kd;

    if (k == NULL || k->ref == NULL) {
        ERR_raise_data(ERR_LIB_PROV, ERR_R_PASSED_INVALID_ARGUMENT, "not a token key");
        return 0;
    }
    s->key = k;
    return sig_set_ctx_params(s, params);
}

/* C_SignInit + C_Sign with the two-call length protocol. */
static int token_sign(struct cli_key *k, CK_MECHANISM *mech, const unsigned char *in, size_t inlen,
                      unsigned char *out, size_t *outlen)
{
    CK_FUNCTION_LIST *fl = k->slot.mod->fl;
    CK_ULONG len = (CK_ULONG)*outlen;
    CK_RV rv;

    rv = fl->C_SignInit(k->session, mech, k->priv);
    if (rv == CKR_OK)
        rv = fl->C_Sign(k->session, (CK_BYTE *)in, inlen, out, &len);
    if (rv != CKR_OK) {
        ERR_raise_data(ERR_LIB_PROV, ERR_R_OPERATION_FAIL, "the token refused to sign: %s",
                       cli_rv_name(rv));
        return 0;
    }
    *outlen = len;
    return 1;
}

static CK_MECHANISM_TYPE ck_hash(const EVP_MD *md, CK_RSA_PKCS_MGF_TYPE *mgf)
{
    static const struct {
        int nid;
        CK_MECHANISM_TYPE hash;
        CK_RSA_PKCS_MGF_TYPE mgf;
    } t[] = {
        {NID_sha1, CKM_SHA_1, CKG_MGF1_SHA1},       {NID_sha224, CKM_SHA224, CKG_MGF1_SHA224},
        {NID_sha256, CKM_SHA256, CKG_MGF1_SHA256}, {NID_sha384, CKM_SHA384, CKG_MGF1_SHA384},
        {NID_sha512, CKM_SHA512, CKG_MGF1_SHA512},
    };
    size_t i;

    for (i = 0; md != NULL && i < sizeof(t) / sizeof(t[0]); i++) {
        if (EVP_MD_get_type(md) == t[i].nid) {
            if (mgf != NULL)
                *mgf = t[i].mgf;
            return t[i].hash;
        }
    }
    return CK_UNAVAILABLE_INFORMATION;
}

static int sign_rsa(struct tsig *s, unsigned char *sig, size_t *siglen, const unsigned char *tbs,
                    size_t tbslen)
{
    CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
    CK_RSA_PKCS_PSS_PARAMS pss;
    unsigned char *der = NULL;
    X509_SIG *di = NULL;
    X509_ALGOR *alg;
    ASN1_OCTET_STRING *dig;
    int len, ok;

    if (s->pad == RSA_PKCS1_PSS_PADDING) {
        CK_RSA_PKCS_MGF_TYPE mgf = 0;
        int mdlen = EVP_MD_get_size(s->md);

        if (s->md == NULL || (pss.hashAlg = ck_hash(s->md, NULL)) == CK_UNAVAILABLE_INFORMATION ||
            ck_hash(s->mgf1 != NULL ? s->mgf1 : s->md, &mgf) == CK_UNAVAILABLE_INFORMATION)
            return 0;
        pss.mgf = mgf;
        pss.sLen = s->saltlen >= 0 ? (CK_ULONG)s->saltlen
                   : s->saltlen == RSA_PSS_SALTLEN_DIGEST
                       ? (CK_ULONG)mdlen
                       : (CK_ULONG)(EVP_PKEY_get_size(s->key->pub) - mdlen - 2);
        mech = (CK_MECHANISM){CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
        return token_sign(s->key->ref, &mech, tbs, tbslen, sig, siglen);
    }
    if (s->md == NULL) /* the caller's input is the DigestInfo */
        return token_sign(s->key->ref, &mech, tbs, tbslen, sig, siglen);
    /* PKCS#1 v1.5 signs a DigestInfo, which X509_SIG is. */
    di = X509_SIG_new();
    if (di == NULL)
        return 0;
    X509_SIG_getm(di, &alg, &dig);
    ok = X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(s->md)), V_ASN1_NULL, NULL) &&
         ASN1_OCTET_STRING_set(dig, tbs, (int)tbslen) && (len = i2d_X509_SIG(di, &der)) > 0 &&
         token_sign(s->key->ref, &mech, der, (size_t)len, sig, siglen);
    X509_SIG_free(di);
    OPENSSL_free(der);
    return ok;
}

static int sign_ec(struct tsig *s, unsigned char *sig, size_t *siglen, size_t sigsize,
                   const unsigned char *tbs, size_t tbslen)
{
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    unsigned char raw[2 * 66 + 2];
    size_t rawlen = sizeof(raw);
    ECDSA_SIG *es = NULL;
    BIGNUM *r, *sv;
    unsigned char *p = sig;
    int len, ok = 0;

    if (!token_sign(s->key->ref, &mech, tbs, tbslen, raw, &rawlen) || rawlen % 2 != 0)
        return 0;
    r = BN_bin2bn(raw, (int)rawlen / 2, NULL);
    sv = BN_bin2bn(raw + rawlen / 2, (int)rawlen / 2, NULL);
    es = ECDSA_SIG_new();
    if (es != NULL && r != NULL && sv != NULL && ECDSA_SIG_set0(es, r, sv)) {
        r = sv = NULL;
        len = i2d_ECDSA_SIG(es, NULL);
        if (len > 0 && (size_t)len <= sigsize && i2d_ECDSA_SIG(es, &p) == len) {
            *siglen = (size_t)len;
            ok = 1;
        }
    }
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(es);
    return ok;
}

static int sig_sign(void *ctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                    const unsigned char *tbs, size_t tbslen)
{
    struct tsig *s = ctx;
    CK_MECHANISM ed = {CKM_EDDSA, NULL, 0};
    size_t max = (size_t)EVP_PKEY_get_size(s->key->pub);

    if (sig == NULL) {
        *siglen = max;
        return 1;
    }
    if (sigsize < max)
        return 0;
    *siglen = sigsize;
    switch (s->key->alg) {
    case ALG_RSA:
        return sign_rsa(s, sig, siglen, tbs, tbslen);
    case ALG_EC:
        return sign_ec(s, sig, siglen, sigsize, tbs, tbslen);
    default:
        return token_sign(s->key->ref, &ed, tbs, tbslen, sig, siglen);
    }
}

static int dsig_init(void *ctx, const char *mdname, void *kd, const OSSL_PARAM params[])
{
    struct tsig *s = ctx;

    if (!sig_init(ctx, kd, params))
        return 0;
    if (s->key->alg == ALG_ED25519) {
        if (mdname != NULL && mdname[0] != '\0')
            return 0;
        return 1;
    }
    if (!set_md(&s->md, mdname != NULL && mdname[0] ? mdname : "SHA256"))
        return 0;
    EVP_MD_CTX_free(s->mdctx);
    s->mdctx = EVP_MD_CTX_new();
    return s->mdctx != NULL && EVP_DigestInit_ex2(s->mdctx, s->md, NULL);
}

static int dsig_update(void *ctx, const unsigned char *data, size_t len)
{
    struct tsig *s = ctx;
    unsigned char *grown;

    if (s->key->alg != ALG_ED25519)
        return EVP_DigestUpdate(s->mdctx, data, len);
    /* Ed25519 signs the whole message at once. */
    grown = OPENSSL_realloc(s->msg, s->msglen + len + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + s->msglen, data, len);
    s->msg = grown;
    s->msglen += len;
    return 1;
}

static int dsig_final(void *ctx, unsigned char *sig, size_t *siglen, size_t sigsize)
{
    struct tsig *s = ctx;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (sig == NULL)
        return sig_sign(ctx, NULL, siglen, 0, NULL, 0);
    if (s->key->alg == ALG_ED25519)
        return sig_sign(ctx, sig, siglen, sigsize, s->msg != NULL ? s->msg : md, s->msglen);
    if (!EVP_DigestFinal_ex(s->mdctx, md, &mdlen))
        return 0;
    return sig_sign(ctx, sig, siglen, sigsize, md, mdlen);
}

static int dsig_oneshot(void *ctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                        const unsigned char *tbs, size_t tbslen)
{
    struct tsig *s = ctx;

    if (sig == NULL)
        return sig_sign(ctx, NULL, siglen, 0, NULL, 0);
    if (s->key->alg == ALG_ED25519)
        return sig_sign(ctx, sig, siglen, sigsize, tbs, tbslen);
    return dsig_update(ctx, tbs, tbslen) && dsig_final(ctx, sig, siglen, sigsize);
}

static const OSSL_DISPATCH signature_fns[] = {
    FN(OSSL_FUNC_SIGNATURE_NEWCTX, sig_newctx),
    FN(OSSL_FUNC_SIGNATURE_FREECTX, sig_freectx),
    FN(OSSL_FUNC_SIGNATURE_DUPCTX, sig_dupctx),
    FN(OSSL_FUNC_SIGNATURE_SIGN_INIT, sig_init),
    FN(OSSL_FUNC_SIGNATURE_SIGN, sig_sign),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, dsig_init),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, dsig_update),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, dsig_final),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN, dsig_oneshot),
    FN(OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, sig_get_ctx_params),
    FN(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, sig_gettable),
    FN(OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, sig_set_ctx_params),
    FN(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, sig_settable),
    {0, NULL}};

/* ---- RSA decryption ---- */

struct tcipher {
    struct tkey *key;
    int pad; /* RSA_PKCS1_PADDING, RSA_PKCS1_OAEP_PADDING or RSA_NO_PADDING */
    EVP_MD *oaep_md, *mgf1_md;
    unsigned char *label;
    size_t labellen;
};

static void *cipher_newctx(void *provctx)
{
    struct tcipher *c = OPENSSL_zalloc(sizeof(*c));

    if (c != NULL)
        c->pad = RSA_PKCS1_PADDING;
    return c;
}

static void cipher_freectx(void *ctx)
{
    struct tcipher *c = ctx;

    if (c == NULL)
        return;
    EVP_MD_free(c->oaep_md);
    EVP_MD_free(c->mgf1_md);
    OPENSSL_free(c->label);
    OPENSSL_free(c);
}

static void *cipher_dupctx(void *ctx)
{
    struct tcipher *c = ctx, *d = OPENSSL_memdup(c, sizeof(*c));

    if (d == NULL)
        return NULL;
    d->label = NULL;
    if ((d->oaep_md != NULL && !EVP_MD_up_ref(d->oaep_md)) ||
        (d->mgf1_md != NULL && !EVP_MD_up_ref(d->mgf1_md)) ||
        (c->label != NULL && (d->label = OPENSSL_memdup(c->label, c->labellen)) == NULL)) {
        d->oaep_md = d->mgf1_md = NULL;
        cipher_freectx(d);
        return NULL;
    }
    return d;
}

static int cipher_set_ctx_params(void *ctx, const OSSL_PARAM params[])
{
    struct tcipher *c = ctx;
    const OSSL_PARAM *p;
    char name[64], *pn = name;
    void *label = NULL;
    size_t len = 0;

    if (params == NULL)
        return 1;
    p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
    if (p != NULL) {
        if (p->data_type == OSSL_PARAM_UTF8_STRING)
            c->pad = strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_OAEP) == 0   ? RSA_PKCS1_OAEP_PADDING
                     : strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_NONE) == 0 ? RSA_NO_PADDING
                     : strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0 ? RSA_PKCS1_PADDING
                                                                            : -1;
        else if (!OSSL_PARAM_get_int(p, &c->pad))
            return 0;
        if (c->pad != RSA_PKCS1_PADDING && c->pad != RSA_PKCS1_OAEP_PADDING &&
            c->pad != RSA_NO_PADDING)
            return 0;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST);
    if (p != NULL && (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) ||
                      !set_md(&c->oaep_md, name)))
        return 0;
    pn = name;
    p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST);
    if (p != NULL && (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) ||
                      !set_md(&c->mgf1_md, name)))
        return 0;
    p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL);
    if (p != NULL) {
        if (!OSSL_PARAM_get_octet_string(p, &label, 0, &len))
            return 0;
        OPENSSL_free(c->label);
        c->label = label;
        c->labellen = len;
    }
    return 1;
}

static const OSSL_PARAM *cipher_settable(void *ctx, void *provctx)
{
    static const OSSL_PARAM t[] = {
        OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0), OSSL_PARAM_END};
    return t;
}

static int cipher_get_ctx_params(void *ctx, OSSL_PARAM params[])
{
    struct tcipher *c = ctx;
    OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);

    if (p != NULL && p->data_type != OSSL_PARAM_UTF8_STRING && !OSSL_PARAM_set_int(p, c->pad))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST);
    if (p != NULL && !OSSL_PARAM_set_utf8_string(p, c->oaep_md != NULL
                                                        ? EVP_MD_get0_name(c->oaep_md)
                                                        : "SHA1"))
        return 0;
    return 1;
}

static const OSSL_PARAM *cipher_gettable(void *ctx, void *provctx)
{
    static const OSSL_PARAM t[] = {
        OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0), OSSL_PARAM_END};
    return t;
}

static int cipher_decrypt_init(void *ctx, void *kd, const OSSL_PARAM params[])
{
    struct tcipher *c = ctx;
    struct tkey *k = kd;

    if (k == NULL || k->ref == NULL || k->alg != ALG_RSA) {
        ERR_raise_data(ERR_LIB_PROV, ERR_R_PASSED_INVALID_ARGUMENT, "not an RSA token key");
        return 0;
    }
    c->key = k;
    return cipher_set_ctx_params(c, params);
}

/* C_DecryptInit + C_Decrypt: PKCS#1 v1.5, OAEP or raw RSA on the token. */
static int cipher_decrypt(void *ctx, unsigned char *out, size_t *outlen, size_t outsize,
                          const unsigned char *in, size_t inlen)
{
    struct tcipher *c = ctx;
    struct cli_key *k = c->key->ref;
    CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
    CK_ULONG len = outsize;
    CK_RV rv;

    if (out == NULL) {
        *outlen = (size_t)EVP_PKEY_get_size(c->key->pub);
        return 1;
    }
    if (c->pad == RSA_NO_PADDING) {
        mech.mechanism = CKM_RSA_X_509;
    } else if (c->pad == RSA_PKCS1_OAEP_PADDING) {
        CK_RSA_PKCS_MGF_TYPE mgf = 0;

        if ((c->oaep_md != NULL &&
             (oaep.hashAlg = ck_hash(c->oaep_md, NULL)) == CK_UNAVAILABLE_INFORMATION) ||
            ((c->mgf1_md != NULL || c->oaep_md != NULL) &&
             ck_hash(c->mgf1_md != NULL ? c->mgf1_md : c->oaep_md, &mgf) ==
                 CK_UNAVAILABLE_INFORMATION))
            return 0;
        if (mgf != 0)
            oaep.mgf = mgf;
        oaep.pSourceData = c->label;
        oaep.ulSourceDataLen = c->labellen;
        mech = (CK_MECHANISM){CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)};
    }
    rv = k->slot.mod->fl->C_DecryptInit(k->session, &mech, k->priv);
    if (rv == CKR_OK)
        rv = k->slot.mod->fl->C_Decrypt(k->session, (CK_BYTE *)in, inlen, out, &len);
    if (rv != CKR_OK) {
        ERR_raise_data(ERR_LIB_PROV, ERR_R_OPERATION_FAIL, "the token refused to decrypt: %s",
                       cli_rv_name(rv));
        return 0;
    }
    *outlen = len;
    return 1;
}

static const OSSL_DISPATCH rsa_cipher_fns[] = {
    FN(OSSL_FUNC_ASYM_CIPHER_NEWCTX, cipher_newctx),
    FN(OSSL_FUNC_ASYM_CIPHER_FREECTX, cipher_freectx),
    FN(OSSL_FUNC_ASYM_CIPHER_DUPCTX, cipher_dupctx),
    FN(OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, cipher_decrypt_init),
    FN(OSSL_FUNC_ASYM_CIPHER_DECRYPT, cipher_decrypt),
    FN(OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS, cipher_get_ctx_params),
    FN(OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS, cipher_gettable),
    FN(OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, cipher_set_ctx_params),
    FN(OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS, cipher_settable),
    {0, NULL}};

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
    {RSA_NAMES, PROPS, signature_fns, "RSA signatures on a PKCS#11 token"},
    {"ECDSA", PROPS, signature_fns, "ECDSA on a PKCS#11 token"},
    {ED_NAMES, PROPS, signature_fns, "Ed25519 on a PKCS#11 token"},
    {NULL, NULL, NULL, NULL}};

static const OSSL_ALGORITHM asym_cipher_algs[] = {
    {RSA_NAMES, PROPS, rsa_cipher_fns, "RSA decryption on a PKCS#11 token"},
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
