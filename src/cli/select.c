/* Choosing what a command works on: URI arguments, the one token, the one
 * key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_uri_arg(struct cli *cli, const char *text, struct p11uri **out)
{
    const char *why, *src;
    struct p11uri *u = p11uri_parse(text, &why);

    *out = NULL;
    if (u == NULL)
        return cli_err(CLI_EUSAGE, "'%s' is not a PKCS#11 URI: %s", text, why);
    if (cli->module_path == NULL)
        cli->module_path = p11uri_module_path(u);
    if (cli->pin == NULL && cli->pin_file == NULL) {
        cli->pin = p11uri_pin_value(u);
        src = p11uri_pin_source(u);
        if (src != NULL)
            cli->pin_file = strncmp(src, "file:", 5) == 0 ? src + 5 : src;
    }
    *out = u;
    return CLI_OK;
}

static bool wanted(const struct cli_slot *s, unsigned want, CK_MECHANISM_TYPE mech)
{
    if ((want & CLI_WANT_INIT) && !(s->token.flags & CKF_TOKEN_INITIALIZED))
        return false;
    if ((want & CLI_WANT_BLANK) && (s->token.flags & CKF_TOKEN_INITIALIZED))
        return false;
    if ((want & CLI_WANT_WRITABLE) && (s->token.flags & CKF_WRITE_PROTECTED))
        return false;
    if (mech != 0 && !cli_has_mech((struct cli_slot *)s, mech, 0))
        return false;
    return true;
}

static int ask_choice(size_t n)
{
    char line[32];
    long v;

    if (!isatty(STDIN_FILENO))
        return -1;
    fprintf(stderr, "Which token (1-%zu)? ", n);
    fflush(stderr);
    if (fgets(line, sizeof(line), stdin) == NULL)
        return -1;
    v = strtol(line, NULL, 10);
    return v >= 1 && (size_t)v <= n ? (int)v - 1 : -1;
}

int cli_pick_token(struct cli *cli, const struct p11uri *uri, unsigned want, CK_MECHANISM_TYPE mech,
                   bool ask, struct cli_slot *out)
{
    struct cli_slot *slots, **match;
    size_t n, i, nm = 0;
    char label[33];
    int rc, choice;

    rc = cli_slots(cli, &slots, &n);
    if (rc != CLI_OK)
        return rc;
    match = calloc(n + 1, sizeof(*match));
    if (match == NULL) {
        free(slots);
        return cli_err(CLI_EFAIL, "out of memory");
    }
    for (i = 0; i < n; i++) {
        if (p11uri_match_token(uri, &slots[i]) && wanted(&slots[i], want, mech))
            match[nm++] = &slots[i];
    }
    if (nm == 0) {
        rc = cli_err(CLI_ENOTFOUND, "no %stoken %s%s",
                     (want & CLI_WANT_BLANK)  ? "uninitialised "
                     : (want & CLI_WANT_INIT) ? "initialised "
                                              : "",
                     uri != NULL ? "matches the URI" : "is present",
                     mech != 0 ? " and supports the mechanism" : "");
    } else if (nm == 1 || (want & CLI_WANT_BLANK)) {
        *out = *match[0];
    } else if (!ask || !isatty(STDIN_FILENO)) {
        rc = cli_err(CLI_EUSAGE,
                     "%zu tokens could do this (first: '%s'); name one with --token URI "
                     "(tessera list tokens)",
                     nm, cli_padded(match[0]->token.label, 32, label));
    } else {
        for (i = 0; i < nm; i++) {
            char *u = p11uri_format(match[i], NULL, 0, NULL, (CK_ULONG)-1);

            fprintf(stderr, "%3zu) %-32s %s\n", i + 1, cli_padded(match[i]->token.label, 32, label),
                    u != NULL ? u : "");
            free(u);
        }
        choice = ask_choice(nm);
        if (choice < 0)
            rc = cli_err(CLI_ECANCEL, "no token chosen");
        else
            *out = *match[choice];
    }
    free(match);
    free(slots);
    return rc;
}

/* Whether token S holds a public object (a public key, or a certificate)
 * matching the URI's object attributes: where a private key with them is
 * likely to be, found without logging in. */
static bool public_twin(struct cli_slot *s, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG nt)
{
    static const CK_OBJECT_CLASS classes[] = {CKO_PUBLIC_KEY, CKO_CERTIFICATE};
    CK_OBJECT_CLASS cls;
    CK_OBJECT_HANDLE *found = NULL;
    CK_ULONG count = 0;
    size_t i;
    bool hit = false;

    for (i = 0; i < 2 && !hit; i++) {
        cls = classes[i];
        tmpl[nt] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
        hit = cli_find(s, h, tmpl, nt + 1, &found, &count) == CKR_OK && count > 0;
        free(found);
    }
    return hit;
}

/* A session on S: read-write unless the token is write-protected.  Failures
 * are not reported: the token is then just not searched. */
bool cli_session_try(struct cli_slot *s, CK_SESSION_HANDLE *h)
{
    CK_FLAGS flags = CKF_SERIAL_SESSION;

    if (!(s->token.flags & CKF_WRITE_PROTECTED))
        flags |= CKF_RW_SESSION;
    return s->mod->fl->C_OpenSession(s->id, flags, NULL, NULL, h) == CKR_OK;
}

/* The single object of class CLS matching URI on one token, logged in when
 * LOGIN (or when the class is private).  Fills *slot, *session and *obj.
 *
 * Private objects are looked for only where a login is worth it: on the
 * tokens holding a public key or certificate with the same attributes (as
 * keygen and import leave them), else on the tokens the URI names, else on
 * the only token there is; so no token is asked for its PIN in vain. */
int cli_find_object(struct cli *cli, const struct p11uri *uri, CK_OBJECT_CLASS cls, bool login,
                    struct cli_slot *slot, CK_SESSION_HANDLE *session, CK_OBJECT_HANDLE *obj)
{
    struct cli_slot *slots;
    CK_ATTRIBUTE tmpl[5];
    CK_OBJECT_HANDLE *found = NULL;
    CK_ULONG nt, count = 0;
    CK_SESSION_HANDLE *hs;
    size_t n, i, hits = 0, searchable = 0, twins = 0;
    bool *twin, need_login = login || cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY;
    int rc;

    nt = p11uri_object_template(uri, tmpl);
    rc = cli_slots(cli, &slots, &n);
    if (rc != CLI_OK)
        return rc;
    hs = calloc(n + 1, sizeof(*hs));
    twin = calloc(n + 1, sizeof(*twin));
    if (hs == NULL || twin == NULL) {
        free(hs);
        free(twin);
        free(slots);
        return cli_err(CLI_EFAIL, "out of memory");
    }
    for (i = 0; i < n; i++) {
        hs[i] = CK_INVALID_HANDLE;
        if (!p11uri_match_token(uri, &slots[i]) ||
            !(slots[i].token.flags & CKF_TOKEN_INITIALIZED) || !cli_session_try(&slots[i], &hs[i]))
            continue;
        searchable++;
        if (need_login && public_twin(&slots[i], hs[i], tmpl, nt)) {
            twin[i] = true;
            twins++;
        }
    }
    tmpl[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
    for (i = 0; i < n && rc == CLI_OK; i++) {
        if (hs[i] == CK_INVALID_HANDLE)
            continue;
        if (need_login) {
            if (twins > 0 ? !twin[i] : !(p11uri_names_token(uri) || searchable == 1))
                continue;
            rc = cli_login(cli, &slots[i], hs[i]);
        }
        if (rc == CLI_OK && cli_find(&slots[i], hs[i], tmpl, nt, &found, &count) == CKR_OK &&
            count > 0) {
            hits += count;
            if (hits == 1) {
                *slot = slots[i];
                *session = hs[i];
                *obj = found[0];
                hs[i] = CK_INVALID_HANDLE; /* the caller's now */
            }
        }
        free(found);
        found = NULL;
    }
    for (i = 0; i < n; i++) {
        if (hs[i] != CK_INVALID_HANDLE)
            slots[i].mod->fl->C_CloseSession(hs[i]);
    }
    free(hs);
    free(twin);
    free(slots);
    if (rc != CLI_OK) {
        if (hits >= 1)
            slot->mod->fl->C_CloseSession(*session);
        return rc;
    }
    if (hits == 0)
        return cli_err(CLI_ENOTFOUND, "no %s matches the URI%s",
                       cls == CKO_PRIVATE_KEY   ? "private key"
                       : cls == CKO_CERTIFICATE ? "certificate"
                                                : "object",
                       need_login && twins == 0 && searchable > 1 && !p11uri_names_token(uri)
                           ? " (name the token in it to search its private objects)"
                           : "");
    if (hits > 1) {
        slot->mod->fl->C_CloseSession(*session);
        return cli_err(CLI_EUSAGE, "%zu objects match the URI; add id= or object= to name one",
                       hits);
    }
    return CLI_OK;
}
