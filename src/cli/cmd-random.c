/* tessera random N [--hex|--base64|--raw] [URI]: C_GenerateRandom. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cli.h"

static const char usage[] =
    "usage: tessera random N [--hex|--base64|--raw] [URI]\n"
    "\n"
    "Prints N random bytes (1 to 1048576) from the token's random number\n"
    "generator (C_GenerateRandom): the first token with one, or the one the\n"
    "URI names.  Hex by default.\n";

#define RANDOM_MAX (1u << 20)

static int emit(const unsigned char *buf, size_t n, char format)
{
    if (format == 'r') {
        if (fwrite(buf, 1, n, stdout) != n)
            return cli_err(CLI_EFAIL, "writing the output: %s", strerror(errno));
    } else if (format == 'b') {
        unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);

        if (b64 == NULL)
            return cli_err(CLI_EFAIL, "out of memory");
        EVP_EncodeBlock(b64, buf, (int)n);
        puts((char *)b64);
        free(b64);
    } else {
        char *hex = cli_hex(buf, n);

        if (hex == NULL)
            return cli_err(CLI_EFAIL, "out of memory");
        puts(hex);
        free(hex);
    }
    return CLI_OK;
}

static int generate(struct cli_slot *s, size_t n, char format)
{
    unsigned char *buf = malloc(n);
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int rc;

    if (buf == NULL)
        return cli_err(CLI_EFAIL, "out of memory");
    rc = cli_session_open(s, false, &h);
    if (rc == CLI_OK) {
        rv = s->mod->fl->C_GenerateRandom(h, buf, n);
        s->mod->fl->C_CloseSession(h);
        if (rv != CKR_OK)
            rc = cli_err_rv(rv, "C_GenerateRandom");
    }
    if (rc == CLI_OK)
        rc = emit(buf, n, format);
    OPENSSL_cleanse(buf, n);
    free(buf);
    return rc;
}

int cmd_random(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"hex", no_argument, NULL, 'x'},
                                         {"base64", no_argument, NULL, 'b'},
                                         {"raw", no_argument, NULL, 'r'},
                                         {0}};
    struct p11uri *uri = NULL;
    struct cli_slot *slots = NULL;
    unsigned long count = 0;
    char format = 'x', *end;
    size_t n = 0, i;
    int c, rc = CLI_OK;

    while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
        if (c == 'h')
            return cli_help(cli, usage);
        if (c == '?')
            return CLI_EUSAGE;
        format = (char)c;
    }
    for (; optind < argc && rc == CLI_OK; optind++) {
        if (strncasecmp(argv[optind], "pkcs11:", 7) == 0 && uri == NULL) {
            rc = cli_uri_arg(cli, argv[optind], &uri);
        } else if (count == 0) {
            errno = 0;
            count = strtoul(argv[optind], &end, 10);
            if (errno != 0 || *end != '\0' || argv[optind][0] == '-' || count == 0 ||
                count > RANDOM_MAX)
                rc = cli_err(CLI_EUSAGE, "random: N must be a number from 1 to %u, not '%s'",
                             RANDOM_MAX, argv[optind]);
        } else {
            rc = cli_err(CLI_EUSAGE, "random: unexpected argument '%s'", argv[optind]);
        }
    }
    if (rc == CLI_OK && count == 0)
        rc = cli_err(CLI_EUSAGE, "random: how many bytes? (tessera random N)");
    if (rc == CLI_OK && format == 'r' && isatty(STDOUT_FILENO))
        rc = cli_err(CLI_EUSAGE, "random: --raw would write binary to the terminal");
    if (rc == CLI_OK)
        rc = cli_slots(cli, &slots, &n);
    if (rc == CLI_OK) {
        /* An initialised token first: a blank one may refuse sessions. */
        for (i = 0; i < n; i++) {
            if (p11uri_match_token(uri, &slots[i]) && (slots[i].token.flags & CKF_RNG) &&
                (slots[i].token.flags & CKF_TOKEN_INITIALIZED))
                break;
        }
        for (i = i < n ? i : 0; i < n; i++) {
            if (p11uri_match_token(uri, &slots[i]) && (slots[i].token.flags & CKF_RNG))
                break;
        }
        if (i == n)
            rc = cli_err(CLI_ENOTFOUND, "no token %swith a random number generator",
                         uri != NULL ? "matching the URI " : "");
        else
            rc = generate(&slots[i], count, format);
    }
    free(slots);
    p11uri_free(uri);
    return rc;
}
