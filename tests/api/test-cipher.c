/* AES ciphers and MACs through the function list, checked against OpenSSL
 * as an independent implementation: every length up to a few blocks, both
 * ways, single-part and in random part sizes, with the length protocol
 * checked at each step (symkit.c).  Where OpenSSL has no ready answer (CCM
 * here; the vectors cover it) the token must agree with itself. */
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "symkit.h"

static CK_SESSION_HANDLE s;
static CK_OBJECT_HANDLE aes[3], hmac_key;
static unsigned char aes_val[3][32], hmac_val[40];
static const size_t aes_len[3] = {16, 24, 32};
static const unsigned char iv16[16] = "0123456789abcdef";
static const unsigned char aad[20] = "associated data here";

/* --- host side --- */

/* OpenSSL's answer for `name` ("AES-128-CBC"); NULL `params` for none. */
static size_t host_cipher(const char *name, bool enc, const unsigned char *key,
                          const unsigned char *iv, int pad, const OSSL_PARAM *params,
                          const unsigned char *in, size_t len, unsigned char *out)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;

    assert_non_null(c);
    assert_int_equal(EVP_CipherInit_ex2(ctx, c, key, iv, enc, params), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(ctx, pad), 1);
    assert_int_equal(EVP_CipherUpdate(ctx, out, &n1, in, (int)len), 1);
    assert_int_equal(EVP_CipherFinal_ex(ctx, out + n1, &n2), 1);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
    return (size_t)(n1 + n2);
}

/* AES-GCM with a 12-byte IV and the AAD above: ciphertext then 16-byte tag. */
static size_t host_gcm(const unsigned char *key, size_t kl, const unsigned char *in, size_t len,
                       unsigned char *out)
{
    char name[32];
    EVP_CIPHER *c;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, f = 0;

    snprintf(name, sizeof(name), "AES-%zu-GCM", kl * 8);
    c = EVP_CIPHER_fetch(NULL, name, NULL);
    assert_int_equal(EVP_EncryptInit_ex2(ctx, c, key, iv16, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, aad, sizeof(aad)), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, in, (int)len), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, out + n, &f), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + n + f), 1);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
    return (size_t)(n + f) + 16;
}

static size_t host_mac(const char *mac, const char *param, const char *alg,
                       const unsigned char *key, size_t kl, const unsigned char *in, size_t len,
                       unsigned char *out)
{
    OSSL_PARAM p[] = {OSSL_PARAM_utf8_string(param, (char *)alg, 0), OSSL_PARAM_END};
    size_t n = 0;

    assert_non_null(EVP_Q_mac(NULL, mac, NULL, alg, p, key, kl, in, len, out, 64, &n));
    return n;
}

/* --- token side --- */

/* Encrypts single-part and in random parts, compares both with `want`, and
 * decrypts both ways back to `pt`. */
static void roundtrip(CK_MECHANISM *m, CK_OBJECT_HANDLE k, const unsigned char *pt, size_t pl,
                      const unsigned char *want, size_t wl)
{
    unsigned char out[256];
    size_t n, chunk = 1 + (size_t)(rand() % 37);

    assert_rv(sym_crypt(s, true, m, k, pt, pl, out, sizeof(out), &n), CKR_OK);
    assert_bytes(out, n, want, wl);
    assert_rv(sym_crypt_parts(s, true, m, k, pt, pl, chunk, out, sizeof(out), &n), CKR_OK);
    assert_bytes(out, n, want, wl);
    assert_rv(sym_crypt(s, false, m, k, want, wl, out, sizeof(out), &n), CKR_OK);
    assert_bytes(out, n, pt, pl);
    assert_rv(sym_crypt_parts(s, false, m, k, want, wl, chunk, out, sizeof(out), &n), CKR_OK);
    assert_bytes(out, n, pt, pl);
}

static void test_modes_match_openssl(void **state)
{
    OSSL_PARAM cs1[] = {OSSL_PARAM_utf8_string(OSSL_CIPHER_PARAM_CTS_MODE, "CS1", 0),
                        OSSL_PARAM_END};
    CK_AES_CTR_PARAMS ctr = {128, "fedcba9876543210"};
    CK_MECHANISM cbc = {CKM_AES_CBC, (void *)iv16, 16}, pad = {CKM_AES_CBC_PAD, (void *)iv16, 16},
                 ecb = {CKM_AES_ECB, NULL, 0}, cts = {CKM_AES_CTS, (void *)iv16, 16},
                 ctrm = {CKM_AES_CTR, &ctr, sizeof(ctr)};
    unsigned char pt[100], want[256];
    char name[32];

    assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);
    for (int i = 0; i < 3; i++) {
        const unsigned char *key = aes_val[i];
        int bits = (int)aes_len[i] * 8;

        for (size_t len = 0; len <= 80; len++) {
            snprintf(name, sizeof(name), "AES-%d-CBC", bits);
            roundtrip(&pad, aes[i], pt, len, want,
                      host_cipher(name, true, key, iv16, 1, NULL, pt, len, want));
            if (len % 16 == 0) {
                roundtrip(&cbc, aes[i], pt, len, want,
                          host_cipher(name, true, key, iv16, 0, NULL, pt, len, want));
                snprintf(name, sizeof(name), "AES-%d-ECB", bits);
                roundtrip(&ecb, aes[i], pt, len, want,
                          host_cipher(name, true, key, NULL, 0, NULL, pt, len, want));
            }
            snprintf(name, sizeof(name), "AES-%d-CTR", bits);
            roundtrip(&ctrm, aes[i], pt, len, want,
                      host_cipher(name, true, key, ctr.cb, 0, NULL, pt, len, want));
            if (len >= 16) {
                snprintf(name, sizeof(name), "AES-%d-CBC-CTS", bits);
                roundtrip(&cts, aes[i], pt, len, want,
                          host_cipher(name, true, key, iv16, 0, cs1, pt, len, want));
            }
        }
    }
}

static void test_aead_match_openssl(void **state)
{
    CK_GCM_PARAMS gp = {(CK_BYTE_PTR)iv16, 12, 96, (CK_BYTE_PTR)aad, sizeof(aad), 128};
    CK_MECHANISM gcm = {CKM_AES_GCM, &gp, sizeof(gp)};
    unsigned char pt[100], want[256], out[256];
    size_t n;

    assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);
    for (int i = 0; i < 3; i++) {
        for (size_t len = 0; len <= 70; len += 7) {
            CK_CCM_PARAMS cp = {len, (CK_BYTE_PTR)iv16, 13, (CK_BYTE_PTR)aad, sizeof(aad), 8};
            CK_MECHANISM ccm = {CKM_AES_CCM, &cp, sizeof(cp)};

            roundtrip(&gcm, aes[i], pt, len, want, host_gcm(aes_val[i], aes_len[i], pt, len, want));
            /* CCM agrees with itself both ways; the vectors check its answers. */
            assert_rv(sym_crypt(s, true, &ccm, aes[i], pt, len, want, sizeof(want), &n), CKR_OK);
            assert_int_equal(n, len + 8);
            roundtrip(&ccm, aes[i], pt, len, want, n);
            /* One flipped bit anywhere and nothing comes out. */
            want[len / 2] ^= 1;
            assert_rv(sym_crypt(s, false, &ccm, aes[i], want, n, out, sizeof(out), &n),
                      CKR_ENCRYPTED_DATA_INVALID);
        }
    }
}

/* CKM_AES_KEY_WRAP_PAD (PKCS#11 3.0): PKCS #7 padding, then RFC 3394. */
static void test_key_wrap_pad(void **state)
{
    unsigned char pt[64], padded[80], want[96], out[96];
    CK_MECHANISM m = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
    char name[32];
    size_t n;

    assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "AES-%zu-WRAP", aes_len[i] * 8);
        for (size_t len = 8; len <= sizeof(pt); len++) {
            size_t pl = len - len % 8 + 8;

            memcpy(padded, pt, len);
            memset(padded + len, (int)(pl - len), pl - len);
            n = host_cipher(name, true, aes_val[i], NULL, 0, NULL, padded, pl, want);
            assert_rv(sym_crypt(s, true, &m, aes[i], pt, len, out, sizeof(out), &n), CKR_OK);
            assert_bytes(out, n, want, pl + 8);
            assert_rv(sym_crypt(s, false, &m, aes[i], want, pl + 8, out, sizeof(out), &n), CKR_OK);
            assert_bytes(out, n, pt, len);
        }
        /* Too short to wrap after padding; a wrapped value with bad padding. */
        assert_rv(sym_crypt(s, true, &m, aes[i], pt, 7, out, sizeof(out), &n), CKR_DATA_LEN_RANGE);
        memset(padded, 0, 16);
        n = host_cipher(name, true, aes_val[i], NULL, 0, NULL, padded, 16, want);
        assert_rv(sym_crypt(s, false, &m, aes[i], want, n, out, sizeof(out), &n),
                  CKR_ENCRYPTED_DATA_INVALID);
    }
}

static void test_hmac_sha3_and_sha2_general(void **state)
{
    static const struct {
        CK_MECHANISM_TYPE mech;
        const char *md;
    } h[] = {
        {CKM_SHA3_224_HMAC, "SHA3-224"}, {CKM_SHA3_256_HMAC, "SHA3-256"},
        {CKM_SHA3_384_HMAC, "SHA3-384"}, {CKM_SHA3_512_HMAC, "SHA3-512"},
        {CKM_SHA_1_HMAC, "SHA1"},        {CKM_SHA256_HMAC, "SHA256"},
    };
    unsigned char msg[300], want[64], out[64];
    size_t wl, n;

    assert_int_equal(RAND_bytes(msg, sizeof(msg)), 1);
    for (size_t i = 0; i < COUNT(h); i++) {
        CK_MECHANISM m = {h[i].mech, NULL, 0};
        CK_MAC_GENERAL_PARAMS glen = 10;
        CK_MECHANISM g = {h[i].mech + 1, &glen, sizeof(glen)}; /* the _GENERAL form */

        wl = host_mac("HMAC", OSSL_MAC_PARAM_DIGEST, h[i].md, hmac_val, sizeof(hmac_val), msg,
                      sizeof(msg), want);
        assert_rv(sym_sign(s, &m, hmac_key, msg, sizeof(msg), 0, out, &n), CKR_OK);
        assert_bytes(out, n, want, wl);
        assert_rv(sym_sign(s, &m, hmac_key, msg, sizeof(msg), 77, out, &n), CKR_OK);
        assert_bytes(out, n, want, wl);
        assert_rv(sym_verify(s, &m, hmac_key, msg, sizeof(msg), 31, want, wl), CKR_OK);
        assert_rv(sym_sign(s, &g, hmac_key, msg, sizeof(msg), 0, out, &n), CKR_OK);
        assert_bytes(out, n, want, glen);
        assert_rv(sym_verify(s, &g, hmac_key, msg, sizeof(msg), 0, want, glen), CKR_OK);
        assert_rv(sym_verify(s, &g, hmac_key, msg, sizeof(msg), 0, want, wl),
                  CKR_SIGNATURE_LEN_RANGE);
    }
}

static int group_setup(void **state)
{
    api_setup(state);
    srand(1);
    s = api_user_session(api_new_token(TOKEN_LABEL, true));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(RAND_bytes(aes_val[i], (int)aes_len[i]), 1);
        aes[i] = sym_key(s, CKK_AES, aes_val[i], aes_len[i]);
    }
    assert_int_equal(RAND_bytes(hmac_val, sizeof(hmac_val)), 1);
    hmac_key = sym_key(s, CKK_GENERIC_SECRET, hmac_val, sizeof(hmac_val));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes_match_openssl),
        cmocka_unit_test(test_aead_match_openssl),
        cmocka_unit_test(test_key_wrap_pad),
        cmocka_unit_test(test_hmac_sha3_and_sha2_general),
    };

    return cmocka_run_group_tests(tests, group_setup, api_teardown);
}
