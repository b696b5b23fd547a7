"""The SDK's exceptions: one family, keyed by the wire error code.

Every failure a caller can meet is a :class:`SharokeyError`, so one ``except``
clause is enough. The wire ``error.code`` decides the class; the HTTP status
decides only when the body carries no code (an HTML 502 page, an empty body,
a framework's bare ``{"message": ...}``).

Messages are written for people and never carry a token, a key, a password
or plaintext: they are built from server messages, field names and status
codes only.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Optional

__all__ = [
    "API_URL_NOT_FOUND",
    "INVALID_JSON",
    "RESPONSE_TOO_LARGE",
    "TLS_ERROR",
    "AuthenticationError",
    "ConfigurationError",
    "DecryptionError",
    "InvalidKeyError",
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
    "error_for",
]

_MAX_MESSAGE = 300

#: Code of an ``InvalidResponseError`` for a 2xx body that is not JSON (cut short, a proxy
#: page): the one kind of invalid answer that repeating may cure.
INVALID_JSON = "INVALID_JSON"
#: Code of an ``InvalidResponseError`` for an answer larger than the client's
#: ``max_response_bytes`` once decoded: never retried (the next one would be as large).
RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
#: Code of a ``ConfigurationError`` for a 404 that cannot come from the API: a path the
#: API always has, or a body that is not the API's (a web server's page). The URL is wrong.
API_URL_NOT_FOUND = "API_URL_NOT_FOUND"
#: Code of a ``NetworkError`` for a TLS failure: never transient, never retried.
TLS_ERROR = "TLS_ERROR"


class SharokeySecurityWarning(UserWarning):
    """A choice with a known security cost was made on the caller's behalf."""


class SharokeyError(Exception):
    """Base of every error the SDK raises.

    ``code`` is the wire error code (or an SDK code such as ``NETWORK_ERROR``),
    ``status`` the HTTP status when there was a response, ``details`` the
    server's structured details (for validation errors: field -> messages).
    """

    default_code = "SHAROKEY_ERROR"
    default_message = "The Sharokey request failed."

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.message = _clip(message or self.default_message)
        self.code = code or self.default_code
        self.status = status
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.code}{where}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
            f"message={self.message!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor: teach pickle (and multiprocessing) to rebuild it.
        return (_rebuild, (type(self), self.message, self.code, self.status, self.details))


def _rebuild(
    cls: type[SharokeyError],
    message: str,
    code: str,
    status: Optional[int],
    details: dict[str, Any],
) -> SharokeyError:
    return cls(message, code=code, status=status, details=details)


def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


class ConfigurationError(SharokeyError):
    """The client is missing something it needs before any request (a token, a URL)."""

    default_code = "CONFIGURATION_ERROR"
    default_message = "The client is not configured."


class AuthenticationError(SharokeyError):
    """The token is missing, invalid or expired (HTTP 401)."""

    default_code = "AUTHENTICATION_ERROR"
    default_message = "The API token is invalid or expired; check it or create a new one."


class PermissionDeniedError(SharokeyError):
    """The token may not do this, or the client's address or country is not allowed (403)."""

    default_code = "PERMISSION_DENIED"
    default_message = "This token is not allowed to do that."


class QuotaExceededError(PermissionDeniedError):
    """The company's plan limit on secrets is reached (403 ``QUOTA_EXCEEDED``)."""

    default_code = "QUOTA_EXCEEDED"
    default_message = "The plan's limit on secrets is reached; delete some or upgrade the plan."


class NotFoundError(SharokeyError):
    """The secret or request does not exist, has expired, or was used up (404)."""

    default_code = "NOT_FOUND"
    default_message = "Secret not found or expired."


class ValidationError(SharokeyError):
    """An argument or a field was refused, by the SDK before sending or by the server (422).

    ``details`` maps each offending argument or wire field to a list of messages.
    """

    default_code = "VALIDATION_ERROR"
    default_message = "The request was refused as invalid."

    @property
    def fields(self) -> dict[str, list[str]]:
        """``details`` as field -> list of messages, whatever shape the server used."""
        out: dict[str, list[str]] = {}
        for name, value in self.details.items():
            if isinstance(value, (list, tuple)):
                out[str(name)] = [str(v) for v in value]
            else:
                out[str(name)] = [str(value)]
        return out


class RateLimitError(SharokeyError):
    """Too many requests, or too many wrong answers to a protection (429).

    ``retry_after`` is the number of seconds the server asked to wait, when it said.
    """

    default_code = "RATE_LIMITED"
    default_message = "Too many requests; wait before trying again."

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        details: Optional[Mapping[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, code=code, status=status, details=details)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_rate,
            (type(self), self.message, self.code, self.status, self.details, self.retry_after),
        )


def _rebuild_rate(
    cls: type[RateLimitError],
    message: str,
    code: str,
    status: Optional[int],
    details: dict[str, Any],
    retry_after: Optional[float],
) -> RateLimitError:
    return cls(message, code=code, status=status, details=details, retry_after=retry_after)


class ServerError(SharokeyError):
    """The service or a proxy in front of it failed (5xx)."""

    default_code = "SERVER_ERROR"
    default_message = "The Sharokey service failed; try again later."

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        details: Optional[Mapping[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, code=code, status=status, details=details)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_rate,
            (type(self), self.message, self.code, self.status, self.details, self.retry_after),
        )


class NetworkError(SharokeyError):
    """No usable answer reached the client: refused, reset, DNS, TLS.

    ``request_sent`` says whether the request may have reached the server.
    It decides retries: a request that was never sent is safe to repeat
    whatever its method; one that may have been sent is repeated only when
    repeating cannot duplicate anything (GET, DELETE, or a POST carrying an
    idempotency key with ``retry_ambiguous_posts=True``). Transports set it
    to ``False`` only when they know nothing left the machine.
    """

    default_code = "NETWORK_ERROR"
    default_message = "Could not reach the Sharokey service; check the network and the API URL."

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        details: Optional[Mapping[str, Any]] = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, code=code, status=status, details=details)
        self.request_sent = request_sent

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_network,
            (type(self), self.message, self.code, self.status, self.details, self.request_sent),
        )


def _rebuild_network(
    cls: type[NetworkError],
    message: str,
    code: str,
    status: Optional[int],
    details: dict[str, Any],
    request_sent: bool,
) -> NetworkError:
    return cls(message, code=code, status=status, details=details, request_sent=request_sent)


class RequestTimeoutError(NetworkError, builtins.TimeoutError):
    """The connection or the answer took longer than the configured timeout."""

    default_code = "TIMEOUT"
    default_message = "The Sharokey service did not answer in time."


class InvalidResponseError(SharokeyError):
    """The answer was not what the contract says: not JSON, not an envelope, wrong types."""

    default_code = "INVALID_RESPONSE"
    default_message = "The service sent an answer the SDK cannot read."


class DecryptionError(SharokeyError):
    """A secret could not be opened: wrong or damaged link, tampered or malformed ciphertext."""

    default_code = "DECRYPTION_FAILED"
    default_message = (
        "The secret could not be decrypted: the link is wrong or incomplete, "
        "or the data was altered."
    )


class ProtectionError(SharokeyError):
    """A reveal was refused by a protection: password, OTP or captcha missing or wrong (401)."""

    default_code = "PROTECTION_REQUIRED"
    default_message = "This secret is protected; give the password, code or captcha answer."


class InvalidKeyError(ProtectionError):
    """The link's key does not match the secret (401 ``INVALID_KEY``): nothing was spent.

    The server compared the link's key check with the one stored at creation
    before counting a view (docs/protocol.md#key-check). The message is the
    SDK's own, whatever the server wrote: that nothing was spent is what the
    recipient needs to hear.
    """

    default_code = "INVALID_KEY"
    default_message = (
        "The link's key does not match this secret: check that the whole link was copied, "
        "including the part after '#'. Nothing was spent: the secret still opens with the "
        "right link."
    )

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(self.default_message, code=code, status=status, details=details)


class OtpRequiredError(ProtectionError):
    """A one-time code was just sent; call ``reveal`` again with ``otp=``.

    ``channel`` is ``"email"`` or ``"phone"``, ``destination`` the masked address.
    """

    default_code = "OTP_REQUIRED"
    default_message = "A one-time code was sent; reveal again with the code."

    @property
    def channel(self) -> Optional[str]:
        value = self.details.get("channel")
        return str(value) if value is not None else None

    @property
    def destination(self) -> Optional[str]:
        value = self.details.get("destination")
        return str(value) if value is not None else None


#: Wire ``error.code`` -> class. The code wins over the status.
CODE_TO_ERROR: dict[str, type[SharokeyError]] = {
    "AUTHENTICATION_ERROR": AuthenticationError,
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "ACCESS_DENIED": PermissionDeniedError,
    "FORBIDDEN": PermissionDeniedError,
    "QUOTA_EXCEEDED": QuotaExceededError,
    "NOT_FOUND": NotFoundError,
    "VALIDATION_ERROR": ValidationError,
    "RATE_LIMITED": RateLimitError,
    "TOO_MANY_ATTEMPTS": RateLimitError,
    "PASSWORD_REQUIRED": ProtectionError,
    "INVALID_PASSWORD": ProtectionError,
    "INVALID_OTP": ProtectionError,
    "CAPTCHA_REQUIRED": ProtectionError,
    "INVALID_CAPTCHA": ProtectionError,
    "INVALID_KEY": InvalidKeyError,
    "OTP_REQUIRED": OtpRequiredError,
}

#: HTTP status -> class, used only when the body has no code.
STATUS_TO_ERROR: dict[int, type[SharokeyError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ValidationError,
    413: ValidationError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for(
    status: int,
    code: Optional[str],
    message: Optional[str],
    details: Optional[Mapping[str, Any]] = None,
    *,
    retry_after: Optional[float] = None,
) -> SharokeyError:
    """Build the error a response stands for: the code decides, else the status."""
    cls: type[SharokeyError]
    if code and code in CODE_TO_ERROR:
        cls = CODE_TO_ERROR[code]
    elif status >= 500:
        cls = ServerError
    else:
        cls = STATUS_TO_ERROR.get(status, SharokeyError if status >= 400 else InvalidResponseError)
    error = cls(message, code=code or None, status=status, details=details)
    if isinstance(error, (RateLimitError, ServerError)):
        error.retry_after = retry_after
    return error
