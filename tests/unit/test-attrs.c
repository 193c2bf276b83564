/* Unit tests for the common layer: attribute arrays and the handle map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attrs.h"
#include "hmap.h"

static void set_replace_find(void **state)
{
    tsr_attrs a;
    CK_ULONG v = 0;

    tsr_attrs_init(&a);
    assert_int_equal(tsr_attrs_set(&a, CKA_LABEL, "abc", 3), CKR_OK);
    assert_int_equal(tsr_attrs_set(&a, CKA_LABEL, "xy", 2), CKR_OK);
    assert_int_equal(a.n, 1);
    assert_int_equal(tsr_attrs_find(&a, CKA_LABEL)->ulValueLen, 2);
    assert_memory_equal(tsr_attrs_find(&a, CKA_LABEL)->pValue, "xy", 2);
    assert_int_equal(tsr_attrs_set_ulong(&a, CKA_CLASS, CKO_DATA), CKR_OK);
    assert_true(tsr_attrs_get_ulong(&a, CKA_CLASS, &v));
    assert_int_equal(v, CKO_DATA);
    assert_false(tsr_attrs_get_ulong(&a, CKA_LABEL, &v)); /* wrong size */
    assert_int_equal(tsr_attrs_set(&a, CKA_ID, NULL, 5), CKR_ARGUMENTS_BAD);
    tsr_attrs_remove(&a, CKA_LABEL);
    assert_null(tsr_attrs_find(&a, CKA_LABEL));
    assert_non_null(tsr_attrs_find(&a, CKA_CLASS));
    tsr_attrs_clear(&a);
    assert_int_equal(a.n, 0);
}

static void bools_and_defaults(void **state)
{
    tsr_attrs a;

    tsr_attrs_init(&a);
    assert_true(tsr_attrs_get_bool(&a, CKA_TOKEN, true));
    assert_int_equal(tsr_attrs_set_bool(&a, CKA_TOKEN, false), CKR_OK);
    assert_int_equal(tsr_attrs_default_bool(&a, CKA_TOKEN, true), CKR_OK);
    assert_false(tsr_attrs_get_bool(&a, CKA_TOKEN, true));
    assert_int_equal(tsr_attrs_default_bytes(&a, CKA_LABEL, "", 0), CKR_OK);
    assert_true(tsr_attrs_has(&a, CKA_LABEL));
    assert_int_equal(tsr_attrs_find(&a, CKA_LABEL)->ulValueLen, 0);
    tsr_attrs_clear(&a);
}

static void template_checks(void **state)
{
    tsr_attrs a;
    CK_BBOOL t = CK_TRUE;
    CK_ATTRIBUTE dup[] = {{CKA_TOKEN, &t, 1}, {CKA_TOKEN, &t, 1}};
    CK_ATTRIBUTE null_value[] = {{CKA_LABEL, NULL, 4}};
    CK_ATTRIBUTE ok[] = {{CKA_TOKEN, &t, 1}, {CKA_LABEL, "k", 1}};

    tsr_attrs_init(&a);
    assert_int_equal(tsr_attrs_from_template(&a, dup, 2), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(a.n, 0); /* nothing half-copied */
    assert_int_equal(tsr_attrs_from_template(&a, null_value, 1), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(tsr_attrs_from_template(&a, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(tsr_attrs_from_template(&a, ok, 2), CKR_OK);
    assert_int_equal(a.n, 2);
    assert_true(tsr_attrs_match(&a, ok, 2));
    assert_true(tsr_attrs_match(&a, NULL, 0));
    CK_ATTRIBUTE other[] = {{CKA_LABEL, "j", 1}};
    CK_ATTRIBUTE unknown[] = {{CKA_VENDOR_DEFINED + 7, "j", 1}};
    assert_false(tsr_attrs_match(&a, other, 1));
    assert_false(tsr_attrs_match(&a, unknown, 1));
    tsr_attrs_clear(&a);
}

static bool not_label(CK_ATTRIBUTE_TYPE type, void *arg)
{
    return type != CKA_LABEL;
}

static void encode_decode(void **state)
{
    tsr_attrs a, b;
    unsigned char *enc = NULL;
    size_t len = 0;

    tsr_attrs_init(&a);
    tsr_attrs_init(&b);
    assert_int_equal(tsr_attrs_set(&a, CKA_LABEL, "label", 5), CKR_OK);
    assert_int_equal(tsr_attrs_set(&a, CKA_ID, "", 0), CKR_OK);
    assert_int_equal(tsr_attrs_set_ulong(&a, CKA_CLASS, CKO_CERTIFICATE), CKR_OK);
    assert_int_equal(tsr_attrs_encode(&a, NULL, NULL, &enc, &len), CKR_OK);
    assert_int_equal(tsr_attrs_decode(&b, enc, len), CKR_OK);
    assert_int_equal(b.n, 3);
    assert_true(tsr_attrs_match(&b, a.v, a.n));
    assert_int_equal(tsr_attrs_find(&b, CKA_ID)->ulValueLen, 0);
    free(enc);
    tsr_attrs_clear(&b);

    /* A filter keeps only what it says. */
    assert_int_equal(tsr_attrs_encode(&a, not_label, NULL, &enc, &len), CKR_OK);
    assert_int_equal(tsr_attrs_decode(&b, enc, len), CKR_OK);
    assert_null(tsr_attrs_find(&b, CKA_LABEL));
    assert_int_equal(b.n, 2);

    /* Truncated or foreign records are damage, and leave the target alone. */
    tsr_attrs_clear(&b);
    assert_int_equal(tsr_attrs_decode(&b, enc, len - 1), CKR_DEVICE_ERROR);
    assert_int_equal(b.n, 0);
    enc[0] = 'X';
    assert_int_equal(tsr_attrs_decode(&b, enc, len), CKR_DEVICE_ERROR);
    assert_int_equal(tsr_attrs_decode(&b, enc, 2), CKR_DEVICE_ERROR);
    free(enc);
    tsr_attrs_clear(&a);
    tsr_attrs_clear(&b);
}

static void hmap_many(void **state)
{
    tsr_hmap m;
    enum { N = 5000 };

    tsr_hmap_init(&m);
    assert_null(tsr_hmap_get(&m, 1));
    assert_false(tsr_hmap_put(&m, 0, &m)); /* 0 is never a key */
    for (uintptr_t i = 1; i <= N; i++)
        assert_true(tsr_hmap_put(&m, i, (void *)i));
    assert_int_equal(m.n, N);
    /* Remove every third, then check all of them. */
    for (uintptr_t i = 1; i <= N; i += 3)
        assert_ptr_equal(tsr_hmap_take(&m, i), (void *)i);
    for (uintptr_t i = 1; i <= N; i++) {
        void *v = tsr_hmap_get(&m, i);
        if ((i - 1) % 3 == 0)
            assert_null(v);
        else
            assert_ptr_equal(v, (void *)i);
    }
    assert_null(tsr_hmap_take(&m, 1));
    assert_true(tsr_hmap_put(&m, 2, (void *)7)); /* replace keeps the count */
    assert_int_equal(m.n, N - (N + 2) / 3);
    tsr_hmap_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_replace_find), cmocka_unit_test(bools_and_defaults),
        cmocka_unit_test(template_checks),  cmocka_unit_test(encode_decode),
        cmocka_unit_test(hmap_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
