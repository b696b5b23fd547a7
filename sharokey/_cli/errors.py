"""How a failure reaches the user: one exit code and one ``error:`` line.

:data:`EXIT_CODES` is the one table from exception to exit code and advice;
:func:`describe_error` builds the line only from parts safe to show. Kept
apart from the parser and the commands so both can raise these errors
without importing each other. Light on purpose: ``sharokey --help`` loads it.

Exit codes: 0 success; 1 any other failure; 2 usage or validation;
3 authentication or access; 4 not found; 5 network or timeout; 6 decryption
failed; 130 interrupted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Optional

from sharokey._cli.output import clean
from sharokey.errors import (
    API_URL_NOT_FOUND,
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
    ServerError,
    SharokeyError,
    ValidationError,
)

__all__ = [
    "EXIT_CODES",
    "TOKEN_MISSING_HINT",
    "CliError",
    "MissingExtraError",
    "UsageError",
    "describe_error",
    "error_document",
    "exit_code_for",
    "is_wrong_api_url",
    "otp_destination",
]


class CliError(Exception):
    """A failure the command line itself detected; ``exit_code`` says which kind.

    ``message`` says what went wrong, ``hint`` what to do; neither may carry a
    token, a password, content or a share link's key.
    """

    #: What ``--json`` reports as ``error.code``, for scripts to branch on.
    code = "CLI_ERROR"

    def __init__(self, message: str, hint: str = "", *, exit_code: int = 1, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code
        if code:
            self.code = code


class UsageError(CliError):
    """Arguments that cannot work together, or input that cannot be read (exit 2)."""

    code = "USAGE_ERROR"

    def __init__(self, message: str, hint: str = "", *, code: str = "") -> None:
        super().__init__(message, hint, exit_code=2, code=code)


class MissingExtraError(CliError):
    """A feature needs an optional package that is not installed (exit 1, ``MISSING_EXTRA``).

    Raised before the command does anything, so nothing is created half-way.
    """

    code = "MISSING_EXTRA"


#: Exception class -> (exit code, what to do). The first matching row wins, so
#: subclasses come before their bases (quota is a permission error, but exit 1).
EXIT_CODES: tuple[tuple[type[BaseException], int, str], ...] = (
    (DecryptionError, 6, "Check that the whole link was copied, including the part after '#'."),
    (NetworkError, 5, "Check the network and --api-url, or allow more time with --timeout."),
    (NotFoundError, 4, "Check the identifier; expired, deleted or used-up secrets stay gone."),
    (AuthenticationError, 3, "Check the token (`sharokey config --show`) or create a new one."),
    (QuotaExceededError, 1, "Delete secrets you no longer need, or upgrade the plan."),
    (PermissionDeniedError, 3, "Use a token allowed to do this, from an allowed address."),
    (OtpRequiredError, 3, "Rerun with --otp CODE."),
    (InvalidKeyError, 3, "Ask the sender for the whole link, or paste it again in full."),
    (ProtectionError, 3, "Give what the secret asks for: --password, --otp or --captcha."),
    (ValidationError, 2, "See `sharokey COMMAND --help` for the accepted values."),
    (ConfigurationError, 2, "Check `sharokey config --show` and the global options."),
    (RateLimitError, 1, "Wait a moment, then try again."),
    (ServerError, 1, "The service failed; try again later."),
    (InvalidResponseError, 1, "Check that --api-url points at a Sharokey API."),
    (SharokeyError, 1, ""),
    (CliError, 1, ""),
    (OSError, 1, ""),
)

TOKEN_MISSING_HINT = (
    "Pass --token, set SHAROKEY_TOKEN, or store one with `sharokey config --token -`."  # noqa: S105
)


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an exception, from the one table (``CliError`` carries its own)."""
    if isinstance(exc, CliError):
        return exc.exit_code
    for cls, code, _ in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


# A message that already says what to do needs no second piece of advice.
_ADVISES = re.compile(r"(^|[.;:] )(Check|Try|Pass|Rerun|Wait|Fix|Delete|Use|Give|Run|Create) ")


def otp_destination(exc: OtpRequiredError) -> str:
    """`` by email to b***@example.com`` (masked by the server), or ``""``."""
    channel = f" by {exc.channel}" if exc.channel else ""
    return f"{channel}{' to ' + exc.destination if exc.destination else ''}"


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    if text and text[-1] not in ".!?…":
        text += "."
    return text


def _name_flags(exc: SharokeyError, message: str, flags: Mapping[str, str]) -> str:
    """``message`` with each refused argument called by the flag the user typed for it.

    The SDK's own checks say ``NAME PROBLEM; NAME PROBLEM.``: said again, flag first.
    A setting refused by the config file's checks starts with its name. A server's
    prose is left as it was (its field names are named in :func:`describe_error`).
    """
    fields = exc.fields if isinstance(exc, ValidationError) else {}
    if isinstance(exc, ValidationError) and exc.status is None and flags.keys() & fields:
        parts = [
            f"{flags.get(name, name)} {said}"
            for name, all_said in fields.items()
            for said in all_said
        ]
        return "; ".join(parts) + "."
    for name in exc.details:
        flag = flags.get(str(name))
        if flag is not None and message.startswith(f"{name} "):
            return flag + message[len(str(name)) :]
    return message


def describe_error(
    exc: BaseException, command: str = "", flags: Optional[Mapping[str, str]] = None
) -> str:
    """One line, ``<what went wrong>. <what to do>``, built only from safe parts.

    ``flags`` (from :func:`sharokey._cli.usage.typed_flags`): what the user typed for
    each argument, so a refused value is named ``--views``, not ``maximum_views``.
    """
    hint = ""
    if isinstance(exc, CliError):
        message, hint = exc.message, exc.hint
    elif isinstance(exc, SharokeyError):
        message = exc.message
        if isinstance(exc, ValidationError) and exc.status is not None and exc.fields:
            # The server's summary is generic or its first field's message: name
            # what else it refused, without repeating what the summary says.
            left_out = [
                f"{(flags or {}).get(name, name)}: {', '.join(new)}"
                for name, said in sorted(exc.fields.items())
                if (new := [m for m in said if m not in message])
            ]
            if left_out:
                message = f"{_sentence(message)[:-1]} ({'; '.join(left_out)})"
        if flags and isinstance(exc, (ValidationError, ConfigurationError)):
            message = _name_flags(exc, message, flags)
        if isinstance(exc, OtpRequiredError):
            message = "A one-time code was sent" + otp_destination(exc)
        if isinstance(exc, (RateLimitError, ServerError)) and exc.retry_after:
            hint = f"Wait {exc.retry_after:g} s, then try again."
        if isinstance(exc, AuthenticationError) and exc.code == "TOKEN_MISSING":
            hint = TOKEN_MISSING_HINT
        if (
            isinstance(exc, ConfigurationError)
            and command == "config"
            and not _ADVISES.search(message)
        ):
            # A value `sharokey config` was given, not one already in force.
            hint = "See `sharokey config --help` for the accepted values."
    elif isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        message = f"{reason}: {exc.filename}" if exc.filename else reason
    else:
        message = f"unexpected {type(exc).__name__}"
        hint = "Rerun with --debug to see the traceback."
    if not hint and not _ADVISES.search(message):
        for cls, _, text in EXIT_CODES:
            if isinstance(exc, cls):
                hint = text
                break
    hint = hint.replace("COMMAND", command) if command else hint.replace("COMMAND ", "")
    line = _sentence(message)
    # Messages, details and destinations may come from a server: nothing in them may
    # drive the terminal (or whatever reads the pipe), so the whole line is cleaned.
    return clean(f"error: {line} {hint}".rstrip() if hint else f"error: {line}")


def error_document(
    exc: BaseException, command: str = "", flags: Optional[Mapping[str, str]] = None
) -> dict[str, Any]:
    """What ``--json`` prints on stdout when a command fails: the code a script branches on.

    The message is the same safe line as on stderr; JSON escapes what a server sent.
    """
    if isinstance(exc, SharokeyError):
        code: str = exc.code
        status = exc.status
    else:
        code = exc.code if isinstance(exc, CliError) else "CLI_ERROR"
        status = None
    return {
        "success": False,
        "error": {
            "code": code,
            "status": status,
            "message": describe_error(exc, command, flags).removeprefix("error: "),
            "exit_code": exit_code_for(exc),
        },
    }


def is_wrong_api_url(exc: BaseException) -> bool:
    """Whether ``exc`` says the API URL points at something that is not the API."""
    return isinstance(exc, ConfigurationError) and exc.code == API_URL_NOT_FOUND
