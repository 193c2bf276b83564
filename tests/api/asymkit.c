#include <stdlib.h>

#include "asymkit.h"

void ak_assert_bytes(const unsigned char *got, size_t got_len, const unsigned char *want,
                     size_t want_len)
{
    assert_int_equal(got_len, want_len);
    if (want_len > 0)
        assert_memory_equal(got, want, want_len);
}

CK_OBJECT_HANDLE ak_secret(CK_SESSION_HANDLE s, CK_KEY_TYPE type, const void *val, size_t len)
{
    CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, klass),         ATTR_VAR(CKA_KEY_TYPE, type),
        {CKA_VALUE, (void *)val, len},      ATTR_VAR(CKA_DERIVE, api_true),
        ATTR_VAR(CKA_SENSITIVE, api_false), ATTR_VAR(CKA_EXTRACTABLE, api_true),
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    return h;
}

CK_RV ak_derive(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE base, CK_KEY_TYPE type,
                CK_ULONG len, CK_OBJECT_HANDLE *out)
{
    CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, klass),         ATTR_VAR(CKA_KEY_TYPE, type),
        ATTR_VAR(CKA_SENSITIVE, api_false), ATTR_VAR(CKA_EXTRACTABLE, api_true),
        ATTR_VAR(CKA_VALUE_LEN, len),
    };

    *out = CK_INVALID_HANDLE;
    return p11->C_DeriveKey(s, m, base, t, len > 0 ? 5 : 4, out);
}

unsigned char *ak_take_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ULONG *len)
{
    unsigned char *v = NULL;

    assert_rv(api_get_attr(s, h, CKA_VALUE, &v, len), CKR_OK);
    assert_rv(p11->C_DestroyObject(s, h), CKR_OK);
    return v;
}

void ak_value_is(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const unsigned char *want,
                 size_t want_len)
{
    CK_ULONG len = 0;
    unsigned char *v = ak_take_value(s, h, &len);

    ak_assert_bytes(v, len, want, want_len);
    free(v);
}
