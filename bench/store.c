/* The object store as it grows.  The token is filled with small token
 * secret keys (16-byte value, an 8-byte CKA_ID and a 12-byte CKA_LABEL, all
 * distinct), each its own C_CreateObject and so its own transaction.  At
 * every level N the section measures the create rate (on the last objects
 * of the fill), finds by CKA_ID and by CKA_LABEL that hit and that miss,
 * C_GetAttributeValue, a cold start in a fresh process, resident memory and
 * the destroy rate (whose objects the next level's fill puts back). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_LEVELS PLOT_MAX_LEVELS
#define PROGRESS_S 30.0

typedef struct store {
    bench_ctx *c;
    CK_OBJECT_HANDLE *h; /* by object index */
    unsigned long n;     /* objects 0..n-1 exist */
    uint64_t rng;
    plot_data plot;
    size_t own_bytes; /* attribute bytes one object is made of */
} store;

static uint64_t next_rand(store *st)
{
    st->rng ^= st->rng >> 12;
    st->rng ^= st->rng << 25;
    st->rng ^= st->rng >> 27;
    return st->rng * UINT64_C(2685821657736338717);
}

/* CKA_ID: the index, big-endian, 8 bytes.  A miss is the index followed by
 * one more byte: no object has it, and it sorts right after the index's own
 * id, so a miss lands at a random place in the index as a hit does (not at
 * one end of it, which would stay cached).  Returns the length. */
static CK_ULONG make_id(unsigned long i, bool miss, CK_BYTE id[9])
{
    for (int k = 7; k >= 0; k--, i >>= 8)
        id[k] = (CK_BYTE)i;
    id[8] = 0x80;
    return miss ? 9 : 8;
}

/* CKA_LABEL "obj-00001234"; a miss "obj-00001234~", for the same reason. */
static CK_ULONG make_label(unsigned long i, bool miss, char label[24])
{
    return (CK_ULONG)snprintf(label, 24, "obj-%08lu%s", i, miss ? "~" : "");
}

static bool create_next(store *st, char *why)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_BYTE id[9], value[16];
    char label[24];
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_ID, id, 8},
        {CKA_LABEL, label, 0},
        {CKA_VALUE, value, sizeof(value)},
    };
    size_t n_attrs = sizeof(t) / sizeof(t[0]);
    CK_RV rv;

    make_id(st->n, false, id);
    t[7].ulValueLen = make_label(st->n, false, label);
    memset(value, 0x11, sizeof(value));
    memcpy(value, id, 8);
    if (st->own_bytes == 0)
        for (size_t i = 0; i < n_attrs; i++)
            st->own_bytes += t[i].ulValueLen;
    rv = st->c->m->f->C_CreateObject(st->c->m->s, t, n_attrs, &st->h[st->n]);
    if (rv != CKR_OK)
        return p11_fail(why, "C_CreateObject", rv);
    st->n++;
    return true;
}

static bool destroy_last(store *st, char *why)
{
    CK_RV rv = st->c->m->f->C_DestroyObject(st->c->m->s, st->h[st->n - 1]);

    if (rv != CKR_OK)
        return p11_fail(why, "C_DestroyObject", rv);
    st->n--;
    return true;
}

typedef bool (*obj_fn)(store *st, char *why);

static bool do_many(store *st, obj_fn fn, unsigned long k, char *why)
{
    double t0 = bench_now(), shown = t0;

    for (unsigned long i = 0; i < k; i++) {
        if (!fn(st, why))
            return false;
        if ((i & 1023) == 1023 && bench_now() - shown > PROGRESS_S) {
            shown = bench_now();
            fprintf(stderr, "tessera-bench: %lu objects, %.0f/s\n", st->n,
                    (double)i / (shown - t0));
        }
    }
    return true;
}

/* Times `fn` (create_next or destroy_last) on at most `budget` objects: a
 * probe for the rate, then cfg->reps repetitions; the median rate.  False
 * only when a call failed (the reason in out->why); too small a budget
 * leaves the figure missing. */
static bool sample_rate(store *st, obj_fn fn, unsigned long budget, bench_stat *out)
{
    const bench_cfg *cfg = st->c->cfg;
    unsigned long probe = budget / 4 < 32 ? budget / 4 : 32, rep_n;
    double rates[64], t0, t, est;
    unsigned reps = cfg->reps < 64 ? cfg->reps : 64;
    char why[BENCH_WHY];

    if (probe == 0)
        probe = 1;
    if (budget < probe + reps) {
        bench_stat_missing(out, "too few objects to time");
        return true;
    }
    t0 = bench_now();
    if (!do_many(st, fn, probe, why))
        return bench_stat_failed(out, why), false;
    t = bench_now() - t0;
    est = (double)probe / (t > 0 ? t : 1e-9);
    rep_n = (unsigned long)(est * cfg->target_s);
    if (rep_n > (budget - probe) / reps)
        rep_n = (budget - probe) / reps;
    if (rep_n < 1)
        rep_n = 1;
    for (unsigned r = 0; r < reps; r++) {
        t0 = bench_now();
        if (!do_many(st, fn, rep_n, why))
            return bench_stat_failed(out, why), false;
        t = bench_now() - t0;
        rates[r] = (double)rep_n / (t > 0 ? t : 1e-9);
    }
    out->ok = true;
    out->per_s = bench_median(rates, reps);
    return true;
}

/* ---- the disk's own bound ---- */

/* One durable write as a WAL commit makes it: pwrite 4 KiB + fdatasync, in
 * the token's directory, into a file written once beforehand (as SQLite
 * reuses its WAL file) so that no size change has to be synced.  A store
 * that syncs once per transaction commits no faster than this. */
#define PROBE_SIZE (4 << 20)

typedef struct sync_arg {
    int fd;
    off_t off;
    char page[4096];
} sync_arg;

static bool sync_run(void *arg, uint64_t n, char *why)
{
    sync_arg *a = arg;

    for (uint64_t i = 0; i < n; i++) {
        if (a->off >= PROBE_SIZE)
            a->off = 0;
        if (pwrite(a->fd, a->page, sizeof(a->page), a->off) != (ssize_t)sizeof(a->page) ||
            fdatasync(a->fd) != 0) {
            snprintf(why, BENCH_WHY, "pwrite/fdatasync failed");
            return false;
        }
        a->off += sizeof(a->page);
    }
    return true;
}

/* The probe file written and synced once, so that later writes reuse its
 * blocks. */
static bool probe_fill(int fd)
{
    static const char zero[4096];

    for (off_t off = 0; off < PROBE_SIZE; off += sizeof(zero))
        if (pwrite(fd, zero, sizeof(zero), off) != (ssize_t)sizeof(zero))
            return false;
    return fsync(fd) == 0;
}

static void disk_sync(store *st, unsigned long level)
{
    sync_arg *a = calloc(1, sizeof(*a));
    bench_op op = {sync_run, NULL, a};
    bench_stat s = {0};
    char path[PATH_MAX + 16], name[64], label[96];

    snprintf(path, sizeof(path), "%s/sync-probe", st->c->m->dir);
    if (a == NULL || (a->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0 ||
        !probe_fill(a->fd))
        bench_stat_failed(&s, "cannot create the probe file");
    else
        bench_run(st->c->cfg, &op, &s);
    snprintf(name, sizeof(name), "disk.sync.n%lu.per_s", level);
    snprintf(label, sizeof(label), "  disk bound now: pwrite 4 KiB + fdatasync");
    report_value(name, label, &s, s.per_s, "/s");
    if (a != NULL && a->fd >= 0) {
        close(a->fd);
        unlink(path);
    }
    free(a);
}

/* ---- finds and attribute reads ---- */

typedef struct find_arg {
    store *st;
    bool by_label, hit;
} find_arg;

static bool find_run(void *arg, uint64_t n, char *why)
{
    find_arg *a = arg;
    store *st = a->st;
    CK_FUNCTION_LIST *f = st->c->m->f;
    CK_SESSION_HANDLE s = st->c->m->s;
    CK_BYTE id[9];
    char label[24];
    CK_ATTRIBUTE t;
    CK_OBJECT_HANDLE found[2];
    CK_ULONG count = 0;
    CK_RV rv;

    for (uint64_t i = 0; i < n; i++) {
        unsigned long idx = (unsigned long)(next_rand(st) % st->n);
        if (a->by_label)
            t = (CK_ATTRIBUTE){CKA_LABEL, label, make_label(idx, !a->hit, label)};
        else
            t = (CK_ATTRIBUTE){CKA_ID, id, make_id(idx, !a->hit, id)};
        if ((rv = f->C_FindObjectsInit(s, &t, 1)) != CKR_OK)
            return p11_fail(why, "C_FindObjectsInit", rv);
        rv = f->C_FindObjects(s, found, 2, &count);
        f->C_FindObjectsFinal(s);
        if (rv != CKR_OK)
            return p11_fail(why, "C_FindObjects", rv);
        if (count != (a->hit ? 1 : 0)) {
            snprintf(why, BENCH_WHY, "find returned %lu objects, expected %d", count, a->hit);
            return false;
        }
    }
    return true;
}

static bool getattr_run(void *arg, uint64_t n, char *why)
{
    store *st = arg;
    CK_BYTE id[16];
    char label[32];
    CK_ATTRIBUTE t[2];
    CK_RV rv;

    for (uint64_t i = 0; i < n; i++) {
        unsigned long idx = (unsigned long)(next_rand(st) % st->n);
        t[0] = (CK_ATTRIBUTE){CKA_LABEL, label, sizeof(label)};
        t[1] = (CK_ATTRIBUTE){CKA_ID, id, sizeof(id)};
        rv = st->c->m->f->C_GetAttributeValue(st->c->m->s, st->h[idx], t, 2);
        if (rv != CKR_OK)
            return p11_fail(why, "C_GetAttributeValue", rv);
    }
    return true;
}

static void cold_start(store *st, unsigned long level, size_t li)
{
    static const struct {
        const char *suffix, *label;
    } steps[COLD_STEPS] = {
        [COLD_TOTAL] = {"ms", "cold start: init to first find"},
        [COLD_INIT] = {"init_ms", "  C_Initialize"},
        [COLD_SESSION] = {"session_ms", "  slot lookup + C_OpenSession"},
        [COLD_LOGIN] = {"login_ms", "  C_Login"},
        [COLD_FIND] = {"find_ms", "  first find by CKA_ID"},
        [COLD_HWM] = {"hwm_mib", "  peak resident memory of that process"},
    };
    double ms[COLD_STEPS][64];
    unsigned reps = st->c->cfg->reps < 64 ? st->c->cfg->reps : 64;
    char name[64], label[96], why[BENCH_WHY] = "";
    bool ok = true;

    for (unsigned r = 0; r < reps && ok; r++) {
        CK_BYTE id[9];
        double one[COLD_STEPS];
        make_id((unsigned long)(next_rand(st) % st->n), false, id);
        ok = cold_once(st->c->cfg, id, one, why);
        for (int k = 0; k < COLD_STEPS; k++)
            ms[k][r] = one[k];
    }
    for (int k = 0; k < COLD_STEPS; k++) {
        snprintf(name, sizeof(name), "coldstart.n%lu.%s", level, steps[k].suffix);
        snprintf(label, sizeof(label), "%s, N=%lu", steps[k].label, level);
        if (!ok) {
            report_na(name, label, why, k == 0);
            continue;
        }
        report_number(name, label, bench_median(ms[k], reps), k == COLD_HWM ? "MiB" : "ms");
    }
    st->plot.cold_ms[li] = ok ? bench_median(ms[COLD_TOTAL], reps) : NAN;
}

/* ---- memory ---- */

/* VmRSS and VmHWM from /proc/self/status, in KiB (0 when unknown). */
static void memory_kib(unsigned long *rss, unsigned long *hwm)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");

    *rss = *hwm = 0;
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        sscanf(line, "VmRSS: %lu", rss);
        sscanf(line, "VmHWM: %lu", hwm);
    }
    fclose(f);
}

/* ---- one level ---- */

/* The figures of a level, as <prefix>.n<N>.<suffix>. */
static const char *const level_metrics[][2] = {
    {"store.create", "per_s"},   {"store.fill", "s"},         {"find.id.hit", "us"},
    {"find.id.miss", "us"},      {"find.label.hit", "us"},    {"find.label.miss", "us"},
    {"getattr", "us"},           {"coldstart", "ms"},         {"coldstart", "init_ms"},
    {"coldstart", "session_ms"}, {"coldstart", "login_ms"},   {"coldstart", "find_ms"},
    {"mem", "rss_mib"},          {"mem", "per_object.bytes"}, {"store.destroy", "per_s"},
    {"disk.sync", "per_s"},
};

/* Every figure of a level that cannot be measured, as NA. */
static void level_na(unsigned long level, const char *why, bool error)
{
    char name[64];

    for (size_t i = 0; i < sizeof(level_metrics) / sizeof(level_metrics[0]); i++) {
        snprintf(name, sizeof(name), "%s.n%lu.%s", level_metrics[i][0], level, level_metrics[i][1]);
        report_na(name, name, why, error);
        error = false; /* one error per failed level is enough */
    }
}

/* Fills the token up to `level` objects; the create rate is timed on the
 * last half of them.  False (the reason in `why`) when a call failed. */
static bool fill(store *st, unsigned long level, size_t li, char *why)
{
    unsigned long need = level - st->n, budget = need / 2;
    bench_stat rate = {0};
    char name[64], label[96];
    double t0 = bench_now();

    if (!do_many(st, create_next, need - budget, why))
        return false;
    if (!sample_rate(st, create_next, budget, &rate)) {
        snprintf(why, BENCH_WHY, "%s", rate.why);
        return false;
    }
    if (!do_many(st, create_next, level - st->n, why))
        return false;
    snprintf(name, sizeof(name), "store.create.n%lu.per_s", level);
    snprintf(label, sizeof(label), "create (C_CreateObject), N=%lu", level);
    report_value(name, label, &rate, rate.per_s, "objects/s");
    st->plot.create_per_s[li] = rate.ok ? rate.per_s : NAN;
    snprintf(name, sizeof(name), "store.fill.n%lu.s", level);
    snprintf(label, sizeof(label), "  time to fill up to N=%lu", level);
    report_number(name, label, bench_now() - t0, "s");
    disk_sync(st, level);
    return true;
}

static void finds(store *st, unsigned long level, size_t li)
{
    static const struct {
        const char *name, *label;
        bool by_label, hit;
    } kinds[4] = {
        {"find.id.hit", "find by CKA_ID, hit", false, true},
        {"find.id.miss", "find by CKA_ID, miss", false, false},
        {"find.label.hit", "find by CKA_LABEL, hit", true, true},
        {"find.label.miss", "find by CKA_LABEL, miss", true, false},
    };
    char name[64], label[96];

    for (int k = 0; k < 4; k++) {
        find_arg a = {st, kinds[k].by_label, kinds[k].hit};
        bench_op op = {find_run, NULL, &a};
        bench_stat s = {0};

        bench_run(st->c->cfg, &op, &s);
        snprintf(name, sizeof(name), "%s.n%lu.us", kinds[k].name, level);
        snprintf(label, sizeof(label), "%s, N=%lu", kinds[k].label, level);
        report_value(name, label, &s, 1e6 / s.per_s, "µs (Init+Find+Final)");
        st->plot.find_us[k][li] = s.ok ? 1e6 / s.per_s : NAN;
    }
    {
        bench_op op = {getattr_run, NULL, st};
        bench_stat s = {0};

        bench_run(st->c->cfg, &op, &s);
        snprintf(name, sizeof(name), "getattr.n%lu.us", level);
        snprintf(label, sizeof(label), "C_GetAttributeValue (label, id), N=%lu", level);
        report_value(name, label, &s, 1e6 / s.per_s, "µs");
        st->plot.getattr_us[li] = s.ok ? 1e6 / s.per_s : NAN;
    }
}

static void memory(store *st, unsigned long level, unsigned long base_kib, double *per_obj)
{
    unsigned long rss, hwm;
    char name[64], label[96];

    memory_kib(&rss, &hwm);
    snprintf(name, sizeof(name), "mem.n%lu.rss_mib", level);
    snprintf(label, sizeof(label), "resident memory, N=%lu", level);
    report_number(name, label, (double)rss / 1024.0, "MiB");
    /* Beyond the objects' own attribute bytes and this program's handle. */
    *per_obj = ((double)rss - (double)base_kib) * 1024.0 / (double)level - (double)st->own_bytes -
               (double)sizeof(CK_OBJECT_HANDLE);
    snprintf(name, sizeof(name), "mem.n%lu.per_object.bytes", level);
    snprintf(label, sizeof(label), "  per object beyond its %zu own bytes", st->own_bytes);
    report_number(name, label, *per_obj, "bytes");
}

static void destroys(store *st, unsigned long level)
{
    unsigned long budget = level / 10;
    bench_stat s = {0};
    char name[64], label[96];

    (void)sample_rate(st, destroy_last, budget, &s);
    snprintf(name, sizeof(name), "store.destroy.n%lu.per_s", level);
    snprintf(label, sizeof(label), "destroy (C_DestroyObject), N=%lu", level);
    report_value(name, label, &s, s.per_s, "objects/s");
    st->plot.destroy_per_s[st->plot.n - 1] = s.ok ? s.per_s : NAN;
}

/* ---- the section ---- */

static size_t levels_for(const bench_cfg *cfg, unsigned long *levels)
{
    static const unsigned long full[] = {1000, 10000, 100000, 1000000};
    size_t n = 0, max = cfg->quick ? 2 : 4;

    for (size_t i = 0; i < max; i++)
        if (full[i] <= cfg->max_objects)
            levels[n++] = full[i];
    if (n == 0 && cfg->max_objects >= 100)
        levels[n++] = cfg->max_objects;
    return n;
}

static void growth(const store *st)
{
    static const char *const names[4] = {"find.id.hit", "find.id.miss", "find.label.hit",
                                         "find.label.miss"};
    const plot_data *p = &st->plot;
    char name[64], label[128];

    for (int k = 0; k < 4; k++) {
        double a = p->find_us[k][0], b = p->find_us[k][p->n - 1];
        snprintf(name, sizeof(name), "%s.growth", names[k]);
        snprintf(label, sizeof(label), "%s: µs at N=%.0f / at N=%.0f", names[k],
                 p->objects[p->n - 1], p->objects[0]);
        if (p->n < 2 || isnan(a) || isnan(b) || a <= 0)
            report_na(name, label, "needs two measured levels", false);
        else
            report_number(name, label, b / a, "x");
    }
}

void store_section(bench_ctx *c)
{
    store st = {.c = c, .rng = 0x9e3779b97f4a7c15ull};
    unsigned long levels[MAX_LEVELS], rss, hwm;
    size_t n = levels_for(c->cfg, levels), li;
    double per_obj = NAN;

    report_section("Object store (token secret keys, each C_CreateObject one transaction)");
    st.h = calloc(n > 0 ? levels[n - 1] : 1, sizeof(*st.h));
    if (st.h == NULL || n == 0) {
        report_na("store", "object store", "no levels (see --max-objects) or no memory", true);
        free(st.h);
        return;
    }
    memory_kib(&rss, &hwm);
    snprintf(st.plot.title, sizeof(st.plot.title), "%s", c->m->desc);
    for (li = 0; li < n; li++) {
        char why[BENCH_WHY];

        st.plot.objects[li] = (double)levels[li];
        st.plot.n = li + 1;
        if (!fill(&st, levels[li], li, why)) {
            level_na(levels[li], why, true);
            break;
        }
        finds(&st, levels[li], li);
        cold_start(&st, levels[li], li);
        memory(&st, levels[li], rss, &per_obj);
        destroys(&st, levels[li]);
    }
    for (size_t k = li + 1; k < n; k++)
        level_na(levels[k], "an earlier fill failed", false);
    if (li < n)
        st.plot.n = li;
    memory_kib(&rss, &hwm);
    report_number("mem.peak_mib", "peak resident memory of the whole run", (double)hwm / 1024.0,
                  "MiB");
    if (isnan(per_obj))
        report_na("mem.per_100k.mib", "resident per 100,000 objects", "no level measured", false);
    else
        report_number("mem.per_100k.mib", "resident per 100,000 objects, beyond their own bytes",
                      per_obj * 1e5 / 1048576.0, "MiB");
    growth(&st);
    if (c->cfg->plot_path != NULL && st.plot.n > 0 && !plot_write(c->cfg->plot_path, &st.plot))
        report_note("cannot write the plot %s", c->cfg->plot_path);
    /* The objects stay: the temporary token goes away as a whole. */
    free(st.h);
}
