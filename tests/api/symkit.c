#include <stdio.h>
#include <stdlib.h>

#include "symkit.h"

typedef CK_RV (*init_fn)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
typedef CK_RV (*run_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*final_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR);

static const unsigned char nothing[1];

/* A non-NULL pointer for empty input, which some calls would refuse. */
static CK_BYTE_PTR data_ptr(const unsigned char *p)
{
    return (CK_BYTE_PTR)(p != NULL ? p : nothing);
}

CK_OBJECT_HANDLE sym_key(CK_SESSION_HANDLE s, CK_KEY_TYPE type, const void *v, size_t len)
{
    CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
    CK_ATTRIBUTE t[] = {
        ATTR_VAR(CKA_CLASS, klass),      ATTR_VAR(CKA_KEY_TYPE, type),
        {CKA_VALUE, (void *)v, len},     ATTR_VAR(CKA_TOKEN, api_false),
        ATTR_VAR(CKA_ENCRYPT, api_true), ATTR_VAR(CKA_DECRYPT, api_true),
        ATTR_VAR(CKA_SIGN, api_true),    ATTR_VAR(CKA_VERIFY, api_true),
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

    assert_rv(p11->C_CreateObject(s, t, COUNT(t), &h), CKR_OK);
    return h;
}

/* Runs a call that produces output of at most `n` bytes, found by a NULL
 * query: for `exact` results a buffer one byte short must be refused first. */
static CK_RV sized(CK_SESSION_HANDLE s, run_fn run, final_fn fin, const unsigned char *in,
                   size_t len, bool exact, unsigned char *out, size_t cap, size_t *out_len)
{
    CK_ULONG n = 0, small, got;
    CK_RV rv;

    rv = run ? run(s, data_ptr(in), len, NULL, &n) : fin(s, NULL, &n);
    if (rv != CKR_OK)
        return rv;
    if (n > cap)
        fail_msg("the module asks for %lu bytes, more than the %zu expected", n, cap);
    if (exact && n > 0) {
        small = n - 1;
        rv = run ? run(s, data_ptr(in), len, out, &small) : fin(s, out, &small);
        assert_rv(rv, CKR_BUFFER_TOO_SMALL);
        assert_int_equal(small, n);
    }
    got = n;
    rv = run ? run(s, data_ptr(in), len, out, &got) : fin(s, out, &got);
    if (rv == CKR_OK && exact)
        assert_int_equal(got, n);
    if (rv == CKR_OK)
        assert_true(got <= n);
    *out_len = got;
    return rv;
}

CK_RV sym_crypt(CK_SESSION_HANDLE s, bool enc, CK_MECHANISM *m, CK_OBJECT_HANDLE key,
                const unsigned char *in, size_t len, unsigned char *out, size_t cap,
                size_t *out_len)
{
    init_fn init = enc ? p11->C_EncryptInit : p11->C_DecryptInit;
    CK_RV rv = init(s, m, key);

    *out_len = 0;
    if (rv != CKR_OK)
        return rv;
    return sized(s, enc ? p11->C_Encrypt : p11->C_Decrypt, NULL, in, len, enc, out, cap, out_len);
}

CK_RV sym_crypt_parts(CK_SESSION_HANDLE s, bool enc, CK_MECHANISM *m, CK_OBJECT_HANDLE key,
                      const unsigned char *in, size_t len, size_t chunk, unsigned char *out,
                      size_t cap, size_t *out_len)
{
    run_fn update = enc ? p11->C_EncryptUpdate : p11->C_DecryptUpdate;
    final_fn fin = enc ? p11->C_EncryptFinal : p11->C_DecryptFinal;
    size_t total = 0, piece, got;
    CK_RV rv;

    *out_len = 0;
    rv = (enc ? p11->C_EncryptInit : p11->C_DecryptInit)(s, m, key);
    for (size_t off = 0; rv == CKR_OK && off < len; off += piece) {
        piece = len - off < chunk ? len - off : chunk;
        /* Every update's size is exact: it is known before any input goes in. */
        rv = sized(s, update, NULL, in + off, piece, true, out + total, cap - total, &got);
        total += got;
    }
    if (rv == CKR_OK)
        rv = sized(s, NULL, fin, NULL, 0, enc, out + total, cap - total, &got);
    if (rv == CKR_OK)
        *out_len = total + got;
    return rv;
}

/* The multi-part updates of sign, verify and digest. */
static CK_RV feed(CK_SESSION_HANDLE s, CK_RV (*update)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG),
                  const unsigned char *in, size_t len, size_t chunk)
{
    CK_RV rv = CKR_OK;
    size_t piece;

    for (size_t off = 0; rv == CKR_OK && off < len; off += piece) {
        piece = len - off < chunk ? len - off : chunk;
        rv = update(s, data_ptr(in + off), piece);
    }
    return rv;
}

CK_RV sym_sign(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE key, const unsigned char *in,
               size_t len, size_t chunk, unsigned char *out, size_t *out_len)
{
    CK_RV rv = p11->C_SignInit(s, m, key);

    *out_len = 0;
    if (rv == CKR_OK && chunk == 0)
        return sized(s, p11->C_Sign, NULL, in, len, true, out, 64, out_len);
    if (rv == CKR_OK)
        rv = feed(s, p11->C_SignUpdate, in, len, chunk);
    if (rv == CKR_OK)
        rv = sized(s, NULL, p11->C_SignFinal, NULL, 0, true, out, 64, out_len);
    return rv;
}

CK_RV sym_verify(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE key,
                 const unsigned char *in, size_t len, size_t chunk, const unsigned char *sig,
                 size_t sig_len)
{
    CK_RV rv = p11->C_VerifyInit(s, m, key);

    if (rv == CKR_OK && chunk == 0)
        return p11->C_Verify(s, data_ptr(in), len, data_ptr(sig), sig_len);
    if (rv == CKR_OK)
        rv = feed(s, p11->C_VerifyUpdate, in, len, chunk);
    if (rv == CKR_OK)
        rv = p11->C_VerifyFinal(s, data_ptr(sig), sig_len);
    return rv;
}

CK_RV sym_digest(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE type, const unsigned char *in, size_t len,
                 size_t chunk, unsigned char *out, size_t *out_len)
{
    CK_MECHANISM m = {type, NULL, 0};
    CK_RV rv = p11->C_DigestInit(s, &m);

    *out_len = 0;
    if (rv == CKR_OK && chunk == 0)
        return sized(s, p11->C_Digest, NULL, in, len, true, out, 64, out_len);
    if (rv == CKR_OK)
        rv = feed(s, p11->C_DigestUpdate, in, len, chunk);
    if (rv == CKR_OK)
        rv = sized(s, NULL, p11->C_DigestFinal, NULL, 0, true, out, 64, out_len);
    return rv;
}

static void print_hex(const char *what, const unsigned char *p, size_t n)
{
    print_error("%s (%zu bytes): ", what, n);
    for (size_t i = 0; i < n; i++)
        print_error("%02x", p[i]);
    print_error("\n");
}

void sym_assert_bytes(const unsigned char *got, size_t got_len, const unsigned char *want,
                      size_t want_len, const char *file, int line)
{
    if (got_len == want_len && (want_len == 0 || memcmp(got, want, want_len) == 0))
        return;
    print_hex("got ", got, got_len);
    print_hex("want", want, want_len);
    _fail(file, line);
}
