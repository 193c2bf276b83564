/* tessera module add NAME PATH | remove NAME | list [--nss-db DIR]
 *
 * The old window.crypto addmodule/deletemodule.  Without --nss-db a module is
 * registered with p11-kit by a file in the user's configuration,
 * $XDG_CONFIG_HOME/pkcs11/modules/NAME.module, written atomically (a temporary
 * file renamed into place without replacing anything).  With --nss-db it is
 * added to an NSS database through NSS itself (cmd-module-nss.c).  Every check
 * runs before anything is written. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>

#include "cli.h"

static const char usage[] =
    "usage: tessera module add NAME PATH [--nss-db DIR | --system] [--yes]\n"
    "       tessera module remove NAME [--nss-db DIR | --system] [--yes]\n"
    "       tessera module list [--nss-db DIR] [--json]\n"
    "\n"
    "Registers a PKCS#11 library with p11-kit for this user\n"
    "($XDG_CONFIG_HOME/pkcs11/modules/NAME.module), or with --nss-db in an NSS\n"
    "database such as a Firefox profile (through NSS's own library).  NAME is\n"
    "letters, digits, '.', '_' and '-' (at most 64, not starting with '.' or\n"
    "'-').  The library must load and answer C_GetFunctionList.  add and\n"
    "remove ask for confirmation unless --yes.  --system uses\n"
    "/etc/pkcs11/modules instead (p11-kit ignores a user configuration in\n"
    "programs running as root).\n";

static int check_name(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
        goto bad;
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            goto bad;
    }
    return CLI_OK;
bad:
    return cli_err(CLI_EBADNAME,
                   "'%s' is not a module name (letters, digits, '.', '_', '-'; at most 64)", name);
}

int cli_module_check_library(const char *path)
{
    CK_C_GetFunctionList get;
    CK_FUNCTION_LIST *fl = NULL;
    void *dl;
    CK_RV rv;

    if (path[0] != '/')
        return cli_err(CLI_EMODLOAD, "%s: give the library's absolute path", path);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL)
        return cli_err(CLI_EMODLOAD, "%s does not load: %s", path, dlerror());
    get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
    if (get == NULL) {
        dlclose(dl);
        return cli_err(CLI_EMODLOAD, "%s is not a PKCS#11 module: no C_GetFunctionList", path);
    }
    rv = get(&fl);
    if (rv != CKR_OK || fl == NULL || fl->version.major < 2) {
        dlclose(dl);
        return cli_err(CLI_EMODLOAD, "%s: C_GetFunctionList does not answer (%s)", path,
                       cli_rv_name(rv));
    }
    dlclose(dl);
    return CLI_OK;
}

static bool system_wide; /* --system: /etc/pkcs11/modules */

/* $XDG_CONFIG_HOME/pkcs11/modules, as p11-kit reads it (or with --system,
 * the system's directory).  p11-kit ignores the user's configuration in a
 * program running as root, so root is told to use --system. */
static int config_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

    if (system_wide)
        snprintf(buf, size, "/etc/pkcs11/modules");
    else if (xdg != NULL && xdg[0] == '/')
        snprintf(buf, size, "%s/pkcs11/modules", xdg);
    else if (home != NULL)
        snprintf(buf, size, "%s/.config/pkcs11/modules", home);
    else
        return cli_err(CLI_EFAIL, "neither XDG_CONFIG_HOME nor HOME is set");
    return CLI_OK;
}

static int mkdirs(const char *dir)
{
    char tmp[PATH_MAX], *p;

    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Whether p11-kit already knows a module called NAME (any configuration). */
static bool registered(const char *name, char **where)
{
    CK_FUNCTION_LIST **mods = p11_kit_modules_load(NULL, P11_KIT_MODULE_UNMANAGED);
    bool found = false;
    size_t i;

    for (i = 0; mods != NULL && mods[i] != NULL && !found; i++) {
        char *n = p11_kit_module_get_name(mods[i]);

        if (n != NULL && strcmp(n, name) == 0) {
            found = true;
            *where = p11_kit_module_get_filename(mods[i]);
        }
        free(n);
    }
    if (mods != NULL)
        p11_kit_modules_release(mods);
    return found;
}

static int write_config(const char *dir, const char *name, const char *path)
{
    char tmp[PATH_MAX + 96], final[PATH_MAX + 96];
    FILE *f;
    int fd, rc = CLI_OK;

    if (mkdirs(dir) != 0)
        return cli_err(CLI_EFAIL, "cannot create %s: %s", dir, strerror(errno));
    snprintf(final, sizeof(final), "%s/%s.module", dir, name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.module.XXXXXX", dir, name);
    fd = mkstemp(tmp);
    if (fd < 0)
        return cli_err(CLI_EFAIL, "cannot write in %s: %s", dir, strerror(errno));
    fchmod(fd, 0644);
    f = fdopen(fd, "w");
    if (f == NULL || fprintf(f, "# Registered by 'tessera module add'.\nmodule: %s\n", path) < 0 ||
        fflush(f) != 0 || fsync(fd) != 0)
        rc = cli_err(CLI_EFAIL, "cannot write %s: %s", tmp, strerror(errno));
    if (f != NULL)
        fclose(f);
    else
        close(fd);
    /* Into place without replacing: link, then drop the temporary name. */
    if (rc == CLI_OK && link(tmp, final) != 0)
        rc = errno == EEXIST ? cli_err(CLI_EEXISTS, "%s already exists", final)
                             : cli_err(CLI_EFAIL, "cannot create %s: %s", final, strerror(errno));
    unlink(tmp);
    if (rc == CLI_OK && (fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
        fsync(fd);
        close(fd);
    }
    return rc;
}

static int p11kit_add(struct cli *cli, const char *name, const char *path)
{
    char dir[PATH_MAX], file[PATH_MAX + 80], *where = NULL;
    struct stat st;
    int rc = config_dir(dir, sizeof(dir));

    if (rc != CLI_OK)
        return rc;
    snprintf(file, sizeof(file), "%s/%s.module", dir, name);
    if (stat(file, &st) == 0)
        return cli_err(CLI_EEXISTS, "a module named '%s' is already registered (%s)", name, file);
    if (registered(name, &where)) {
        rc = cli_err(CLI_EEXISTS, "a module named '%s' is already registered with p11-kit (%s)",
                     name, where != NULL ? where : "system configuration");
        free(where);
        return rc;
    }
    if (!cli_confirm(cli, "Register %s with p11-kit as '%s'?", path, name))
        return cli_err(CLI_ECANCEL, "not registered (confirm, or --yes)");
    rc = write_config(dir, name, path);
    if (rc == CLI_OK && !cli->quiet)
        printf("registered '%s' (%s) in %s\n", name, path, file);
    if (rc == CLI_OK && !system_wide && geteuid() == 0 && !cli->quiet)
        fprintf(stderr, "note: p11-kit ignores the user's configuration in programs running "
                        "as root; root registers with --system\n");
    return rc;
}

static int p11kit_remove(struct cli *cli, const char *name)
{
    char dir[PATH_MAX], file[PATH_MAX + 80], *where = NULL;
    struct stat st;
    int rc = config_dir(dir, sizeof(dir));

    if (rc != CLI_OK)
        return rc;
    snprintf(file, sizeof(file), "%s/%s.module", dir, name);
    if (stat(file, &st) != 0) {
        if (registered(name, &where)) {
            free(where);
            return cli_err(CLI_EFAIL,
                           "'%s' is registered in the system configuration, "
                           "which only an administrator changes",
                           name);
        }
        return cli_err(CLI_ENOTFOUND, "no module named '%s' is registered", name);
    }
    if (!cli_confirm(cli, "Remove module '%s' from p11-kit?", name))
        return cli_err(CLI_ECANCEL, "not removed (confirm, or --yes)");
    if (unlink(file) != 0)
        return cli_err(CLI_EFAIL, "cannot remove %s: %s", file, strerror(errno));
    if (!cli->quiet)
        printf("removed '%s'\n", name);
    return CLI_OK;
}

static int p11kit_list(struct cli *cli)
{
    static const char *const h[] = {"name", "path", "source"};
    CK_FUNCTION_LIST **mods = p11_kit_modules_load(NULL, P11_KIT_MODULE_UNMANAGED);
    struct cli_table *t = cli_table_new(3, h);
    char dir[PATH_MAX], file[PATH_MAX + 80];
    struct stat st;
    size_t i;

    if (config_dir(dir, sizeof(dir)) != CLI_OK)
        dir[0] = '\0';
    for (i = 0; mods != NULL && mods[i] != NULL; i++) {
        char *name = p11_kit_module_get_name(mods[i]);
        char *path = p11_kit_module_get_filename(mods[i]);
        const char *row[3];

        snprintf(file, sizeof(file), "%s/%s.module", dir, name != NULL ? name : "");
        row[0] = name;
        row[1] = path;
        row[2] = dir[0] && stat(file, &st) == 0 ? "user" : "system";
        cli_table_add(t, row);
        free(name);
        free(path);
    }
    if (mods != NULL)
        p11_kit_modules_release(mods);
    cli_table_print(t, cli->json);
    cli_table_free(t);
    return CLI_OK;
}

int cmd_module(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"nss-db", required_argument, NULL, 'n'}, {"system", no_argument, NULL, 's'}, {0}};
    const char *nssdb = NULL, *verb, *name = NULL;
    char real[PATH_MAX];
    int c, rc, nargs;

    while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
        if (c == 'h')
            return cli_help(cli, usage);
        if (c == '?')
            return CLI_EUSAGE;
        if (c == 's')
            system_wide = true;
        else
            nssdb = optarg;
    }
    if (optind >= argc)
        return cli_err(CLI_EUSAGE, "module: say add, remove or list (see tessera module --help)");
    verb = argv[optind++];
    nargs = argc - optind;
    if (strcmp(verb, "list") == 0) {
        if (nargs != 0)
            return cli_err(CLI_EUSAGE, "module list takes no argument");
        return nssdb != NULL ? cli_nss_list(cli, nssdb) : p11kit_list(cli);
    }
    if (strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0)
        return cli_err(CLI_EUSAGE, "module: unknown verb '%s' (add, remove or list)", verb);
    if (nargs != (strcmp(verb, "add") == 0 ? 2 : 1))
        return cli_err(CLI_EUSAGE, "usage: tessera module %s",
                       strcmp(verb, "add") == 0 ? "add NAME PATH" : "remove NAME");
    name = argv[optind];
    rc = check_name(name);
    if (rc != CLI_OK)
        return rc;
    if (strcmp(verb, "remove") == 0)
        return nssdb != NULL ? cli_nss_remove(cli, nssdb, name) : p11kit_remove(cli, name);
    if (realpath(argv[optind + 1], real) == NULL)
        return cli_err(CLI_EMODLOAD, "%s: %s", argv[optind + 1], strerror(errno));
    rc = cli_module_check_library(real);
    if (rc != CLI_OK)
        return rc;
    return nssdb != NULL ? cli_nss_add(cli, nssdb, name, real) : p11kit_add(cli, name, real);
}
