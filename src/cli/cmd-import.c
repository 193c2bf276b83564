/* tessera import FILE... [--label L] [--ca] [--token URI] | --p12 FILE --token URI
 *
 * importUserCertificates for today.  Every certificate is placed before
 * anything is written: a user certificate goes to the token holding its
 * private key (found by the public key: the CKA_ID NSS derives, else the
 * modulus or EC point of the public key object), with that key's CKA_ID and a
 * label; the CA certificates that came with it go to the same token as plain
 * certificates; a certificate with no key is refused unless --ca. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs.h"

static const char usage[] =
    "usage: tessera import FILE... [--label LABEL] [--ca] [--token URI]\n"
    "       tessera import --p12 FILE --token URI [--label LABEL] [--p12-pass-file F]\n"
    "\n"
    "Puts certificates (PEM, DER or PKCS#7) on the token that holds each one's\n"
    "private key, with that key's CKA_ID and the label LABEL (else the subject's\n"
    "CN).  CA certificates in the same files go onto that token too.  A\n"
    "certificate whose key is on no token is refused, unless --ca (then it goes\n"
    "to the token --token names, or the only one).  --p12 imports a PKCS#12\n"
    "file's key, certificate and chain onto the named token; its password comes\n"
    "from --p12-pass-file, $TESSERA_P12_PASSWORD or a prompt.\n";

/* Where one certificate goes. */
struct placement {
    X509 *cert;
    struct cli_slot slot;
    unsigned char id[64];
    size_t idlen;
    char *label;
    bool user, placed;
};

/* Search the token for a public or private key with ID, else a public key
 * whose modulus or EC point is the certificate's.  Fills the key's CKA_ID. */
static bool token_holds_key(struct cli *cli, struct cli_slot *s, CK_SESSION_HANDLE h, X509 *x,
                            unsigned char *id, size_t *idlen)
{
    static const CK_OBJECT_CLASS classes[] = {CKO_PUBLIC_KEY, CKO_PRIVATE_KEY};
    CK_OBJECT_CLASS cls;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id, 20}};
    CK_OBJECT_HANDLE *found = NULL;
    CK_ULONG n = 0, i;
    EVP_PKEY *pub = X509_get0_pubkey(x), *tok;
    bool hit = false;

    if (pub == NULL || cli_pubkey_id(pub, id) != CLI_OK)
        return false;
    *idlen = 20;
    for (i = 0; i < 2 && !hit; i++) {
        cls = classes[i];
        /* Private keys only with a PIN at hand: no prompt per token. */
        if (cls == CKO_PRIVATE_KEY &&
            ((cli->pin == NULL && cli->pin_file == NULL && getenv("TESSERA_PIN") == NULL) ||
             cli_login(cli, s, h) != CLI_OK))
            break;
        hit = cli_find(s, h, t, 2, &found, &n) == CKR_OK && n > 0;
        free(found);
    }
    if (hit)
        return true;
    /* Keys made elsewhere may have another CKA_ID: compare public keys. */
    cls = CKO_PUBLIC_KEY;
    if (cli_find(s, h, t, 1, &found, &n) != CKR_OK)
        return false;
    for (i = 0; i < n && !hit; i++) {
        CK_KEY_TYPE kt = 0;
        unsigned char *kid;
        CK_ULONG kidlen;

        if (cli_attr_ulong(s, h, found[i], CKA_KEY_TYPE, &kt) != CKR_OK ||
            cli_token_pubkey(s, h, found[i], kt, &tok) != CKR_OK)
            continue;
        if (EVP_PKEY_eq(tok, pub) == 1 &&
            cli_attr_get(s, h, found[i], CKA_ID, &kid, &kidlen) == CKR_OK) {
            if (kidlen > 0 && kidlen <= 64) {
                memcpy(id, kid, kidlen);
                *idlen = kidlen;
                hit = true;
            }
            free(kid);
        }
        EVP_PKEY_free(tok);
    }
    free(found);
    ERR_clear_error();
    return hit;
}

/* Find the token for each user certificate. */
static int place_users(struct cli *cli, const struct p11uri *uri, struct placement *pl, size_t n)
{
    struct cli_slot *slots;
    CK_SESSION_HANDLE h;
    size_t ns, i, j;
    int rc = cli_slots(cli, &slots, &ns);

    for (i = 0; rc == CLI_OK && i < ns; i++) {
        if (!p11uri_match_token(uri, &slots[i]) ||
            !(slots[i].token.flags & CKF_TOKEN_INITIALIZED) || !cli_session_try(&slots[i], &h))
            continue;
        for (j = 0; j < n; j++) {
            if (!pl[j].placed &&
                token_holds_key(cli, &slots[i], h, pl[j].cert, pl[j].id, &pl[j].idlen)) {
                pl[j].slot = slots[i];
                pl[j].user = pl[j].placed = true;
            }
        }
        slots[i].mod->fl->C_CloseSession(h);
    }
    free(slots);
    return rc;
}

static bool is_ca(X509 *x)
{
    return X509_check_ca(x) > 0;
}

static int write_cert(struct cli *cli, struct placement *p)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_ULONG category = p->user ? 1 : 2, n;
    unsigned char *der = NULL, *subj = NULL, *iss = NULL, *serial = NULL;
    int dl = i2d_X509(p->cert, &der), sl = i2d_X509_NAME(X509_get_subject_name(p->cert), &subj);
    int il = i2d_X509_NAME(X509_get_issuer_name(p->cert), &iss);
    int snl = i2d_ASN1_INTEGER(X509_get_serialNumber(p->cert), &serial);
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_TOKEN, &yes, 1},
        {CKA_PRIVATE, &no, 1},
        {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
        {CKA_VALUE, der, (CK_ULONG)dl},
        {CKA_SUBJECT, subj, (CK_ULONG)sl},
        {CKA_ISSUER, iss, (CK_ULONG)il},
        {CKA_SERIAL_NUMBER, serial, (CK_ULONG)snl},
        {CKA_ID, p->id, p->idlen},
        {CKA_LABEL, p->label, strlen(p->label)},
        {CKA_CERTIFICATE_CATEGORY, &category, sizeof(category)},
    };
    CK_OBJECT_HANDLE obj, *found = NULL;
    CK_SESSION_HANDLE h;
    CK_RV rv = CKR_OK;
    char tl[33];
    int rc;

    if (dl <= 0 || sl <= 0 || il <= 0 || snl <= 0) {
        rc = cli_err_ssl(CLI_EINPUT, "a certificate cannot be encoded");
        goto out;
    }
    rc = cli_session_open(&p->slot, true, &h);
    if (rc == CLI_OK)
        rc = cli_login(cli, &p->slot, h);
    if (rc == CLI_OK) {
        /* Already there (same DER value): nothing to do. */
        if (cli_find(&p->slot, h, t, 5, &found, &n) == CKR_OK && n > 0) {
            if (!cli->quiet)
                fprintf(stderr, "note: '%s' is already on '%s'\n", p->label,
                        cli_padded(p->slot.token.label, 32, tl));
        } else {
            rv = p->slot.mod->fl->C_CreateObject(h, t, sizeof(t) / sizeof(t[0]), &obj);
            /* Tokens that do not know CKA_CERTIFICATE_CATEGORY get it without. */
            if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT)
                rv = p->slot.mod->fl->C_CreateObject(h, t, sizeof(t) / sizeof(t[0]) - 1, &obj);
            if (rv != CKR_OK)
                rc = cli_err_rv(rv, "storing '%s' on the token", p->label);
        }
        free(found);
        p->slot.mod->fl->C_CloseSession(h);
    }
    if (rc == CLI_OK && !cli->json && !cli->quiet) {
        char *u = p11uri_format(&p->slot, p->id, p->idlen, p->label, CKO_CERTIFICATE);

        printf("%s %s\n", p->user ? "user" : "ca  ", u != NULL ? u : "");
        free(u);
    }
out:
    OPENSSL_free(der);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    OPENSSL_free(serial);
    return rc;
}

/* Decide where every certificate goes; refuse before writing anything. */
static int plan(struct cli *cli, const struct p11uri *uri, const char *label, bool ca_ok,
                struct placement *pl, size_t n)
{
    struct cli_slot *home = NULL, chosen;
    size_t i, users = 0;
    int rc = place_users(cli, uri, pl, n);

    for (i = 0; rc == CLI_OK && i < n; i++) {
        if (pl[i].user) {
            users++;
            if (home == NULL)
                home = &pl[i].slot;
            pl[i].label = label != NULL ? strdup(label) : cli_cert_cn(pl[i].cert);
        }
    }
    for (i = 0; rc == CLI_OK && i < n; i++) {
        char *cn;

        if (pl[i].user)
            continue;
        cn = cli_cert_cn(pl[i].cert);
        if (!is_ca(pl[i].cert) && !ca_ok) {
            rc = cli_err(CLI_ENOTFOUND,
                         "no token holds the private key of '%s' "
                         "(--ca imports it as a plain certificate)",
                         cn);
        } else if (users == 0 && !ca_ok) {
            rc = cli_err(CLI_ENOTFOUND,
                         "'%s' is a CA certificate and no user certificate "
                         "came with it (--ca imports it alone)",
                         cn);
        } else {
            if (home == NULL) {
                rc = cli_pick_token(cli, uri, CLI_WANT_INIT | CLI_WANT_WRITABLE, 0, true, &chosen);
                home = &chosen;
            }
            if (rc == CLI_OK) {
                pl[i].slot = *home;
                cli_pubkey_id(X509_get0_pubkey(pl[i].cert), pl[i].id);
                pl[i].idlen = 20;
                pl[i].label = cn;
                cn = NULL;
                pl[i].placed = true;
            }
        }
        free(cn);
    }
    return rc;
}

int cli_store_certs(struct cli *cli, struct cli_slot *slot, const unsigned char *id,
                    const char *label, X509 *cert, STACK_OF(X509) * chain)
{
    struct placement p = {
        .cert = cert, .slot = *slot, .idlen = 20, .label = (char *)label, .user = true};
    int i, rc;

    memcpy(p.id, id, 20);
    rc = write_cert(cli, &p);
    for (i = 0; rc == CLI_OK && i < sk_X509_num(chain); i++) {
        struct placement ca = {.cert = sk_X509_value(chain, i), .slot = *slot, .idlen = 20};

        cli_pubkey_id(X509_get0_pubkey(ca.cert), ca.id);
        ca.label = cli_cert_cn(ca.cert);
        rc = write_cert(cli, &ca);
        free(ca.label);
    }
    return rc;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"label", required_argument, NULL, 'l'},         {"ca", no_argument, NULL, 'c'},
        {"token", required_argument, NULL, 't'},         {"p12", required_argument, NULL, 'p'},
        {"p12-pass-file", required_argument, NULL, 'P'}, {0}};
    const char *label = NULL, *token = NULL, *p12 = NULL, *passfile = NULL;
    STACK_OF(X509) *certs = sk_X509_new_null();
    struct placement *pl = NULL;
    struct p11uri *uri = NULL;
    bool ca_ok = false;
    int c, rc = CLI_OK, i, n = 0;

    while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
        if (c == 'h') {
            sk_X509_free(certs);
            return cli_help(cli, usage);
        }
        if (c == '?')
            rc = CLI_EUSAGE;
        else if (c == 'l')
            label = optarg;
        else if (c == 'c')
            ca_ok = true;
        else if (c == 't')
            token = optarg;
        else if (c == 'p')
            p12 = optarg;
        else
            passfile = optarg;
    }
    if (rc == CLI_OK && p12 == NULL && optind >= argc)
        rc = cli_err(CLI_EUSAGE, "import: which files? (tessera import FILE...)");
    if (rc == CLI_OK && p12 != NULL && (token == NULL || optind < argc))
        rc = cli_err(CLI_EUSAGE, "import: --p12 FILE needs --token URI and no other file");
    if (rc == CLI_OK && token != NULL)
        rc = cli_uri_arg(cli, token, &uri);
    if (rc == CLI_OK && p12 != NULL) {
        rc = cli_import_p12(cli, uri, p12, label, passfile);
        goto out;
    }
    for (i = optind; rc == CLI_OK && i < argc; i++) {
        if (argc - optind > 3)
            cli_progress("reading %d of %d: %s", i - optind + 1, argc - optind, argv[i]);
        rc = cli_certs_read(argv[i], certs);
    }
    cli_progress(NULL);
    n = sk_X509_num(certs);
    if (rc == CLI_OK && (pl = calloc((size_t)n + 1, sizeof(*pl))) == NULL)
        rc = cli_err(CLI_EFAIL, "out of memory");
    for (i = 0; rc == CLI_OK && i < n; i++)
        pl[i].cert = sk_X509_value(certs, i);
    if (rc == CLI_OK)
        rc = plan(cli, uri, label, ca_ok, pl, (size_t)n);
    for (i = 0; rc == CLI_OK && i < n; i++) {
        if (n > 3)
            cli_progress("storing %d of %d", i + 1, n);
        rc = write_cert(cli, &pl[i]);
    }
    cli_progress(NULL);
out:
    for (i = 0; pl != NULL && i < n; i++)
        free(pl[i].label);
    free(pl);
    sk_X509_pop_free(certs, X509_free);
    p11uri_free(uri);
    return rc;
}
