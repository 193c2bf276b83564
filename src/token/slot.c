/* Slots are card readers: a fixed table set up at C_Initialize.  A token
 * file in the token directory is a card in a reader; the first free reader
 * shows a blank card whose C_InitToken makes a new token file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "token-impl.h"

#define TOKEN_SUFFIX ".tessera"

static void pad(void *dst, size_t n, const char *src)
{
    size_t len = strlen(src);

    memset(dst, ' ', n);
    memcpy(dst, src, len < n ? len : n);
}

static CK_RV make_dirs(const char *path)
{
    char *copy = strdup(path);
    CK_RV rv = CKR_OK;

    if (copy == NULL)
        return CKR_HOST_MEMORY;
    for (char *p = copy + 1; *p != '\0' && rv == CKR_OK; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) != 0 && errno != EEXIST)
            rv = CKR_DEVICE_ERROR;
        *p = '/';
    }
    if (rv == CKR_OK && mkdir(copy, 0700) != 0 && errno != EEXIST)
        rv = CKR_DEVICE_ERROR;
    free(copy);
    return rv;
}

static bool is_token_file(const char *name)
{
    size_t n = strlen(name), s = strlen(TOKEN_SUFFIX);

    return n > s && strcmp(name + n - s, TOKEN_SUFFIX) == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

char *tsr_token_path(const char *serial_or_name)
{
    const char *dir = tsr_mod.conf.token_dir;
    size_t n = strlen(dir) + strlen(serial_or_name) + sizeof(TOKEN_SUFFIX) + 2;
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s/%s%s", dir, serial_or_name,
                 is_token_file(serial_or_name) ? "" : TOKEN_SUFFIX);
    return p;
}

void tsr_slots_next_blank_locked(void)
{
    for (size_t i = 0; i < tsr_mod.nslots; i++)
        if (tsr_mod.slots[i].blank)
            return;
    for (size_t i = 0; i < tsr_mod.nslots; i++) {
        if (tsr_mod.slots[i].token == NULL) {
            tsr_mod.slots[i].blank = true; /* a fresh card in that reader */
            tsr_events_raise(tsr_mod.slots[i].id);
            return;
        }
    }
}

/* The slot a newly seen token goes to: the one it had before (by serial),
 * else a reader never used, else any empty one, else the blank one.  NULL
 * when every reader holds a card.  Module lock held. */
static tsr_slot *slot_for_serial(const char serial[16])
{
    tsr_slot *never = NULL, *empty = NULL, *blank = NULL;
    static const char unused[16];

    for (size_t i = 0; i < tsr_mod.nslots; i++) {
        tsr_slot *s = &tsr_mod.slots[i];
        if (s->token != NULL)
            continue;
        if (memcmp(s->serial, serial, sizeof(s->serial)) == 0)
            return s;
        if (s->blank)
            blank = blank ? blank : s;
        else if (memcmp(s->serial, unused, sizeof(unused)) == 0)
            never = never ? never : s;
        else
            empty = empty ? empty : s;
    }
    return never ? never : empty ? empty : blank;
}

static bool path_attached_locked(const char *path)
{
    for (size_t i = 0; i < tsr_mod.nslots; i++)
        if (tsr_mod.slots[i].token != NULL && strcmp(tsr_mod.slots[i].token->path, path) == 0)
            return true;
    return false;
}

/* Opens a token file and puts it in a reader.  Module lock held. */
static CK_RV attach_locked(const char *name)
{
    CK_RV rv;
    tsr_token *t = NULL;
    tsr_slot *s;
    struct stat st;
    char *path = tsr_token_path(name);

    if (path == NULL)
        return CKR_HOST_MEMORY;
    /* An empty file is a copy still on its way in, not a card. */
    if (path_attached_locked(path) || stat(path, &st) != 0 || st.st_size == 0) {
        free(path);
        return CKR_OK;
    }
    rv = tsr_token_open(path, &t);
    free(path);
    if (rv != CKR_OK) {
        tsr_log("skipping unreadable token file %s", name);
        return rv;
    }
    s = slot_for_serial(t->serial);
    if (s == NULL) {
        tsr_log("no free slot for token %s: raise 'slots' in the configuration", name);
        tsr_token_free(t);
        return CKR_OK;
    }
    t->slot = s;
    s->token = t;
    s->blank = false;
    memcpy(s->serial, t->serial, sizeof(s->serial));
    tsr_events_raise(s->id);
    return CKR_OK;
}

/* A card pulled: its sessions end, the token is kept until C_Finalize
 * because calls in flight may still hold it.  Module lock held. */
static void detach_locked(tsr_slot *s)
{
    tsr_token *t = s->token;
    tsr_token **grave = realloc(tsr_mod.graveyard, (tsr_mod.graveyard_n + 1) * sizeof(*grave));

    tsr_sessions_remove_slot_locked(s);
    s->token = NULL;
    if (grave != NULL) {
        tsr_mod.graveyard = grave;
        tsr_mod.graveyard[tsr_mod.graveyard_n++] = t;
    } /* else leak it: freeing under a caller would be worse */
    tsr_events_raise(s->id);
}

static bool still_there(const tsr_token *t)
{
    struct stat st;

    return stat(t->path, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino;
}

static CK_RV scan_locked(void)
{
    struct dirent **names = NULL;
    int n = scandir(tsr_mod.conf.token_dir, &names, NULL, by_name);

    for (size_t i = 0; i < tsr_mod.nslots; i++)
        if (tsr_mod.slots[i].token != NULL && !still_there(tsr_mod.slots[i].token))
            detach_locked(&tsr_mod.slots[i]);
    for (int i = 0; i < n; i++) {
        if (is_token_file(names[i]->d_name))
            attach_locked(names[i]->d_name);
        free(names[i]);
    }
    free(names);
    tsr_slots_next_blank_locked();
    return n < 0 ? CKR_DEVICE_ERROR : CKR_OK;
}

void tsr_slots_rescan(void)
{
    tsr_mutex_lock(tsr_mod.lock);
    if (tsr_mod.slots != NULL)
        scan_locked();
    tsr_mutex_unlock(tsr_mod.lock);
}

CK_RV tsr_slots_setup(void)
{
    CK_RV rv;
    struct dirent **names = NULL;
    int n;

    rv = make_dirs(tsr_mod.conf.token_dir);
    if (rv != CKR_OK) {
        tsr_log("cannot create token directory %s", tsr_mod.conf.token_dir);
        return rv;
    }
    n = scandir(tsr_mod.conf.token_dir, &names, NULL, by_name);
    if (n < 0)
        return CKR_DEVICE_ERROR;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    /* Readers are fixed now (NSS expects a static list): as many as
     * configured, and always one more than the cards present. */
    tsr_mod.nslots = tsr_mod.conf.slots;
    if (tsr_mod.nslots < (size_t)n + 1)
        tsr_mod.nslots = (size_t)n + 1;
    tsr_mod.slots = calloc(tsr_mod.nslots, sizeof(tsr_slot));
    if (tsr_mod.slots == NULL)
        return CKR_HOST_MEMORY;
    for (size_t i = 0; i < tsr_mod.nslots; i++)
        tsr_mod.slots[i].id = i;
    rv = scan_locked();
    tsr_events_reset();
    return rv;
}

void tsr_slots_teardown(void)
{
    for (size_t i = 0; i < tsr_mod.nslots; i++)
        tsr_token_free(tsr_mod.slots[i].token);
    for (size_t i = 0; i < tsr_mod.graveyard_n; i++)
        tsr_token_free(tsr_mod.graveyard[i]);
    free(tsr_mod.graveyard);
    tsr_mod.graveyard = NULL;
    tsr_mod.graveyard_n = 0;
    free(tsr_mod.slots);
    tsr_mod.slots = NULL;
    tsr_mod.nslots = 0;
}

tsr_slot *tsr_slot_lookup(CK_SLOT_ID id)
{
    return id < tsr_mod.nslots ? &tsr_mod.slots[id] : NULL;
}

static bool slot_present(const tsr_slot *s)
{
    return s->token != NULL || s->blank;
}

CK_RV tsr_slot_list(bool token_present, CK_SLOT_ID *list, CK_ULONG *count)
{
    CK_ULONG n = 0;
    CK_RV rv = CKR_OK;

    tsr_events_poll_unwatched();
    tsr_mutex_lock(tsr_mod.lock);
    for (size_t i = 0; i < tsr_mod.nslots; i++) {
        if (token_present && !slot_present(&tsr_mod.slots[i]))
            continue;
        if (list != NULL && n < *count)
            list[n] = tsr_mod.slots[i].id;
        n++;
    }
    if (list != NULL && n > *count)
        rv = CKR_BUFFER_TOO_SMALL;
    *count = n;
    tsr_mutex_unlock(tsr_mod.lock);
    return rv;
}

CK_RV tsr_slot_info(CK_SLOT_ID id, CK_SLOT_INFO *info)
{
    tsr_slot *s = tsr_slot_lookup(id);
    char desc[64];

    if (s == NULL)
        return CKR_SLOT_ID_INVALID;
    snprintf(desc, sizeof(desc), "Tessera slot %lu", (unsigned long)id);
    pad(info->slotDescription, sizeof(info->slotDescription), desc);
    pad(info->manufacturerID, sizeof(info->manufacturerID), "Tessera");
    tsr_mutex_lock(tsr_mod.lock);
    info->flags = CKF_REMOVABLE_DEVICE | (slot_present(s) ? CKF_TOKEN_PRESENT : 0);
    tsr_mutex_unlock(tsr_mod.lock);
    info->hardwareVersion.major = 0;
    info->hardwareVersion.minor = 1;
    info->firmwareVersion.major = 0;
    info->firmwareVersion.minor = 1;
    return CKR_OK;
}

static CK_FLAGS pin_flags(uint64_t fails, uint64_t max, CK_FLAGS low, CK_FLAGS final_try,
                          CK_FLAGS locked)
{
    if (fails >= max)
        return locked;
    if (fails + 1 == max)
        return final_try | (fails > 0 ? low : 0);
    return fails > 0 ? low : 0;
}

static void fill_common_info(CK_TOKEN_INFO *info)
{
    pad(info->manufacturerID, sizeof(info->manufacturerID), "Tessera");
    pad(info->model, sizeof(info->model), "Tessera token");
    info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
    info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
    info->ulMaxPinLen = TSR_MAX_PIN_LEN;
    info->ulMinPinLen = TSR_MIN_PIN_LEN;
    info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->hardwareVersion.major = 0;
    info->hardwareVersion.minor = 1;
    info->firmwareVersion.major = 0;
    info->firmwareVersion.minor = 1;
    memset(info->utcTime, ' ', sizeof(info->utcTime));
}

CK_RV tsr_token_info(CK_SLOT_ID id, CK_TOKEN_INFO *info)
{
    tsr_slot *s = tsr_slot_lookup(id);
    tsr_token *t;
    CK_RV rv = CKR_OK;
    uint64_t max = tsr_mod.conf.max_pin_tries;
    uint64_t free_bytes = 0;

    if (s == NULL)
        return CKR_SLOT_ID_INVALID;
    memset(info, 0, sizeof(*info));
    fill_common_info(info);
    tsr_mutex_lock(tsr_mod.lock);
    t = s->token;
    if (t == NULL) {
        rv = s->blank ? CKR_OK : CKR_TOKEN_NOT_PRESENT;
        memset(info->label, ' ', sizeof(info->label));
        memset(info->serialNumber, ' ', sizeof(info->serialNumber));
        info->flags = CKF_RNG | CKF_LOGIN_REQUIRED;
        goto out;
    }
    rv = tsr_token_refresh(t);
    if (rv != CKR_OK)
        goto out;
    tsr_rwlock_rdlock(t->lock);
    memcpy(info->label, t->label, sizeof(info->label));
    memcpy(info->serialNumber, t->serial, sizeof(info->serialNumber));
    info->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED | CKF_RESTORE_KEY_NOT_NEEDED;
    if (t->user_pin_set)
        info->flags |= CKF_USER_PIN_INITIALIZED;
    info->flags |= pin_flags(t->user_fails, max, CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY,
                             CKF_USER_PIN_LOCKED);
    info->flags |=
        pin_flags(t->so_fails, max, CKF_SO_PIN_COUNT_LOW, CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_LOCKED);
    info->ulSessionCount = t->sessions;
    info->ulRwSessionCount = t->rw_sessions;
    tsr_rwlock_unlock(t->lock);
    if (tsr_store_free_space(t->store, &free_bytes) == CKR_OK) {
        info->ulFreePublicMemory = (CK_ULONG)free_bytes;
        info->ulFreePrivateMemory = (CK_ULONG)free_bytes;
    }
out:
    tsr_mutex_unlock(tsr_mod.lock);
    return rv;
}

CK_RV tsr_slot_mechanisms(CK_SLOT_ID id, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
    tsr_slot *s = tsr_slot_lookup(id);
    CK_ULONG n = (CK_ULONG)tsr_mech_count();
    CK_RV rv = CKR_OK;

    if (s == NULL)
        return CKR_SLOT_ID_INVALID;
    tsr_mutex_lock(tsr_mod.lock);
    if (!slot_present(s))
        rv = CKR_TOKEN_NOT_PRESENT;
    tsr_mutex_unlock(tsr_mod.lock);
    if (rv != CKR_OK)
        return rv;
    if (list != NULL) {
        if (*count < n)
            rv = CKR_BUFFER_TOO_SMALL;
        else
            for (CK_ULONG i = 0; i < n; i++)
                list[i] = tsr_mech_at(i)->type;
    }
    *count = n;
    return rv;
}

CK_RV tsr_slot_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
    tsr_slot *s = tsr_slot_lookup(id);
    const tsr_mech *m;
    CK_RV rv = CKR_OK;

    if (s == NULL)
        return CKR_SLOT_ID_INVALID;
    tsr_mutex_lock(tsr_mod.lock);
    if (!slot_present(s))
        rv = CKR_TOKEN_NOT_PRESENT;
    tsr_mutex_unlock(tsr_mod.lock);
    if (rv != CKR_OK)
        return rv;
    m = tsr_mech_lookup(type);
    if (m == NULL)
        return CKR_MECHANISM_INVALID;
    *info = m->info;
    return CKR_OK;
}
