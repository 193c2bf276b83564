/* The provider's asymmetric cipher: RSA decryption on the token. */
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
            c->pad = strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_OAEP) == 0      ? RSA_PKCS1_OAEP_PADDING
                     : strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_NONE) == 0    ? RSA_NO_PADDING
                     : strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0 ? RSA_PKCS1_PADDING
                                                                            : -1;
        else if (!OSSL_PARAM_get_int(p, &c->pad))
            return 0;
        if (c->pad != RSA_PKCS1_PADDING && c->pad != RSA_PKCS1_OAEP_PADDING &&
            c->pad != RSA_NO_PADDING)
            return 0;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST);
    if (p != NULL &&
        (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) || !cli_prov_set_md(&c->oaep_md, name)))
        return 0;
    pn = name;
    p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST);
    if (p != NULL &&
        (!OSSL_PARAM_get_utf8_string(p, &pn, sizeof(name)) || !cli_prov_set_md(&c->mgf1_md, name)))
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
    if (p != NULL &&
        !OSSL_PARAM_set_utf8_string(p, c->oaep_md != NULL ? EVP_MD_get0_name(c->oaep_md) : "SHA1"))
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
             (oaep.hashAlg = cli_prov_ck_hash(c->oaep_md, NULL)) == CK_UNAVAILABLE_INFORMATION) ||
            ((c->mgf1_md != NULL || c->oaep_md != NULL) &&
             cli_prov_ck_hash(c->mgf1_md != NULL ? c->mgf1_md : c->oaep_md, &mgf) ==
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

const OSSL_DISPATCH cli_prov_rsa_cipher_fns[] = {
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
