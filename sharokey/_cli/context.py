"""What every client command takes from its arguments: the client, ``--json``, the streams.

Human output goes to stdout, notes to stderr; ``--json`` prints exactly one
document on stdout. The client and the converter are imported inside the
functions, once a command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Optional

from sharokey.errors import SharokeyError

if TYPE_CHECKING:
    from sharokey.client import Sharokey
    from sharokey.config import Profile

__all__ = [
    "make_client",
    "note",
    "profile_of",
    "profile_option",
    "stdout",
    "token_of",
    "unstructure",
    "wants_json",
]


def stdout() -> Any:
    """The current stdout (looked up on each call: tests and callers replace it)."""
    return sys.stdout


def note(text: str) -> None:
    """A line for the person, on stderr (never a secret), cleaned: it may quote a server."""
    from sharokey._cli.output import clean

    print(clean(text, keep_newlines=True), file=sys.stderr, flush=True)


def wants_json(args: argparse.Namespace) -> bool:
    """Whether ``--json`` was given, before or after the command."""
    return bool(getattr(args, "g_json", False))


def unstructure(obj: Any) -> Any:
    """A model as plain JSON-ready data (the converter is loaded only now)."""
    from sharokey._convert import unstructure

    return unstructure(obj)


def token_of(args: argparse.Namespace) -> Optional[str]:
    """The token from ``--token``, ``--token-file`` or ``--token-env`` (``None``: none given)."""
    from sharokey._cli.sources import value_from

    value = value_from(args, "token", "g_token")
    return value if isinstance(value, str) else None


def profile_option(args: argparse.Namespace) -> Optional[str]:
    """``--profile NAME`` as given (``None``: ``SHAROKEY_PROFILE``, else ``default``)."""
    value = getattr(args, "g_profile", None)
    return value if isinstance(value, str) else None


def profile_of(args: argparse.Namespace) -> Profile:
    """The selected profile of the config file (read once per command).

    An explicitly chosen profile (``--profile``, ``SHAROKEY_PROFILE``) that is
    missing or broken is an error; the implicit ``default`` of a broken file
    only is when something is taken from it (:func:`sharokey.config.resolve`).
    """
    from sharokey import config

    cached: Optional[Profile] = getattr(args, "_sk_profile", None)
    if cached is None:
        try:
            cached = config.load_profile(profile_option(args))
        except SharokeyError:
            if config.profile_name(profile_option(args))[1] != "default":
                raise
            cached = config.Profile(name=config.DEFAULT_PROFILE, exists=False)
        args._sk_profile = cached
    return cached


def make_client(args: argparse.Namespace, **options: Any) -> Sharokey:
    """A client from the global options, the environment and the selected profile.

    Precedence, for each setting: the flag, then the environment, then the
    profile, then the default.
    """
    from sharokey import config
    from sharokey.client import Sharokey

    settings = config.resolve(
        token_of(args), getattr(args, "g_api_url", None), profile_option(args)
    )
    # resolve() skips the file when flags and environment said everything; the
    # profile's timeout still applies then.
    timeout = getattr(args, "g_timeout", None) or profile_of(args).timeout
    if timeout:
        options["timeout"] = timeout
    return Sharokey(settings.token, api_url=settings.api_url, **options)
