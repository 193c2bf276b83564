/* crmf-check FILE.der [SUBJECT]: read a CRMF CertReqMessages, check the
 * first message's signature proof of possession with OpenSSL's CRMF API
 * (which verifies it with the public key in the certificate template), and
 * print the template's subject.  Exit 0 when it verifies. */
#include <stdio.h>
#include <string.h>

#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509.h>

int main(int argc, char **argv)
{
    OSSL_CRMF_MSGS *msgs = NULL;
    const OSSL_CRMF_CERTTEMPLATE *tmpl;
    unsigned char buf[65536];
    const unsigned char *p = buf;
    char subject[512] = "";
    FILE *f;
    size_t len;
    int ok = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: crmf-check FILE.der\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    len = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f != NULL)
        fclose(f);
    msgs = d2i_OSSL_CRMF_MSGS(NULL, &p, (long)len);
    if (msgs == NULL || sk_OSSL_CRMF_MSG_num(msgs) != 1) {
        fprintf(stderr, "crmf-check: %s is not one CertReqMessage\n", argv[1]);
        goto out;
    }
    if (!OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL)) {
        fprintf(stderr, "crmf-check: the proof of possession does not verify\n");
        goto out;
    }
    tmpl = OSSL_CRMF_MSG_get0_tmpl(sk_OSSL_CRMF_MSG_value(msgs, 0));
    X509_NAME_oneline(OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl), subject, sizeof(subject));
    printf("crmf-check: proof of possession verified; subject %s\n", subject);
    ok = 1;
out:
    ERR_print_errors_fp(stderr);
    sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
    return ok ? 0 : 1;
}
