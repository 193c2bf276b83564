/* A long-running NSS client for the hot-plug test: it opens an NSS database
 * holding the module, then reports slot events as NSS sees them
 * (SECMOD_WaitForAnyTokenEvent, which sits on C_WaitForSlotEvent), one line
 * each, with whether the token and a certificate on it can be found -- all
 * without restarting NSS.  It stops once the token has gone and come back.
 *
 *   nss-watch DBDIR MODULE-NAME TOKEN-LABEL CERT-NICKNAME PIN TIMEOUT-S
 *
 * It logs in with PIN before looking for the certificate (NSS looks at the
 * certificates of a token that wants a login only after one), and again
 * after the token comes back, which ends every login.
 *
 * Output (line-buffered):
 *   ready slot=<id> token=<label> cert=<yes|no>
 *   event slot=<id> present=<0|1> token=<label|-> cert=<yes|no>
 *   returned
 * Exit status 0 when the token came back, 2 on a timeout (no event for
 * TIMEOUT-S seconds), after 50 events, or on an error.
 *
 * The client tests build it themselves:
 *   cc -o nss-watch tests/clients/nss-watch.c $(pkg-config --cflags --libs nss) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cert.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <plstr.h>
#include <secmod.h>

static const char *pin;

static char *give_pin(PK11SlotInfo *slot, PRBool retry, void *arg)
{
    (void)slot;
    (void)arg;
    return retry ? NULL : PL_strdup(pin);
}

static const char *has_cert(PK11SlotInfo *slot, const char *label, const char *nick)
{
    char full[256];
    CERTCertificate *cert;

    if (!PK11_IsPresent(slot) || strcmp(PK11_GetTokenName(slot), label) != 0)
        return "no";
    if (PK11_Authenticate(slot, PR_TRUE, NULL) != SECSuccess)
        return "no-login";
    snprintf(full, sizeof(full), "%s:%s", label, nick);
    cert = PK11_FindCertFromNickname(full, NULL);
    if (cert == NULL)
        return "no";
    CERT_DestroyCertificate(cert);
    return "yes";
}

int main(int argc, char **argv)
{
    SECMODModule *mod;
    PK11SlotInfo *slot;
    CK_SLOT_ID id;
    int i, present, gone = 0, rc = 2;
    PRIntervalTime timeout;

    if (argc != 7) {
        fprintf(stderr, "usage: %s DBDIR MODULE TOKEN NICKNAME PIN TIMEOUT\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    pin = argv[5];
    timeout = PR_SecondsToInterval((PRUint32)atoi(argv[6]));
    if (NSS_Init(argv[1]) != SECSuccess) {
        fprintf(stderr, "NSS_Init: %s\n", PR_ErrorToName(PR_GetError()));
        return 2;
    }
    PK11_SetPasswordFunc(give_pin);
    mod = SECMOD_FindModule(argv[2]);
    slot = PK11_FindSlotByName(argv[3]);
    if (mod == NULL || slot == NULL) {
        fprintf(stderr, "no module %s or no token %s\n", argv[2], argv[3]);
        goto out;
    }
    id = PK11_GetSlotID(slot);
    printf("ready slot=%lu token=%s cert=%s\n", (unsigned long)id, PK11_GetTokenName(slot),
           has_cert(slot, argv[3], argv[4]));
    PK11_FreeSlot(slot);
    for (i = 0; i < 50 && rc != 0; i++) {
        slot = SECMOD_WaitForAnyTokenEvent(mod, 0, timeout);
        if (slot == NULL) {
            fprintf(stderr, "SECMOD_WaitForAnyTokenEvent: %s\n", PR_ErrorToName(PR_GetError()));
            goto out;
        }
        present = PK11_IsPresent(slot);
        printf("event slot=%lu present=%d token=%s cert=%s\n", (unsigned long)PK11_GetSlotID(slot),
               present ? 1 : 0, present ? PK11_GetTokenName(slot) : "-",
               has_cert(slot, argv[3], argv[4]));
        if (PK11_GetSlotID(slot) == id && !present)
            gone = 1;
        else if (gone && present && strcmp(PK11_GetTokenName(slot), argv[3]) == 0) {
            printf("returned\n");
            rc = 0;
        }
        PK11_FreeSlot(slot);
    }
out:
    if (mod != NULL)
        SECMOD_DestroyModule(mod);
    if (NSS_Shutdown() != SECSuccess)
        fprintf(stderr, "NSS_Shutdown: %s\n", PR_ErrorToName(PR_GetError()));
    return rc;
}
