/* tessera watch [--exec CMD] [--count N]: the old smartcard-insert and
 * smartcard-remove events.  One thread per module waits in a blocking
 * C_WaitForSlotEvent; a module without it (CKR_FUNCTION_NOT_SUPPORTED) is
 * polled instead.  The threads only say "look at this slot"; the main thread
 * compares each slot with what it saw last and reports the differences, so a
 * token swapped for another in one slot is a removal and an insertion. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: tessera watch [--exec CMD] [--count N] [--interval MS] [URI]\n"
    "\n"
    "Prints one line for each token insertion and removal, across all modules\n"
    "(or the slots the URI names), until interrupted or N events were seen.\n"
    "Modules with a blocking C_WaitForSlotEvent are waited on; others are\n"
    "polled every MS milliseconds (default 1000).  With --exec, CMD runs\n"
    "through /bin/sh for each event, with TESSERA_EVENT (insert or remove),\n"
    "TESSERA_SLOT (the slot ID), TESSERA_MODULE, TESSERA_TOKEN (the token's\n"
    "URI) and TESSERA_TOKEN_LABEL in its environment.\n";

struct seen {
    struct cli_module *mod;
    CK_SLOT_ID id;
    bool present;
    char *uri;
    char label[33];
};

/* What the threads hand to the main thread. */
struct queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct {
        struct cli_module *mod;
        CK_SLOT_ID id;
        bool all; /* poll: look at every slot of the module */
    } items[256];
    size_t head, len;
};

struct waiter {
    struct queue *q;
    struct cli_module *mod;
    unsigned interval_ms;
};

static void push(struct queue *q, struct cli_module *mod, CK_SLOT_ID id, bool all)
{
    pthread_mutex_lock(&q->lock);
    if (q->len < sizeof(q->items) / sizeof(q->items[0])) {
        size_t i = (q->head + q->len++) % (sizeof(q->items) / sizeof(q->items[0]));

        q->items[i].mod = mod;
        q->items[i].id = id;
        q->items[i].all = all;
        pthread_cond_signal(&q->cond);
    }
    pthread_mutex_unlock(&q->lock);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    CK_SLOT_ID id;
    CK_RV rv;

    for (;;) {
        rv = w->mod->fl->C_WaitForSlotEvent(0, &id, NULL);
        if (rv == CKR_OK) {
            push(w->q, w->mod, id, false);
            continue;
        }
        if (rv == CKR_CRYPTOKI_NOT_INITIALIZED)
            return NULL;
        break; /* not supported (or failing): poll from now on */
    }
    for (;;) {
        sleep_ms(w->interval_ms);
        push(w->q, w->mod, 0, true);
    }
    return NULL;
}

static void run_exec(const char *cmd, const char *event, const struct seen *s)
{
    char slot[32];
    pid_t pid;
    int status;

    snprintf(slot, sizeof(slot), "%lu", (unsigned long)s->id);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        setenv("TESSERA_EVENT", event, 1);
        setenv("TESSERA_SLOT", slot, 1);
        setenv("TESSERA_MODULE", s->mod->name, 1);
        setenv("TESSERA_TOKEN", s->uri != NULL ? s->uri : "", 1);
        setenv("TESSERA_TOKEN_LABEL", s->label, 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
}

static void report(struct cli *cli, const char *event, const struct seen *s, const char *cmd)
{
    if (cli->json) {
        printf("{\"event\": \"%s\", \"module\": ", event);
        cli_json_string(stdout, s->mod->name);
        printf(", \"slot\": %lu, \"token\": ", (unsigned long)s->id);
        cli_json_string(stdout, s->label);
        printf(", \"uri\": ");
        cli_json_string(stdout, s->uri != NULL ? s->uri : "");
        printf("}\n");
    } else {
        printf("%-6s module=%s slot=%lu token=%s %s\n", event, s->mod->name, (unsigned long)s->id,
               s->label, s->uri != NULL ? s->uri : "");
    }
    fflush(stdout);
    if (cmd != NULL)
        run_exec(cmd, event, s);
}

/* Compare slot S with what it was; report and update.  Returns the number
 * of events. */
static unsigned check(struct cli *cli, struct seen *s, const char *cmd, bool emit)
{
    struct cli_slot now = {.mod = s->mod, .id = s->id};
    unsigned events = 0;
    char *uri = NULL;

    if (cli_slot_refresh(&now) != CKR_OK)
        now.present = false;
    if (now.present)
        uri = p11uri_format(&now, NULL, 0, NULL, (CK_ULONG)-1);
    if (s->present && (!now.present || uri == NULL || strcmp(uri, s->uri) != 0)) {
        if (emit)
            report(cli, "remove", s, cmd);
        events += emit;
        s->present = false;
    }
    if (now.present && !s->present) {
        free(s->uri);
        s->uri = uri;
        uri = NULL;
        cli_padded(now.token.label, 32, s->label);
        s->present = true;
        if (emit)
            report(cli, "insert", s, cmd);
        events += emit;
    }
    free(uri);
    return events;
}

static struct seen *find_seen(struct seen **all, size_t *n, struct cli_module *m, CK_SLOT_ID id)
{
    struct seen *grown;
    size_t i;

    for (i = 0; i < *n; i++) {
        if ((*all)[i].mod == m && (*all)[i].id == id)
            return &(*all)[i];
    }
    grown = realloc(*all, (*n + 1) * sizeof(**all));
    if (grown == NULL)
        return NULL;
    *all = grown;
    memset(&grown[*n], 0, sizeof(grown[0]));
    grown[*n].mod = m;
    grown[*n].id = id;
    return &grown[(*n)++];
}

static unsigned poll_module(struct cli *cli, struct seen **all, size_t *n, struct cli_module *m,
                            const struct p11uri *uri, const char *cmd, bool emit)
{
    CK_SLOT_ID ids[256];
    CK_ULONG count = 256, i;
    unsigned events = 0;

    if (m->fl->C_GetSlotList(CK_FALSE, ids, &count) != CKR_OK)
        return 0;
    for (i = 0; i < count; i++) {
        struct cli_slot probe = {.mod = m, .id = ids[i]};
        struct seen *s;

        cli_slot_refresh(&probe);
        if (!p11uri_match_slot(uri, &probe))
            continue;
        s = find_seen(all, n, m, ids[i]);
        if (s != NULL)
            events += check(cli, s, cmd, emit);
    }
    return events;
}

int cmd_watch(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"exec", required_argument, NULL, 'e'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {0}};
    struct queue q = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    const char *cmd = NULL;
    struct p11uri *uri = NULL;
    struct waiter *w = NULL;
    struct seen *all = NULL;
    unsigned long limit = 0, interval = 1000, events = 0;
    size_t n = 0, i;
    int c, rc = CLI_OK;

    while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
        char *end;

        if (c == 'h')
            return cli_help(cli, usage);
        if (c == '?')
            return CLI_EUSAGE;
        if (c == 'e') {
            cmd = optarg;
            continue;
        }
        errno = 0;
        *(c == 'c' ? &limit : &interval) = strtoul(optarg, &end, 10);
        if (errno != 0 || *end != '\0' || optarg[0] == '-' || (c == 'i' && interval < 10))
            return cli_err(CLI_EUSAGE, "watch: --%s needs a number, not '%s'",
                           c == 'c' ? "count" : "interval (>= 10)", optarg);
    }
    if (optind < argc)
        rc = cli_uri_arg(cli, argv[optind++], &uri);
    if (rc == CLI_OK && optind < argc)
        rc = cli_err(CLI_EUSAGE, "watch: unexpected argument '%s'", argv[optind]);
    if (rc == CLI_OK)
        rc = cli_modules_load(cli);
    if (rc != CLI_OK)
        goto out;
    /* The current state is the baseline: no events for what is already there. */
    for (i = 0; i < cli->nmods; i++)
        poll_module(cli, &all, &n, &cli->mods[i], uri, NULL, false);
    setvbuf(stdout, NULL, _IOLBF, 0);
    w = calloc(cli->nmods, sizeof(*w));
    for (i = 0; w != NULL && i < cli->nmods; i++) {
        pthread_t t;

        w[i] = (struct waiter){&q, &cli->mods[i], (unsigned)interval};
        if (pthread_create(&t, NULL, wait_thread, &w[i]) == 0)
            pthread_detach(t);
    }
    cli_progress("watching %zu slots of %zu modules...", n, cli->nmods);
    while (limit == 0 || events < limit) {
        struct cli_module *m;
        CK_SLOT_ID id;
        bool every;
        struct seen *s;

        pthread_mutex_lock(&q.lock);
        while (q.len == 0)
            pthread_cond_wait(&q.cond, &q.lock);
        m = q.items[q.head].mod;
        id = q.items[q.head].id;
        every = q.items[q.head].all;
        q.head = (q.head + 1) % (sizeof(q.items) / sizeof(q.items[0]));
        q.len--;
        pthread_mutex_unlock(&q.lock);
        cli_progress(NULL);
        if (every) {
            events += poll_module(cli, &all, &n, m, uri, cmd, true);
        } else {
            struct cli_slot probe = {.mod = m, .id = id};

            cli_slot_refresh(&probe);
            if (p11uri_match_slot(uri, &probe) && (s = find_seen(&all, &n, m, id)) != NULL)
                events += check(cli, s, cmd, true);
        }
    }
    /* Waiting threads may sit in the modules: leave without finalising. */
    fflush(stdout);
    _exit(CLI_OK);
out:
    p11uri_free(uri);
    return rc;
}
