/* The rules around the symmetric mechanisms, through the function list:
 * what C_GetMechanismInfo reports, the length protocol's corner cases (a
 * result held for a second call, decryption's bounds), wrong lengths and
 * parameters refused with the codes the specification names and the
 * operation ended, keys of the wrong type or use, CKA_ALLOWED_MECHANISMS,
 * generated keys used end to end, C_DigestKey and the dual-function calls. */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "symkit.h"

static CK_SESSION_HANDLE s;
static CK_OBJECT_HANDLE aes, hmac_key, rsa_pub, rsa_priv;
static unsigned char aes_val[32], hmac_val[32];
static const unsigned char iv16[16] = "0123456789abcdef";

#define MECH(t, p)                                                                                 \
    {                                                                                              \
        (t), (void *)(p), sizeof(*(p))                                                             \
    }

/* The operation of `kind` is no longer active. */
static void assert_ended(bool enc)
{
    unsigned char out[64];
    CK_ULONG n = sizeof(out);

    if (enc)
        assert_rv(p11->C_EncryptUpdate(s, out, 16, out, &n), CKR_OPERATION_NOT_INITIALIZED);
    else
        assert_rv(p11->C_DecryptUpdate(s, out, 16, out, &n), CKR_OPERATION_NOT_INITIALIZED);
}

static void test_mechanism_info(void **state)
{
    static const struct {
        CK_MECHANISM_TYPE type;
        CK_ULONG min, max;
        CK_FLAGS flags;
    } want[] = {
        {CKM_AES_ECB, 16, 32, CKF_ENCRYPT | CKF_DECRYPT},
        {CKM_AES_CBC_PAD, 16, 32, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP},
        {CKM_AES_CTR, 16, 32, CKF_ENCRYPT | CKF_DECRYPT},
        {CKM_AES_GCM, 16, 32, CKF_ENCRYPT | CKF_DECRYPT},
        {CKM_AES_CCM, 16, 32, CKF_ENCRYPT | CKF_DECRYPT},
        {CKM_AES_CTS, 16, 32, CKF_ENCRYPT | CKF_DECRYPT},
        {CKM_AES_KEY_WRAP, 16, 32, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP},
        {CKM_AES_KEY_WRAP_PAD, 16, 32, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP},
        {CKM_AES_KEY_WRAP_KWP, 16, 32, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP},
        {CKM_AES_CMAC, 16, 32, CKF_SIGN | CKF_VERIFY},
        {CKM_AES_CMAC_GENERAL, 16, 32, CKF_SIGN | CKF_VERIFY},
        {CKM_SHA256_HMAC, 1, 4096, CKF_SIGN | CKF_VERIFY},
        {CKM_SHA3_512_HMAC_GENERAL, 1, 4096, CKF_SIGN | CKF_VERIFY},
        {CKM_AES_KEY_GEN, 16, 32, CKF_GENERATE},
    };
    CK_SESSION_INFO si;
    CK_MECHANISM_INFO mi;

    assert_rv(p11->C_GetSessionInfo(s, &si), CKR_OK);
    for (size_t i = 0; i < COUNT(want); i++) {
        assert_rv(p11->C_GetMechanismInfo(si.slotID, want[i].type, &mi), CKR_OK);
        assert_int_equal(mi.ulMinKeySize, want[i].min);
        assert_int_equal(mi.ulMaxKeySize, want[i].max);
        assert_int_equal(mi.flags, want[i].flags);
    }
}

static void test_length_protocol(void **state)
{
    CK_MECHANISM pad = {CKM_AES_CBC_PAD, (void *)iv16, 16};
    unsigned char pt[20] = "twenty bytes of text", ct[32], out[64];
    CK_ULONG n;
    size_t len;

    assert_rv(sym_crypt(s, true, &pad, aes, pt, sizeof(pt), ct, sizeof(ct), &len), CKR_OK);
    assert_int_equal(len, 32);
    /* C_Decrypt: the bound is the input's length; a buffer the size of the
     * plaintext is enough, and the result is held when even that is short. */
    assert_rv(p11->C_DecryptInit(s, &pad, aes), CKR_OK);
    n = 0;
    assert_rv(p11->C_Decrypt(s, ct, 32, NULL, &n), CKR_OK);
    assert_int_equal(n, 32);
    n = 19;
    assert_rv(p11->C_Decrypt(s, ct, 32, out, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 20);
    assert_rv(p11->C_Decrypt(s, ct, 32, out, &n), CKR_OK);
    assert_bytes(out, n, pt, sizeof(pt));
    assert_ended(false);
    /* Updates: a NULL buffer asks and consumes nothing; CBC_PAD decryption
     * keeps the last block back for final. */
    assert_rv(p11->C_DecryptInit(s, &pad, aes), CKR_OK);
    n = 0;
    assert_rv(p11->C_DecryptUpdate(s, ct, 32, NULL, &n), CKR_OK);
    assert_int_equal(n, 16);
    n = 15;
    assert_rv(p11->C_DecryptUpdate(s, ct, 32, out, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 16);
    assert_rv(p11->C_DecryptUpdate(s, ct, 32, out, &n), CKR_OK);
    assert_int_equal(n, 16);
    n = 0;
    assert_rv(p11->C_DecryptFinal(s, NULL, &n), CKR_OK);
    assert_int_equal(n, 16);
    n = 3;
    assert_rv(p11->C_DecryptFinal(s, out + 16, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 4);
    assert_rv(p11->C_DecryptFinal(s, out + 16, &n), CKR_OK);
    assert_bytes(out, 16 + n, pt, sizeof(pt));
    assert_ended(false);
}

static void test_gcm_all_or_nothing(void **state)
{
    CK_GCM_PARAMS gp = {(CK_BYTE_PTR)iv16, 12, 96, NULL, 0, 96};
    CK_MECHANISM m = MECH(CKM_AES_GCM, &gp);
    unsigned char pt[40] = "nothing of this leaves before the tag ok", ct[64], out[64];
    CK_ULONG n = 0;
    size_t len;

    assert_rv(sym_crypt(s, true, &m, aes, pt, sizeof(pt), ct, sizeof(ct), &len), CKR_OK);
    assert_int_equal(len, 40 + 12);
    /* Decryption outputs nothing before final. */
    assert_rv(p11->C_DecryptInit(s, &m, aes), CKR_OK);
    assert_rv(p11->C_DecryptUpdate(s, ct, 30, NULL, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_rv(p11->C_DecryptUpdate(s, ct, 30, out, &n), CKR_OK);
    assert_rv(p11->C_DecryptUpdate(s, ct + 30, len - 30, out, &n), CKR_OK);
    assert_int_equal(n, 0);
    n = sizeof(out);
    assert_rv(p11->C_DecryptFinal(s, out, &n), CKR_OK);
    assert_bytes(out, n, pt, sizeof(pt));
    /* A wrong tag: CKR_ENCRYPTED_DATA_INVALID, and the operation is over. */
    ct[len - 1] ^= 1;
    assert_rv(p11->C_DecryptInit(s, &m, aes), CKR_OK);
    n = sizeof(out);
    assert_rv(p11->C_DecryptUpdate(s, ct, len, out, &n), CKR_OK);
    n = sizeof(out);
    assert_rv(p11->C_DecryptFinal(s, out, &n), CKR_ENCRYPTED_DATA_INVALID);
    assert_ended(false);
    /* Too short to hold the tag. */
    assert_rv(sym_crypt(s, false, &m, aes, ct, 11, out, sizeof(out), &len),
              CKR_ENCRYPTED_DATA_LEN_RANGE);
}

static void test_wrong_lengths(void **state)
{
    CK_MECHANISM ecb = {CKM_AES_ECB, NULL, 0}, cbc = {CKM_AES_CBC, (void *)iv16, 16},
                 pad = {CKM_AES_CBC_PAD, (void *)iv16, 16}, cts = {CKM_AES_CTS, (void *)iv16, 16},
                 kw = {CKM_AES_KEY_WRAP, NULL, 0}, kwp = {CKM_AES_KEY_WRAP_KWP, NULL, 0};
    CK_CCM_PARAMS cp = {10, (CK_BYTE_PTR)iv16, 12, NULL, 0, 16};
    CK_MECHANISM ccm = MECH(CKM_AES_CCM, &cp);
    unsigned char buf[64] = {0}, out[96];
    CK_ULONG n;
    size_t len;

    assert_rv(sym_crypt(s, true, &ecb, aes, buf, 15, out, sizeof(out), &len), CKR_DATA_LEN_RANGE);
    assert_ended(true);
    assert_rv(sym_crypt(s, false, &cbc, aes, buf, 17, out, sizeof(out), &len),
              CKR_ENCRYPTED_DATA_LEN_RANGE);
    assert_ended(false);
    assert_rv(sym_crypt(s, false, &pad, aes, buf, 0, out, sizeof(out), &len),
              CKR_ENCRYPTED_DATA_LEN_RANGE);
    assert_rv(sym_crypt(s, true, &cts, aes, buf, 15, out, sizeof(out), &len), CKR_DATA_LEN_RANGE);
    assert_rv(sym_crypt(s, true, &kw, aes, buf, 12, out, sizeof(out), &len), CKR_DATA_LEN_RANGE);
    assert_rv(sym_crypt(s, true, &kw, aes, buf, 8, out, sizeof(out), &len), CKR_DATA_LEN_RANGE);
    assert_rv(sym_crypt(s, false, &kw, aes, buf, 16, out, sizeof(out), &len),
              CKR_ENCRYPTED_DATA_LEN_RANGE);
    assert_rv(sym_crypt(s, true, &kwp, aes, buf, 0, out, sizeof(out), &len), CKR_DATA_LEN_RANGE);
    assert_rv(sym_crypt(s, true, &ccm, aes, buf, 11, out, sizeof(out), &len), CKR_DATA_LEN_RANGE);
    /* Multi-part: the leftover is found at final; CCM's excess at once. */
    assert_rv(p11->C_EncryptInit(s, &cbc, aes), CKR_OK);
    n = sizeof(out);
    assert_rv(p11->C_EncryptUpdate(s, buf, 20, out, &n), CKR_OK);
    assert_int_equal(n, 16);
    n = sizeof(out);
    assert_rv(p11->C_EncryptFinal(s, out, &n), CKR_DATA_LEN_RANGE);
    assert_ended(true);
    assert_rv(p11->C_EncryptInit(s, &ccm, aes), CKR_OK);
    n = sizeof(out);
    assert_rv(p11->C_EncryptUpdate(s, buf, 6, out, &n), CKR_OK);
    assert_rv(p11->C_EncryptUpdate(s, buf, 6, out, &n), CKR_DATA_LEN_RANGE);
    assert_ended(true);
    /* Bad padding after CBC_PAD decryption (a last block ending in 0). */
    assert_rv(sym_crypt(s, true, &cbc, aes, buf, 32, out, sizeof(out), &len), CKR_OK);
    assert_rv(sym_crypt(s, false, &pad, aes, out, 32, out + 32, 64, &len),
              CKR_ENCRYPTED_DATA_INVALID);
    assert_ended(false);
}

/* CTR: the counter is the low ulCounterBits bits; running past its end
 * would change the nonce, and is refused. */
static void test_ctr_counter_end(void **state)
{
    CK_AES_CTR_PARAMS p = {2, "nonce and ctr.\0\2"};
    CK_MECHANISM m = MECH(CKM_AES_CTR, &p);
    unsigned char buf[48] = {0}, out[64];
    CK_ULONG n;
    size_t len;

    /* Counter 2 of 0..3: two blocks left. */
    assert_rv(sym_crypt(s, true, &m, aes, buf, 32, out, sizeof(out), &len), CKR_OK);
    assert_rv(sym_crypt(s, true, &m, aes, buf, 33, out, sizeof(out), &len), CKR_DATA_LEN_RANGE);
    assert_rv(p11->C_EncryptInit(s, &m, aes), CKR_OK);
    n = sizeof(out);
    assert_rv(p11->C_EncryptUpdate(s, buf, 31, out, &n), CKR_OK);
    assert_rv(p11->C_EncryptUpdate(s, buf, 1, out, &n), CKR_OK);
    assert_rv(p11->C_EncryptUpdate(s, buf, 1, out, &n), CKR_DATA_LEN_RANGE);
    assert_ended(true);
    p.ulCounterBits = 128; /* the whole block counts: no end in sight */
    assert_rv(sym_crypt(s, true, &m, aes, buf, 48, out, sizeof(out), &len), CKR_OK);
}

static void test_bad_parameters(void **state)
{
    CK_GCM_PARAMS gp = {(CK_BYTE_PTR)iv16, 12, 96, NULL, 0, 128};
    CK_CCM_PARAMS cp = {16, (CK_BYTE_PTR)iv16, 13, NULL, 0, 16};
    CK_AES_CTR_PARAMS ctr = {0, {0}};
    CK_MAC_GENERAL_PARAMS glen = 0;
    unsigned char big[300] = {0};
    const struct {
        CK_MECHANISM m;
        CK_ULONG *field; /* set to `value` first, NULL for none */
        CK_ULONG value;
        bool sign;
    } bad[] = {
        {{CKM_AES_CBC, (void *)iv16, 15}, NULL, 0, false},
        {{CKM_AES_CBC, NULL, 0}, NULL, 0, false},
        {{CKM_AES_ECB, (void *)iv16, 16}, NULL, 0, false},
        {{CKM_AES_CTS, (void *)iv16, 8}, NULL, 0, false},
        {MECH(CKM_AES_GCM, &gp), &gp.ulTagBits, 0, false},
        {MECH(CKM_AES_GCM, &gp), &gp.ulTagBits, 130, false},
        {MECH(CKM_AES_GCM, &gp), &gp.ulTagBits, 100, false},
        {MECH(CKM_AES_GCM, &gp), &gp.ulIvLen, 0, false},
        {MECH(CKM_AES_GCM, &gp), &gp.ulIvLen, 300, false},
        {MECH(CKM_AES_GCM, &gp), &gp.ulAADLen, 5, false}, /* AAD NULL */
        {{CKM_AES_GCM, &gp, sizeof(gp) - 1}, NULL, 0, false},
        {MECH(CKM_AES_CCM, &cp), &cp.ulNonceLen, 6, false},
        {MECH(CKM_AES_CCM, &cp), &cp.ulNonceLen, 14, false},
        {MECH(CKM_AES_CCM, &cp), &cp.ulMACLen, 5, false},
        {MECH(CKM_AES_CCM, &cp), &cp.ulMACLen, 18, false},
        {MECH(CKM_AES_CTR, &ctr), &ctr.ulCounterBits, 0, false},
        {MECH(CKM_AES_CTR, &ctr), &ctr.ulCounterBits, 129, false},
        {{CKM_AES_KEY_WRAP, (void *)iv16, 4}, NULL, 0, false},
        {{CKM_AES_KEY_WRAP_KWP, (void *)iv16, 8}, NULL, 0, false},
        {MECH(CKM_SHA256_HMAC_GENERAL, &glen), &glen, 0, true},
        {MECH(CKM_SHA256_HMAC_GENERAL, &glen), &glen, 33, true},
        {MECH(CKM_AES_CMAC_GENERAL, &glen), &glen, 17, true},
        {{CKM_SHA256_HMAC, &glen, sizeof(glen)}, NULL, 0, true},
    };

    gp.pIv = big;
    for (size_t i = 0; i < COUNT(bad); i++) {
        CK_MECHANISM m = bad[i].m;
        CK_OBJECT_HANDLE k = bad[i].sign && m.mechanism != CKM_AES_CMAC_GENERAL ? hmac_key : aes;

        gp = (CK_GCM_PARAMS){big, 12, 96, NULL, 0, 128};
        cp = (CK_CCM_PARAMS){16, (CK_BYTE_PTR)iv16, 13, NULL, 0, 16};
        ctr.ulCounterBits = 128;
        glen = 16;
        if (bad[i].field != NULL)
            *bad[i].field = bad[i].value;
        if (bad[i].sign) {
            assert_rv(p11->C_SignInit(s, &m, k), CKR_MECHANISM_PARAM_INVALID);
        } else {
            assert_rv(p11->C_EncryptInit(s, &m, k), CKR_MECHANISM_PARAM_INVALID);
            assert_rv(p11->C_DecryptInit(s, &m, k), CKR_MECHANISM_PARAM_INVALID);
        }
    }
}

static void test_wrong_keys(void **state)
{
    CK_MECHANISM cbc = {CKM_AES_CBC, (void *)iv16, 16}, hmac = {CKM_SHA256_HMAC, NULL, 0},
                 cmac = {CKM_AES_CMAC, NULL, 0};
    CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ATTRIBUTE no_encrypt[] = {
        ATTR_VAR(CKA_CLASS, klass),      ATTR_VAR(CKA_KEY_TYPE, kt),
        {CKA_VALUE, aes_val, 16},        ATTR_VAR(CKA_ENCRYPT, api_false),
        ATTR_VAR(CKA_DECRYPT, api_true), ATTR_VAR(CKA_TOKEN, api_false),
    };
    CK_OBJECT_HANDLE k;

    assert_rv(p11->C_EncryptInit(s, &cbc, rsa_pub), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(p11->C_DecryptInit(s, &cbc, rsa_priv), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(p11->C_EncryptInit(s, &cbc, hmac_key), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(p11->C_SignInit(s, &hmac, aes), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(p11->C_SignInit(s, &cmac, hmac_key), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(p11->C_SignInit(s, &hmac, rsa_priv), CKR_KEY_TYPE_INCONSISTENT);
    assert_rv(p11->C_EncryptInit(s, &cbc, 0x7fff), CKR_KEY_HANDLE_INVALID);
    assert_rv(p11->C_CreateObject(s, no_encrypt, COUNT(no_encrypt), &k), CKR_OK);
    assert_rv(p11->C_EncryptInit(s, &cbc, k), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_rv(p11->C_DecryptInit(s, &cbc, k), CKR_OK);
    /* A NULL mechanism cancels. */
    assert_rv(p11->C_DecryptInit(s, NULL, k), CKR_OK);
    assert_ended(false);
    assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
}

static void test_allowed_mechanisms(void **state)
{
    CK_MECHANISM_TYPE allowed[] = {CKM_AES_GCM, CKM_AES_CMAC};
    CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, klass),
        ATTR_VAR(CKA_KEY_TYPE, kt),
        {CKA_VALUE, aes_val, 32},
        ATTR_VAR(CKA_ENCRYPT, api_true),
        ATTR_VAR(CKA_SIGN, api_true),
        ATTR_VAR(CKA_TOKEN, api_false),
        {CKA_ALLOWED_MECHANISMS, allowed, sizeof(allowed)},
    };
    CK_GCM_PARAMS gp = {(CK_BYTE_PTR)iv16, 12, 96, NULL, 0, 128};
    CK_MECHANISM gcm = MECH(CKM_AES_GCM, &gp), cbc = {CKM_AES_CBC, (void *)iv16, 16},
                 cmac = {CKM_AES_CMAC, NULL, 0}, cmacg = {CKM_AES_CMAC_GENERAL, NULL, 0};
    CK_OBJECT_HANDLE k;

    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &k), CKR_OK);
    assert_rv(p11->C_EncryptInit(s, &cbc, k), CKR_MECHANISM_INVALID);
    assert_rv(p11->C_SignInit(s, &cmacg, k), CKR_MECHANISM_INVALID);
    assert_rv(p11->C_EncryptInit(s, &gcm, k), CKR_OK);
    assert_rv(p11->C_EncryptInit(s, NULL, k), CKR_OK);
    assert_rv(p11->C_SignInit(s, &cmac, k), CKR_OK);
    assert_rv(p11->C_SignInit(s, NULL, k), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
}

/* Generated secret keys, session and token objects, used at once and from
 * another session. */
static void test_generated_keys(void **state)
{
    CK_MECHANISM gen = {CKM_AES_KEY_GEN, NULL, 0}, ggen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_GCM_PARAMS gp = {(CK_BYTE_PTR)iv16, 12, 96, NULL, 0, 128};
    CK_MECHANISM gcm = MECH(CKM_AES_GCM, &gp), hmac = {CKM_SHA512_HMAC, NULL, 0};
    unsigned char pt[33] = "a secret kept by a generated key", ct[64], out[64];
    CK_ULONG lens[] = {16, 24, 32}, len;
    CK_BBOOL token;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_VALUE_LEN, len),    ATTR_VAR(CKA_TOKEN, token),
        ATTR_STR(CKA_LABEL, "gen"),      ATTR_VAR(CKA_ENCRYPT, api_true),
        ATTR_VAR(CKA_DECRYPT, api_true), ATTR_VAR(CKA_SIGN, api_true),
        ATTR_VAR(CKA_VERIFY, api_true),
    };
    CK_ATTRIBUTE find[] = {ATTR_STR(CKA_LABEL, "gen")};
    CK_OBJECT_HANDLE k, found[4];
    CK_SESSION_HANDLE s2;
    CK_SESSION_INFO si;
    size_t n, cl;

    assert_rv(p11->C_GetSessionInfo(s, &si), CKR_OK);
    for (size_t i = 0; i < COUNT(lens); i++) {
        for (int tok = 0; tok < 2; tok++) {
            len = lens[i];
            token = tok ? CK_TRUE : CK_FALSE;
            assert_rv(p11->C_GenerateKey(s, &gen, t, COUNT(t), &k), CKR_OK);
            assert_int_equal(api_get_ulong(s, k, CKA_KEY_TYPE), CKK_AES);
            assert_int_equal(api_get_ulong(s, k, CKA_VALUE_LEN), len);
            assert_rv(sym_crypt(s, true, &gcm, k, pt, sizeof(pt), ct, sizeof(ct), &cl), CKR_OK);
            /* Another session sees the key (NSS expects that) and decrypts. */
            s2 = api_open(si.slotID, false);
            assert_int_equal(api_find(s2, find, COUNT(find), found, COUNT(found)), 1);
            assert_rv(sym_crypt_parts(s2, false, &gcm, found[0], ct, cl, 10, out, sizeof(out), &n),
                      CKR_OK);
            assert_bytes(out, n, pt, sizeof(pt));
            assert_rv(p11->C_CloseSession(s2), CKR_OK);
            assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
        }
    }
    len = 7;
    assert_rv(p11->C_GenerateKey(s, &gen, t, COUNT(t), &k), CKR_ATTRIBUTE_VALUE_INVALID);
    len = 64;
    token = CK_FALSE;
    assert_rv(p11->C_GenerateKey(s, &ggen, t, COUNT(t), &k), CKR_OK);
    assert_int_equal(api_get_ulong(s, k, CKA_KEY_TYPE), CKK_GENERIC_SECRET);
    assert_rv(sym_sign(s, &hmac, k, pt, sizeof(pt), 4, out, &n), CKR_OK);
    assert_int_equal(n, 64);
    assert_rv(sym_verify(s, &hmac, k, pt, sizeof(pt), 0, out, n), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
}

/* C_DigestKey feeds a secret key's value into the running digest. */
static void test_digest_key(void **state)
{
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
    unsigned char buf[3 + 32] = "abc", want[32], out[32];
    unsigned int wl = 0;
    CK_ULONG n = sizeof(out);

    memcpy(buf + 3, aes_val, 32);
    assert_int_equal(EVP_Digest(buf, sizeof(buf), want, &wl, EVP_sha256(), NULL), 1);
    assert_rv(p11->C_DigestKey(s, aes), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_DigestInit(s, &sha), CKR_OK);
    assert_rv(p11->C_DigestUpdate(s, buf, 3), CKR_OK);
    assert_rv(p11->C_DigestKey(s, aes), CKR_OK);
    assert_rv(p11->C_DigestFinal(s, out, &n), CKR_OK);
    assert_bytes(out, n, want, wl);
    /* Only a secret key can be digested. */
    assert_rv(p11->C_DigestInit(s, &sha), CKR_OK);
    assert_rv(p11->C_DigestKey(s, rsa_pub), CKR_KEY_INDIGESTIBLE);
    assert_rv(p11->C_DigestKey(s, 0x7fff), CKR_KEY_HANDLE_INVALID);
    assert_rv(p11->C_DigestInit(s, NULL), CKR_OK);
}

typedef CK_RV (*dual_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);

/* Runs `fn` over `in` in parts of 7, asking each part's size first (which
 * must not feed the other operation); returns the output's length. */
static size_t dual_parts(dual_fn fn, const unsigned char *in, size_t len, unsigned char *out)
{
    size_t total = 0;

    for (size_t off = 0; off < len; off += 7) {
        CK_ULONG piece = len - off < 7 ? len - off : 7, n = 0;

        assert_rv(fn(s, (CK_BYTE_PTR)in + off, piece, NULL, &n), CKR_OK);
        assert_rv(fn(s, (CK_BYTE_PTR)in + off, piece, out + total, &n), CKR_OK);
        total += n;
    }
    return total;
}

/* Finishes an encryption begun by a dual function: the ciphertext's length. */
static size_t encrypt_final(unsigned char *ct, size_t cl, size_t cap)
{
    CK_ULONG n = cap - cl;

    assert_rv(p11->C_EncryptFinal(s, ct + cl, &n), CKR_OK);
    return cl + n;
}

/* Finishes a decryption begun by a dual function, giving the last part to
 * the partner operation as the application must (5.17.2). */
static size_t decrypt_final(unsigned char *out, size_t len, size_t cap,
                            CK_RV (*partner)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG))
{
    CK_ULONG n = cap - len;

    assert_rv(p11->C_DecryptFinal(s, out + len, &n), CKR_OK);
    assert_rv(partner(s, out + len, n), CKR_OK);
    return len + n;
}

static void test_dual_digest(void **state)
{
    CK_MECHANISM pad = {CKM_AES_CBC_PAD, (void *)iv16, 16}, sha = {CKM_SHA384, NULL, 0};
    unsigned char pt[50], ct[80], out[80], want[64], got[64];
    CK_ULONG gl = sizeof(got);
    size_t cl, len, wl;

    assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);
    assert_rv(sym_digest(s, CKM_SHA384, pt, sizeof(pt), 0, want, &wl), CKR_OK);
    /* Digest and encrypt: the same as each alone. */
    assert_rv(p11->C_DigestInit(s, &sha), CKR_OK);
    assert_rv(p11->C_EncryptInit(s, &pad, aes), CKR_OK);
    cl = encrypt_final(ct, dual_parts(p11->C_DigestEncryptUpdate, pt, sizeof(pt), ct), sizeof(ct));
    assert_rv(p11->C_DigestFinal(s, got, &gl), CKR_OK);
    assert_bytes(got, gl, want, wl);
    assert_rv(sym_crypt(s, false, &pad, aes, ct, cl, out, sizeof(out), &len), CKR_OK);
    assert_bytes(out, len, pt, sizeof(pt));
    /* Decrypt and digest: the digest gets what comes out. */
    assert_rv(p11->C_DecryptInit(s, &pad, aes), CKR_OK);
    assert_rv(p11->C_DigestInit(s, &sha), CKR_OK);
    len = dual_parts(p11->C_DecryptDigestUpdate, ct, cl, out);
    len = decrypt_final(out, len, sizeof(out), p11->C_DigestUpdate);
    assert_bytes(out, len, pt, sizeof(pt));
    gl = sizeof(got);
    assert_rv(p11->C_DigestFinal(s, got, &gl), CKR_OK);
    assert_bytes(got, gl, want, wl);
}

static void test_dual_sign(void **state)
{
    CK_MECHANISM pad = {CKM_AES_CBC_PAD, (void *)iv16, 16}, sha = {CKM_SHA384, NULL, 0},
                 hmac = {CKM_SHA256_HMAC, NULL, 0};
    unsigned char pt[50], ct[80], out[80], mac[32], got[32];
    CK_ULONG gl = sizeof(got), n = sizeof(out);
    size_t cl, len, ml;

    assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);
    assert_rv(sym_sign(s, &hmac, hmac_key, pt, sizeof(pt), 0, mac, &ml), CKR_OK);
    /* Sign and encrypt, then decrypt and verify. */
    assert_rv(p11->C_SignInit(s, &hmac, hmac_key), CKR_OK);
    assert_rv(p11->C_EncryptInit(s, &pad, aes), CKR_OK);
    cl = encrypt_final(ct, dual_parts(p11->C_SignEncryptUpdate, pt, sizeof(pt), ct), sizeof(ct));
    assert_rv(p11->C_SignFinal(s, got, &gl), CKR_OK);
    assert_bytes(got, gl, mac, ml);
    assert_rv(p11->C_DecryptInit(s, &pad, aes), CKR_OK);
    assert_rv(p11->C_VerifyInit(s, &hmac, hmac_key), CKR_OK);
    len = dual_parts(p11->C_DecryptVerifyUpdate, ct, cl, out);
    len = decrypt_final(out, len, sizeof(out), p11->C_VerifyUpdate);
    assert_bytes(out, len, pt, sizeof(pt));
    assert_rv(p11->C_VerifyFinal(s, mac, ml), CKR_OK);
    /* Both operations must be active; a failure ends both. */
    assert_rv(p11->C_EncryptInit(s, &pad, aes), CKR_OK);
    assert_rv(p11->C_DigestEncryptUpdate(s, pt, 16, out, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_rv(p11->C_DigestInit(s, &sha), CKR_OK);
    assert_rv(p11->C_DigestEncryptUpdate(s, pt, 16, out, NULL), CKR_ARGUMENTS_BAD);
    assert_ended(true);
    assert_rv(p11->C_DigestUpdate(s, pt, 1), CKR_OPERATION_NOT_INITIALIZED);
}

static void make_rsa(void)
{
    CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG bits = 1024;
    CK_ATTRIBUTE pub[] = {ATTR_VAR(CKA_MODULUS_BITS, bits), ATTR_VAR(CKA_ENCRYPT, api_true),
                          ATTR_VAR(CKA_TOKEN, api_false)};
    CK_ATTRIBUTE priv[] = {ATTR_VAR(CKA_DECRYPT, api_true), ATTR_VAR(CKA_SIGN, api_true),
                           ATTR_VAR(CKA_TOKEN, api_false)};

    assert_rv(
        p11->C_GenerateKeyPair(s, &gen, pub, COUNT(pub), priv, COUNT(priv), &rsa_pub, &rsa_priv),
        CKR_OK);
}

static int group_setup(void **state)
{
    api_setup(state);
    s = api_user_session(api_new_token(TOKEN_LABEL, true));
    assert_int_equal(RAND_bytes(aes_val, sizeof(aes_val)), 1);
    assert_int_equal(RAND_bytes(hmac_val, sizeof(hmac_val)), 1);
    aes = sym_key(s, CKK_AES, aes_val, sizeof(aes_val));
    hmac_key = sym_key(s, CKK_GENERIC_SECRET, hmac_val, sizeof(hmac_val));
    make_rsa();
    return 0;
}

/* ---- keyed contexts kept between operations ---- */

/* AES-256-GCM by OpenSSL alone: ciphertext then a 16-byte tag. */
static void ref_gcm(const unsigned char *key, const unsigned char *iv, int iv_len,
                    const unsigned char *pt, int len, unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;

    assert_non_null(c);
    assert_true(EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), NULL, NULL, NULL));
    assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, iv_len, NULL) > 0);
    assert_true(EVP_EncryptInit_ex2(c, NULL, key, iv, NULL));
    assert_true(EVP_EncryptUpdate(c, out, &n, pt, len));
    assert_true(EVP_EncryptFinal_ex(c, out + n, &m));
    assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + n + m) > 0);
    EVP_CIPHER_CTX_free(c);
}

static void ref_hmac(const unsigned char *key, const unsigned char *in, size_t len,
                     unsigned char out[32])
{
    size_t n = 0;

    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 32, in, len, out, 32, &n));
    assert_int_equal(n, 32);
}

/* One session alternates keys, IVs, IV lengths and directions, cancels and
 * fails operations halfway: every result is still the one OpenSSL computes
 * afresh, so a context kept from an earlier operation (warm.h) never carries
 * its key, IV, padding or partial state into the next. */
static void test_kept_contexts(void **state)
{
    unsigned char other_val[32], pt[100], ct[128], out[128], want[128], mac[32], want_mac[32];
    CK_OBJECT_HANDLE other, other_mac;
    CK_GCM_PARAMS gp = {(CK_BYTE_PTR)iv16, 12, 96, NULL, 0, 128};
    CK_MECHANISM gcm = MECH(CKM_AES_GCM, &gp);
    CK_MECHANISM cbc = {CKM_AES_CBC_PAD, (void *)iv16, 16};
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_ULONG n;
    size_t len;

    assert_true(RAND_bytes(other_val, sizeof(other_val)) == 1);
    assert_true(RAND_bytes(pt, sizeof(pt)) == 1);
    other = sym_key(s, CKK_AES, other_val, sizeof(other_val));
    other_mac = sym_key(s, CKK_GENERIC_SECRET, other_val, sizeof(other_val));
    for (int round = 0; round < 3; round++) {
        CK_OBJECT_HANDLE k = round == 1 ? other : aes;
        const unsigned char *kv = round == 1 ? other_val : aes_val;

        /* GCM with a 12-byte, then a 16-byte IV, each checked and decrypted. */
        for (int iv_len = 12; iv_len <= 16; iv_len += 4) {
            gp.ulIvLen = (CK_ULONG)iv_len;
            gp.ulIvBits = (CK_ULONG)iv_len * 8;
            ref_gcm(kv, iv16, iv_len, pt, (int)sizeof(pt), want);
            assert_rv(sym_crypt(s, true, &gcm, k, pt, sizeof(pt), ct, sizeof(ct), &len), CKR_OK);
            assert_bytes(ct, len, want, sizeof(pt) + 16);
            assert_rv(sym_crypt(s, false, &gcm, k, ct, len, out, sizeof(out), &len), CKR_OK);
            assert_bytes(out, len, pt, sizeof(pt));
        }
        /* An encryption cancelled halfway, a decryption with a bad tag. */
        assert_rv(p11->C_EncryptInit(s, &gcm, k), CKR_OK);
        n = sizeof(out);
        assert_rv(p11->C_EncryptUpdate(s, pt, 33, out, &n), CKR_OK);
        assert_rv(p11->C_EncryptInit(s, NULL, k), CKR_OK);
        ct[0] ^= 1;
        assert_rv(sym_crypt(s, false, &gcm, k, ct, sizeof(pt) + 16, out, sizeof(out), &len),
                  CKR_ENCRYPTED_DATA_INVALID);
        ct[0] ^= 1;
        assert_rv(sym_crypt(s, true, &gcm, k, pt, sizeof(pt), ct, sizeof(ct), &len), CKR_OK);
        assert_bytes(ct, len, want, sizeof(pt) + 16);

        /* CBC_PAD: encryption pads, decryption unpads, in turn. */
        assert_rv(sym_crypt(s, true, &cbc, k, pt, 37, ct, sizeof(ct), &len), CKR_OK);
        assert_int_equal(len, 48);
        assert_rv(sym_crypt(s, false, &cbc, k, ct, len, out, sizeof(out), &len), CKR_OK);
        assert_bytes(out, len, pt, 37);
        assert_rv(sym_crypt_parts(s, true, &cbc, k, pt, 37, 5, out, sizeof(out), &len), CKR_OK);
        assert_bytes(out, len, ct, 48);
    }
    /* HMAC: keys in turn, a signature abandoned after an update. */
    for (int round = 0; round < 3; round++) {
        CK_OBJECT_HANDLE k = round == 1 ? other_mac : hmac_key;
        const unsigned char *kv = round == 1 ? other_val : hmac_val;
        size_t cut = 10 + (size_t)round;

        ref_hmac(kv, pt, cut, want_mac);
        assert_rv(sym_sign(s, &hmac, k, pt, cut, 0, mac, &len), CKR_OK);
        assert_bytes(mac, len, want_mac, 32);
        assert_rv(p11->C_SignInit(s, &hmac, k), CKR_OK);
        assert_rv(p11->C_SignUpdate(s, pt, 50), CKR_OK);
        assert_rv(p11->C_SignInit(s, NULL, k), CKR_OK);
        assert_rv(sym_sign(s, &hmac, k, pt, cut, 3, mac, &len), CKR_OK);
        assert_bytes(mac, len, want_mac, 32);
        assert_rv(sym_verify(s, &hmac, k, pt, cut, 0, want_mac, 32), CKR_OK);
    }
    /* Digests: hashes in turn, one abandoned after an update. */
    for (int round = 0; round < 3; round++) {
        CK_MECHANISM_TYPE t = round == 1 ? CKM_SHA384 : CKM_SHA256;
        CK_MECHANISM dm = {t, NULL, 0};
        unsigned char want_md[64];
        unsigned int want_len = 0;

        assert_true(EVP_Digest(pt, 20 + (size_t)round, want_md, &want_len,
                               round == 1 ? EVP_sha384() : EVP_sha256(), NULL));
        assert_rv(p11->C_DigestInit(s, &dm), CKR_OK);
        assert_rv(p11->C_DigestUpdate(s, pt, 50), CKR_OK);
        assert_rv(p11->C_DigestInit(s, NULL), CKR_OK);
        assert_rv(sym_digest(s, t, pt, 20 + (size_t)round, 0, out, &len), CKR_OK);
        assert_bytes(out, len, want_md, want_len);
        assert_rv(sym_digest(s, t, pt, 20 + (size_t)round, 7, out, &len), CKR_OK);
        assert_bytes(out, len, want_md, want_len);
    }
    assert_rv(p11->C_DestroyObject(s, other), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, other_mac), CKR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mechanism_info),     cmocka_unit_test(test_length_protocol),
        cmocka_unit_test(test_gcm_all_or_nothing), cmocka_unit_test(test_wrong_lengths),
        cmocka_unit_test(test_ctr_counter_end),    cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_wrong_keys),         cmocka_unit_test(test_allowed_mechanisms),
        cmocka_unit_test(test_generated_keys),     cmocka_unit_test(test_digest_key),
        cmocka_unit_test(test_dual_digest),        cmocka_unit_test(test_dual_sign),
        cmocka_unit_test(test_kept_contexts),
    };

    return cmocka_run_group_tests(tests, group_setup, api_teardown);
}
