"""Signed pass tokens (the QR code's content), verifiable offline.

    FL1.<payload>.<signature>      both base64url without padding
    payload = {"p": pass id, "s": site id, "k": key id, "nbf": unix s, "exp": unix s}

The signature is Ed25519 over the ASCII bytes "FL1.<payload>". A gate device that
holds the site's public key (GET /api/v1/access/sites/{id}/keys) checks a pass
with no network: the signature, the site, and the validity window. Revocation
and one-time use need the server (or the device's last synced revocation list).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

PREFIX = "FL1"


class InvalidPass(ValueError):
    """The token is not a pass of this site, or not valid now; `status` says which."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PassClaims:
    pass_id: int
    site_id: int
    kid: str
    not_before: int
    expires: int


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_keypair() -> tuple[bytes, str]:
    """(raw private key bytes, base64url public key)."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw, b64e(public)


def sign(private_raw: bytes, claims: PassClaims) -> str:
    payload = json.dumps(
        {
            "p": claims.pass_id,
            "s": claims.site_id,
            "k": claims.kid,
            "nbf": claims.not_before,
            "exp": claims.expires,
        },
        separators=(",", ":"),
    ).encode()
    signed = f"{PREFIX}.{b64e(payload)}"
    signature = Ed25519PrivateKey.from_private_bytes(private_raw).sign(signed.encode())
    return f"{signed}.{b64e(signature)}"


def verify(
    token: str, *, public_keys: dict[str, str], site_id: int, now: datetime | None
) -> PassClaims:
    """Check a token with only public keys. Raises InvalidPass with a status that
    the gate decision understands (unknown, other_site, not_yet_valid, expired).
    With now=None only the signature and site are checked (see check_validity)."""
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise InvalidPass("unknown", "not a Firstline pass")
    try:
        payload = json.loads(b64d(parts[1]))
        claims = PassClaims(
            int(payload["p"]),
            int(payload["s"]),
            str(payload["k"]),
            int(payload["nbf"]),
            int(payload["exp"]),
        )
        signature = b64d(parts[2])
    except (ValueError, KeyError, TypeError):
        raise InvalidPass("unknown", "malformed pass") from None
    if claims.site_id != site_id:
        raise InvalidPass("other_site", "pass of another site")
    public = public_keys.get(claims.kid)
    if public is None:
        raise InvalidPass("unknown", "unknown signing key")
    try:
        Ed25519PublicKey.from_public_bytes(b64d(public)).verify(
            signature, f"{parts[0]}.{parts[1]}".encode()
        )
    except (InvalidSignature, ValueError):
        raise InvalidPass("unknown", "bad signature") from None
    if now is not None:
        check_validity(claims, now)
    return claims


@lru_cache(maxsize=8192)
def claimed_pass_id(token: str) -> int | None:
    """The pass id a token claims, read without checking its signature (None when it
    has none): the gate looks that pass up in the same round trip as the site's keys,
    and uses the row only once verify() has accepted the token. Cached: the same
    passes are scanned again and again."""
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    try:
        pass_id = int(json.loads(b64d(parts[1]))["p"])
    except (ValueError, KeyError, TypeError):
        return None
    return pass_id if 0 < pass_id < 2**63 else None  # a forged id must still fit the column


def check_validity(claims: PassClaims, now: datetime) -> None:
    ts = now.timestamp()
    if ts < claims.not_before:
        raise InvalidPass("not_yet_valid", "pass not yet valid")
    if ts >= claims.expires:
        raise InvalidPass("expired", "pass expired")
