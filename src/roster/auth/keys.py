"""API key format: ``rk_live_`` + 32 base62 characters (190 bits), stored only as SHA-256.

A fast hash is right here: the key is random and long, so there is nothing to brute-force
that a slow password hash would protect, and every request pays for the hash.
"""

from __future__ import annotations

import hashlib
import secrets
import string

KEY_PREFIX = "rk_live_"
_ALPHABET = string.ascii_letters + string.digits
_BODY_LENGTH = 32


def generate_key() -> str:
    return KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LENGTH))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    body = token[len(KEY_PREFIX) :]
    # An ASCII string is alphanumeric exactly when every character is in _ALPHABET.
    return (
        token.startswith(KEY_PREFIX)
        and len(body) == _BODY_LENGTH
        and body.isascii()
        and body.isalnum()
    )


def display_prefix(key: str) -> str:
    """The part of a key that may be shown again: its type and first four characters."""
    return key[: len(KEY_PREFIX) + 4]
