/* crmf-check FILE.der [KRA-KEY.pem RECOVERED.pem]: read a CRMF
 * CertReqMessages and check the first message's signature proof of
 * possession with OpenSSL's CRMF API (which verifies it with the public key
 * in the certificate template).  With a KRA's private key, act as the KRA:
 * take the second message's PKIArchiveOptions EncryptedValue, decrypt the
 * symmetric key (RSA-OAEP), unwrap the private key (AES key wrap with
 * padding, RFC 5649), and write it as PEM.  Exit 0 when all of it works. */
#include <stdio.h>
#include <string.h>

#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crmf-asn.h"

static OSSL_CRMF_MSGS *read_msgs(const char *path)
{
    static unsigned char buf[65536];
    const unsigned char *p = buf;
    FILE *f = fopen(path, "rb");
    size_t len = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;

    if (f != NULL)
        fclose(f);
    return d2i_OSSL_CRMF_MSGS(NULL, &p, (long)len);
}

/* The EncryptedValue of message MSG's PKIArchiveOptions control. */
static TSR_CRMF_ENCVALUE *archived(OSSL_CRMF_MSG *msg)
{
    OSSL_CRMF_MSG *bare = OSSL_CRMF_MSG_dup(msg);
    unsigned char *der = NULL;
    const unsigned char *p;
    TSR_CRMF_MSG *m;
    TSR_CRMF_ENCVALUE *ev = NULL;
    int len, i;

    /* The mirror reads a message without its proof of possession. */
    if (bare == NULL ||
        !OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_NONE, bare, NULL, NULL, NULL, NULL))
        return NULL;
    len = i2d_OSSL_CRMF_MSG(bare, &der);
    OSSL_CRMF_MSG_free(bare);

    p = der;
    m = len > 0 ? d2i_TSR_CRMF_MSG(NULL, &p, len) : NULL;
    for (i = 0; m != NULL && i < sk_TSR_CRMF_ATAV_num(m->req->controls); i++) {
        TSR_CRMF_ATAV *a = sk_TSR_CRMF_ATAV_value(m->req->controls, i);

        if (OBJ_obj2nid(a->type) == NID_id_regCtrl_pkiArchiveOptions &&
            a->value->type == V_ASN1_OTHER) {
            TSR_CRMF_ARCHOPTS *ao;

            p = a->value->value.asn1_string->data;
            ao = d2i_TSR_CRMF_ARCHOPTS(NULL, &p, a->value->value.asn1_string->length);
            if (ao != NULL && ao->type == 0) {
                ev = ao->value.enc_priv_key;
                ao->value.enc_priv_key = NULL;
            }
            TSR_CRMF_ARCHOPTS_free(ao);
        }
    }
    TSR_CRMF_MSG_free(m);
    OPENSSL_free(der);
    return ev;
}

static int recover(OSSL_CRMF_MSG *msg, const char *kra_path, const char *out_path)
{
    TSR_CRMF_ENCVALUE *ev = archived(msg);
    EVP_PKEY *kra = NULL, *key = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_CIPHER_CTX *cctx = NULL;
    unsigned char aes[1024], plain[8192];
    const unsigned char *p = plain;
    size_t aeslen = sizeof(aes);
    int outl = 0, fin = 0, ok = 0;
    FILE *f;

    if (ev == NULL || OBJ_obj2nid(ev->key_alg->algorithm) != NID_rsaesOaep ||
        OBJ_obj2nid(ev->symm_alg->algorithm) != NID_id_aes256_wrap_pad) {
        fprintf(stderr, "crmf-check: no RSA-OAEP/AES-wrap EncryptedValue in PKIArchiveOptions\n");
        goto out;
    }
    f = fopen(kra_path, "r");
    kra = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f != NULL)
        fclose(f);
    pctx = kra != NULL ? EVP_PKEY_CTX_new(kra, NULL) : NULL;
    if (pctx == NULL || EVP_PKEY_decrypt_init(pctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_decrypt(pctx, aes, &aeslen, ev->enc_symm_key->data,
                         (size_t)ev->enc_symm_key->length) <= 0 ||
        aeslen != 32) {
        fprintf(stderr, "crmf-check: the KRA cannot decrypt the symmetric key\n");
        goto out;
    }
    cctx = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX_set_flags(cctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (!EVP_DecryptInit_ex(cctx, EVP_aes_256_wrap_pad(), NULL, aes, NULL) ||
        ev->enc_value->length > (int)sizeof(plain) ||
        !EVP_DecryptUpdate(cctx, plain, &outl, ev->enc_value->data, ev->enc_value->length) ||
        !EVP_DecryptFinal_ex(cctx, plain + outl, &fin)) {
        fprintf(stderr, "crmf-check: the private key does not unwrap\n");
        goto out;
    }
    key = d2i_AutoPrivateKey(NULL, &p, outl + fin);
    f = key != NULL ? fopen(out_path, "w") : NULL;
    ok = f != NULL && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (f != NULL)
        fclose(f);
    if (ok)
        printf("crmf-check: the KRA recovered the archived private key (%d bits)\n",
               EVP_PKEY_get_bits(key));
    else
        fprintf(stderr, "crmf-check: the unwrapped key is not a PKCS#8 private key\n");
out:
    TSR_CRMF_ENCVALUE_free(ev);
    EVP_PKEY_free(kra);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(pctx);
    EVP_CIPHER_CTX_free(cctx);
    return ok;
}

int main(int argc, char **argv)
{
    OSSL_CRMF_MSGS *msgs;
    const OSSL_CRMF_CERTTEMPLATE *tmpl;
    char subject[512] = "";
    int ok = 0;

    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: crmf-check FILE.der [KRA-KEY.pem RECOVERED.pem]\n");
        return 2;
    }
    msgs = read_msgs(argv[1]);
    if (msgs == NULL || sk_OSSL_CRMF_MSG_num(msgs) != (argc == 4 ? 2 : 1)) {
        fprintf(stderr, "crmf-check: %s is not %s CertReqMessage(s)\n", argv[1],
                argc == 4 ? "two" : "one");
        goto out;
    }
    if (!OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL)) {
        fprintf(stderr, "crmf-check: the proof of possession does not verify\n");
        goto out;
    }
    tmpl = OSSL_CRMF_MSG_get0_tmpl(sk_OSSL_CRMF_MSG_value(msgs, 0));
    X509_NAME_oneline(OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl), subject, sizeof(subject));
    printf("crmf-check: proof of possession verified; subject %s\n", subject);
    ok = argc == 2 || recover(sk_OSSL_CRMF_MSG_value(msgs, 1), argv[2], argv[3]);
out:
    ERR_print_errors_fp(stderr);
    sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
    return ok ? 0 : 1;
}
