"""PyKCS11 against the module: what a Python application does with a token.

usage: python3 pykcs11.py MODULE  (the token directory comes from the environment)
"""
import hashlib
import sys

import PyKCS11
from PyKCS11 import LowLevel
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

SO_PIN, PIN = "87654321", "11223344"


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok:", what)


lib = PyKCS11.PyKCS11Lib()
lib.load(sys.argv[1])
info = lib.getInfo()
check(info.manufacturerID.strip() == "Tessera", "C_GetInfo names the manufacturer")

free = [s for s in lib.getSlotList(tokenPresent=True)
        if not lib.getTokenInfo(s).flags & PyKCS11.CKF_TOKEN_INITIALIZED]
check(len(free) == 1, "exactly one slot offers an uninitialised token")
slot = free[0]
lib.initToken(slot, SO_PIN, "pykcs11")
check(lib.getTokenInfo(slot).label.strip() == "pykcs11", "C_InitToken sets the label")

so = lib.openSession(slot, PyKCS11.CKF_RW_SESSION)
so.login(SO_PIN, PyKCS11.CKU_SO)
so.initPin(PIN)
so.logout()
so.closeSession()

s = lib.openSession(slot, PyKCS11.CKF_RW_SESSION)
check(s.getSessionInfo().state == PyKCS11.CKS_RW_PUBLIC_SESSION, "public session before login")
try:
    s.login("00000000")
    check(False, "a wrong PIN is refused")
except PyKCS11.PyKCS11Error as e:
    check(e.value == PyKCS11.CKR_PIN_INCORRECT, "a wrong PIN answers CKR_PIN_INCORRECT")
check(lib.getTokenInfo(slot).flags & PyKCS11.CKF_USER_PIN_COUNT_LOW,
      "the token shows CKF_USER_PIN_COUNT_LOW after it")
s.login(PIN)
check(s.getSessionInfo().state == PyKCS11.CKS_RW_USER_FUNCTIONS, "user session after login")

# RSA: generate on the token, sign, verify with the token and with `cryptography`.
pub_t = [(PyKCS11.CKA_TOKEN, True), (PyKCS11.CKA_MODULUS_BITS, 2048),
         (PyKCS11.CKA_PUBLIC_EXPONENT, (1, 0, 1)), (PyKCS11.CKA_VERIFY, True),
         (PyKCS11.CKA_LABEL, "py-rsa")]
priv_t = [(PyKCS11.CKA_TOKEN, True), (PyKCS11.CKA_SIGN, True), (PyKCS11.CKA_PRIVATE, True),
          (PyKCS11.CKA_SENSITIVE, True), (PyKCS11.CKA_LABEL, "py-rsa")]
pub, priv = s.generateKeyPair(pub_t, priv_t)
modulus = bytes(s.getAttributeValue(pub, [PyKCS11.CKA_MODULUS])[0])
exponent = bytes(s.getAttributeValue(pub, [PyKCS11.CKA_PUBLIC_EXPONENT])[0])
key_id = bytes(s.getAttributeValue(priv, [PyKCS11.CKA_ID])[0])
check(key_id == hashlib.sha1(modulus).digest(), "CKA_ID is SHA-1 of the modulus, as NSS derives it")
# PyKCS11 turns CKR_ATTRIBUTE_SENSITIVE into None for that attribute.
check(s.getAttributeValue(priv, [PyKCS11.CKA_PRIVATE_EXPONENT])[0] is None,
      "the private exponent is not readable (sensitive)")

data = b"signed by a key that never leaves the token"
mech = PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS)
sig = bytes(s.sign(priv, data, mech))
check(s.verify(pub, data, sig, mech), "C_Verify accepts the signature")
rsa_pub = rsa.RSAPublicNumbers(int.from_bytes(exponent, "big"),
                               int.from_bytes(modulus, "big")).public_key()
rsa_pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
print("ok: cryptography verifies the SHA256-RSA-PKCS signature")

pss = PyKCS11.RSA_PSS_Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS_PSS, PyKCS11.CKM_SHA256,
                                PyKCS11.CKG_MGF1_SHA256, 32)
sig = bytes(s.sign(priv, data, pss))
rsa_pub.verify(sig, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
print("ok: cryptography verifies the SHA256-RSA-PKCS-PSS signature")

# EC P-256 with raw r||s output.
p256 = bytes.fromhex("06082a8648ce3d030107")
epub, epriv = s.generateKeyPair(
    [(PyKCS11.CKA_TOKEN, False), (PyKCS11.CKA_EC_PARAMS, p256), (PyKCS11.CKA_VERIFY, True)],
    [(PyKCS11.CKA_TOKEN, False), (PyKCS11.CKA_SIGN, True)],
    mecha=PyKCS11.MechanismECGENERATEKEYPAIR)
point = bytes(s.getAttributeValue(epub, [PyKCS11.CKA_EC_POINT])[0])
check(point[0] == 0x04 and point[1] == 65, "CKA_EC_POINT is a DER OCTET STRING")
ec_pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point[2:])
sig = bytes(s.sign(epriv, data, PyKCS11.Mechanism(PyKCS11.CKM_ECDSA_SHA256)))
check(len(sig) == 64, "ECDSA signatures are raw r||s")
r, t = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
ec_pub.verify(utils.encode_dss_signature(r, t), data, ec.ECDSA(hashes.SHA256()))
print("ok: cryptography verifies the ECDSA-SHA256 signature")

# Finds: by label, by class, and on an attribute the token does not know.
found = s.findObjects([(PyKCS11.CKA_LABEL, "py-rsa")])
check(len(found) == 2, "find by label returns the public and the private key")
found = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_ID, key_id)])
check(len(found) == 1, "find by class and CKA_ID returns the private key")
check(len(s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                         (0x80000123, b"vendor")])) == 0,
      "a search on an attribute the token does not know finds nothing")

# Randomness and digests.
check(len(s.generateRandom(32)) == 32, "C_GenerateRandom")
check(bytes(s.digest(data, PyKCS11.Mechanism(PyKCS11.CKM_SHA256))) == hashlib.sha256(data).digest(),
      "C_Digest SHA-256 agrees with hashlib")

s.logout()
check(s.getSessionInfo().state == PyKCS11.CKS_RW_PUBLIC_SESSION, "public again after logout")
check(len(s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY)])) == 0,
      "private keys are invisible after logout")
check(len(s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PUBLIC_KEY),
                         (PyKCS11.CKA_LABEL, "py-rsa")])) == 1,
      "the token public key stays visible, so NSS can tell a key is there")
s.closeSession()
print("PyKCS11: all checks passed")
