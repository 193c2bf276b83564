/* The tessera tool: what every command shares that does not need the
 * PKCS#11 types (so that code including NSS's own PKCS#11 headers can use
 * it).  cli.h adds the rest. */
#ifndef TSR_CLI_CORE_H
#define TSR_CLI_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>

/* Exit codes; doc/tessera.1 lists them under EXIT STATUS.  Each failure
 * prints exactly one line on stderr and changes nothing. */
enum {
    CLI_OK = 0,
    CLI_EFAIL = 1,        /* the operation failed (token or OpenSSL error) */
    CLI_EUSAGE = 2,       /* bad command line */
    CLI_ENOTFOUND = 3,    /* no token or object matches */
    CLI_EPIN = 4,         /* wrong, missing or locked PIN */
    CLI_EINPUT = 5,       /* an input file is missing, unreadable or malformed */
    CLI_EMODLOAD = 6,     /* a library does not load or has no C_GetFunctionList */
    CLI_EEXISTS = 7,      /* a module of that name is already registered */
    CLI_EBADNAME = 8,     /* not an acceptable module name */
    CLI_ECANCEL = 9,      /* the user said no, or could not be asked */
    CLI_EVERIFY = 10,     /* a signature or certificate did not verify */
    CLI_EUNSUPPORTED = 11 /* the token or key cannot do that */
};

struct cli_module;

/* Options every command accepts, and the loaded modules. */
struct cli {
    const char *prog;
    const char *command;
    const char *module_path; /* --module: bypass p11-kit's registry */
    const char *pin;         /* --pin (explicit only) */
    const char *pin_file;    /* --pin-file */
    bool json, yes, quiet;
    struct cli_module *mods;
    size_t nmods;
};

/* main.c: common option parsing.  cli_getopt behaves like getopt_long over
 * the command's own options plus the common ones (--module, --pin,
 * --pin-file, --json, --yes, --quiet, --help), which it handles itself.  It
 * returns the command's option character, -1 at the end, 'h' for --help and
 * '?' on a usage error (already reported). */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts);
/* Print the usage text USAGE of the current command to stdout. */
int cli_help(struct cli *cli, const char *usage);

/* Report one error line "tessera: MSG" on stderr and return CODE.  Only the
 * first error of a run is printed, so a failure is always one line. */
int cli_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like cli_err, with OpenSSL's first queued error appended (queue cleared). */
int cli_err_ssl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A progress message on stderr, shown only when stderr is a terminal.
 * NULL clears the line. */
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ask QUESTION on the terminal; true only for an explicit yes.  With --yes,
 * true without asking; without a terminal, false. */
bool cli_confirm(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pin.c: PINs.  KIND is "user", "so" or "new user", "new so".  In order: the
 * explicit value (from --pin or a URI's pin-value), the file (--pin-file or a
 * URI's pin-source), the environment (TESSERA_PIN, TESSERA_SO_PIN,
 * TESSERA_NEW_PIN), and a prompt with echo off when stdin is a terminal.
 * *out is freed with cli_pin_free.  A new PIN read from a prompt is asked
 * twice.  Returns an exit code. */
int cli_pin_get(const char *kind, const char *explicit_pin, const char *file, const char *env,
                char **out);
void cli_pin_free(char *pin);
/* Read a whole file (the first line only if LINE) into a malloc'd buffer. */
int cli_read_file(const char *path, unsigned char **data, size_t *len);

/* output.c: tables for people, JSON for scripts. */
struct cli_table;
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* Add a row of NCOLS strings (copied; NULL prints as empty). */
void cli_table_add(struct cli_table *t, const char *const *cells);
/* Print aligned columns, or a JSON array of objects keyed by the headers. */
void cli_table_print(struct cli_table *t, bool json);
void cli_table_free(struct cli_table *t);
/* Write S as a JSON string literal (quoted) to F. */
void cli_json_string(void *f, const char *s);
/* Hex of LEN bytes into a malloc'd string. */
char *cli_hex(const unsigned char *p, size_t len);

/* cmd-module-nss.c: the same verbs on an NSS database (secmod), through
 * NSS's own library.  Each returns an exit code. */
int cli_nss_add(struct cli *cli, const char *dbdir, const char *name, const char *path);
int cli_nss_remove(struct cli *cli, const char *dbdir, const char *name);
int cli_nss_list(struct cli *cli, const char *dbdir);

#endif
