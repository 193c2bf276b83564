/* The tessera tool: what every command shares.
 *
 * The tool is a PKCS#11 consumer.  It reaches tokens only through the modules
 * p11-kit has registered (or one named with --module) and never links the
 * token's internals, so it behaves the same with Tessera, SoftHSM2 or a smart
 * card behind OpenSC. */
#ifndef TSR_CLI_H
#define TSR_CLI_H

#include "cli-core.h"
#include "pkcs11-3.h"

/* One loaded PKCS#11 module. */
struct cli_module {
    CK_FUNCTION_LIST *fl;
    char *name; /* p11-kit's name, or the file name for --module */
    char *path;
    CK_INFO info;
};

/* One slot of one module, with its token's state when one is present. */
struct cli_slot {
    struct cli_module *mod;
    CK_SLOT_ID id;
    CK_SLOT_INFO info;
    CK_TOKEN_INFO token;
    bool present; /* CKF_TOKEN_PRESENT and C_GetTokenInfo answered */
};

/* A command: fills nothing, returns an exit code. */
typedef int (*cli_cmd_fn)(struct cli *cli, int argc, char **argv);

struct cli_command {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
};

/* Like cli_err, with the PKCS#11 return value's name appended. */
int cli_err_rv(CK_RV rv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for a PKCS#11 failure: PIN problems give CLI_EPIN, and so on. */
int cli_rv_code(CK_RV rv);
/* The name of a CKR_ value ("CKR_PIN_INCORRECT"), or its hex form. */
const char *cli_rv_name(CK_RV rv);

/* modules.c: loading modules, walking slots, sessions and objects. */

/* Load and initialise the modules: the one --module names, else every module
 * p11-kit has registered.  Returns an exit code. */
int cli_modules_load(struct cli *cli);
void cli_modules_free(struct cli *cli);
/* All slots of all modules (with token state); *out is freed by the caller. */
int cli_slots(struct cli *cli, struct cli_slot **out, size_t *n);
/* Refresh one slot's flags and token information. */
CK_RV cli_slot_refresh(struct cli_slot *s);
/* A token's label etc. as a C string: blank padding removed.  BUF holds
 * at least LEN+1 bytes. */
const char *cli_padded(const CK_UTF8CHAR *field, size_t len, char *buf);
/* Open a session on S (read-write if RW). */
int cli_session_open(struct cli_slot *s, bool rw, CK_SESSION_HANDLE *out);
/* A session on S, read-write unless the token is write-protected, with no
 * error reported when it cannot be had (select.c). */
bool cli_session_try(struct cli_slot *s, CK_SESSION_HANDLE *h);
/* Log in as the user on the session if the token wants it and the session is
 * not already logged in.  The PIN comes from cli_pin_get. */
int cli_login(struct cli *cli, struct cli_slot *s, CK_SESSION_HANDLE h);
/* Read one attribute into a fresh buffer (freed by the caller). */
CK_RV cli_attr_get(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                   CK_ATTRIBUTE_TYPE type, unsigned char **val, CK_ULONG *len);
/* Read a CK_ULONG attribute. */
CK_RV cli_attr_ulong(struct cli_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                     CK_ATTRIBUTE_TYPE type, CK_ULONG *val);
/* Find the objects matching TMPL; *out freed by the caller. */
CK_RV cli_find(struct cli_slot *s, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n,
               CK_OBJECT_HANDLE **out, CK_ULONG *count);
/* Whether the slot's token has mechanism TYPE with all of FLAGS. */
bool cli_has_mech(struct cli_slot *s, CK_MECHANISM_TYPE type, CK_FLAGS flags);
/* The name of a mechanism ("CKM_RSA_PKCS"), or NULL when not known. */
const char *cli_mech_name(CK_MECHANISM_TYPE type);

/* uri.c: RFC 7512 PKCS#11 URIs. */
struct p11uri;
/* Parse TEXT; NULL with a reason in *why (static) when it is not a valid URI. */
struct p11uri *p11uri_parse(const char *text, const char **why);
void p11uri_free(struct p11uri *u);
/* Whether U (NULL matches everything) matches a module, slot or token. */
bool p11uri_match_module(const struct p11uri *u, const struct cli_module *m);
bool p11uri_match_slot(const struct p11uri *u, const struct cli_slot *s);
bool p11uri_match_token(const struct p11uri *u, const struct cli_slot *s);
/* Whether U restricts the slot or token at all. */
bool p11uri_names_token(const struct p11uri *u);
/* The object part of U as a search template (label, id, class).  At most
 * 3 attributes; the values point into U. */
CK_ULONG p11uri_object_template(const struct p11uri *u, CK_ATTRIBUTE *tmpl);
/* The pin-value and pin-source query attributes, or NULL. */
const char *p11uri_pin_value(const struct p11uri *u);
const char *p11uri_pin_source(const struct p11uri *u);
/* The module-path query attribute, or NULL. */
const char *p11uri_module_path(const struct p11uri *u);
/* Format a URI naming a token (and, if ID or LABEL are given, an object on it
 * of class CLS; CLS (CK_ULONG)-1 for none).  Returns a malloc'd string. */
char *p11uri_format(const struct cli_slot *s, const unsigned char *id, size_t idlen,
                    const char *label, CK_OBJECT_CLASS cls);
/* A URI naming just the slot. */
char *p11uri_format_slot(const struct cli_slot *s);

/* The commands. */
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_random(struct cli *cli, int argc, char **argv);
int cmd_logout(struct cli *cli, int argc, char **argv);
int cmd_token(struct cli *cli, int argc, char **argv);
int cmd_module(struct cli *cli, int argc, char **argv);
int cmd_watch(struct cli *cli, int argc, char **argv);
int cmd_keygen(struct cli *cli, int argc, char **argv);
int cmd_request(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_sign_text(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);

/* Check that PATH dlopens and answers C_GetFunctionList (cmd-module.c). */
int cli_module_check_library(const char *path);

/* select.c: choose the one token a command works on. */
#define CLI_WANT_INIT     1u /* an initialised token */
#define CLI_WANT_BLANK    2u /* an uninitialised token */
#define CLI_WANT_WRITABLE 4u /* not write-protected */
/* Pick the single token matching URI (NULL: any) and WANT.  When several
 * match and none was named, list them and ask on a terminal (ASK), else
 * fail with a message.  MECH, when not 0, must be supported. */
int cli_pick_token(struct cli *cli, const struct p11uri *uri, unsigned want, CK_MECHANISM_TYPE mech,
                   bool ask, struct cli_slot *out);
/* Parse a URI argument (usage error when invalid).  A URI's module-path,
 * pin-value and pin-source fill in --module, --pin and --pin-file when those
 * were not given. */
int cli_uri_arg(struct cli *cli, const char *text, struct p11uri **out);
/* The single object of class CLS matching URI, with a read-write session
 * (logged in when LOGIN or the class is a key) that the caller closes. */
int cli_find_object(struct cli *cli, const struct p11uri *uri, CK_OBJECT_CLASS cls, bool login,
                    struct cli_slot *slot, CK_SESSION_HANDLE *session, CK_OBJECT_HANDLE *obj);

#endif
