/* Module configuration: TESSERA_CONF, else $XDG_CONFIG_HOME/tessera/tessera.conf
 * (key = value lines, # comments).  Environment overrides: TESSERA_TOKEN_DIR. */
#ifndef TSR_CONF_H
#define TSR_CONF_H

#include <stddef.h>

#include "pkcs11-3.h"

typedef struct tsr_conf {
    char *token_dir;              /* where token files live */
    unsigned long slots;          /* number of slots (at least tokens present + 1) */
    unsigned long max_pin_tries;  /* wrong user PINs before the lock, default 10 */
    unsigned long kdf_iterations; /* PBKDF2 iterations for new PIN wraps */
    unsigned long object_cache;   /* token objects kept in memory per token */
} tsr_conf;

/* Reads the configuration; a missing file gives the defaults, a malformed
 * line is logged and skipped.  CKR_HOST_MEMORY is the only failure. */
CK_RV tsr_conf_load(tsr_conf *conf);
void tsr_conf_clear(tsr_conf *conf);

#endif
