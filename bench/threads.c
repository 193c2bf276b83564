/* Signing from 1, 2 and 4 threads at once, one session each, all with the
 * same token key; OpenSSL the same way (one EVP_MD_CTX per thread, one
 * shared EVP_PKEY).  Each thread counts the signatures it finished and the
 * time they took; the total rate is the sum of the threads' rates. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "bench.h"

#define MAX_THREADS 4

typedef struct conc {
    bench_p11 *m;
    bool ossl;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM mech;
    bool prehash; /* raw CKM_ECDSA: the digest is made here */
    EVP_PKEY *pkey;
    EVP_MD *md;
    pthread_barrier_t start;
    atomic_bool stop;
} conc;

typedef struct worker {
    conc *c;
    pthread_t tid;
    CK_SESSION_HANDLE s;
    uint64_t count;
    double secs;
    bool failed;
    char why[BENCH_WHY];
} worker;

static bool sign_once(worker *w, EVP_MD_CTX *ctx)
{
    conc *c = w->c;
    unsigned char msg[64] = {0x5a}, sig[1024], digest[EVP_MAX_MD_SIZE];
    CK_BYTE *data = msg;
    CK_ULONG len = sizeof(sig), data_len = sizeof(msg);
    size_t slen = sizeof(sig);
    unsigned int dl = 0;
    CK_RV rv;

    if (c->ossl) {
        EVP_MD_CTX_reset(ctx);
        if (EVP_DigestSignInit(ctx, NULL, c->md, NULL, c->pkey) <= 0 ||
            EVP_DigestSign(ctx, sig, &slen, msg, sizeof(msg)) <= 0) {
            snprintf(w->why, sizeof(w->why), "EVP_DigestSign failed");
            return false;
        }
        return true;
    }
    if (c->prehash) {
        if (!EVP_Digest(msg, sizeof(msg), digest, &dl, c->md, NULL)) {
            snprintf(w->why, sizeof(w->why), "EVP_Digest failed");
            return false;
        }
        data = digest;
        data_len = dl;
    }
    if ((rv = c->m->f->C_SignInit(w->s, &c->mech, c->key)) != CKR_OK)
        return p11_fail(w->why, "C_SignInit", rv);
    if ((rv = c->m->f->C_Sign(w->s, data, data_len, sig, &len)) != CKR_OK)
        return p11_fail(w->why, "C_Sign", rv);
    return true;
}

static void *work(void *arg)
{
    worker *w = arg;
    EVP_MD_CTX *ctx = w->c->ossl ? EVP_MD_CTX_new() : NULL;
    double t0, last;

    pthread_barrier_wait(&w->c->start);
    t0 = last = bench_now();
    while (!atomic_load_explicit(&w->c->stop, memory_order_relaxed)) {
        if (!sign_once(w, ctx)) {
            w->failed = true;
            break;
        }
        w->count++;
        last = bench_now();
    }
    w->secs = last - t0;
    EVP_MD_CTX_free(ctx);
    return NULL;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    nanosleep(&ts, NULL);
}

/* One window with `n` threads: signatures per second, or false. */
static bool window(conc *c, int n, double secs, double *rate, char *why)
{
    worker w[MAX_THREADS];
    bool ok = true;
    CK_RV rv;
    int i, started = 0;

    memset(w, 0, sizeof(w));
    *rate = 0.0;
    atomic_store(&c->stop, false);
    pthread_barrier_init(&c->start, NULL, (unsigned)n + 1);
    for (i = 0; i < n; i++) {
        w[i].c = c;
        if (!c->ossl && (rv = c->m->f->C_OpenSession(c->m->slot, CKF_SERIAL_SESSION, NULL, NULL,
                                                     &w[i].s)) != CKR_OK) {
            ok = p11_fail(why, "C_OpenSession", rv);
            break;
        }
    }
    for (i = 0; ok && i < n; i++, started++) {
        if (pthread_create(&w[i].tid, NULL, work, &w[i]) != 0) {
            /* The barrier would never open; nothing sensible to measure. */
            fprintf(stderr, "tessera-bench: pthread_create failed\n");
            exit(2);
        }
    }
    if (ok) {
        pthread_barrier_wait(&c->start);
        sleep_s(secs);
        atomic_store(&c->stop, true);
    }
    for (i = 0; i < started; i++) {
        pthread_join(w[i].tid, NULL);
        if (w[i].failed && ok)
            ok = (snprintf(why, BENCH_WHY, "%s", w[i].why), false);
        if (w[i].secs > 0)
            *rate += (double)w[i].count / w[i].secs;
    }
    for (i = 0; i < n; i++)
        if (w[i].s != CK_INVALID_HANDLE)
            c->m->f->C_CloseSession(w[i].s);
    pthread_barrier_destroy(&c->start);
    return ok;
}

/* Median over the repetitions, module and OpenSSL windows interleaved. */
static void measure(const bench_cfg *cfg, conc *mod, conc *ossl, int n, bench_stat *ms,
                    bench_stat *os)
{
    double mr[64], orate[64], r;
    unsigned reps = cfg->reps < 64 ? cfg->reps : 64;
    char why[BENCH_WHY];

    ms->ok = ms->why[0] == '\0' && !ms->missing;
    os->ok = true;
    for (unsigned i = 0; i < reps; i++) {
        if (ms->ok && !window(mod, n, cfg->window_s, &r, why))
            bench_stat_failed(ms, why);
        mr[i] = r;
        if (os->ok && !window(ossl, n, cfg->window_s, &r, why))
            bench_stat_failed(os, why);
        orate[i] = r;
    }
    if (ms->ok && os->ok) {
        double q[64];
        for (unsigned i = 0; i < reps; i++)
            q[i] = orate[i] > 0 ? mr[i] / orate[i] : 0.0;
        ms->ratio = bench_median(q, reps);
    }
    if (ms->ok)
        ms->per_s = bench_median(mr, reps);
    if (os->ok)
        os->per_s = bench_median(orate, reps);
}

static void one_key(bench_ctx *c, int kind, const char *name, CK_MECHANISM_TYPE mech)
{
    static const int counts[] = {1, 2, 4};
    conc mod = {.m = c->m, .mech = {mech, NULL, 0}};
    conc ossl = {.m = c->m, .ossl = true};
    bench_pair pair = {0};
    bench_stat base = {0}, ms[3], os[3];
    char metric[64], label[128], why[BENCH_WHY];

    ossl.pkey = sign_ossl_key(kind);
    ossl.md = mod.md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sign_pick_mech(c->m, mech, &mod.mech.mechanism, &mod.prehash, why))
        bench_stat_missing(&base, why);
    else if (!sign_generate(c->m, c->m->s, kind, true, &pair, why))
        bench_stat_failed(&base, why);
    mod.key = pair.priv;
    for (int i = 0; i < 3; i++) {
        ms[i] = base;
        os[i] = (bench_stat){0};
        measure(c->cfg, &mod, &ossl, counts[i], &ms[i], &os[i]);
        snprintf(metric, sizeof(metric), "conc.%s.t%d", name, counts[i]);
        snprintf(label, sizeof(label), "%s SHA-256 sign, %d thread%s%s", sign_key_name(kind),
                 counts[i], counts[i] > 1 ? "s" : "", mod.prehash ? " *" : "");
        report_pair(metric, label, &ms[i], &os[i], 0);
    }
    for (int i = 1; i < 3; i++) {
        snprintf(metric, sizeof(metric), "conc.%s.t%d.scale", name, counts[i]);
        snprintf(label, sizeof(label), "  %d threads / 1 thread, module", counts[i]);
        if (ms[i].ok && ms[0].ok && ms[0].per_s > 0)
            report_number(metric, label, ms[i].per_s / ms[0].per_s, "x");
        else
            report_na(metric, label, ms[i].ok ? ms[0].why : ms[i].why, false);
        snprintf(metric, sizeof(metric), "conc.%s.t%d.openssl_scale", name, counts[i]);
        snprintf(label, sizeof(label), "  %d threads / 1 thread, OpenSSL", counts[i]);
        if (os[i].ok && os[0].ok && os[0].per_s > 0)
            report_number(metric, label, os[i].per_s / os[0].per_s, "x");
        else
            report_na(metric, label, os[i].ok ? os[0].why : os[i].why, false);
    }
    if (pair.priv != CK_INVALID_HANDLE) {
        c->m->f->C_DestroyObject(c->m->s, pair.priv);
        c->m->f->C_DestroyObject(c->m->s, pair.pub);
    }
    EVP_PKEY_free(ossl.pkey);
    EVP_MD_free(ossl.md);
}

void threads_section(bench_ctx *c)
{
    report_section("Concurrency: threads signing with one shared token key, one session each");
    report_columns("signatures/s, all threads");
    one_key(c, KEY_P256, "p256", CKM_ECDSA_SHA256);
    one_key(c, KEY_RSA2048, "rsa2048", CKM_SHA256_RSA_PKCS);
}
