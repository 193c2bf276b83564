/* Internal structures of the token layer, shared by its files only. */
#ifndef TSR_TOKEN_IMPL_H
#define TSR_TOKEN_IMPL_H

#include <pthread.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "attrs.h"
#include "conf.h"
#include "hmap.h"
#include "mech.h"
#include "pkcs11-3.h"
#include "seal.h"
#include "store.h"
#include "token.h"

/* Session objects get handles in their own range so they never meet a
 * store row id. */
#define TSR_SESSION_OBJECT_BIT (1ULL << 40)

#define TSR_MIN_PIN_LEN 4
#define TSR_MAX_PIN_LEN 255

/* --- locks (lock.c): pthreads, or the application's callbacks --- */

typedef struct tsr_mutex tsr_mutex;
/* Picks the lock implementation from C_Initialize's arguments. */
CK_RV tsr_lock_setup(const CK_C_INITIALIZE_ARGS *args);
CK_RV tsr_mutex_new(tsr_mutex **out);
void tsr_mutex_free(tsr_mutex *m);
void tsr_mutex_lock(tsr_mutex *m);
void tsr_mutex_unlock(tsr_mutex *m);

/* A reader/writer lock; under application callbacks it is a plain mutex. */
typedef struct tsr_rwlock tsr_rwlock;
CK_RV tsr_rwlock_new(tsr_rwlock **out);
void tsr_rwlock_free(tsr_rwlock *l);
void tsr_rwlock_rdlock(tsr_rwlock *l);
void tsr_rwlock_wrlock(tsr_rwlock *l);
void tsr_rwlock_unlock(tsr_rwlock *l);

/* --- objects (object.c) --- */

typedef struct tsr_object {
    CK_OBJECT_HANDLE handle;
    bool is_token;
    bool is_private;
    bool sealed_missing; /* public object whose sealed part awaits login */
    CK_OBJECT_CLASS klass;
    CK_SESSION_HANDLE owner; /* session objects: the session that made it */
    tsr_attrs attrs;
    EVP_PKEY *pkey; /* built on first use, set once atomically */
    bool used;      /* looked up since the cache's clock hand last passed */
    int refs;       /* guarded by the token lock; atomics for release */
} tsr_object;

void tsr_object_ref(tsr_object *o);
void tsr_object_unref(tsr_object *o);

/* --- tokens (token.c) --- */

typedef enum tsr_login { TSR_LOGIN_NONE, TSR_LOGIN_USER, TSR_LOGIN_SO } tsr_login_state;

typedef struct tsr_slot tsr_slot;

typedef struct tsr_token {
    tsr_slot *slot;
    char *path;
    dev_t dev; /* the file's identity when opened: a file */
    ino_t ino; /* replaced under the same name is another card */
    tsr_store *store;
    char serial[16];       /* blank padded */
    CK_UTF8CHAR label[32]; /* blank padded */
    tsr_rwlock *lock;      /* objects map, login state, counters below */
    tsr_login_state login;
    unsigned char mk[TSR_MASTER_KEY_LEN];
    tsr_hmap objects;         /* handle -> tsr_object*, token objects cached + session objects */
    size_t clock_hand;        /* where cache eviction looks next */
    CK_ULONG session_objects; /* how many of `objects` are session objects */
    /* PIN state mirrored from the store's metadata (refreshed on change). */
    bool user_pin_set;
    uint64_t user_fails, so_fails;
    CK_ULONG sessions, rw_sessions;
} tsr_token;

/* Opens the token file at `path` (create: a new, empty token file). */
CK_RV tsr_token_open(const char *path, tsr_token **out);
void tsr_token_free(tsr_token *t);
/* Called with the token write lock held: reloads PIN counters and drops
 * cached token objects when another process changed the file. */
CK_RV tsr_token_refresh_locked(tsr_token *t);
/* As above, taking the lock itself, cheap when nothing changed. */
CK_RV tsr_token_refresh(tsr_token *t);
/* Forgets the master key and private material (logout). Write lock held. */
void tsr_token_forget_locked(tsr_token *t);
/* Reads the PIN counters from the store into `t`. Lock held. */
CK_RV tsr_token_load_meta_locked(tsr_token *t);

/* --- slots (slot.c) --- */

struct tsr_slot {
    CK_SLOT_ID id;
    tsr_token *token; /* NULL: no card, or blank (see below) */
    bool blank;       /* presents an uninitialised token; C_InitToken makes the file */
    char serial[16];  /* serial of the token last seen here, to give it back its slot */
};

/* --- sessions (session.c) --- */

typedef struct tsr_session {
    CK_SESSION_HANDLE handle;
    tsr_slot *slot;
    tsr_token *token;
    CK_FLAGS flags;
    tsr_mutex *lock; /* one call at a time on a session */
    int refs;        /* atomically counted */
    bool closed;
    /* active operations by kind */
    tsr_op *ops[7];
    bool op_needs_auth[7]; /* key has CKA_ALWAYS_AUTHENTICATE: context login pending */
    tsr_warm warm[7];      /* by kind: the last op's keyed context, for the next (warm.h) */
    /* C_FindObjects state */
    bool finding;
    CK_OBJECT_HANDLE *found;
    size_t found_n, found_pos;
} tsr_session;

/* Looks up a live session and takes a reference; CKR_SESSION_HANDLE_INVALID. */
CK_RV tsr_session_get(CK_SESSION_HANDLE h, tsr_session **out);
void tsr_session_put(tsr_session *s);
/* The index of a kind in tsr_session.ops. */
int tsr_op_index(tsr_op_kind kind);
/* Ends every operation of the session (session lock held). */
void tsr_session_end_ops_locked(tsr_session *s);
/* Frees the keyed contexts every session of `t` keeps: after a logout, and
 * when a key is destroyed, so no key material outlives either. */
void tsr_sessions_forget_keys(const tsr_token *t);
/* Session state per PKCS#11 table 8 from the token's login state. */
CK_STATE tsr_session_state(const tsr_session *s);

/* --- the module (module.c) --- */

typedef struct tsr_module {
    bool initialized;
    tsr_conf conf;
    tsr_mutex *lock; /* slot contents: tokens coming, going, being initialised */
    tsr_slot *slots; /* fixed at C_Initialize */
    size_t nslots;
    tsr_rwlock *sessions_lock; /* the session table: read to look up, write to open/close */
    tsr_hmap sessions;         /* handle -> tsr_session* */
    tsr_hmap removed_sessions; /* sessions of pulled tokens, answered CKR_DEVICE_REMOVED once */
    CK_SESSION_HANDLE next_session;
    tsr_token **graveyard; /* pulled tokens, freed at C_Finalize: calls in flight may use them */
    size_t graveyard_n;
} tsr_module;

extern tsr_module tsr_mod;

/* The slot for an id, or NULL (CKR_SLOT_ID_INVALID). Module lock held or not:
 * the slot array never changes after C_Initialize. */
tsr_slot *tsr_slot_lookup(CK_SLOT_ID id);
/* Scans the token directory and assigns token files to slots (at C_Initialize). */
CK_RV tsr_slots_setup(void);
void tsr_slots_teardown(void);
/* After C_InitToken filled the blank slot: make the next empty one blank. Module lock held. */
void tsr_slots_next_blank_locked(void);
/* Looks at the token directory again: pulled tokens leave their slots (their
 * sessions end), new ones take a slot (their old one if they had one), and
 * every changed slot gets an event.  Takes the module lock. */
void tsr_slots_rescan(void);
/* Ends every session of a slot whose token was pulled. Module lock held. */
void tsr_sessions_remove_slot_locked(const tsr_slot *slot);

/* --- events (events.c) --- */

void tsr_events_init(bool may_start_thread);
/* Forgets pending events: the slots found at C_Initialize are no news. */
void tsr_events_reset(void);
void tsr_events_shutdown(void);
void tsr_events_forget_after_fork(void);
void tsr_events_raise(CK_SLOT_ID slot);
/* Drains the directory watch when no watcher thread does. */
void tsr_events_poll_unwatched(void);

/* --- access (access.c): the session x object matrix --- */

/* Whether the session may see the object at all (private objects need a
 * user login). */
bool tsr_access_visible(const tsr_session *s, const tsr_object *o);
/* Whether it may create/modify/destroy an object with these properties:
 * CKR_SESSION_READ_ONLY for token objects in an R/O session,
 * CKR_USER_NOT_LOGGED_IN for private objects without a user login. */
CK_RV tsr_access_write(const tsr_session *s, bool is_token, bool is_private);

/* --- objects (object.c, find.c) --- */

/* Finds an object visible to the session and takes a reference.
 * CKR_OBJECT_HANDLE_INVALID otherwise.  Takes the token lock itself. */
CK_RV tsr_object_lookup(tsr_session *s, CK_OBJECT_HANDLE h, tsr_object **out);
/* Stores new objects (token ones in one transaction, session ones in memory)
 * and returns their handles.  `objs[i]` is a completed attribute set. */
CK_RV tsr_object_add(tsr_session *s, tsr_attrs **objs, size_t n, CK_OBJECT_HANDLE *handles);
/* Drops the session objects a closing session owned. */
void tsr_object_drop_session(tsr_token *t, CK_SESSION_HANDLE owner);
/* The object's EVP_PKEY, built once and cached. */
CK_RV tsr_object_pkey(tsr_token *t, tsr_object *o, EVP_PKEY **out);

/* --- key use (keyuse.c), shared by derivation and wrapping --- */

/* Looks up a key object (public, private or secret) visible to the session;
 * `bad_handle` otherwise (CKR_KEY_HANDLE_INVALID, CKR_WRAPPING_KEY_HANDLE_INVALID ...). */
CK_RV tsr_key_lookup(tsr_session *s, CK_OBJECT_HANDLE h, CK_RV bad_handle, tsr_object **out);
/* CKR_KEY_FUNCTION_NOT_PERMITTED unless `usage` (CKA_DERIVE, CKA_WRAP ...) is
 * true on the key, CKR_MECHANISM_INVALID when CKA_ALLOWED_MECHANISMS leaves
 * `mech` out. */
CK_RV tsr_key_permits(const tsr_object *o, CK_ATTRIBUTE_TYPE usage, CK_MECHANISM_TYPE mech);
/* The key as the mechanism layer takes it: a secret key's value is borrowed
 * from `o` (keep a reference), a key pair's EVP_PKEY is referenced; release
 * with tsr_key_release.  CKR_USER_NOT_LOGGED_IN when the material is sealed
 * away. */
CK_RV tsr_key_view(tsr_session *s, tsr_object *o, tsr_key *k);
void tsr_key_release(tsr_key *k);
/* Adds the attributes of key `o`'s nested template `which`
 * (CKA_UNWRAP_TEMPLATE, CKA_DERIVE_TEMPLATE) to the new object's `a`;
 * CKR_TEMPLATE_INCONSISTENT when the caller gave one of them another value. */
CK_RV tsr_key_apply_template(const tsr_object *o, CK_ATTRIBUTE_TYPE which, tsr_attrs *a);

#endif
