#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "secmem.h"

/* Encoded record: "TA" + version byte, then per attribute a 64-bit type,
 * a 32-bit length and the bytes, all little-endian. */
#define ENC_MAGIC0   'T'
#define ENC_MAGIC1   'A'
#define ENC_VERSION  1
#define ENC_HEADER   3
#define ENC_ENTRY    12
#define MAX_ATTR_LEN (64u << 20) /* no attribute is larger than 64 MiB */

void tsr_attrs_init(tsr_attrs *a)
{
    a->v = NULL;
    a->n = 0;
    a->cap = 0;
}

void tsr_attrs_clear(tsr_attrs *a)
{
    for (size_t i = 0; i < a->n; i++)
        tsr_free_secret(a->v[i].pValue, a->v[i].ulValueLen);
    free(a->v);
    tsr_attrs_init(a);
}

tsr_attrs *tsr_attrs_new(void)
{
    tsr_attrs *a = malloc(sizeof(*a));

    if (a != NULL)
        tsr_attrs_init(a);
    return a;
}

void tsr_attrs_free(tsr_attrs *a)
{
    if (a == NULL)
        return;
    tsr_attrs_clear(a);
    free(a);
}

static CK_ATTRIBUTE *slot_of(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].type == type)
            return &a->v[i];
    return NULL;
}

static CK_RV grow(tsr_attrs *a)
{
    size_t cap;
    CK_ATTRIBUTE *v;

    if (a->n < a->cap)
        return CKR_OK;
    cap = a->cap ? a->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof(*v))
        return CKR_HOST_MEMORY;
    v = realloc(a->v, cap * sizeof(*v));
    if (v == NULL)
        return CKR_HOST_MEMORY;
    a->v = v;
    a->cap = cap;
    return CKR_OK;
}

CK_RV tsr_attrs_set(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, const void *val, CK_ULONG len)
{
    CK_ATTRIBUTE *slot;
    void *copy;

    if (len > 0 && val == NULL)
        return CKR_ARGUMENTS_BAD;
    copy = tsr_memdup(val, len);
    if (copy == NULL)
        return CKR_HOST_MEMORY;
    slot = slot_of(a, type);
    if (slot == NULL) {
        if (grow(a) != CKR_OK) {
            free(copy);
            return CKR_HOST_MEMORY;
        }
        slot = &a->v[a->n++];
        slot->type = type;
    } else {
        tsr_free_secret(slot->pValue, slot->ulValueLen);
    }
    slot->pValue = copy;
    slot->ulValueLen = len;
    return CKR_OK;
}

CK_RV tsr_attrs_set_bool(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, bool val)
{
    CK_BBOOL b = val ? CK_TRUE : CK_FALSE;

    return tsr_attrs_set(a, type, &b, sizeof(b));
}

CK_RV tsr_attrs_set_ulong(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG val)
{
    return tsr_attrs_set(a, type, &val, sizeof(val));
}

CK_RV tsr_attrs_default_bool(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, bool val)
{
    return slot_of(a, type) ? CKR_OK : tsr_attrs_set_bool(a, type, val);
}

CK_RV tsr_attrs_default_ulong(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG val)
{
    return slot_of(a, type) ? CKR_OK : tsr_attrs_set_ulong(a, type, val);
}

CK_RV tsr_attrs_default_bytes(tsr_attrs *a, CK_ATTRIBUTE_TYPE type, const void *val, CK_ULONG len)
{
    return slot_of(a, type) ? CKR_OK : tsr_attrs_set(a, type, val, len);
}

const CK_ATTRIBUTE *tsr_attrs_find(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type)
{
    return slot_of(a, type);
}

bool tsr_attrs_has(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type)
{
    return slot_of(a, type) != NULL;
}

bool tsr_attrs_get_bool(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type, bool dflt)
{
    const CK_ATTRIBUTE *at = slot_of(a, type);

    if (at == NULL || at->ulValueLen != sizeof(CK_BBOOL))
        return dflt;
    return *(const CK_BBOOL *)at->pValue != CK_FALSE;
}

bool tsr_attrs_get_ulong(const tsr_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
    const CK_ATTRIBUTE *at = slot_of(a, type);

    if (at == NULL || at->ulValueLen != sizeof(CK_ULONG))
        return false;
    memcpy(out, at->pValue, sizeof(CK_ULONG));
    return true;
}

void tsr_attrs_remove(tsr_attrs *a, CK_ATTRIBUTE_TYPE type)
{
    CK_ATTRIBUTE *slot = slot_of(a, type);

    if (slot == NULL)
        return;
    tsr_free_secret(slot->pValue, slot->ulValueLen);
    *slot = a->v[--a->n];
}

CK_RV tsr_attrs_merge(tsr_attrs *a, const tsr_attrs *from)
{
    for (size_t i = 0; i < from->n; i++) {
        CK_RV rv = tsr_attrs_set(a, from->v[i].type, from->v[i].pValue, from->v[i].ulValueLen);
        if (rv != CKR_OK)
            return rv;
    }
    return CKR_OK;
}

CK_RV tsr_attrs_from_template(tsr_attrs *out, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    CK_RV rv = CKR_OK;
    tsr_attrs tmp;

    if (count > 0 && tmpl == NULL)
        return CKR_ARGUMENTS_BAD;
    tsr_attrs_init(&tmp);
    for (CK_ULONG i = 0; i < count && rv == CKR_OK; i++) {
        if (tmpl[i].ulValueLen > 0 && tmpl[i].pValue == NULL)
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
        else if (tmpl[i].ulValueLen > MAX_ATTR_LEN ||
                 tmpl[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
        else if (slot_of(&tmp, tmpl[i].type) != NULL)
            rv = CKR_TEMPLATE_INCONSISTENT;
        else if (tsr_attrs_is_nested(tmpl[i].type))
            rv = tsr_attrs_set_nested(&tmp, &tmpl[i]); /* a deep copy, no caller pointers */
        else
            rv = tsr_attrs_set(&tmp, tmpl[i].type, tmpl[i].pValue, tmpl[i].ulValueLen);
    }
    if (rv == CKR_OK)
        rv = tsr_attrs_merge(out, &tmp);
    tsr_attrs_clear(&tmp);
    return rv;
}

bool tsr_attrs_match(const tsr_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    for (CK_ULONG i = 0; i < count; i++) {
        const CK_ATTRIBUTE *at = slot_of(a, tmpl[i].type);
        if (at == NULL || at->ulValueLen != tmpl[i].ulValueLen)
            return false;
        if (at->ulValueLen > 0 && memcmp(at->pValue, tmpl[i].pValue, at->ulValueLen) != 0)
            return false;
    }
    return true;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;

    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

CK_RV tsr_attrs_encode(const tsr_attrs *a, tsr_attrs_filter keep, void *arg, unsigned char **out,
                       size_t *out_len)
{
    size_t len = ENC_HEADER;
    unsigned char *buf, *p;

    *out = NULL;
    *out_len = 0;
    for (size_t i = 0; i < a->n; i++)
        if (keep == NULL || keep(a->v[i].type, arg))
            len += ENC_ENTRY + a->v[i].ulValueLen;
    buf = malloc(len);
    if (buf == NULL)
        return CKR_HOST_MEMORY;
    p = buf;
    *p++ = ENC_MAGIC0;
    *p++ = ENC_MAGIC1;
    *p++ = ENC_VERSION;
    for (size_t i = 0; i < a->n; i++) {
        if (keep != NULL && !keep(a->v[i].type, arg))
            continue;
        put_le(p, a->v[i].type, 8);
        put_le(p + 8, a->v[i].ulValueLen, 4);
        p += ENC_ENTRY;
        if (a->v[i].ulValueLen > 0)
            memcpy(p, a->v[i].pValue, a->v[i].ulValueLen);
        p += a->v[i].ulValueLen;
    }
    *out = buf;
    *out_len = len;
    return CKR_OK;
}

CK_RV tsr_attrs_decode(tsr_attrs *a, const unsigned char *in, size_t in_len)
{
    CK_RV rv = CKR_OK;
    tsr_attrs tmp;
    size_t off = ENC_HEADER;

    if (in_len < ENC_HEADER || in[0] != ENC_MAGIC0 || in[1] != ENC_MAGIC1 || in[2] != ENC_VERSION)
        return CKR_DEVICE_ERROR;
    tsr_attrs_init(&tmp);
    while (rv == CKR_OK && off < in_len) {
        uint64_t type, len;
        if (in_len - off < ENC_ENTRY) {
            rv = CKR_DEVICE_ERROR;
            break;
        }
        type = get_le(in + off, 8);
        len = get_le(in + off + 8, 4);
        off += ENC_ENTRY;
        if (len > in_len - off) {
            rv = CKR_DEVICE_ERROR;
            break;
        }
        rv = tsr_attrs_set(&tmp, (CK_ATTRIBUTE_TYPE)type, in + off, (CK_ULONG)len);
        off += len;
    }
    if (rv == CKR_OK)
        rv = tsr_attrs_merge(a, &tmp);
    tsr_attrs_clear(&tmp);
    return rv;
}
