#define TSR_SQLITE_API_IMPL
#include <dlfcn.h>
#include <pthread.h>

#include "log.h"
#include "sqlite-api.h"

struct tsr_sqlite_api tsr_sqlite;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CK_RV load_rv = CKR_GENERAL_ERROR;

/* RTLD_DEEPBIND makes the library's calls to its own exported functions
 * (sqlite3_free, sqlite3_mutex_enter, ...) stay inside it instead of going
 * to the host's copy.  The sanitizers' runtimes refuse it, so sanitizer
 * builds (tests only) do without. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define OPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#else
#define OPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

static void load(void)
{
    /* RTLD_LOCAL: our handle's symbols stay out of the global scope, and
     * dlsym on the handle answers from this library, never the host's. */
    void *lib = dlopen("libsqlite3.so.0", OPEN_FLAGS);

    if (lib == NULL) {
        tsr_log("cannot load libsqlite3.so.0: %s", dlerror());
        return;
    }
#define TSR_SQLITE_RESOLVE(name)                                                                   \
    tsr_sqlite.name = (__typeof__(tsr_sqlite.name))dlsym(lib, "sqlite3_" #name);                   \
    if (tsr_sqlite.name == NULL) {                                                                 \
        tsr_log("libsqlite3.so.0 lacks sqlite3_" #name);                                           \
        return;                                                                                    \
    }
    TSR_SQLITE_FUNCTIONS(TSR_SQLITE_RESOLVE)
#undef TSR_SQLITE_RESOLVE
    load_rv = CKR_OK;
}

CK_RV tsr_sqlite_load(void)
{
    pthread_once(&once, load);
    return load_rv;
}
