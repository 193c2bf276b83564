/* ASN.1 templates for CRMF controls and PKIArchiveOptions (see crmf-asn.h). */
#include "crmf-asn.h"

ASN1_SEQUENCE(TSR_CRMF_ATAV) =
    {
        ASN1_SIMPLE(TSR_CRMF_ATAV, type, ASN1_OBJECT),
        ASN1_SIMPLE(TSR_CRMF_ATAV, value, ASN1_ANY),
} ASN1_SEQUENCE_END(TSR_CRMF_ATAV) IMPLEMENT_ASN1_FUNCTIONS(TSR_CRMF_ATAV)

        ASN1_SEQUENCE(TSR_CRMF_CERTREQ) =
            {
                ASN1_SIMPLE(TSR_CRMF_CERTREQ, id, ASN1_INTEGER),
                ASN1_SIMPLE(TSR_CRMF_CERTREQ, tmpl, ASN1_ANY),
                ASN1_SEQUENCE_OF_OPT(TSR_CRMF_CERTREQ, controls, TSR_CRMF_ATAV),
} ASN1_SEQUENCE_END(TSR_CRMF_CERTREQ) IMPLEMENT_ASN1_FUNCTIONS(TSR_CRMF_CERTREQ)

                ASN1_SEQUENCE(TSR_CRMF_MSG) =
                    {
                        ASN1_SIMPLE(TSR_CRMF_MSG, req, TSR_CRMF_CERTREQ),
} ASN1_SEQUENCE_END(TSR_CRMF_MSG) IMPLEMENT_ASN1_FUNCTIONS(TSR_CRMF_MSG)

                        ASN1_SEQUENCE(TSR_CRMF_ENCVALUE) =
                            {
                                ASN1_IMP_OPT(TSR_CRMF_ENCVALUE, intended_alg, X509_ALGOR, 0),
                                ASN1_IMP_OPT(TSR_CRMF_ENCVALUE, symm_alg, X509_ALGOR, 1),
                                ASN1_IMP_OPT(TSR_CRMF_ENCVALUE, enc_symm_key, ASN1_BIT_STRING, 2),
                                ASN1_IMP_OPT(TSR_CRMF_ENCVALUE, key_alg, X509_ALGOR, 3),
                                ASN1_IMP_OPT(TSR_CRMF_ENCVALUE, value_hint, ASN1_OCTET_STRING, 4),
                                ASN1_SIMPLE(TSR_CRMF_ENCVALUE, enc_value, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(TSR_CRMF_ENCVALUE) IMPLEMENT_ASN1_FUNCTIONS(TSR_CRMF_ENCVALUE)

                                ASN1_CHOICE(TSR_CRMF_ARCHOPTS) = {
                                    ASN1_EXP(TSR_CRMF_ARCHOPTS, value.enc_priv_key,
                                             TSR_CRMF_ENCVALUE, 0),
} ASN1_CHOICE_END(TSR_CRMF_ARCHOPTS) IMPLEMENT_ASN1_FUNCTIONS(TSR_CRMF_ARCHOPTS)
