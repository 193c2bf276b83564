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

static bool error_printed;

static void verr(const char *fmt, va_list ap, const char *tail)
{
    if (error_printed)
        return;
    error_printed = true;
    cli_progress(NULL);
    fputs("tessera: ", stderr);
    vfprintf(stderr, fmt, ap);
    if (tail != NULL)
        fprintf(stderr, ": %s", tail);
    fputc('\n', stderr);
}

int cli_err(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verr(fmt, ap, NULL);
    va_end(ap);
    return code;
}

int cli_err_rv(CK_RV rv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verr(fmt, ap, cli_rv_name(rv));
    va_end(ap);
    return cli_rv_code(rv);
}

int cli_err_ssl(int code, const char *fmt, ...)
{
    char buf[256] = "";
    unsigned long e = ERR_peek_error();
    va_list ap;

    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    va_start(ap, fmt);
    verr(fmt, ap, e != 0 ? buf : NULL);
    va_end(ap);
    return code;
}

int cli_rv_code(CK_RV rv)
{
    switch (rv) {
    case CKR_OK:
        return CLI_OK;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_LOCKED:
    case CKR_PIN_EXPIRED:
    case CKR_USER_PIN_NOT_INITIALIZED:
        return CLI_EPIN;
    case CKR_MECHANISM_INVALID:
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_KEY_TYPE_INCONSISTENT:
    case CKR_FUNCTION_NOT_SUPPORTED:
    case CKR_KEY_UNEXTRACTABLE:
    case CKR_KEY_NOT_WRAPPABLE:
        return CLI_EUNSUPPORTED;
    default:
        return CLI_EFAIL;
    }
}

void cli_progress(const char *fmt, ...)
{
    static bool shown;
    va_list ap;

    if (!isatty(STDERR_FILENO))
        return;
    if (fmt == NULL) {
        if (shown)
            fputs("\r\033[K", stderr);
        shown = false;
        return;
    }
    fputs("\r\033[K", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    shown = true;
}

bool cli_confirm(struct cli *cli, const char *fmt, ...)
{
    char line[32];
    va_list ap;

    if (cli->yes)
        return true;
    if (!isatty(STDIN_FILENO))
        return false;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" [y/N] ", stderr);
    fflush(stderr);
    if (fgets(line, sizeof(line), stdin) == NULL)
        return false;
    return line[0] == 'y' || line[0] == 'Y';
}

/* Options every command takes; their values sit above the char range. */
enum { OPT_MODULE = 256, OPT_PIN, OPT_PIN_FILE, OPT_JSON, OPT_YES, OPT_QUIET };
static const struct option common_opts[] = {
    {"module", required_argument, NULL, OPT_MODULE},
    {"pin", required_argument, NULL, OPT_PIN},
    {"pin-file", required_argument, NULL, OPT_PIN_FILE},
    {"json", no_argument, NULL, OPT_JSON},
    {"yes", no_argument, NULL, OPT_YES},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
};
#define NCOMMON (sizeof(common_opts) / sizeof(common_opts[0]))

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    static struct option merged[64];
    static const struct option *merged_for;
    static bool built;
    char shorts[64];
    size_t n = 0;
    int c;

    if (!built || merged_for != longopts) {
        for (; longopts != NULL && longopts[n].name != NULL && n < 64 - NCOMMON - 1; n++)
            merged[n] = longopts[n];
        memcpy(merged + n, common_opts, sizeof(common_opts));
        memset(merged + n + NCOMMON, 0, sizeof(merged[0]));
        merged_for = longopts;
        built = true;
    }
    snprintf(shorts, sizeof(shorts), ":%sh", shortopts != NULL ? shortopts : "");
    for (;;) {
        c = getopt_long(argc, argv, shorts, merged, NULL);
        switch (c) {
        case OPT_MODULE:
            cli->module_path = optarg;
            break;
        case OPT_PIN:
            cli->pin = optarg;
            break;
        case OPT_PIN_FILE:
            cli->pin_file = optarg;
            break;
        case OPT_JSON:
            cli->json = true;
            break;
        case OPT_YES:
            cli->yes = true;
            break;
        case OPT_QUIET:
            cli->quiet = true;
            break;
        case ':':
            cli_err(CLI_EUSAGE, "%s: option %s needs a value (see tessera %s --help)",
                    cli->command, argv[optind - 1], cli->command);
            return '?';
        case '?':
            cli_err(CLI_EUSAGE, "%s: unknown option %s (see tessera %s --help)", cli->command,
                    argv[optind - 1], cli->command);
            return '?';
        default:
            return c;
        }
    }
}

int cli_help(struct cli *cli, const char *usage)
{
    fputs(usage, stdout);
    fputs("\nCommon options:\n"
          "  --module PATH     use this PKCS#11 library instead of p11-kit's registered modules\n"
          "  --pin PIN         the user PIN on the command line (visible to other users!)\n"
          "  --pin-file FILE   read the user PIN from the first line of FILE\n"
          "                    (else $TESSERA_PIN, else a prompt with echo off)\n"
          "  --json            machine-readable output\n"
          "  --yes             do not ask for confirmation\n"
          "  --quiet           no progress or notes on stderr\n"
          "  -h, --help        this text\n",
          stdout);
    (void)cli;
    return CLI_OK;
}

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
