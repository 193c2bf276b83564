/* tessera: the command table, the options every command shares, and the one
 * way errors are reported. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <p11-kit/p11-kit.h>

#include "cli.h"

static const struct cli_command commands[] = {
    {"list", cmd_list, "list modules, slots, tokens, objects or mechanisms"},
    {"module", cmd_module, "register or remove a PKCS#11 module (p11-kit or NSS)"},
    {"token", cmd_token, "initialise a token, change or unlock a PIN"},
    {"keygen", cmd_keygen, "generate a key pair on a token"},
    {"request", cmd_request, "make a PKCS#10 or CRMF certificate request"},
    {"import", cmd_import, "put certificates (or a PKCS#12) on the token"},
    {"sign-text", cmd_sign_text, "sign text as CMS SignedData with a token key"},
    {"verify", cmd_verify, "verify CMS SignedData against a CA"},
    {"random", cmd_random, "random bytes from a token"},
    {"logout", cmd_logout, "log out of tokens and close their sessions"},
    {"watch", cmd_watch, "report token insertions and removals"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    size_t i;

    fputs("usage: tessera COMMAND [OPTIONS] [ARGS]\n\nCommands:\n", f);
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'tessera COMMAND --help' describes a command; man tessera describes them all.\n", f);
}

int main(int argc, char **argv)
{
    struct cli cli = {.prog = "tessera"};
    size_t i;
    int rc;

    /* A few common options may also come before the command. */
    while (argc > 2 && strncmp(argv[1], "--", 2) == 0) {
        if (strcmp(argv[1], "--module") == 0 && argc > 3) {
            cli.module_path = argv[2];
            argv++, argc--;
        } else if (strcmp(argv[1], "--json") == 0) {
            cli.json = true;
        } else if (strcmp(argv[1], "--yes") == 0) {
            cli.yes = true;
        } else if (strcmp(argv[1], "--quiet") == 0) {
            cli.quiet = true;
        } else {
            break;
        }
        argv++, argc--;
    }
    if (argc < 2) {
        usage(stderr);
        return CLI_EUSAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tessera %s\n", TSR_CLI_VERSION);
        return CLI_OK;
    }
    for (i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            break;
    }
    if (i == NCOMMANDS)
        return cli_err(CLI_EUSAGE, "unknown command '%s' (see tessera --help)", argv[1]);
    cli.command = commands[i].name;
    optind = 1;
    rc = commands[i].fn(&cli, argc - 1, argv + 1);
    cli_modules_free(&cli);
    if (fflush(stdout) != 0 && rc == CLI_OK)
        rc = cli_err(CLI_EFAIL, "writing the output: %s", strerror(errno));
    return rc;
}
