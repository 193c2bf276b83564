/* Cold start: a fresh process loads the module and times C_Initialize,
 * finding the token's slot and C_OpenSession, C_Login and a first find by
 * CKA_ID, each step and the whole.  The parent runs this program again with --cold-start-child, so
 * nothing of its own state (caches, an open token) helps the child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* VmHWM of this process, in MiB (0 when unknown). */
static double peak_mib(void)
{
    char line[256];
    unsigned long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        sscanf(line, "VmHWM: %lu", &kib);
    fclose(f);
    return (double)kib / 1024.0;
}

/* Milliseconds since `t0`, stored in ms[step] and the clock moved on. */
static void lap(double *t0, double *ms, int step)
{
    double t = bench_now();

    ms[step] = (t - *t0) * 1e3;
    *t0 = t;
}

static bool cold_run(bench_p11 *m, CK_BYTE id[8], double ms[COLD_STEPS], char *why)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_ATTRIBUTE t = {CKA_ID, id, 8};
    CK_OBJECT_HANDLE found[2];
    CK_ULONG count = 0;
    double t0 = bench_now(), start = t0;
    CK_RV rv;

    if ((rv = m->f->C_Initialize(&args)) != CKR_OK)
        return p11_fail(why, "C_Initialize", rv);
    m->initialized = true;
    lap(&t0, ms, COLD_INIT);
    if (!p11_find_slot(m->f, &m->slot)) {
        snprintf(why, BENCH_WHY, "token not found");
        return false;
    }
    if ((rv = m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION, NULL, NULL, &m->s)) != CKR_OK)
        return p11_fail(why, "C_OpenSession", rv);
    lap(&t0, ms, COLD_SESSION);
    rv = m->f->C_Login(m->s, CKU_USER, (CK_UTF8CHAR_PTR)BENCH_USER_PIN, strlen(BENCH_USER_PIN));
    if (rv != CKR_OK)
        return p11_fail(why, "C_Login", rv);
    lap(&t0, ms, COLD_LOGIN);
    if ((rv = m->f->C_FindObjectsInit(m->s, &t, 1)) != CKR_OK)
        return p11_fail(why, "C_FindObjectsInit", rv);
    rv = m->f->C_FindObjects(m->s, found, 2, &count);
    m->f->C_FindObjectsFinal(m->s);
    lap(&t0, ms, COLD_FIND);
    ms[COLD_TOTAL] = (t0 - start) * 1e3;
    ms[COLD_HWM] = peak_mib();
    if (rv != CKR_OK)
        return p11_fail(why, "C_FindObjects", rv);
    if (count != 1) {
        snprintf(why, BENCH_WHY, "first find returned %lu objects", count);
        return false;
    }
    return true;
}

int cold_child(const char *module, const char *id_hex)
{
    bench_p11 m = {0};
    CK_BYTE id[8];
    char why[BENCH_WHY] = "";
    double ms[COLD_STEPS] = {0};
    bool ok;

    if (strlen(id_hex) != 16)
        return 2;
    for (int i = 0; i < 8; i++)
        if (sscanf(id_hex + 2 * i, "%2hhx", &id[i]) != 1)
            return 2;
    ok = p11_load(&m, module, why) && cold_run(&m, id, ms, why);
    if (m.initialized)
        m.f->C_Finalize(NULL);
    if (!ok) {
        fprintf(stderr, "tessera-bench: cold start: %s\n", why);
        return 1;
    }
    for (int i = 0; i < COLD_STEPS; i++)
        printf("%.3f%c", ms[i], i + 1 < COLD_STEPS ? ' ' : '\n');
    return 0;
}

bool cold_once(const bench_cfg *cfg, const CK_BYTE id[8], double ms[COLD_STEPS], char *why)
{
    char hex[17], out[256] = "", *p = out, *end;
    int fd[2], status = 0;
    ssize_t got;
    pid_t pid;

    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    if (pipe(fd) != 0) {
        snprintf(why, BENCH_WHY, "pipe failed");
        return false;
    }
    fflush(stdout);
    if ((pid = fork()) < 0) {
        close(fd[0]);
        close(fd[1]);
        snprintf(why, BENCH_WHY, "fork failed");
        return false;
    }
    if (pid == 0) {
        char *argv[] = {(char *)cfg->self_path, "--cold-start-child", (char *)cfg->module_path, hex,
                        NULL};
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    got = read(fd[0], out, sizeof(out) - 1);
    close(fd[0]);
    waitpid(pid, &status, 0);
    if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, BENCH_WHY, "cold-start child failed (exit %d; see stderr)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return false;
    }
    out[got] = '\0';
    for (int i = 0; i < COLD_STEPS; i++, p = end) {
        ms[i] = strtod(p, &end);
        if (end == p) {
            snprintf(why, BENCH_WHY, "cold-start child printed \"%.60s\"", out);
            return false;
        }
    }
    return true;
}
