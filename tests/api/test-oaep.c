/* RSA-OAEP (CKM_RSA_PKCS_OAEP) through the module's function list.  Known
 * answers from Debian's python3-cryptography-vectors: the PKCS #1 v2.1 set
 * (SHA-1), pyca's set for every pairing of the SHA-1/2 hashes with MGF1, and
 * BoringSSL's labelled vector; OpenSSL encrypts what the token decrypts and
 * the other way, with SHA-1, SHA-256 and SHA3-256, with and without a
 * label; wrong parameters and lengths are refused, and a bad PKCS#1 v1.5
 * padding gets the one answer CKR_ENCRYPTED_DATA_INVALID. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "asymkit.h"
#include "asymvec.h"

static CK_SESSION_HANDLE s;
static CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY, public_class = CKO_PUBLIC_KEY;
static CK_KEY_TYPE rsa_type = CKK_RSA;

#define assert_bytes ak_assert_bytes

/* A token RSA pair for the refusals. */
static CK_OBJECT_HANDLE rsa_pub, rsa_priv;

/* Single-part C_Encrypt/C_Decrypt into `out` (capacity `cap`). */
static CK_RV oneshot(bool enc, CK_MECHANISM *m, CK_OBJECT_HANDLE k, const unsigned char *in,
                     size_t in_len, unsigned char *out, size_t cap, size_t *out_len)
{
    CK_ULONG n = cap;
    CK_RV rv = enc ? p11->C_EncryptInit(s, m, k) : p11->C_DecryptInit(s, m, k);

    if (rv != CKR_OK)
        return rv;
    rv = enc ? p11->C_Encrypt(s, (CK_BYTE_PTR)in, in_len, out, &n)
             : p11->C_Decrypt(s, (CK_BYTE_PTR)in, in_len, out, &n);
    *out_len = n;
    return rv;
}

/* --- RSA keys to and from OpenSSL --- */

static const struct {
    CK_ATTRIBUTE_TYPE attr;
    const char *param;
} rsa_parts[] = {
    {CKA_MODULUS, OSSL_PKEY_PARAM_RSA_N},
    {CKA_PUBLIC_EXPONENT, OSSL_PKEY_PARAM_RSA_E},
    {CKA_PRIVATE_EXPONENT, OSSL_PKEY_PARAM_RSA_D},
    {CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1},
    {CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2},
    {CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2},
    {CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

/* An OpenSSL RSA key in the token: its private half (`priv`) or public half. */
static CK_OBJECT_HANDLE rsa_object(EVP_PKEY *pkey, bool priv)
{
    CK_ATTRIBUTE t[16] = {
        ATTR_VAR(CKA_CLASS, private_class),
        ATTR_VAR(CKA_KEY_TYPE, rsa_type),
        ATTR_VAR(CKA_DECRYPT, api_true),
    };
    CK_ULONG n = 3, parts = priv ? COUNT(rsa_parts) : 2;
    CK_OBJECT_HANDLE h;

    if (!priv) {
        t[0].pValue = &public_class;
        t[2].type = CKA_ENCRYPT;
    }
    for (size_t i = 0; i < parts; i++, n++) {
        BIGNUM *bn = NULL;

        assert_int_equal(EVP_PKEY_get_bn_param(pkey, rsa_parts[i].param, &bn), 1);
        t[n].type = rsa_parts[i].attr;
        t[n].ulValueLen = BN_num_bytes(bn);
        t[n].pValue = malloc(t[n].ulValueLen);
        BN_bn2bin(bn, t[n].pValue);
        BN_free(bn);
    }
    assert_rv(p11->C_CreateObject(s, t, n, &h), CKR_OK);
    for (size_t i = 3; i < n; i++)
        free(t[i].pValue);
    return h;
}

/* --- OAEP known answers --- */

typedef struct oaep_kat {
    bool in_private;
    unsigned char *part[COUNT(rsa_parts)];
    size_t part_len[COUNT(rsa_parts)];
    CK_OBJECT_HANDLE key;
    CK_RSA_PKCS_OAEP_PARAMS params;
    unsigned char *msg;
    size_t msg_len;
    unsigned count;
} oaep_kat;

static const struct {
    const char *name;
    CK_MECHANISM_TYPE mech;
    CK_RSA_PKCS_MGF_TYPE mgf;
} hashes[] = {
    {"sha1", CKM_SHA_1, CKG_MGF1_SHA1},      {"sha224", CKM_SHA224, CKG_MGF1_SHA224},
    {"sha256", CKM_SHA256, CKG_MGF1_SHA256}, {"sha384", CKM_SHA384, CKG_MGF1_SHA384},
    {"sha512", CKM_SHA512, CKG_MGF1_SHA512},
};

static size_t hash_index(const char *name, size_t len)
{
    for (size_t i = 0; i < COUNT(hashes); i++)
        if (strlen(hashes[i].name) == len && strncmp(hashes[i].name, name, len) == 0)
            return i;
    fail_msg("unknown hash %.*s in an OAEP vector", (int)len, name);
    return 0;
}

/* "OAEP Example 1 alg=sha256 mgf1=sha1"; the PKCS #1 set is SHA-1 only. */
static void oaep_example(oaep_kat *k, const char *marker)
{
    const char *alg = strstr(marker, "alg="), *mgf = strstr(marker, "mgf1=");

    k->params.hashAlg = CKM_SHA_1;
    k->params.mgf = CKG_MGF1_SHA1;
    if (alg != NULL)
        k->params.hashAlg = hashes[hash_index(alg + 4, strcspn(alg + 4, " "))].mech;
    if (mgf != NULL)
        k->params.mgf = hashes[hash_index(mgf + 5, strcspn(mgf + 5, " "))].mgf;
}

static void oaep_new_key(oaep_kat *k)
{
    if (k->key != CK_INVALID_HANDLE)
        assert_rv(p11->C_DestroyObject(s, k->key), CKR_OK);
    k->key = CK_INVALID_HANDLE;
    for (size_t i = 0; i < COUNT(rsa_parts); i++) {
        free(k->part[i]);
        k->part[i] = NULL;
    }
}

static void oaep_decrypt(oaep_kat *k, const unsigned char *ct, size_t ct_len)
{
    CK_MECHANISM m = {CKM_RSA_PKCS_OAEP, &k->params, sizeof(k->params)};
    unsigned char out[512];
    size_t n;

    if (k->key == CK_INVALID_HANDLE) {
        CK_ATTRIBUTE t[3 + COUNT(rsa_parts)] = {
            ATTR_VAR(CKA_CLASS, private_class),
            ATTR_VAR(CKA_KEY_TYPE, rsa_type),
            ATTR_VAR(CKA_DECRYPT, api_true),
        };
        for (size_t i = 0; i < COUNT(rsa_parts); i++) {
            assert_non_null(k->part[i]);
            t[3 + i] = (CK_ATTRIBUTE){rsa_parts[i].attr, k->part[i], k->part_len[i]};
        }
        assert_rv(p11->C_CreateObject(s, t, COUNT(t), &k->key), CKR_OK);
    }
    assert_rv(oneshot(false, &m, k->key, ct, ct_len, out, sizeof(out), &n), CKR_OK);
    assert_bytes(out, n, k->msg, k->msg_len);
    k->count++;
}

static const char *const oaep_labels[] = {
    "Modulus", "Public exponent",  "Exponent",         "Prime 1",
    "Prime 2", "Prime exponent 1", "Prime exponent 2", "Coefficient",
};

static void oaep_line(const char *label, const unsigned char *data, size_t len, void *arg)
{
    oaep_kat *k = arg;

    if (data == NULL) {
        if (strcmp(label, "Public key") == 0)
            oaep_new_key(k);
        k->in_private |= strcmp(label, "Private key") == 0;
        k->in_private &= strcmp(label, "Public key") != 0;
        if (strncmp(label, "OAEP Example", 12) == 0)
            oaep_example(k, label);
        return;
    }
    if (strcmp(label, "Message") == 0) {
        free(k->msg);
        k->msg = malloc(len + 1);
        memcpy(k->msg, data, len);
        k->msg_len = len;
    } else if (strcmp(label, "Encryption") == 0) {
        oaep_decrypt(k, data, len);
    } else if (k->in_private) {
        /* The private key's "Exponent" is the private one. */
        for (size_t i = 0; i < COUNT(oaep_labels); i++) {
            size_t part = strcmp(label, "Exponent") == 0 ? 2 : i;

            if (strcmp(label, oaep_labels[i]) != 0)
                continue;
            free(k->part[part]);
            k->part[part] = malloc(len);
            memcpy(k->part[part], data, len);
            k->part_len[part] = len;
        }
    }
}

static void test_oaep_vectors(void **state)
{
    static const char *algs[] = {"sha1", "sha224", "sha256", "sha384", "sha512"};
    char rel[128];
    oaep_kat k;
    unsigned files = 0;

    memset(&k, 0, sizeof(k));
    av_each_labelled("asymmetric/RSA/pkcs-1v2-1d2-vec/oaep-vect.txt", oaep_line, &k);
    assert_int_equal(k.count, 60);
    for (size_t i = 0; i < COUNT(algs); i++) {
        for (size_t j = 0; j < COUNT(algs); j++) {
            if (i == 0 && j == 0)
                continue; /* SHA-1/SHA-1 is the PKCS #1 set above */
            snprintf(rel, sizeof(rel), "asymmetric/RSA/oaep-custom/oaep-%s-%s.txt", algs[i],
                     algs[j]);
            av_each_labelled(rel, oaep_line, &k);
            files++;
        }
    }
    oaep_new_key(&k);
    free(k.msg);
    print_message("RSA-OAEP: %u decryptions from %u files\n", k.count, files + 1);
    assert_int_equal(k.count, 60 * (files + 1));
}

/* BoringSSL's vector with a label: a PKCS#8 key, SHA-512, a 16-byte label. */
static void label_record(const av_record *r, void *arg)
{
    size_t kl, ll, cl;
    unsigned char *der = av_hex(av_get(r, "KEY"), &kl),
                  *label = av_hex(av_get(r, "OAEPLabel"), &ll);
    unsigned char *ct = av_hex(av_get(r, "Input"), &cl), out[512];
    const unsigned char *p = der;
    EVP_PKEY *pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)kl);
    CK_RSA_PKCS_OAEP_PARAMS op = {CKM_SHA512, CKG_MGF1_SHA512, CKZ_DATA_SPECIFIED, label, ll};
    CK_MECHANISM m = {CKM_RSA_PKCS_OAEP, &op, sizeof(op)};
    CK_OBJECT_HANDLE k;
    size_t n;

    if (pkey == NULL) { /* a PrivateKeyInfo rather than an RSAPrivateKey */
        p = der;
        pkey = d2i_AutoPrivateKey(NULL, &p, (long)kl);
    }
    assert_non_null(pkey);
    assert_string_equal(av_get(r, "OAEPDigest"), "SHA512");
    k = rsa_object(pkey, true);
    assert_rv(oneshot(false, &m, k, ct, cl, out, sizeof(out), &n), CKR_OK);
    assert_bytes(out, n, (const unsigned char *)"Hello World", 11);
    /* Another label is another message: refused. */
    op.ulSourceDataLen--;
    assert_rv(oneshot(false, &m, k, ct, cl, out, sizeof(out), &n), CKR_ENCRYPTED_DATA_INVALID);
    (*(unsigned *)arg)++;
    assert_rv(p11->C_DestroyObject(s, k), CKR_OK);
    EVP_PKEY_free(pkey);
    free(der);
    free(label);
    free(ct);
}

static void test_oaep_label_vector(void **state)
{
    unsigned n = 0;

    assert_int_equal(av_each_record("asymmetric/RSA/oaep-label.txt", label_record, &n), 1);
    assert_int_equal(n, 1);
}

/* --- OAEP against OpenSSL --- */

static size_t ossl_oaep(bool enc, EVP_PKEY *pkey, const char *md, const unsigned char *label,
                        size_t ll, const unsigned char *in, size_t in_len, unsigned char *out)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
    size_t n = 1024;

    assert_int_equal(enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, md, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, md, NULL), 1);
    if (ll > 0)
        assert_int_equal(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup(label, ll), ll), 1);
    assert_int_equal(enc ? EVP_PKEY_encrypt(ctx, out, &n, in, in_len)
                         : EVP_PKEY_decrypt(ctx, out, &n, in, in_len),
                     1);
    EVP_PKEY_CTX_free(ctx);
    return n;
}

static void test_oaep_openssl(void **state)
{
    static const struct {
        const char *md;
        CK_MECHANISM_TYPE mech;
        CK_RSA_PKCS_MGF_TYPE mgf;
    } mds[] = {
        {"SHA256", CKM_SHA256, CKG_MGF1_SHA256},
        {"SHA1", CKM_SHA_1, CKG_MGF1_SHA1},
        {"SHA3-256", CKM_SHA3_256, CKG_MGF1_SHA3_256},
    };
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    CK_OBJECT_HANDLE priv = rsa_object(pkey, true), pub = rsa_object(pkey, false);
    unsigned char msg[] = "attack at dawn", label[] = "a label", ct[256], pt[256];
    size_t n;

    for (size_t i = 0; i < COUNT(mds); i++) {
        for (size_t ll = 0; ll <= sizeof(label); ll += sizeof(label)) {
            CK_RSA_PKCS_OAEP_PARAMS p = {mds[i].mech, mds[i].mgf, CKZ_DATA_SPECIFIED,
                                         ll ? label : NULL, ll};
            CK_MECHANISM m = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)};

            /* OpenSSL encrypts, the token decrypts ... */
            n = ossl_oaep(true, pkey, mds[i].md, label, ll, msg, sizeof(msg), ct);
            assert_int_equal(n, 256);
            assert_rv(oneshot(false, &m, priv, ct, n, pt, sizeof(pt), &n), CKR_OK);
            assert_bytes(pt, n, msg, sizeof(msg));
            /* ... and the other way. */
            assert_rv(oneshot(true, &m, pub, msg, sizeof(msg), ct, sizeof(ct), &n), CKR_OK);
            assert_int_equal(n, 256);
            n = ossl_oaep(false, pkey, mds[i].md, label, ll, ct, n, pt);
            assert_bytes(pt, n, msg, sizeof(msg));
        }
    }
    assert_rv(p11->C_DestroyObject(s, priv), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, pub), CKR_OK);
    EVP_PKEY_free(pkey);
}

static void test_oaep_refusals(void **state)
{
    unsigned char big[256] = {0}, ct[256], pt[256];
    CK_RSA_PKCS_OAEP_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM m = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)}, pkcs = {CKM_RSA_PKCS, NULL, 0};
    size_t n;

    /* 2048 bits: k - 2 hLen - 2 = 190 bytes at most. */
    assert_rv(oneshot(true, &m, rsa_pub, big, 191, ct, sizeof(ct), &n), CKR_DATA_LEN_RANGE);
    assert_rv(oneshot(true, &m, rsa_pub, big, 190, ct, sizeof(ct), &n), CKR_OK);
    assert_rv(oneshot(false, &m, rsa_priv, ct, 255, pt, sizeof(pt), &n),
              CKR_ENCRYPTED_DATA_LEN_RANGE);
    ct[100] ^= 1;
    assert_rv(oneshot(false, &m, rsa_priv, ct, 256, pt, sizeof(pt), &n),
              CKR_ENCRYPTED_DATA_INVALID);
    p.hashAlg = CKM_MD5;
    assert_rv(oneshot(true, &m, rsa_pub, big, 16, ct, sizeof(ct), &n), CKR_MECHANISM_PARAM_INVALID);
    p.hashAlg = CKM_SHA256;
    p.mgf = 0x77;
    assert_rv(oneshot(true, &m, rsa_pub, big, 16, ct, sizeof(ct), &n), CKR_MECHANISM_PARAM_INVALID);
    p.mgf = CKG_MGF1_SHA256;
    p.source = 2;
    assert_rv(oneshot(true, &m, rsa_pub, big, 16, ct, sizeof(ct), &n), CKR_MECHANISM_PARAM_INVALID);
    p.source = CKZ_DATA_SPECIFIED;
    p.ulSourceDataLen = 4; /* and no pointer */
    assert_rv(oneshot(true, &m, rsa_pub, big, 16, ct, sizeof(ct), &n), CKR_MECHANISM_PARAM_INVALID);
    p.ulSourceDataLen = 0;
    m.ulParameterLen--;
    assert_rv(oneshot(true, &m, rsa_pub, big, 16, ct, sizeof(ct), &n), CKR_MECHANISM_PARAM_INVALID);
    m.pParameter = NULL;
    m.ulParameterLen = 0;
    assert_rv(oneshot(true, &m, rsa_pub, big, 16, ct, sizeof(ct), &n), CKR_MECHANISM_PARAM_INVALID);
    /* PKCS#1 v1.5: every bad padding is the same answer (see rsa.c). */
    assert_rv(oneshot(true, &pkcs, rsa_pub, big, 16, ct, sizeof(ct), &n), CKR_OK);
    for (int i = 0; i < 4; i++) {
        ct[i * 60] ^= 0x55;
        assert_rv(oneshot(false, &pkcs, rsa_priv, ct, 256, pt, sizeof(pt), &n),
                  CKR_ENCRYPTED_DATA_INVALID);
    }
}

static int group_setup(void **state)
{
    CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG bits = 2048;
    CK_ATTRIBUTE pt[] = {ATTR_VAR(CKA_MODULUS_BITS, bits)};

    api_setup(state);
    s = api_user_session(api_new_token(TOKEN_LABEL, true));
    assert_rv(p11->C_GenerateKeyPair(s, &gen, pt, COUNT(pt), NULL, 0, &rsa_pub, &rsa_priv), CKR_OK);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oaep_vectors),
        cmocka_unit_test(test_oaep_label_vector),
        cmocka_unit_test(test_oaep_openssl),
        cmocka_unit_test(test_oaep_refusals),
    };

    return cmocka_run_group_tests(tests, group_setup, api_teardown);
}
