"""What every client command takes from its arguments: the client, ``--json``, the streams.

Human output goes to stdout, notes to stderr; ``--json`` prints exactly one
document on stdout. The client and the converter are imported inside the
functions, once a command runs.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Optional

from sharokey.errors import SharokeyError

if TYPE_CHECKING:
    from sharokey.client import Sharokey

__all__ = ["make_client", "note", "stdout", "token_of", "unstructure", "wants_json"]


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


def make_client(args: argparse.Namespace, **options: Any) -> Sharokey:
    """A client from the global options, the environment and the config file."""
    from sharokey import config
    from sharokey.client import Sharokey

    settings = config.resolve(token_of(args), getattr(args, "g_api_url", None))
    timeout = getattr(args, "g_timeout", None) or settings.timeout
    if timeout is None:
        # resolve() skips the file when --token and --api-url said everything;
        # a stored timeout still applies then.
        with suppress(SharokeyError):
            stored = config.load_config_file().get("timeout")
            if isinstance(stored, (int, float)) and not isinstance(stored, bool) and stored > 0:
                timeout = float(stored)
    if timeout:
        options["timeout"] = timeout
    return Sharokey(settings.token, api_url=settings.api_url, **options)
