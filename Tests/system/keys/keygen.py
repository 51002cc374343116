"""Signing keys as an operator makes them (the openssl command line), and what the tests derive from them.

``KEY_FORMS`` lists each kind of key in each PEM form openssl writes; ``make_key`` runs the command into a
folder and returns a ``KeyFile`` with its private and public PEM files, the JWK the auth service must
publish for it (members, ``alg``, ``use``, and the RFC 7638 thumbprint as ``kid``) and the means to sign
tokens with it, so a test can mint tokens of its own: valid ones (a control) and forged ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

#: name -> (JWS alg the key must be published with, the openssl command that makes it; OUT is the file).
KEY_FORMS: dict[str, tuple[str, list[str]]] = {
    "ed25519-pkcs8": ("EdDSA", ["openssl", "genpkey", "-algorithm", "ed25519", "-out", "OUT"]),
    "p256-pkcs8": ("ES256", ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                             "-out", "OUT"]),
    "p256-sec1": ("ES256", ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "OUT"]),
    # Without -noout openssl writes an "EC PARAMETERS" block before the key, and many guides omit it.
    "p256-sec1-with-parameters": ("ES256", ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", "OUT"]),
    "rsa2048-pkcs8": ("RS256", ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                                "-out", "OUT"]),
    "rsa2048-pkcs1": ("RS256", ["openssl", "genrsa", "-traditional", "-out", "OUT", "2048"]),
    "rsa3072-pkcs8": ("RS256", ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072",
                                "-out", "OUT"]),
}

#: Keys the auth service must refuse (it exits at start with a reason): too weak, or of no kind it signs with.
REFUSED_FORMS: dict[str, list[str]] = {
    "rsa1024": ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "OUT"],
    "p384": ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "OUT"],
    "ed448": ["openssl", "genpkey", "-algorithm", "ed448", "-out", "OUT"],
}

#: One form per kind: what the rotation and mixed-key tests use.
KIND_FORMS = {"EdDSA": "ed25519-pkcs8", "ES256": "p256-pkcs8", "RS256": "rsa2048-pkcs8"}


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int, length: int | None = None) -> bytes:
    return value.to_bytes(length or max(1, (value.bit_length() + 7) // 8), "big")


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the kind's required members, sorted, no whitespace; base64url."""
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def public_jwk(public_key: Any, alg: str) -> dict[str, str]:
    """The JWK (RFC 7517/7518/8037) of PUBLIC_KEY as it must appear in the JWKS, ``kid`` included."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        numbers = public_key.public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": b64url(_int_bytes(numbers.x, 32)),
               "y": b64url(_int_bytes(numbers.y, 32))}
    elif isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        jwk = {"kty": "RSA", "n": b64url(_int_bytes(numbers.n)), "e": b64url(_int_bytes(numbers.e))}
    else:
        raise TypeError(f"no JWK for {type(public_key).__name__}")
    return {**jwk, "alg": alg, "use": "sig", "kid": thumbprint(jwk)}


def sign(alg: str, key: Any, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A compact JWS of CLAIMS with HEADER (``alg`` set to ALG), signed by KEY whatever the pairing.

    PyJWT's algorithm objects do the signing, bypassing its key checks on purpose: HS256 with a public
    key's PEM bytes is exactly the forgery an alg-confusion test needs. ALG "none" gives no signature.
    """
    header = {**header, "alg": alg}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if alg == "none":
        return signing_input + "."
    if alg.startswith("HS"):
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        signature = hmac.new(key, signing_input.encode("ascii"), digest).digest()
    else:
        signature = get_default_algorithms()[alg].sign(signing_input.encode("ascii"), key)
    return f"{signing_input}.{b64url(signature)}"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (header, claims) of a compact JWS, unverified."""
    header, payload = token.split(".")[:2]
    return json.loads(_b64url_decode(header)), json.loads(_b64url_decode(payload))


@dataclass
class KeyFile:
    """A private key in a PEM file as openssl wrote it, its public half (SPKI PEM) and its expected JWK."""

    form: str
    alg: str
    private_path: Path
    public_path: Path
    private_key: Any
    jwk: dict[str, str]

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint the JWKS must use as this key's ``kid``."""
        return self.jwk["kid"]

    @property
    def public_pem(self) -> bytes:
        """The SubjectPublicKeyInfo PEM (what ``openssl pkey -pubout`` writes)."""
        return self.public_path.read_bytes()

    def mint(self, claims: dict[str, Any], alg: str | None = None, kid: str | None = None) -> str:
        """A token of CLAIMS signed by this key (with a fresh jti), under its own kid and alg unless told."""
        fresh = {**claims, "jti": str(uuid.uuid4())}
        return sign(alg or self.alg, self.private_key, {"typ": "at+jwt", "kid": kid or self.kid}, fresh)


def make_key(folder: Path, form: str, command: list[str] | None = None) -> KeyFile:
    """Runs the openssl command of FORM into FOLDER (private file mode 0600) and loads the result."""
    alg, default_command = KEY_FORMS.get(form, ("", []))
    command = command or default_command
    folder.mkdir(parents=True, exist_ok=True)
    private_path = folder / f"{form}-{uuid.uuid4().hex[:8]}.pem"
    subprocess.run([str(private_path) if part == "OUT" else part for part in command], check=True,
                   capture_output=True, timeout=120)
    private_path.chmod(0o600)
    public_path = private_path.with_suffix(".pub.pem")
    subprocess.run(["openssl", "pkey", "-in", str(private_path), "-pubout", "-out", str(public_path)], check=True,
                   capture_output=True, timeout=30)
    private_key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    jwk = public_jwk(private_key.public_key(), alg) if alg else {}
    return KeyFile(form, alg, private_path, public_path, private_key, jwk)
