/* The parts of RFC 4211 CRMF that OpenSSL 3.0 parses but offers no way to
 * build: a CertRequest's controls, and PKIArchiveOptions carrying an
 * EncryptedValue.  Declared as OpenSSL ASN.1 templates (OpenSSL encodes and
 * decodes them; nothing is assembled by hand), mirroring crypto/crmf's own.
 * A message is built with OSSL_CRMF_MSG, re-read through TSR_CRMF_MSG to
 * add a control, and read back into OSSL_CRMF_MSG, whose parser checks the
 * result, before its proof of possession is made. */
#ifndef TSR_CLI_CRMF_ASN_H
#define TSR_CLI_CRMF_ASN_H

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/x509.h>

/* AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY } */
typedef struct {
    ASN1_OBJECT *type;
    ASN1_TYPE *value;
} TSR_CRMF_ATAV;
DECLARE_ASN1_FUNCTIONS(TSR_CRMF_ATAV)
DEFINE_STACK_OF(TSR_CRMF_ATAV)

/* CertRequest ::= SEQUENCE { certReqId INTEGER, certTemplate CertTemplate,
 * controls Controls OPTIONAL }, the template kept as it was encoded. */
typedef struct {
    ASN1_INTEGER *id;
    ASN1_TYPE *tmpl;
    STACK_OF(TSR_CRMF_ATAV) * controls;
} TSR_CRMF_CERTREQ;
DECLARE_ASN1_FUNCTIONS(TSR_CRMF_CERTREQ)

/* CertReqMsg ::= SEQUENCE { certReq, popo OPTIONAL, regInfo OPTIONAL }, read
 * and written before popo and regInfo are set (an OPTIONAL ANY cannot be
 * expressed as a template). */
typedef struct {
    TSR_CRMF_CERTREQ *req;
} TSR_CRMF_MSG;
DECLARE_ASN1_FUNCTIONS(TSR_CRMF_MSG)

/* EncryptedValue ::= SEQUENCE { intendedAlg [0], symmAlg [1], encSymmKey [2],
 * keyAlg [3], valueHint [4] (all IMPLICIT, OPTIONAL), encValue BIT STRING } */
typedef struct {
    X509_ALGOR *intended_alg;
    X509_ALGOR *symm_alg;
    ASN1_BIT_STRING *enc_symm_key;
    X509_ALGOR *key_alg;
    ASN1_OCTET_STRING *value_hint;
    ASN1_BIT_STRING *enc_value;
} TSR_CRMF_ENCVALUE;
DECLARE_ASN1_FUNCTIONS(TSR_CRMF_ENCVALUE)

/* PKIArchiveOptions ::= CHOICE { encryptedPrivKey [0] EncryptedKey, ... }
 * with EncryptedKey the EncryptedValue alternative. */
typedef struct {
    int type;
    union {
        TSR_CRMF_ENCVALUE *enc_priv_key;
    } value;
} TSR_CRMF_ARCHOPTS;
DECLARE_ASN1_FUNCTIONS(TSR_CRMF_ARCHOPTS)

#endif
