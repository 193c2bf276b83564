/* Slot events for C_WaitForSlotEvent.  Events are raised by the module
 * itself (a token initialised into the blank slot); C_Finalize wakes a
 * blocked waiter. */
#include <pthread.h>
#include <stdint.h>

#include "token-impl.h"

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static uint64_t pending; /* bit per slot (the first 64) */
static bool shutting_down;

void tsr_events_init(void)
{
    pthread_mutex_lock(&ev_lock);
    pending = 0;
    shutting_down = false;
    pthread_mutex_unlock(&ev_lock);
}

void tsr_events_shutdown(void)
{
    pthread_mutex_lock(&ev_lock);
    shutting_down = true;
    pthread_cond_broadcast(&ev_cond);
    pthread_mutex_unlock(&ev_lock);
}

void tsr_events_raise(CK_SLOT_ID slot)
{
    if (slot >= 64)
        return;
    pthread_mutex_lock(&ev_lock);
    pending |= 1ULL << slot;
    pthread_cond_broadcast(&ev_cond);
    pthread_mutex_unlock(&ev_lock);
}

CK_RV tsr_slot_wait_event(CK_FLAGS flags, CK_SLOT_ID *slot)
{
    CK_RV rv = CKR_NO_EVENT;

    pthread_mutex_lock(&ev_lock);
    while (pending == 0 && !shutting_down && !(flags & CKF_DONT_BLOCK))
        pthread_cond_wait(&ev_cond, &ev_lock);
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
