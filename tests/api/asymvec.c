#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asymvec.h"

static FILE *av_open(const char *rel)
{
    const char *root = getenv("TESSERA_VECTORS");
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root != NULL ? root : AV_ROOT, rel);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("test vectors %s are missing: install python3-cryptography-vectors "
                 "(or point TESSERA_VECTORS at a copy)",
                 path);
    return f;
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

unsigned char *av_hex(const char *hex, size_t *len)
{
    size_t n = 0, digits = 0, total = 0;
    unsigned char *out = malloc(strlen(hex) / 2 + 1);

    assert_non_null(out);
    for (const char *p = hex; *p != '\0'; p++)
        total += !isspace((unsigned char)*p);
    /* An odd count is a number written without its leading zero ("10001"). */
    if (total % 2 != 0) {
        out[0] = 0; /* the missing high nibble */
        digits = 1;
    }
    for (const char *p = hex; *p != '\0'; p++) {
        int v;

        if (isspace((unsigned char)*p))
            continue;
        if (!isxdigit((unsigned char)*p))
            fail_msg("bad hex in a test vector: %s", hex);
        v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
        if (digits++ % 2 == 0)
            out[n] = (unsigned char)(v << 4);
        else
            out[n++] |= (unsigned char)v;
    }
    *len = n;
    return out;
}

const char *av_get(const av_record *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0)
            return r->val[i];
    return NULL;
}

static void record_clear(av_record *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->key[i]);
        free(r->val[i]);
    }
    r->n = 0;
}

static void record_add(av_record *r, const char *key, const char *val)
{
    if (r->n == AV_MAX_FIELDS)
        fail_msg("test vector record with too many fields");
    r->key[r->n] = strdup(key);
    r->val[r->n] = strdup(val);
    assert_non_null(r->key[r->n]);
    assert_non_null(r->val[r->n]);
    r->n++;
}

size_t av_each_record(const char *rel, av_record_fn fn, void *arg)
{
    FILE *f = av_open(rel);
    char line[65536], section[256] = "";
    av_record r = {.n = 0};
    size_t count = 0;
    bool in_headers = false;

    while (fgets(line, sizeof(line), f) != NULL) {
        char *s, *eq;

        /* Indented lines are intermediate values (ansx963's "Counter"). */
        if (line[0] == ' ' || line[0] == '\t')
            continue;
        s = trim(line);
        if (s[0] == '#' || s[0] == '\0')
            continue;
        /* A run of headers ("[SHA-1]", "[key data length = 128]") is one
         * section, its parts joined by ';'. */
        if (s[0] == '[') {
            size_t used = in_headers ? strlen(section) : 0;

            snprintf(section + used, sizeof(section) - used, "%s%.*s", used > 0 ? ";" : "",
                     (int)strcspn(s + 1, "]"), s + 1);
            in_headers = true;
            continue;
        }
        in_headers = false;
        eq = strchr(s, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        if (strcmp(trim(s), "COUNT") == 0) {
            if (r.n > 0) {
                fn(&r, arg);
                count++;
            }
            record_clear(&r);
            snprintf(r.section, sizeof(r.section), "%s", section);
        }
        record_add(&r, trim(s), trim(eq + 1));
    }
    if (r.n > 0) {
        fn(&r, arg);
        count++;
    }
    record_clear(&r);
    fclose(f);
    return count;
}

/* Hands the label being collected to `fn`. */
static void flush_label(char *label, char *hex, av_labelled_fn fn, void *arg)
{
    unsigned char *data;
    size_t len;

    if (label[0] == '\0')
        return;
    data = av_hex(hex, &len);
    fn(label, data, len, arg);
    free(data);
    label[0] = '\0';
    hex[0] = '\0';
}

void av_each_labelled(const char *rel, av_labelled_fn fn, void *arg)
{
    FILE *f = av_open(rel);
    char line[65536], label[256] = "";
    static char hex[1 << 20];

    hex[0] = '\0';
    while (fgets(line, sizeof(line), f) != NULL) {
        char *s = trim(line);
        size_t n;

        if (s[0] != '#') {
            if (label[0] != '\0' && strlen(hex) + strlen(s) < sizeof(hex))
                strcat(hex, s);
            continue;
        }
        flush_label(label, hex, fn, arg);
        s = trim(s + 1);
        n = strlen(s);
        if (n > 0 && s[n - 1] == ':') {
            s[n - 1] = '\0';
            snprintf(label, sizeof(label), "%s", trim(s));
        } else if (n > 0 && s[0] != '-' && s[0] != '=') {
            fn(s, NULL, 0, arg);
        }
    }
    flush_label(label, hex, fn, arg);
    fclose(f);
}
