#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"

#define DEFAULT_SLOTS          8
#define DEFAULT_MAX_PIN_TRIES  10
#define DEFAULT_KDF_ITERATIONS 200000
#define DEFAULT_OBJECT_CACHE   4096

static char *join_path(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* $XDG_<kind>_HOME, else $HOME/<fallback>. */
static char *xdg_dir(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    const char *home;

    if (v != NULL && *v == '/')
        return strdup(v);
    home = getenv("HOME");
    if (home == NULL || *home == '\0')
        home = "/tmp";
    return join_path(home, fallback);
}

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static void set_ulong(unsigned long *dst, const char *key, const char *val, unsigned long min)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(val, &end, 10);
    if (errno != 0 || *end != '\0' || v < min) {
        tsr_log("config: ignoring bad value for %s", key);
        return;
    }
    *dst = v;
}

static CK_RV apply_line(tsr_conf *conf, char *line, unsigned lineno)
{
    char *eq, *key, *val;

    line = trim(line);
    if (*line == '\0' || *line == '#')
        return CKR_OK;
    eq = strchr(line, '=');
    if (eq == NULL) {
        tsr_log("config line %u: no '=', ignored", lineno);
        return CKR_OK;
    }
    *eq = '\0';
    key = trim(line);
    val = trim(eq + 1);
    if (strcmp(key, "token_dir") == 0) {
        char *dup = strdup(val);
        if (dup == NULL)
            return CKR_HOST_MEMORY;
        free(conf->token_dir);
        conf->token_dir = dup;
    } else if (strcmp(key, "slots") == 0) {
        set_ulong(&conf->slots, key, val, 1);
    } else if (strcmp(key, "max_pin_tries") == 0) {
        set_ulong(&conf->max_pin_tries, key, val, 1);
    } else if (strcmp(key, "kdf_iterations") == 0) {
        set_ulong(&conf->kdf_iterations, key, val, 1000);
    } else if (strcmp(key, "object_cache") == 0) {
        set_ulong(&conf->object_cache, key, val, 16);
    } else {
        tsr_log("config line %u: unknown key '%s', ignored", lineno, key);
    }
    return CKR_OK;
}

static CK_RV read_file(tsr_conf *conf, const char *path)
{
    CK_RV rv = CKR_OK;
    FILE *f = fopen(path, "r");
    char line[1024];
    unsigned lineno = 0;

    if (f == NULL)
        return CKR_OK; /* no file: defaults */
    while (rv == CKR_OK && fgets(line, sizeof(line), f) != NULL)
        rv = apply_line(conf, line, ++lineno);
    fclose(f);
    return rv;
}

CK_RV tsr_conf_load(tsr_conf *conf)
{
    CK_RV rv = CKR_HOST_MEMORY;
    const char *env;
    char *cfg_home = NULL, *path = NULL, *data_home = NULL;

    memset(conf, 0, sizeof(*conf));
    conf->slots = DEFAULT_SLOTS;
    conf->max_pin_tries = DEFAULT_MAX_PIN_TRIES;
    conf->kdf_iterations = DEFAULT_KDF_ITERATIONS;
    conf->object_cache = DEFAULT_OBJECT_CACHE;

    env = getenv("TESSERA_CONF");
    if (env != NULL && *env != '\0') {
        rv = read_file(conf, env);
    } else {
        cfg_home = xdg_dir("XDG_CONFIG_HOME", ".config");
        path = cfg_home ? join_path(cfg_home, "tessera/tessera.conf") : NULL;
        if (path == NULL)
            goto out;
        rv = read_file(conf, path);
    }
    if (rv != CKR_OK)
        goto out;

    env = getenv("TESSERA_TOKEN_DIR");
    if (env != NULL && *env != '\0') {
        free(conf->token_dir);
        conf->token_dir = strdup(env);
    } else if (conf->token_dir == NULL) {
        data_home = xdg_dir("XDG_DATA_HOME", ".local/share");
        conf->token_dir = data_home ? join_path(data_home, "tessera/tokens") : NULL;
    }
    rv = conf->token_dir != NULL ? CKR_OK : CKR_HOST_MEMORY;
out:
    free(cfg_home);
    free(path);
    free(data_home);
    if (rv != CKR_OK)
        tsr_conf_clear(conf);
    return rv;
}

void tsr_conf_clear(tsr_conf *conf)
{
    free(conf->token_dir);
    conf->token_dir = NULL;
}
