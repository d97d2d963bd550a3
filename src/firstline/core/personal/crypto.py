"""Encryption of personal data at rest (PIPL): AES-GCM with a key ring, a keyed
HMAC for exact lookup, and the masked form kept for display.

Key ring: FIRSTLINE_DATA_KEYS="kid:base64(32 bytes),kid2:…". The first key
encrypts; every key decrypts, so keys rotate by putting a new one first and
running `manage rotate_data_keys`. Ciphertext layout: kid, ':', nonce(12), ct+tag.
The HMAC key (FIRSTLINE_HMAC_KEY) is separate and stable: lookups depend on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from firstline.core.personal.masking import MASKERS
from firstline.core.personal.normalise import normalise


class KeyRing:
    def __init__(self, spec: str, hmac_key: str):
        if not spec or not hmac_key:
            raise ImproperlyConfigured(
                "FIRSTLINE_DATA_KEYS and FIRSTLINE_HMAC_KEY must be set "
                "(`./firstline demo` generates them into var/)."
            )
        self.keys: dict[str, AESGCM] = {}
        self.order: list[str] = []
        for item in spec.split(","):
            kid, _, b64 = item.strip().partition(":")
            raw = base64.b64decode(b64)
            if not kid or len(raw) != 32 or ":" in kid:
                raise ImproperlyConfigured(
                    f"FIRSTLINE_DATA_KEYS: key {kid!r} must be 'id:base64 of 32 bytes'."
                )
            self.keys[kid] = AESGCM(raw)
            self.order.append(kid)
        self.active = self.order[0]
        self.hmac_key = base64.b64decode(hmac_key)

    def encrypt(self, plaintext: str, context: bytes) -> bytes:
        nonce = os.urandom(12)
        ct = self.keys[self.active].encrypt(nonce, plaintext.encode(), context)
        return self.active.encode() + b":" + nonce + ct

    def decrypt(self, blob: bytes, context: bytes) -> str:
        blob = bytes(blob)
        kid, _, rest = blob.partition(b":")
        key = self.keys.get(kid.decode())
        if key is None:
            raise ImproperlyConfigured(f"Data key {kid.decode()!r} is not in FIRSTLINE_DATA_KEYS.")
        return key.decrypt(rest[:12], rest[12:], context).decode()

    @staticmethod
    def key_id(blob: bytes) -> str:
        return bytes(blob).partition(b":")[0].decode()

    def digest(self, value: str, kind: str) -> str:
        return hmac.new(self.hmac_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@cache
def keyring() -> KeyRing:
    return KeyRing(settings.FIRSTLINE_DATA_KEYS, settings.FIRSTLINE_HMAC_KEY)


def new_key_spec(kid: str = "k1") -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def new_hmac_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Sealed:
    """The four stored columns of one sensitive value."""

    enc: bytes
    hmac: str
    last4: str
    masked: str


def seal(kind: str, value: str) -> Sealed:
    """The four columns of `value`, in its normalised form (normalise.py): the same
    person written two ways seals to one HMAC."""
    value = normalise(kind, value)
    ring = keyring()
    return Sealed(
        enc=ring.encrypt(value, kind.encode()),
        hmac=ring.digest(value, kind),
        last4=value[-4:],
        masked=MASKERS[kind](value),
    )


def unseal(kind: str, blob: bytes) -> str:
    return keyring().decrypt(blob, kind.encode())


def lookup_digest(kind: str, value: str) -> str:
    return keyring().digest(normalise(kind, value), kind)
