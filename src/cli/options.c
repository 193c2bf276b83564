/* The options every command shares, parsed together with each command's
 * own, and the common part of every --help. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
            cli_err(CLI_EUSAGE, "%s: option %s needs a value (see tessera %s --help)", cli->command,
                    argv[optind - 1], cli->command);
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
