/* PINs: never from argv unless --pin is given explicitly.  Otherwise from a
 * file, the environment, or a prompt on the terminal with echo off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

#define PIN_MAX 256

void cli_pin_free(char *pin)
{
    if (pin != NULL) {
        OPENSSL_cleanse(pin, strlen(pin));
        free(pin);
    }
}

int cli_read_file(const char *path, unsigned char **data, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    unsigned char *buf = NULL, *grown;
    size_t cap = 0, n = 0, got;

    *data = NULL;
    *len = 0;
    if (f == NULL)
        return cli_err(CLI_EINPUT, "cannot open %s: %s", path, strerror(errno));
    do {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (256u << 20) || (grown = realloc(buf, cap)) == NULL) {
                free(buf);
                if (f != stdin)
                    fclose(f);
                return cli_err(CLI_EINPUT, "%s: too large", path);
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        free(buf);
        if (f != stdin)
            fclose(f);
        return cli_err(CLI_EINPUT, "cannot read %s", path);
    }
    if (f != stdin)
        fclose(f);
    if (buf == NULL)
        buf = calloc(1, 1);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return CLI_OK;
}

static int pin_from_file(const char *kind, const char *path, char **out)
{
    unsigned char *data;
    size_t len, i;
    int rc = cli_read_file(path, &data, &len);

    if (rc != CLI_OK)
        return rc;
    for (i = 0; i < len && data[i] != '\n' && data[i] != '\r'; i++)
        ;
    data[i] = '\0';
    if (i < len)
        OPENSSL_cleanse(data + i, len - i);
    if (i == 0) {
        free(data);
        return cli_err(CLI_EPIN, "%s: the %s file is empty", path, kind);
    }
    *out = (char *)data;
    return CLI_OK;
}

/* Read one line from the terminal with echo off. */
static int prompt(const char *text, char *buf, size_t size)
{
    struct termios old, quiet;
    FILE *tty = fopen("/dev/tty", "r+");
    bool ok;
    size_t n;

    if (tty == NULL)
        return -1;
    fprintf(tty, "%s: ", text);
    fflush(tty);
    if (tcgetattr(fileno(tty), &old) != 0) {
        fclose(tty);
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    ok = fgets(buf, (int)size, tty) != NULL;
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    if (!ok)
        return -1;
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return 0;
}

int cli_pin_get(const char *kind, const char *explicit_pin, const char *file, const char *env,
                char **out)
{
    char a[PIN_MAX], b[PIN_MAX], text[96];
    const char *e = env != NULL ? getenv(env) : NULL;
    bool is_new = strncmp(kind, "new ", 4) == 0;
    int rc = CLI_OK;

    *out = NULL;
    if (explicit_pin != NULL) {
        *out = strdup(explicit_pin);
    } else if (file != NULL) {
        return pin_from_file(kind, file, out);
    } else if (e != NULL && *e != '\0') {
        *out = strdup(e);
    } else {
        if (!isatty(STDIN_FILENO))
            return cli_err(CLI_EPIN,
                           "the %s is needed, and there is no terminal to ask on "
                           "(use --pin-file%s%s)",
                           kind, env != NULL ? " or $" : "", env != NULL ? env : "");
        snprintf(text, sizeof(text), "%c%s", kind[0] - 32 * (kind[0] >= 'a'), kind + 1);
        if (prompt(text, a, sizeof(a)) != 0)
            return cli_err(CLI_EPIN, "could not read the %s", kind);
        if (is_new) {
            snprintf(text, sizeof(text), "%c%s again", kind[0] - 32 * (kind[0] >= 'a'), kind + 1);
            if (prompt(text, b, sizeof(b)) != 0 || strcmp(a, b) != 0)
                rc = cli_err(CLI_EPIN, "the two %ss differ", kind);
            OPENSSL_cleanse(b, sizeof(b));
        }
        if (rc == CLI_OK && a[0] == '\0')
            rc = cli_err(CLI_EPIN, "an empty %s", kind);
        if (rc == CLI_OK)
            *out = strdup(a);
        OPENSSL_cleanse(a, sizeof(a));
        if (rc != CLI_OK)
            return rc;
    }
    if (*out == NULL)
        return cli_err(CLI_EFAIL, "out of memory");
    return CLI_OK;
}
