/* Locks: pthreads when the application allows OS locking (or said nothing),
 * its own mutex callbacks when it gave those without CKF_OS_LOCKING_OK. */
#include <pthread.h>
#include <stdlib.h>

#include "token-impl.h"

struct tsr_mutex {
    pthread_mutex_t m;
    void *app; /* the application's mutex when callbacks are in use */
};

struct tsr_rwlock {
    pthread_rwlock_t rw;
    tsr_mutex *app; /* callbacks in use: a plain mutex */
};

static CK_C_INITIALIZE_ARGS callbacks;
static bool use_callbacks;

CK_RV tsr_lock_setup(const CK_C_INITIALIZE_ARGS *args)
{
    use_callbacks = false;
    if (args == NULL || args->CreateMutex == NULL)
        return CKR_OK;
    if (args->flags & CKF_OS_LOCKING_OK)
        return CKR_OK; /* both offered: ours are as good */
    callbacks = *args;
    use_callbacks = true;
    return CKR_OK;
}

CK_RV tsr_mutex_new(tsr_mutex **out)
{
    tsr_mutex *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return CKR_HOST_MEMORY;
    if (use_callbacks) {
        CK_RV rv = callbacks.CreateMutex(&m->app);
        if (rv != CKR_OK) {
            free(m);
            return rv;
        }
    } else {
        pthread_mutex_init(&m->m, NULL);
    }
    *out = m;
    return CKR_OK;
}

void tsr_mutex_free(tsr_mutex *m)
{
    if (m == NULL)
        return;
    if (m->app != NULL)
        callbacks.DestroyMutex(m->app);
    else
        pthread_mutex_destroy(&m->m);
    free(m);
}

void tsr_mutex_lock(tsr_mutex *m)
{
    if (m->app != NULL)
        callbacks.LockMutex(m->app);
    else
        pthread_mutex_lock(&m->m);
}

void tsr_mutex_unlock(tsr_mutex *m)
{
    if (m->app != NULL)
        callbacks.UnlockMutex(m->app);
    else
        pthread_mutex_unlock(&m->m);
}

CK_RV tsr_rwlock_new(tsr_rwlock **out)
{
    tsr_rwlock *l = calloc(1, sizeof(*l));
    CK_RV rv = CKR_OK;

    if (l == NULL)
        return CKR_HOST_MEMORY;
    if (use_callbacks)
        rv = tsr_mutex_new(&l->app);
    else
        pthread_rwlock_init(&l->rw, NULL);
    if (rv != CKR_OK) {
        free(l);
        return rv;
    }
    *out = l;
    return CKR_OK;
}

void tsr_rwlock_free(tsr_rwlock *l)
{
    if (l == NULL)
        return;
    if (l->app != NULL)
        tsr_mutex_free(l->app);
    else
        pthread_rwlock_destroy(&l->rw);
    free(l);
}

void tsr_rwlock_rdlock(tsr_rwlock *l)
{
    if (l->app != NULL)
        tsr_mutex_lock(l->app);
    else
        pthread_rwlock_rdlock(&l->rw);
}

void tsr_rwlock_wrlock(tsr_rwlock *l)
{
    if (l->app != NULL)
        tsr_mutex_lock(l->app);
    else
        pthread_rwlock_wrlock(&l->rw);
}

void tsr_rwlock_unlock(tsr_rwlock *l)
{
    if (l->app != NULL)
        tsr_mutex_unlock(l->app);
    else
        pthread_rwlock_unlock(&l->rw);
}
