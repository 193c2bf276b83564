/* Key material from templates and token files into OpenSSL keys: EC
 * parameters and points, RSA integers.  Input: class byte, key type byte,
 * then two length-prefixed values. */
#include <stdint.h>

#include "attrs.h"
#include "mech.h"

static const CK_KEY_TYPE key_types[] = {CKK_RSA, CKK_EC, CKK_EC_EDWARDS, CKK_EC_MONTGOMERY};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsr_attrs a;
    EVP_PKEY *pkey = NULL;
    CK_OBJECT_CLASS klass;
    CK_KEY_TYPE type;
    size_t off = 2, l1, l2;

    if (size < 4 || tsr_ossl_init() != CKR_OK)
        return 0;
    klass = data[0] & 1 ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
    type = key_types[data[1] % 4];
    l1 = data[off++];
    if (l1 > size - off)
        l1 = size - off;
    tsr_attrs_init(&a);
    if (type == CKK_RSA) {
        tsr_attrs_set(&a, CKA_MODULUS, data + off, l1);
        off += l1;
        l2 = size - off;
        tsr_attrs_set(&a, klass == CKO_PRIVATE_KEY ? CKA_PRIVATE_EXPONENT : CKA_PUBLIC_EXPONENT,
                      data + off, l2);
        if (klass == CKO_PRIVATE_KEY)
            tsr_attrs_set(&a, CKA_PUBLIC_EXPONENT, "\x01\x00\x01", 3);
    } else {
        tsr_attrs_set(&a, CKA_EC_PARAMS, data + off, l1);
        off += l1;
        l2 = size - off;
        tsr_attrs_set(&a, klass == CKO_PRIVATE_KEY ? CKA_VALUE : CKA_EC_POINT, data + off, l2);
    }
    if (tsr_mech_pkey_from_attrs(klass, type, &a, &pkey) == CKR_OK)
        EVP_PKEY_free(pkey);
    tsr_attrs_clear(&a);
    return 0;
}
