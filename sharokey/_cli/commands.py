"""The client commands of ``sharokey``: the table from command name to function, and :func:`run`.

Each command takes the parsed arguments and returns an exit code; failures
are raised and turned into one ``error:`` line and an exit code by
:func:`sharokey.cli.main`. The commands live in modules named for what they
do; ``config`` and ``test`` are imported only when they run.

What never reaches stderr or a log: the token, the content, a password,
keyB. stdout carries the share link (``create``) and the content
(``reveal``) because that is what the user asked for.
"""

from __future__ import annotations

import argparse
from typing import Callable

from sharokey._cli.create import cmd_create
from sharokey._cli.errors import TOKEN_MISSING_HINT, CliError, UsageError
from sharokey._cli.request_commands import (
    cmd_create_request,
    cmd_delete_request,
    cmd_get_request,
    cmd_list_requests,
    cmd_request_stats,
)
from sharokey._cli.reveal import cmd_reveal
from sharokey._cli.secret_commands import cmd_delete, cmd_get, cmd_list, cmd_stats
from sharokey.errors import AuthenticationError

__all__ = ["COMMANDS", "run"]


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        import importlib

        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return handler(args)

    return call


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": cmd_list,
    "create": cmd_create,
    "get": cmd_get,
    "delete": cmd_delete,
    "stats": cmd_stats,
    "reveal": cmd_reveal,
    "create-request": cmd_create_request,
    "list-requests": cmd_list_requests,
    "get-request": cmd_get_request,
    "delete-request": cmd_delete_request,
    "request-stats": cmd_request_stats,
    "config": _lazy("sharokey._cli.setup", "cmd_config"),
    "test": _lazy("sharokey._cli.setup", "cmd_test"),
    "qr": _lazy("sharokey._cli.qr", "cmd_qr"),
    "completion": _lazy("sharokey._cli.completion", "cmd_completion"),
}


def run(command: str, args: argparse.Namespace) -> int:
    """Run one parsed command."""
    try:
        handler = COMMANDS[command]
    except KeyError:
        raise UsageError(f"unknown command {command!r}", "See `sharokey --help`.") from None
    try:
        return handler(args)
    except AuthenticationError as exc:
        if exc.code == "TOKEN_MISSING":
            raise CliError("no API token is configured", TOKEN_MISSING_HINT, exit_code=3) from None
        raise
