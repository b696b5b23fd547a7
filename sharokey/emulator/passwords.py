"""Access passwords, kept only as salted slow hashes.

The store keeps what :func:`hash_password` returns, never the password; the
reveal route checks a candidate with :func:`check_password`. Both are slow on
purpose, so the routes run them off the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["check_password", "hash_password"]

# scrypt at n=2**14 costs ~16 MiB and tens of milliseconds: slow for guessing, fine here.
_SCRYPT = {"n": 1 << 14, "r": 8, "p": 1}
_PBKDF2_ROUNDS = 600_000


def hash_password(password: str) -> str:
    """A salted slow hash, self-describing so the check knows how to redo it."""
    salt = secrets.token_bytes(16)
    raw = password.encode("utf-8")
    try:
        digest = hashlib.scrypt(raw, salt=salt, dklen=32, **_SCRYPT)
        return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"
    except (AttributeError, ValueError):  # OpenSSL without scrypt
        digest = hashlib.pbkdf2_hmac("sha256", raw, salt, _PBKDF2_ROUNDS)
        return f"pbkdf2_sha256${_PBKDF2_ROUNDS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Constant-time comparison of a candidate against :func:`hash_password` output."""
    parts = stored.split("$")
    raw = password.encode("utf-8")
    if parts[0] == "scrypt" and len(parts) == 6:
        n, r, p = (int(x) for x in parts[1:4])
        salt, expected = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        digest = hashlib.scrypt(raw, salt=salt, n=n, r=r, p=p, dklen=len(expected))
    elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
        salt, expected = bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
        digest = hashlib.pbkdf2_hmac("sha256", raw, salt, int(parts[1]))
    else:
        return False
    return hmac.compare_digest(digest, expected)
