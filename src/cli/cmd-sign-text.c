/* tessera sign-text --key URI [--detached] [--in FILE] [--der|--pem]
 * window.crypto.signText for today: a CMS SignedData over the text, signed
 * on the token with the key's certificate (and the issuers the token holds),
 * through CMS_add1_signer with the provider's key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "certs.h"

static const char usage[] =
    "usage: tessera sign-text --key URI [--detached] [--in FILE] [--der|--pem] [--out FILE]\n"
    "\n"
    "Signs the text (FILE, else standard input) as CMS SignedData with the key\n"
    "and its certificate from the token.  The text is carried inside unless\n"
    "--detached.  Base64 DER by default (as signText gave it), --pem for a PEM\n"
    "'CMS' block, --der for binary DER.\n";

static int write_out(CMS_ContentInfo *cms, char format, const char *path)
{
    BIO *out = BIO_new(BIO_s_mem()), *b64 = NULL;
    char *data;
    long len;
    int ok;

    if (out == NULL)
        return cli_err(CLI_EFAIL, "out of memory");
    if (format == 'p') {
        ok = PEM_write_bio_CMS(out, cms);
    } else if (format == 'd') {
        ok = i2d_CMS_bio(out, cms);
    } else {
        b64 = BIO_push(BIO_new(BIO_f_base64()), out);
        ok = b64 != NULL && i2d_CMS_bio(b64, cms) && BIO_flush(b64) == 1;
    }
    len = BIO_get_mem_data(out, &data);
    if (ok) {
        FILE *f = path != NULL ? fopen(path, "wb") : stdout;

        if (f == NULL || fwrite(data, 1, (size_t)len, f) != (size_t)len ||
            (f != stdout && fclose(f) != 0))
            ok = cli_err(CLI_EFAIL, "cannot write %s: %s", path != NULL ? path : "the output",
                         strerror(errno)) == CLI_OK;
    } else {
        cli_err_ssl(CLI_EFAIL, "encoding the signature");
    }
    if (b64 != NULL)
        BIO_free_all(b64);
    else
        BIO_free(out);
    return ok ? CLI_OK : CLI_EFAIL;
}

static int sign(struct cli_key *k, EVP_PKEY *pkey, BIO *in, bool detached, char format,
                const char *outpath)
{
    unsigned flags = CMS_PARTIAL | CMS_BINARY | (detached ? CMS_DETACHED : 0);
    STACK_OF(X509) *chain = sk_X509_new_null();
    CMS_ContentInfo *cms = NULL;
    const EVP_MD *md = NULL;
    X509 *cert = NULL;
    int rc = chain != NULL ? CLI_OK : cli_err(CLI_EFAIL, "out of memory");

    if (rc == CLI_OK)
        rc = cli_key_chain(k, &cert, chain);
    if (rc == CLI_OK && k->type == CKK_EC && EVP_PKEY_get_bits(k->pub) == 384)
        md = EVP_sha384();
    else if (rc == CLI_OK && k->type != CKK_EC_EDWARDS)
        md = EVP_sha256();
    if (rc == CLI_OK &&
        (cms = CMS_sign_ex(NULL, NULL, chain, NULL, flags, cli_libctx(), NULL)) == NULL)
        rc = cli_err_ssl(CLI_EFAIL, "starting the SignedData");
    if (rc == CLI_OK && CMS_add1_signer(cms, cert, pkey, md, flags) == NULL)
        rc = cli_err_ssl(CLI_EUNSUPPORTED, "the key cannot sign CMS");
    if (rc == CLI_OK && !CMS_final(cms, in, NULL, flags))
        rc = cli_err_ssl(CLI_EUNSUPPORTED, "signing on the token failed");
    if (rc == CLI_OK)
        rc = write_out(cms, format, outpath);
    CMS_ContentInfo_free(cms);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

int cmd_sign_text(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                         {"detached", no_argument, NULL, 'd'},
                                         {"in", required_argument, NULL, 'i'},
                                         {"der", no_argument, NULL, 'D'},
                                         {"pem", no_argument, NULL, 'P'},
                                         {"out", required_argument, NULL, 'o'},
                                         {0}};
    const char *keyuri = NULL, *inpath = NULL, *outpath = NULL;
    struct p11uri *uri = NULL;
    struct cli_key *key = NULL;
    EVP_PKEY *pkey = NULL;
    unsigned char *text = NULL;
    size_t textlen = 0;
    bool detached = false;
    char format = 'b';
    BIO *in = NULL;
    int c, rc = CLI_OK;

    while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
        if (c == 'h')
            return cli_help(cli, usage);
        if (c == '?')
            return CLI_EUSAGE;
        if (c == 'k')
            keyuri = optarg;
        else if (c == 'd')
            detached = true;
        else if (c == 'i')
            inpath = optarg;
        else if (c == 'o')
            outpath = optarg;
        else
            format = c == 'D' ? 'd' : 'p';
    }
    if (optind < argc)
        return cli_err(CLI_EUSAGE, "sign-text: unexpected argument '%s'", argv[optind]);
    if (keyuri == NULL)
        return cli_err(CLI_EUSAGE, "sign-text: --key URI is required");
    rc = cli_uri_arg(cli, keyuri, &uri);
    if (rc == CLI_OK)
        rc = cli_read_file(inpath != NULL ? inpath : "-", &text, &textlen);
    if (rc == CLI_OK)
        rc = cli_key_open(cli, uri, &key);
    if (rc == CLI_OK && (pkey = cli_key_pkey(key)) == NULL)
        rc = CLI_EUNSUPPORTED;
    if (rc == CLI_OK && (in = BIO_new_mem_buf(text, (int)textlen)) == NULL)
        rc = cli_err(CLI_EFAIL, "out of memory");
    if (rc == CLI_OK)
        rc = sign(key, pkey, in, detached, format, outpath);
    BIO_free(in);
    free(text);
    EVP_PKEY_free(pkey);
    cli_key_free(key);
    p11uri_free(uri);
    return rc;
}
