/* A small open-addressing hash map from 64-bit handles to pointers: the
 * session table and each token's object cache.  Not thread-safe: the owner's
 * lock guards it. */
#ifndef TSR_HMAP_H
#define TSR_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tsr_hmap {
    uint64_t *keys; /* 0 = empty slot, so 0 is never a key (nor a handle) */
    void **vals;
    size_t cap; /* power of two */
    size_t n;
} tsr_hmap;

void tsr_hmap_init(tsr_hmap *m);
/* Frees the table, not the values. */
void tsr_hmap_clear(tsr_hmap *m);
/* The value for `key`, or NULL. */
void *tsr_hmap_get(const tsr_hmap *m, uint64_t key);
/* Inserts or replaces; false on allocation failure (map unchanged). */
bool tsr_hmap_put(tsr_hmap *m, uint64_t key, void *val);
/* Removes and returns the value, or NULL when absent. */
void *tsr_hmap_take(tsr_hmap *m, uint64_t key);
/* Iteration: for (size_t i = 0; i < m->cap; i++) if (m->keys[i]) ... m->vals[i]. */

#endif
