"""Where the client's settings come from: arguments, environment, a profile of the config file.

Resolution order, first one set wins: the constructor argument (the CLI's
flag), then ``SHAROKEY_TOKEN`` / ``SHAROKEY_API_URL``, then the selected
profile of the config file written by ``sharokey config``
(``$XDG_CONFIG_HOME/sharokey/config.json``, else ``~/.config/sharokey/config.json``),
then the defaults. A missing token is not an error here: the first call that
needs one raises, so a client can be built for ``reveal`` and ``health``,
which need none.

Profiles: the file's top level is the profile ``default`` (so a file written
before profiles existed keeps working unchanged); others live under
``"profiles": {"NAME": {...}}``. Each holds a token, an API URL, a timeout and
the CLI's defaults for new secrets (``hours``, ``views``, ``attachment_nonces``).
The profile is chosen by the ``profile`` argument (``--profile``), else
``SHAROKEY_PROFILE``, else ``default``; choosing one the file does not have is
an error, never a silent fall back to another account.
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
from sharokey.limits import MAX_HOURS, MAX_VIEWS, MIN_HOURS, MIN_VIEWS

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_PROFILE",
    "ENV_API_URL",
    "ENV_PROFILE",
    "ENV_TOKEN",
    "NONCE_MODES",
    "PROFILE_KEYS",
    "Profile",
    "Settings",
    "Timeout",
    "check_max_connections",
    "check_max_response_bytes",
    "config_path",
    "list_profiles",
    "load_config_file",
    "load_profile",
    "missing_token_error",
    "normalise_api_url",
    "profile_name",
    "resolve",
    "save_config",
]

DEFAULT_API_URL = "https://api.sharokey.com/api/v1"
ENV_TOKEN = "SHAROKEY_TOKEN"  # noqa: S105 - the variable's name, not a token
ENV_API_URL = "SHAROKEY_API_URL"
ENV_PROFILE = "SHAROKEY_PROFILE"
#: The profile of the file's top level: what a file from before profiles holds.
DEFAULT_PROFILE = "default"
#: What a profile may hold, as the file spells it.
PROFILE_KEYS = ("token", "api_url", "timeout", "hours", "views", "attachment_nonces")
#: ``attachment_nonces``: the official shared nonce, or a fresh one per file.
NONCE_MODES = ("shared", "unique")
_PROFILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
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
    """The resolved token and API URL. The token never appears in ``repr``.

    ``profile`` is the profile's name when the file was read, else ``None``.
    """

    token: Optional[str] = attrs.field(repr=False)
    api_url: str
    timeout: Optional[float] = None
    token_source: Optional[str] = None
    profile: Optional[str] = None


@attrs.frozen(kw_only=True)
class Profile:
    """One profile of the config file, checked; ``None`` for what it does not set.

    ``exists`` is False for the ``default`` profile of a file that does not
    exist yet (or has nothing at its top level). The token never appears in ``repr``.
    """

    name: str
    token: Optional[str] = attrs.field(default=None, repr=False)
    api_url: Optional[str] = None
    timeout: Optional[float] = None
    hours: Optional[int] = None
    views: Optional[int] = None
    attachment_nonces: Optional[str] = None
    exists: bool = True


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


def profile_name(name: Optional[str] = None) -> tuple[str, str]:
    """The chosen profile and who chose it: ``argument``, ``environment`` or ``default``."""
    if name is not None:
        return _check_profile_name(name, "profile argument"), "argument"
    from_env = os.environ.get(ENV_PROFILE, "").strip()
    if from_env:
        return _check_profile_name(from_env, ENV_PROFILE), "environment"
    return DEFAULT_PROFILE, "default"


def _check_profile_name(name: object, source: str) -> str:
    if not isinstance(name, str) or _PROFILE_NAME_RE.match(name) is None:
        problem = (
            "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
        raise ConfigurationError(
            f"The profile name ({source}) {problem}.", details={"profile": [problem]}
        )
    return name


def _sections(data: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """Every profile's raw settings, ``default`` (the top level) first."""
    named = data.get("profiles", {})
    if not isinstance(named, dict) or not all(isinstance(v, dict) for v in named.values()):
        raise ConfigurationError(
            f'The config file {path}: "profiles" must map names to objects. '
            "Fix it, or rewrite it with `sharokey config`.",
            details={"config_file": [str(path)]},
        )
    top = {key: data[key] for key in PROFILE_KEYS if key in data}
    return {DEFAULT_PROFILE: top, **{str(k): v for k, v in named.items() if k != DEFAULT_PROFILE}}


def _int_setting(
    value: object, key: str, low: int, high: int, where: Optional[str]
) -> Optional[int]:
    """``value`` checked; ``where`` names the file and profile it was read from, if it was."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        source = f" ({where})" if where else ""
        raise ConfigurationError(
            f"{key}{source} must be a whole number from {low} to {high}.",
            details={key: [f"must be between {low} and {high}"]},
        )
    return value


def _profile_of(name: str, section: dict[str, Any], path: Path, exists: bool) -> Profile:
    where = f"config file {path}, profile {name}"
    raw_url = section.get("api_url")
    timeout = section.get("timeout")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ConfigurationError(
                f"timeout ({where}) must be a positive number of seconds.",
                details={"timeout": ["must be a positive number"]},
            )
        timeout = float(timeout)
    nonces = section.get("attachment_nonces")
    if nonces is not None and nonces not in NONCE_MODES:
        raise ConfigurationError(
            f"attachment_nonces ({where}) must be 'shared' or 'unique'.",
            details={"attachment_nonces": ["must be 'shared' or 'unique'"]},
        )
    return Profile(
        name=name,
        token=_check_token(section.get("token"), where),
        api_url=normalise_api_url(raw_url, source=where) if raw_url else None,
        timeout=timeout,
        hours=_int_setting(section.get("hours"), "hours", MIN_HOURS, MAX_HOURS, where),
        views=_int_setting(section.get("views"), "views", MIN_VIEWS, MAX_VIEWS, where),
        attachment_nonces=nonces,
        exists=exists,
    )


def list_profiles(path: Optional[Path] = None) -> dict[str, Profile]:
    """Every profile of the file, checked, ``default`` first (even when it sets nothing)."""
    path = config_path() if path is None else path
    sections = _sections(load_config_file(path), path)
    return {
        name: _profile_of(name, section, path, exists=bool(section) or name != DEFAULT_PROFILE)
        for name, section in sections.items()
    }


_CHOOSERS = {"argument": "the profile argument, --profile", "environment": ENV_PROFILE}


def load_profile(name: Optional[str] = None, *, path: Optional[Path] = None) -> Profile:
    """The chosen profile (see :func:`profile_name`); an error if the file has no such profile."""
    path = config_path() if path is None else path
    chosen, source = profile_name(name)
    profiles = list_profiles(path)
    if chosen not in profiles:
        known = ", ".join(profiles)
        raise ConfigurationError(
            f"There is no profile {chosen!r} (chosen by {_CHOOSERS[source]}) in {path}; "
            f"it has {known}. Create it with `sharokey config --profile {chosen} --token -`.",
            details={"profile": [f"no profile {chosen!r}"]},
        )
    return profiles[chosen]


def missing_token_error() -> AuthenticationError:
    """The error for a call that needs a token when none was configured."""
    return AuthenticationError(
        "No API token is configured. Pass token=... to the client, set the "
        f"{ENV_TOKEN} environment variable, or run `sharokey config --token`.",
        code="TOKEN_MISSING",
    )


def resolve(
    token: Optional[str] = None, api_url: Optional[str] = None, profile: Optional[str] = None
) -> Settings:
    """Settings from the argument, else the environment, else the profile, else defaults.

    The file is read only when the arguments and the environment left something
    open: a client given everything explicitly never depends on it.
    """
    chosen: Optional[Profile] = None

    def from_file() -> Profile:
        nonlocal chosen
        if chosen is None:
            chosen = load_profile(profile)
        return chosen

    resolved_token = _check_token(token, "token argument")
    token_source: Optional[str] = "argument" if resolved_token else None
    if resolved_token is None:
        resolved_token = _check_token(os.environ.get(ENV_TOKEN), ENV_TOKEN)
        token_source = "environment" if resolved_token else None
    if resolved_token is None:
        resolved_token = from_file().token
        token_source = "config file" if resolved_token else None

    if api_url is not None:
        url = normalise_api_url(api_url, source="api_url argument")
    elif os.environ.get(ENV_API_URL, "").strip():
        url = normalise_api_url(os.environ[ENV_API_URL], source=ENV_API_URL)
    else:
        url = from_file().api_url or DEFAULT_API_URL

    return Settings(
        token=resolved_token,
        api_url=url,
        timeout=chosen.timeout if chosen is not None else None,
        token_source=token_source,
        profile=chosen.name if chosen is not None else None,
    )


def save_config(
    token: Optional[str] = None,
    api_url: Optional[str] = None,
    timeout: Optional[float] = None,
    *,
    path: Optional[Path] = None,
    profile: Optional[str] = None,
    hours: Optional[int] = None,
    views: Optional[int] = None,
    attachment_nonces: Optional[str] = None,
    unset: tuple[str, ...] = (),
) -> Path:
    """Merge the given settings into one profile of the file, atomically, owner-only.

    ``profile``: as :func:`profile_name` chooses (a new name creates the profile);
    ``unset``: keys of :data:`PROFILE_KEYS` to remove from it. Settings not given
    keep their value; other profiles are untouched. The directory is created
    with mode 0700 and the file is created with 0600 (it holds tokens).
    """
    path = config_path() if path is None else path
    data = load_config_file(path)
    name, _ = profile_name(profile)
    sections = _sections(data, path)
    section = dict(sections.get(name, {}))
    for key in unset:
        if key not in PROFILE_KEYS:
            raise ConfigurationError(
                f"{key!r} is not a setting; the settings are {', '.join(PROFILE_KEYS)}.",
                details={"unset": [f"unknown setting {key!r}"]},
            )
        section.pop(key, None)
    if token is not None:
        checked = _check_token(token, "token")
        if checked is None:
            raise ConfigurationError(
                "The token must not be empty.", details={"token": ["must not be empty"]}
            )
        section["token"] = checked
    if api_url is not None:
        section["api_url"] = normalise_api_url(api_url)
    if timeout is not None:
        Timeout.of(timeout)  # validates
        section["timeout"] = float(timeout)
    _int_setting(hours, "hours", MIN_HOURS, MAX_HOURS, None)
    _int_setting(views, "views", MIN_VIEWS, MAX_VIEWS, None)
    defaults = {"hours": hours, "views": views, "attachment_nonces": attachment_nonces}
    section.update({key: value for key, value in defaults.items() if value is not None})
    _profile_of(name, section, path, exists=True)  # refuses a value it could not use
    if name == DEFAULT_PROFILE:
        data = {key: value for key, value in data.items() if key not in PROFILE_KEYS}
        data.update(section)
    else:
        named = dict(data.get("profiles", {}))
        named[name] = section
        data["profiles"] = named

    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # e.g. a directory owned by someone else
        os.chmod(directory, 0o700)
    # mkstemp creates the file 0600 in one step (O_EXCL): it is never readable by others,
    # not even for a moment; the rename then puts it in place whole.
    fd, tmp_name = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=str(directory))
    try:
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
