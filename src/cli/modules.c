/* Loading modules through p11-kit (or one library by path), walking their
 * slots, opening sessions, logging in and reading objects. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "cli.h"

static int add_module(struct cli *cli, CK_FUNCTION_LIST *fl, const char *fallback_name)
{
    struct cli_module *m, *grown;
    char *name = p11_kit_module_get_name(fl);
    char *path = p11_kit_module_get_filename(fl);

    grown = realloc(cli->mods, (cli->nmods + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(name);
        free(path);
        return cli_err(CLI_EFAIL, "out of memory");
    }
    cli->mods = grown;
    m = &cli->mods[cli->nmods++];
    memset(m, 0, sizeof(*m));
    m->fl = fl;
    m->path = path != NULL ? path : strdup(fallback_name != NULL ? fallback_name : "");
    if (name == NULL) {
        const char *base = strrchr(m->path, '/');
        name = strdup(base != NULL ? base + 1 : m->path);
    }
    m->name = name;
    if (fl->C_GetInfo(&m->info) != CKR_OK)
        memset(&m->info, 0, sizeof(m->info));
    return CLI_OK;
}

static CK_FUNCTION_LIST **p11kit_list;

int cli_modules_load(struct cli *cli)
{
    static char abs[PATH_MAX];
    CK_FUNCTION_LIST *fl;
    CK_RV rv;
    size_t i;
    int rc;

    if (cli->mods != NULL)
        return CLI_OK;
    p11_kit_be_quiet();
    if (cli->module_path != NULL) {
        /* p11-kit reads a relative path as relative to its own module
         * directory; on the command line it means the current one. */
        if (cli->module_path[0] != '/' && strchr(cli->module_path, '/') != NULL &&
            realpath(cli->module_path, abs) != NULL)
            cli->module_path = abs;
        fl = p11_kit_module_load(cli->module_path, 0);
        if (fl == NULL) {
            const char *msg = p11_kit_message();
            return cli_err(CLI_EMODLOAD, "cannot load module %s%s%s", cli->module_path,
                           msg != NULL ? ": " : "", msg != NULL ? msg : "");
        }
        rv = p11_kit_module_initialize(fl);
        if (rv != CKR_OK) {
            p11_kit_module_release(fl);
            cli_err_rv(rv, "module %s: C_Initialize failed", cli->module_path);
            return CLI_EMODLOAD;
        }
        rc = add_module(cli, fl, cli->module_path);
        if (rc != CLI_OK) {
            p11_kit_module_finalize(fl);
            p11_kit_module_release(fl);
        }
        return rc;
    }
    p11kit_list = p11_kit_modules_load_and_initialize(0);
    if (p11kit_list == NULL) {
        const char *msg = p11_kit_message();
        return cli_err(CLI_EMODLOAD, "p11-kit could not load the registered modules%s%s",
                       msg != NULL ? ": " : "", msg != NULL ? msg : "");
    }
    for (i = 0; p11kit_list[i] != NULL; i++) {
        rc = add_module(cli, p11kit_list[i], NULL);
        if (rc != CLI_OK)
            return rc;
    }
    if (cli->nmods == 0)
        return cli_err(CLI_ENOTFOUND, "no PKCS#11 module is registered with p11-kit "
                                      "(see 'tessera module add', or use --module PATH)");
    return CLI_OK;
}

void cli_modules_free(struct cli *cli)
{
    size_t i;

    for (i = 0; i < cli->nmods; i++) {
        if (p11kit_list == NULL) {
            p11_kit_module_finalize(cli->mods[i].fl);
            p11_kit_module_release(cli->mods[i].fl);
        }
        free(cli->mods[i].name);
        free(cli->mods[i].path);
    }
    if (p11kit_list != NULL)
        p11_kit_modules_finalize_and_release(p11kit_list);
    p11kit_list = NULL;
    free(cli->mods);
    cli->mods = NULL;
    cli->nmods = 0;
}

CK_RV cli_slot_refresh(struct cli_slot *s)
{
    CK_RV rv = s->mod->fl->C_GetSlotInfo(s->id, &s->info);

    s->present = false;
    if (rv != CKR_OK)
        return rv;
    if (s->info.flags & CKF_TOKEN_PRESENT) {
        rv = s->mod->fl->C_GetTokenInfo(s->id, &s->token);
        s->present = rv == CKR_OK;
    }
    if (!s->present)
        memset(&s->token, 0, sizeof(s->token));
    return CKR_OK;
}

static int module_slots(struct cli_module *m, struct cli_slot **out, size_t *n)
{
    CK_SLOT_ID *ids = NULL;
    CK_ULONG count = 0, i;
    struct cli_slot *grown;
    CK_RV rv;

    rv = m->fl->C_GetSlotList(CK_FALSE, NULL, &count);
    if (rv == CKR_OK && count > 0) {
        ids = calloc(count, sizeof(*ids));
        if (ids == NULL)
            return cli_err(CLI_EFAIL, "out of memory");
        rv = m->fl->C_GetSlotList(CK_FALSE, ids, &count);
    }
    if (rv != CKR_OK) {
        free(ids);
        return cli_err_rv(rv, "module %s: C_GetSlotList", m->name);
    }
    grown = realloc(*out, (*n + count + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(ids);
        return cli_err(CLI_EFAIL, "out of memory");
    }
    *out = grown;
    for (i = 0; i < count; i++) {
        struct cli_slot *s = &grown[*n];

        memset(s, 0, sizeof(*s));
        s->mod = m;
        s->id = ids[i];
        if (cli_slot_refresh(s) == CKR_OK)
            (*n)++;
    }
    free(ids);
    return CLI_OK;
}

int cli_slots(struct cli *cli, struct cli_slot **out, size_t *n)
{
    size_t i;
    int rc;

    *out = NULL;
    *n = 0;
    rc = cli_modules_load(cli);
    for (i = 0; rc == CLI_OK && i < cli->nmods; i++)
        rc = module_slots(&cli->mods[i], out, n);
    if (rc != CLI_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int cli_session_open(struct cli_slot *s, bool rw, CK_SESSION_HANDLE *out)
{
    CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
    char label[33];
    CK_RV rv;

    rv = s->mod->fl->C_OpenSession(s->id, flags, NULL, NULL, out);
    if (rv != CKR_OK)
        return cli_err_rv(rv, "token '%s': cannot open a session",
                          cli_padded(s->token.label, 32, label));
    return CLI_OK;
}

int cli_login(struct cli *cli, struct cli_slot *s, CK_SESSION_HANDLE h)
{
    CK_SESSION_INFO si;
    char label[33];
    char *pin = NULL;
    CK_RV rv;
    int rc;

    cli_padded(s->token.label, 32, label);
    if (!(s->token.flags & CKF_LOGIN_REQUIRED))
        return CLI_OK;
    rv = s->mod->fl->C_GetSessionInfo(h, &si);
    if (rv == CKR_OK && (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS))
        return CLI_OK;
    if (s->token.flags & CKF_USER_PIN_LOCKED)
        return cli_err(CLI_EPIN, "token '%s': the user PIN is locked (see tessera token unlock)",
                       label);
    if (s->token.flags & CKF_PROTECTED_AUTHENTICATION_PATH && cli->pin == NULL &&
        cli->pin_file == NULL && getenv("TESSERA_PIN") == NULL) {
        rv = s->mod->fl->C_Login(h, CKU_USER, NULL, 0);
    } else {
        char prompt[64];

        snprintf(prompt, sizeof(prompt), "user PIN for '%s'", label);
        rc = cli_pin_get(prompt, cli->pin, cli->pin_file, "TESSERA_PIN", &pin);
        if (rc != CLI_OK)
            return rc;
        rv = s->mod->fl->C_Login(h, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
        cli_pin_free(pin);
    }
    if (rv == CKR_USER_ALREADY_LOGGED_IN)
        return CLI_OK;
    if (rv != CKR_OK)
        return cli_err_rv(rv, "token '%s': login failed", label);
    return CLI_OK;
}

CK_RV cli_attr_get(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                   CK_ATTRIBUTE_TYPE type, unsigned char **val, CK_ULONG *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_RV rv;

    *val = NULL;
    *len = 0;
    rv = s->mod->fl->C_GetAttributeValue(h, o, &a, 1);
    if (rv != CKR_OK)
        return rv;
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
        return CKR_ATTRIBUTE_TYPE_INVALID;
    a.pValue = malloc(a.ulValueLen + 1);
    if (a.pValue == NULL)
        return CKR_HOST_MEMORY;
    rv = s->mod->fl->C_GetAttributeValue(h, o, &a, 1);
    if (rv != CKR_OK) {
        free(a.pValue);
        return rv;
    }
    ((unsigned char *)a.pValue)[a.ulValueLen] = 0;
    *val = a.pValue;
    *len = a.ulValueLen;
    return CKR_OK;
}

CK_RV cli_attr_ulong(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                     CK_ATTRIBUTE_TYPE type, CK_ULONG *val)
{
    CK_ATTRIBUTE a = {type, val, sizeof(*val)};

    return s->mod->fl->C_GetAttributeValue(h, o, &a, 1);
}

CK_RV cli_find(struct cli_slot *s, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n,
               CK_OBJECT_HANDLE **out, CK_ULONG *count)
{
    CK_FUNCTION_LIST *fl = s->mod->fl;
    CK_OBJECT_HANDLE *all = NULL, *grown;
    CK_ULONG total = 0, got = 0;
    CK_RV rv;

    *out = NULL;
    *count = 0;
    rv = fl->C_FindObjectsInit(h, tmpl, n);
    if (rv != CKR_OK)
        return rv;
    do {
        grown = realloc(all, (total + 64) * sizeof(*all));
        if (grown == NULL) {
            rv = CKR_HOST_MEMORY;
            break;
        }
        all = grown;
        rv = fl->C_FindObjects(h, all + total, 64, &got);
        if (rv == CKR_OK)
            total += got;
    } while (rv == CKR_OK && got == 64);
    fl->C_FindObjectsFinal(h);
    if (rv != CKR_OK) {
        free(all);
        return rv;
    }
    *out = all;
    *count = total;
    return CKR_OK;
}

bool cli_has_mech(struct cli_slot *s, CK_MECHANISM_TYPE type, CK_FLAGS flags)
{
    CK_MECHANISM_INFO info;

    if (s->mod->fl->C_GetMechanismInfo(s->id, type, &info) != CKR_OK)
        return false;
    return (info.flags & flags) == flags;
}
