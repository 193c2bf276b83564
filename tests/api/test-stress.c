/* Many processes and threads on one token.
 *
 * test_visibility: two long-lived processes, each initialised once, see each
 * other's new objects, changed attributes and deletions at once.
 *
 * test_stress: several processes x several threads create, find, change,
 * sign with, and destroy token objects for a bounded time (TSR_STRESS_SECONDS,
 * default 3).  Every call's result is recorded in memory shared with the
 * parent; afterwards every surviving object must be one its creator counted
 * as alive (created - destroyed = found), and no call may have failed.
 *
 * Children never use cmocka's assertions (they would unwind into the
 * parent's runner): they record, and report through their exit code. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"

#define APP_TAG "tessera-stress"

static CK_OBJECT_CLASS data_class = CKO_DATA;
static CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
static CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
/* DER OID of P-256 */
static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static CK_RV init_os_locking(void)
{
    CK_C_INITIALIZE_ARGS args = {NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL};

    return p11->C_Initialize(&args);
}

/* The one initialised token's slot, or (CK_SLOT_ID)-1 (children). */
static CK_SLOT_ID child_slot(void)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = COUNT(slots), i;
    CK_TOKEN_INFO ti;

    if (p11->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return (CK_SLOT_ID)-1;
    for (i = 0; i < n; i++)
        if (p11->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED))
            return slots[i];
    return (CK_SLOT_ID)-1;
}

/* Objects labelled `label`: their number (at most max stored), or -1. */
static long find_label(CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *out, CK_ULONG max)
{
    CK_ATTRIBUTE t[] = {ATTR_STR(CKA_LABEL, label)};
    CK_OBJECT_HANDLE spare[4];
    CK_ULONG n = 0;

    if (out == NULL) {
        out = spare;
        max = COUNT(spare);
    }
    if (p11->C_FindObjectsInit(s, t, COUNT(t)) != CKR_OK)
        return -1;
    if (p11->C_FindObjects(s, out, max, &n) != CKR_OK) {
        (void)p11->C_FindObjectsFinal(s);
        return -1;
    }
    return p11->C_FindObjectsFinal(s) == CKR_OK ? (long)n : -1;
}

/* ---- two processes, each initialised once ---------------------------------- */

enum { OP_FIND = 'F', OP_VALUE = 'V', OP_SET = 'S', OP_CREATE = 'C', OP_DESTROY = 'D' };

struct request {
    char op;
    char label[32];
    char value[32];
};

struct reply {
    long rc; /* 0, or the failing step */
    long count;
    char value[32];
};

/* The peer: initialised once, one session, logged in; answers requests
 * until the parent closes the pipe. */
static int peer(int in, int out)
{
    struct request q;
    struct reply r;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE h;
    CK_SLOT_ID slot;

    if (init_os_locking() != CKR_OK || (slot = child_slot()) == (CK_SLOT_ID)-1)
        return 1;
    if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK ||
        p11->C_Login(s, CKU_USER, PIN(USER_PIN)) != CKR_OK)
        return 2;
    while (read(in, &q, sizeof(q)) == (ssize_t)sizeof(q)) {
        memset(&r, 0, sizeof(r));
        r.count = find_label(s, q.label, &h, 1);
        if (q.op == OP_VALUE && r.count == 1) {
            CK_ATTRIBUTE a = {CKA_VALUE, r.value, sizeof(r.value) - 1};
            r.rc = (long)p11->C_GetAttributeValue(s, h, &a, 1);
        } else if (q.op == OP_SET && r.count == 1) {
            CK_ATTRIBUTE a[] = {ATTR_STR(CKA_VALUE, q.value)};
            r.rc = (long)p11->C_SetAttributeValue(s, h, a, 1);
        } else if (q.op == OP_CREATE) {
            CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data_class), ATTR_VAR(CKA_TOKEN, api_true),
                                ATTR_VAR(CKA_PRIVATE, api_true), ATTR_STR(CKA_LABEL, q.label),
                                ATTR_STR(CKA_VALUE, q.value)};
            r.rc = (long)p11->C_CreateObject(s, t, COUNT(t), &h);
        } else if (q.op == OP_DESTROY && r.count == 1) {
            r.rc = (long)p11->C_DestroyObject(s, h);
        } else if (q.op != OP_FIND) {
            r.rc = -1; /* nothing to act on */
        }
        if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
            return 3;
    }
    return p11->C_Finalize(NULL) == CKR_OK ? 0 : 4;
}

static int to_peer, from_peer;
static pid_t peer_pid;

static struct reply ask(char op, const char *label, const char *value)
{
    struct request q;
    struct reply r;

    memset(&q, 0, sizeof(q));
    q.op = op;
    snprintf(q.label, sizeof(q.label), "%s", label);
    snprintf(q.value, sizeof(q.value), "%s", value != NULL ? value : "");
    assert_int_equal(write(to_peer, &q, sizeof(q)), sizeof(q));
    if (read(from_peer, &r, sizeof(r)) != (ssize_t)sizeof(r)) {
        int status = -1;

        (void)waitpid(peer_pid, &status, 0);
        fail_msg("the peer process stopped answering (%s %d)",
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    return r;
}

static void assert_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const char *want)
{
    unsigned char *v;
    CK_ULONG len;

    assert_rv(api_get_attr(s, h, CKA_VALUE, &v, &len), CKR_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
    free(v);
}

static void test_visibility(void **state)
{
    int down[2], up[2], status = -1;
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true);
    CK_SESSION_HANDLE s = api_user_session(slot);
    CK_ATTRIBUTE x[] = {ATTR_VAR(CKA_CLASS, data_class), ATTR_VAR(CKA_TOKEN, api_true),
                        ATTR_STR(CKA_LABEL, "vis-x"), ATTR_STR(CKA_VALUE, "one")};
    CK_ATTRIBUTE relabel[] = {ATTR_STR(CKA_LABEL, "vis-x2")};
    CK_ATTRIBUTE a = {CKA_VALUE, NULL, 0};
    CK_OBJECT_HANDLE hx, hy;
    struct reply r;
    pid_t pid;

    assert_int_equal(pipe(down), 0);
    assert_int_equal(pipe(up), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        _exit(peer(down[0], up[1]));
    }
    close(down[0]);
    close(up[1]);
    to_peer = down[1];
    from_peer = up[0];
    peer_pid = pid;

    /* Both processes are initialised and hold open sessions from here on. */
    r = ask(OP_FIND, "vis-x", NULL);
    assert_int_equal(r.count, 0);

    /* A new object here is there, with its value. */
    assert_rv(p11->C_CreateObject(s, x, COUNT(x), &hx), CKR_OK);
    r = ask(OP_VALUE, "vis-x", NULL);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.rc, CKR_OK);
    assert_string_equal(r.value, "one");

    /* A change there is seen here through the handle this process holds. */
    r = ask(OP_SET, "vis-x", "two");
    assert_int_equal(r.rc, CKR_OK);
    assert_value(s, hx, "two");

    /* A change of label here: the old label finds nothing there, the new one finds it. */
    assert_rv(p11->C_SetAttributeValue(s, hx, relabel, 1), CKR_OK);
    assert_int_equal(ask(OP_FIND, "vis-x", NULL).count, 0);
    r = ask(OP_VALUE, "vis-x2", NULL);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.value, "two");

    /* A private object made there is found here (this process is logged in). */
    r = ask(OP_CREATE, "vis-y", "private");
    assert_int_equal(r.rc, CKR_OK);
    assert_int_equal(find_label(s, "vis-y", &hy, 1), 1);
    assert_value(s, hy, "private");
    assert_true(api_get_bool(s, hy, CKA_PRIVATE));

    /* A deletion there: the handle here is no longer valid, and finds miss it. */
    r = ask(OP_DESTROY, "vis-x2", NULL);
    assert_int_equal(r.rc, CKR_OK);
    assert_rv(p11->C_GetAttributeValue(s, hx, &a, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(find_label(s, "vis-x2", NULL, 0), 0);

    /* A deletion here is gone there. */
    assert_rv(p11->C_DestroyObject(s, hy), CKR_OK);
    assert_int_equal(ask(OP_FIND, "vis-y", NULL).count, 0);

    close(to_peer); /* end of requests: the peer finalises and exits */
    close(from_peer);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the stress run -------------------------------------------------------- */

#define NPROC   4
#define NTHREAD 4
#define MAX_OBJ 4096 /* objects one thread may create */
#define MAX_RV  8

enum {
    F_CREATE,
    F_FIND,
    F_GETATTR,
    F_SETATTR,
    F_SIGN,
    F_VERIFY,
    F_KEYGEN,
    F_DESTROY,
    F_SESSION,
    F_COUNT
};
static const char *const fn_names[F_COUNT] = {
    "C_CreateObject", "C_Find*",           "C_GetAttributeValue", "C_SetAttributeValue", "C_Sign*",
    "C_Verify*",      "C_GenerateKeyPair", "C_DestroyObject",     "C_OpenSession/Close",
};

struct tstats {
    unsigned long created, destroyed, changed, signatures, keypairs, wrong;
    unsigned long calls[F_COUNT];
    double slowest[F_COUNT]; /* seconds */
    struct {
        CK_RV rv;
        unsigned long n;
    } rvs[F_COUNT][MAX_RV];
};

struct shared {
    struct tstats st[NPROC][NTHREAD];
    unsigned char alive[NPROC][NTHREAD][MAX_OBJ];
};

static struct shared *sh;
static double deadline;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records rv for fn, and how long the call took; returns rv. */
static CK_RV rec_timed(struct tstats *t, int fn, CK_RV rv, double took)
{
    int i;

    t->calls[fn]++;
    if (took > t->slowest[fn])
        t->slowest[fn] = took;
    for (i = 0; i < MAX_RV; i++) {
        if (t->rvs[fn][i].n == 0)
            t->rvs[fn][i].rv = rv;
        if (t->rvs[fn][i].rv == rv) {
            t->rvs[fn][i].n++;
            break;
        }
    }
    return rv;
}

/* rec(t, fn, call): times the call and records its result. */
#define rec(t, fn, call)                                                                           \
    __extension__({                                                                                \
        double t0_ = now();                                                                        \
        CK_RV rv_ = (call);                                                                        \
        rec_timed((t), (fn), rv_, now() - t0_);                                                    \
    })

struct worker {
    int proc, thread;
    CK_SLOT_ID slot;
    CK_OBJECT_HANDLE signer, verifier;
};

static void label_of(char *buf, size_t size, int p, int t, int n)
{
    snprintf(buf, size, "stress-%d-%d-%d", p, t, n);
}

/* Sign 32 bytes with priv, verify with pub; both calls recorded. */
static void sign_verify(struct tstats *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
                        CK_OBJECT_HANDLE pub)
{
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_BYTE hash[32], sig[256];
    CK_ULONG sig_len = sizeof(sig);

    memset(hash, (int)(t->signatures & 0xff), sizeof(hash));
    if (rec(t, F_SIGN, p11->C_SignInit(s, &m, priv)) != CKR_OK ||
        rec(t, F_SIGN, p11->C_Sign(s, hash, sizeof(hash), sig, &sig_len)) != CKR_OK)
        return;
    t->signatures++;
    if (rec(t, F_VERIFY, p11->C_VerifyInit(s, &m, pub)) == CKR_OK)
        rec(t, F_VERIFY, p11->C_Verify(s, hash, sizeof(hash), sig, sig_len));
}

/* A token EC key pair made, used, and destroyed again. */
static void keypair_round(struct tstats *t, CK_SESSION_HANDLE s, const char *label)
{
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
                          ATTR_VAR(CKA_TOKEN, api_true),
                          ATTR_VAR(CKA_VERIFY, api_true),
                          ATTR_STR(CKA_LABEL, label)};
    CK_ATTRIBUTE priv[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_PRIVATE, api_true),
                           ATTR_VAR(CKA_SIGN, api_true), ATTR_STR(CKA_LABEL, label)};
    CK_OBJECT_HANDLE hpub, hpriv;

    if (rec(t, F_KEYGEN,
            p11->C_GenerateKeyPair(s, &m, pub, COUNT(pub), priv, COUNT(priv), &hpub, &hpriv)) !=
        CKR_OK)
        return;
    t->keypairs++;
    sign_verify(t, s, hpriv, hpub);
    rec(t, F_DESTROY, p11->C_DestroyObject(s, hpriv));
    rec(t, F_DESTROY, p11->C_DestroyObject(s, hpub));
}

/* One object's life: created, found, maybe changed, maybe destroyed. */
static void object_round(struct worker *w, struct tstats *t, CK_SESSION_HANDLE s, int n)
{
    char label[48], value[48], got[48];
    CK_BBOOL priv = (n % 2) ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {ATTR_VAR(CKA_CLASS, data_class),    ATTR_VAR(CKA_TOKEN, api_true),
                           ATTR_VAR(CKA_PRIVATE, priv),        {CKA_LABEL, label, 0},
                           ATTR_STR(CKA_APPLICATION, APP_TAG), {CKA_VALUE, value, 0}};
    CK_ATTRIBUTE by_label[] = {{CKA_LABEL, label, 0}};
    CK_ATTRIBUTE get = {CKA_VALUE, got, sizeof(got)};
    CK_ATTRIBUTE set = {CKA_VALUE, value, 0};
    CK_OBJECT_HANDLE h, found[2];
    CK_ULONG nfound = 0;

    label_of(label, sizeof(label), w->proc, w->thread, n);
    snprintf(value, sizeof(value), "v0-%d", n);
    tmpl[3].ulValueLen = by_label[0].ulValueLen = (CK_ULONG)strlen(label);
    tmpl[5].ulValueLen = (CK_ULONG)strlen(value);
    if (rec(t, F_CREATE, p11->C_CreateObject(s, tmpl, COUNT(tmpl), &h)) != CKR_OK)
        return;
    t->created++;
    sh->alive[w->proc][w->thread][n] = 1;

    if (rec(t, F_FIND, p11->C_FindObjectsInit(s, by_label, 1)) == CKR_OK) {
        rec(t, F_FIND, p11->C_FindObjects(s, found, COUNT(found), &nfound));
        rec(t, F_FIND, p11->C_FindObjectsFinal(s));
        if (nfound != 1 || found[0] != h)
            t->wrong++;
    }
    if (n % 3 == 0) {
        snprintf(value, sizeof(value), "v1-%d", n);
        set.ulValueLen = (CK_ULONG)strlen(value);
        if (rec(t, F_SETATTR, p11->C_SetAttributeValue(s, h, &set, 1)) == CKR_OK)
            t->changed++;
    }
    get.ulValueLen = sizeof(got);
    if (rec(t, F_GETATTR, p11->C_GetAttributeValue(s, h, &get, 1)) == CKR_OK &&
        (get.ulValueLen != strlen(value) || memcmp(got, value, get.ulValueLen) != 0))
        t->wrong++;
    if (n % 2 == 0 && rec(t, F_DESTROY, p11->C_DestroyObject(s, h)) == CKR_OK) {
        t->destroyed++;
        sh->alive[w->proc][w->thread][n] = 0;
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct tstats *t = &sh->st[w->proc][w->thread];
    char label[48];
    CK_SESSION_HANDLE s;
    int n;

    if (rec(t, F_SESSION,
            p11->C_OpenSession(w->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) !=
        CKR_OK)
        return NULL;
    for (n = 0; n < MAX_OBJ && now() < deadline; n++) {
        object_round(w, t, s, n);
        sign_verify(t, s, w->signer, w->verifier);
        if (n % 25 == 24) {
            snprintf(label, sizeof(label), "stress-kp-%d-%d-%d", w->proc, w->thread, n);
            keypair_round(t, s, label);
        }
    }
    rec(t, F_SESSION, p11->C_CloseSession(s));
    return NULL;
}

/* One key handle by class and label in session s, or 0. */
static CK_OBJECT_HANDLE child_key(CK_SESSION_HANDLE s, CK_OBJECT_CLASS *klass, const char *label)
{
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, *klass), ATTR_STR(CKA_LABEL, label)};
    CK_OBJECT_HANDLE h = 0;
    CK_ULONG n = 0;

    if (p11->C_FindObjectsInit(s, t, COUNT(t)) != CKR_OK)
        return 0;
    if (p11->C_FindObjects(s, &h, 1, &n) != CKR_OK)
        n = 0;
    (void)p11->C_FindObjectsFinal(s);
    return n == 1 ? h : 0;
}

static int stress_child(int proc)
{
    struct worker w[NTHREAD];
    pthread_t tid[NTHREAD];
    CK_SESSION_HANDLE s;
    CK_SLOT_ID slot;
    int i, started = 0;

    if (init_os_locking() != CKR_OK || (slot = child_slot()) == (CK_SLOT_ID)-1)
        return 10;
    if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK ||
        p11->C_Login(s, CKU_USER, PIN(USER_PIN)) != CKR_OK)
        return 11;
    for (i = 0; i < NTHREAD; i++) {
        w[i] = (struct worker){proc, i, slot, 0, 0};
        w[i].signer = child_key(s, &priv_class, "stress-signer");
        w[i].verifier = child_key(s, &pub_class, "stress-signer");
        if (w[i].signer == 0 || w[i].verifier == 0)
            return 12;
    }
    for (i = 0; i < NTHREAD; i++)
        if (pthread_create(&tid[i], NULL, work, &w[i]) == 0)
            started++;
        else
            break;
    for (i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (started != NTHREAD)
        return 13;
    if (p11->C_Logout(s) != CKR_OK || p11->C_CloseSession(s) != CKR_OK)
        return 14;
    return p11->C_Finalize(NULL) == CKR_OK ? 0 : 15;
}

/* Parses "stress-P-T-N"; false for other labels. */
static bool parse_label(const char *label, size_t len, int *p, int *t, int *n)
{
    char buf[48];
    char tail;

    if (len >= sizeof(buf))
        return false;
    memcpy(buf, label, len);
    buf[len] = '\0';
    return sscanf(buf, "stress-%d-%d-%d%c", p, t, n, &tail) == 3 && *p >= 0 && *p < NPROC &&
           *t >= 0 && *t < NTHREAD && *n >= 0 && *n < MAX_OBJ;
}

static void report(unsigned long *bad)
{
    unsigned long created = 0, destroyed = 0, changed = 0, sigs = 0, pairs = 0, wrong = 0;
    unsigned long calls[F_COUNT] = {0};
    double slowest[F_COUNT] = {0};
    int p, t, f, i;

    for (p = 0; p < NPROC; p++)
        for (t = 0; t < NTHREAD; t++) {
            struct tstats *s = &sh->st[p][t];

            created += s->created;
            destroyed += s->destroyed;
            changed += s->changed;
            sigs += s->signatures;
            pairs += s->keypairs;
            wrong += s->wrong;
            for (f = 0; f < F_COUNT; f++) {
                calls[f] += s->calls[f];
                if (s->slowest[f] > slowest[f])
                    slowest[f] = s->slowest[f];
                for (i = 0; i < MAX_RV && s->rvs[f][i].n > 0; i++)
                    if (s->rvs[f][i].rv != CKR_OK) {
                        print_message("  process %d thread %d: %s -> %s x%lu\n", p, t, fn_names[f],
                                      api_rv_name(s->rvs[f][i].rv), s->rvs[f][i].n);
                        *bad += s->rvs[f][i].n;
                    }
            }
        }
    print_message("stress: %d processes x %d threads: %lu objects created, %lu destroyed, "
                  "%lu changed, %lu signatures, %lu key pairs made and destroyed\n",
                  NPROC, NTHREAD, created, destroyed, changed, sigs, pairs);
    for (f = 0; f < F_COUNT; f++)
        print_message("  %-22s %8lu calls, slowest %.3f s\n", fn_names[f], calls[f], slowest[f]);
    if (wrong > 0)
        print_message("  %lu finds or reads gave the wrong answer\n", wrong);
    *bad += wrong;
}

static void test_stress(void **state)
{
    const char *env = getenv("TSR_STRESS_SECONDS");
    double seconds = env != NULL ? atof(env) : 3.0;
    CK_SLOT_ID slot = api_new_token(TOKEN_LABEL, true);
    CK_SESSION_HANDLE s = api_user_session(slot);
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
                          ATTR_VAR(CKA_TOKEN, api_true),
                          ATTR_VAR(CKA_VERIFY, api_true),
                          ATTR_STR(CKA_LABEL, "stress-signer")};
    CK_ATTRIBUTE priv[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_PRIVATE, api_true),
                           ATTR_VAR(CKA_SIGN, api_true), ATTR_STR(CKA_LABEL, "stress-signer")};
    CK_ATTRIBUTE all[] = {ATTR_STR(CKA_APPLICATION, APP_TAG)};
    CK_OBJECT_HANDLE hpub, hpriv, *found;
    CK_ULONG nfound = 0, expected = 0, max = NPROC * NTHREAD * MAX_OBJ;
    unsigned long bad = 0;
    pid_t pids[NPROC];
    int i, status, p, t, n;

    if (seconds <= 0 || seconds > 600)
        seconds = 3.0;
    assert_rv(p11->C_GenerateKeyPair(s, &m, pub, COUNT(pub), priv, COUNT(priv), &hpub, &hpriv),
              CKR_OK);
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(sh != MAP_FAILED);
    memset(sh, 0, sizeof(*sh));

    deadline = now() + seconds;
    for (i = 0; i < NPROC; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            _exit(stress_child(i));
    }
    for (i = 0; i < NPROC; i++) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            print_message("process %d: %s %d\n", i, WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            bad++;
        }
    }
    report(&bad);

    /* This process, initialised before the run and never since, now finds
     * exactly the objects the workers left alive. */
    for (p = 0; p < NPROC; p++)
        for (t = 0; t < NTHREAD; t++)
            for (n = 0; n < MAX_OBJ; n++)
                expected += sh->alive[p][t][n];
    found = calloc(max, sizeof(*found));
    assert_non_null(found);
    assert_rv(p11->C_FindObjectsInit(s, all, COUNT(all)), CKR_OK);
    assert_rv(p11->C_FindObjects(s, found, max, &nfound), CKR_OK);
    assert_rv(p11->C_FindObjectsFinal(s), CKR_OK);
    print_message("stress: %lu objects expected alive, %lu found\n", expected, nfound);
    for (i = 0; i < (int)nfound; i++) {
        unsigned char *label;
        CK_ULONG len;

        assert_rv(api_get_attr(s, found[i], CKA_LABEL, &label, &len), CKR_OK);
        if (!parse_label((char *)label, len, &p, &t, &n) || sh->alive[p][t][n] != 1) {
            print_message("  unexpected object \"%.*s\"\n", (int)len, label);
            bad++;
        } else {
            sh->alive[p][t][n] = 2; /* seen once */
        }
        free(label);
    }
    free(found);
    assert_int_equal(nfound, expected);
    /* The key pairs the workers made and destroyed are all gone. */
    {
        CK_ATTRIBUTE keys[] = {ATTR_VAR(CKA_CLASS, priv_class)};
        CK_OBJECT_HANDLE h[4];

        assert_int_equal(api_find(s, keys, COUNT(keys), h, COUNT(h)), 1); /* the signer */
    }
    munmap(sh, sizeof(*sh));
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_visibility, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(test_stress, api_setup, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
