/* Cards coming and going.  A token file appearing in the token directory is
 * a card inserted, one disappearing is a card pulled.  An inotify watch on
 * the directory (the only thread the module starts, and none under
 * CKF_LIBRARY_CANT_CREATE_OS_THREADS, where the watch is drained by the
 * calls that look at slots) triggers a rescan; C_WaitForSlotEvent reports
 * the slots that changed.  C_Finalize wakes a blocked waiter. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "token-impl.h"

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static uint64_t pending; /* a bit per slot with an unreported event (the first 64) */
static bool shutting_down;

static int watch_fd = -1; /* inotify, non-blocking */
static int stop_fd = -1;  /* eventfd that ends the watcher thread */
static pthread_t watcher;
static bool watcher_running;

void tsr_events_raise(CK_SLOT_ID slot)
{
    if (slot >= 64)
        return;
    pthread_mutex_lock(&ev_lock);
    pending |= 1ULL << slot;
    pthread_cond_broadcast(&ev_cond);
    pthread_mutex_unlock(&ev_lock);
}

/* Reads what inotify has; true when a token file may have come or gone. */
static bool drain_watch(void)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool relevant = false;
    ssize_t n;

    while ((n = read(watch_fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if (e->len > 0 && strstr(e->name, ".tessera") != NULL)
                relevant = true;
            if (e->mask & (IN_Q_OVERFLOW | IN_IGNORED))
                relevant = true;
            p += sizeof(*e) + e->len;
        }
    }
    return relevant;
}

void tsr_events_poll(void)
{
    if (watch_fd >= 0 && drain_watch())
        tsr_slots_rescan();
}

static void *watch_loop(void *arg)
{
    struct pollfd fds[2] = {{.fd = watch_fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};

    (void)arg;
    for (;;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents & POLLIN)
            break;
        if (fds[0].revents & POLLIN)
            tsr_events_poll();
    }
    return NULL;
}

void tsr_events_reset(void)
{
    pthread_mutex_lock(&ev_lock);
    pending = 0;
    shutting_down = false;
    pthread_mutex_unlock(&ev_lock);
}

void tsr_events_init(bool may_start_thread)
{
    tsr_events_reset();

    /* Only what makes a file appear complete or go: not IN_CREATE, which
     * fires before a copied-in token has any content. */
    watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (watch_fd < 0 ||
        inotify_add_watch(watch_fd, tsr_mod.conf.token_dir,
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
        tsr_log("no inotify watch on %s: slot changes are not seen", tsr_mod.conf.token_dir);
        if (watch_fd >= 0)
            close(watch_fd);
        watch_fd = -1;
        return;
    }
    if (!may_start_thread)
        return;
    stop_fd = eventfd(0, EFD_CLOEXEC);
    if (stop_fd >= 0 && pthread_create(&watcher, NULL, watch_loop, NULL) == 0) {
        watcher_running = true;
    } else if (stop_fd >= 0) {
        close(stop_fd);
        stop_fd = -1;
    }
}

void tsr_events_shutdown(void)
{
    uint64_t one = 1;

    pthread_mutex_lock(&ev_lock);
    shutting_down = true;
    pthread_cond_broadcast(&ev_cond);
    pthread_mutex_unlock(&ev_lock);
    if (watcher_running) {
        if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
            tsr_log("cannot stop the slot watcher");
        pthread_join(watcher, NULL);
        watcher_running = false;
    }
    if (stop_fd >= 0)
        close(stop_fd);
    if (watch_fd >= 0)
        close(watch_fd);
    stop_fd = watch_fd = -1;
}

/* After fork the child has no watcher thread; its copies of the descriptors
 * belong to the parent's watch. */
void tsr_events_forget_after_fork(void)
{
    watcher_running = false;
    watch_fd = stop_fd = -1;
    pthread_mutex_init(&ev_lock, NULL);
    pthread_cond_init(&ev_cond, NULL);
}

void tsr_events_poll_unwatched(void)
{
    if (!watcher_running)
        tsr_events_poll();
}

/* Blocks until an event or C_Finalize.  Without the watcher thread this
 * thread watches the directory itself. */
static void wait_locked(void)
{
    if (watcher_running || watch_fd < 0) {
        pthread_cond_wait(&ev_cond, &ev_lock);
        return;
    }
    pthread_mutex_unlock(&ev_lock);
    struct pollfd fd = {.fd = watch_fd, .events = POLLIN};
    if (poll(&fd, 1, 200) > 0)
        tsr_events_poll();
    pthread_mutex_lock(&ev_lock);
}

CK_RV tsr_slot_wait_event(CK_FLAGS flags, CK_SLOT_ID *slot)
{
    CK_RV rv = CKR_NO_EVENT;

    tsr_events_poll_unwatched();
    pthread_mutex_lock(&ev_lock);
    while (pending == 0 && !shutting_down && !(flags & CKF_DONT_BLOCK))
        wait_locked();
    if (shutting_down) {
        rv = CKR_CRYPTOKI_NOT_INITIALIZED;
    } else if (pending != 0) {
        CK_SLOT_ID id = (CK_SLOT_ID)__builtin_ctzll(pending);
        pending &= ~(1ULL << id);
        *slot = id;
        rv = CKR_OK;
    }
    pthread_mutex_unlock(&ev_lock);
    return rv;
}
