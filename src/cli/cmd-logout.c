/* tessera logout [URI]: window.crypto.logout() for every reachable token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: tessera logout [URI]\n"
    "\n"
    "Logs out of every token reachable (all modules, or the tokens the URI\n"
    "names) and closes their sessions.  Each token's line ends with the state\n"
    "a fresh session then reports (C_GetSessionInfo), which is public.\n";

static const char *state_name(CK_STATE s)
{
    switch (s) {
    case CKS_RO_PUBLIC_SESSION:
        return "ro-public";
    case CKS_RW_PUBLIC_SESSION:
        return "rw-public";
    case CKS_RO_USER_FUNCTIONS:
        return "ro-user";
    case CKS_RW_USER_FUNCTIONS:
        return "rw-user";
    case CKS_RW_SO_FUNCTIONS:
        return "rw-so";
    default:
        return "unknown";
    }
}

/* Log out of one token, close its sessions, and report the state a new
 * session has.  Returns an exit code. */
static int logout_one(struct cli *cli, struct cli_slot *s)
{
    CK_FUNCTION_LIST *fl = s->mod->fl;
    CK_SESSION_HANDLE h;
    CK_SESSION_INFO si;
    char label[33];
    CK_RV rv;
    int rc;

    cli_padded(s->token.label, 32, label);
    rc = cli_session_open(s, false, &h);
    if (rc != CLI_OK)
        return rc;
    rv = fl->C_Logout(h);
    if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN) {
        fl->C_CloseSession(h);
        return cli_err_rv(rv, "token '%s': C_Logout", label);
    }
    rv = fl->C_CloseAllSessions(s->id);
    if (rv != CKR_OK)
        return cli_err_rv(rv, "token '%s': C_CloseAllSessions", label);
    rc = cli_session_open(s, false, &h);
    if (rc != CLI_OK)
        return rc;
    rv = fl->C_GetSessionInfo(h, &si);
    fl->C_CloseSession(h);
    if (rv != CKR_OK)
        return cli_err_rv(rv, "token '%s': C_GetSessionInfo", label);
    if (si.state != CKS_RO_PUBLIC_SESSION)
        return cli_err(CLI_EFAIL, "token '%s': still %s after C_Logout", label,
                       state_name(si.state));
    if (cli->json) {
        printf("{\"token\": ");
        cli_json_string(stdout, label);
        printf(", \"module\": ");
        cli_json_string(stdout, s->mod->name);
        printf(", \"state\": \"%s\"}\n", state_name(si.state));
    } else if (!cli->quiet) {
        printf("logged out: %s (%s), session state %s\n", label, s->mod->name,
               state_name(si.state));
    }
    return CLI_OK;
}

int cmd_logout(struct cli *cli, int argc, char **argv)
{
    struct p11uri *uri = NULL;
    struct cli_slot *slots = NULL;
    size_t n = 0, i, done = 0;
    int c, rc = CLI_OK;

    while ((c = cli_getopt(cli, argc, argv, "", NULL)) != -1) {
        if (c == 'h')
            return cli_help(cli, usage);
        return CLI_EUSAGE;
    }
    if (optind < argc)
        rc = cli_uri_arg(cli, argv[optind++], &uri);
    if (rc == CLI_OK && optind < argc)
        rc = cli_err(CLI_EUSAGE, "logout: unexpected argument '%s'", argv[optind]);
    if (rc == CLI_OK)
        rc = cli_slots(cli, &slots, &n);
    for (i = 0; rc == CLI_OK && i < n; i++) {
        if (!p11uri_match_token(uri, &slots[i]) || !(slots[i].token.flags & CKF_TOKEN_INITIALIZED))
            continue;
        rc = logout_one(cli, &slots[i]);
        done++;
    }
    if (rc == CLI_OK && done == 0 && uri != NULL)
        rc = cli_err(CLI_ENOTFOUND, "no token matches the URI");
    free(slots);
    p11uri_free(uri);
    return rc;
}
