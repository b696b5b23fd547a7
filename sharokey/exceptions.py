"""The exception names of the official SDK 1.0.0, on top of this SDK's own family.

Code written for 1.0.0 imports ``SharokeyError``, ``AuthenticationError``,
``ValidationError``, ``NotFoundError``, ``NetworkError``, ``EncryptionError``
and ``AttachmentError`` from here. Each is also the matching class of
:mod:`sharokey.errors` (``exceptions.NotFoundError`` is a
``sharokey.NotFoundError``), so old handlers and new ones both catch what
:class:`sharokey.SharokeyClient` raises.

The 1.0.0 layer raises these instead of the plain :mod:`sharokey.errors`
classes; :func:`from_sdk` is the one conversion. Errors 1.0.0 had no name
for (a 429, a 403, a 5xx, a broken answer) keep this SDK's class and also
derive from this module's ``SharokeyError``, which is what 1.0.0 raised for
them. A 429 is a ``RateLimitError``, no longer a ``NetworkError``.
"""

from __future__ import annotations

from sharokey import errors

__all__ = [
    "AttachmentError",
    "AuthenticationError",
    "EncryptionError",
    "NetworkError",
    "NotFoundError",
    "SharokeyError",
    "ValidationError",
    "from_sdk",
]


class SharokeyError(errors.SharokeyError):
    """1.0.0's base class; everything :class:`~sharokey.SharokeyClient` raises is one."""


class AuthenticationError(SharokeyError, errors.AuthenticationError):
    """The token is missing, invalid or expired."""


class ValidationError(SharokeyError, errors.ValidationError):
    """An argument was refused, before sending or by the server (``fields`` says which)."""


class AttachmentError(ValidationError):
    """An attachment was refused: missing or unreadable file, too many, too large."""


class NotFoundError(SharokeyError, errors.NotFoundError):
    """The secret or request does not exist, has expired or was used up."""


class NetworkError(SharokeyError, errors.NetworkError):
    """No usable answer reached the client (no longer raised for a 429)."""


class EncryptionError(SharokeyError):
    """Kept for imports written for 1.0.0; this SDK does not fail to encrypt any input."""

    default_code = "ENCRYPTION_ERROR"
    default_message = "The secret could not be encrypted."


# This SDK's classes 1.0.0 had no name for: the same class, under 1.0.0's base too.
class ConfigurationError(SharokeyError, errors.ConfigurationError):
    """See :class:`sharokey.ConfigurationError`."""


class PermissionDeniedError(SharokeyError, errors.PermissionDeniedError):
    """See :class:`sharokey.PermissionDeniedError`."""


class QuotaExceededError(PermissionDeniedError, errors.QuotaExceededError):
    """See :class:`sharokey.QuotaExceededError`."""


class RateLimitError(SharokeyError, errors.RateLimitError):
    """See :class:`sharokey.RateLimitError` (1.0.0 raised ``NetworkError``)."""


class ServerError(SharokeyError, errors.ServerError):
    """See :class:`sharokey.ServerError`."""


class RequestTimeoutError(NetworkError, errors.RequestTimeoutError):
    """See :class:`sharokey.RequestTimeoutError`."""


class InvalidResponseError(SharokeyError, errors.InvalidResponseError):
    """See :class:`sharokey.InvalidResponseError` (1.0.0 returned such answers as success)."""


class DecryptionError(SharokeyError, errors.DecryptionError):
    """See :class:`sharokey.DecryptionError`."""


class ProtectionError(SharokeyError, errors.ProtectionError):
    """See :class:`sharokey.ProtectionError`."""


class OtpRequiredError(ProtectionError, errors.OtpRequiredError):
    """See :class:`sharokey.OtpRequiredError`."""


#: This SDK's class -> the 1.0.0 layer's class. :func:`from_sdk` walks the error's MRO,
#: so the most specific row wins (a QuotaExceededError is not just a PermissionDeniedError).
_COMPAT: dict[type[errors.SharokeyError], type[SharokeyError]] = {
    errors.ConfigurationError: ConfigurationError,
    errors.AuthenticationError: AuthenticationError,
    errors.QuotaExceededError: QuotaExceededError,
    errors.PermissionDeniedError: PermissionDeniedError,
    errors.NotFoundError: NotFoundError,
    errors.ValidationError: ValidationError,
    errors.RateLimitError: RateLimitError,
    errors.ServerError: ServerError,
    errors.RequestTimeoutError: RequestTimeoutError,
    errors.NetworkError: NetworkError,
    errors.InvalidResponseError: InvalidResponseError,
    errors.DecryptionError: DecryptionError,
    errors.OtpRequiredError: OtpRequiredError,
    errors.ProtectionError: ProtectionError,
    errors.SharokeyError: SharokeyError,
}


def from_sdk(error: errors.SharokeyError) -> SharokeyError:
    """The same error (code, status, message, details, retry data) as a 1.0.0-named class."""
    if isinstance(error, SharokeyError):
        return error
    target: type[SharokeyError] = SharokeyError
    for cls in type(error).__mro__:
        if cls in _COMPAT:
            target = _COMPAT[cls]
            break
    if target is ValidationError and "attachments" in error.details:
        target = AttachmentError
    converted = target.__new__(target)
    converted.__dict__.update(error.__dict__)  # message, code, status, details, retry_after...
    converted.args = error.args
    return converted
