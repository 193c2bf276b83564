/* The tool's RFC 7512 URI parser (src/cli/uri.c): any bytes must parse or be
 * refused with a reason, never crash; a parsed URI must match against a
 * token and format without trouble. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cli_module mod = {.name = "fuzz", .path = "/fuzz.so"};
    struct cli_slot slot = {.mod = &mod, .id = 3, .present = true};
    CK_ATTRIBUTE tmpl[3];
    const char *why = NULL;
    struct p11uri *u;
    char *text = malloc(size + 1), *out;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(mod.info.libraryDescription, ' ', 32);
    memset(slot.info.slotDescription, ' ', 64);
    memset(slot.token.label, ' ', 32);
    memcpy(slot.token.label, "fuzz", 4);
    u = p11uri_parse(text, &why);
    if (u == NULL && why == NULL)
        abort();
    if (u != NULL) {
        p11uri_match_token(u, &slot);
        p11uri_object_template(u, tmpl);
        p11uri_pin_value(u);
        out = p11uri_format(&slot, (const unsigned char *)text, size < 16 ? size : 16, text,
                            CKO_PRIVATE_KEY);
        /* What we format, we parse. */
        if (out != NULL) {
            struct p11uri *again = p11uri_parse(out, &why);

            if (again == NULL)
                abort();
            p11uri_free(again);
        }
        free(out);
        p11uri_free(u);
    }
    free(text);
    return 0;
}
