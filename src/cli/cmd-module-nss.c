/* tessera module ... --nss-db DIR: the module list of an NSS database
 * (Firefox's profile, ~/.pki/nssdb), changed through NSS's own secmod
 * functions rather than by editing pkcs11.txt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>
#include <secmod.h>
#include <secmodt.h>

#include "cli-core.h"

/* Open the database read-write.  DIR may carry NSS's "sql:" prefix. */
static int nss_open(const char *dbdir)
{
    const char *dir = strncmp(dbdir, "sql:", 4) == 0 ? dbdir + 4 : dbdir;
    char spec[4200];
    struct stat st;

    if (strncmp(dbdir, "dbm:", 4) == 0)
        return cli_err(CLI_EINPUT, "%s: only sql: (cert9.db) databases are supported", dbdir);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cli_err(CLI_EINPUT, "%s is not a directory", dir);
    snprintf(spec, sizeof(spec), "sql:%s", dir);
    if (NSS_Initialize(spec, "", "", SECMOD_DB, NSS_INIT_NOROOTINIT) != SECSuccess)
        return cli_err(CLI_EINPUT, "cannot open the NSS database in %s: %s", dir,
                       PORT_ErrorToString(PORT_GetError()));
    return CLI_OK;
}

static void nss_close(void)
{
    NSS_Shutdown();
}

int cli_nss_add(struct cli *cli, const char *dbdir, const char *name, const char *path)
{
    SECMODModule *m;
    int rc = nss_open(dbdir);

    if (rc != CLI_OK)
        return rc;
    m = SECMOD_FindModule(name);
    if (m != NULL) {
        rc = cli_err(CLI_EEXISTS, "the NSS database already has a module named '%s' (%s)", name,
                     m->dllName != NULL ? m->dllName : "built in");
        SECMOD_DestroyModule(m);
    } else if (!cli_confirm(cli, "Add %s to the NSS database %s as '%s'?", path, dbdir, name)) {
        rc = cli_err(CLI_ECANCEL, "not added (confirm, or --yes)");
    } else if (SECMOD_AddNewModule((char *)name, (char *)path, 0, 0) != SECSuccess) {
        rc = cli_err(CLI_EMODLOAD, "NSS refused module %s: %s", path,
                     PORT_ErrorToString(PORT_GetError()));
    } else if (!cli->quiet) {
        printf("added '%s' (%s) to %s\n", name, path, dbdir);
    }
    nss_close();
    return rc;
}

int cli_nss_remove(struct cli *cli, const char *dbdir, const char *name)
{
    SECMODModule *m;
    int type = 0, rc = nss_open(dbdir);

    if (rc != CLI_OK)
        return rc;
    m = SECMOD_FindModule(name);
    if (m == NULL) {
        rc = cli_err(CLI_ENOTFOUND, "the NSS database has no module named '%s'", name);
    } else if (m->internal) {
        rc = cli_err(CLI_EFAIL, "'%s' is NSS's internal module", name);
    } else if (!cli_confirm(cli, "Remove module '%s' from the NSS database %s?", name, dbdir)) {
        rc = cli_err(CLI_ECANCEL, "not removed (confirm, or --yes)");
    } else if (SECMOD_DeleteModule(name, &type) != SECSuccess) {
        rc = cli_err(CLI_EFAIL, "NSS could not remove '%s': %s", name,
                     PORT_ErrorToString(PORT_GetError()));
    } else if (!cli->quiet) {
        printf("removed '%s' from %s\n", name, dbdir);
    }
    if (m != NULL)
        SECMOD_DestroyModule(m);
    nss_close();
    return rc;
}

int cli_nss_list(struct cli *cli, const char *dbdir)
{
    static const char *const h[] = {"name", "path", "source"};
    SECMODModuleList *l;
    SECMODListLock *lock;
    struct cli_table *t;
    int rc = nss_open(dbdir);

    if (rc != CLI_OK)
        return rc;
    t = cli_table_new(3, h);
    lock = SECMOD_GetDefaultModuleListLock();
    SECMOD_GetReadLock(lock);
    for (l = SECMOD_GetDefaultModuleList(); l != NULL; l = l->next) {
        const char *row[3];

        row[0] = l->module->commonName;
        row[1] = l->module->dllName != NULL ? l->module->dllName : "";
        row[2] = l->module->internal ? "nss-internal" : "nss";
        cli_table_add(t, row);
    }
    SECMOD_ReleaseReadLock(lock);
    cli_table_print(t, cli->json);
    cli_table_free(t);
    nss_close();
    return CLI_OK;
}
