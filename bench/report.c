/* The output: an aligned table on stdout as the figures come in, and at
 * the end one metric=value line per figure, in the order measured.  A
 * figure that could not be taken is `name=NA # reason`. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define LABEL_W 50
#define COL_W   13

typedef struct metric {
    char name[96];
    char value[32];
    char why[BENCH_WHY];
} metric;

static metric *metrics;
static size_t n_metrics, cap_metrics;
static unsigned n_errors;

/* Four significant figures or so, never in exponent form. */
static void fmt(char *b, size_t n, double v)
{
    double a = fabs(v);
    int d = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;

    snprintf(b, n, "%.*f", d, v);
}

static void add(const char *name, const char *value, const char *why)
{
    if (n_metrics == cap_metrics) {
        size_t cap = cap_metrics ? cap_metrics * 2 : 256;
        metric *v = realloc(metrics, cap * sizeof(*v));
        if (v == NULL) {
            fprintf(stderr, "tessera-bench: out of memory for metrics\n");
            exit(2);
        }
        metrics = v;
        cap_metrics = cap;
    }
    metric *m = &metrics[n_metrics++];
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->value, sizeof(m->value), "%s", value);
    snprintf(m->why, sizeof(m->why), "%s", why != NULL ? why : "");
}

static void add_number(const char *name, const char *suffix, double v)
{
    char full[128], val[32];

    snprintf(full, sizeof(full), "%s%s", name, suffix);
    fmt(val, sizeof(val), v);
    add(full, val, NULL);
}

static void add_na(const char *name, const char *suffix, const char *why)
{
    char full[128];

    snprintf(full, sizeof(full), "%s%s", name, suffix);
    add(full, "NA", why);
}

void report_section(const char *title)
{
    printf("\n== %s\n", title);
    fflush(stdout);
}

void report_columns(const char *unit)
{
    printf("%-*s %*s %*s %8s\n", LABEL_W, unit, COL_W, "module", COL_W, "OpenSSL", "ratio");
}

static const char *cell(const bench_stat *st, double v, char *b, size_t n)
{
    if (!st->ok)
        return "NA";
    fmt(b, n, v);
    return b;
}

void report_pair(const char *name, const char *label, const bench_stat *mod, const bench_stat *ossl,
                 double bytes)
{
    char a[32], b[32], r[32] = "NA", note[2 * BENCH_WHY + 64] = "";
    bool both = mod->ok && ossl->ok && ossl->per_s > 0;
    double ratio = both ? (mod->ratio > 0 ? mod->ratio : mod->per_s / ossl->per_s) : 0.0;

    if (both)
        fmt(r, sizeof(r), ratio);
    if (bytes > 0 && mod->ok && ossl->ok)
        snprintf(note, sizeof(note), "%.1f vs %.1f MB/s", mod->per_s * bytes / 1e6,
                 ossl->per_s * bytes / 1e6);
    else if (!mod->ok)
        snprintf(note, sizeof(note), "module: %s", mod->why);
    else if (!ossl->ok)
        snprintf(note, sizeof(note), "OpenSSL: %s", ossl->why);
    printf("%-*s %*s %*s %8s%s%s\n", LABEL_W, label, COL_W, cell(mod, mod->per_s, a, sizeof(a)),
           COL_W, cell(ossl, ossl->per_s, b, sizeof(b)), r, note[0] != '\0' ? "  " : "", note);
    fflush(stdout);

    if (mod->ok)
        add_number(name, ".per_s", mod->per_s);
    else
        add_na(name, ".per_s", mod->why);
    if (ossl->ok)
        add_number(name, ".openssl_per_s", ossl->per_s);
    else
        add_na(name, ".openssl_per_s", ossl->why);
    if (both)
        add_number(name, ".ratio", ratio);
    else
        add_na(name, ".ratio", !mod->ok ? mod->why : ossl->why);
    n_errors += (!mod->ok && !mod->missing) + (!ossl->ok && !ossl->missing);
}

void report_value(const char *name, const char *label, const bench_stat *st, double value,
                  const char *unit)
{
    if (!st->ok) {
        report_na(name, label, st->why, !st->missing);
        return;
    }
    report_number(name, label, value, unit);
}

void report_number(const char *name, const char *label, double value, const char *unit)
{
    char v[32];

    fmt(v, sizeof(v), value);
    printf("%-*s %*s %s\n", LABEL_W, label, COL_W, v, unit);
    fflush(stdout);
    add_number(name, "", value);
}

void report_na(const char *name, const char *label, const char *why, bool error)
{
    printf("%-*s %*s %s\n", LABEL_W, label, COL_W, "NA", why);
    fflush(stdout);
    add_na(name, "", why);
    n_errors += error;
}

void report_note(const char *fmt_, ...)
{
    va_list ap;

    va_start(ap, fmt_);
    vprintf(fmt_, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

void report_metrics(void)
{
    printf("\n== Metrics\n");
    for (size_t i = 0; i < n_metrics; i++) {
        if (metrics[i].why[0] != '\0')
            printf("%s=%s # %s\n", metrics[i].name, metrics[i].value, metrics[i].why);
        else
            printf("%s=%s\n", metrics[i].name, metrics[i].value);
    }
    fflush(stdout);
}

unsigned report_errors(void)
{
    return n_errors;
}
