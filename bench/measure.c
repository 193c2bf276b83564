/* Timing.  Each figure is the median of cfg->reps repetitions; one
 * repetition is as many operations as take about cfg->target_s, found by
 * doubling from a single operation (which also warms caches up). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define MAX_REPS 64

double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void bench_stat_missing(bench_stat *st, const char *why)
{
    st->ok = false;
    st->missing = true;
    snprintf(st->why, sizeof(st->why), "%s", why);
}

void bench_stat_failed(bench_stat *st, const char *why)
{
    st->ok = false;
    st->missing = false;
    snprintf(st->why, sizeof(st->why), "%s", why);
}

static bool timed(const bench_op *op, uint64_t n, double *secs, char *why)
{
    double t0 = bench_now();
    bool ok = op->run(op->arg, n, why);

    *secs = bench_now() - t0;
    if (op->after != NULL)
        op->after(op->arg);
    return ok;
}

/* Operations per repetition; the first run is a warm-up as well. */
static bool calibrate(const bench_cfg *cfg, const bench_op *op, uint64_t *n, char *why)
{
    uint64_t k = 1;
    double t = 0.0, want = cfg->target_s;

    for (;;) {
        if (!timed(op, k, &t, why))
            return false;
        if (t >= want / 8 || k >= (UINT64_C(1) << 32))
            break;
        k *= t < want / 256 ? 16 : 2;
    }
    if (t <= 0.0)
        t = 1e-9;
    *n = (uint64_t)(want / (t / (double)k));
    if (*n < 1)
        *n = 1;
    return true;
}

typedef struct run_state {
    const bench_op *op;
    bench_stat *st;
    uint64_t n;
    double rate[MAX_REPS];
} run_state;

static void start(const bench_cfg *cfg, run_state *r)
{
    char why[BENCH_WHY] = "";

    if (r->st->missing || r->st->why[0] != '\0') {
        r->st->ok = false;
        return;
    }
    r->st->ok = calibrate(cfg, r->op, &r->n, why);
    if (!r->st->ok)
        bench_stat_failed(r->st, why);
}

static void one_rep(run_state *r, unsigned i)
{
    char why[BENCH_WHY] = "";
    double t;

    if (!r->st->ok)
        return;
    if (!timed(r->op, r->n, &t, why)) {
        bench_stat_failed(r->st, why);
        return;
    }
    r->rate[i] = (double)r->n / (t > 0.0 ? t : 1e-9);
}

static void finish(unsigned reps, run_state *r)
{
    if (r->st->ok)
        r->st->per_s = bench_median(r->rate, reps);
}

void bench_run_pair(const bench_cfg *cfg, const bench_op *a, bench_stat *ra, const bench_op *b,
                    bench_stat *rb)
{
    run_state s[2] = {{.op = a, .st = ra}, {.op = b, .st = rb}};
    unsigned reps = cfg->reps < MAX_REPS ? cfg->reps : MAX_REPS;

    for (int k = 0; k < 2; k++)
        if (s[k].op != NULL)
            start(cfg, &s[k]);
    for (unsigned i = 0; i < reps; i++)
        for (int k = 0; k < 2; k++)
            if (s[k].op != NULL)
                one_rep(&s[k], i);
    for (int k = 0; k < 2; k++)
        if (s[k].op != NULL)
            finish(reps, &s[k]);
    ra->ratio = 0.0;
    if (b != NULL && ra->ok && rb->ok) {
        double q[MAX_REPS];
        for (unsigned i = 0; i < reps; i++)
            q[i] = s[0].rate[i] / s[1].rate[i];
        ra->ratio = bench_median(q, reps);
    }
}

void bench_run(const bench_cfg *cfg, const bench_op *op, bench_stat *out)
{
    bench_run_pair(cfg, op, out, NULL, NULL);
}
