"""The ``sharokey`` command line.

This module builds the argument parser and maps every failure to one exit
code; the commands themselves live in :mod:`sharokey._cli` and are imported
only once a command actually runs. ``sharokey --help`` must stay fast, so
nothing here imports the client, ``requests``, ``aiohttp``, ``cattrs`` or the
emulator at module level.

Exit codes (one table, :data:`EXIT_CODES`): 0 success; 1 any other failure;
2 usage or validation; 3 authentication or access; 4 not found; 5 network or
timeout; 6 decryption failed; 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from sharokey._version import __version__
from sharokey.errors import (
    AuthenticationError,
    ConfigurationError,
    DecryptionError,
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

if TYPE_CHECKING:
    import logging

__all__ = ["EXIT_CODES", "CliError", "build_parser", "exit_code_for", "main"]

# --------------------------------------------------------------------------- errors


class CliError(Exception):
    """A failure the command line itself detected; ``exit_code`` says which kind.

    ``message`` says what went wrong, ``hint`` what to do; neither may carry a
    token, a password, content or a share link's key.
    """

    def __init__(self, message: str, hint: str = "", *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


class UsageError(CliError):
    """Arguments that cannot work together, or input that cannot be read (exit 2)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, exit_code=2)


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

_TOKEN_MISSING_HINT = (
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
_ADVISES = re.compile(r"(^|[.;:] )(Check|Try|Pass|Rerun|Wait|Fix|Delete|Use|Give|Run) ")


def otp_destination(exc: OtpRequiredError) -> str:
    """`` by email to b***@example.com`` (masked by the server), or ``""``."""
    channel = f" by {exc.channel}" if exc.channel else ""
    return f"{channel}{' to ' + exc.destination if exc.destination else ''}"


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    if text and text[-1] not in ".!?…":
        text += "."
    return text


def describe_error(exc: BaseException, command: str = "") -> str:
    """One line, ``<what went wrong>. <what to do>``, built only from safe parts."""
    hint = ""
    if isinstance(exc, CliError):
        message, hint = exc.message, exc.hint
    elif isinstance(exc, SharokeyError):
        message = exc.message
        if isinstance(exc, ValidationError) and exc.status is not None and exc.fields:
            # The server's summary is generic or its first field's message: name
            # what else it refused, without repeating what the summary says.
            left_out = [
                f"{name}: {', '.join(new)}"
                for name, said in sorted(exc.fields.items())
                if (new := [m for m in said if m not in message])
            ]
            if left_out:
                message = f"{_sentence(message)[:-1]} ({'; '.join(left_out)})"
        if isinstance(exc, OtpRequiredError):
            message = "A one-time code was sent" + otp_destination(exc)
        if isinstance(exc, (RateLimitError, ServerError)) and exc.retry_after:
            hint = f"Wait {exc.retry_after:g} s, then try again."
        if isinstance(exc, AuthenticationError) and exc.code == "TOKEN_MISSING":
            hint = _TOKEN_MISSING_HINT
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
    return f"error: {line} {hint}".rstrip() if hint else f"error: {line}"


# --------------------------------------------------------------------------- parser

_CLIENT_VALUE_OPTIONS = ("--api-url", "--token", "--timeout")
_SERVER_COMMANDS = ("emulator", "demo")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _add_client_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every client command takes, before or after its name.

    On subcommands the defaults are suppressed, so a value given before the
    command is not overwritten by the subcommand's default.
    """
    group = parser.add_argument_group("client options")

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group.add_argument(
        "--api-url",
        dest="g_api_url",
        metavar="URL",
        default=default(None),
        help="API base URL (default: SHAROKEY_API_URL, the config file, "
        "then https://api.sharokey.com/api/v1)",
    )
    group.add_argument(
        "--token",
        dest="g_token",
        metavar="TOKEN",
        default=default(None),
        help="API token (default: SHAROKEY_TOKEN, then the config file); "
        "prefer those: a command line is visible to other local users",
    )
    group.add_argument(
        "--timeout",
        dest="g_timeout",
        metavar="SECONDS",
        type=_seconds,
        default=default(None),
        help="connect and read timeout in seconds (default: the config file, else 5 s / 30 s)",
    )
    group.add_argument(
        "--json",
        dest="g_json",
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout, for tools",
    )
    group.add_argument(
        "--debug",
        dest="g_debug",
        action="store_true",
        default=default(False),
        help="log requests (method, path, status, timing) and show tracebacks on stderr",
    )


_MAIN_EPILOG = """\
examples:
  sharokey config --token -                  store the API token (read from stdin)
  sharokey create "db password" --hours 24 --views 1 --description "prod DB"
  printf '%s' "$SECRET" | sharokey create --quiet
  sharokey create - --attach report.pdf --unique-nonces < note.txt
  sharokey list --status active --limit 10
  sharokey get ABC123XY --details-only
  sharokey reveal 'https://host/s/ABC123XY#KEYB...' --output-dir ./received
  sharokey delete ABC123XY --yes
  sharokey test                              check configuration, network and token

exit codes:
  0    success
  1    any other failure: server error, invalid response, quota, rate limit,
       a declined confirmation, a failing `sharokey test` check
  2    usage or validation (bad option, value out of range)
  3    authentication or access (missing or wrong token, permission denied,
       password / one-time code / captcha required or wrong)
  4    not found (unknown, expired, deleted or used-up secret or request)
  5    network or timeout
  6    decryption failed (wrong, incomplete or tampered link)
  130  interrupted

The token is read from --token, then SHAROKEY_TOKEN, then the config file
(`sharokey config`); the API URL likewise from --api-url, SHAROKEY_API_URL,
the config file, then the default. See docs/cli.md.
"""

# command -> (one-line help, epilog with examples)
_COMMANDS: dict[str, tuple[str, str]] = {
    "list": (
        "list your company's secrets (metadata only)",
        """examples:
  sharokey list
  sharokey list --status active --limit 10
  sharokey list --all --search invoice --json
  sharokey list --creator alice@example.com --page 2""",
    ),
    "create": (
        "encrypt a secret here and print its share link",
        """examples:
  sharokey create "My secret content" --hours 24 --views 1 --description "DB credentials"
  printf '%s' "$DB_PASSWORD" | sharokey create --quiet      content from stdin
  sharokey create - --password < notes.txt                  asks the password, no echo
  sharokey create "see file" --attach id_rsa.pub --unique-nonces
  sharokey create "code inside" --otp-email bob@example.com --hours 2

Content on the command line is visible in shell history and to other local
users: prefer stdin (`-`, or no argument with piped input). One trailing
newline of stdin is dropped (as `$(...)` would). --password without a value
prompts for it. Write the content before --password, or use --password=PW:
`--password WORD` takes WORD as the password.""",
    ),
    "get": (
        "show a secret's details (never its content)",
        """examples:
  sharokey get ABC123XY
  sharokey get ABC123XY --details-only
  sharokey get ABC123XY --json""",
    ),
    "delete": (
        "delete a secret: its content is cleared, its metadata stays (expired)",
        """examples:
  sharokey delete ABC123XY            asks for confirmation on a terminal
  sharokey delete ABC123XY --yes      for scripts""",
    ),
    "stats": (
        "show your company's secret statistics",
        """examples:
  sharokey stats
  sharokey stats --json""",
    ),
    "reveal": (
        "open a share link: print the content, save the attachments",
        """examples:
  sharokey reveal 'https://host/s/ABC123XY#KEYB'
  sharokey reveal "$LINK" --password              asks the password, no echo
  sharokey reveal "$LINK" --otp 123456 --output-dir ./received
  sharokey reveal "$LINK" --json > secret.json
  printf '%s\n' "$LINK" | sharokey reveal -         the link stays out of `ps` and history

Revealing counts a view: a one-view secret is gone afterwards. The content
goes to stdout, everything else to stderr. Attachments are written into
--output-dir (default: the current directory) under sanitised names; an
existing file is never overwritten without --force (the attachment is saved
under a free name instead, so nothing is lost). The secret is fetched from
--api-url (or the configured URL), never from the host written in the link.""",
    ),
    "create-request": (
        "ask someone to send you a secret",
        """examples:
  sharokey create-request --email-to bob@example.com --message "VPN password please"
  sharokey create-request --secret-hours 24 --request-hours 48 --views 1 --locale fr""",
    ),
    "list-requests": (
        "list your secret requests",
        """examples:
  sharokey list-requests
  sharokey list-requests --status active --all --json""",
    ),
    "get-request": (
        "show a secret request",
        """examples:
  sharokey get-request TOKEN
  sharokey get-request TOKEN --json""",
    ),
    "delete-request": (
        "delete a secret request",
        """examples:
  sharokey delete-request TOKEN
  sharokey delete-request TOKEN --yes""",
    ),
    "request-stats": (
        "show your company's secret request statistics",
        """examples:
  sharokey request-stats""",
    ),
    "config": (
        "store the token, API URL and timeout, or show them",
        """examples:
  sharokey config --token -                 reads the token from stdin (not in history)
  sharokey config --token - --api-url http://127.0.0.1:8765/api/v1 --timeout 10
  sharokey config --show

The file is $XDG_CONFIG_HOME/sharokey/config.json (or ~/.config/...), created
readable by you only (0600, directory 0700). SHAROKEY_TOKEN and
SHAROKEY_API_URL, and the global --token / --api-url options, override it.""",
    ),
    "test": (
        "check configuration, network, authentication and access",
        """examples:
  sharokey test
  sharokey test --api-url http://127.0.0.1:8765/api/v1

Prints one PASS/FAIL line per check and exits 1 if any failed.""",
    ),
}


def _add_list_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", choices=("active", "expired"), help="only these")
    parser.add_argument(
        "--limit", type=_positive_int, metavar="N", help="page size (the server's default if unset)"
    )
    parser.add_argument("--page", type=_positive_int, metavar="N", help="page number (from 1)")
    parser.add_argument("--all", action="store_true", help="walk every page, not just one")
    parser.add_argument("--search", metavar="Q", help="free-text search")
    parser.add_argument("--creator", metavar="EMAIL", help="only those created by this user")


def build_parser() -> argparse.ArgumentParser:
    """The whole ``sharokey`` parser (the emulator's own options are added on use)."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="sharokey",
        description="Zero-knowledge secret sharing: secrets are encrypted on this machine; "
        "the server never sees them.",
        epilog=_MAIN_EPILOG,
        formatter_class=raw,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"sharokey {__version__}")
    _add_client_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str) -> argparse.ArgumentParser:
        help_text, epilog = _COMMANDS[name]
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=epilog,
            formatter_class=raw,
            allow_abbrev=False,
        )
        p.set_defaults(command=name)
        return p

    p = command("list")
    _add_list_filters(p)
    _add_client_options(p, top=False)

    p = command("create")
    p.add_argument(
        "content",
        nargs="?",
        metavar="CONTENT",
        help="the secret text; '-' or omitted with piped input: read stdin",
    )
    p.add_argument("--hours", type=int, default=24, metavar="N", help="expires after N hours")
    p.add_argument("--views", type=int, default=1, metavar="N", help="can be revealed N times")
    p.add_argument("--description", metavar="TEXT", help="shown in lists (not encrypted)")
    p.add_argument("--message", metavar="TEXT", help="shown to the recipient (not encrypted)")
    p.add_argument(
        "--password",
        nargs="?",
        const=True,
        metavar="PW",
        help="require this password to reveal; without a value, prompt for it",
    )
    p.add_argument("--captcha", action="store_true", help="require a captcha to reveal")
    otp = p.add_mutually_exclusive_group()
    otp.add_argument("--otp-email", metavar="EMAIL", help="send a one-time code to this address")
    otp.add_argument("--otp-phone", metavar="PHONE", help="send a one-time code (E.164 number)")
    p.add_argument("--ip-whitelist", metavar="LIST", help="comma-separated IPv4 addresses/CIDRs")
    p.add_argument("--geolocation", metavar="CODES", help="comma-separated country codes")
    p.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="attach a file (repeatable; 10 files, 10 MiB in all)",
    )
    p.add_argument(
        "--unique-nonces",
        action="store_true",
        help="a fresh nonce per attachment (safer; the hosted web viewer cannot open it)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only the share link")
    _add_client_options(p, top=False)

    p = command("get")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument(
        "--details-only",
        action="store_true",
        help="accepted for the official CLI's users; details are all `get` shows",
    )
    _add_client_options(p, top=False)

    p = command("delete")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_client_options(p, top=False)

    p = command("stats")
    _add_client_options(p, top=False)

    p = command("reveal")
    p.add_argument(
        "share_url",
        metavar="SHARE_URL",
        help="the whole link, with its #fragment; '-' reads it from stdin",
    )
    p.add_argument(
        "--password",
        nargs="?",
        const=True,
        metavar="PW",
        help="the secret's password; without a value, prompt for it",
    )
    p.add_argument("--otp", metavar="CODE", help="the one-time code that was sent to you")
    p.add_argument("--captcha", metavar="ANSWER", help="the captcha answer")
    p.add_argument(
        "--output-dir",
        metavar="DIR",
        default=None,
        help="where to write attachments (default: the current directory)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    _add_client_options(p, top=False)

    p = command("create-request")
    p.add_argument("--secret-hours", type=int, metavar="N", help="the secret's lifetime (1-1000)")
    p.add_argument("--request-hours", type=int, metavar="N", help="the request's lifetime")
    p.add_argument("--views", type=int, metavar="N", help="views of the secret (1-10)")
    p.add_argument("--message", metavar="TEXT", help="shown to the person asked")
    p.add_argument("--description", metavar="TEXT", help="shown in your lists")
    p.add_argument("--email-to", metavar="EMAIL", help="send the request to this address")
    p.add_argument("--email-reply", metavar="EMAIL", help="where the answer notice goes")
    p.add_argument("--locale", choices=("en", "fr"), help="language of the e-mail")
    _add_client_options(p, top=False)

    p = command("list-requests")
    _add_list_filters(p)
    _add_client_options(p, top=False)

    p = command("get-request")
    p.add_argument("token", metavar="TOKEN")
    _add_client_options(p, top=False)

    p = command("delete-request")
    p.add_argument("token", metavar="TOKEN")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_client_options(p, top=False)

    p = command("request-stats")
    _add_client_options(p, top=False)

    p = command("config")
    p.add_argument(
        "--token",
        dest="store_token",
        metavar="TOKEN",
        help="store this token ('-' reads it from stdin)",
    )
    p.add_argument("--api-url", dest="store_api_url", metavar="URL", help="store this API URL")
    p.add_argument(
        "--timeout", dest="store_timeout", type=_seconds, metavar="SECONDS", help="store it"
    )
    p.add_argument("--show", action="store_true", help="show the settings in force (masked)")
    p.add_argument("--json", dest="g_json", action="store_true", default=argparse.SUPPRESS)
    p.add_argument("--debug", dest="g_debug", action="store_true", default=argparse.SUPPRESS)

    p = command("test")
    _add_client_options(p, top=False)

    # Servers, not clients: dispatched before parsing (see _server_command).
    sub.add_parser(
        "emulator",
        help="run the local Sharokey emulator (see `sharokey emulator --help`)",
        add_help=False,
    )
    sub.add_parser("demo", help="run the end-to-end demo on the embedded emulator", add_help=False)
    return parser


def _server_command(argv: Sequence[str]) -> Optional[tuple[str, list[str], list[str]]]:
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


def _run_server(name: str, before: list[str], rest: list[str]) -> int:
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


# --------------------------------------------------------------------------- main


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
    handler: Optional[logging.Handler] = None
    try:
        server = _server_command(args_list)
        if server is not None:
            return _run_server(*server)
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
        _print_error(describe_error(exc, command))
        return exit_code_for(exc)
    finally:
        _teardown_debug(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
