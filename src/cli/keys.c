/* Token keys: finding a private key by URI, reading its public half into an
 * OpenSSL EVP_PKEY, and the CKA_ID NSS derives from a public key. */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "keys.h"

static EVP_PKEY *fromdata(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(cli_libctx(), type, "provider=default");
    EVP_PKEY *pkey = NULL;

    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *rsa_pub(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;

    if (bld != NULL && bn != NULL && be != NULL &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
        pkey = fromdata("RSA", params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

/* CKA_EC_POINT is a DER OCTET STRING; some modules give the raw point. */
static unsigned char *unwrap_point(const unsigned char *p, CK_ULONG len, size_t *outlen)
{
    const unsigned char *q = p;
    ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)len);
    unsigned char *out;

    if (os != NULL && q == p + len) {
        *outlen = (size_t)ASN1_STRING_length(os);
        out = OPENSSL_memdup(ASN1_STRING_get0_data(os), *outlen);
    } else {
        *outlen = len;
        out = OPENSSL_memdup(p, len);
    }
    ASN1_OCTET_STRING_free(os);
    ERR_clear_error();
    return out;
}

static EVP_PKEY *ec_pub(const unsigned char *params, CK_ULONG plen, const unsigned char *point,
                        CK_ULONG ptlen, bool edwards)
{
    const unsigned char *q = params;
    ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &q, (long)plen);
    int nid = oid != NULL ? OBJ_obj2nid(oid) : NID_undef;
    size_t rawlen = 0;
    unsigned char *raw = unwrap_point(point, ptlen, &rawlen);
    EVP_PKEY *pkey = NULL;

    ASN1_OBJECT_free(oid);
    ERR_clear_error();
    if (raw == NULL)
        return NULL;
    if (edwards) {
        /* CKA_EC_PARAMS may be the OID or the curve's printable name. */
        const char *alg = rawlen == 32 ? "ED25519" : rawlen == 57 ? "ED448" : NULL;

        if (alg != NULL)
            pkey =
                EVP_PKEY_new_raw_public_key_ex(cli_libctx(), alg, "provider=default", raw, rawlen);
    } else if (nid != NID_undef) {
        OSSL_PARAM p[3];

        p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)OBJ_nid2sn(nid),
                                                0);
        p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, raw, rawlen);
        p[2] = OSSL_PARAM_construct_end();
        pkey = fromdata("EC", p);
    }
    OPENSSL_free(raw);
    return pkey;
}

/* The public key object with the same CKA_ID as O. */
static CK_OBJECT_HANDLE public_twin(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_OBJECT_HANDLE *found = NULL, twin = CK_INVALID_HANDLE;
    unsigned char *id;
    CK_ULONG idlen, n = 0;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, NULL, 0}};

    if (cli_attr_get(s, h, o, CKA_ID, &id, &idlen) != CKR_OK)
        return CK_INVALID_HANDLE;
    t[1].pValue = id;
    t[1].ulValueLen = idlen;
    if (idlen > 0 && cli_find(s, h, t, 2, &found, &n) == CKR_OK && n > 0)
        twin = found[0];
    free(found);
    free(id);
    return twin;
}

CK_RV cli_token_pubkey(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                       CK_KEY_TYPE type, EVP_PKEY **out)
{
    unsigned char *a = NULL, *b = NULL;
    CK_ULONG alen = 0, blen = 0;
    CK_OBJECT_HANDLE twin;
    CK_RV rv;

    *out = NULL;
    if (type == CKK_RSA) {
        rv = cli_attr_get(s, h, o, CKA_MODULUS, &a, &alen);
        if (rv == CKR_OK)
            rv = cli_attr_get(s, h, o, CKA_PUBLIC_EXPONENT, &b, &blen);
        if (rv == CKR_OK)
            *out = rsa_pub(a, alen, b, blen);
    } else if (type == CKK_EC || type == CKK_EC_EDWARDS) {
        rv = cli_attr_get(s, h, o, CKA_EC_POINT, &b, &blen);
        if (rv != CKR_OK && (twin = public_twin(s, h, o)) != CK_INVALID_HANDLE) {
            o = twin;
            rv = cli_attr_get(s, h, o, CKA_EC_POINT, &b, &blen);
        }
        if (rv == CKR_OK)
            rv = cli_attr_get(s, h, o, CKA_EC_PARAMS, &a, &alen);
        if (rv == CKR_OK)
            *out = ec_pub(a, alen, b, blen, type == CKK_EC_EDWARDS);
    } else {
        rv = CKR_KEY_TYPE_INCONSISTENT;
    }
    free(a);
    free(b);
    if (rv == CKR_OK && *out == NULL)
        rv = CKR_ATTRIBUTE_VALUE_INVALID;
    return rv;
}

int cli_pubkey_id(const EVP_PKEY *pub, unsigned char id[20])
{
    unsigned char *buf = NULL;
    size_t len = 0;
    BIGNUM *n = NULL;
    int ok = 0;

    if (EVP_PKEY_is_a(pub, "RSA")) {
        if (EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) &&
            (buf = malloc((size_t)BN_num_bytes(n) + 1)) != NULL) {
            len = (size_t)BN_bn2bin(n, buf);
            ok = 1;
        }
    } else if (EVP_PKEY_is_a(pub, "EC") || EVP_PKEY_is_a(pub, "ED25519") ||
               EVP_PKEY_is_a(pub, "ED448")) {
        const char *name =
            EVP_PKEY_is_a(pub, "EC") ? OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY : OSSL_PKEY_PARAM_PUB_KEY;

        if (EVP_PKEY_get_octet_string_param(pub, name, NULL, 0, &len) && len > 0 &&
            (buf = malloc(len)) != NULL)
            ok = EVP_PKEY_get_octet_string_param(pub, name, buf, len, &len);
    }
    if (ok)
        SHA1(buf, len, id);
    free(buf);
    BN_free(n);
    ERR_clear_error();
    return ok ? CLI_OK : CLI_EUNSUPPORTED;
}

int cli_key_open(struct cli *cli, const struct p11uri *uri, struct cli_key **out)
{
    struct cli_key *k = calloc(1, sizeof(*k));
    CK_ULONG llen = 0;
    CK_RV rv;
    int rc;

    *out = NULL;
    if (k == NULL)
        return cli_err(CLI_EFAIL, "out of memory");
    rc = cli_find_object(cli, uri, CKO_PRIVATE_KEY, true, &k->slot, &k->session, &k->priv);
    if (rc != CLI_OK) {
        free(k);
        return rc;
    }
    rv = cli_attr_ulong(&k->slot, k->session, k->priv, CKA_KEY_TYPE, &k->type);
    if (rv == CKR_OK && k->type != CKK_RSA && k->type != CKK_EC && k->type != CKK_EC_EDWARDS)
        rv = CKR_KEY_TYPE_INCONSISTENT;
    if (rv == CKR_OK)
        rv = cli_token_pubkey(&k->slot, k->session, k->priv, k->type, &k->pub);
    if (rv != CKR_OK) {
        cli_key_free(k);
        return cli_err_rv(rv, "the key's public half cannot be read");
    }
    cli_attr_get(&k->slot, k->session, k->priv, CKA_ID, &k->id, &k->idlen);
    cli_attr_get(&k->slot, k->session, k->priv, CKA_LABEL, (unsigned char **)&k->label, &llen);
    *out = k;
    return CLI_OK;
}

void cli_key_free(struct cli_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pub);
    if (k->session != CK_INVALID_HANDLE)
        k->slot.mod->fl->C_CloseSession(k->session);
    free(k->id);
    free(k->label);
    free(k);
}
