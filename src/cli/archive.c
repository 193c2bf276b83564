/* Key archival for `request --format crmf --archive-to KRA.pem`: steps 4 and
 * 5 of the old enrolment flow.  A second, encryption, key pair (RSA-2048,
 * sensitive but extractable) is generated on the signing key's token; its
 * private key is wrapped there, never leaving in the clear:
 *   - an AES-256 session key is generated on the token;
 *   - the KRA certificate's RSA key becomes a session object, and the AES
 *     key is wrapped to it with C_WrapKey(CKM_RSA_PKCS_OAEP, SHA-1/MGF1);
 *   - the private key is wrapped with the AES key by RFC 5649 key wrap
 *     (CKM_AES_KEY_WRAP_KWP, or CKM_AES_KEY_WRAP_PAD on pre-3.0 modules,
 *     where it meant RFC 5649), giving its PKCS#8 PrivateKeyInfo encrypted.
 * Both go into an EncryptedValue in the message's PKIArchiveOptions control
 * (RFC 4211 section 6.4), and the message gets a keyEncipherment proof of
 * possession (subsequentMessage: the CA returns the certificate encrypted).
 * Nothing stays on the token when a step fails. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "archive.h"
#include "certs.h"
#include "crmf-asn.h"

/* The KRA's RSA public key as a session object that may wrap. */
static CK_RV kra_object(struct cli_key *k, EVP_PKEY *kra, CK_OBJECT_HANDLE *out)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    BIGNUM *n = NULL, *e = NULL;
    unsigned char nb[1024], eb[16];
    int nl, el;
    CK_RV rv = CKR_KEY_TYPE_INCONSISTENT;

    if (EVP_PKEY_get_bn_param(kra, OSSL_PKEY_PARAM_RSA_N, &n) &&
        EVP_PKEY_get_bn_param(kra, OSSL_PKEY_PARAM_RSA_E, &e) && BN_num_bytes(n) <= 1024 &&
        BN_num_bytes(e) <= 16) {
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                            {CKA_KEY_TYPE, &kt, sizeof(kt)},
                            {CKA_TOKEN, &no, 1},
                            {CKA_WRAP, &yes, 1},
                            {CKA_ENCRYPT, &yes, 1},
                            {CKA_MODULUS, nb, 0},
                            {CKA_PUBLIC_EXPONENT, eb, 0}};

        nl = BN_bn2bin(n, nb);
        el = BN_bn2bin(e, eb);
        t[5].ulValueLen = (CK_ULONG)nl;
        t[6].ulValueLen = (CK_ULONG)el;
        rv = k->slot.mod->fl->C_CreateObject(k->session, t, 7, out);
    }
    BN_free(n);
    BN_free(e);
    ERR_clear_error();
    return rv;
}

static CK_RV aes_key(struct cli_key *k, CK_OBJECT_HANDLE *out)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ULONG len = 32;
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                        {CKA_KEY_TYPE, &kt, sizeof(kt)},
                        {CKA_VALUE_LEN, &len, sizeof(len)},
                        {CKA_TOKEN, &no, 1},
                        {CKA_EXTRACTABLE, &yes, 1},
                        {CKA_WRAP, &yes, 1},
                        {CKA_ENCRYPT, &yes, 1}};

    return k->slot.mod->fl->C_GenerateKey(k->session, &mech, t, 7, out);
}

/* C_WrapKey with the length query first; *out is OPENSSL_free'd. */
static CK_RV wrap(struct cli_key *k, CK_MECHANISM *m, CK_OBJECT_HANDLE wrapping,
                  CK_OBJECT_HANDLE key, unsigned char **out, CK_ULONG *len)
{
    CK_FUNCTION_LIST *fl = k->slot.mod->fl;
    CK_RV rv = fl->C_WrapKey(k->session, m, wrapping, key, NULL, len);

    *out = NULL;
    if (rv != CKR_OK)
        return rv;
    *out = OPENSSL_malloc(*len + 1);
    if (*out == NULL)
        return CKR_HOST_MEMORY;
    rv = fl->C_WrapKey(k->session, m, wrapping, key, *out, len);
    if (rv != CKR_OK) {
        OPENSSL_free(*out);
        *out = NULL;
    }
    return rv;
}

/* Which RFC 5649 mechanism the token has, or 0. */
static CK_MECHANISM_TYPE kwp_mech(struct cli_slot *s)
{
    if (cli_has_mech(s, CKM_AES_KEY_WRAP_KWP, CKF_WRAP))
        return CKM_AES_KEY_WRAP_KWP;
    /* Before 3.0, CKM_AES_KEY_WRAP_PAD was RFC 5649 (SoftHSM2 still means
     * that); in 3.0 it is PKCS #7 padding, which a KRA would not expect. */
    if (s->mod->info.cryptokiVersion.major < 3 && cli_has_mech(s, CKM_AES_KEY_WRAP_PAD, CKF_WRAP))
        return CKM_AES_KEY_WRAP_PAD;
    return 0;
}

static bool bits_set(ASN1_BIT_STRING **bs, const unsigned char *p, CK_ULONG len)
{
    if (*bs == NULL) /* a required field is there from _new already */
        *bs = ASN1_BIT_STRING_new();
    if (*bs == NULL || !ASN1_BIT_STRING_set(*bs, (unsigned char *)p, (int)len))
        return false;
    (*bs)->flags &= ~0x07L;
    (*bs)->flags |= ASN1_STRING_FLAG_BITS_LEFT; /* no unused bits */
    return true;
}

/* The EncryptedValue, as the value of a PKIArchiveOptions control. */
static TSR_CRMF_ATAV *archive_control(const unsigned char *symm, CK_ULONG symmlen,
                                      const unsigned char *val, CK_ULONG vallen)
{
    TSR_CRMF_ARCHOPTS *ao = TSR_CRMF_ARCHOPTS_new();
    TSR_CRMF_ENCVALUE *ev = TSR_CRMF_ENCVALUE_new();
    TSR_CRMF_ATAV *atav = TSR_CRMF_ATAV_new();
    RSA_OAEP_PARAMS *oaep = RSA_OAEP_PARAMS_new(); /* all defaults: SHA-1, MGF1-SHA-1 */
    ASN1_STRING *oaep_der = NULL, *ao_der = ASN1_STRING_new();
    unsigned char *der = NULL;
    int len;
    bool ok = ao != NULL && ev != NULL && atav != NULL && oaep != NULL && ao_der != NULL;

    ok = ok && (ev->intended_alg = X509_ALGOR_new()) != NULL &&
         X509_ALGOR_set0(ev->intended_alg, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_NULL, NULL) &&
         (ev->symm_alg = X509_ALGOR_new()) != NULL &&
         X509_ALGOR_set0(ev->symm_alg, OBJ_nid2obj(NID_id_aes256_wrap_pad), V_ASN1_UNDEF, NULL) &&
         (ev->key_alg = X509_ALGOR_new()) != NULL &&
         ASN1_item_pack(oaep, ASN1_ITEM_rptr(RSA_OAEP_PARAMS), &oaep_der) != NULL &&
         X509_ALGOR_set0(ev->key_alg, OBJ_nid2obj(NID_rsaesOaep), V_ASN1_SEQUENCE, oaep_der) &&
         bits_set(&ev->enc_symm_key, symm, symmlen) && bits_set(&ev->enc_value, val, vallen);
    if (ok)
        oaep_der = NULL; /* now the AlgorithmIdentifier's */
    if (ok) {
        ao->type = 0;
        ao->value.enc_priv_key = ev;
        ev = NULL;
        len = i2d_TSR_CRMF_ARCHOPTS(ao, &der);
        /* An ANY holding the whole [0] encoding as it is. */
        ok = len > 0 && ASN1_STRING_set(ao_der, der, len) &&
             (atav->type = OBJ_nid2obj(NID_id_regCtrl_pkiArchiveOptions)) != NULL &&
             (atav->value != NULL || (atav->value = ASN1_TYPE_new()) != NULL);
        if (ok) {
            ASN1_TYPE_set(atav->value, V_ASN1_OTHER, ao_der);
            ao_der = NULL;
        }
    }
    OPENSSL_free(der);
    ASN1_STRING_free(oaep_der);
    ASN1_STRING_free(ao_der);
    RSA_OAEP_PARAMS_free(oaep);
    TSR_CRMF_ENCVALUE_free(ev);
    TSR_CRMF_ARCHOPTS_free(ao);
    if (!ok) {
        TSR_CRMF_ATAV_free(atav);
        return NULL;
    }
    return atav;
}

/* MSG with the control added: out through TSR_CRMF_MSG and back in through
 * OpenSSL's own parser. */
static OSSL_CRMF_MSG *add_control(OSSL_CRMF_MSG *msg, TSR_CRMF_ATAV *atav)
{
    unsigned char *der = NULL, *der2 = NULL;
    const unsigned char *p;
    TSR_CRMF_MSG *mirror = NULL;
    OSSL_CRMF_MSG *out = NULL;
    int len;

    len = i2d_OSSL_CRMF_MSG(msg, &der);
    p = der;
    if (len > 0 && (mirror = d2i_TSR_CRMF_MSG(NULL, &p, len)) != NULL) {
        if (mirror->req->controls == NULL)
            mirror->req->controls = sk_TSR_CRMF_ATAV_new_null();
        if (mirror->req->controls != NULL && sk_TSR_CRMF_ATAV_push(mirror->req->controls, atav)) {
            atav = NULL;
            len = i2d_TSR_CRMF_MSG(mirror, &der2);
            p = der2;
            if (len > 0)
                out = d2i_OSSL_CRMF_MSG(NULL, &p, len);
        }
    }
    TSR_CRMF_ATAV_free(atav);
    TSR_CRMF_MSG_free(mirror);
    OPENSSL_free(der);
    OPENSSL_free(der2);
    return out;
}

/* The encryption key's message; consumes ATAV. */
static int build_msg(struct cli_key *k, CK_OBJECT_HANDLE encpub, const X509_NAME *subject,
                     TSR_CRMF_ATAV *atav, OSSL_CRMF_MSG **out)
{
    OSSL_CRMF_MSG *msg = OSSL_CRMF_MSG_new(), *full = NULL;
    EVP_PKEY *pub = NULL;
    CK_RV rv = cli_token_pubkey(&k->slot, k->session, encpub, CKK_RSA, &pub);
    int rc = CLI_OK;

    if (rv != CKR_OK) {
        rc = cli_err_rv(rv, "reading the encryption key");
    } else if (msg == NULL || !OSSL_CRMF_MSG_set_certReqId(msg, 1) ||
               !OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(msg), pub, subject, NULL,
                                            NULL)) {
        rc = cli_err_ssl(CLI_EFAIL, "building the encryption key's request");
    } else {
        full = add_control(msg, atav); /* takes ATAV, whatever happens */
        atav = NULL;
        if (full == NULL)
            rc = cli_err_ssl(CLI_EFAIL, "adding PKIArchiveOptions to the request");
        else if (!OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_KEYENC, full, NULL, NULL, cli_libctx(),
                                            NULL))
            rc = cli_err_ssl(CLI_EFAIL, "the encryption key's proof of possession");
    }
    if (rc != CLI_OK) {
        OSSL_CRMF_MSG_free(full);
        full = NULL;
    }
    TSR_CRMF_ATAV_free(atav);
    EVP_PKEY_free(pub);
    OSSL_CRMF_MSG_free(msg);
    *out = full;
    return rc;
}

static int check_token(struct cli_slot *s)
{
    char label[33];

    cli_padded(s->token.label, 32, label);
    if (!cli_has_mech(s, CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR) ||
        !cli_has_mech(s, CKM_AES_KEY_GEN, CKF_GENERATE) ||
        !cli_has_mech(s, CKM_RSA_PKCS_OAEP, CKF_WRAP) || kwp_mech(s) == 0)
        return cli_err(CLI_EUNSUPPORTED,
                       "token '%s' cannot archive a key: it needs RSA key generation, AES key "
                       "generation, CKM_RSA_PKCS_OAEP wrapping and RFC 5649 AES key wrap",
                       label);
    return CLI_OK;
}

static int read_kra(const char *path, X509 **out)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    int rc = certs != NULL ? cli_certs_read(path, certs) : CLI_EFAIL;

    *out = NULL;
    if (rc == CLI_OK && !EVP_PKEY_is_a(X509_get0_pubkey(sk_X509_value(certs, 0)), "RSA"))
        rc = cli_err(CLI_EUNSUPPORTED, "%s: the KRA certificate's key must be RSA", path);
    if (rc == CLI_OK)
        *out = sk_X509_shift(certs);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

/* The pair the last cli_archive_msg made, for cli_archive_undo. */
static CK_OBJECT_HANDLE made_pub = CK_INVALID_HANDLE, made_priv = CK_INVALID_HANDLE;

void cli_archive_undo(struct cli_key *k)
{
    if (made_priv != CK_INVALID_HANDLE)
        k->slot.mod->fl->C_DestroyObject(k->session, made_priv);
    if (made_pub != CK_INVALID_HANDLE)
        k->slot.mod->fl->C_DestroyObject(k->session, made_pub);
    made_pub = made_priv = CK_INVALID_HANDLE;
}

int cli_archive_prepare(const char *kra_path, X509 **kra)
{
    return read_kra(kra_path, kra);
}

int cli_archive_msg(struct cli *cli, struct cli_key *k, X509 *kra, const X509_NAME *subject,
                    OSSL_CRMF_MSG **out)
{
    CK_FUNCTION_LIST *fl = k->slot.mod->fl;
    CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM m_oaep = {CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)};
    CK_MECHANISM m_kwp = {kwp_mech(&k->slot), NULL, 0};
    CK_OBJECT_HANDLE encpub = CK_INVALID_HANDLE, encpriv = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE aes = CK_INVALID_HANDLE, kraobj = CK_INVALID_HANDLE;
    unsigned char id[20], *symm = NULL, *val = NULL;
    CK_ULONG symmlen = 0, vallen = 0;
    TSR_CRMF_ATAV *atav = NULL;
    char label[300], *uri;
    CK_RV rv = CKR_OK;
    int rc;

    *out = NULL;
    rc = check_token(&k->slot);
    snprintf(label, sizeof(label), "%s (encryption)", k->label != NULL ? k->label : "key");
    if (rc == CLI_OK)
        rc = cli_keygen_pair(&k->slot, k->session, "rsa:2048", label, true, &encpub, &encpriv, id);
    if (rc != CLI_OK)
        return rc;
    rv = aes_key(k, &aes);
    if (rv == CKR_OK)
        rv = kra_object(k, X509_get0_pubkey(kra), &kraobj);
    if (rv == CKR_OK)
        rv = wrap(k, &m_oaep, kraobj, aes, &symm, &symmlen);
    if (rv == CKR_OK)
        rv = wrap(k, &m_kwp, aes, encpriv, &val, &vallen);
    if (rv != CKR_OK)
        rc = cli_err_rv(rv, "wrapping the encryption key to the KRA");
    if (rc == CLI_OK && (atav = archive_control(symm, symmlen, val, vallen)) == NULL)
        rc = cli_err_ssl(CLI_EFAIL, "encoding PKIArchiveOptions");
    if (rc == CLI_OK)
        rc = build_msg(k, encpub, subject, atav, out);
    if (aes != CK_INVALID_HANDLE)
        fl->C_DestroyObject(k->session, aes);
    if (kraobj != CK_INVALID_HANDLE)
        fl->C_DestroyObject(k->session, kraobj);
    if (rc != CLI_OK) {
        fl->C_DestroyObject(k->session, encpriv);
        fl->C_DestroyObject(k->session, encpub);
    } else {
        made_pub = encpub;
        made_priv = encpriv;
    }
    if (rc == CLI_OK && !cli->quiet) {
        uri = p11uri_format(&k->slot, id, sizeof(id), label, CKO_PRIVATE_KEY);
        fprintf(stderr, "note: encryption key archived to the KRA: %s\n", uri != NULL ? uri : "");
        free(uri);
    }
    OPENSSL_free(symm);
    OPENSSL_clear_free(val, vallen);
    return rc;
}
