#include <stdlib.h>

#include "hmap.h"

void tsr_hmap_init(tsr_hmap *m)
{
    m->keys = NULL;
    m->vals = NULL;
    m->cap = 0;
    m->n = 0;
}

void tsr_hmap_clear(tsr_hmap *m)
{
    free(m->keys);
    free(m->vals);
    tsr_hmap_init(m);
}

/* splitmix64 finaliser: handles are sequential, so spread them. */
static size_t slot_for(uint64_t key, size_t cap)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return (size_t)key & (cap - 1);
}

static size_t find_slot(const tsr_hmap *m, uint64_t key)
{
    size_t i = slot_for(key, m->cap);

    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *tsr_hmap_get(const tsr_hmap *m, uint64_t key)
{
    size_t i;

    if (m->cap == 0 || key == 0)
        return NULL;
    i = find_slot(m, key);
    return m->keys[i] == key ? m->vals[i] : NULL;
}

static bool resize(tsr_hmap *m, size_t cap)
{
    tsr_hmap bigger = {calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(void *)), cap, 0};

    if (bigger.keys == NULL || bigger.vals == NULL) {
        tsr_hmap_clear(&bigger);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] != 0) {
            size_t j = find_slot(&bigger, m->keys[i]);
            bigger.keys[j] = m->keys[i];
            bigger.vals[j] = m->vals[i];
            bigger.n++;
        }
    }
    tsr_hmap_clear(m);
    *m = bigger;
    return true;
}

bool tsr_hmap_put(tsr_hmap *m, uint64_t key, void *val)
{
    size_t i;

    if (key == 0)
        return false;
    /* Keep the load under 3/4 so probes stay short. */
    if ((m->n + 1) * 4 > m->cap * 3 && !resize(m, m->cap ? m->cap * 2 : 64))
        return false;
    i = find_slot(m, key);
    if (m->keys[i] == 0)
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return true;
}

void *tsr_hmap_take(tsr_hmap *m, uint64_t key)
{
    size_t i, j;
    void *val;

    if (m->cap == 0 || key == 0)
        return NULL;
    i = find_slot(m, key);
    if (m->keys[i] != key)
        return NULL;
    val = m->vals[i];
    m->keys[i] = 0;
    m->n--;
    /* Backward-shift deletion keeps every probe chain unbroken. */
    j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & (m->cap - 1);
        if (m->keys[j] == 0)
            break;
        home = slot_for(m->keys[j], m->cap);
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            m->keys[j] = 0;
            i = j;
        }
    }
    return val;
}
