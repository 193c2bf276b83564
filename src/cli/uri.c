/* RFC 7512 PKCS#11 URIs: parse, match against modules, slots and tokens,
 * and format.  The input is untrusted (command lines, scripts, files), so the
 * parser is strict: every character is checked against the RFC's classes, a
 * percent escape must have two hex digits, an attribute may appear once, and
 * string values may not contain NUL.  An attribute the RFC does not define
 * (including vendor "x-" ones) makes the URI match nothing, as section 2.3
 * asks.  fuzz/fuzz-uri.c drives this file. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct p11uri {
    char *model, *manufacturer, *serial, *token;
    char *lib_manufacturer, *lib_description, *slot_description, *slot_manufacturer;
    char *object, *pin_value, *pin_source, *module_name, *module_path;
    unsigned char *id;
    size_t idlen;
    CK_OBJECT_CLASS cls;
    CK_SLOT_ID slot_id;
    int lib_major, lib_minor; /* lib_minor -1: "M" alone */
    bool has_id, has_type, has_slot_id, has_libver, unknown;
};

enum kind { STR, BYTES, TYPE, SLOTID, LIBVER };

struct attr_def {
    const char *name;
    bool query;
    enum kind kind;
    size_t off; /* of the char * (or unsigned char *) member */
};

#define S(name, q, member)                                                                         \
    {                                                                                              \
        name, q, STR, offsetof(struct p11uri, member)                                              \
    }
static const struct attr_def attr_defs[] = {
    S("model", false, model),
    S("manufacturer", false, manufacturer),
    S("serial", false, serial),
    S("token", false, token),
    S("library-manufacturer", false, lib_manufacturer),
    S("library-description", false, lib_description),
    S("slot-description", false, slot_description),
    S("slot-manufacturer", false, slot_manufacturer),
    S("object", false, object),
    {"id", false, BYTES, offsetof(struct p11uri, id)},
    {"type", false, TYPE, 0},
    {"slot-id", false, SLOTID, 0},
    {"library-version", false, LIBVER, 0},
    S("pin-value", true, pin_value),
    S("pin-source", true, pin_source),
    S("module-name", true, module_name),
    S("module-path", true, module_path),
};
#undef S

static const struct {
    const char *name;
    CK_OBJECT_CLASS cls;
} types[] = {
    {"cert", CKO_CERTIFICATE},      {"data", CKO_DATA},
    {"private", CKO_PRIVATE_KEY},   {"public", CKO_PUBLIC_KEY},
    {"secret-key", CKO_SECRET_KEY},
};

/* RFC 3986 unreserved, plus what RFC 7512 allows unescaped in a path value
 * (pk11-v-pchar) or a query value (pk11-qchar). */
static bool allowed(unsigned char c, bool query)
{
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
        return true;
    if (strchr(":[]@!$'()*+,=", c) != NULL && c != '\0')
        return true;
    if (!query)
        return c == '&';
    return c == '/' || c == '?' || c == '|';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode [p, p+n) into a fresh NUL-terminated buffer. */
static unsigned char *decode(const char *p, size_t n, bool query, size_t *outlen, const char **why)
{
    unsigned char *out = malloc(n + 1);
    size_t i, o = 0;

    if (out == NULL) {
        *why = "out of memory";
        return NULL;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '%') {
            int hi = i + 2 < n ? hexval((unsigned char)p[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)p[i + 2]) : -1;

            if (hi < 0 || lo < 0) {
                free(out);
                *why = "a '%' escape needs two hex digits";
                return NULL;
            }
            out[o++] = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (allowed(c, query)) {
            out[o++] = c;
        } else {
            free(out);
            *why = c == ' ' ? "a space must be written %20" : "a character that must be %-escaped";
            return NULL;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static int parse_type(struct p11uri *u, const char *v)
{
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(v, types[i].name) == 0) {
            u->cls = types[i].cls;
            return 0;
        }
    }
    return -1;
}

static int parse_ulong(const char *v, unsigned long *out)
{
    char *end;

    if (!isdigit((unsigned char)v[0]))
        return -1;
    errno = 0;
    *out = strtoul(v, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

static int parse_libver(struct p11uri *u, const char *v)
{
    unsigned long major, minor;
    const char *dot = strchr(v, '.');
    char buf[16];

    if (dot == NULL) {
        if (parse_ulong(v, &major) != 0 || major > 255)
            return -1;
        u->lib_major = (int)major;
        u->lib_minor = -1;
        return 0;
    }
    if ((size_t)(dot - v) >= sizeof(buf))
        return -1;
    memcpy(buf, v, (size_t)(dot - v));
    buf[dot - v] = '\0';
    if (parse_ulong(buf, &major) != 0 || parse_ulong(dot + 1, &minor) != 0 || major > 255 ||
        minor > 255)
        return -1;
    u->lib_major = (int)major;
    u->lib_minor = (int)minor;
    return 0;
}

/* Set one attribute, "name=value" in [p, p+n). */
static int set_attr(struct p11uri *u, const char *p, size_t n, bool query, const char **why)
{
    const char *eq = memchr(p, '=', n);
    const struct attr_def *d = NULL;
    unsigned char *val;
    size_t i, namelen, len;
    bool *seen;
    unsigned long ul;

    if (eq == NULL || eq == p) {
        *why = "an attribute must be name=value";
        return -1;
    }
    namelen = (size_t)(eq - p);
    for (i = 0; i < sizeof(attr_defs) / sizeof(attr_defs[0]); i++) {
        if (attr_defs[i].query == query && strlen(attr_defs[i].name) == namelen &&
            memcmp(attr_defs[i].name, p, namelen) == 0)
            d = &attr_defs[i];
    }
    for (i = 0; i < namelen; i++) {
        if (!isalnum((unsigned char)p[i]) && p[i] != '-') {
            *why = "an attribute name may hold only letters, digits and '-'";
            return -1;
        }
    }
    val = decode(eq + 1, n - namelen - 1, query, &len, why);
    if (val == NULL)
        return -1;
    if (d == NULL) { /* unknown: valid syntax, but matches nothing (query: ignored) */
        if (!query)
            u->unknown = true;
        free(val);
        return 0;
    }
    if (d->kind != BYTES && memchr(val, '\0', len) != NULL) {
        free(val);
        *why = "a text attribute may not contain %00";
        return -1;
    }
    switch (d->kind) {
    case STR:
    case BYTES: {
        unsigned char **slot = (unsigned char **)((char *)u + d->off);

        if (*slot != NULL) {
            free(val);
            *why = "an attribute appears twice";
            return -1;
        }
        *slot = val;
        if (d->kind == BYTES) {
            u->idlen = len;
            u->has_id = true;
        }
        return 0;
    }
    case TYPE:
        seen = &u->has_type;
        break;
    case SLOTID:
        seen = &u->has_slot_id;
        break;
    default:
        seen = &u->has_libver;
        break;
    }
    if (*seen) {
        free(val);
        *why = "an attribute appears twice";
        return -1;
    }
    *seen = true;
    if ((d->kind == TYPE && parse_type(u, (char *)val) != 0) ||
        (d->kind == SLOTID && parse_ulong((char *)val, &ul) != 0) ||
        (d->kind == LIBVER && parse_libver(u, (char *)val) != 0)) {
        free(val);
        *why = d->kind == TYPE     ? "type must be cert, data, private, public or secret-key"
               : d->kind == SLOTID ? "slot-id must be a decimal number"
                                   : "library-version must be M or M.m";
        return -1;
    }
    if (d->kind == SLOTID)
        u->slot_id = ul;
    free(val);
    return 0;
}

static int parse_part(struct p11uri *u, const char *p, size_t n, char sep, bool query,
                      const char **why)
{
    while (n > 0) {
        const char *end = memchr(p, sep, n);
        size_t len = end != NULL ? (size_t)(end - p) : n;

        if (len == 0 || set_attr(u, p, len, query, why) != 0) {
            if (len == 0)
                *why = "an empty attribute";
            return -1;
        }
        if (end == NULL)
            break;
        if (len + 1 == n) {
            *why = "an empty attribute";
            return -1;
        }
        p += len + 1;
        n -= len + 1;
    }
    return 0;
}

struct p11uri *p11uri_parse(const char *text, const char **why)
{
    struct p11uri *u;
    const char *path, *q;
    size_t plen;

    *why = NULL;
    if (text == NULL || strncasecmp(text, "pkcs11:", 7) != 0) {
        *why = "a PKCS#11 URI starts with 'pkcs11:'";
        return NULL;
    }
    u = calloc(1, sizeof(*u));
    if (u == NULL) {
        *why = "out of memory";
        return NULL;
    }
    path = text + 7;
    q = strchr(path, '?');
    plen = q != NULL ? (size_t)(q - path) : strlen(path);
    if (parse_part(u, path, plen, ';', false, why) != 0 ||
        (q != NULL && parse_part(u, q + 1, strlen(q + 1), '&', true, why) != 0)) {
        p11uri_free(u);
        return NULL;
    }
    if (u->pin_value != NULL && u->pin_source != NULL) {
        *why = "pin-value and pin-source together";
        p11uri_free(u);
        return NULL;
    }
    return u;
}

void p11uri_free(struct p11uri *u)
{
    size_t i;

    if (u == NULL)
        return;
    for (i = 0; i < sizeof(attr_defs) / sizeof(attr_defs[0]); i++) {
        if (attr_defs[i].kind == STR || attr_defs[i].kind == BYTES) {
            char **slot = (char **)((char *)u + attr_defs[i].off);

            if (slot == (char **)&u->pin_value && *slot != NULL)
                memset(*slot, 0, strlen(*slot));
            free(*slot);
        }
    }
    free(u);
}

const char *cli_padded(const CK_UTF8CHAR *field, size_t len, char *buf)
{
    memcpy(buf, field, len);
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\0'))
        len--;
    buf[len] = '\0';
    return buf;
}

/* A URI value against a blank-padded PKCS#11 field. */
static bool field_eq(const char *want, const CK_UTF8CHAR *field, size_t len)
{
    char buf[65];

    if (want == NULL)
        return true;
    return strcmp(want, cli_padded(field, len, buf)) == 0;
}

bool p11uri_match_module(const struct p11uri *u, const struct cli_module *m)
{
    const CK_INFO *i = &m->info;

    if (u == NULL)
        return true;
    if (u->unknown)
        return false;
    if (u->module_name != NULL && strcmp(u->module_name, m->name) != 0)
        return false;
    if (u->has_libver && (i->libraryVersion.major != u->lib_major ||
                          (u->lib_minor >= 0 && i->libraryVersion.minor != u->lib_minor)))
        return false;
    return field_eq(u->lib_manufacturer, i->manufacturerID, 32) &&
           field_eq(u->lib_description, i->libraryDescription, 32);
}

bool p11uri_match_slot(const struct p11uri *u, const struct cli_slot *s)
{
    if (u == NULL)
        return true;
    if (!p11uri_match_module(u, s->mod))
        return false;
    if (u->has_slot_id && u->slot_id != s->id)
        return false;
    return field_eq(u->slot_description, s->info.slotDescription, 64) &&
           field_eq(u->slot_manufacturer, s->info.manufacturerID, 32);
}

bool p11uri_match_token(const struct p11uri *u, const struct cli_slot *s)
{
    if (!s->present)
        return false;
    if (u == NULL)
        return true;
    if (!p11uri_match_slot(u, s))
        return false;
    return field_eq(u->token, s->token.label, 32) &&
           field_eq(u->manufacturer, s->token.manufacturerID, 32) &&
           field_eq(u->model, s->token.model, 16) && field_eq(u->serial, s->token.serialNumber, 16);
}

bool p11uri_names_token(const struct p11uri *u)
{
    return u != NULL &&
           (u->token != NULL || u->serial != NULL || u->model != NULL || u->manufacturer != NULL ||
            u->has_slot_id || u->slot_description != NULL || u->module_name != NULL);
}

CK_ULONG p11uri_object_template(const struct p11uri *u, CK_ATTRIBUTE *tmpl)
{
    CK_ULONG n = 0;

    if (u == NULL)
        return 0;
    if (u->object != NULL)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_LABEL, u->object, strlen(u->object)};
    if (u->has_id)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_ID, u->id, u->idlen};
    if (u->has_type)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_CLASS, (void *)&u->cls, sizeof(u->cls)};
    return n;
}

const char *p11uri_pin_value(const struct p11uri *u)
{
    return u != NULL ? u->pin_value : NULL;
}

const char *p11uri_pin_source(const struct p11uri *u)
{
    return u != NULL ? u->pin_source : NULL;
}

const char *p11uri_module_path(const struct p11uri *u)
{
    return u != NULL ? u->module_path : NULL;
}

/* A growing string. */
struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_putc(struct sbuf *b, char c)
{
    if (b->oom)
        return;
    if (b->len + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        char *p = realloc(b->p, cap);

        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
    while (*s)
        sb_putc(b, *s++);
}

static void sb_attr(struct sbuf *b, const char *name, const unsigned char *v, size_t n,
                    bool escape_all)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    if (b->len > 7)
        sb_putc(b, ';');
    sb_puts(b, name);
    sb_putc(b, '=');
    for (i = 0; i < n; i++) {
        unsigned char c = v[i];

        if (!escape_all && (isalnum(c) || strchr("-._~:[]@!$'()*+,", c) != NULL) && c != '\0') {
            sb_putc(b, (char)c);
        } else {
            sb_putc(b, '%');
            sb_putc(b, hex[c >> 4]);
            sb_putc(b, hex[c & 15]);
        }
    }
}

static void sb_field(struct sbuf *b, const char *name, const CK_UTF8CHAR *field, size_t len)
{
    char buf[65];

    cli_padded(field, len, buf);
    sb_attr(b, name, (unsigned char *)buf, strlen(buf), false);
}

char *p11uri_format(const struct cli_slot *s, const unsigned char *id, size_t idlen,
                    const char *label, CK_OBJECT_CLASS cls)
{
    struct sbuf b = {0};
    size_t i;

    sb_puts(&b, "pkcs11:");
    sb_field(&b, "model", s->token.model, 16);
    sb_field(&b, "manufacturer", s->token.manufacturerID, 32);
    sb_field(&b, "serial", s->token.serialNumber, 16);
    sb_field(&b, "token", s->token.label, 32);
    if (id != NULL && idlen > 0)
        sb_attr(&b, "id", id, idlen, true);
    if (label != NULL)
        sb_attr(&b, "object", (const unsigned char *)label, strlen(label), false);
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (types[i].cls == cls)
            sb_attr(&b, "type", (const unsigned char *)types[i].name, strlen(types[i].name), false);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

char *p11uri_format_slot(const struct cli_slot *s)
{
    struct sbuf b = {0};
    char num[32];

    sb_puts(&b, "pkcs11:");
    sb_field(&b, "library-description", s->mod->info.libraryDescription, 32);
    sb_field(&b, "slot-description", s->info.slotDescription, 64);
    snprintf(num, sizeof(num), "%lu", (unsigned long)s->id);
    sb_attr(&b, "slot-id", (unsigned char *)num, strlen(num), false);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
