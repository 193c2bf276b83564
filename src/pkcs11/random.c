/* Random number generation functions: PKCS#11 3.0 section 5.19. */
#include "face.h"

/* 5.19.1 C_SeedRandom: the generator is OpenSSL's, seeded by the system; a
 * caller's seed is not mixed in. */
CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pSeed, ulSeedLen))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_face_refuse(hSession, CKR_RANDOM_SEED_NOT_SUPPORTED);
}

/* 5.19.2 C_GenerateRandom */
CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData, CK_ULONG ulRandomLen)
{
    FACE_CHECK_INIT();
    if (!face_buf_ok(pRandomData, ulRandomLen))
        return tsr_face_refuse(hSession, CKR_ARGUMENTS_BAD);
    return tsr_random(hSession, pRandomData, ulRandomLen);
}
