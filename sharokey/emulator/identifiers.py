"""Fresh identifiers: secret slugs, request tokens and generated API tokens.

Every random draw of an identifier happens here, through ``secrets``, so the
alphabets and lengths have one home (and a test can make draws collide).
"""

from __future__ import annotations

import secrets
import string

__all__ = ["random_slug", "random_token"]

SLUG_ALPHABET = string.ascii_uppercase + string.digits
SLUG_LENGTH = 8
# Letters and digits only: a token starting with "-" would read as an option on a command line.
TOKEN_ALPHABET = string.ascii_letters + string.digits
REQUEST_TOKEN_LENGTH = 40


def random_token(length: int = REQUEST_TOKEN_LENGTH) -> str:
    """A credential-strength token (about 238 bits for 40 characters) safe in paths and argv."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


def random_slug() -> str:
    """A secret's slug: 8 characters of ``A-Z0-9``, as the service's."""
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))
