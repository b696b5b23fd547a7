"""Sharokey: zero-knowledge secret sharing.

``Sharokey`` is the synchronous client (``requests``); ``AsyncSharokey`` the
asyncio one (``aiohttp``). The async client and everything that needs aiohttp
are loaded on first use, so ``import sharokey`` stays quick and works where
aiohttp is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sharokey._version import __version__
from sharokey.errors import (
    AuthenticationError,
    ConfigurationError,
    DecryptionError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    OtpRequiredError,
    PermissionDeniedError,
    ProtectionError,
    QuotaExceededError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SharokeyError,
    SharokeySecurityWarning,
    ValidationError,
)

if TYPE_CHECKING:
    from sharokey.async_client import AsyncSharokey

__all__ = [
    "AsyncSharokey",
    "AuthenticationError",
    "ConfigurationError",
    "DecryptionError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "OtpRequiredError",
    "PermissionDeniedError",
    "ProtectionError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "SharokeyError",
    "SharokeySecurityWarning",
    "ValidationError",
    "__version__",
]

_LAZY = {"AsyncSharokey": "sharokey.async_client"}


def __getattr__(name: str) -> Any:
    # PEP 562: the async client pulls in asyncio; sync users never pay for it.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'sharokey' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
