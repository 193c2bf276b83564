/* Known answers from published vectors, through the module's function list:
 * NIST CAVP AES (ECB, CBC, GCM, CCM), RFC 3686 CTR, SP 800-38F key wrap (KW,
 * KWP), SP 800-38B CMAC, RFC 2202/4231 HMAC and the SHA-1/2/3 byte-oriented
 * digests, all from Debian's python3-cryptography-vectors.  Each cipher
 * vector runs single-part and in odd-sized parts, both ways; a subset of
 * each file (the first records of each parameter group) keeps the run
 * short while covering every key size and parameter the files hold. */
#include <stdio.h>
#include <stdlib.h>

#include "symkit.h"
#include "rsp.h"

static CK_SESSION_HANDLE s;

/* Per-file tallies, printed so a run shows what it covered. */
static unsigned n_records, n_fail_records;

/* Counts records per parameter group: true while under `limit`. */
typedef struct sampler {
    unsigned group, taken;
} sampler;

static bool take(sampler *sp, const rsp_file *f, unsigned limit)
{
    if (rsp_group(f) != sp->group) {
        sp->group = rsp_group(f);
        sp->taken = 0;
    }
    return sp->taken++ < limit;
}

static void report(const char *what)
{
    print_message("%s: %u vectors (%u expected failures)\n", what, n_records, n_fail_records);
    n_records = n_fail_records = 0;
}

/* Encrypts `pt` and decrypts `ct`, single-part and (multi) in parts. */
static void check_cipher(CK_MECHANISM *m, CK_OBJECT_HANDLE k, const unsigned char *pt, size_t pl,
                         const unsigned char *ct, size_t cl, bool multi)
{
    size_t cap = (pl > cl ? pl : cl) + 64, n;
    unsigned char *out = malloc(cap);

    assert_non_null(out);
    assert_rv(sym_crypt(s, true, m, k, pt, pl, out, cap, &n), CKR_OK);
    assert_bytes(out, n, ct, cl);
    assert_rv(sym_crypt(s, false, m, k, ct, cl, out, cap, &n), CKR_OK);
    assert_bytes(out, n, pt, pl);
    if (multi) {
        assert_rv(sym_crypt_parts(s, true, m, k, pt, pl, 7, out, cap, &n), CKR_OK);
        assert_bytes(out, n, ct, cl);
        assert_rv(sym_crypt_parts(s, false, m, k, ct, cl, 5, out, cap, &n), CKR_OK);
        assert_bytes(out, n, pt, pl);
        assert_rv(sym_crypt_parts(s, false, m, k, ct, cl, 16, out, cap, &n), CKR_OK);
        assert_bytes(out, n, pt, pl);
    }
    free(out);
    n_records++;
}

/* --- AES ECB, CBC (also as CTS and CBC_PAD), CTR --- */

/* CBC_PAD of whole blocks is CBC's ciphertext and one more block: the
 * padding, which decrypting removes. */
static void check_cbc_pad(CK_OBJECT_HANDLE k, const unsigned char *iv, const unsigned char *pt,
                          size_t pl, const unsigned char *ct, size_t cl)
{
    CK_MECHANISM m = {CKM_AES_CBC_PAD, (void *)iv, 16};
    size_t cap = pl + 32, n;
    unsigned char *out = malloc(cap);

    assert_non_null(out);
    assert_rv(sym_crypt(s, true, &m, k, pt, pl, out, cap, &n), CKR_OK);
    assert_int_equal(n, cl + 16);
    assert_bytes(out, cl, ct, cl);
    assert_rv(sym_crypt_parts(s, false, &m, k, out, n, 11, out, cap, &n), CKR_OK);
    assert_bytes(out, n, pt, pl);
    free(out);
}

static void block_file(const char *rel, CK_MECHANISM_TYPE type, unsigned limit)
{
    rsp_file *f = rsp_open(rel);
    sampler sp = {0};

    while (rsp_next(f, "COUNT")) {
        unsigned char *key, *iv = NULL, *pt, *ct;
        size_t kl = rsp_hex(f, "KEY", &key), il = 0, pl = rsp_hex(f, "PLAINTEXT", &pt),
               cl = rsp_hex(f, "CIPHERTEXT", &ct);
        CK_OBJECT_HANDLE k;
        CK_MECHANISM m = {type, NULL, 0};

        if (!take(&sp, f, limit))
            goto next;
        if (type != CKM_AES_ECB)
            il = rsp_hex(f, "IV", &iv);
        m.pParameter = iv;
        m.ulParameterLen = il;
        k = sym_key(s, CKK_AES, key, kl);
        check_cipher(&m, k, pt, pl, ct, cl, true);
        if (type == CKM_AES_CBC) {
            /* Ciphertext stealing (CS1) of whole blocks is plain CBC. */
            m.mechanism = CKM_AES_CTS;
            check_cipher(&m, k, pt, pl, ct, cl, true);
            check_cbc_pad(k, iv, pt, pl, ct, cl);
        }
        assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
    next:
        free(key);
        free(iv);
        free(pt);
        free(ct);
    }
    rsp_close(f);
}

static void test_aes_ecb_cbc(void **state)
{
    static const char *kinds[] = {"GFSbox", "KeySbox", "VarKey", "VarTxt", "MMT"};
    static const int bits[] = {128, 192, 256};
    char rel[128];

    for (size_t i = 0; i < COUNT(kinds); i++) {
        for (size_t j = 0; j < COUNT(bits); j++) {
            snprintf(rel, sizeof(rel), "ciphers/AES/ECB/ECB%s%d.rsp", kinds[i], bits[j]);
            block_file(rel, CKM_AES_ECB, 12);
            snprintf(rel, sizeof(rel), "ciphers/AES/CBC/CBC%s%d.rsp", kinds[i], bits[j]);
            block_file(rel, CKM_AES_CBC, 12);
        }
    }
    report("AES ECB, CBC, CTS, CBC_PAD");
}

static void test_aes_ctr(void **state)
{
    static const char *files[] = {"aes-128-ctr.txt", "aes-192-ctr.txt", "aes-256-ctr.txt"};
    char rel[128];

    for (size_t i = 0; i < COUNT(files); i++) {
        rsp_file *f;

        snprintf(rel, sizeof(rel), "ciphers/AES/CTR/%s", files[i]);
        f = rsp_open(rel);
        while (rsp_next(f, "COUNT")) {
            unsigned char *key, *iv, *pt, *ct;
            size_t kl = rsp_hex(f, "KEY", &key), pl = rsp_hex(f, "PLAINTEXT", &pt),
                   cl = rsp_hex(f, "CIPHERTEXT", &ct);
            CK_AES_CTR_PARAMS p = {32, {0}};
            CK_MECHANISM m = {CKM_AES_CTR, &p, sizeof(p)};
            CK_OBJECT_HANDLE k = sym_key(s, CKK_AES, key, kl);

            /* RFC 3686: nonce and IV, then a 32-bit block counter. */
            assert_int_equal(rsp_hex(f, "IV", &iv), 16);
            memcpy(p.cb, iv, 16);
            check_cipher(&m, k, pt, pl, ct, cl, true);
            p.ulCounterBits = 128;
            check_cipher(&m, k, pt, pl, ct, cl, true);
            assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
            free(key);
            free(iv);
            free(pt);
            free(ct);
        }
        rsp_close(f);
    }
    report("AES CTR");
}

/* --- GCM --- */

static void gcm_file(const char *rel, bool decrypt, unsigned limit)
{
    rsp_file *f = rsp_open(rel);
    sampler sp = {0};

    while (rsp_next(f, "Count")) {
        unsigned char *key, *iv, *pt = NULL, *ct, *aad, *tag, *full;
        size_t kl = rsp_hex(f, "Key", &key), il = rsp_hex(f, "IV", &iv), cl = rsp_hex(f, "CT", &ct),
               al = rsp_hex(f, "AAD", &aad), tl = rsp_hex(f, "Tag", &tag), pl = 0, n, cap;
        CK_GCM_PARAMS p = {iv, il, il * 8, aad, al, tl * 8};
        CK_MECHANISM m = {CKM_AES_GCM, &p, sizeof(p)};
        CK_OBJECT_HANDLE k;

        if (!take(&sp, f, limit))
            goto next;
        k = sym_key(s, CKK_AES, key, kl);
        cap = cl + tl;
        full = malloc(cap + 1);
        assert_non_null(full);
        if (cl > 0)
            memcpy(full, ct, cl);
        memcpy(full + cl, tag, tl);
        if (decrypt && rsp_has(f, "FAIL")) {
            /* All or nothing: the tag is checked before any plaintext leaves. */
            assert_rv(sym_crypt(s, false, &m, k, full, cap, full, cap, &n),
                      CKR_ENCRYPTED_DATA_INVALID);
            assert_rv(sym_crypt_parts(s, false, &m, k, full, cap, 9, full, cap, &n),
                      CKR_ENCRYPTED_DATA_INVALID);
            n_fail_records++;
            n_records++;
        } else {
            pl = rsp_hex(f, "PT", &pt);
            check_cipher(&m, k, pt, pl, full, cap, true);
        }
        free(full);
        assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
    next:
        free(key);
        free(iv);
        free(pt);
        free(ct);
        free(aad);
        free(tag);
    }
    rsp_close(f);
}

static void test_aes_gcm(void **state)
{
    static const int bits[] = {128, 192, 256};
    char rel[128];

    for (size_t j = 0; j < COUNT(bits); j++) {
        snprintf(rel, sizeof(rel), "ciphers/AES/GCM/gcmEncryptExtIV%d.rsp", bits[j]);
        gcm_file(rel, false, 1);
        snprintf(rel, sizeof(rel), "ciphers/AES/GCM/gcmDecrypt%d.rsp", bits[j]);
        gcm_file(rel, true, 3);
    }
    report("AES GCM");
}

/* --- CCM --- */

/* CCM files write an empty field as "00"; their lengths say which. */
static size_t ccm_field(const rsp_file *f, const char *name, const char *len_name,
                        unsigned char **out)
{
    size_t n = rsp_hex(f, name, out);

    return rsp_num(f, len_name) == 0 ? 0 : n;
}

static void ccm_file(const char *rel, unsigned limit)
{
    rsp_file *f = rsp_open(rel);
    sampler sp = {0};

    while (rsp_next(f, "Count")) {
        unsigned char *key, *nonce, *aad, *pt = NULL, *ct;
        size_t kl = rsp_hex(f, "Key", &key), nl = rsp_hex(f, "Nonce", &nonce),
               al = ccm_field(f, "Adata", "Alen", &aad), cl = rsp_hex(f, "CT", &ct), pl = 0, n;
        bool fails = strcmp(rsp_str(f, "Result"), "Fail") == 0;
        CK_CCM_PARAMS p = {0, nonce, nl, aad, al, rsp_num(f, "Tlen")};
        CK_MECHANISM m = {CKM_AES_CCM, &p, sizeof(p)};
        CK_OBJECT_HANDLE k;

        if (!take(&sp, f, limit))
            goto next;
        k = sym_key(s, CKK_AES, key, kl);
        p.ulDataLen = cl - p.ulMACLen;
        if (fails) {
            assert_rv(sym_crypt(s, false, &m, k, ct, cl, ct, cl, &n), CKR_ENCRYPTED_DATA_INVALID);
            n_fail_records++;
            n_records++;
        } else {
            pl = ccm_field(f, "Payload", "Plen", &pt);
            assert_int_equal(pl, p.ulDataLen);
            check_cipher(&m, k, pt, pl, ct, cl, true);
        }
        assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
    next:
        free(key);
        free(nonce);
        free(aad);
        free(pt);
        free(ct);
    }
    rsp_close(f);
}

static void test_aes_ccm(void **state)
{
    static const char *kinds[] = {"VPT", "VADT", "VNT", "VTT", "DVPT"};
    static const int bits[] = {128, 192, 256};
    char rel[128];

    for (size_t i = 0; i < COUNT(kinds); i++) {
        for (size_t j = 0; j < COUNT(bits); j++) {
            snprintf(rel, sizeof(rel), "ciphers/AES/CCM/%s%d.rsp", kinds[i], bits[j]);
            ccm_file(rel, 3);
        }
    }
    report("AES CCM");
}

/* --- key wrap --- */

static void kw_file(const char *rel, CK_MECHANISM_TYPE type, bool decrypt, unsigned limit)
{
    rsp_file *f = rsp_open(rel);
    sampler sp = {0};

    while (rsp_next(f, "COUNT")) {
        unsigned char *key, *pt = NULL, *ct, out[4200];
        size_t kl = rsp_hex(f, "K", &key), cl = rsp_hex(f, "C", &ct), pl = 0, n;
        CK_ULONG ul = sizeof(out);
        CK_MECHANISM m = {type, NULL, 0};
        CK_OBJECT_HANDLE k;

        if (!take(&sp, f, limit))
            goto next;
        k = sym_key(s, CKK_AES, key, kl);
        if (decrypt && rsp_has(f, "FAIL")) {
            assert_rv(sym_crypt(s, false, &m, k, ct, cl, out, sizeof(out), &n),
                      CKR_ENCRYPTED_DATA_INVALID);
            n_fail_records++;
            n_records++;
        } else {
            pl = rsp_hex(f, "P", &pt);
            check_cipher(&m, k, pt, pl, ct, cl, false);
        }
        /* Key wrap is single-part only. */
        assert_rv(p11->C_EncryptInit(s, &m, k), CKR_OK);
        assert_rv(p11->C_EncryptUpdate(s, ct, 8, out, &ul), CKR_FUNCTION_NOT_SUPPORTED);
        assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
    next:
        free(key);
        free(pt);
        free(ct);
    }
    rsp_close(f);
}

static void test_aes_key_wrap(void **state)
{
    static const int bits[] = {128, 192, 256};
    char rel[128];

    for (size_t j = 0; j < COUNT(bits); j++) {
        snprintf(rel, sizeof(rel), "keywrap/kwtestvectors/KW_AE_%d.txt", bits[j]);
        kw_file(rel, CKM_AES_KEY_WRAP, false, 3);
        snprintf(rel, sizeof(rel), "keywrap/kwtestvectors/KW_AD_%d.txt", bits[j]);
        kw_file(rel, CKM_AES_KEY_WRAP, true, 4);
        snprintf(rel, sizeof(rel), "keywrap/kwtestvectors/KWP_AE_%d.txt", bits[j]);
        kw_file(rel, CKM_AES_KEY_WRAP_KWP, false, 3);
        snprintf(rel, sizeof(rel), "keywrap/kwtestvectors/KWP_AD_%d.txt", bits[j]);
        kw_file(rel, CKM_AES_KEY_WRAP_KWP, true, 4);
    }
    report("AES KW, KWP");
}

/* --- MACs --- */

/* Signs and verifies single-part and in parts; the _GENERAL form with a
 * truncated length too, and a wrong MAC and length are refused. */
static void check_mac(CK_MECHANISM_TYPE type, CK_MECHANISM_TYPE general, CK_OBJECT_HANDLE k,
                      const unsigned char *msg, size_t ml, const unsigned char *mac, size_t len)
{
    CK_MECHANISM m = {type, NULL, 0};
    CK_MAC_GENERAL_PARAMS glen = len / 2;
    CK_MECHANISM g = {general, &glen, sizeof(glen)};
    unsigned char out[64], bad[64];
    size_t n;

    assert_rv(sym_sign(s, &m, k, msg, ml, 0, out, &n), CKR_OK);
    assert_bytes(out, n, mac, len);
    assert_rv(sym_sign(s, &m, k, msg, ml, 3, out, &n), CKR_OK);
    assert_bytes(out, n, mac, len);
    assert_rv(sym_verify(s, &m, k, msg, ml, 0, mac, len), CKR_OK);
    assert_rv(sym_verify(s, &m, k, msg, ml, 13, mac, len), CKR_OK);
    memcpy(bad, mac, len);
    bad[len - 1] ^= 0x80;
    assert_rv(sym_verify(s, &m, k, msg, ml, 0, bad, len), CKR_SIGNATURE_INVALID);
    assert_rv(sym_verify(s, &m, k, msg, ml, 0, mac, len - 1), CKR_SIGNATURE_LEN_RANGE);
    assert_rv(sym_sign(s, &g, k, msg, ml, 5, out, &n), CKR_OK);
    assert_bytes(out, n, mac, glen);
    assert_rv(sym_verify(s, &g, k, msg, ml, 0, mac, glen), CKR_OK);
    n_records++;
}

static void test_cmac(void **state)
{
    static const int bits[] = {128, 192, 256};
    char rel[128];

    for (size_t j = 0; j < COUNT(bits); j++) {
        rsp_file *f;

        snprintf(rel, sizeof(rel), "CMAC/nist-800-38b-aes%d.txt", bits[j]);
        f = rsp_open(rel);
        while (rsp_next(f, "COUNT")) {
            unsigned char *key, *msg, *mac;
            size_t kl = rsp_hex(f, "KEY", &key), ml = rsp_hex(f, "MESSAGE", &msg),
                   tl = rsp_hex(f, "OUTPUT", &mac);
            CK_OBJECT_HANDLE k = sym_key(s, CKK_AES, key, kl);

            check_mac(CKM_AES_CMAC, CKM_AES_CMAC_GENERAL, k, msg, ml, mac, tl);
            assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
            free(key);
            free(msg);
            free(mac);
        }
        rsp_close(f);
    }
    report("AES CMAC");
}

static void test_hmac(void **state)
{
    static const struct {
        const char *file;
        CK_MECHANISM_TYPE mech, general;
    } files[] = {
        {"HMAC/rfc-2202-sha1.txt", CKM_SHA_1_HMAC, CKM_SHA_1_HMAC_GENERAL},
        {"HMAC/rfc-4231-sha224.txt", CKM_SHA224_HMAC, CKM_SHA224_HMAC_GENERAL},
        {"HMAC/rfc-4231-sha256.txt", CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL},
        {"HMAC/rfc-4231-sha384.txt", CKM_SHA384_HMAC, CKM_SHA384_HMAC_GENERAL},
        {"HMAC/rfc-4231-sha512.txt", CKM_SHA512_HMAC, CKM_SHA512_HMAC_GENERAL},
    };

    for (size_t i = 0; i < COUNT(files); i++) {
        rsp_file *f = rsp_open(files[i].file);

        while (rsp_next(f, "MD")) {
            unsigned char *key, *msg, *mac;
            size_t kl = rsp_hex(f, "Key", &key), ml = rsp_hex(f, "Msg", &msg),
                   tl = rsp_hex(f, "MD", &mac);
            CK_OBJECT_HANDLE k = sym_key(s, CKK_GENERIC_SECRET, key, kl);

            check_mac(files[i].mech, files[i].general, k, msg, ml, mac, tl);
            assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
            free(key);
            free(msg);
            free(mac);
        }
        rsp_close(f);
    }
    report("HMAC SHA-1/2");
}

/* --- digests --- */

static void digest_file(const char *rel, CK_MECHANISM_TYPE type, unsigned limit)
{
    rsp_file *f = rsp_open(rel);
    unsigned taken = 0;

    while (rsp_next(f, "MD") && taken < limit) {
        unsigned char *msg, *md, out[64];
        size_t ml = rsp_hex(f, "Msg", &msg), dl = rsp_hex(f, "MD", &md), n;

        if (rsp_num(f, "Len") % 8 == 0) {
            ml = rsp_num(f, "Len") / 8; /* "Msg = 00" is the empty message */
            assert_rv(sym_digest(s, type, msg, ml, 0, out, &n), CKR_OK);
            assert_bytes(out, n, md, dl);
            assert_rv(sym_digest(s, type, msg, ml, 17, out, &n), CKR_OK);
            assert_bytes(out, n, md, dl);
            taken++;
            n_records++;
        }
        free(msg);
        free(md);
    }
    rsp_close(f);
}

static void test_digests(void **state)
{
    static const struct {
        const char *name;
        CK_MECHANISM_TYPE type;
    } hashes[] = {
        {"SHA1/SHA1", CKM_SHA_1},        {"SHA2/SHA224", CKM_SHA224},
        {"SHA2/SHA256", CKM_SHA256},     {"SHA2/SHA384", CKM_SHA384},
        {"SHA2/SHA512", CKM_SHA512},     {"SHA3/SHA3_224", CKM_SHA3_224},
        {"SHA3/SHA3_256", CKM_SHA3_256}, {"SHA3/SHA3_384", CKM_SHA3_384},
        {"SHA3/SHA3_512", CKM_SHA3_512},
    };
    char rel[128];

    for (size_t i = 0; i < COUNT(hashes); i++) {
        snprintf(rel, sizeof(rel), "hashes/%sShortMsg.rsp", hashes[i].name);
        digest_file(rel, hashes[i].type, 40);
        snprintf(rel, sizeof(rel), "hashes/%sLongMsg.rsp", hashes[i].name);
        digest_file(rel, hashes[i].type, 8);
    }
    report("SHA-1/2/3");
}

static int group_setup(void **state)
{
    api_setup(state);
    (void)rsp_dir(); /* fails at once, and clearly, without the vectors */
    s = api_user_session(api_new_token(TOKEN_LABEL, true));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aes_ecb_cbc),  cmocka_unit_test(test_aes_ctr),
        cmocka_unit_test(test_aes_gcm),      cmocka_unit_test(test_aes_ccm),
        cmocka_unit_test(test_aes_key_wrap), cmocka_unit_test(test_cmac),
        cmocka_unit_test(test_hmac),         cmocka_unit_test(test_digests),
    };

    return cmocka_run_group_tests(tests, group_setup, api_teardown);
}
