/* Caller templates through the attribute rules: C_CreateObject's path from
 * raw CK_ATTRIBUTEs to a finished object (certificates are parsed there).
 * Input: repeated [type: 1 byte index or 4-byte raw][len: 1 byte][value]. */
#include <stdint.h>
#include <string.h>

#include "attrs.h"
#include "ossl.h"
#include "schema.h"

static const CK_ATTRIBUTE_TYPE common_types[] = {
    CKA_CLASS,
    CKA_TOKEN,
    CKA_PRIVATE,
    CKA_LABEL,
    CKA_VALUE,
    CKA_KEY_TYPE,
    CKA_ID,
    CKA_SENSITIVE,
    CKA_EXTRACTABLE,
    CKA_MODULUS,
    CKA_PUBLIC_EXPONENT,
    CKA_PRIVATE_EXPONENT,
    CKA_EC_PARAMS,
    CKA_EC_POINT,
    CKA_CERTIFICATE_TYPE,
    CKA_SUBJECT,
    CKA_ISSUER,
    CKA_SERIAL_NUMBER,
    CKA_VALUE_LEN,
    CKA_ALLOWED_MECHANISMS,
    CKA_TRUSTED,
    CKA_MODIFIABLE,
    CKA_COPYABLE,
    CKA_DESTROYABLE,
    CKA_LOCAL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CK_ATTRIBUTE tmpl[32];
    CK_ULONG n = 0, klass = CKO_DATA, type = CK_UNAVAILABLE_INFORMATION;
    size_t off = 0;
    tsr_attrs a;

    if (tsr_ossl_init() != CKR_OK)
        return 0;
    while (off + 2 <= size && n < 32) {
        CK_ATTRIBUTE_TYPE t =
            common_types[data[off] % (sizeof(common_types) / sizeof(common_types[0]))];
        size_t len = data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        tmpl[n].type = t;
        tmpl[n].pValue = (void *)(data + off);
        tmpl[n].ulValueLen = len;
        n++;
        off += len;
    }
    tsr_attrs_init(&a);
    if (tsr_attrs_from_template(&a, tmpl, n) == CKR_OK) {
        tsr_attrs_get_ulong(&a, CKA_CLASS, &klass);
        tsr_attrs_get_ulong(&a, CKA_KEY_TYPE, &type);
        if (tsr_schema_check_template(&a, klass, type, TSR_ORIGIN_CREATE) == CKR_OK)
            (void)tsr_schema_finish(&a, TSR_ORIGIN_CREATE, CK_UNAVAILABLE_INFORMATION);
    }
    tsr_attrs_clear(&a);
    return 0;
}
