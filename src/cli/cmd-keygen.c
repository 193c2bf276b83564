/* tessera keygen --type T --label L [--token URI]: a key pair made on the
 * token, its CKA_ID derived from the public key as NSS derives it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "keys.h"

static const char usage[] =
    "usage: tessera keygen --type TYPE --label LABEL [--token URI] [--extractable]\n"
    "\n"
    "Generates a key pair on a token and prints the private key's URI.  TYPE is\n"
    "rsa:2048, rsa:3072, rsa:4096, ec:p256, ec:p384 or ed25519.  The token is\n"
    "the one --token names, else the only writable token that can make such a\n"
    "key; when there are several, they are listed and one is asked for (on a\n"
    "terminal; otherwise name one).  CKA_ID is the SHA-1 of the public key (the\n"
    "RSA modulus or the EC point), as NSS sets it.  --extractable lets the\n"
    "private key be wrapped off the token later (for key archival).\n";

struct keytype {
    const char *name;
    CK_MECHANISM_TYPE mech;
    CK_KEY_TYPE kt;
    CK_ULONG bits;
    int nid; /* curve */
};

static const struct keytype keytypes[] = {
    {"rsa:2048", CKM_RSA_PKCS_KEY_PAIR_GEN, CKK_RSA, 2048, NID_undef},
    {"rsa:3072", CKM_RSA_PKCS_KEY_PAIR_GEN, CKK_RSA, 3072, NID_undef},
    {"rsa:4096", CKM_RSA_PKCS_KEY_PAIR_GEN, CKK_RSA, 4096, NID_undef},
    {"ec:p256", CKM_EC_KEY_PAIR_GEN, CKK_EC, 256, NID_X9_62_prime256v1},
    {"ec:p384", CKM_EC_KEY_PAIR_GEN, CKK_EC, 384, NID_secp384r1},
    {"ed25519", CKM_EC_EDWARDS_KEY_PAIR_GEN, CKK_EC_EDWARDS, 256, NID_ED25519},
};

/* Whether a label is already used on the token (labels stay unique, as NSS
 * expects). */
static bool label_taken(struct cli_slot *s, CK_SESSION_HANDLE h, const char *label)
{
    CK_ATTRIBUTE t = {CKA_LABEL, (void *)label, strlen(label)};
    CK_OBJECT_HANDLE *found = NULL;
    CK_ULONG n = 0;

    cli_find(s, h, &t, 1, &found, &n);
    free(found);
    return n > 0;
}

static int generate(struct cli_slot *s, CK_SESSION_HANDLE h, const struct keytype *kt,
                    const char *label, bool extractable, CK_OBJECT_HANDLE *pub,
                    CK_OBJECT_HANDLE *priv)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    static CK_BYTE f4[] = {1, 0, 1};
    CK_MECHANISM mech = {kt->mech, NULL, 0};
    CK_ULONG bits = kt->bits, np = 0, nk = 0;
    unsigned char *params = NULL;
    CK_ATTRIBUTE pt[8], kt_[10];
    CK_BBOOL is_rsa = kt->kt == CKK_RSA;
    CK_RV rv;
    int len = 0;

    pt[np++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, 1};
    pt[np++] = (CK_ATTRIBUTE){CKA_PRIVATE, &no, 1};
    pt[np++] = (CK_ATTRIBUTE){CKA_VERIFY, &yes, 1};
    pt[np++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
    kt_[nk++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, 1};
    kt_[nk++] = (CK_ATTRIBUTE){CKA_PRIVATE, &yes, 1};
    kt_[nk++] = (CK_ATTRIBUTE){CKA_SENSITIVE, &yes, 1};
    kt_[nk++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, extractable ? &yes : &no, 1};
    kt_[nk++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, 1};
    kt_[nk++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
    if (is_rsa) {
        pt[np++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof(bits)};
        pt[np++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, f4, sizeof(f4)};
        pt[np++] = (CK_ATTRIBUTE){CKA_ENCRYPT, &yes, 1};
        kt_[nk++] = (CK_ATTRIBUTE){CKA_DECRYPT, &yes, 1};
    } else {
        len = i2d_ASN1_OBJECT(OBJ_nid2obj(kt->nid), &params);
        if (len <= 0)
            return cli_err_ssl(CLI_EFAIL, "encoding the curve");
        pt[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, params, (CK_ULONG)len};
    }
    rv = s->mod->fl->C_GenerateKeyPair(h, &mech, pt, np, kt_, nk, pub, priv);
    OPENSSL_free(params);
    if (rv != CKR_OK)
        return cli_err_rv(rv, "C_GenerateKeyPair (%s)", kt->name);
    return CLI_OK;
}

/* Derive CKA_ID from the public key and set it on both halves.  On failure
 * both objects are destroyed, so nothing is left half-made. */
static int set_id(struct cli_slot *s, CK_SESSION_HANDLE h, const struct keytype *kt,
                  CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv, unsigned char id[20])
{
    CK_ATTRIBUTE a = {CKA_ID, id, 20};
    EVP_PKEY *pk = NULL;
    CK_RV rv;
    int rc;

    rv = cli_token_pubkey(s, h, pub, kt->kt, &pk);
    if (rv != CKR_OK)
        rc = cli_err_rv(rv, "reading the new public key");
    else
        rc = cli_pubkey_id(pk, id);
    EVP_PKEY_free(pk);
    if (rc == CLI_OK) {
        rv = s->mod->fl->C_SetAttributeValue(h, pub, &a, 1);
        if (rv == CKR_OK)
            rv = s->mod->fl->C_SetAttributeValue(h, priv, &a, 1);
        if (rv != CKR_OK)
            rc = cli_err_rv(rv, "setting CKA_ID on the new key");
    }
    if (rc != CLI_OK) {
        s->mod->fl->C_DestroyObject(h, priv);
        s->mod->fl->C_DestroyObject(h, pub);
    }
    return rc;
}

int cli_keygen_pair(struct cli_slot *s, CK_SESSION_HANDLE h, const char *type, const char *label,
                    bool extractable, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv,
                    unsigned char id[20])
{
    const struct keytype *kt = NULL;
    char tl[33];
    size_t i;
    int rc;

    for (i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++) {
        if (strcmp(type, keytypes[i].name) == 0)
            kt = &keytypes[i];
    }
    if (kt == NULL)
        return cli_err(CLI_EUSAGE, "no key type %s", type);
    if (label_taken(s, h, label))
        return cli_err(CLI_EEXISTS, "token '%s' already has an object labelled '%s'",
                       cli_padded(s->token.label, 32, tl), label);
    cli_progress("generating an %s key on '%s'...", kt->name, cli_padded(s->token.label, 32, tl));
    rc = generate(s, h, kt, label, extractable, pub, priv);
    cli_progress(NULL);
    if (rc == CLI_OK)
        rc = set_id(s, h, kt, *pub, *priv, id);
    return rc;
}

int cmd_keygen(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"type", required_argument, NULL, 't'},
                                         {"label", required_argument, NULL, 'l'},
                                         {"token", required_argument, NULL, 'T'},
                                         {"extractable", no_argument, NULL, 'x'},
                                         {0}};
    const char *type = NULL, *label = NULL, *token = NULL;
    const struct keytype *kt = NULL;
    struct p11uri *uri = NULL;
    CK_OBJECT_HANDLE pub, priv;
    CK_SESSION_HANDLE h;
    struct cli_slot slot;
    unsigned char id[20];
    bool extractable = false;
    char *out;
    size_t i;
    int c, rc = CLI_OK;

    while ((c = cli_getopt(cli, argc, argv, "t:l:", opts)) != -1) {
        if (c == 'h')
            return cli_help(cli, usage);
        if (c == '?')
            return CLI_EUSAGE;
        if (c == 't')
            type = optarg;
        else if (c == 'l')
            label = optarg;
        else if (c == 'T')
            token = optarg;
        else
            extractable = true;
    }
    for (i = 0; type != NULL && i < sizeof(keytypes) / sizeof(keytypes[0]); i++) {
        if (strcmp(type, keytypes[i].name) == 0)
            kt = &keytypes[i];
    }
    if (optind < argc)
        return cli_err(CLI_EUSAGE, "keygen: unexpected argument '%s'", argv[optind]);
    if (kt == NULL)
        return cli_err(CLI_EUSAGE, "keygen: --type must be rsa:2048, rsa:3072, rsa:4096, "
                                   "ec:p256, ec:p384 or ed25519");
    if (label == NULL || label[0] == '\0')
        return cli_err(CLI_EUSAGE, "keygen: --label LABEL is required");
    if (token != NULL && (rc = cli_uri_arg(cli, token, &uri)) != CLI_OK)
        return rc;
    rc = cli_pick_token(cli, uri, CLI_WANT_INIT | CLI_WANT_WRITABLE, kt->mech, true, &slot);
    if (rc == CLI_OK)
        rc = cli_session_open(&slot, true, &h);
    if (rc != CLI_OK)
        goto out;
    rc = cli_login(cli, &slot, h);
    if (rc == CLI_OK)
        rc = cli_keygen_pair(&slot, h, kt->name, label, extractable, &pub, &priv, id);
    slot.mod->fl->C_CloseSession(h);
    if (rc == CLI_OK) {
        out = p11uri_format(&slot, id, sizeof(id), label, CKO_PRIVATE_KEY);
        printf("%s\n", out != NULL ? out : "");
        free(out);
    }
out:
    p11uri_free(uri);
    return rc;
}
