/* One way to report errors (one line, the first one only), progress on a
 * terminal, and confirmation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "cli.h"

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
