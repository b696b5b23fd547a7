"""The ``sharokey`` command line: the entry point (``sharokey.cli:main``).

:func:`main` parses, runs one command and maps every failure to one exit
code. The parts live in :mod:`sharokey._cli`: the parser, the errors and
their exit codes, the server commands, and the client commands, which are
imported only once a command actually runs. ``sharokey --help`` must stay
fast, so nothing here imports the client, ``requests``, ``aiohttp``,
``cattrs`` or the emulator at module level.

Exit codes (one table, :data:`EXIT_CODES`): 0 success; 1 any other failure;
2 usage or validation; 3 authentication or access; 4 not found; 5 network or
timeout; 6 decryption failed; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from sharokey._cli import servers
from sharokey._cli.context import wants_json
from sharokey._cli.errors import (
    EXIT_CODES,
    CliError,
    describe_error,
    error_document,
    exit_code_for,
)
from sharokey._cli.output import dump_json
from sharokey._cli.parser import build_parser
from sharokey._cli.usage import typed_flags

if TYPE_CHECKING:
    import logging

# The public names of this module before the CLI moved into sharokey._cli.
__all__ = ["EXIT_CODES", "CliError", "build_parser", "exit_code_for", "main"]


def _setup_debug(enabled: bool) -> Optional[logging.Handler]:
    if not enabled:
        return None
    import logging  # only now: ``--help`` does not pay for it

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    logger = logging.getLogger("sharokey")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return handler


def _teardown_debug(handler: Optional[logging.Handler]) -> None:
    if handler is not None:
        import logging

        logger = logging.getLogger("sharokey")
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def _tolerant_stdout() -> None:
    """On a stdout that cannot encode everything (an ASCII locale), escape, do not crash.

    Content and JSON bypass this and are written as UTF-8 bytes (see ``output.emit``).
    """
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "")
    reconfigure = getattr(stream, "reconfigure", None)
    if encoding != "utf8" and reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="backslashreplace")


def _print_error(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr closed: nothing more to say
        print(line, file=sys.stderr, flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``sharokey`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    command = ""
    as_json = False
    handler: Optional[logging.Handler] = None
    try:
        server = servers.split_server_command(args_list)
        if server is not None:
            return servers.run_server(*server)
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
            return int(exc.code) if isinstance(exc.code, int) else 2
        command = args.command or ""
        if not command:
            parser.print_help(sys.stderr)
            return 2
        debug = bool(getattr(args, "g_debug", False))
        as_json = wants_json(args)
        _tolerant_stdout()
        handler = _setup_debug(debug)
        from sharokey._cli import commands

        with warnings.catch_warnings():
            # The SDK's warnings become one readable line each (see commands);
            # anything else stays out of the output unless debugging.
            if not debug:
                warnings.simplefilter("ignore")
            return commands.run(command, args)
    except KeyboardInterrupt:
        _print_error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): say nothing, and keep Python from
        # complaining about the closed pipe at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:  # the one place that turns failures into exit codes
        if debug:
            _print_error(traceback.format_exc().rstrip())
        # A refused value is named by the flag the user typed for it.
        flags = typed_flags(build_parser(), command, args_list) if command else None
        _print_error(describe_error(exc, command, flags))
        if as_json:  # the one document --json promises, also when the command failed
            with contextlib.suppress(OSError, ValueError):
                dump_json(error_document(exc, command, flags))
        return exit_code_for(exc)
    finally:
        _teardown_debug(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
