/* tessera import --p12 FILE --token URI: a PKCS#12 file's private key,
 * certificate and chain onto a token, through C_CreateObject.  The key is
 * stored sensitive and not extractable, with the CKA_ID NSS derives from its
 * public key; a public key object goes beside it, as NSS expects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>

#include "certs.h"

#define MAXA 24

/* A template being built, owning the buffers it points to. */
struct tmpl {
    CK_ATTRIBUTE a[MAXA];
    void *owned[MAXA];
    CK_ULONG n;
};

static void t_add(struct tmpl *t, CK_ATTRIBUTE_TYPE type, const void *v, size_t len, bool own)
{
    if (t->n == MAXA)
        return;
    t->owned[t->n] = own ? (void *)v : NULL;
    t->a[t->n++] = (CK_ATTRIBUTE){type, (void *)v, (CK_ULONG)len};
}

static void t_clear(struct tmpl *t)
{
    CK_ULONG i;

    for (i = 0; i < t->n; i++) {
        if (t->owned[i] != NULL) {
            OPENSSL_cleanse(t->owned[i], t->a[i].ulValueLen);
            OPENSSL_free(t->owned[i]);
        }
    }
    t->n = 0;
}

static bool t_bn(struct tmpl *t, CK_ATTRIBUTE_TYPE type, const EVP_PKEY *pk, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int len;

    if (!EVP_PKEY_get_bn_param(pk, name, &bn))
        return false;
    len = BN_num_bytes(bn);
    buf = OPENSSL_malloc((size_t)len + 1);
    if (buf != NULL)
        BN_bn2bin(bn, buf);
    BN_clear_free(bn);
    if (buf == NULL)
        return false;
    t_add(t, type, buf, (size_t)len, true);
    return true;
}

static bool t_octets(struct tmpl *t, CK_ATTRIBUTE_TYPE type, const EVP_PKEY *pk, const char *name)
{
    unsigned char *buf;
    size_t len = 0;

    if (!EVP_PKEY_get_octet_string_param(pk, name, NULL, 0, &len) ||
        (buf = OPENSSL_malloc(len + 1)) == NULL)
        return false;
    if (!EVP_PKEY_get_octet_string_param(pk, name, buf, len, &len)) {
        OPENSSL_free(buf);
        return false;
    }
    t_add(t, type, buf, len, true);
    return true;
}

/* CKA_EC_PARAMS (the curve's OID) and CKA_EC_POINT (an OCTET STRING). */
static bool t_ec_public(struct tmpl *t, const EVP_PKEY *pk, bool point)
{
    char group[64];
    unsigned char *der = NULL, *raw = NULL;
    ASN1_OCTET_STRING *os = NULL;
    size_t rawlen = 0;
    int len, nid;
    bool ed = EVP_PKEY_is_a(pk, "ED25519");

    if (ed) {
        nid = NID_ED25519;
    } else if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                               NULL) ||
               (nid = OBJ_sn2nid(group)) == NID_undef) {
        return false;
    }
    len = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &der);
    if (len <= 0)
        return false;
    t_add(t, CKA_EC_PARAMS, der, (size_t)len, true);
    if (!point)
        return true;
    der = NULL;
    if (!EVP_PKEY_get_octet_string_param(
            pk, ed ? OSSL_PKEY_PARAM_PUB_KEY : OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0,
            &rawlen) ||
        (raw = OPENSSL_malloc(rawlen)) == NULL ||
        !EVP_PKEY_get_octet_string_param(
            pk, ed ? OSSL_PKEY_PARAM_PUB_KEY : OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw, rawlen,
            &rawlen) ||
        (os = ASN1_OCTET_STRING_new()) == NULL || !ASN1_OCTET_STRING_set(os, raw, (int)rawlen) ||
        (len = i2d_ASN1_OCTET_STRING(os, &der)) <= 0) {
        OPENSSL_free(raw);
        ASN1_OCTET_STRING_free(os);
        return false;
    }
    OPENSSL_free(raw);
    ASN1_OCTET_STRING_free(os);
    t_add(t, CKA_EC_POINT, der, (size_t)len, true);
    return true;
}

/* The private key's template; PUB gets the public key's. */
static bool key_templates(const EVP_PKEY *pk, struct tmpl *priv, struct tmpl *pub, CK_KEY_TYPE *kt)
{
    if (EVP_PKEY_is_a(pk, "RSA")) {
        *kt = CKK_RSA;
        return t_bn(priv, CKA_MODULUS, pk, OSSL_PKEY_PARAM_RSA_N) &&
               t_bn(priv, CKA_PUBLIC_EXPONENT, pk, OSSL_PKEY_PARAM_RSA_E) &&
               t_bn(priv, CKA_PRIVATE_EXPONENT, pk, OSSL_PKEY_PARAM_RSA_D) &&
               t_bn(priv, CKA_PRIME_1, pk, OSSL_PKEY_PARAM_RSA_FACTOR1) &&
               t_bn(priv, CKA_PRIME_2, pk, OSSL_PKEY_PARAM_RSA_FACTOR2) &&
               t_bn(priv, CKA_EXPONENT_1, pk, OSSL_PKEY_PARAM_RSA_EXPONENT1) &&
               t_bn(priv, CKA_EXPONENT_2, pk, OSSL_PKEY_PARAM_RSA_EXPONENT2) &&
               t_bn(priv, CKA_COEFFICIENT, pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1) &&
               t_bn(pub, CKA_MODULUS, pk, OSSL_PKEY_PARAM_RSA_N) &&
               t_bn(pub, CKA_PUBLIC_EXPONENT, pk, OSSL_PKEY_PARAM_RSA_E);
    }
    if (EVP_PKEY_is_a(pk, "EC")) {
        *kt = CKK_EC;
        return t_ec_public(priv, pk, false) &&
               t_bn(priv, CKA_VALUE, pk, OSSL_PKEY_PARAM_PRIV_KEY) && t_ec_public(pub, pk, true);
    }
    if (EVP_PKEY_is_a(pk, "ED25519")) {
        *kt = CKK_EC_EDWARDS;
        return t_ec_public(priv, pk, false) &&
               t_octets(priv, CKA_VALUE, pk, OSSL_PKEY_PARAM_PRIV_KEY) &&
               t_ec_public(pub, pk, true);
    }
    return false;
}

static int store_key(struct cli_slot *s, CK_SESSION_HANDLE h, EVP_PKEY *pk, const unsigned char *id,
                     const char *label, CK_OBJECT_HANDLE *privobj, CK_OBJECT_HANDLE *pubobj)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    static CK_OBJECT_CLASS privcls = CKO_PRIVATE_KEY, pubcls = CKO_PUBLIC_KEY;
    struct tmpl priv = {0}, pub = {0};
    CK_KEY_TYPE kt = 0;
    CK_RV rv = CKR_OK;
    int rc = CLI_OK;

    if (!key_templates(pk, &priv, &pub, &kt)) {
        rc = cli_err_ssl(CLI_EUNSUPPORTED, "the PKCS#12 key is not RSA, EC or Ed25519");
        goto out;
    }
    t_add(&priv, CKA_CLASS, &privcls, sizeof(privcls), false);
    t_add(&priv, CKA_KEY_TYPE, &kt, sizeof(kt), false);
    t_add(&priv, CKA_TOKEN, &yes, 1, false);
    t_add(&priv, CKA_PRIVATE, &yes, 1, false);
    t_add(&priv, CKA_SENSITIVE, &yes, 1, false);
    t_add(&priv, CKA_EXTRACTABLE, &no, 1, false);
    t_add(&priv, CKA_SIGN, &yes, 1, false);
    t_add(&priv, CKA_ID, id, 20, false);
    t_add(&priv, CKA_LABEL, label, strlen(label), false);
    t_add(&pub, CKA_CLASS, &pubcls, sizeof(pubcls), false);
    t_add(&pub, CKA_KEY_TYPE, &kt, sizeof(kt), false);
    t_add(&pub, CKA_TOKEN, &yes, 1, false);
    t_add(&pub, CKA_PRIVATE, &no, 1, false);
    t_add(&pub, CKA_VERIFY, &yes, 1, false);
    t_add(&pub, CKA_ID, id, 20, false);
    t_add(&pub, CKA_LABEL, label, strlen(label), false);
    rv = s->mod->fl->C_CreateObject(h, priv.a, priv.n, privobj);
    if (rv == CKR_OK) {
        rv = s->mod->fl->C_CreateObject(h, pub.a, pub.n, pubobj);
        if (rv != CKR_OK)
            s->mod->fl->C_DestroyObject(h, *privobj);
    }
    if (rv != CKR_OK)
        rc = cli_err_rv(rv, "storing the PKCS#12 key on the token");
out:
    t_clear(&priv);
    t_clear(&pub);
    return rc;
}

static int read_p12(struct cli *cli, const char *path, const char *passfile, EVP_PKEY **pk,
                    X509 **cert, STACK_OF(X509) * *ca)
{
    unsigned char *data;
    const unsigned char *p;
    size_t len;
    PKCS12 *p12 = NULL;
    char *pass = NULL;
    int rc = cli_read_file(path, &data, &len);

    if (rc != CLI_OK)
        return rc;
    p = data;
    p12 = d2i_PKCS12(NULL, &p, (long)len);
    free(data);
    if (p12 == NULL)
        return cli_err_ssl(CLI_EINPUT, "%s is not a PKCS#12 file", path);
    if (!PKCS12_mac_present(p12) || PKCS12_verify_mac(p12, "", 0) ||
        PKCS12_verify_mac(p12, NULL, 0))
        pass = strdup("");
    else
        rc = cli_pin_get("PKCS#12 password", NULL, passfile, "TESSERA_P12_PASSWORD", &pass);
    if (rc == CLI_OK && !PKCS12_verify_mac(p12, pass, -1))
        rc = cli_err(CLI_EPIN, "%s: wrong PKCS#12 password", path);
    if (rc == CLI_OK && (!PKCS12_parse(p12, pass, pk, cert, ca) || *pk == NULL || *cert == NULL))
        rc = cli_err_ssl(CLI_EINPUT, "%s: no key and certificate in it", path);
    cli_pin_free(pass);
    PKCS12_free(p12);
    ERR_clear_error();
    (void)cli;
    return rc;
}

int cli_import_p12(struct cli *cli, const struct p11uri *uri, const char *path, const char *label,
                   const char *passfile)
{
    EVP_PKEY *pk = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    CK_OBJECT_HANDLE privobj, pubobj;
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    struct cli_slot slot;
    unsigned char id[20];
    char *name = NULL;
    int rc;

    rc = read_p12(cli, path, passfile, &pk, &cert, &ca);
    if (rc == CLI_OK && cli_pubkey_id(pk, id) != CLI_OK)
        rc = cli_err(CLI_EUNSUPPORTED, "%s: the key is not RSA, EC or Ed25519", path);
    if (rc == CLI_OK)
        rc = cli_pick_token(cli, uri, CLI_WANT_INIT | CLI_WANT_WRITABLE, 0, true, &slot);
    if (rc == CLI_OK)
        rc = cli_session_open(&slot, true, &h);
    if (rc == CLI_OK)
        rc = cli_login(cli, &slot, h);
    if (rc == CLI_OK && (name = label != NULL ? strdup(label) : cli_cert_cn(cert)) == NULL)
        rc = cli_err(CLI_EFAIL, "out of memory");
    if (rc == CLI_OK)
        rc = store_key(&slot, h, pk, id, name, &privobj, &pubobj);
    if (h != CK_INVALID_HANDLE)
        slot.mod->fl->C_CloseSession(h);
    if (rc == CLI_OK) {
        /* The certificate and chain, as import FILE... would place them. */
        rc = cli_store_certs(cli, &slot, id, name, cert, ca);
        if (rc != CLI_OK) {
            /* Leave nothing half-imported. */
            if (cli_session_open(&slot, true, &h) == CLI_OK) {
                slot.mod->fl->C_DestroyObject(h, privobj);
                slot.mod->fl->C_DestroyObject(h, pubobj);
                slot.mod->fl->C_CloseSession(h);
            }
        }
    }
    free(name);
    EVP_PKEY_free(pk);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    return rc;
}
