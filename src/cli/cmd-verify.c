/* tessera verify --ca CA.pem [--in FILE] [--content FILE]: check a CMS
 * SignedData (base64, PEM or DER) and its signer's certificate against the
 * CA certificates.  No token is needed. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "certs.h"

static const char usage[] =
    "usage: tessera verify --ca CA.pem [--in FILE] [--content FILE] [--out FILE]\n"
    "\n"
    "Verifies a CMS SignedData (base64 as sign-text writes it, PEM or DER; from\n"
    "FILE, else standard input) against the CA certificates in CA.pem.  A\n"
    "detached signature needs --content.  Prints the signer on success; with\n"
    "--out, writes the signed content there.  Exit status 10 when it does not\n"
    "verify.\n";

static CMS_ContentInfo *parse_cms(unsigned char *data, size_t len)
{
    CMS_ContentInfo *cms = NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len), *b64;
    size_t i;
    bool base64 = len > 0;

    if (bio == NULL)
        return NULL;
    if (strstr((char *)data, "-----BEGIN") != NULL) {
        cms = PEM_read_bio_CMS(bio, NULL, NULL, NULL);
    } else {
        for (i = 0; i < len && base64; i++)
            base64 = isalnum(data[i]) || strchr("+/=\r\n", data[i]) != NULL;
        if (base64 && (b64 = BIO_new(BIO_f_base64())) != NULL) {
            bio = BIO_push(b64, bio);
        }
        cms = d2i_CMS_bio(bio, NULL);
    }
    BIO_free_all(bio);
    return cms;
}

static X509_STORE *load_store(const char *path, int *rc)
{
    STACK_OF(X509) *cas = sk_X509_new_null();
    X509_STORE *store = X509_STORE_new();
    int i;

    *rc = cas != NULL && store != NULL ? cli_certs_read(path, cas) : CLI_EFAIL;
    for (i = 0; *rc == CLI_OK && i < sk_X509_num(cas); i++) {
        if (!X509_STORE_add_cert(store, sk_X509_value(cas, i)))
            *rc = cli_err_ssl(CLI_EINPUT, "%s: cannot use its certificates", path);
    }
    sk_X509_pop_free(cas, X509_free);
    if (*rc != CLI_OK) {
        X509_STORE_free(store);
        return NULL;
    }
    return store;
}

static int report(CMS_ContentInfo *cms, BIO *out, const char *outpath)
{
    STACK_OF(X509) *signers = CMS_get0_signers(cms);
    char *cn = sk_X509_num(signers) > 0 ? cli_cert_cn(sk_X509_value(signers, 0)) : NULL;
    int rc = CLI_OK;

    printf("verified: signed by '%s'\n", cn != NULL ? cn : "?");
    free(cn);
    sk_X509_free(signers);
    if (outpath != NULL) {
        char *data;
        long len = BIO_get_mem_data(out, &data);
        FILE *f = fopen(outpath, "wb");

        if (f == NULL || fwrite(data, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0)
            rc = cli_err(CLI_EFAIL, "cannot write %s: %s", outpath, strerror(errno));
    }
    return rc;
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"ca", required_argument, NULL, 'c'},
                                         {"in", required_argument, NULL, 'i'},
                                         {"content", required_argument, NULL, 'C'},
                                         {"out", required_argument, NULL, 'o'},
                                         {0}};
    const char *ca = NULL, *inpath = NULL, *content = NULL, *outpath = NULL;
    unsigned char *data = NULL, *cdata = NULL;
    size_t len = 0, clen = 0;
    CMS_ContentInfo *cms = NULL;
    X509_STORE *store = NULL;
    BIO *cbio = NULL, *out = NULL;
    int c, rc = CLI_OK;

    while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
        if (c == 'h')
            return cli_help(cli, usage);
        if (c == '?')
            return CLI_EUSAGE;
        if (c == 'c')
            ca = optarg;
        else if (c == 'i')
            inpath = optarg;
        else if (c == 'C')
            content = optarg;
        else
            outpath = optarg;
    }
    if (optind < argc)
        return cli_err(CLI_EUSAGE, "verify: unexpected argument '%s'", argv[optind]);
    if (ca == NULL)
        return cli_err(CLI_EUSAGE, "verify: --ca CA.pem is required");
    store = load_store(ca, &rc);
    if (rc == CLI_OK)
        rc = cli_read_file(inpath != NULL ? inpath : "-", &data, &len);
    if (rc == CLI_OK && content != NULL && (rc = cli_read_file(content, &cdata, &clen)) == CLI_OK)
        cbio = BIO_new_mem_buf(cdata, (int)clen);
    if (rc == CLI_OK && (cms = parse_cms(data, len)) == NULL)
        rc = cli_err_ssl(CLI_EINPUT, "%s is not CMS SignedData (base64, PEM or DER)",
                         inpath != NULL ? inpath : "the input");
    if (rc == CLI_OK && (out = BIO_new(BIO_s_mem())) == NULL)
        rc = cli_err(CLI_EFAIL, "out of memory");
    if (rc == CLI_OK && CMS_is_detached(cms) && cbio == NULL)
        rc = cli_err(CLI_EUSAGE, "verify: the signature is detached: give --content FILE");
    if (rc == CLI_OK && CMS_verify(cms, NULL, store, cbio, out, CMS_BINARY) != 1)
        rc = cli_err_ssl(CLI_EVERIFY, "the signature does not verify");
    if (rc == CLI_OK)
        rc = report(cms, out, outpath);
    BIO_free(out);
    BIO_free(cbio);
    CMS_ContentInfo_free(cms);
    X509_STORE_free(store);
    free(data);
    free(cdata);
    (void)cli;
    return rc;
}
