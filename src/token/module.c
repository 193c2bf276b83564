/* The module's global state: initialisation, finalisation, fork detection. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ossl.h"
#include "token-impl.h"

tsr_module tsr_mod;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A forked child shares nothing usable with its parent: SQLite connections
 * and locks belong to the parent.  Forget them (leaking is the only safe
 * choice) so the child sees CKR_CRYPTOKI_NOT_INITIALIZED until it calls
 * C_Initialize itself. */
static void child_after_fork(void)
{
    pthread_mutex_init(&init_lock, NULL);
    tsr_events_forget_after_fork();
    memset(&tsr_mod, 0, sizeof(tsr_mod));
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, child_after_fork);
}

CK_RV tsr_module_initialize(const CK_C_INITIALIZE_ARGS *args)
{
    CK_RV rv = CKR_GENERAL_ERROR;

    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&init_lock);
    if (tsr_mod.initialized) {
        rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
        goto out;
    }
    memset(&tsr_mod, 0, sizeof(tsr_mod));
    tsr_log_init();
    if ((rv = tsr_lock_setup(args)) != CKR_OK)
        goto out;
    if ((rv = tsr_ossl_init()) != CKR_OK)
        goto out;
    if ((rv = tsr_conf_load(&tsr_mod.conf)) != CKR_OK)
        goto out;
    if ((rv = tsr_mutex_new(&tsr_mod.lock)) != CKR_OK)
        goto out;
    if ((rv = tsr_rwlock_new(&tsr_mod.sessions_lock)) != CKR_OK)
        goto out;
    tsr_hmap_init(&tsr_mod.sessions);
    tsr_mod.next_session = 1; /* 0 is never a valid handle */
    if ((rv = tsr_slots_setup()) != CKR_OK)
        goto out;
    tsr_events_init(args == NULL || !(args->flags & CKF_LIBRARY_CANT_CREATE_OS_THREADS));
    __atomic_store_n(&tsr_mod.initialized, true, __ATOMIC_RELEASE);
    rv = CKR_OK;
out:
    if (rv != CKR_OK && !tsr_mod.initialized) {
        tsr_slots_teardown();
        tsr_rwlock_free(tsr_mod.sessions_lock);
        tsr_mutex_free(tsr_mod.lock);
        tsr_conf_clear(&tsr_mod.conf);
        memset(&tsr_mod, 0, sizeof(tsr_mod));
    }
    pthread_mutex_unlock(&init_lock);
    return rv;
}

void tsr_sessions_close_all_locked(void);

CK_RV tsr_module_finalize(void)
{
    pthread_mutex_lock(&init_lock);
    if (!tsr_mod.initialized) {
        pthread_mutex_unlock(&init_lock);
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    __atomic_store_n(&tsr_mod.initialized, false, __ATOMIC_RELEASE);
    tsr_events_shutdown(); /* wakes a blocked C_WaitForSlotEvent */
    tsr_mutex_lock(tsr_mod.lock);
    tsr_sessions_close_all_locked();
    tsr_slots_teardown();
    tsr_mutex_unlock(tsr_mod.lock);
    tsr_hmap_clear(&tsr_mod.sessions);
    tsr_hmap_clear(&tsr_mod.removed_sessions);
    tsr_rwlock_free(tsr_mod.sessions_lock);
    tsr_mutex_free(tsr_mod.lock);
    tsr_conf_clear(&tsr_mod.conf);
    memset(&tsr_mod, 0, sizeof(tsr_mod));
    pthread_mutex_unlock(&init_lock);
    return CKR_OK;
}

CK_RV tsr_module_check(void)
{
    return __atomic_load_n(&tsr_mod.initialized, __ATOMIC_ACQUIRE) ? CKR_OK
                                                                   : CKR_CRYPTOKI_NOT_INITIALIZED;
}
