/* tessera-bench: options, the machine, and the sections in order. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bench.h"

#ifndef BENCH_DEFAULT_MODULE
#define BENCH_DEFAULT_MODULE "tessera-pkcs11.so"
#endif

static const struct {
    const char *name;
    unsigned bit;
} section_names[] = {
    {"sign", BENCH_SIGN},       {"cipher", BENCH_CIPHER}, {"keygen", BENCH_KEYGEN},
    {"threads", BENCH_THREADS}, {"store", BENCH_STORE},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tessera-bench [--module PATH] [--quick] [--plot FILE.svg]\n"
            "                     [--max-objects N] [--reps N] [--only LIST] [--dir DIR]\n"
            "\n"
            "Measures a PKCS#11 module beside OpenSSL's EVP API, and its object store at\n"
            "N = 1,000, 10,000, 100,000 and 1,000,000 objects.  Prints a table, then one\n"
            "metric=value line per figure.\n"
            "\n"
            "  --module PATH     module to load (default: the Tessera build,\n"
            "                    %s)\n"
            "  --quick           a short run for CI: fewer, shorter repetitions; N up to 10,000\n"
            "  --plot FILE.svg   draw the object-store scaling curves\n"
            "  --max-objects N   largest N of the object store (default 1000000; quick 10000)\n"
            "  --reps N          repetitions per figure, the median is reported (default 5)\n"
            "  --only LIST       comma-separated sections: sign,cipher,keygen,threads,store\n"
            "  --dir DIR         where the temporary token directory goes ($TMPDIR or /tmp)\n",
            BENCH_DEFAULT_MODULE);
}

static bool parse_only(const char *list, unsigned *bits)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", list);
    *bits = 0;
    for (char *w = strtok_r(buf, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof(section_names) / sizeof(section_names[0]); i++)
            if (strcmp(w, section_names[i].name) == 0)
                break;
        if (i == sizeof(section_names) / sizeof(section_names[0]))
            return false;
        *bits |= section_names[i].bit;
    }
    return *bits != 0;
}

static bool parse(int argc, char **argv, bench_cfg *cfg)
{
    static const struct option opts[] = {
        {"module", required_argument, NULL, 'm'},
        {"quick", no_argument, NULL, 'q'},
        {"plot", required_argument, NULL, 'p'},
        {"max-objects", required_argument, NULL, 'n'},
        {"reps", required_argument, NULL, 'r'},
        {"only", required_argument, NULL, 'o'},
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long max_objects = -1, reps = -1;
    int c;

    while ((c = getopt_long(argc, argv, "m:qp:n:r:o:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            cfg->module_path = optarg;
            break;
        case 'q':
            cfg->quick = true;
            break;
        case 'p':
            cfg->plot_path = optarg;
            break;
        case 'n':
            max_objects = atol(optarg);
            break;
        case 'r':
            reps = atol(optarg);
            break;
        case 'd':
            cfg->dir_base = optarg;
            break;
        case 'o':
            if (!parse_only(optarg, &cfg->sections))
                return false;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return false;
        }
    }
    if (optind != argc || max_objects == 0 || reps == 0 || reps > 64)
        return false;
    cfg->reps = reps > 0 ? (unsigned)reps : cfg->quick ? 3 : 5;
    cfg->target_s = cfg->quick ? 0.01 : 0.2;
    cfg->window_s = cfg->quick ? 0.05 : 0.5;
    /* The million-object fill takes about 6 minutes on the 2-core test
     * machine when it is otherwise idle (one fdatasync per object), and much
     * longer when other work shares the disk: --max-objects caps it. */
    cfg->max_objects = max_objects > 0 ? (unsigned long)max_objects : cfg->quick ? 10000 : 1000000;
    return true;
}

/* The first line of a file that starts with `key`, after it. */
static void read_field(const char *path, const char *key, char *out, size_t n)
{
    char line[512];
    FILE *f = fopen(path, "r");

    snprintf(out, n, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, strlen(key)) == 0) {
            char *v = line + strlen(key);
            v += strspn(v, " \t:=\"");
            v[strcspn(v, "\"\n")] = '\0';
            snprintf(out, n, "%s", v);
            break;
        }
    }
    fclose(f);
}

/* The load average, which says how far other work on the machine may have
 * disturbed the figures. */
static void load(const char *when)
{
    char line[128] = "unknown";
    FILE *f = fopen("/proc/loadavg", "r");

    if (f != NULL) {
        if (fgets(line, sizeof(line), f) == NULL)
            snprintf(line, sizeof(line), "unknown\n");
        fclose(f);
    }
    printf("load %s: %s", when, line);
    if (strchr(line, '\n') == NULL)
        putchar('\n');
    fflush(stdout);
}

static void machine(const bench_cfg *cfg, const bench_p11 *m)
{
    char cpu[128], os[128];

    read_field("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
    read_field("/etc/os-release", "PRETTY_NAME", os, sizeof(os));
    printf("tessera-bench%s\n", cfg->quick ? " --quick" : "");
    printf("machine: %ld CPUs, %s; %s; %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu, os,
           OpenSSL_version(OPENSSL_VERSION));
    printf("module:  %s (%s)\n", cfg->module_path, m->desc);
    printf("token:   %s (removed at the end)\n", m->dir);
    printf("timing:  median of %u repetitions of ~%.0f ms each; ratio = module/OpenSSL, the "
           "median over neighbouring repetitions\n",
           cfg->reps, cfg->target_s * 1e3);
    load("at start");
}

int main(int argc, char **argv)
{
    static char self[PATH_MAX];
    bench_cfg cfg = {.module_path = BENCH_DEFAULT_MODULE, .sections = BENCH_ALL};
    bench_p11 m = {0};
    bench_ctx ctx = {&cfg, &m};
    char why[BENCH_WHY] = "";
    ssize_t n;
    int status = 0;

    if (argc == 4 && strcmp(argv[1], "--cold-start-child") == 0)
        return cold_child(argv[2], argv[3]);
    if (!parse(argc, argv, &cfg)) {
        usage(stderr);
        return 2;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    cfg.self_path = n > 0 ? (self[n] = '\0', self) : argv[0];
    if (cfg.dir_base == NULL)
        cfg.dir_base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";

    if (!p11_make_env(&m, cfg.dir_base, why) || !p11_load(&m, cfg.module_path, why) ||
        !p11_setup_token(&m, why)) {
        fprintf(stderr, "tessera-bench: %s: %s\n", cfg.module_path, why);
        p11_teardown(&m);
        return 1;
    }
    machine(&cfg, &m);
    if (cfg.sections & BENCH_SIGN)
        sign_section(&ctx);
    if (cfg.sections & BENCH_CIPHER)
        cipher_section(&ctx);
    if (cfg.sections & BENCH_KEYGEN)
        keygen_section(&ctx);
    if (cfg.sections & BENCH_THREADS)
        threads_section(&ctx);
    if (cfg.sections & BENCH_STORE)
        store_section(&ctx);
    putchar('\n');
    load("at end");
    report_metrics();
    if (report_errors() > 0) {
        fprintf(stderr, "tessera-bench: %u figure(s) failed; see the NA lines\n", report_errors());
        status = 1;
    }
    p11_teardown(&m);
    return status;
}
