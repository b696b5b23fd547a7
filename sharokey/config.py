"""Where the client's settings come from: arguments, environment, config file.

Resolution order, first one set wins: the constructor argument, then
``SHAROKEY_TOKEN`` / ``SHAROKEY_API_URL``, then the config file written by
``sharokey config`` (``$XDG_CONFIG_HOME/sharokey/config.json``, else
``~/.config/sharokey/config.json``), then the default URL. A missing token is
not an error here: the first call that needs one raises, so a client can be
built for ``reveal`` and ``health``, which need none.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import urlsplit

import attrs

from sharokey.errors import AuthenticationError, ConfigurationError

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ENV_API_URL",
    "ENV_TOKEN",
    "Settings",
    "Timeout",
    "check_max_connections",
    "check_max_response_bytes",
    "config_path",
    "load_config_file",
    "missing_token_error",
    "normalise_api_url",
    "resolve",
    "save_config",
]

DEFAULT_API_URL = "https://api.sharokey.com/api/v1"
ENV_TOKEN = "SHAROKEY_TOKEN"  # noqa: S105 - the variable's name, not a token
ENV_API_URL = "SHAROKEY_API_URL"
#: The most bytes one answer may decode to (``max_response_bytes``): 32 MiB. The largest
#: legitimate answer, a reveal with 10 MiB of attachments, is about 14 MB.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024

# Visible ASCII only: a token with spaces or control characters would break
# (or be echoed by) the HTTP layer, so it is refused before it gets there.
_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")


def _positive(_: Any, attribute: attrs.Attribute[Any], value: Optional[float]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(
            f"timeout {attribute.name} must be a positive number of seconds.",
            details={"timeout": [f"{attribute.name} must be a positive number"]},
        )


@attrs.frozen(kw_only=True)
class Timeout:
    """Seconds to wait: to connect, between two reads of the answer, and in all.

    ``total`` bounds one attempt's whole exchange, from connecting to the last
    byte of the answer, headers included, in both transports (a server that
    trickles its answer a byte at a time is cut off at it). The default, 60 s,
    is enough for the largest answer (about 14 MB) at 2 Mbit/s; a large upload
    on a slower link needs more. ``None`` means no bound. Retries have their
    own attempts, each with its own ``total``.
    """

    connect: Optional[float] = attrs.field(default=5.0, validator=_positive)
    read: Optional[float] = attrs.field(default=30.0, validator=_positive)
    total: Optional[float] = attrs.field(default=60.0, validator=_positive)

    @classmethod
    def of(cls, value: Union[Timeout, float, int]) -> Timeout:
        """A :class:`Timeout` from what a client was given: a Timeout or one number.

        One number bounds everything by it: connecting, each wait and the whole
        exchange of an attempt (the CLI's ``--timeout``).
        """
        if isinstance(value, Timeout):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
            return cls(connect=seconds, read=seconds, total=seconds)
        raise ConfigurationError(
            "timeout must be a number of seconds or a sharokey.Timeout.",
            details={"timeout": ["must be a number or a Timeout"]},
        )


@attrs.frozen(kw_only=True)
class Settings:
    """The resolved token and API URL. The token never appears in ``repr``."""

    token: Optional[str] = attrs.field(repr=False)
    api_url: str
    timeout: Optional[float] = None
    token_source: Optional[str] = None


def check_max_connections(value: object) -> int:
    """The connection pool size a client was given, checked."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            "max_connections must be a positive integer.",
            details={"max_connections": ["must be a positive integer"]},
        )
    return value


def check_max_response_bytes(value: object) -> int:
    """The answer size cap a client was given, checked (a positive number of bytes)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            "max_response_bytes must be a positive integer.",
            details={"max_response_bytes": ["must be a positive integer"]},
        )
    return value


def config_path() -> Path:
    """The config file: ``$XDG_CONFIG_HOME/sharokey/config.json``, else ``~/.config/...``."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "sharokey" / "config.json"


def load_config_file(path: Optional[Path] = None) -> dict[str, Any]:
    """The config file's settings; ``{}`` when it is missing or cannot be read.

    A file that exists but is not a JSON object is an error naming the file,
    rather than a silent fallback that would send requests somewhere unexpected.
    """
    path = config_path() if path is None else path
    try:
        raw = path.read_bytes()
    except OSError:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"The config file {path} is not valid JSON (an object was expected). "
            "Fix it, delete it, or rewrite it with `sharokey config`.",
            details={"config_file": [str(path)]},
        )
    return data


def normalise_api_url(value: object, *, source: str = "api_url") -> str:
    """An http(s) URL with a host, without trailing slash, query or fragment."""
    problem = None
    if not isinstance(value, str) or not value.strip():
        problem = "must be a non-empty http(s) URL"
    else:
        value = value.strip()
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
            problem = "must be an http(s) URL with a host, like https://api.sharokey.com/api/v1"
        elif parts.query or parts.fragment or parts.username or parts.password:
            problem = "must not carry credentials, a query or a fragment"
    if problem is not None:
        raise ConfigurationError(
            f"The API URL ({source}) {problem}.", details={"api_url": [problem]}
        )
    assert isinstance(value, str)
    return value.rstrip("/")


def _check_token(value: object, source: str) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(
            f"The token ({source}) must be a string.", details={"token": ["must be a string"]}
        )
    value = value.strip()
    if not value:
        return None
    if _TOKEN_RE.match(value) is None:
        raise ConfigurationError(
            f"The token ({source}) holds spaces or control characters; copy it again.",
            details={"token": ["must be visible ASCII characters without spaces"]},
        )
    return value


def missing_token_error() -> AuthenticationError:
    """The error for a call that needs a token when none was configured."""
    return AuthenticationError(
        "No API token is configured. Pass token=... to the client, set the "
        f"{ENV_TOKEN} environment variable, or run `sharokey config --token`.",
        code="TOKEN_MISSING",
    )


def resolve(token: Optional[str] = None, api_url: Optional[str] = None) -> Settings:
    """Settings from the argument, else the environment, else the config file, else defaults."""
    file: Optional[dict[str, Any]] = None

    def from_file() -> dict[str, Any]:
        nonlocal file
        if file is None:
            file = load_config_file()
        return file

    resolved_token = _check_token(token, "token argument")
    token_source: Optional[str] = "argument" if resolved_token else None
    if resolved_token is None:
        resolved_token = _check_token(os.environ.get(ENV_TOKEN), ENV_TOKEN)
        token_source = "environment" if resolved_token else None
    if resolved_token is None:
        resolved_token = _check_token(from_file().get("token"), f"config file {config_path()}")
        token_source = "config file" if resolved_token else None

    if api_url is not None:
        url = normalise_api_url(api_url, source="api_url argument")
    elif os.environ.get(ENV_API_URL, "").strip():
        url = normalise_api_url(os.environ[ENV_API_URL], source=ENV_API_URL)
    elif from_file().get("api_url"):
        url = normalise_api_url(from_file()["api_url"], source=f"config file {config_path()}")
    else:
        url = DEFAULT_API_URL

    # The file's timeout is offered to the CLI when the file was consulted anyway;
    # a client given everything explicitly never depends on the file.
    timeout = None
    raw_timeout = file.get("timeout") if file is not None else None
    if isinstance(raw_timeout, (int, float)) and not isinstance(raw_timeout, bool):
        timeout = float(raw_timeout) if raw_timeout > 0 else None
    return Settings(token=resolved_token, api_url=url, timeout=timeout, token_source=token_source)


def save_config(
    token: Optional[str] = None,
    api_url: Optional[str] = None,
    timeout: Optional[float] = None,
    *,
    path: Optional[Path] = None,
) -> Path:
    """Merge the given settings into the config file, atomically, readable by the owner only.

    The directory is created with mode 0700 and the file written with 0600
    (it holds the token). Settings not given keep their current value.
    """
    path = config_path() if path is None else path
    data = load_config_file(path)
    if token is not None:
        checked = _check_token(token, "token")
        if checked is None:
            raise ConfigurationError(
                "The token must not be empty.", details={"token": ["must not be empty"]}
            )
        data["token"] = checked
    if api_url is not None:
        data["api_url"] = normalise_api_url(api_url)
    if timeout is not None:
        Timeout.of(timeout)  # validates
        data["timeout"] = float(timeout)

    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # e.g. a directory owned by someone else
        os.chmod(directory, 0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=str(directory))
    try:
        os.fchmod(fd, 0o600) if hasattr(os, "fchmod") else os.chmod(tmp_name, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return path
