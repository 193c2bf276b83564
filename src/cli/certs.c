/* Certificates: reading them from files (PEM, DER, PKCS#7), and reading and
 * writing them on tokens. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs.h"

static int push_pkcs7(STACK_OF(X509) * out, PKCS7 *p7)
{
    STACK_OF(X509) *certs = NULL;
    int i, n = 0;

    if (p7 == NULL)
        return 0;
    if (OBJ_obj2nid(p7->type) == NID_pkcs7_signed && p7->d.sign != NULL)
        certs = p7->d.sign->cert;
    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);

        if (X509_up_ref(x) && sk_X509_push(out, x))
            n++;
    }
    PKCS7_free(p7);
    return n;
}

int cli_certs_read(const char *path, STACK_OF(X509) * out)
{
    unsigned char *data;
    const unsigned char *p;
    size_t len;
    BIO *bio;
    int rc = cli_read_file(path, &data, &len), n = 0, i;

    if (rc != CLI_OK)
        return rc;
    if (strstr((char *)data, "-----BEGIN ") != NULL) {
        STACK_OF(X509_INFO) * infos;

        bio = BIO_new_mem_buf(data, (int)len);
        infos = PEM_X509_INFO_read_bio_ex(bio, NULL, NULL, NULL, cli_libctx(), NULL);
        for (i = 0; i < sk_X509_INFO_num(infos); i++) {
            X509_INFO *xi = sk_X509_INFO_value(infos, i);

            if (xi->x509 != NULL && sk_X509_push(out, xi->x509)) {
                xi->x509 = NULL;
                n++;
            }
        }
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
        BIO_free(bio);
        if (n == 0) {
            bio = BIO_new_mem_buf(data, (int)len);
            n = push_pkcs7(out, PEM_read_bio_PKCS7(bio, NULL, NULL, NULL));
            BIO_free(bio);
        }
    } else {
        X509 *x = X509_new_ex(cli_libctx(), NULL);

        p = data;
        if (x != NULL && d2i_X509(&x, &p, (long)len) != NULL && p == data + len) {
            if (sk_X509_push(out, x)) {
                x = NULL;
                n = 1;
            }
        } else {
            p = data;
            n = push_pkcs7(out, d2i_PKCS7(NULL, &p, (long)len));
        }
        X509_free(x);
    }
    free(data);
    ERR_clear_error();
    if (n == 0)
        return cli_err(CLI_EINPUT, "%s: no certificate in it (PEM, DER or PKCS#7 expected)", path);
    return CLI_OK;
}

X509 *cli_cert_from_token(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
    unsigned char *der;
    const unsigned char *p;
    CK_ULONG len;
    X509 *x;

    if (cli_attr_get(s, h, o, CKA_VALUE, &der, &len) != CKR_OK)
        return NULL;
    x = X509_new_ex(cli_libctx(), NULL);
    p = der;
    if (x != NULL && d2i_X509(&x, &p, (long)len) == NULL)
        x = NULL; /* d2i_X509 freed it */
    free(der);
    ERR_clear_error();
    return x;
}

/* The first certificate matching ATTR on the token. */
static X509 *find_cert(struct cli_slot *s, CK_SESSION_HANDLE h, CK_ATTRIBUTE *attr)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, *attr};
    CK_OBJECT_HANDLE *found = NULL;
    CK_ULONG n = 0;
    X509 *x = NULL;

    if (cli_find(s, h, t, 2, &found, &n) == CKR_OK && n > 0)
        x = cli_cert_from_token(s, h, found[0]);
    free(found);
    return x;
}

int cli_key_chain(struct cli_key *k, X509 **cert, STACK_OF(X509) * chain)
{
    CK_ATTRIBUTE a = {CKA_ID, k->id, k->idlen};
    X509 *x, *up;
    int depth;

    *cert = NULL;
    if (k->idlen == 0 || (x = find_cert(&k->slot, k->session, &a)) == NULL)
        return cli_err(CLI_ENOTFOUND, "the key has no certificate on its token "
                                      "(tessera import puts it there)");
    if (EVP_PKEY_eq(X509_get0_pubkey(x), k->pub) != 1) {
        X509_free(x);
        return cli_err_ssl(CLI_EINPUT, "the certificate with the key's CKA_ID is not the key's");
    }
    *cert = x;
    /* Up the chain through the issuers the token holds. */
    for (depth = 0; depth < 8 && X509_check_issued(x, x) != X509_V_OK; depth++) {
        X509_NAME *issuer = X509_get_issuer_name(x);
        unsigned char *der = NULL;
        int len = i2d_X509_NAME(issuer, &der);
        CK_ATTRIBUTE s = {CKA_SUBJECT, der, len > 0 ? (CK_ULONG)len : 0};

        up = len > 0 ? find_cert(&k->slot, k->session, &s) : NULL;
        OPENSSL_free(der);
        if (up == NULL || !sk_X509_push(chain, up)) {
            X509_free(up);
            break;
        }
        x = up;
    }
    return CLI_OK;
}

char *cli_cert_cn(X509 *x)
{
    X509_NAME *name = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    unsigned char *utf8 = NULL;
    char *out;

    if (i < 0 ||
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) < 0) {
        out = X509_NAME_oneline(name, NULL, 0);
        ERR_clear_error();
        return out;
    }
    out = strdup((char *)utf8);
    OPENSSL_free(utf8);
    return out;
}
