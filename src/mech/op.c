/* Operations: the checks every mechanism shares, and the length protocol of
 * mech.h in one place so no family has to get it right on its own. */
#include <stdlib.h>
#include <string.h>

#include "mech-impl.h"
#include "secmem.h"

/* The op the caller sees, plus a finished result that did not fit its buffer
 * (a decryption shorter than the bound), handed out on the next call. */
typedef struct op_full {
    tsr_op op;
    unsigned char *held;
    size_t held_len;
    bool has_held;
} op_full;

static op_full *full_of(tsr_op *op)
{
    return (op_full *)((char *)op - offsetof(op_full, op));
}

static bool key_type_ok(const tsr_mech *m, CK_KEY_TYPE type)
{
    for (unsigned i = 0; i < m->key_type_count; i++)
        if (m->key_types[i] == type)
            return true;
    return false;
}

static bool single_kind(tsr_op_kind kind)
{
    return kind != 0 && (kind & (kind - 1)) == 0;
}

/* The key's size against the row's CK_MECHANISM_INFO (asymmetric keys only:
 * secret-key families check their own sizes). */
static CK_RV check_key_size(const tsr_mech *m, const tsr_key *key)
{
    CK_ULONG bits = 0;
    CK_RV rv;

    if (key->pkey == NULL || m->info.ulMaxKeySize == 0)
        return CKR_OK;
    rv = tsr_mech_key_bits(key->pkey, &bits);
    if (rv != CKR_OK)
        return rv;
    if (bits < m->info.ulMinKeySize || bits > m->info.ulMaxKeySize)
        return CKR_KEY_SIZE_RANGE;
    return CKR_OK;
}

CK_RV tsr_op_new(const tsr_mech *m, tsr_op_kind kind, const CK_MECHANISM *mech, const tsr_key *key,
                 tsr_op **out)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    op_full *f = NULL;

    *out = NULL;
    if (m == NULL || m->ops == NULL || !single_kind(kind) || (m->kinds & kind) == 0) {
        rv = CKR_MECHANISM_INVALID;
        goto out;
    }
    if (mech == NULL || (m->key_type_count > 0 && key == NULL)) {
        rv = CKR_ARGUMENTS_BAD;
        goto out;
    }
    if (m->key_type_count > 0) {
        if (!key_type_ok(m, key->type)) {
            rv = CKR_KEY_TYPE_INCONSISTENT;
            goto out;
        }
        rv = check_key_size(m, key);
        if (rv != CKR_OK)
            goto out;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    f->op.mech = m;
    f->op.kind = kind;
    rv = m->ops->init(&f->op, mech, key);
    if (rv != CKR_OK)
        goto out;
    *out = &f->op;
    f = NULL;
out:
    if (f != NULL)
        tsr_op_free(&f->op);
    return rv;
}

void tsr_op_free(tsr_op *op)
{
    op_full *f;

    if (op == NULL)
        return;
    f = full_of(op);
    if (op->state != NULL && op->mech->ops->cleanup != NULL)
        op->mech->ops->cleanup(op);
    tsr_free_secret(f->held, f->held_len);
    free(f);
}

CK_RV tsr_op_update(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                    size_t *out_len)
{
    const tsr_mech_ops *ops = op->mech->ops;
    size_t need = 0;
    CK_RV rv;

    if (ops->update == NULL)
        return CKR_FUNCTION_NOT_SUPPORTED;
    if (ops->update_len == NULL)
        return ops->update(op, in, in_len, out, out_len);
    /* A cipher: the length protocol, before any input is consumed. */
    if (out_len == NULL)
        return CKR_ARGUMENTS_BAD;
    rv = ops->update_len(op, in_len, &need);
    if (rv != CKR_OK)
        return rv;
    if (out == NULL || *out_len < need) {
        *out_len = need;
        return out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
    }
    return ops->update(op, in, in_len, out, out_len);
}

/* Every output but a decryption has exactly op->out_len bytes, so a smaller
 * buffer can be refused without computing anything. */
static bool bound_is_exact(const tsr_op *op)
{
    return op->kind != TSR_OP_DECRYPT;
}

/* Hands out (or measures) a result kept by an earlier BUFFER_TOO_SMALL. */
static CK_RV give_held(op_full *f, unsigned char *out, size_t *out_len)
{
    if (out == NULL) {
        *out_len = f->held_len;
        return CKR_OK;
    }
    if (*out_len < f->held_len) {
        *out_len = f->held_len;
        return CKR_BUFFER_TOO_SMALL;
    }
    memcpy(out, f->held, f->held_len);
    *out_len = f->held_len;
    return CKR_OK;
}

/* What produces an output: final, or a cipher's single-part run.  `out`
 * has room for the bound; *out_len is set to the real length. */
typedef CK_RV (*produce_fn)(op_full *f, const unsigned char *in, size_t in_len, unsigned char *out,
                            size_t *out_len);

static CK_RV produce_final(op_full *f, const unsigned char *in, size_t in_len, unsigned char *out,
                           size_t *out_len)
{
    return f->op.mech->ops->final(&f->op, out, out_len);
}

/* A cipher's single-part run: its own hook, or update then final. */
static CK_RV produce_oneshot(op_full *f, const unsigned char *in, size_t in_len, unsigned char *out,
                             size_t *out_len)
{
    const tsr_mech_ops *ops = f->op.mech->ops;
    size_t cap = *out_len, n1 = cap, n2;
    CK_RV rv;

    if (ops->oneshot != NULL)
        return ops->oneshot(&f->op, in, in_len, out, out_len);
    if (ops->update == NULL || ops->final == NULL)
        return CKR_FUNCTION_NOT_SUPPORTED;
    rv = ops->update(&f->op, in, in_len, out, &n1);
    if (rv != CKR_OK)
        return rv;
    if (n1 > cap || cap - n1 < f->op.out_len)
        return CKR_GENERAL_ERROR; /* the family's oneshot_len is wrong */
    n2 = cap - n1;
    rv = ops->final(&f->op, out + n1, &n2);
    if (rv == CKR_OK)
        *out_len = n1 + n2;
    return rv;
}

/* Runs `fn` into `out` when it has room for `need` bytes; otherwise into a
 * buffer of that size whose result is held for the caller's next call. */
static CK_RV produce(op_full *f, produce_fn fn, size_t need, const unsigned char *in, size_t in_len,
                     unsigned char *out, size_t *out_len)
{
    CK_RV rv = CKR_GENERAL_ERROR;
    size_t n = need;
    unsigned char *tmp = NULL;

    if (*out_len >= need)
        return fn(f, in, in_len, out, out_len);
    tmp = malloc(n ? n : 1);
    if (tmp == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    rv = fn(f, in, in_len, tmp, &n);
    if (rv != CKR_OK)
        goto out;
    f->held = tmp;
    f->held_len = n;
    f->has_held = true;
    tmp = NULL;
    rv = give_held(f, out, out_len);
out:
    tsr_free_secret(tmp, need);
    return rv;
}

/* The part of the length protocol before any input is consumed, for an
 * output of `need` bytes at most: CKR_OK with *done set when the call is
 * answered already. */
static CK_RV length_check(op_full *f, size_t need, unsigned char *out, size_t *out_len, bool *done)
{
    *done = true;
    if (f->has_held)
        return give_held(f, out, out_len);
    if (out == NULL) {
        *out_len = need;
        return CKR_OK;
    }
    if (*out_len < need && bound_is_exact(&f->op)) {
        *out_len = need;
        return CKR_BUFFER_TOO_SMALL;
    }
    *done = false;
    return CKR_OK;
}

static CK_RV run_final(op_full *f, unsigned char *out, size_t *out_len)
{
    return produce(f, produce_final, f->op.out_len, NULL, 0, out, out_len);
}

/* C_Encrypt / C_Decrypt on a cipher, whose output depends on the input. */
static CK_RV cipher_oneshot(op_full *f, const unsigned char *in, size_t in_len, unsigned char *out,
                            size_t *out_len)
{
    size_t need = 0;
    bool done = false;
    CK_RV rv;

    if (!f->has_held) {
        rv = f->op.mech->ops->oneshot_len(&f->op, in_len, &need);
        if (rv != CKR_OK)
            return rv;
    }
    rv = length_check(f, need, out, out_len, &done);
    if (rv != CKR_OK || done)
        return rv;
    return produce(f, produce_oneshot, need, in, in_len, out, out_len);
}

/* Verification ends in tsr_op_verify_final, never in an output. */
static bool has_output(const tsr_op *op)
{
    return op->kind != TSR_OP_VERIFY && op->mech->ops->final != NULL;
}

CK_RV tsr_op_final(tsr_op *op, unsigned char *out, size_t *out_len)
{
    op_full *f = full_of(op);
    bool done = false;
    CK_RV rv;

    if (!has_output(op))
        return CKR_FUNCTION_NOT_SUPPORTED;
    rv = length_check(f, op->out_len, out, out_len, &done);
    if (rv != CKR_OK || done)
        return rv;
    return run_final(f, out, out_len);
}

CK_RV tsr_op_oneshot(tsr_op *op, const unsigned char *in, size_t in_len, unsigned char *out,
                     size_t *out_len)
{
    op_full *f = full_of(op);
    bool done = false;
    size_t none = 0;
    CK_RV rv;

    if (op->kind != TSR_OP_VERIFY && op->mech->ops->oneshot_len != NULL)
        return cipher_oneshot(f, in, in_len, out, out_len);
    if (!has_output(op) || op->mech->ops->update == NULL)
        return CKR_FUNCTION_NOT_SUPPORTED;
    rv = length_check(f, op->out_len, out, out_len, &done);
    if (rv != CKR_OK || done)
        return rv;
    rv = op->mech->ops->update(op, in, in_len, NULL, &none);
    if (rv != CKR_OK)
        return rv;
    return run_final(f, out, out_len);
}

CK_RV tsr_op_verify_final(tsr_op *op, const unsigned char *sig, size_t sig_len)
{
    if (op->kind != TSR_OP_VERIFY || op->mech->ops->verify_final == NULL)
        return CKR_FUNCTION_NOT_SUPPORTED;
    return op->mech->ops->verify_final(op, sig, sig_len);
}

CK_RV tsr_op_verify(tsr_op *op, const unsigned char *data, size_t data_len,
                    const unsigned char *sig, size_t sig_len)
{
    size_t none = 0;
    CK_RV rv;

    if (op->kind != TSR_OP_VERIFY || op->mech->ops->update == NULL)
        return CKR_FUNCTION_NOT_SUPPORTED;
    rv = op->mech->ops->update(op, data, data_len, NULL, &none);
    if (rv != CKR_OK)
        return rv;
    return tsr_op_verify_final(op, sig, sig_len);
}
