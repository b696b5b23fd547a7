"""``sharokey emulator`` and ``sharokey demo``: servers, dispatched before parsing.

They take their own options (the emulator's parser is built only when it
runs), so they are recognised on the raw arguments and never pay for, or
clash with, the client options. The emulator and the demo are imported
only here, on use: ``sharokey --help`` must not load them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Optional

from sharokey._cli.errors import CliError, UsageError

__all__ = ["run_server", "split_server_command"]

# The client options that take a value: the token after one is not a command name.
_CLIENT_VALUE_OPTIONS = ("--api-url", "--token", "--timeout")
_SERVER_COMMANDS = ("emulator", "demo")


def split_server_command(argv: Sequence[str]) -> Optional[tuple[str, list[str], list[str]]]:
    """(command, options before it, its arguments) when argv names a server command."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in ("-h", "--help", "--version", "--"):
            return None
        if token in _CLIENT_VALUE_OPTIONS:
            i += 2
            continue
        if token.startswith("-"):
            i += 1
            continue
        if token in _SERVER_COMMANDS:
            return token, list(argv[:i]), list(argv[i + 1 :])
        return None
    return None


def run_server(name: str, before: list[str], rest: list[str]) -> int:
    """Run server command ``name`` on its own arguments; client options before it are refused."""
    if before:
        # Name the options only: a value given before the command may be a token.
        names = " ".join(sorted({t.split("=", 1)[0] for t in before if t.startswith("-")}))
        raise UsageError(
            f"the client options ({names}) do not apply to `sharokey {name}`",
            f"Put its own options after the command: `sharokey {name} --help`.",
        )
    if name == "demo":
        from sharokey import demo

        return demo.main(rest)
    try:
        from sharokey.emulator import cli as emulator_cli
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "aiohttp":
            raise CliError(
                "the emulator needs aiohttp, which is not installed",
                "Install it with: pip install 'sharokey[aiohttp]'.",
            ) from None
        raise
    parser = argparse.ArgumentParser(prog="sharokey emulator", allow_abbrev=False)
    emulator_cli.build_parser(parser)
    return int(emulator_cli.run(parser.parse_args(rest)))
