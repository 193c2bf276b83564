/* Private key material at rest: never in the clear in any file of the token
 * directory, and a damaged sealed blob is an error, never a wrong key.
 * OpenSSL makes the test key; SQLite is used only to damage the store the way
 * a disk or an attacker would (table `objects`, column `sealed`). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <sqlite3.h>

#include "api.h"

enum { N, E, D, P, Q, DP, DQ, QINV, PARTS };
static const char *const part_names[PARTS] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};
static const CK_ATTRIBUTE_TYPE part_attrs[PARTS] = {
    CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
    CKA_PRIME_2, CKA_EXPONENT_1,      CKA_EXPONENT_2,       CKA_COEFFICIENT,
};

struct rsa_parts {
    unsigned char *v[PARTS];
    CK_ULONG len[PARTS];
};

static CK_SLOT_ID slot;
static CK_SESSION_HANDLE s;
static CK_BYTE key_id[] = {0x5e, 0xc2, 0xe7};

static int setup_user(void **state)
{
    api_setup(state);
    slot = api_new_token(TOKEN_LABEL, true);
    s = api_user_session(slot);
    return 0;
}

static void make_rsa(struct rsa_parts *k)
{
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    BIGNUM *bn = NULL;
    int i;

    assert_non_null(pkey);
    for (i = 0; i < PARTS; i++) {
        assert_int_equal(EVP_PKEY_get_bn_param(pkey, part_names[i], &bn), 1);
        k->len[i] = (CK_ULONG)BN_num_bytes(bn);
        k->v[i] = malloc(k->len[i]);
        assert_non_null(k->v[i]);
        BN_bn2bin(bn, k->v[i]);
        BN_free(bn);
        bn = NULL;
    }
    EVP_PKEY_free(pkey);
}

static void free_rsa(struct rsa_parts *k)
{
    int i;

    for (i = 0; i < PARTS; i++)
        free(k->v[i]);
}

/* C_CreateObject of the private key: token, private, sensitive. */
static CK_OBJECT_HANDLE import_rsa(const struct rsa_parts *k)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    CK_ATTRIBUTE t[8 + PARTS] = {
        ATTR_VAR(CKA_CLASS, cls),          ATTR_VAR(CKA_KEY_TYPE, kt),
        ATTR_VAR(CKA_TOKEN, api_true),     ATTR_VAR(CKA_PRIVATE, api_true),
        ATTR_VAR(CKA_SENSITIVE, api_true), ATTR_VAR(CKA_SIGN, api_true),
        ATTR_VAR(CKA_ID, key_id),          ATTR_STR(CKA_LABEL, "imported-rsa"),
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    int i;

    for (i = 0; i < PARTS; i++) {
        t[8 + i].type = part_attrs[i];
        t[8 + i].pValue = k->v[i];
        t[8 + i].ulValueLen = k->len[i];
    }
    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    return h;
}

/* --- scanning the token directory --- */

struct blob {
    unsigned char *p;
    size_t n;
};

static struct blob read_file(const char *path)
{
    struct blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    struct stat st;

    if (f == NULL)
        return b; /* SQLite may remove -wal/-shm while we look */
    assert_int_equal(fstat(fileno(f), &st), 0);
    b.p = malloc((size_t)st.st_size + 1);
    assert_non_null(b.p);
    b.n = fread(b.p, 1, (size_t)st.st_size, f);
    fclose(f);
    return b;
}

static void hex(const unsigned char *in, size_t n, char *out, bool upper)
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    const char *digits = upper ? up : lo;
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
}

/* Whether any 16-byte window of `secret` (start, middle, end), as binary in
 * either byte order or as hex text, occurs in `b`. */
static bool contains_secret(const struct blob *b, const unsigned char *secret, size_t n)
{
    const size_t w = 16;
    const size_t offsets[] = {0, (n - w) / 2, n - w};
    unsigned char rev[16];
    char text[32];
    size_t i, j;

    for (i = 0; i < COUNT(offsets); i++) {
        const unsigned char *win = secret + offsets[i];

        for (j = 0; j < w; j++)
            rev[j] = win[w - 1 - j];
        if (memmem(b->p, b->n, win, w) || memmem(b->p, b->n, rev, w))
            return true;
        hex(win, w, text, false);
        if (memmem(b->p, b->n, text, sizeof(text)))
            return true;
        hex(win, w, text, true);
        if (memmem(b->p, b->n, text, sizeof(text)))
            return true;
    }
    return false;
}

/* Which of the secret parts (and the public probe) some file of the token
 * directory holds; fails on any secret part. */
static bool scan_dir(const struct rsa_parts *k, const unsigned char *probe, size_t probe_len)
{
    static const int secret_parts[] = {D, P, Q, DP, DQ, QINV};
    DIR *d = opendir(api_dir);
    struct dirent *e;
    char path[4096];
    bool probe_found = false;
    size_t i;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        struct blob b;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", api_dir, e->d_name);
        b = read_file(path);
        for (i = 0; i < COUNT(secret_parts); i++) {
            int part = secret_parts[i];

            if (contains_secret(&b, k->v[part], k->len[part]))
                fail_msg("%s holds RSA %s in the clear", e->d_name, part_names[part]);
        }
        if (probe != NULL && memmem(b.p, b.n, probe, probe_len))
            probe_found = true;
        free(b.p);
    }
    closedir(d);
    return probe_found;
}

static void test_no_key_material_on_disk(void **state)
{
    CK_OBJECT_CLASS data = CKO_DATA;
    unsigned char probe[32];
    struct rsa_parts k;
    CK_OBJECT_HANDLE h;

    make_rsa(&k);
    import_rsa(&k);
    /* A public object's value: stored readable, so the scan must find it.
     * This proves the scan looks where the token writes. */
    assert_int_equal(RAND_bytes(probe, sizeof(probe)), 1);
    {
        CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data), ATTR_VAR(CKA_TOKEN, api_true),
                            ATTR_VAR(CKA_PRIVATE, api_false), ATTR_VAR(CKA_VALUE, probe)};

        assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    }

    /* While the module runs (the WAL holds recent writes)... */
    assert_true(scan_dir(&k, probe, sizeof(probe)));
    /* ...and after C_Finalize has checkpointed and closed everything. */
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_true(scan_dir(&k, probe, sizeof(probe)));
    free_rsa(&k);
}

/* The token file: the one *.tessera in the directory. */
static void token_path(char *path, size_t size)
{
    DIR *d = opendir(api_dir);
    struct dirent *e;
    int found = 0;
    size_t n;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n = strlen(e->d_name);
        if (n > 8 && strcmp(e->d_name + n - 8, ".tessera") == 0) {
            snprintf(path, size, "%s/%s", api_dir, e->d_name);
            found++;
        }
    }
    closedir(d);
    assert_int_equal(found, 1);
}

static sqlite3 *open_store(void)
{
    char path[4096];
    sqlite3 *db = NULL;

    token_path(path, sizeof(path));
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

/* Flips one bit in the middle of every sealed blob; returns how many. */
static int flip_sealed(void)
{
    sqlite3 *db = open_store();
    sqlite3_stmt *sel = NULL, *upd = NULL;
    int rows = 0;

    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT rowid, sealed FROM objects WHERE sealed IS NOT NULL", -1,
                           &sel, NULL),
        SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "UPDATE objects SET sealed = ?1 WHERE rowid = ?2", -1, &upd, NULL),
        SQLITE_OK);
    while (sqlite3_step(sel) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(sel, 1);
        unsigned char *blob = malloc((size_t)n);

        assert_true(n > 0);
        assert_non_null(blob);
        memcpy(blob, sqlite3_column_blob(sel, 1), (size_t)n);
        blob[n / 2] ^= 0x01;
        sqlite3_bind_blob(upd, 1, blob, n, SQLITE_TRANSIENT);
        sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
        assert_int_equal(sqlite3_step(upd), SQLITE_DONE);
        sqlite3_reset(upd);
        free(blob);
        rows++;
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return rows;
}

/* A row's sealed blob, malloc'd. */
static unsigned char *read_sealed(sqlite3 *db, sqlite3_int64 id, int *len)
{
    sqlite3_stmt *st = NULL;
    unsigned char *blob;

    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT sealed FROM objects WHERE rowid = ?1", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *len = sqlite3_column_bytes(st, 0);
    blob = malloc((size_t)*len);
    assert_non_null(blob);
    memcpy(blob, sqlite3_column_blob(st, 0), (size_t)*len);
    sqlite3_finalize(st);
    return blob;
}

static void write_sealed(sqlite3 *db, sqlite3_int64 id, const unsigned char *blob, int len)
{
    sqlite3_stmt *st = NULL;

    assert_int_equal(
        sqlite3_prepare_v2(db, "UPDATE objects SET sealed = ?1 WHERE rowid = ?2", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, blob, len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_finalize(st);
}

/* Swaps the sealed blobs of two rows: each is intact, but bound to the other
 * row's id. */
static void swap_sealed(sqlite3_int64 a, sqlite3_int64 b)
{
    sqlite3 *db = open_store();
    int la, lb;
    unsigned char *ba = read_sealed(db, a, &la), *bb = read_sealed(db, b, &lb);

    write_sealed(db, a, bb, lb);
    write_sealed(db, b, ba, la);
    free(ba);
    free(bb);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The row ids of the sealed rows, in order. */
static int sealed_rows(sqlite3_int64 *ids, int max)
{
    sqlite3 *db = open_store();
    sqlite3_stmt *sel = NULL;
    int n = 0;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rowid FROM objects WHERE sealed IS NOT NULL "
                                        "ORDER BY rowid",
                                        -1, &sel, NULL),
                     SQLITE_OK);
    while (sqlite3_step(sel) == SQLITE_ROW && n < max)
        ids[n++] = sqlite3_column_int64(sel, 0);
    sqlite3_finalize(sel);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return n;
}

/* After damage: initialise again and log in.  A login error is an error too
 * (the token noticed), as long as it is not about the PIN. */
static bool reopen_and_login(void)
{
    CK_RV rv;

    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    s = api_open(api_token_slot(TOKEN_LABEL), true);
    rv = p11->C_Login(s, CKU_USER, PIN(USER_PIN));
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
        fail_msg("the user PIN no longer works: %s", api_rv_name(rv));
    return rv == CKR_OK;
}

static void test_tampered_sealed_blob(void **state)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE by_id[] = {ATTR_VAR(CKA_CLASS, cls), ATTR_VAR(CKA_ID, key_id)};
    CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_BYTE sig[256], buf[512];
    CK_ULONG len = sizeof(sig), n = 0;
    CK_ATTRIBUTE modulus[] = {{CKA_MODULUS, buf, sizeof(buf)}};
    struct rsa_parts k;
    CK_OBJECT_HANDLE h;
    CK_RV rv;

    make_rsa(&k);
    h = import_rsa(&k);
    assert_rv(p11->C_SignInit(s, &m, h), CKR_OK);
    assert_rv(p11->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &len), CKR_OK);
    assert_rv(p11->C_Finalize(NULL), CKR_OK);

    assert_true(flip_sealed() >= 1);
    if (!reopen_and_login())
        goto out;

    /* Its search columns are intact: the key is found, or the search fails.
     * Silently losing a key is not acceptable either. */
    rv = p11->C_FindObjectsInit(s, by_id, COUNT(by_id));
    if (rv == CKR_OK) {
        rv = p11->C_FindObjects(s, &h, 1, &n);
        (void)p11->C_FindObjectsFinal(s);
    }
    if (rv != CKR_OK)
        goto out;
    if (n != 1)
        fail_msg("a damaged private key vanished without an error");

    rv = p11->C_GetAttributeValue(s, h, modulus, 1);
    if (rv == CKR_OK)
        fail_msg("a damaged private key still reads its modulus");
    rv = p11->C_SignInit(s, &m, h);
    if (rv == CKR_OK) {
        len = sizeof(sig);
        rv = p11->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &len);
    }
    if (rv == CKR_OK)
        fail_msg("a damaged private key still signs");
out:
    free_rsa(&k);
}

static CK_OBJECT_HANDLE private_data(const char *label, const char *value)
{
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, data), ATTR_VAR(CKA_TOKEN, api_true),
                        ATTR_VAR(CKA_PRIVATE, api_true), ATTR_STR(CKA_LABEL, label),
                        ATTR_STR(CKA_VALUE, value)};
    CK_OBJECT_HANDLE h;

    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    return h;
}

/* An intact blob moved to another row must not open there (the row id is
 * bound into the seal). */
static void test_swapped_sealed_blobs(void **state)
{
    static const char *const labels[] = {"first-secret", "second-secret"};
    static const char *const values[] = {"value one", "value two"};
    sqlite3_int64 ids[8];
    CK_OBJECT_HANDLE h;
    unsigned char *v;
    CK_ULONG len;
    CK_RV rv;
    size_t i;

    private_data(labels[0], values[0]);
    private_data(labels[1], values[1]);
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_int_equal(sealed_rows(ids, (int)COUNT(ids)), 2);
    swap_sealed(ids[0], ids[1]);
    if (!reopen_and_login())
        return;

    for (i = 0; i < COUNT(labels); i++) {
        CK_ATTRIBUTE t[] = {ATTR_STR(CKA_LABEL, labels[i])};
        CK_ULONG n = 0;

        rv = p11->C_FindObjectsInit(s, t, 1);
        if (rv == CKR_OK) {
            rv = p11->C_FindObjects(s, &h, 1, &n);
            (void)p11->C_FindObjectsFinal(s);
        }
        if (rv != CKR_OK)
            continue; /* the token noticed */
        if (n != 1)
            fail_msg("%s vanished without an error", labels[i]);
        rv = api_get_attr(s, h, CKA_VALUE, &v, &len);
        if (rv == CKR_OK) {
            bool other = len == strlen(values[1 - i]) && memcmp(v, values[1 - i], len) == 0;

            free(v);
            fail_msg("%s reads %s after the swap", labels[i], other ? "the other's value" : "OK");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_key_material_on_disk, setup_user, api_teardown),
        cmocka_unit_test_setup_teardown(test_tampered_sealed_blob, setup_user, api_teardown),
        cmocka_unit_test_setup_teardown(test_swapped_sealed_blobs, setup_user, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
