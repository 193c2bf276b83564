/* C_WrapKey and C_UnwrapKey through the module's function list: round
 * trips of secret keys under RSA-OAEP and RSA-PKCS, and of private keys as
 * PKCS#8 under AES-KWP, AES-KW-PAD and AES-CBC-PAD (RSA, P-256, Ed25519;
 * the copy must sign as the original), the length protocol, the rules
 * (CKA_WRAP, CKA_UNWRAP, CKA_EXTRACTABLE, CKA_WRAP_WITH_TRUSTED under a key
 * only the SO makes CKA_TRUSTED, CKA_WRAP_TEMPLATE and CKA_UNWRAP_TEMPLATE,
 * read back by the nested protocol and kept across a restart) and the
 * refusals. */
#include <stdio.h>
#include <stdlib.h>

#include "asymkit.h"

static CK_SESSION_HANDLE s;
static CK_SLOT_ID slot;
static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY, private_class = CKO_PRIVATE_KEY;
static CK_KEY_TYPE aes_type = CKK_AES;
static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

#define plain_secret(type, v, l) ak_secret(s, type, v, l)
#define assert_bytes             ak_assert_bytes

/* A token RSA pair that wraps (public) and unwraps (private). */
static CK_OBJECT_HANDLE rsa_pub, rsa_priv;

/* --- wrapping: helpers --- */

/* An AES key that wraps and unwraps. */
static CK_OBJECT_HANDLE aes_wrapper(void)
{
    CK_MECHANISM m = {CKM_AES_KEY_GEN, NULL, 0};
    CK_ULONG len = 32;
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_VALUE_LEN, len), ATTR_VAR(CKA_WRAP, api_true),
                        ATTR_VAR(CKA_UNWRAP, api_true)};
    CK_OBJECT_HANDLE h;

    assert_rv(p11->C_GenerateKey(s, &m, t, COUNT(t), &h), CKR_OK);
    return h;
}

/* The AES wrapping mechanisms are another engineer's rows: say so plainly
 * if they are not there yet. */
static void need_wrap_mechanism(CK_MECHANISM_TYPE type)
{
    CK_MECHANISM_INFO info;

    if (p11->C_GetMechanismInfo(slot, type, &info) != CKR_OK || !(info.flags & CKF_WRAP)) {
        print_message("SKIP: mechanism 0x%lx cannot wrap in this build\n", type);
        skip();
    }
}

/* C_WrapKey through the length protocol; returns a malloc'd result. */
static unsigned char *wrap(CK_MECHANISM *m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE key,
                           CK_ULONG *len)
{
    unsigned char *out;
    CK_ULONG need = 0, small;

    assert_rv(p11->C_WrapKey(s, m, wk, key, NULL, &need), CKR_OK);
    assert_true(need > 0);
    out = malloc(need);
    small = need - 1;
    assert_rv(p11->C_WrapKey(s, m, wk, key, out, &small), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(small, need);
    *len = need;
    assert_rv(p11->C_WrapKey(s, m, wk, key, out, len), CKR_OK);
    assert_true(*len <= need);
    return out;
}

static CK_RV unwrap_secret(CK_MECHANISM *m, CK_OBJECT_HANDLE uk, const unsigned char *w,
                           CK_ULONG wl, CK_KEY_TYPE type, CK_OBJECT_HANDLE *out)
{
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, secret_class), ATTR_VAR(CKA_KEY_TYPE, type),
                        ATTR_VAR(CKA_SENSITIVE, api_false)};

    return p11->C_UnwrapKey(s, m, uk, (CK_BYTE_PTR)w, wl, t, COUNT(t), out);
}

static void same_value(CK_OBJECT_HANDLE a, CK_OBJECT_HANDLE b)
{
    unsigned char *va, *vb;
    CK_ULONG la, lb;

    assert_rv(api_get_attr(s, a, CKA_VALUE, &va, &la), CKR_OK);
    assert_rv(api_get_attr(s, b, CKA_VALUE, &vb, &lb), CKR_OK);
    assert_bytes(va, la, vb, lb);
    free(va);
    free(vb);
}

/* "The new key will have CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE
 * false, CKA_EXTRACTABLE by default true, CKA_LOCAL false" (5.18.4). */
static void unwrapped_flags(CK_OBJECT_HANDLE h)
{
    assert_int_equal(api_get_bool(s, h, CKA_LOCAL), CK_FALSE);
    assert_int_equal(api_get_bool(s, h, CKA_ALWAYS_SENSITIVE), CK_FALSE);
    assert_int_equal(api_get_bool(s, h, CKA_NEVER_EXTRACTABLE), CK_FALSE);
    assert_int_equal(api_get_bool(s, h, CKA_EXTRACTABLE), CK_TRUE);
}

/* --- wrapping secret keys with RSA --- */

static void test_wrap_secret_rsa(void **state)
{
    unsigned char v[32];
    CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)}, pkcs = {CKM_RSA_PKCS, NULL, 0};
    CK_MECHANISM *mechs[] = {&oaep, &pkcs};
    CK_OBJECT_HANDLE key, back;
    unsigned char *w;
    CK_ULONG wl;

    for (size_t i = 0; i < sizeof(v); i++)
        v[i] = (unsigned char)(i * 7 + 1);
    key = plain_secret(CKK_AES, v, sizeof(v));
    for (size_t i = 0; i < COUNT(mechs); i++) {
        w = wrap(mechs[i], rsa_pub, key, &wl);
        assert_int_equal(wl, 256);
        assert_rv(unwrap_secret(mechs[i], rsa_priv, w, wl, CKK_AES, &back), CKR_OK);
        same_value(key, back);
        unwrapped_flags(back);
        assert_int_equal(api_get_ulong(s, back, CKA_VALUE_LEN), 32);
        assert_rv(p11->C_DestroyObject(s, back), CKR_OK);
        /* CKA_VALUE_LEN that disagrees with what came out. */
        {
            CK_ULONG len = 16;
            CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, secret_class), ATTR_VAR(CKA_KEY_TYPE, aes_type),
                                ATTR_VAR(CKA_VALUE_LEN, len)};

            assert_rv(p11->C_UnwrapKey(s, mechs[i], rsa_priv, w, wl, t, COUNT(t), &back),
                      CKR_WRAPPED_KEY_LEN_RANGE);
        }
        w[10] ^= 1;
        assert_rv(unwrap_secret(mechs[i], rsa_priv, w, wl, CKK_AES, &back),
                  CKR_WRAPPED_KEY_INVALID);
        assert_rv(unwrap_secret(mechs[i], rsa_priv, w, wl - 1, CKK_AES, &back),
                  CKR_WRAPPED_KEY_LEN_RANGE);
        free(w);
    }
    assert_rv(p11->C_DestroyObject(s, key), CKR_OK);
}

/* --- wrapping private keys (PKCS#8) with AES --- */

static CK_OBJECT_HANDLE pair(CK_MECHANISM_TYPE gen, const CK_BYTE *oid, size_t oid_len,
                             CK_OBJECT_HANDLE *pub)
{
    CK_MECHANISM m = {gen, NULL, 0};
    CK_ULONG bits = 2048;
    CK_ATTRIBUTE pt[] = {{CKA_EC_PARAMS, (void *)oid, oid_len}, ATTR_VAR(CKA_VERIFY, api_true)};
    CK_ATTRIBUTE rt[] = {ATTR_VAR(CKA_MODULUS_BITS, bits), ATTR_VAR(CKA_VERIFY, api_true)};
    CK_ATTRIBUTE kt[] = {ATTR_VAR(CKA_SIGN, api_true), ATTR_VAR(CKA_EXTRACTABLE, api_true)};
    CK_OBJECT_HANDLE priv;

    assert_rv(p11->C_GenerateKeyPair(s, &m, oid ? pt : rt, 2, kt, COUNT(kt), pub, &priv), CKR_OK);
    return priv;
}

static CK_ULONG sign(CK_MECHANISM_TYPE type, CK_OBJECT_HANDLE k, unsigned char *sig)
{
    CK_MECHANISM m = {type, NULL, 0};
    CK_ULONG n = 512;

    assert_rv(p11->C_SignInit(s, &m, k), CKR_OK);
    assert_rv(p11->C_Sign(s, (CK_BYTE_PTR) "message", 7, sig, &n), CKR_OK);
    return n;
}

/* Wraps `priv` with `m`, unwraps it, and checks the copy signs the same
 * (deterministic schemes) or verifiably (ECDSA). */
static void private_round_trip(CK_MECHANISM *m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE priv,
                               CK_OBJECT_HANDLE pub, CK_MECHANISM_TYPE sig_mech, bool same_sig)
{
    CK_ATTRIBUTE t[] = {ATTR_VAR(CKA_CLASS, private_class), ATTR_VAR(CKA_SIGN, api_true)};
    CK_MECHANISM vm = {sig_mech, NULL, 0};
    unsigned char s1[512], s2[512], *w;
    CK_ULONG l1, l2, wl;
    CK_OBJECT_HANDLE back;

    w = wrap(m, wk, priv, &wl);
    assert_rv(p11->C_UnwrapKey(s, m, wk, w, wl, t, COUNT(t), &back), CKR_OK);
    unwrapped_flags(back);
    assert_int_equal(api_get_ulong(s, back, CKA_KEY_TYPE), api_get_ulong(s, priv, CKA_KEY_TYPE));
    l1 = sign(sig_mech, priv, s1);
    l2 = sign(sig_mech, back, s2);
    if (same_sig)
        assert_bytes(s1, l1, s2, l2);
    assert_rv(p11->C_VerifyInit(s, &vm, pub), CKR_OK);
    assert_rv(p11->C_Verify(s, (CK_BYTE_PTR) "message", 7, s2, l2), CKR_OK);
    /* Damaged in transit: the authenticated wraps notice. */
    if (m->mechanism != CKM_AES_CBC_PAD) {
        w[wl / 2] ^= 1;
        assert_rv(p11->C_UnwrapKey(s, m, wk, w, wl, t, COUNT(t), &back), CKR_WRAPPED_KEY_INVALID);
    }
    free(w);
}

/* The template must agree with the key inside the PKCS#8. */
static void wrong_kind(CK_MECHANISM *m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE ec)
{
    static const CK_BYTE oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    CK_KEY_TYPE rsa = CKK_RSA;
    CK_ATTRIBUTE other_type[] = {ATTR_VAR(CKA_CLASS, private_class), ATTR_VAR(CKA_KEY_TYPE, rsa)};
    CK_ATTRIBUTE other_curve[] = {ATTR_VAR(CKA_CLASS, private_class),
                                  {CKA_EC_PARAMS, (void *)oid_p384, sizeof(oid_p384)}};
    CK_OBJECT_HANDLE h;
    CK_ULONG wl;
    unsigned char *w = wrap(m, wk, ec, &wl);

    assert_rv(p11->C_UnwrapKey(s, m, wk, w, wl, other_type, 2, &h), CKR_TEMPLATE_INCONSISTENT);
    assert_rv(p11->C_UnwrapKey(s, m, wk, w, wl, other_curve, 2, &h), CKR_TEMPLATE_INCONSISTENT);
    free(w);
}

static void test_wrap_private_aes(void **state)
{
    CK_BYTE iv[16] = {9};
    CK_MECHANISM kwp = {CKM_AES_KEY_WRAP_KWP, NULL, 0}, pad = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
    CK_MECHANISM cbc = {CKM_AES_CBC_PAD, iv, sizeof(iv)};
    CK_MECHANISM *mechs[] = {&kwp, &pad, &cbc};
    CK_OBJECT_HANDLE wk, rsa_pub2, rsa = pair(CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0, &rsa_pub2);
    CK_OBJECT_HANDLE ec_pub, ec = pair(CKM_EC_KEY_PAIR_GEN, oid_p256, sizeof(oid_p256), &ec_pub);
    CK_OBJECT_HANDLE ed_pub,
        ed = pair(CKM_EC_EDWARDS_KEY_PAIR_GEN, oid_ed25519, sizeof(oid_ed25519), &ed_pub);

    for (size_t i = 0; i < COUNT(mechs); i++)
        need_wrap_mechanism(mechs[i]->mechanism);
    wk = aes_wrapper();
    for (size_t i = 0; i < COUNT(mechs); i++) {
        private_round_trip(mechs[i], wk, rsa, rsa_pub2, CKM_SHA256_RSA_PKCS, true);
        private_round_trip(mechs[i], wk, ec, ec_pub, CKM_ECDSA_SHA256, false);
        private_round_trip(mechs[i], wk, ed, ed_pub, CKM_EDDSA, true);
    }
    wrong_kind(&kwp, wk, ec);
    /* A private key is wrapped with a secret key only (5.18.3). */
    {
        CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
        CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)};
        unsigned char buf[512];
        CK_ULONG n = sizeof(buf);

        assert_rv(p11->C_WrapKey(s, &oaep, rsa_pub, ec, buf, &n), CKR_KEY_NOT_WRAPPABLE);
    }
    assert_rv(p11->C_DestroyObject(s, wk), CKR_OK);
}

/* --- the rules --- */

static void test_wrap_refusals(void **state)
{
    CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)}, sig = {CKM_SHA256_RSA_PKCS, NULL, 0};
    unsigned char v[32] = {5}, big[200] = {6}, buf[512];
    CK_ULONG n = sizeof(buf);
    CK_ATTRIBUTE locked[] = {
        ATTR_VAR(CKA_CLASS, secret_class),
        ATTR_VAR(CKA_KEY_TYPE, aes_type),
        {CKA_VALUE, v, sizeof(v)},
        ATTR_VAR(CKA_EXTRACTABLE, api_false),
    };
    CK_ATTRIBUTE no_wrap[] = {ATTR_VAR(CKA_WRAP, api_false)};
    CK_OBJECT_HANDLE key = plain_secret(CKK_AES, v, sizeof(v)), unextractable, wk_copy;
    CK_OBJECT_HANDLE too_big = plain_secret(CKK_GENERIC_SECRET, big, sizeof(big));

    assert_rv(p11->C_CreateObject(s, locked, COUNT(locked), &unextractable), CKR_OK);
    assert_rv(p11->C_WrapKey(s, &oaep, rsa_pub, unextractable, buf, &n), CKR_KEY_UNEXTRACTABLE);
    assert_rv(p11->C_WrapKey(s, &oaep, rsa_pub, too_big, buf, &n), CKR_KEY_SIZE_RANGE);
    assert_rv(p11->C_WrapKey(s, &oaep, rsa_pub, rsa_pub, buf, &n), CKR_KEY_NOT_WRAPPABLE);
    assert_rv(p11->C_WrapKey(s, &sig, rsa_pub, key, buf, &n), CKR_MECHANISM_INVALID);
    assert_rv(p11->C_WrapKey(s, &oaep, 0x7777, key, buf, &n), CKR_WRAPPING_KEY_HANDLE_INVALID);
    assert_rv(p11->C_WrapKey(s, &oaep, rsa_pub, 0x7777, buf, &n), CKR_KEY_HANDLE_INVALID);
    assert_rv(p11->C_WrapKey(s, &oaep, key, key, buf, &n), CKR_KEY_FUNCTION_NOT_PERMITTED);
    p.hashAlg = CKM_MD5;
    assert_rv(p11->C_WrapKey(s, &oaep, rsa_pub, key, buf, &n), CKR_MECHANISM_PARAM_INVALID);
    /* CKA_WRAP, on a copy of the public half. */
    p.hashAlg = CKM_SHA256;
    assert_rv(p11->C_CopyObject(s, rsa_pub, no_wrap, 1, &wk_copy), CKR_OK);
    assert_rv(p11->C_WrapKey(s, &oaep, wk_copy, key, buf, &n), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_rv(p11->C_DestroyObject(s, wk_copy), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, key), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, too_big), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, unextractable), CKR_OK);
}

static void test_unwrap_refusals(void **state)
{
    CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)}, sig = {CKM_SHA256_RSA_PKCS, NULL, 0};
    unsigned char v[32] = {5};
    CK_ATTRIBUTE no_unwrap[] = {ATTR_VAR(CKA_UNWRAP, api_false)};
    CK_ATTRIBUTE secret_t[] = {ATTR_VAR(CKA_CLASS, secret_class), ATTR_VAR(CKA_KEY_TYPE, aes_type)};
    CK_ATTRIBUTE with_value[] = {
        ATTR_VAR(CKA_CLASS, secret_class), ATTR_VAR(CKA_KEY_TYPE, aes_type), {CKA_VALUE, v, 16}};
    CK_ATTRIBUTE no_type[] = {ATTR_VAR(CKA_CLASS, secret_class)};
    CK_ATTRIBUTE no_class[] = {ATTR_VAR(CKA_KEY_TYPE, aes_type)};
    CK_ATTRIBUTE as_private[] = {ATTR_VAR(CKA_CLASS, private_class)};
    CK_OBJECT_HANDLE key = plain_secret(CKK_AES, v, sizeof(v)), h, uk_copy;
    CK_ULONG wl;
    unsigned char *w = wrap(&oaep, rsa_pub, key, &wl);

    assert_rv(p11->C_UnwrapKey(s, &oaep, rsa_priv, w, wl, no_class, 1, &h),
              CKR_TEMPLATE_INCOMPLETE);
    assert_rv(p11->C_UnwrapKey(s, &oaep, rsa_priv, w, wl, no_type, 1, &h), CKR_TEMPLATE_INCOMPLETE);
    assert_rv(p11->C_UnwrapKey(s, &oaep, rsa_priv, w, wl, with_value, 3, &h),
              CKR_ATTRIBUTE_READ_ONLY);
    /* A private key is unwrapped with a secret key only, as it is wrapped. */
    assert_rv(p11->C_UnwrapKey(s, &oaep, rsa_priv, w, wl, as_private, 1, &h),
              CKR_TEMPLATE_INCONSISTENT);
    assert_rv(p11->C_UnwrapKey(s, &oaep, rsa_pub, w, wl, secret_t, 2, &h),
              CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_rv(p11->C_UnwrapKey(s, &oaep, 0x7777, w, wl, secret_t, 2, &h),
              CKR_UNWRAPPING_KEY_HANDLE_INVALID);
    assert_rv(p11->C_UnwrapKey(s, &sig, rsa_priv, w, wl, secret_t, 2, &h), CKR_MECHANISM_INVALID);
    /* CKA_UNWRAP, on a copy of the private half. */
    assert_rv(p11->C_CopyObject(s, rsa_priv, no_unwrap, 1, &uk_copy), CKR_OK);
    assert_rv(p11->C_UnwrapKey(s, &oaep, uk_copy, w, wl, secret_t, 2, &h),
              CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_rv(p11->C_DestroyObject(s, uk_copy), CKR_OK);
    free(w);
    assert_rv(p11->C_DestroyObject(s, key), CKR_OK);
}

/* CKA_WRAP_WITH_TRUSTED keys leave only under a CKA_TRUSTED wrapping key,
 * and only the SO makes a key trusted. */
static void test_wrap_with_trusted(void **state)
{
    CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)};
    CK_ATTRIBUTE trusted[] = {ATTR_VAR(CKA_TRUSTED, api_true)};
    CK_ATTRIBUTE pub_t[] = {ATTR_VAR(CKA_TOKEN, api_true), ATTR_VAR(CKA_PRIVATE, api_false),
                            ATTR_VAR(CKA_WRAP, api_true),
                            ATTR_VAR(CKA_MODULUS_BITS, (CK_ULONG){2048})};
    CK_ATTRIBUTE priv_t[] = {ATTR_VAR(CKA_UNWRAP, api_true)};
    CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    unsigned char v[16] = {7}, buf[512];
    CK_ATTRIBUTE guarded_t[] = {
        ATTR_VAR(CKA_CLASS, secret_class),
        ATTR_VAR(CKA_KEY_TYPE, aes_type),
        {CKA_VALUE, v, sizeof(v)},
        ATTR_VAR(CKA_EXTRACTABLE, api_true),
        ATTR_VAR(CKA_WRAP_WITH_TRUSTED, api_true),
    };
    CK_OBJECT_HANDLE pub, priv, guarded;
    CK_ULONG n = sizeof(buf);
    CK_SESSION_HANDLE so;

    assert_rv(
        p11->C_GenerateKeyPair(s, &gen, pub_t, COUNT(pub_t), priv_t, COUNT(priv_t), &pub, &priv),
        CKR_OK);
    assert_rv(p11->C_CreateObject(s, guarded_t, COUNT(guarded_t), &guarded), CKR_OK);
    assert_rv(p11->C_WrapKey(s, &oaep, pub, guarded, buf, &n), CKR_KEY_NOT_WRAPPABLE);
    assert_rv(p11->C_WrapKey(s, &oaep, rsa_pub, guarded, buf, &n), CKR_KEY_NOT_WRAPPABLE);
    /* The user may not trust a key; the SO may (its session sees the public half). */
    assert_rv(p11->C_SetAttributeValue(s, pub, trusted, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_rv(p11->C_DestroyObject(s, guarded), CKR_OK);
    assert_rv(p11->C_Logout(s), CKR_OK);
    so = api_open(slot, true);
    assert_rv(p11->C_Login(so, CKU_SO, PIN(SO_PIN)), CKR_OK);
    assert_rv(p11->C_SetAttributeValue(so, pub, trusted, 1), CKR_OK);
    assert_rv(p11->C_Logout(so), CKR_OK);
    assert_rv(p11->C_CloseSession(so), CKR_OK);
    assert_rv(p11->C_Login(s, CKU_USER, PIN(USER_PIN)), CKR_OK);
    assert_rv(p11->C_CreateObject(s, guarded_t, COUNT(guarded_t), &guarded), CKR_OK);
    n = sizeof(buf);
    assert_rv(p11->C_WrapKey(s, &oaep, pub, guarded, buf, &n), CKR_OK);
    assert_int_equal(n, 256);
    /* Once set, CKA_WRAP_WITH_TRUSTED stays. */
    assert_rv(p11->C_SetAttributeValue(
                  s, guarded, (CK_ATTRIBUTE[]){ATTR_VAR(CKA_WRAP_WITH_TRUSTED, api_false)}, 1),
              CKR_ATTRIBUTE_READ_ONLY);
    assert_rv(p11->C_DestroyObject(s, guarded), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, pub), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, priv), CKR_OK);
}

/* --- nested templates --- */

/* Reads a nested template by the 3.0 protocol (5.7.5) and checks it is
 * CKA_KEY_TYPE = AES and CKA_EXTRACTABLE = true, in that order. */
static void check_nested(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE which)
{
    CK_ATTRIBUTE outer = {which, NULL, 0}, inner[2];
    CK_KEY_TYPE type = 0;
    CK_BBOOL b = CK_FALSE;

    assert_rv(p11->C_GetAttributeValue(s, h, &outer, 1), CKR_OK);
    assert_int_equal(outer.ulValueLen, sizeof(inner));
    memset(inner, 0, sizeof(inner));
    outer.pValue = inner;
    outer.ulValueLen = sizeof(inner) - 1;
    assert_rv(p11->C_GetAttributeValue(s, h, &outer, 1), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(outer.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    outer.ulValueLen = sizeof(inner);
    assert_rv(p11->C_GetAttributeValue(s, h, &outer, 1), CKR_OK); /* lengths */
    assert_int_equal(inner[0].type, CKA_KEY_TYPE);
    assert_int_equal(inner[0].ulValueLen, sizeof(CK_KEY_TYPE));
    assert_int_equal(inner[1].type, CKA_EXTRACTABLE);
    assert_int_equal(inner[1].ulValueLen, sizeof(CK_BBOOL));
    inner[0].pValue = &type;
    inner[1].pValue = &b;
    inner[1].ulValueLen = 0; /* too small */
    assert_rv(p11->C_GetAttributeValue(s, h, &outer, 1), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(type, CKK_AES);
    assert_int_equal(inner[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    inner[1].ulValueLen = 1;
    assert_rv(p11->C_GetAttributeValue(s, h, &outer, 1), CKR_OK);
    assert_int_equal(b, CK_TRUE);
    assert_int_equal(outer.ulValueLen, sizeof(inner));
}

/* A wrapping key whose CKA_WRAP_TEMPLATE admits extractable AES keys and
 * whose CKA_UNWRAP_TEMPLATE makes them so.  The caller's template memory is
 * scribbled over at once: the token must have copied it. */
static CK_OBJECT_HANDLE templated_wrapper(bool token, const char *label)
{
    CK_KEY_TYPE *type = malloc(sizeof(*type));
    CK_BBOOL *yes = malloc(sizeof(*yes));
    CK_ATTRIBUTE *inner = malloc(2 * sizeof(*inner));
    unsigned char v[32] = {8};
    CK_BBOOL tok = token ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, secret_class),
        ATTR_VAR(CKA_KEY_TYPE, aes_type),
        {CKA_VALUE, v, sizeof(v)},
        ATTR_VAR(CKA_WRAP, api_true),
        ATTR_VAR(CKA_UNWRAP, api_true),
        ATTR_VAR(CKA_TOKEN, tok),
        ATTR_STR(CKA_LABEL, label),
        {CKA_WRAP_TEMPLATE, inner, 2 * sizeof(*inner)},
        {CKA_UNWRAP_TEMPLATE, inner, 2 * sizeof(*inner)},
    };
    CK_OBJECT_HANDLE h;

    *type = CKK_AES;
    *yes = CK_TRUE;
    inner[0] = (CK_ATTRIBUTE){CKA_KEY_TYPE, type, sizeof(*type)};
    inner[1] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, yes, sizeof(*yes)};
    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    memset(inner, 0xa5, 2 * sizeof(*inner));
    *type = 0xdead;
    free(type);
    free(yes);
    free(inner);
    return h;
}

/* The templates at work: wrapping checks the key, unwrapping adds to it. */
static void use_templates(CK_OBJECT_HANDLE wk)
{
    CK_MECHANISM kwp = {CKM_AES_KEY_WRAP_KWP, NULL, 0};
    unsigned char v[24] = {9}, buf[128], *w;
    CK_ULONG n = sizeof(buf), wl;
    CK_OBJECT_HANDLE aes = plain_secret(CKK_AES, v, sizeof(v));
    CK_OBJECT_HANDLE gen = plain_secret(CKK_GENERIC_SECRET, v, sizeof(v)), back;
    CK_ATTRIBUTE conflict[] = {ATTR_VAR(CKA_CLASS, secret_class), ATTR_VAR(CKA_KEY_TYPE, aes_type),
                               ATTR_VAR(CKA_EXTRACTABLE, api_false)};
    CK_ATTRIBUTE minimal[] = {ATTR_VAR(CKA_CLASS, secret_class)};

    /* "If any attribute mismatch occurs ... CKR_KEY_HANDLE_INVALID" (5.18.3). */
    assert_rv(p11->C_WrapKey(s, &kwp, wk, gen, buf, &n), CKR_KEY_HANDLE_INVALID);
    w = wrap(&kwp, wk, aes, &wl);
    assert_rv(p11->C_UnwrapKey(s, &kwp, wk, w, wl, conflict, COUNT(conflict), &back),
              CKR_TEMPLATE_INCONSISTENT);
    /* The unwrap template supplies the key type the caller left out. */
    assert_rv(p11->C_UnwrapKey(s, &kwp, wk, w, wl, minimal, COUNT(minimal), &back), CKR_OK);
    assert_int_equal(api_get_ulong(s, back, CKA_KEY_TYPE), CKK_AES);
    assert_int_equal(api_get_bool(s, back, CKA_EXTRACTABLE), CK_TRUE);
    assert_rv(p11->C_DestroyObject(s, back), CKR_OK);
    free(w);
    assert_rv(p11->C_DestroyObject(s, aes), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, gen), CKR_OK);
}

static void test_nested_templates(void **state)
{
    CK_OBJECT_HANDLE wk;
    CK_ATTRIBUTE bad_len[] = {ATTR_VAR(CKA_CLASS, secret_class),
                              ATTR_VAR(CKA_KEY_TYPE, aes_type),
                              {CKA_VALUE, "0123456789abcdef", 16},
                              {CKA_WRAP_TEMPLATE, "xyz", 3}};
    CK_ATTRIBUTE null_inner[] = {{CKA_KEY_TYPE, NULL, sizeof(CK_KEY_TYPE)}};
    CK_OBJECT_HANDLE h;

    need_wrap_mechanism(CKM_AES_KEY_WRAP_KWP);
    wk = templated_wrapper(false, "session wrapper");
    check_nested(wk, CKA_WRAP_TEMPLATE);
    check_nested(wk, CKA_UNWRAP_TEMPLATE);
    use_templates(wk);
    assert_rv(p11->C_DestroyObject(s, wk), CKR_OK);
    /* Malformed nested templates. */
    assert_rv(p11->C_CreateObject(s, bad_len, COUNT(bad_len), &h), CKR_ATTRIBUTE_VALUE_INVALID);
    bad_len[3].pValue = null_inner;
    bad_len[3].ulValueLen = sizeof(null_inner);
    assert_rv(p11->C_CreateObject(s, bad_len, COUNT(bad_len), &h), CKR_ATTRIBUTE_VALUE_INVALID);
}

/* A token object's templates survive the store: they are data, not pointers. */
static void test_nested_templates_stored(void **state)
{
    CK_ATTRIBUTE find[] = {ATTR_STR(CKA_LABEL, "stored wrapper")};
    CK_OBJECT_HANDLE wk;

    need_wrap_mechanism(CKM_AES_KEY_WRAP_KWP);
    templated_wrapper(true, "stored wrapper");
    assert_rv(p11->C_Finalize(NULL), CKR_OK);
    assert_rv(p11->C_Initialize(NULL), CKR_OK);
    slot = api_token_slot(TOKEN_LABEL);
    s = api_user_session(slot);
    assert_int_equal(api_find(s, find, COUNT(find), &wk, 1), 1);
    check_nested(wk, CKA_WRAP_TEMPLATE);
    check_nested(wk, CKA_UNWRAP_TEMPLATE);
    use_templates(wk);
    assert_rv(p11->C_DestroyObject(s, wk), CKR_OK);
}

static int group_setup(void **state)
{
    CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG bits = 2048;
    CK_ATTRIBUTE pt[] = {ATTR_VAR(CKA_MODULUS_BITS, bits), ATTR_VAR(CKA_WRAP, api_true)};
    CK_ATTRIBUTE kt[] = {ATTR_VAR(CKA_UNWRAP, api_true)};

    api_setup(state);
    slot = api_new_token(TOKEN_LABEL, true);
    s = api_user_session(slot);
    assert_rv(p11->C_GenerateKeyPair(s, &gen, pt, COUNT(pt), kt, COUNT(kt), &rsa_pub, &rsa_priv),
              CKR_OK);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_secret_rsa),         cmocka_unit_test(test_wrap_private_aes),
        cmocka_unit_test(test_wrap_refusals),           cmocka_unit_test(test_unwrap_refusals),
        cmocka_unit_test(test_wrap_with_trusted),       cmocka_unit_test(test_nested_templates),
        cmocka_unit_test(test_nested_templates_stored),
    };

    return cmocka_run_group_tests(tests, group_setup, api_teardown);
}
