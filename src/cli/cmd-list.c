/* tessera list [modules|slots|tokens|objects|mechanisms] [URI] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: tessera list [modules|slots|tokens|objects|mechanisms] [URI] [--login] [--json]\n"
    "\n"
    "Lists what the PKCS#11 modules offer (tokens when no kind is given).  A\n"
    "PKCS#11 URI (RFC 7512) narrows the list; objects and tokens are shown\n"
    "with the URI that names them.  'objects' shows public objects only,\n"
    "unless --login is given (then private ones too).\n";

static char *ver(CK_VERSION v)
{
    static char buf[16];

    snprintf(buf, sizeof(buf), "%u.%u", v.major, v.minor);
    return buf;
}

static int list_modules(struct cli *cli, const struct p11uri *uri)
{
    static const char *const h[] = {"name",         "path",    "description",
                                    "manufacturer", "version", "cryptoki"};
    struct cli_table *t = cli_table_new(6, h);
    char d[33], m[33], lv[16];
    size_t i;

    for (i = 0; i < cli->nmods; i++) {
        struct cli_module *mod = &cli->mods[i];
        const char *row[6];

        if (!p11uri_match_module(uri, mod))
            continue;
        snprintf(lv, sizeof(lv), "%s", ver(mod->info.libraryVersion));
        row[0] = mod->name;
        row[1] = mod->path;
        row[2] = cli_padded(mod->info.libraryDescription, 32, d);
        row[3] = cli_padded(mod->info.manufacturerID, 32, m);
        row[4] = lv;
        row[5] = ver(mod->info.cryptokiVersion);
        cli_table_add(t, row);
    }
    cli_table_print(t, cli->json);
    cli_table_free(t);
    return CLI_OK;
}

static void flag_words(char *buf, size_t size, CK_FLAGS flags, const CK_FLAGS *bits,
                       const char *const *words, size_t n)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        if ((flags & bits[i]) && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "", words[i]);
    }
}

static int list_slots(struct cli *cli, const struct p11uri *uri, struct cli_slot *s, size_t n)
{
    static const char *const h[] = {"module", "slot", "description", "flags", "token", "uri"};
    static const CK_FLAGS bits[] = {CKF_TOKEN_PRESENT, CKF_REMOVABLE_DEVICE, CKF_HW_SLOT};
    static const char *const words[] = {"present", "removable", "hardware"};
    struct cli_table *t = cli_table_new(6, h);
    char d[65], f[64], l[33], id[24];
    size_t i;

    for (i = 0; i < n; i++) {
        char *u;
        const char *row[6];

        if (!p11uri_match_slot(uri, &s[i]))
            continue;
        u = p11uri_format_slot(&s[i]);
        snprintf(id, sizeof(id), "%lu", (unsigned long)s[i].id);
        flag_words(f, sizeof(f), s[i].info.flags, bits, words, 3);
        row[0] = s[i].mod->name;
        row[1] = id;
        row[2] = cli_padded(s[i].info.slotDescription, 64, d);
        row[3] = f;
        row[4] = s[i].present ? cli_padded(s[i].token.label, 32, l) : "";
        row[5] = u;
        cli_table_add(t, row);
        free(u);
    }
    cli_table_print(t, cli->json);
    cli_table_free(t);
    return CLI_OK;
}

static int list_tokens(struct cli *cli, const struct p11uri *uri, struct cli_slot *s, size_t n)
{
    static const char *const h[] = {"module", "slot",   "label", "manufacturer",
                                    "model",  "serial", "flags", "uri"};
    static const CK_FLAGS bits[] = {CKF_TOKEN_INITIALIZED,
                                    CKF_USER_PIN_INITIALIZED,
                                    CKF_LOGIN_REQUIRED,
                                    CKF_WRITE_PROTECTED,
                                    CKF_RNG,
                                    CKF_USER_PIN_COUNT_LOW,
                                    CKF_USER_PIN_FINAL_TRY,
                                    CKF_USER_PIN_LOCKED,
                                    CKF_SO_PIN_LOCKED};
    static const char *const words[] = {
        "initialized",   "pin-initialized", "login-required", "write-protected", "rng",
        "pin-count-low", "pin-final-try",   "pin-locked",     "so-pin-locked"};
    struct cli_table *t = cli_table_new(8, h);
    char l[33], m[33], mo[17], se[17], f[160], id[24];
    size_t i;

    for (i = 0; i < n; i++) {
        const char *row[8];
        char *u;

        if (!p11uri_match_token(uri, &s[i]))
            continue;
        u = p11uri_format(&s[i], NULL, 0, NULL, (CK_ULONG)-1);
        snprintf(id, sizeof(id), "%lu", (unsigned long)s[i].id);
        flag_words(f, sizeof(f), s[i].token.flags, bits, words, 9);
        row[0] = s[i].mod->name;
        row[1] = id;
        row[2] = cli_padded(s[i].token.label, 32, l);
        row[3] = cli_padded(s[i].token.manufacturerID, 32, m);
        row[4] = cli_padded(s[i].token.model, 16, mo);
        row[5] = cli_padded(s[i].token.serialNumber, 16, se);
        row[6] = f;
        row[7] = u;
        cli_table_add(t, row);
        free(u);
    }
    cli_table_print(t, cli->json);
    cli_table_free(t);
    return CLI_OK;
}

static const char *class_name(CK_OBJECT_CLASS c)
{
    switch (c) {
    case CKO_CERTIFICATE:
        return "cert";
    case CKO_PUBLIC_KEY:
        return "public";
    case CKO_PRIVATE_KEY:
        return "private";
    case CKO_SECRET_KEY:
        return "secret-key";
    case CKO_DATA:
        return "data";
    default:
        return "other";
    }
}

static const char *key_type_name(CK_KEY_TYPE k)
{
    switch (k) {
    case CKK_RSA:
        return "rsa";
    case CKK_EC:
        return "ec";
    case CKK_EC_EDWARDS:
        return "eddsa";
    case CKK_EC_MONTGOMERY:
        return "montgomery";
    case CKK_AES:
        return "aes";
    case CKK_GENERIC_SECRET:
        return "generic";
    default:
        return "";
    }
}

static void object_row(struct cli_table *t, struct cli_slot *s, CK_SESSION_HANDLE h,
                       CK_OBJECT_HANDLE o)
{
    static const char *const none = "";
    unsigned char *label = NULL, *id = NULL;
    CK_ULONG llen, idlen, cls = (CK_ULONG)-1, kt = (CK_ULONG)-1;
    char tl[33], *hex, *u;
    const char *row[6];

    cli_attr_ulong(s, h, o, CKA_CLASS, &cls);
    if (cls == CKO_PUBLIC_KEY || cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY)
        cli_attr_ulong(s, h, o, CKA_KEY_TYPE, &kt);
    cli_attr_get(s, h, o, CKA_LABEL, &label, &llen);
    cli_attr_get(s, h, o, CKA_ID, &id, &idlen);
    hex = cli_hex(id != NULL ? id : (unsigned char *)"", idlen);
    u = p11uri_format(s, id, idlen, (char *)label, cls);
    row[0] = cli_padded(s->token.label, 32, tl);
    row[1] = class_name(cls);
    row[2] = key_type_name(kt);
    row[3] = label != NULL ? (char *)label : none;
    row[4] = hex;
    row[5] = u;
    cli_table_add(t, row);
    free(label);
    free(id);
    free(hex);
    free(u);
}

static int list_objects(struct cli *cli, const struct p11uri *uri, struct cli_slot *s, size_t n,
                        bool login)
{
    static const char *const h[] = {"token", "class", "key type", "label", "id", "uri"};
    struct cli_table *t = cli_table_new(6, h);
    CK_ATTRIBUTE tmpl[3];
    CK_ULONG nt = p11uri_object_template(uri, tmpl), count, j;
    CK_OBJECT_HANDLE *objs;
    CK_SESSION_HANDLE sh;
    size_t i;
    int rc = CLI_OK;
    CK_RV rv;

    for (i = 0; i < n && rc == CLI_OK; i++) {
        if (!p11uri_match_token(uri, &s[i]) || !(s[i].token.flags & CKF_TOKEN_INITIALIZED))
            continue;
        rc = cli_session_open(&s[i], false, &sh);
        if (rc == CLI_OK && login)
            rc = cli_login(cli, &s[i], sh);
        if (rc != CLI_OK)
            break;
        rv = cli_find(&s[i], sh, tmpl, nt, &objs, &count);
        if (rv != CKR_OK)
            rc = cli_err_rv(rv, "listing the objects");
        for (j = 0; rv == CKR_OK && j < count; j++)
            object_row(t, &s[i], sh, objs[j]);
        free(objs);
        s[i].mod->fl->C_CloseSession(sh);
    }
    if (rc == CLI_OK)
        cli_table_print(t, cli->json);
    cli_table_free(t);
    return rc;
}

static void mech_rows(struct cli_table *t, struct cli_slot *s)
{
    static const CK_FLAGS bits[] = {CKF_HW,   CKF_ENCRYPT, CKF_DECRYPT,  CKF_DIGEST,
                                    CKF_SIGN, CKF_VERIFY,  CKF_GENERATE, CKF_GENERATE_KEY_PAIR,
                                    CKF_WRAP, CKF_UNWRAP,  CKF_DERIVE};
    static const char *const words[] = {"hw",   "encrypt", "decrypt",  "digest",
                                        "sign", "verify",  "generate", "generate-key-pair",
                                        "wrap", "unwrap",  "derive"};
    CK_MECHANISM_TYPE *m = NULL;
    CK_ULONG count = 0, j;
    char l[33], name[32], mn[24], mx[24], f[128];

    if (s->mod->fl->C_GetMechanismList(s->id, NULL, &count) != CKR_OK || count == 0)
        return;
    m = calloc(count, sizeof(*m));
    if (m == NULL || s->mod->fl->C_GetMechanismList(s->id, m, &count) != CKR_OK)
        count = 0;
    for (j = 0; j < count; j++) {
        CK_MECHANISM_INFO info = {0};
        const char *nm = cli_mech_name(m[j]);
        const char *row[5];

        s->mod->fl->C_GetMechanismInfo(s->id, m[j], &info);
        if (nm == NULL) {
            snprintf(name, sizeof(name), "0x%08lx", (unsigned long)m[j]);
            nm = name;
        }
        snprintf(mn, sizeof(mn), "%lu", (unsigned long)info.ulMinKeySize);
        snprintf(mx, sizeof(mx), "%lu", (unsigned long)info.ulMaxKeySize);
        flag_words(f, sizeof(f), info.flags, bits, words, 11);
        row[0] = cli_padded(s->token.label, 32, l);
        row[1] = nm;
        row[2] = mn;
        row[3] = mx;
        row[4] = f;
        cli_table_add(t, row);
    }
    free(m);
}

static int list_mechanisms(struct cli *cli, const struct p11uri *uri, struct cli_slot *s, size_t n)
{
    static const char *const h[] = {"token", "mechanism", "min", "max", "flags"};
    struct cli_table *t = cli_table_new(5, h);
    size_t i;

    for (i = 0; i < n; i++) {
        if (p11uri_match_token(uri, &s[i]))
            mech_rows(t, &s[i]);
    }
    cli_table_print(t, cli->json);
    cli_table_free(t);
    return CLI_OK;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"login", no_argument, NULL, 'l'}, {0}};
    const char *what = "tokens", *uritext = NULL;
    struct p11uri *uri = NULL;
    struct cli_slot *slots = NULL;
    bool login = false, what_set = false;
    size_t n = 0;
    int c, rc;

    while ((c = cli_getopt(cli, argc, argv, "l", opts)) != -1) {
        if (c == 'h')
            return cli_help(cli, usage);
        if (c == '?')
            return CLI_EUSAGE;
        if (c == 'l')
            login = true;
    }
    for (; optind < argc; optind++) {
        const char *a = argv[optind];

        if (strncasecmp(a, "pkcs11:", 7) == 0 && uritext == NULL)
            uritext = a;
        else if (!what_set && uritext == NULL &&
                 (!strcmp(a, "modules") || !strcmp(a, "slots") || !strcmp(a, "tokens") ||
                  !strcmp(a, "objects") || !strcmp(a, "mechanisms")))
            what = a, what_set = true;
        else
            return cli_err(CLI_EUSAGE, "list: unexpected argument '%s' (see tessera list --help)",
                           a);
    }
    if (uritext != NULL && (rc = cli_uri_arg(cli, uritext, &uri)) != CLI_OK)
        return rc;
    if (login || cli->pin != NULL || cli->pin_file != NULL)
        login = true;
    rc = strcmp(what, "modules") == 0 ? cli_modules_load(cli) : cli_slots(cli, &slots, &n);
    if (rc == CLI_OK) {
        if (strcmp(what, "modules") == 0)
            rc = list_modules(cli, uri);
        else if (strcmp(what, "slots") == 0)
            rc = list_slots(cli, uri, slots, n);
        else if (strcmp(what, "tokens") == 0)
            rc = list_tokens(cli, uri, slots, n);
        else if (strcmp(what, "objects") == 0)
            rc = list_objects(cli, uri, slots, n, login);
        else
            rc = list_mechanisms(cli, uri, slots, n);
    }
    free(slots);
    p11uri_free(uri);
    return rc;
}
