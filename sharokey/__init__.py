"""Sharokey: zero-knowledge secret sharing.

``Sharokey`` is the synchronous client (``requests``); ``AsyncSharokey`` the
asyncio one (``aiohttp``); ``SharokeyClient`` the official SDK 1.0.0's
surface over the async client, kept so 1.0.0 code runs unchanged
(docs/migrating.md). The clients and everything that needs aiohttp are
loaded on first use, so ``import sharokey`` stays quick and works where
aiohttp is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sharokey._version import __version__
from sharokey.errors import (
    AuthenticationError,
    ConfigurationError,
    DecryptionError,
    InvalidKeyError,
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
    from sharokey._many import NewSecret
    from sharokey._retry import RetryPolicy
    from sharokey.async_client import AsyncSharokey
    from sharokey.client import Sharokey
    from sharokey.compat import SharokeyClient
    from sharokey.config import Timeout
    from sharokey.exceptions import AttachmentError
    from sharokey.generate import generate_secret
    from sharokey.models import (
        AttachmentInfo,
        CreatedSecret,
        Health,
        Pagination,
        RequestList,
        RequestStats,
        RevealedSecret,
        Secret,
        SecretList,
        SecretRequest,
        SecretStats,
    )
    from sharokey.pagination import AsyncPage, AsyncPageRequest, SyncPage

__all__ = [
    "AsyncPage",
    "AsyncPageRequest",
    "AsyncSharokey",
    "AttachmentError",
    "AttachmentInfo",
    "AuthenticationError",
    "ConfigurationError",
    "CreatedSecret",
    "DecryptionError",
    "Health",
    "InvalidKeyError",
    "InvalidResponseError",
    "NetworkError",
    "NewSecret",
    "NotFoundError",
    "OtpRequiredError",
    "Pagination",
    "PermissionDeniedError",
    "ProtectionError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestList",
    "RequestStats",
    "RequestTimeoutError",
    "RetryPolicy",
    "RevealedSecret",
    "Secret",
    "SecretList",
    "SecretRequest",
    "SecretStats",
    "ServerError",
    "Sharokey",
    "SharokeyClient",
    "SharokeyError",
    "SharokeySecurityWarning",
    "SyncPage",
    "Timeout",
    "ValidationError",
    "__version__",
    "generate_secret",
]

_MODELS = (
    "AttachmentInfo",
    "CreatedSecret",
    "Health",
    "Pagination",
    "RequestList",
    "RequestStats",
    "RevealedSecret",
    "Secret",
    "SecretList",
    "SecretRequest",
    "SecretStats",
)

_LAZY = {
    "AsyncSharokey": "sharokey.async_client",
    "Sharokey": "sharokey.client",
    "SharokeyClient": "sharokey.compat",
    "AttachmentError": "sharokey.exceptions",
    "generate_secret": "sharokey.generate",
    "Timeout": "sharokey.config",
    "RetryPolicy": "sharokey._retry",
    "NewSecret": "sharokey._many",
    "SyncPage": "sharokey.pagination",
    "AsyncPage": "sharokey.pagination",
    "AsyncPageRequest": "sharokey.pagination",
    **{name: "sharokey.models" for name in _MODELS},
}

#: 1.0.0's other exports, gone because the clients build request bodies themselves.
_REMOVED = {
    "SharokeyCrypto": "use the functions of sharokey.crypto (seal, open_payload, generate_key)",
    "SecretCreate": "pass the fields to create() as arguments",
    "SecretRequestCreate": "pass the fields to create_request() as arguments",
    "Attachment": "pass paths, (name, bytes) pairs or binary files as attachments=",
}


def __getattr__(name: str) -> Any:
    # PEP 562: the clients pull in requests, cattrs, pycryptodome (and the async one
    # asyncio and aiohttp); `import sharokey` stays quick and loads each on first use.
    module_name = _LAZY.get(name)
    if module_name is None:
        if name in _REMOVED:
            raise AttributeError(
                f"sharokey.{name} (official SDK 1.0.0) was removed in 2.0: {_REMOVED[name]} "
                "(docs/migrating.md)"
            )
        raise AttributeError(f"module 'sharokey' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
