/* tessera request --key URI --subject DN [--san ...] [--format pkcs10|crmf]
 * generateCRMFRequest for today: a PKCS#10 request (X509_REQ) or a CRMF
 * CertReqMessages (RFC 4211) with a signature proof of possession, both signed
 * on the token through provider.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "archive.h"

static const char usage[] =
    "usage: tessera request --key URI --subject DN [--san NAME]... [--format pkcs10|crmf]\n"
    "                       [--digest MD] [--archive-to KRA.pem] [--pem|--der] [--out FILE]\n"
    "\n"
    "Makes a certificate request for a key on a token, signed there: PKCS#10\n"
    "(default) or CRMF (RFC 4211) with a signature proof of possession.  DN is\n"
    "'CN=Me,O=Org' or '/CN=Me/O=Org'.  Each --san is DNS:name, email:addr,\n"
    "IP:address or URI:uri.  MD defaults to SHA-256 (SHA-384 for P-384 keys;\n"
    "none for Ed25519).  PEM by default, on stdout unless --out.\n"
    "\n"
    "With --archive-to KRA.pem (CRMF only), a second key pair, for encryption\n"
    "(RSA-2048, labelled 'LABEL (encryption)'), is made on the same token, its\n"
    "private key wrapped there to the KRA certificate's RSA key (AES-256 key\n"
    "wrap, the AES key by RSA-OAEP) and carried in PKIArchiveOptions of a second\n"
    "message, with a keyEncipherment proof of possession.\n";

/* Parse "CN=a,O=b" (commas escaped as "\,") or "/CN=a/O=b". */
static X509_NAME *parse_dn(const char *dn)
{
    X509_NAME *name = X509_NAME_new();
    char sep = dn[0] == '/' ? '/' : ',';
    char *buf = strdup(dn[0] == '/' ? dn + 1 : dn), *p, *start, *w;
    bool ok = name != NULL && buf != NULL && buf[0] != '\0', last;

    for (p = start = w = buf; ok; p++) {
        if (*p == '\\' && p[1] != '\0') {
            *w++ = *++p;
            continue;
        }
        if (*p != sep && *p != '\0') {
            *w++ = *p;
            continue;
        }
        last = *p == '\0';
        *w = '\0';
        {
            char *eq = strchr(start, '='), *key = start;

            while (*key == ' ')
                key++;
            if (eq == NULL || eq == key || eq[1] == '\0') {
                ok = false;
                break;
            }
            *eq = '\0';
            ok = X509_NAME_add_entry_by_txt(name, key, MBSTRING_UTF8, (unsigned char *)eq + 1, -1,
                                            -1, 0) == 1;
        }
        if (last)
            break;
        start = w = p + 1;
    }
    free(buf);
    if (!ok) {
        X509_NAME_free(name);
        return NULL;
    }
    return name;
}

static STACK_OF(X509_EXTENSION) * san_exts(char **sans, size_t n)
{
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext;
    X509V3_CTX ctx;
    size_t i, len = 1;
    char *all;

    if (exts == NULL || n == 0)
        return exts;
    for (i = 0; i < n; i++)
        len += strlen(sans[i]) + 1;
    all = calloc(1, len);
    for (i = 0; all != NULL && i < n; i++) {
        if (i)
            strcat(all, ",");
        strcat(all, sans[i]);
    }
    X509V3_set_ctx(&ctx, NULL, NULL, NULL, NULL, 0);
    ext = all != NULL ? X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, all) : NULL;
    free(all);
    if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext)) {
        X509_EXTENSION_free(ext);
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        return NULL;
    }
    return exts;
}

static int make_pkcs10(EVP_PKEY *pkey, X509_NAME *subject, STACK_OF(X509_EXTENSION) * exts,
                       const char *md, BIO *out, bool der)
{
    X509_REQ *req = X509_REQ_new_ex(cli_libctx(), NULL);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    int rc = CLI_OK;

    if (req == NULL || mctx == NULL || !X509_REQ_set_version(req, 0) ||
        !X509_REQ_set_subject_name(req, subject) || !X509_REQ_set_pubkey(req, pkey) ||
        (sk_X509_EXTENSION_num(exts) > 0 && !X509_REQ_add_extensions(req, exts)))
        rc = cli_err_ssl(CLI_EFAIL, "building the request");
    else if (EVP_DigestSignInit_ex(mctx, NULL, md, cli_libctx(), NULL, pkey, NULL) <= 0 ||
             X509_REQ_sign_ctx(req, mctx) <= 0)
        rc = cli_err_ssl(CLI_EUNSUPPORTED, "the key cannot sign the request");
    else if ((der ? i2d_X509_REQ_bio(out, req) : PEM_write_bio_X509_REQ(out, req)) != 1)
        rc = cli_err_ssl(CLI_EFAIL, "writing the request");
    EVP_MD_CTX_free(mctx);
    X509_REQ_free(req);
    return rc;
}

static int push_exts(OSSL_CRMF_MSG *msg, STACK_OF(X509_EXTENSION) * exts)
{
    int i;

    for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *e = X509_EXTENSION_dup(sk_X509_EXTENSION_value(exts, i));

        if (e == NULL || !OSSL_CRMF_MSG_push0_extension(msg, e)) {
            X509_EXTENSION_free(e);
            return 0;
        }
    }
    return 1;
}

static int make_crmf(EVP_PKEY *pkey, X509_NAME *subject, STACK_OF(X509_EXTENSION) * exts,
                     const char *mdname, OSSL_CRMF_MSG *archived, BIO *out, bool der)
{
    OSSL_CRMF_MSGS *msgs = sk_OSSL_CRMF_MSG_new_null();
    OSSL_CRMF_MSG *msg = OSSL_CRMF_MSG_new();
    EVP_MD *md = mdname != NULL ? EVP_MD_fetch(cli_libctx(), mdname, NULL) : NULL;
    unsigned char *buf = NULL;
    int rc = CLI_OK, len;

    if (msgs == NULL || msg == NULL || (mdname != NULL && md == NULL) ||
        !OSSL_CRMF_MSG_set_certReqId(msg, 0) ||
        !OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(msg), pkey, subject, NULL, NULL) ||
        !push_exts(msg, exts))
        rc = cli_err_ssl(CLI_EFAIL, "building the CRMF request");
    else if (!OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, msg, pkey, md, cli_libctx(),
                                        NULL))
        rc = cli_err_ssl(CLI_EUNSUPPORTED, "the key cannot sign the proof of possession");
    else if (!sk_OSSL_CRMF_MSG_push(msgs, msg))
        rc = cli_err_ssl(CLI_EFAIL, "building the CRMF request");
    else
        msg = NULL;
    if (rc == CLI_OK && archived != NULL && !sk_OSSL_CRMF_MSG_push(msgs, archived))
        rc = cli_err_ssl(CLI_EFAIL, "building the CRMF request");
    else if (rc == CLI_OK)
        archived = NULL;
    if (rc == CLI_OK && (len = i2d_OSSL_CRMF_MSGS(msgs, &buf)) <= 0)
        rc = cli_err_ssl(CLI_EFAIL, "encoding the CRMF request");
    if (rc == CLI_OK &&
        (der ? BIO_write(out, buf, len) != len : !PEM_write_bio(out, "CRMF", "", buf, len)))
        rc = cli_err_ssl(CLI_EFAIL, "writing the request");
    OPENSSL_free(buf);
    EVP_MD_free(md);
    OSSL_CRMF_MSG_free(msg);
    OSSL_CRMF_MSG_free(archived);
    sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
    return rc;
}

static const char *default_md(const struct cli_key *k)
{
    if (k->type == CKK_EC_EDWARDS)
        return NULL;
    return EVP_PKEY_get_bits(k->pub) == 384 && k->type == CKK_EC ? "SHA384" : "SHA256";
}

int cmd_request(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                         {"subject", required_argument, NULL, 's'},
                                         {"san", required_argument, NULL, 'a'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"digest", required_argument, NULL, 'd'},
                                         {"pem", no_argument, NULL, 'P'},
                                         {"der", no_argument, NULL, 'D'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"archive-to", required_argument, NULL, 'A'},
                                         {0}};
    const char *keyuri = NULL, *subj = NULL, *format = "pkcs10", *md = NULL, *outpath = NULL;
    const char *archive = NULL;
    char *sans[32];
    size_t nsans = 0;
    struct p11uri *uri = NULL;
    struct cli_key *key = NULL;
    EVP_PKEY *pkey = NULL;
    X509_NAME *name = NULL;
    X509 *kra = NULL;
    OSSL_CRMF_MSG *archived = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    BIO *out = NULL;
    bool der = false;
    int c, rc = CLI_OK;

    while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'h':
            return cli_help(cli, usage);
        case 'k':
            keyuri = optarg;
            break;
        case 's':
            subj = optarg;
            break;
        case 'a':
            if (nsans == sizeof(sans) / sizeof(sans[0]))
                return cli_err(CLI_EUSAGE, "request: at most 32 --san");
            sans[nsans++] = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'd':
            md = optarg;
            break;
        case 'P':
            der = false;
            break;
        case 'D':
            der = true;
            break;
        case 'o':
            outpath = optarg;
            break;
        case 'A':
            archive = optarg;
            break;
        default:
            return CLI_EUSAGE;
        }
    }
    if (optind < argc)
        return cli_err(CLI_EUSAGE, "request: unexpected argument '%s'", argv[optind]);
    if (keyuri == NULL || subj == NULL)
        return cli_err(CLI_EUSAGE, "request: --key URI and --subject DN are required");
    if (strcmp(format, "pkcs10") != 0 && strcmp(format, "crmf") != 0)
        return cli_err(CLI_EUSAGE, "request: --format is pkcs10 or crmf");
    if (archive != NULL && strcmp(format, "crmf") != 0)
        return cli_err(CLI_EUSAGE, "request: --archive-to needs --format crmf");
    name = parse_dn(subj);
    if (name == NULL) {
        ERR_clear_error();
        return cli_err(CLI_EUSAGE,
                       "request: '%s' is not a distinguished name such as "
                       "'CN=Me,O=Org'",
                       subj);
    }
    exts = san_exts(sans, nsans);
    if (exts == NULL)
        rc = cli_err_ssl(CLI_EUSAGE, "request: a --san is not DNS:, email:, IP: or URI:");
    if (rc == CLI_OK && archive != NULL)
        rc = cli_archive_prepare(archive, &kra);
    if (rc == CLI_OK)
        rc = cli_uri_arg(cli, keyuri, &uri);
    if (rc == CLI_OK)
        rc = cli_key_open(cli, uri, &key);
    if (rc == CLI_OK && (pkey = cli_key_pkey(key)) == NULL)
        rc = CLI_EUNSUPPORTED;
    if (rc == CLI_OK && md == NULL)
        md = default_md(key);
    if (rc == CLI_OK) {
        out = outpath != NULL ? BIO_new(BIO_s_mem()) : BIO_new_fp(stdout, BIO_NOCLOSE);
        if (out == NULL)
            rc = cli_err(CLI_EFAIL, "out of memory");
    }
    /* The archived key's message last: a failure before it leaves nothing. */
    if (rc == CLI_OK && kra != NULL)
        rc = cli_archive_msg(cli, key, kra, name, &archived);
    if (rc == CLI_OK)
        rc = strcmp(format, "crmf") == 0 ? make_crmf(pkey, name, exts, md, archived, out, der)
                                         : make_pkcs10(pkey, name, exts, md, out, der);
    archived = NULL; /* make_crmf took it */
    if (rc != CLI_OK && kra != NULL && key != NULL)
        cli_archive_undo(key);
    if (rc == CLI_OK && outpath != NULL) {
        /* Written only once complete, so a failure leaves no file behind. */
        char *data;
        long len = BIO_get_mem_data(out, &data);
        FILE *f = fopen(outpath, "wb");

        if (f == NULL || fwrite(data, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0)
            rc = cli_err(CLI_EFAIL, "cannot write %s: %s", outpath, strerror(errno));
    }
    BIO_free(out);
    X509_free(kra);
    EVP_PKEY_free(pkey);
    cli_key_free(key);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_NAME_free(name);
    p11uri_free(uri);
    return rc;
}
