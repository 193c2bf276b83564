/* tessera-bench: measures a PKCS#11 module against OpenSSL's EVP API beneath
 * it, and the module's object store as it grows.  One header for the few
 * files of the program, each with one job:
 *
 *   main.c     options, the order of the sections, the cold-start child
 *   module.c   loading a module, its own temporary token, login, rv names
 *   measure.c  timing: calibration, repetitions, medians
 *   sign.c     signatures, verification, key generation
 *   cipher.c   AES-GCM, AES-CBC, SHA-256, HMAC-SHA256
 *   store.c    the object store at growing N, memory
 *   cold.c     cold start of a fresh process on a full token
 *   threads.c  signing from 1, 2 and 4 threads
 *   report.c   the table on stdout and the metric=value lines
 *   plot.c     the SVG of the object-store scaling curves
 *
 * The program only ever talks to the module through its function list, so
 * it measures SoftHSM2 (or a smart card) the same way it measures Tessera. */
#ifndef TSR_BENCH_H
#define TSR_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "pkcs11-3.h"

#define BENCH_SO_PIN   "87654321"
#define BENCH_USER_PIN "11223344"
#define BENCH_LABEL    "tessera-bench"
#define BENCH_WHY      160 /* room for a reason a figure is missing */

/* Sections, selectable with --only. */
enum {
    BENCH_SIGN = 1u << 0,
    BENCH_CIPHER = 1u << 1,
    BENCH_KEYGEN = 1u << 2,
    BENCH_THREADS = 1u << 3,
    BENCH_STORE = 1u << 4,
    BENCH_ALL = (1u << 5) - 1,
};

typedef struct bench_cfg {
    const char *module_path;
    const char *plot_path; /* NULL: no plot */
    const char *dir_base;  /* where the temporary token directory goes */
    const char *self_path; /* this program, for the cold-start child */
    bool quick;
    unsigned reps;   /* repetitions per figure; the median is reported */
    double target_s; /* wall time of one repetition */
    double window_s; /* wall time of one concurrency repetition */
    unsigned long max_objects;
    unsigned sections; /* BENCH_* bits */
} bench_cfg;

/* The module under test: loaded, a fresh token initialised in a temporary
 * directory, and one read-write session logged in as the user. */
typedef struct bench_p11 {
    void *dl;
    CK_FUNCTION_LIST *f;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;
    bool initialized;
    char dir[PATH_MAX];
    char desc[80]; /* manufacturer and library description */
} bench_p11;

/* ---- module.c ---- */

/* Creates the temporary directory with a Tessera configuration
 * (kdf_iterations = 1000, only so that setup is quick) and a SoftHSM2
 * configuration in it, and exports TESSERA_TOKEN_DIR, TESSERA_CONF and
 * SOFTHSM2_CONF.  Whichever module is loaded finds its own. */
bool p11_make_env(bench_p11 *m, const char *base, char *why);

/* dlopen()s `path` and takes C_GetFunctionList's list. */
bool p11_load(bench_p11 *m, const char *path, char *why);

/* C_Initialize (OS locking), C_InitToken on the first slot whose token lacks
 * CKF_TOKEN_INITIALIZED, C_InitPIN, and a user session in m->s. */
bool p11_setup_token(bench_p11 *m, char *why);

/* The slot whose token carries BENCH_LABEL; false when none does. */
bool p11_find_slot(CK_FUNCTION_LIST *f, CK_SLOT_ID *slot);

/* C_Finalize, dlclose, and the temporary directory removed. */
void p11_teardown(bench_p11 *m);

/* True when the token offers `mech` with all of `flags`; else false and the
 * reason in `why`. */
bool p11_has_mech(const bench_p11 *m, CK_MECHANISM_TYPE mech, CK_FLAGS flags, char *why);

/* "CKR_OK", "CKR_MECHANISM_INVALID", ... or a hexadecimal code. */
const char *p11_rv_name(CK_RV rv);

/* Writes "<call>: <rv name>" into `why`; always returns false. */
bool p11_fail(char *why, const char *call, CK_RV rv);

/* ---- measure.c ---- */

/* One operation under test.  run() performs `n` operations and returns
 * false, with a reason in `why`, when one fails.  after(), when set, runs
 * outside the timed region after every run() (to remove generated keys). */
typedef struct bench_op {
    bool (*run)(void *arg, uint64_t n, char *why);
    void (*after)(void *arg);
    void *arg;
} bench_op;

typedef struct bench_stat {
    bool ok;
    bool missing; /* not offered by the module: NA, but not an error */
    double per_s; /* median over the repetitions, operations per second */
    double ratio; /* bench_run_pair, on the first stat: the median of the
                   * ratios of neighbouring repetitions (0: none) */
    char why[BENCH_WHY];
} bench_stat;

/* Monotonic seconds. */
double bench_now(void);

/* Median of `n` values (reorders them). */
double bench_median(double *v, size_t n);

/* Calibrates the operations per repetition so that one takes about
 * cfg->target_s, then times cfg->reps repetitions. */
void bench_run(const bench_cfg *cfg, const bench_op *op, bench_stat *out);

/* The same for two operations, their repetitions interleaved (a, b, a, b,
 * ...) so that drift of the machine hits both alike; ra->ratio is the
 * median of the ratios a/b of neighbouring repetitions, which a busy
 * machine disturbs less than the ratio of the medians.  An operation whose
 * stat is already marked missing or failed on entry is skipped; `b` may be
 * NULL. */
void bench_run_pair(const bench_cfg *cfg, const bench_op *a, bench_stat *ra, const bench_op *b,
                    bench_stat *rb);

/* Marks a stat missing (not offered) or failed, with a reason. */
void bench_stat_missing(bench_stat *st, const char *why);
void bench_stat_failed(bench_stat *st, const char *why);

/* ---- sections ---- */

typedef struct bench_ctx {
    const bench_cfg *cfg;
    bench_p11 *m;
} bench_ctx;

void sign_section(bench_ctx *c);
void keygen_section(bench_ctx *c);
void cipher_section(bench_ctx *c);
void threads_section(bench_ctx *c);
void store_section(bench_ctx *c);

/* ---- cold.c ---- */

/* The figures of a cold start: milliseconds of the whole and of each step,
 * then the process's peak resident memory in MiB. */
enum { COLD_TOTAL, COLD_INIT, COLD_SESSION, COLD_LOGIN, COLD_FIND, COLD_HWM, COLD_STEPS };

/* The child's side (--cold-start-child MODULE IDHEX): prints the figures
 * above in their order (the whole is C_Initialize to the end of the first
 * find by CKA_ID); returns the exit status. */
int cold_child(const char *module, const char *id_hex);

/* The parent's side: one cold start in a fresh process of this program;
 * false (and the reason in `why`) on failure. */
bool cold_once(const bench_cfg *cfg, const CK_BYTE id[8], double ms[COLD_STEPS], char *why);

/* Key pairs for the sign and thread sections.  `kind` is one of the
 * KEY_* names below. */
enum { KEY_RSA2048, KEY_RSA3072, KEY_P256, KEY_P384, KEY_ED25519, KEY_KINDS };
typedef struct bench_pair {
    CK_OBJECT_HANDLE pub, priv;
} bench_pair;
const char *sign_key_name(int kind);
bool sign_generate(bench_p11 *m, CK_SESSION_HANDLE s, int kind, bool token, bench_pair *out,
                   char *why);
/* The mechanism to measure for `want`: itself when offered for signing and
 * verifying; for CKM_ECDSA_SHA256/384 missing, raw CKM_ECDSA with the
 * digest made by the caller (*prehash true).  False when neither. */
bool sign_pick_mech(const bench_p11 *m, CK_MECHANISM_TYPE want, CK_MECHANISM_TYPE *use,
                    bool *prehash, char *why);
/* An OpenSSL key of the same kind, from OpenSSL's own generator. */
EVP_PKEY *sign_ossl_key(int kind);

/* ---- report.c ---- */

/* A heading line in the table. */
void report_section(const char *title);

/* The column heads of report_pair rows; `unit` goes above the labels. */
void report_columns(const char *unit);

/* A row comparing the module with OpenSSL: metrics <name>.per_s,
 * <name>.openssl_per_s and <name>.ratio (module ÷ OpenSSL: mod->ratio
 * when set, else the ratio of the two rates).  With
 * `bytes` > 0 the table also shows MB/s. */
void report_pair(const char *name, const char *label, const bench_stat *mod, const bench_stat *ossl,
                 double bytes);

/* A row of one figure (module only): metric <name>=<value>. */
void report_value(const char *name, const char *label, const bench_stat *st, double value,
                  const char *unit);

/* A plain figure that cannot fail (ratios, memory). */
void report_number(const char *name, const char *label, double value, const char *unit);

/* A figure that is not available: <name>=NA, with the reason. */
void report_na(const char *name, const char *label, const char *why, bool error);

/* A free line of text under the table (a note). */
void report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints every metric=value line, in the order recorded. */
void report_metrics(void);

/* Number of figures missing because something failed (not merely not
 * offered by the module). */
unsigned report_errors(void);

/* ---- plot.c ---- */

#define PLOT_MAX_LEVELS 8
typedef struct plot_data {
    size_t n;                           /* levels */
    double objects[PLOT_MAX_LEVELS];    /* N */
    double find_us[4][PLOT_MAX_LEVELS]; /* id hit, id miss, label hit, label miss (NaN: NA) */
    double getattr_us[PLOT_MAX_LEVELS];
    double create_per_s[PLOT_MAX_LEVELS];
    double destroy_per_s[PLOT_MAX_LEVELS];
    double cold_ms[PLOT_MAX_LEVELS];
    char title[160];
} plot_data;

/* Writes the scaling curves as a self-contained SVG file. */
bool plot_write(const char *path, const plot_data *d);

#endif
