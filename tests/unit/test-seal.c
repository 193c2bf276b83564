/* Unit tests of master key wrapping and blob sealing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ossl.h"
#include "seal.h"
#include "secmem.h"

#define ITER 1000
#define PIN  ((const CK_UTF8CHAR *)"123456")

static const unsigned char mk_fixed[TSR_MASTER_KEY_LEN] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};

static void test_new_master(void **state)
{
    unsigned char a[TSR_MASTER_KEY_LEN], b[TSR_MASTER_KEY_LEN];

    (void)state;
    assert_int_equal(tsr_seal_new_master(a), CKR_OK);
    assert_int_equal(tsr_seal_new_master(b), CKR_OK);
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_wrap_roundtrip(void **state)
{
    unsigned char *blob = NULL, *blob2 = NULL;
    size_t len = 0, len2 = 0;
    unsigned char mk[TSR_MASTER_KEY_LEN];

    (void)state;
    assert_int_equal(tsr_seal_wrap_master(mk_fixed, PIN, 6, ITER, &blob, &len), CKR_OK);
    assert_int_equal(len, 81);
    assert_int_equal(blob[0], 1);                               /* version */
    assert_memory_equal(blob + 1, "\x00\x00\x03\xe8", 4);       /* 1000, big-endian */
    assert_null(memmem(blob, len, mk_fixed, sizeof(mk_fixed))); /* not in clear */
    assert_int_equal(tsr_seal_unwrap_master(blob, len, PIN, 6, mk), CKR_OK);
    assert_memory_equal(mk, mk_fixed, sizeof(mk));
    /* Fresh salt and nonce each time. */
    assert_int_equal(tsr_seal_wrap_master(mk_fixed, PIN, 6, ITER, &blob2, &len2), CKR_OK);
    assert_memory_not_equal(blob + 5, blob2 + 5, len - 5);
    free(blob);
    free(blob2);
}

/* The blob is exactly what seal.h documents: anyone with the PIN can open it
 * with stock PBKDF2 and AES-GCM. */
static void test_wrap_format(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    unsigned char kek[32], out[32];
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0;

    (void)state;
    assert_int_equal(tsr_seal_wrap_master(mk_fixed, PIN, 6, ITER, &blob, &len), CKR_OK);
    assert_int_equal(PKCS5_PBKDF2_HMAC("123456", 6, blob + 5, 16, ITER, EVP_sha256(), 32, kek), 1);
    assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, kek, blob + 21), 1);
    assert_int_equal(EVP_DecryptUpdate(c, NULL, &outl, blob, 21), 1);
    assert_int_equal(EVP_DecryptUpdate(c, out, &outl, blob + 33, 32), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, blob + 65), 1);
    assert_int_equal(EVP_DecryptFinal_ex(c, out + outl, &outl), 1);
    assert_memory_equal(out, mk_fixed, 32);
    EVP_CIPHER_CTX_free(c);
    free(blob);
}

static void test_wrong_pin(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    unsigned char mk[TSR_MASTER_KEY_LEN];

    (void)state;
    memset(mk, 0xa5, sizeof(mk));
    assert_int_equal(tsr_seal_wrap_master(mk_fixed, PIN, 6, ITER, &blob, &len), CKR_OK);
    assert_int_equal(tsr_seal_unwrap_master(blob, len, (const CK_UTF8CHAR *)"123457", 6, mk),
                     CKR_PIN_INCORRECT);
    assert_int_equal(tsr_seal_unwrap_master(blob, len, PIN, 5, mk), CKR_PIN_INCORRECT);
    assert_int_equal(tsr_seal_unwrap_master(blob, len, NULL, 0, mk), CKR_PIN_INCORRECT);
    for (size_t i = 0; i < sizeof(mk); i++)
        assert_int_equal(mk[i], 0xa5); /* untouched */
    free(blob);
}

static void test_empty_pin(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    unsigned char mk[TSR_MASTER_KEY_LEN];

    (void)state;
    assert_int_equal(tsr_seal_wrap_master(mk_fixed, NULL, 0, ITER, &blob, &len), CKR_OK);
    assert_int_equal(tsr_seal_unwrap_master(blob, len, NULL, 0, mk), CKR_OK);
    assert_memory_equal(mk, mk_fixed, sizeof(mk));
    assert_int_equal(tsr_seal_unwrap_master(blob, len, PIN, 6, mk), CKR_PIN_INCORRECT);
    free(blob);
}

static void test_wrap_tampered(void **state)
{
    unsigned char *blob = NULL, *bad;
    size_t len = 0, i;
    unsigned char mk[TSR_MASTER_KEY_LEN];
    CK_RV rv;

    (void)state;
    assert_int_equal(tsr_seal_wrap_master(mk_fixed, PIN, 6, ITER, &blob, &len), CKR_OK);
    bad = malloc(len + 1);
    assert_non_null(bad);
    /* Every byte matters: the header is additional data, the rest is GCM. */
    for (i = 0; i < len; i++) {
        memcpy(bad, blob, len);
        bad[i] ^= 0x01;
        rv = tsr_seal_unwrap_master(bad, len, PIN, 6, mk);
        if (i == 0 || i == 1) /* version, or an absurd iteration count */
            assert_int_equal(rv, CKR_DEVICE_ERROR);
        else
            assert_int_equal(rv, CKR_PIN_INCORRECT);
    }
    /* Wrong lengths and versions are malformed, not a wrong PIN. */
    for (i = 0; i < len; i++)
        assert_int_equal(tsr_seal_unwrap_master(blob, i, PIN, 6, mk), CKR_DEVICE_ERROR);
    memcpy(bad, blob, len);
    bad[len] = 0;
    assert_int_equal(tsr_seal_unwrap_master(bad, len + 1, PIN, 6, mk), CKR_DEVICE_ERROR);
    bad[0] = 2;
    assert_int_equal(tsr_seal_unwrap_master(bad, len, PIN, 6, mk), CKR_DEVICE_ERROR);
    memcpy(bad, blob, len);
    memset(bad + 1, 0, 4); /* zero iterations */
    assert_int_equal(tsr_seal_unwrap_master(bad, len, PIN, 6, mk), CKR_DEVICE_ERROR);
    assert_int_equal(tsr_seal_unwrap_master(NULL, 0, PIN, 6, mk), CKR_DEVICE_ERROR);
    free(bad);
    free(blob);
}

static void test_wrap_bad_args(void **state)
{
    unsigned char *blob = (unsigned char *)1;
    size_t len = 1;

    (void)state;
    assert_int_equal(tsr_seal_wrap_master(mk_fixed, PIN, 6, 0, &blob, &len), CKR_ARGUMENTS_BAD);
    assert_null(blob);
    assert_int_equal(len, 0);
    assert_int_equal(
        tsr_seal_wrap_master(mk_fixed, PIN, 6, TSR_SEAL_MAX_ITERATIONS + 1, &blob, &len),
        CKR_ARGUMENTS_BAD);
}

static void test_seal_roundtrip(void **state)
{
    static const unsigned char msg[] = "private key attributes";
    unsigned char *ct = NULL, *ct2 = NULL, *pt = NULL;
    size_t ct_len = 0, ct2_len = 0, pt_len = 0;

    (void)state;
    assert_int_equal(tsr_seal(mk_fixed, 7, msg, sizeof(msg), &ct, &ct_len), CKR_OK);
    assert_int_equal(ct_len, sizeof(msg) + 28);
    assert_null(memmem(ct, ct_len, msg, sizeof(msg)));
    assert_int_equal(tsr_unseal(mk_fixed, 7, ct, ct_len, &pt, &pt_len), CKR_OK);
    assert_int_equal(pt_len, sizeof(msg));
    assert_memory_equal(pt, msg, sizeof(msg));
    tsr_free_secret(pt, pt_len);
    /* Random nonce: the same input seals differently. */
    assert_int_equal(tsr_seal(mk_fixed, 7, msg, sizeof(msg), &ct2, &ct2_len), CKR_OK);
    assert_memory_not_equal(ct, ct2, ct_len);
    free(ct);
    free(ct2);
    /* Empty plaintext. */
    assert_int_equal(tsr_seal(mk_fixed, 1, NULL, 0, &ct, &ct_len), CKR_OK);
    assert_int_equal(ct_len, 28);
    assert_int_equal(tsr_unseal(mk_fixed, 1, ct, ct_len, &pt, &pt_len), CKR_OK);
    assert_non_null(pt);
    assert_int_equal(pt_len, 0);
    tsr_free_secret(pt, pt_len);
    free(ct);
}

static void test_unseal_wrong(void **state)
{
    static const unsigned char msg[] = "secret";
    unsigned char *ct = NULL, *pt = (unsigned char *)1, *bad;
    size_t ct_len = 0, pt_len = 1, i;
    unsigned char other[TSR_MASTER_KEY_LEN];

    (void)state;
    assert_int_equal(tsr_seal(mk_fixed, 42, msg, sizeof(msg), &ct, &ct_len), CKR_OK);
    /* Another row's id, another key. */
    assert_int_equal(tsr_unseal(mk_fixed, 43, ct, ct_len, &pt, &pt_len), CKR_DEVICE_ERROR);
    assert_null(pt);
    assert_int_equal(pt_len, 0);
    assert_int_equal(tsr_unseal(mk_fixed, (uint64_t)42 << 32, ct, ct_len, &pt, &pt_len),
                     CKR_DEVICE_ERROR);
    memcpy(other, mk_fixed, sizeof(other));
    other[31] ^= 1;
    assert_int_equal(tsr_unseal(other, 42, ct, ct_len, &pt, &pt_len), CKR_DEVICE_ERROR);
    /* Any flipped bit. */
    bad = malloc(ct_len);
    assert_non_null(bad);
    for (i = 0; i < ct_len * 8; i++) {
        memcpy(bad, ct, ct_len);
        bad[i / 8] ^= (unsigned char)(1u << (i % 8));
        assert_int_equal(tsr_unseal(mk_fixed, 42, bad, ct_len, &pt, &pt_len), CKR_DEVICE_ERROR);
    }
    /* Truncated to any length. */
    for (i = 0; i < ct_len; i++)
        assert_int_equal(tsr_unseal(mk_fixed, 42, ct, i, &pt, &pt_len), CKR_DEVICE_ERROR);
    assert_int_equal(tsr_unseal(mk_fixed, 42, NULL, 0, &pt, &pt_len), CKR_DEVICE_ERROR);
    free(bad);
    free(ct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_master),    cmocka_unit_test(test_wrap_roundtrip),
        cmocka_unit_test(test_wrap_format),   cmocka_unit_test(test_wrong_pin),
        cmocka_unit_test(test_empty_pin),     cmocka_unit_test(test_wrap_tampered),
        cmocka_unit_test(test_wrap_bad_args), cmocka_unit_test(test_seal_roundtrip),
        cmocka_unit_test(test_unseal_wrong),
    };

    assert_int_equal(tsr_ossl_init(), CKR_OK);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
