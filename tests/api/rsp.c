#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#include "api.h"
#include "rsp.h"

#define MAX_FIELDS 32

typedef struct field {
    char *name;
    char *value;
} field;

typedef struct fields {
    field v[MAX_FIELDS];
    size_t n;
} fields;

struct rsp_file {
    FILE *fp;
    char path[PATH_MAX];
    unsigned group;
    fields rec;     /* the current record */
    fields context; /* headers and non-record blocks before it */
    char *line;
    size_t line_cap;
};

static bool is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Asks Python where the package lives, for installs outside the Debian path. */
static bool python_dir(char *out, size_t cap)
{
    FILE *p = popen("python3 -c 'import os, cryptography_vectors as v; "
                    "print(os.path.dirname(v.__file__))' 2>/dev/null",
                    "r");
    bool ok;

    if (p == NULL)
        return false;
    ok = fgets(out, (int)cap, p) != NULL;
    pclose(p);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok && is_dir(out);
}

const char *rsp_dir(void)
{
    static char dir[PATH_MAX];
    static const char *known[] = {
        "/usr/lib/python3/dist-packages/cryptography_vectors",
        "/usr/local/lib/python3/dist-packages/cryptography_vectors",
    };
    const char *env = getenv("TESSERA_VECTORS");

    if (dir[0] != '\0')
        return dir;
    if (env != NULL && is_dir(env))
        snprintf(dir, sizeof(dir), "%s", env);
    for (size_t i = 0; dir[0] == '\0' && i < COUNT(known); i++)
        if (is_dir(known[i]))
            snprintf(dir, sizeof(dir), "%s", known[i]);
    if (dir[0] == '\0' && !python_dir(dir, sizeof(dir)))
        dir[0] = '\0';
    if (dir[0] == '\0')
        fail_msg("no test vectors: install Debian's python3-cryptography-vectors (the CI does), "
                 "or point TESSERA_VECTORS at a cryptography_vectors directory");
    return dir;
}

rsp_file *rsp_open(const char *rel)
{
    rsp_file *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->path, sizeof(f->path), "%s/%s", rsp_dir(), rel);
    f->fp = fopen(f->path, "r");
    if (f->fp == NULL)
        fail_msg("cannot open test vectors %s", f->path);
    return f;
}

static void fields_clear(fields *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->v[i].name);
        free(fs->v[i].value);
    }
    fs->n = 0;
}

void rsp_close(rsp_file *f)
{
    if (f == NULL)
        return;
    fields_clear(&f->rec);
    fields_clear(&f->context);
    free(f->line);
    fclose(f->fp);
    free(f);
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

static field *find(const fields *fs, const char *name)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcasecmp(fs->v[i].name, name) == 0)
            return (field *)&fs->v[i];
    return NULL;
}

/* Sets `name` in `fs`, replacing an earlier value. */
static void set(fields *fs, const char *name, const char *value)
{
    field *fd = find(fs, name);

    if (fd == NULL) {
        assert_true(fs->n < MAX_FIELDS);
        fd = &fs->v[fs->n++];
        fd->name = strdup(name);
    } else {
        free(fd->value);
    }
    fd->value = strdup(value);
    assert_non_null(fd->name);
    assert_non_null(fd->value);
}

/* "NAME = value" (or a bare word) into `fs`. */
static void parse_assignment(fields *fs, char *s)
{
    char *eq = strchr(s, '=');

    if (eq == NULL) {
        set(fs, trim(s), "");
        return;
    }
    *eq = '\0';
    set(fs, trim(s), trim(eq + 1));
}

/* A [section] header: any NAME = value pairs in it become context. */
static void parse_header(rsp_file *f, char *s)
{
    char *end = strchr(s, ']'), *item, *save = NULL;

    if (end != NULL)
        *end = '\0';
    f->group++;
    if (strchr(s, '=') == NULL)
        return;
    for (item = strtok_r(s + 1, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save))
        parse_assignment(&f->context, item);
}

/* Reads one block into `block`; false at the end of the file. */
static bool read_block(rsp_file *f, fields *block)
{
    bool any = false;
    char *s;

    fields_clear(block);
    while (getline(&f->line, &f->line_cap, f->fp) >= 0) {
        s = trim(f->line);
        if (*s == '#')
            continue;
        if (*s == '\0') {
            if (any)
                return true;
            continue;
        }
        if (*s == '[') {
            parse_header(f, s);
            if (any)
                return true;
            continue;
        }
        parse_assignment(block, s);
        any = true;
    }
    return any;
}

bool rsp_next(rsp_file *f, const char *record_field)
{
    while (read_block(f, &f->rec)) {
        if (find(&f->rec, record_field) != NULL)
            return true;
        for (size_t i = 0; i < f->rec.n; i++)
            set(&f->context, f->rec.v[i].name, f->rec.v[i].value);
        f->group++;
    }
    fields_clear(&f->rec);
    return false;
}

unsigned rsp_group(const rsp_file *f)
{
    return f->group;
}

static const field *lookup(const rsp_file *f, const char *name)
{
    const field *fd = find(&f->rec, name);

    return fd != NULL ? fd : find(&f->context, name);
}

bool rsp_has(const rsp_file *f, const char *name)
{
    return lookup(f, name) != NULL;
}

const char *rsp_str(const rsp_file *f, const char *name)
{
    const field *fd = lookup(f, name);

    return fd != NULL ? fd->value : "";
}

unsigned long rsp_num(const rsp_file *f, const char *name)
{
    const field *fd = lookup(f, name);
    char *end;
    unsigned long v;

    if (fd == NULL)
        fail_msg("%s: no %s in the record", f->path, name);
    v = strtoul(fd->value, &end, 10);
    if (end == fd->value || *end != '\0')
        fail_msg("%s: %s = %s is not a number", f->path, name, fd->value);
    return v;
}

size_t rsp_unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = strlen(hex);

    assert_int_equal(n % 2, 0);
    assert_true(n / 2 <= cap);
    for (size_t i = 0; i < n / 2; i++) {
        assert_true(isxdigit((unsigned char)hex[2 * i]) && isxdigit((unsigned char)hex[2 * i + 1]));
        sscanf(hex + 2 * i, "%2hhx", &out[i]);
    }
    return n / 2;
}

size_t rsp_hex(const rsp_file *f, const char *name, unsigned char **out)
{
    const field *fd = lookup(f, name);
    size_t n;

    *out = NULL;
    if (fd == NULL)
        fail_msg("%s: no %s in the record", f->path, name);
    n = strlen(fd->value) / 2;
    if (n == 0)
        return 0;
    *out = malloc(n);
    assert_non_null(*out);
    return rsp_unhex(fd->value, *out, n);
}
