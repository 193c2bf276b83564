/* tessera token init|set-pin|unlock [URI] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: tessera token init --label LABEL [URI]\n"
    "       tessera token set-pin [--so] [URI]\n"
    "       tessera token unlock [URI]\n"
    "\n"
    "init     initialises a token (by default the blank one; naming an initialised\n"
    "         token re-initialises it, destroying its objects, after confirmation)\n"
    "         with an SO PIN and a user PIN.\n"
    "set-pin  changes the user PIN (or with --so the SO PIN): old PIN, then new.\n"
    "unlock   sets a new user PIN with the SO PIN, which unlocks a locked PIN.\n"
    "\n"
    "  --label LABEL        the token's label (init)\n"
    "  --so                 set-pin changes the SO PIN\n"
    "  --so-pin PIN, --so-pin-file FILE     the SO PIN (else $TESSERA_SO_PIN, else asked)\n"
    "  --new-pin PIN, --new-pin-file FILE   the new PIN (else $TESSERA_NEW_PIN, else asked)\n"
    "The user PIN (init: the new user PIN; set-pin: the old one) comes from --pin,\n"
    "--pin-file, $TESSERA_PIN or a prompt.\n";

struct token_opts {
    const char *label, *so_pin, *so_pin_file, *new_pin, *new_pin_file;
    bool so;
};

static int login_as(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE h, CK_USER_TYPE who, const char *pin,
                    const char *label)
{
    CK_RV rv = fl->C_Login(h, who, (CK_UTF8CHAR *)pin, strlen(pin));

    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return CLI_OK;
    return cli_err_rv(rv, "token '%s': %s login failed", label, who == CKU_SO ? "SO" : "user");
}

static int do_init(struct cli *cli, struct token_opts *o, struct cli_slot *s)
{
    CK_FUNCTION_LIST *fl = s->mod->fl;
    CK_UTF8CHAR label32[32];
    char *so = NULL, *user = NULL, *uri, old[33];
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int rc;

    if (o->label == NULL || strlen(o->label) > 32 || o->label[0] == '\0')
        return cli_err(CLI_EUSAGE, "token init: --label LABEL (1 to 32 bytes) is required");
    if ((s->token.flags & CKF_TOKEN_INITIALIZED) &&
        !cli_confirm(cli, "Re-initialise token '%s'? Every object on it is destroyed.",
                     cli_padded(s->token.label, 32, old)))
        return cli_err(CLI_ECANCEL,
                       "token '%s' is initialised; not re-initialised "
                       "(confirm, or --yes)",
                       old);
    rc = cli_pin_get("new SO PIN", o->so_pin, o->so_pin_file, "TESSERA_SO_PIN", &so);
    if (rc == CLI_OK)
        rc = cli_pin_get("new user PIN", cli->pin, cli->pin_file, "TESSERA_PIN", &user);
    if (rc != CLI_OK)
        goto out;
    memset(label32, ' ', sizeof(label32));
    memcpy(label32, o->label, strlen(o->label));
    cli_progress("initialising the token...");
    rv = fl->C_InitToken(s->id, (CK_UTF8CHAR *)so, strlen(so), label32);
    if (rv != CKR_OK) {
        rc = cli_err_rv(rv, "C_InitToken");
        goto out;
    }
    cli_slot_refresh(s);
    rc = cli_session_open(s, true, &h);
    if (rc != CLI_OK)
        goto out;
    rc = login_as(fl, h, CKU_SO, so, o->label);
    if (rc == CLI_OK) {
        rv = fl->C_InitPIN(h, (CK_UTF8CHAR *)user, strlen(user));
        if (rv != CKR_OK)
            rc = cli_err_rv(rv, "C_InitPIN");
        fl->C_Logout(h);
    }
    fl->C_CloseSession(h);
    cli_progress(NULL);
    cli_slot_refresh(s);
    if (rc == CLI_OK && !cli->quiet) {
        uri = p11uri_format(s, NULL, 0, NULL, (CK_ULONG)-1);
        printf("%s\n", uri != NULL ? uri : "");
        free(uri);
    }
out:
    cli_pin_free(so);
    cli_pin_free(user);
    return rc;
}

static int do_set_pin(struct cli *cli, struct token_opts *o, struct cli_slot *s)
{
    CK_FUNCTION_LIST *fl = s->mod->fl;
    char *old = NULL, *new = NULL, label[33];
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int rc;

    cli_padded(s->token.label, 32, label);
    if (o->so)
        rc = cli_pin_get("SO PIN", o->so_pin, o->so_pin_file, "TESSERA_SO_PIN", &old);
    else
        rc = cli_pin_get("user PIN", cli->pin, cli->pin_file, "TESSERA_PIN", &old);
    if (rc == CLI_OK)
        rc = cli_pin_get(o->so ? "new SO PIN" : "new user PIN", o->new_pin, o->new_pin_file,
                         "TESSERA_NEW_PIN", &new);
    if (rc == CLI_OK)
        rc = cli_session_open(s, true, &h);
    if (rc != CLI_OK)
        goto out;
    rc = login_as(fl, h, o->so ? CKU_SO : CKU_USER, old, label);
    if (rc == CLI_OK) {
        rv = fl->C_SetPIN(h, (CK_UTF8CHAR *)old, strlen(old), (CK_UTF8CHAR *)new, strlen(new));
        if (rv != CKR_OK)
            rc = cli_err_rv(rv, "token '%s': C_SetPIN", label);
        fl->C_Logout(h);
    }
    fl->C_CloseSession(h);
    if (rc == CLI_OK && !cli->quiet)
        printf("%s PIN changed on '%s'\n", o->so ? "SO" : "user", label);
out:
    cli_pin_free(old);
    cli_pin_free(new);
    return rc;
}

static int do_unlock(struct cli *cli, struct token_opts *o, struct cli_slot *s)
{
    CK_FUNCTION_LIST *fl = s->mod->fl;
    char *so = NULL, *new = NULL, label[33];
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int rc;

    cli_padded(s->token.label, 32, label);
    rc = cli_pin_get("SO PIN", o->so_pin, o->so_pin_file, "TESSERA_SO_PIN", &so);
    if (rc == CLI_OK)
        rc = cli_pin_get("new user PIN", o->new_pin, o->new_pin_file, "TESSERA_NEW_PIN", &new);
    if (rc == CLI_OK)
        rc = cli_session_open(s, true, &h);
    if (rc != CLI_OK)
        goto out;
    rc = login_as(fl, h, CKU_SO, so, label);
    if (rc == CLI_OK) {
        rv = fl->C_InitPIN(h, (CK_UTF8CHAR *)new, strlen(new));
        if (rv != CKR_OK)
            rc = cli_err_rv(rv, "token '%s': C_InitPIN", label);
        fl->C_Logout(h);
    }
    fl->C_CloseSession(h);
    if (rc == CLI_OK && !cli->quiet)
        printf("user PIN reset on '%s'\n", label);
out:
    cli_pin_free(so);
    cli_pin_free(new);
    return rc;
}

static const struct option token_longopts[] = {{"label", required_argument, NULL, 'L'},
                                               {"so", no_argument, NULL, 's'},
                                               {"so-pin", required_argument, NULL, 'S'},
                                               {"so-pin-file", required_argument, NULL, 'F'},
                                               {"new-pin", required_argument, NULL, 'N'},
                                               {"new-pin-file", required_argument, NULL, 'P'},
                                               {0}};

/* Options, which may come before and after the verb.  Returns -1 when done,
 * 'h' for help, '?' on error. */
static int parse_opts(struct cli *cli, int argc, char **argv, struct token_opts *o)
{
    int c;

    while ((c = cli_getopt(cli, argc, argv, "", token_longopts)) != -1) {
        switch (c) {
        case 'L':
            o->label = optarg;
            break;
        case 's':
            o->so = true;
            break;
        case 'S':
            o->so_pin = optarg;
            break;
        case 'F':
            o->so_pin_file = optarg;
            break;
        case 'N':
            o->new_pin = optarg;
            break;
        case 'P':
            o->new_pin_file = optarg;
            break;
        default:
            return c;
        }
    }
    return -1;
}

int cmd_token(struct cli *cli, int argc, char **argv)
{
    struct token_opts o = {0};
    struct p11uri *uri = NULL;
    struct cli_slot slot;
    const char *verb = NULL;
    unsigned want;
    int c, rc = CLI_OK;

    c = parse_opts(cli, argc, argv, &o);
    if (c == -1 && optind < argc)
        verb = argv[optind++];
    if (c == 'h')
        return cli_help(cli, usage);
    if (c != -1)
        return CLI_EUSAGE;
    if (verb == NULL || (strcmp(verb, "init") && strcmp(verb, "set-pin") && strcmp(verb, "unlock")))
        return cli_err(CLI_EUSAGE, "token: say init, set-pin or unlock (see tessera token --help)");
    if (optind < argc)
        rc = cli_uri_arg(cli, argv[optind++], &uri);
    if (rc == CLI_OK && optind < argc)
        rc = cli_err(CLI_EUSAGE, "token: unexpected argument '%s'", argv[optind]);
    if (rc == CLI_OK && strcmp(verb, "init") == 0 && o.label == NULL)
        rc = cli_err(CLI_EUSAGE, "token init: --label LABEL is required");
    if (rc != CLI_OK)
        goto out;
    want = strcmp(verb, "init") != 0 ? CLI_WANT_INIT : p11uri_names_token(uri) ? 0 : CLI_WANT_BLANK;
    rc = cli_pick_token(cli, uri, want, 0, true, &slot);
    if (rc != CLI_OK)
        goto out;
    if (strcmp(verb, "init") == 0)
        rc = do_init(cli, &o, &slot);
    else if (strcmp(verb, "set-pin") == 0)
        rc = do_set_pin(cli, &o, &slot);
    else
        rc = do_unlock(cli, &o, &slot);
out:
    p11uri_free(uri);
    return rc;
}
