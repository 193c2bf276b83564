/* The provider's signatures: C_Sign on the token for RSA (PKCS#1 v1.5 over
 * a DigestInfo, PSS), ECDSA (r||s re-encoded as ECDSA-Sig-Value) and
 * Ed25519.  Digests are computed in the default provider. */
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

int cli_prov_set_md(EVP_MD **slot, const char *name)
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
    if (p != NULL &&
        (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) || !cli_prov_set_md(&s->md, name)))
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
            s->saltlen = strcmp(p->data, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX) == 0 ? RSA_PSS_SALTLEN_MAX
                         : strcmp(p->data, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0
                             ? RSA_PSS_SALTLEN_DIGEST
                             : atoi(p->data);
        else if (!OSSL_PARAM_get_int(p, &s->saltlen))
            return 0;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
    pn = name;
    if (p != NULL &&
        (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) || !cli_prov_set_md(&s->mgf1, name)))
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

CK_MECHANISM_TYPE cli_prov_ck_hash(const EVP_MD *md, CK_RSA_PKCS_MGF_TYPE *mgf)
{
    static const struct {
        int nid;
        CK_MECHANISM_TYPE hash;
        CK_RSA_PKCS_MGF_TYPE mgf;
    } t[] = {
        {NID_sha1, CKM_SHA_1, CKG_MGF1_SHA1},      {NID_sha224, CKM_SHA224, CKG_MGF1_SHA224},
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

        if (s->md == NULL ||
            (pss.hashAlg = cli_prov_ck_hash(s->md, NULL)) == CK_UNAVAILABLE_INFORMATION ||
            cli_prov_ck_hash(s->mgf1 != NULL ? s->mgf1 : s->md, &mgf) == CK_UNAVAILABLE_INFORMATION)
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
    if (!cli_prov_set_md(&s->md, mdname != NULL && mdname[0] ? mdname : "SHA256"))
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

const OSSL_DISPATCH cli_prov_signature_fns[] = {
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
