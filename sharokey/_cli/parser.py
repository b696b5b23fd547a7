"""The ``sharokey`` argument parser: every command and option with its help.

Only :mod:`argparse`, the limits and the version: building the parser
(``sharokey --help``) must not load the client, ``requests``, ``aiohttp`` or
the emulator. The examples and the exit-code table are in :mod:`help_text`.

The official CLI's spellings are accepted as hidden aliases of this CLI's
options (``help=SUPPRESS``: not in the help, listed on docs/cli.md):
``--verbose`` (get, test), ``--max-views`` (create-request), ``--files A B``
(create), ``--log-level`` and ``--logs-enabled`` (everywhere, as ``--debug``).
"""

from __future__ import annotations

import argparse

from sharokey._cli.help_text import COMMANDS, MAIN_EPILOG
from sharokey._cli.usage import LogLevel, LogsEnabled, Parser
from sharokey._version import __version__
from sharokey.generate import ALPHABETS, DEFAULT_LENGTHS, MAX_LENGTH
from sharokey.limits import (
    DEFAULT_HOURS,
    DEFAULT_VIEWS,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_BYTES,
    MAX_HOURS,
    MAX_REQUEST_VIEWS,
    MAX_TEXT,
    MAX_VIEWS,
    MIN_HOURS,
    MIN_VIEWS,
)

_HOURS = f"{MIN_HOURS}-{MAX_HOURS}"
_VIEWS = f"{MIN_VIEWS}-{MAX_VIEWS}"
_TEXT = f"at most {MAX_TEXT} characters"
# The names `sharokey config` stores and --unset removes: the flags' names.
_SETTINGS = ("token", "api-url", "timeout", "hours", "views", "attachment-nonces")

__all__ = ["build_parser"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _length(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_LENGTH:
        raise argparse.ArgumentTypeError(f"must be {MAX_LENGTH} or less, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _add_sources(
    parser: argparse._ActionsContainer, option: str, dest: str, what: str, default: object = None
) -> None:
    """``--OPTION-file PATH`` and ``--OPTION-env NAME``: the value kept out of the command line.

    Read by :func:`sharokey._cli.sources.value_from` (one trailing newline of a file dropped).
    """
    parser.add_argument(
        f"--{option}-file",
        dest=f"{dest}_file",
        metavar="PATH",
        default=default,
        help=f"read {what} from this file (one trailing newline is dropped)",
    )
    parser.add_argument(
        f"--{option}-env",
        dest=f"{dest}_env",
        metavar="NAME",
        default=default,
        help=f"read {what} from this environment variable",
    )


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
        help="API base URL (default: SHAROKEY_API_URL, the profile's, "
        "then https://api.sharokey.com/api/v1)",
    )
    group.add_argument(
        "--profile",
        dest="g_profile",
        metavar="NAME",
        default=default(None),
        help="use this profile of the config file (default: SHAROKEY_PROFILE, else 'default')",
    )
    group.add_argument(
        "--token",
        dest="g_token",
        metavar="TOKEN",
        default=default(None),
        help="API token (default: SHAROKEY_TOKEN, then the profile's); "
        "prefer those or --token-file/--token-env: a command line is visible to other local users",
    )
    _add_sources(group, "token", "g_token", "the API token", default(None))
    group.add_argument(
        "--timeout",
        dest="g_timeout",
        metavar="SECONDS",
        type=_seconds,
        default=default(None),
        help="the most seconds one attempt may take in all, connecting included "
        "(a positive number; default: the profile's, else connect 5 s, read 30 s, 60 s in all)",
    )
    _add_output_options(group, default(False))


def _add_output_options(group: argparse._ActionsContainer, default: object) -> None:
    """``--json`` and ``--debug``, on every command (``default``: SUPPRESS on subcommands)."""
    group.add_argument(
        "--json",
        dest="g_json",
        action="store_true",
        default=default,
        help="print one JSON document on stdout, for tools (a failure too)",
    )
    group.add_argument(
        "--debug",
        dest="g_debug",
        action="store_true",
        default=default,
        help="log requests (method, path, status, timing) and show tracebacks on stderr",
    )
    _add_log_aliases(group)


def _add_log_aliases(group: argparse._ActionsContainer) -> None:
    """The official CLI's logging options, hidden; this CLI's logging is ``--debug``."""
    group.add_argument(
        "--log-level",
        dest="g_log_level",
        action=LogLevel,
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )
    group.add_argument(
        "--logs-enabled",
        dest="g_logs_enabled",
        action=LogsEnabled,
        nargs="?",
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )


def _add_list_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status", choices=("active", "expired"), help="only these (default: both)"
    )
    parser.add_argument(
        "--limit",
        type=_positive_int,
        metavar="N",
        help="page size (1 or more; default: the server's)",
    )
    parser.add_argument(
        "--page",
        type=_positive_int,
        metavar="N",
        help="page number (from 1 to the last page; default: 1)",
    )
    parser.add_argument("--all", action="store_true", help="walk every page, not just one")
    parser.add_argument("--search", metavar="Q", help="free-text search")
    parser.add_argument("--creator", metavar="EMAIL", help="only those created by this user")


def _add_verbose_alias(parser: argparse.ArgumentParser) -> None:
    # The official CLI's --verbose: this CLI's `get` and `test` already show everything.
    parser.add_argument("--verbose", action="store_true", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The whole ``sharokey`` parser (the emulator's own options are added on use)."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = Parser(
        prog="sharokey",
        description="Zero-knowledge secret sharing: secrets are encrypted on this machine; "
        "the server never sees them.",
        epilog=MAIN_EPILOG,
        formatter_class=raw,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"sharokey {__version__}")
    _add_client_options(parser, top=True)
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", parser_class=Parser
    )

    def command(name: str) -> argparse.ArgumentParser:
        help_text, epilog = COMMANDS[name]
        p: Parser = sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=epilog,
            formatter_class=raw,
            allow_abbrev=False,
        )
        p.set_defaults(command=name)
        p.is_command = True
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
    p.add_argument(
        "--hours",
        type=int,
        metavar="N",
        help=f"expires after N hours ({_HOURS}; default: the profile's, else {DEFAULT_HOURS})",
    )
    p.add_argument(
        "--views",
        type=int,
        metavar="N",
        help=f"can be revealed N times ({_VIEWS}; default: the profile's, else {DEFAULT_VIEWS})",
    )
    p.add_argument("--description", metavar="TEXT", help=f"shown in lists ({_TEXT}, not encrypted)")
    p.add_argument(
        "--message", metavar="TEXT", help=f"shown to the recipient ({_TEXT}, not encrypted)"
    )
    p.add_argument(
        "--password",
        nargs="?",
        const=True,
        metavar="PW",
        help="require this password to reveal; without a value, prompt for it",
    )
    _add_sources(p, "password", "password", "the password")
    p.add_argument("--captcha", action="store_true", help="require a captcha to reveal")
    otp = p.add_mutually_exclusive_group()
    otp.add_argument("--otp-email", metavar="EMAIL", help="send a one-time code to this address")
    otp.add_argument("--otp-phone", metavar="PHONE", help="send a one-time code (E.164 number)")
    p.add_argument(
        "--ip-whitelist", metavar="LIST", help=f"comma-separated IPv4 addresses/CIDRs ({_TEXT})"
    )
    p.add_argument(
        "--geolocation", metavar="CODES", help=f"comma-separated ISO country codes ({_TEXT})"
    )
    p.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help=f"attach a file, not a directory (repeatable; {MAX_ATTACHMENTS} files, "
        f"{MAX_ATTACHMENTS_BYTES // (1024 * 1024)} MiB in all)",
    )
    p.add_argument("--files", dest="attach", action="extend", nargs="+", help=argparse.SUPPRESS)
    nonces = p.add_mutually_exclusive_group()
    nonces.add_argument(
        "--unique-nonces",
        dest="nonces",
        action="store_const",
        const="unique",
        help="a fresh nonce per attachment (safer; the hosted web viewer cannot open it) "
        "(default: the profile's attachment-nonces, else shared)",
    )
    nonces.add_argument(
        "--shared-nonces",
        dest="nonces",
        action="store_const",
        const="shared",
        help="the official shared-nonce format, even if the profile says unique",
    )
    gen = p.add_argument_group("generated secret")
    gen.add_argument(
        "--generate",
        action="store_true",
        help="generate the content here and print it once beside the link (never logged)",
    )
    defaults = ", ".join(f"{name} {n}" for name, n in DEFAULT_LENGTHS.items())
    gen.add_argument(
        "--length",
        type=_length,
        metavar="N",
        help=f"words or characters to generate (1-{MAX_LENGTH}; default: {defaults})",
    )
    gen.add_argument(
        "--alphabet",
        choices=ALPHABETS,
        help="words: EFF short list, '-'-joined (10.3 bits each); ascii: 94 printable "
        "(6.6 bits each); alnum: letters and digits (6.0 bits each) (default: words)",
    )
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print only the share link (and, with --generate, the secret on the next line)",
    )
    qr = p.add_argument_group("QR code (needs the extra `qr`)")
    qr.add_argument(
        "--qr",
        action="store_true",
        help="also show the link as a QR code: on stdout if it is a terminal, "
        "else on stderr if that is one, never into a pipe",
    )
    qr.add_argument(
        "--qr-png", metavar="PATH", help="also write the link's QR code to this PNG file (0600)"
    )
    qr.add_argument("--force", action="store_true", help="let --qr-png replace an existing file")
    _add_client_options(p, top=False)

    p = command("get")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument(
        "--details-only",
        action="store_true",
        help="accepted for the official CLI's users; details are all `get` shows",
    )
    _add_verbose_alias(p)
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
    _add_sources(p, "password", "password", "the password")
    p.add_argument("--otp", metavar="CODE", help="the one-time code that was sent to you")
    _add_sources(p, "otp", "otp", "the one-time code")
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
    p.add_argument(
        "--secret-hours",
        type=int,
        metavar="N",
        help=f"the secret's lifetime in hours ({_HOURS}; default: the server's)",
    )
    p.add_argument(
        "--request-hours",
        type=int,
        metavar="N",
        help=f"the request's lifetime in hours ({_HOURS}; default: the server's)",
    )
    p.add_argument(
        "--views",
        type=int,
        metavar="N",
        help=f"views of the secret ({MIN_VIEWS}-{MAX_REQUEST_VIEWS}; default: the server's)",
    )
    p.add_argument("--max-views", dest="views", type=int, help=argparse.SUPPRESS)
    p.add_argument("--message", metavar="TEXT", help=f"shown to the person asked ({_TEXT})")
    p.add_argument("--description", metavar="TEXT", help=f"shown in your lists ({_TEXT})")
    p.add_argument("--email-to", metavar="EMAIL", help="send the request to this address")
    p.add_argument("--email-reply", metavar="EMAIL", help="where the answer notice goes")
    p.add_argument(
        "--locale", choices=("en", "fr"), help="language of the e-mail (default: the server's)"
    )
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
        "--profile",
        dest="g_profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="the profile to change or show (default: SHAROKEY_PROFILE, else 'default'); "
        "storing into a new name creates it",
    )
    p.add_argument(
        "--token",
        dest="store_token",
        metavar="TOKEN",
        help="store this token ('-' reads it from stdin)",
    )
    _add_sources(p, "token", "store_token", "the token to store")
    p.add_argument("--api-url", dest="store_api_url", metavar="URL", help="store this API URL")
    p.add_argument(
        "--timeout",
        dest="store_timeout",
        type=_seconds,
        metavar="SECONDS",
        help="store this timeout (a positive number of seconds; unset: the built-in default)",
    )
    p.add_argument(
        "--hours",
        dest="store_hours",
        type=int,
        metavar="N",
        help=f"store the default lifetime of new secrets ({_HOURS})",
    )
    p.add_argument(
        "--views",
        dest="store_views",
        type=int,
        metavar="N",
        help=f"store the default views of new secrets ({_VIEWS})",
    )
    p.add_argument(
        "--attachment-nonces",
        dest="store_attachment_nonces",
        choices=("shared", "unique"),
        help="store the default nonce format of attachments (see create --unique-nonces)",
    )
    p.add_argument(
        "--unset",
        action="append",
        default=[],
        choices=_SETTINGS,
        metavar="SETTING",
        help=f"remove a stored setting from the profile (repeatable): {', '.join(_SETTINGS)}",
    )
    p.add_argument("--show", action="store_true", help="show the settings in force (masked)")
    p.add_argument(
        "--list", action="store_true", help="list every profile of the file (tokens masked)"
    )
    _add_output_options(p, argparse.SUPPRESS)

    p = command("qr")
    p.add_argument(
        "share_url",
        metavar="SHARE_URL",
        help="the link to draw; '-' reads it from stdin (out of `ps` and history)",
    )
    p.add_argument(
        "--png", metavar="PATH", help="write a PNG image (0600) instead of printing the code"
    )
    p.add_argument("--force", action="store_true", help="let --png replace an existing file")
    _add_output_options(p, argparse.SUPPRESS)

    p = command("completion")
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell to complete for")

    p = command("test")
    _add_verbose_alias(p)
    _add_client_options(p, top=False)

    # Servers, not clients: dispatched before parsing (see servers.split_server_command).
    sub.add_parser(
        "emulator",
        help="run the local Sharokey emulator (see `sharokey emulator --help`)",
        add_help=False,
    )
    sub.add_parser("demo", help="run the end-to-end demo on the embedded emulator", add_help=False)
    return parser
