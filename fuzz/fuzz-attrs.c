/* Stored attribute records (tsr_attrs_decode): what a damaged or hostile
 * token file hands the token.  A record that decodes must re-encode to one
 * that decodes to the same attributes. */
#include <stdint.h>
#include <stdlib.h>

#include "attrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsr_attrs a, b;
    unsigned char *enc = NULL;
    size_t len = 0;

    tsr_attrs_init(&a);
    tsr_attrs_init(&b);
    if (tsr_attrs_decode(&a, data, size) == CKR_OK &&
        tsr_attrs_encode(&a, NULL, NULL, &enc, &len) == CKR_OK) {
        if (tsr_attrs_decode(&b, enc, len) != CKR_OK || b.n != a.n ||
            !tsr_attrs_match(&b, a.v, a.n))
            abort();
    }
    free(enc);
    tsr_attrs_clear(&a);
    tsr_attrs_clear(&b);
    return 0;
}
