/* Named curves as CKA_EC_PARAMS names them, and the DER wrapping of
 * CKA_EC_POINT.  Only the two DER forms PKCS#11 uses for named curves are
 * parsed here (OBJECT IDENTIFIER, PrintableString); explicit parameters are
 * not supported. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>

#include "mech-impl.h"

#define DER_OCTET_STRING     0x04
#define DER_OID              0x06
#define DER_PRINTABLE_STRING 0x13

static const unsigned char oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const unsigned char oid_k256[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
static const unsigned char oid_x25519[] = {0x06, 0x03, 0x2b, 0x65, 0x6e};
static const unsigned char oid_x448[] = {0x06, 0x03, 0x2b, 0x65, 0x6f};
static const unsigned char oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const unsigned char oid_ed448[] = {0x06, 0x03, 0x2b, 0x65, 0x71};

static const char *const names_p256[] = {"prime256v1", "secp256r1", "P-256", NULL};
static const char *const names_p384[] = {"secp384r1", "P-384", NULL};
static const char *const names_p521[] = {"secp521r1", "P-521", NULL};
static const char *const names_k256[] = {"secp256k1", NULL};
static const char *const names_x25519[] = {"curve25519", "x25519", "X25519", NULL};
static const char *const names_x448[] = {"curve448", "x448", "X448", NULL};
static const char *const names_ed25519[] = {"edwards25519", "ed25519", "Ed25519", NULL};
static const char *const names_ed448[] = {"edwards448", "ed448", "Ed448", NULL};

#define OID(o) o, sizeof(o)

static const tsr_curve curves[] = {
    {"prime256v1", CKK_EC, OID(oid_p256), names_p256, 256, 65, 32},
    {"secp384r1", CKK_EC, OID(oid_p384), names_p384, 384, 97, 48},
    {"secp521r1", CKK_EC, OID(oid_p521), names_p521, 521, 133, 66},
    {"secp256k1", CKK_EC, OID(oid_k256), names_k256, 256, 65, 32},
    {"ED25519", CKK_EC_EDWARDS, OID(oid_ed25519), names_ed25519, 255, 32, 32},
    {"ED448", CKK_EC_EDWARDS, OID(oid_ed448), names_ed448, 448, 57, 57},
    {"X25519", CKK_EC_MONTGOMERY, OID(oid_x25519), names_x25519, 255, 32, 32},
    {"X448", CKK_EC_MONTGOMERY, OID(oid_x448), names_x448, 448, 56, 56},
};

#define N_CURVES (sizeof(curves) / sizeof(curves[0]))

bool tsr_der_unwrap(unsigned char tag, const unsigned char *in, size_t len,
                    const unsigned char **body, size_t *body_len)
{
    size_t n, hdr = 2;

    if (in == NULL || len < 2 || in[0] != tag)
        return false;
    n = in[1];
    if (n == 0x81) { /* long form, one length byte: 128..255 */
        if (len < 3 || in[2] < 0x80)
            return false;
        n = in[2];
        hdr = 3;
    } else if (n == 0x82) { /* two length bytes: 256..65535 */
        if (len < 4 || in[2] == 0)
            return false;
        n = ((size_t)in[2] << 8) | in[3];
        hdr = 4;
    } else if (n > 0x7f) {
        return false;
    }
    if (len - hdr != n)
        return false;
    *body = in + hdr;
    *body_len = n;
    return true;
}

static bool name_matches(const tsr_curve *c, const unsigned char *s, size_t len)
{
    for (const char *const *n = c->names; *n != NULL; n++)
        if (strlen(*n) == len && memcmp(*n, s, len) == 0)
            return true;
    return false;
}

CK_RV tsr_curve_from_params(const unsigned char *der, size_t len, const tsr_curve **out)
{
    const unsigned char *body = NULL;
    size_t body_len = 0;

    *out = NULL;
    if (tsr_der_unwrap(DER_OID, der, len, &body, &body_len)) {
        for (size_t i = 0; i < N_CURVES; i++)
            if (curves[i].oid_der_len == len && memcmp(curves[i].oid_der, der, len) == 0)
                *out = &curves[i];
    } else if (tsr_der_unwrap(DER_PRINTABLE_STRING, der, len, &body, &body_len)) {
        for (size_t i = 0; i < N_CURVES; i++)
            if (name_matches(&curves[i], body, body_len))
                *out = &curves[i];
    } else {
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    return *out != NULL ? CKR_OK : CKR_CURVE_NOT_SUPPORTED;
}

/* Whether `len` bytes can be a public point of `c`: uncompressed or
 * compressed on Weierstrass curves, the raw key on the others. */
static bool point_len_ok(const tsr_curve *c, const unsigned char *pt, size_t len)
{
    if (c->type != CKK_EC)
        return len == c->point_len;
    if (len == c->point_len)
        return pt[0] == 0x04;
    return len == (c->point_len + 1) / 2 && (pt[0] == 0x02 || pt[0] == 0x03);
}

CK_RV tsr_curve_point(const tsr_curve *c, const unsigned char *in, size_t len,
                      const unsigned char **pt, size_t *pt_len)
{
    const unsigned char *body = NULL;
    size_t body_len = 0;

    /* DER first: a raw point that happens to parse as DER has the wrong length. */
    if (tsr_der_unwrap(DER_OCTET_STRING, in, len, &body, &body_len) && body_len > 0 &&
        point_len_ok(c, body, body_len)) {
        *pt = body;
        *pt_len = body_len;
        return CKR_OK;
    }
    if (len > 0 && point_len_ok(c, in, len)) {
        *pt = in;
        *pt_len = len;
        return CKR_OK;
    }
    return CKR_ATTRIBUTE_VALUE_INVALID;
}

CK_RV tsr_curve_wrap_point(const unsigned char *pt, size_t len, unsigned char **out,
                           size_t *out_len)
{
    size_t hdr = len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
    unsigned char *p;

    *out = NULL;
    if (len > 0xffff)
        return CKR_ARGUMENTS_BAD;
    p = malloc(hdr + len);
    if (p == NULL)
        return CKR_HOST_MEMORY;
    p[0] = DER_OCTET_STRING;
    if (hdr == 2) {
        p[1] = (unsigned char)len;
    } else if (hdr == 3) {
        p[1] = 0x81;
        p[2] = (unsigned char)len;
    } else {
        p[1] = 0x82;
        p[2] = (unsigned char)(len >> 8);
        p[3] = (unsigned char)len;
    }
    memcpy(p + hdr, pt, len);
    *out = p;
    *out_len = hdr + len;
    return CKR_OK;
}

const tsr_curve *tsr_curve_by_group(const char *group)
{
    for (size_t i = 0; group != NULL && i < N_CURVES; i++)
        if (strcasecmp(curves[i].group, group) == 0)
            return &curves[i];
    return NULL;
}

const tsr_curve *tsr_curve_of_pkey(const EVP_PKEY *pkey)
{
    char group[64];

    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                            NULL))
            return NULL;
        return tsr_curve_by_group(group);
    }
    return tsr_curve_by_group(EVP_PKEY_get0_type_name(pkey));
}
