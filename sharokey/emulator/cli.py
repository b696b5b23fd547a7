"""``python -m sharokey.emulator`` (and ``sharokey emulator``): serve the emulator.

``build_parser`` adds the options to any (sub)parser so the main ``sharokey``
command can mount this one; ``run`` serves until SIGINT or SIGTERM and
returns the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Optional

from sharokey.emulator._memory import return_large_blocks
from sharokey.emulator.faults import FAULT_GRAMMAR, parse_fault
from sharokey.emulator.state import DEFAULT_MAX_BODY_MIB, LIST_SHAPES

__all__ = ["build_parser", "main", "run"]

_DESCRIPTION = (
    "Serve a local Sharokey service (the API under /api/v1, the viewer page under /s/SLUG, "
    "the control endpoints under /_emulator/) for tests and demos."
)


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    """Add the emulator's options to ``parser`` (a new one if ``None``) and return it."""
    if parser is None:
        parser = argparse.ArgumentParser(prog="python -m sharokey.emulator")
    parser.description = parser.description or _DESCRIPTION
    parser.epilog = FAULT_GRAMMAR
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)"
    )
    parser.add_argument(
        "--db",
        default="./sharokey-emulator.sqlite3",
        help="SQLite file, or :memory: (default ./sharokey-emulator.sqlite3)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="T",
        help="accept this bearer token, its own company (repeatable; "
        "none: one random token is generated and printed)",
    )
    parser.add_argument(
        "--readonly-token",
        action="append",
        default=[],
        metavar="T",
        help="accept this token for reads only (repeatable)",
    )
    parser.add_argument(
        "--quota", type=int, default=None, metavar="N", help="active secrets per company"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="RULE",
        help="inject a fault, e.g. 'POST /api/v1/secrets 503x1 retry-after=1' "
        "(repeatable; grammar below)",
    )
    parser.add_argument(
        "--list-shape",
        choices=LIST_SHAPES,
        default="documented",
        help="list responses: documented (data is the list) or items (data.items)",
    )
    parser.add_argument(
        "--country-header",
        default="X-Country",
        metavar="NAME",
        help="request header holding the client's country for geolocation rules "
        "(default X-Country; there is no GeoIP database)",
    )
    parser.add_argument(
        "--max-body-mib",
        type=float,
        default=DEFAULT_MAX_BODY_MIB,
        metavar="MIB",
        help=f"largest body (default {DEFAULT_MAX_BODY_MIB:g})",
    )
    parser.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="where the links it answers point, e.g. behind a proxy "
        "(default: the bound http://HOST:PORT; never the request's Host header)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="access log and diagnostics level (default info)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 0 on a clean stop, 2 on bad options."""
    for rule in args.fault:
        try:
            parse_fault(rule)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    if args.quota is not None and args.quota < 0:
        print("error: --quota must be zero or more", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("error: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    return_large_blocks()  # memory stays bounded through large reveals (see _memory)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:  # platforms without loop signal handlers
        pass
    except OSError as error:
        print(f"error: cannot serve on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    except ValueError as error:  # an option the state refuses (body cap, public URL, token)
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


async def _serve(args: argparse.Namespace) -> None:
    from sharokey.emulator.runner import start_emulator

    async with start_emulator(
        tokens=args.token,
        readonly_tokens=args.readonly_token,
        quota=args.quota,
        db=args.db,
        faults=args.fault,
        list_shape=args.list_shape,
        country_header=args.country_header,
        host=args.host,
        port=args.port,
        max_body_mib=args.max_body_mib,
        public_url=args.public_url,
    ) as handle:
        print(f"Sharokey emulator listening on {handle.api_url}")
        print(f"  viewer pages:  {handle.base_url}/s/SLUG")
        print(f"  database:      {handle.db}")
        for token in handle.tokens:
            print(f"  token:         {token}")
        for token in handle.readonly_tokens:
            print(f"  read-only:     {token}")
        print("Press Ctrl-C to stop.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Windows has no loop signal handlers: Ctrl-C arrives as KeyboardInterrupt.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        print("Stopping.", flush=True)


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of ``python -m sharokey.emulator``."""
    return run(build_parser().parse_args(argv))
