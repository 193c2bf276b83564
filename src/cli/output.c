/* Output: aligned tables for people, JSON arrays of objects for scripts.
 * The JSON keys are the column headers in lower case, spaces as '_'. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_table {
    size_t ncols, nrows;
    char **headers;
    char **cells; /* nrows * ncols */
};

struct cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
    struct cli_table *t = calloc(1, sizeof(*t));
    size_t i;

    if (t == NULL)
        return NULL;
    t->ncols = ncols;
    t->headers = calloc(ncols, sizeof(char *));
    if (t->headers == NULL) {
        free(t);
        return NULL;
    }
    for (i = 0; i < ncols; i++)
        t->headers[i] = strdup(headers[i]);
    return t;
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
    char **grown;
    size_t i;

    if (t == NULL)
        return;
    grown = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    if (grown == NULL)
        return;
    t->cells = grown;
    for (i = 0; i < t->ncols; i++)
        grown[t->nrows * t->ncols + i] = strdup(cells[i] != NULL ? cells[i] : "");
    t->nrows++;
}

void cli_json_string(void *fp, const char *s)
{
    FILE *f = fp;

    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void print_json(struct cli_table *t)
{
    size_t r, c;

    fputs("[", stdout);
    for (r = 0; r < t->nrows; r++) {
        fputs(r ? ",\n {" : "\n {", stdout);
        for (c = 0; c < t->ncols; c++) {
            char key[64];
            size_t k;

            for (k = 0; t->headers[c][k] && k < sizeof(key) - 1; k++)
                key[k] = t->headers[c][k] == ' ' ? '_' : (char)tolower(t->headers[c][k]);
            key[k] = '\0';
            if (c)
                fputs(", ", stdout);
            cli_json_string(stdout, key);
            fputs(": ", stdout);
            cli_json_string(stdout, t->cells[r * t->ncols + c]);
        }
        fputs("}", stdout);
    }
    fputs(t->nrows ? "\n]\n" : "]\n", stdout);
}

/* The width of S in terminal columns, counting UTF-8 sequences once. */
static size_t width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void print_text(struct cli_table *t)
{
    size_t *w = calloc(t->ncols, sizeof(size_t));
    size_t r, c;

    if (w == NULL)
        return;
    for (c = 0; c < t->ncols; c++)
        w[c] = width(t->headers[c]);
    for (r = 0; r < t->nrows; r++)
        for (c = 0; c < t->ncols; c++)
            if (width(t->cells[r * t->ncols + c]) > w[c])
                w[c] = width(t->cells[r * t->ncols + c]);
    for (r = 0; r <= t->nrows; r++) {
        for (c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? t->headers[c] : t->cells[(r - 1) * t->ncols + c];
            size_t pad = c + 1 < t->ncols ? w[c] - width(s) + 2 : 0;

            if (r == 0) {
                for (; *s; s++)
                    fputc(toupper((unsigned char)*s), stdout);
            } else {
                fputs(s, stdout);
            }
            while (pad--)
                fputc(' ', stdout);
        }
        fputc('\n', stdout);
    }
    free(w);
}

void cli_table_print(struct cli_table *t, bool json)
{
    if (t == NULL)
        return;
    if (json)
        print_json(t);
    else
        print_text(t);
}

void cli_table_free(struct cli_table *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->ncols; i++)
        free(t->headers[i]);
    for (i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->headers);
    free(t->cells);
    free(t);
}

char *cli_hex(const unsigned char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *s = malloc(len * 2 + 1);
    size_t i;

    if (s == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        s[2 * i] = hex[p[i] >> 4];
        s[2 * i + 1] = hex[p[i] & 15];
    }
    s[2 * len] = '\0';
    return s;
}
