"""The client commands of ``sharokey``: one function per command.

Each takes the parsed arguments and returns an exit code; failures are
raised and turned into one ``error:`` line and an exit code by
:func:`sharokey.cli.main`. Human output goes to stdout, notes and prompts to
stderr; ``--json`` prints exactly one document on stdout.

What never reaches stderr or a log: the token, the content, a password,
keyB. stdout carries the share link (``create``) and the content
(``reveal``) because that is what the user asked for.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from sharokey._cli import output, terminal
from sharokey._cli.errors import CliError, UsageError, otp_destination
from sharokey._cli.files import SavedFile, prepare_dir, write_files
from sharokey.errors import (
    AuthenticationError,
    OtpRequiredError,
    ProtectionError,
    SharokeyError,
    SharokeySecurityWarning,
)

if TYPE_CHECKING:
    from sharokey.client import Sharokey
    from sharokey.models import Secret, SecretRequest

__all__ = ["COMMANDS", "run"]

_MIB = 1024 * 1024
_PROGRESS_THRESHOLD = _MIB

SHARED_NONCE_LINE = (
    "warning: the attachments use the official shared-nonce format, which lets the server "
    "combine the ciphertexts and may expose the content; pass --unique-nonces for a fresh "
    "nonce per file (the hosted web viewer can only open the shared format)."
)


# --------------------------------------------------------------------------- plumbing


def _out() -> Any:
    return sys.stdout


def _note(text: str) -> None:
    """A line for the person, on stderr (never a secret)."""
    print(text, file=sys.stderr, flush=True)


def _json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "g_json", False))


def _unstructure(obj: Any) -> Any:
    from sharokey._convert import unstructure

    return unstructure(obj)


def make_client(args: argparse.Namespace, **options: Any) -> Sharokey:
    """A client from the global options, the environment and the config file."""
    from sharokey import config
    from sharokey.client import Sharokey

    settings = config.resolve(getattr(args, "g_token", None), getattr(args, "g_api_url", None))
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


def _forward_warnings(caught: list[warnings.WarningMessage], *, shared_expected: bool) -> None:
    shared_said = False
    for item in caught:
        if not issubclass(item.category, SharokeySecurityWarning):
            continue
        text = str(item.message)
        if "shared-nonce" in text or "shared nonce" in text:
            if not shared_said:
                _note(SHARED_NONCE_LINE)
                shared_said = True
            continue
        _note("warning: " + output.clean(" ".join(text.split())))
    # The SDK warns once per process; a long-lived caller of main() still gets the line.
    if shared_expected and not shared_said:
        _note(SHARED_NONCE_LINE)


@contextmanager
def _sdk_warnings(*, shared_expected: bool = False) -> Iterator[None]:
    """Show the SDK's security warnings as one readable line each, not a warning dump."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SharokeySecurityWarning)
        yield
    _forward_warnings(caught, shared_expected=shared_expected)


def _status(is_expired: Optional[bool], status: Optional[str]) -> str:
    if is_expired:
        return "expired"
    return status or ("active" if is_expired is False else "-")


def _views(current: Optional[int], maximum: Optional[int]) -> str:
    if maximum is None and current is None:
        return "-"
    return f"{current or 0}/{maximum if maximum is not None else '?'}"


def _expires_cell(when: Optional[datetime], is_expired: Optional[bool]) -> str:
    """``in 23 h`` / ``2 d ago``; ``-`` for one used up or deleted before its time."""
    if when is None:
        return "-"
    if is_expired and when > datetime.now(timezone.utc):
        return "-"
    return output.relative(when)


def _access_url(secret: Secret) -> Optional[str]:
    # A server-built share_url may carry a placeholder fragment: show it without one.
    url = secret.access_url or secret.share_url
    return url.split("#", 1)[0] if url else None


def _protections(secret: Secret) -> str:
    found = []
    if secret.captcha:
        found.append("captcha")
    if secret.has_password:
        found.append("password")
    if secret.otp_type:
        found.append(f"one-time code by {secret.otp_type}")
    if secret.ip_whitelist:
        found.append("IP allow-list")
    if secret.geolocation:
        found.append("countries")
    return ", ".join(found) or "none"


def _confirm(question: str, what: str) -> None:
    """Ask before destroying something; raise when declined or nobody can answer."""
    if not terminal.interactive():
        raise CliError(
            f"not {what} without confirmation: there is no terminal to ask on",
            "Pass --yes to confirm in advance.",
        )
    answer = terminal.ask(f"{question} [y/N] ").lower()
    if answer not in ("y", "yes"):
        raise CliError(f"{what[0].upper() + what[1:]} declined; nothing was changed", "")


def _page_footer(pagination: Any, shown: int, noun: str, walked_all: bool) -> str:
    total = getattr(pagination, "total", None)
    if walked_all or pagination.last_page <= 1:
        count = total if total is not None else shown
        return f"{count} {noun}." if count != 1 else f"1 {noun[:-1]}."
    more = ""
    if pagination.current_page < pagination.last_page:
        more = f" Next: --page {pagination.current_page + 1}, or --all."
    of_total = f", {total} {noun}" if total is not None else ""
    return f"Page {pagination.current_page} of {pagination.last_page}{of_total}.{more}"


# --------------------------------------------------------------------------- secrets


def _listing(args: argparse.Namespace, lister: Callable[..., Any]) -> tuple[list[Any], Any]:
    """One page, or with --all every page; the last page's counters describe the walk."""
    page = lister(
        status=args.status,
        limit=args.limit,
        page=args.page,
        creator=args.creator,
        search=args.search,
    )
    pages = list(page.iter_pages()) if args.all else [page]
    return [item for p in pages for item in p.data], pages[-1].pagination


def _dump_listing(items: list[Any], pagination: Any) -> int:
    output.dump_json(
        {"data": [_unstructure(i) for i in items], "pagination": _unstructure(pagination)}
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        items: list[Secret]
        items, pagination = _listing(args, client.list_secrets)
    if _json(args):
        return _dump_listing(items, pagination)
    out = _out()
    if not items:
        out.write("No secrets.\n")
    else:
        output.table(
            ("SLUG", "STATUS", "VIEWS", "EXPIRES", "DESCRIPTION"),
            (
                (
                    s.slug,
                    _status(s.is_expired, s.status),
                    _views(s.current_views, s.maximum_views),
                    _expires_cell(s.expiration, s.is_expired),
                    output.truncate(s.description or ""),
                )
                for s in items
            ),
            out,
        )
    out.write(_page_footer(pagination, len(items), "secrets", args.all) + "\n")
    return 0


def _secret_block(secret: Secret) -> list[tuple[str, object]]:
    expired = bool(secret.is_expired) or secret.status == "expired"
    attachments = None
    if secret.attachments:
        names = ", ".join(a.name for a in secret.attachments)
        attachments = f"{len(secret.attachments)} ({names})"
    elif secret.attachments_count:
        attachments = str(secret.attachments_count)
    return [
        ("Slug", secret.slug),
        (
            "Status",
            f"{_status(secret.is_expired, secret.status)} "
            f"({output.expiry_phrase(secret.expiration, expired)})",
        ),
        ("Description", secret.description),
        ("Message", secret.message),
        ("Creator", secret.creator),
        (
            "Views",
            f"{secret.current_views or 0} of {secret.maximum_views} used"
            if secret.maximum_views is not None
            else None,
        ),
        ("Expires", output.format_when(secret.expiration) if secret.expiration else None),
        ("Created", output.format_when(secret.created_at) if secret.created_at else None),
        ("Protection", _protections(secret)),
        ("IP allow-list", secret.ip_whitelist),
        ("Countries", secret.geolocation),
        ("Attachments", attachments),
        ("Access URL", _access_url(secret)),
    ]


def cmd_get(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        secret = client.get_details(args.slug)
    if _json(args):
        output.dump_json(_unstructure(secret))
    else:
        output.key_values(_secret_block(secret), _out())
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    slug = args.slug
    with make_client(args) as client:
        if not args.yes:
            _confirm(
                f"Delete secret {output.clean(slug)}? Its content is erased for good.",
                "deleting",
            )
        client.delete(slug)
    if _json(args):
        output.dump_json({"deleted": True, "slug": slug})
    else:
        _out().write(f"Deleted secret {output.clean(slug)} (its details stay, marked expired).\n")
    return 0


def _stats_block(stats: Any, labels: list[tuple[str, str]]) -> list[tuple[str, object]]:
    return [(label, getattr(stats, name)) for name, label in labels]


_SECRET_STATS = [
    ("total_secrets", "Secrets"),
    ("active_secrets", "Active"),
    ("expired_secrets", "Expired"),
    ("total_views", "Views"),
    ("secrets_with_password", "With password"),
    ("secrets_created_today", "Created today"),
    ("secrets_created_this_week", "This week"),
    ("secrets_created_this_month", "This month"),
]

_REQUEST_STATS = [
    ("total_requests", "Requests"),
    ("active_requests", "Active"),
    ("expired_requests", "Expired"),
    ("requests_created_today", "Created today"),
    ("requests_created_this_week", "This week"),
    ("requests_created_this_month", "This month"),
]


def cmd_stats(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        stats = client.get_stats()
    if _json(args):
        output.dump_json(_unstructure(stats))
    else:
        output.key_values(_stats_block(stats, _SECRET_STATS), _out())
    return 0


# --------------------------------------------------------------------------- create


def _read_stdin_text() -> str:
    stream = sys.stdin
    if stream is None:
        raise UsageError("there is no standard input to read the content from")
    buffer = getattr(stream, "buffer", None)
    raw: Union[bytes, str] = buffer.read() if buffer is not None else stream.read()
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(
                "standard input is not UTF-8 text",
                "Send binary data as an attachment (--attach FILE).",
            ) from None
    else:
        text = raw
    # Like $(...): one trailing newline (from echo or an editor) is not part of the secret.
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _read_content(arg: Optional[str]) -> str:
    if arg == "-":
        return _read_stdin_text()
    if arg is not None:
        return arg
    if not terminal.interactive():
        return _read_stdin_text()
    return terminal.prompt_secret("Secret content (hidden; use '-' and stdin for several lines): ")


def _password_value(value: Union[str, bool, None], *, confirm: bool) -> Optional[str]:
    """The password given, or asked for without echo when ``--password`` had no value."""
    if value is None or isinstance(value, str):
        return value
    if not terminal.can_prompt_secret():
        raise UsageError(
            "--password without a value needs a terminal to ask on",
            "Give it as --password=PW, or run the command in a terminal.",
        )
    first = terminal.prompt_secret("Password: ")
    if confirm and terminal.prompt_secret("Password again: ") != first:
        raise UsageError("the two passwords differ", "Nothing was created; try again.")
    if not first:
        raise UsageError("the password is empty", "Type one, or leave out --password.")
    return first


def _check_attachments(paths: list[str]) -> int:
    total = 0
    for path in paths:
        if not os.path.isfile(path):
            raise UsageError(f"cannot attach {path}: no such file", "Check the path.")
        if not os.access(path, os.R_OK):
            raise UsageError(f"cannot attach {path}: not readable", "Check its permissions.")
        total += os.path.getsize(path)
    return total


def cmd_create(args: argparse.Namespace) -> int:
    content = _read_content(args.content)
    password = _password_value(args.password, confirm=True)
    total = _check_attachments(args.attach)
    shared = bool(args.attach) and not args.unique_nonces
    client_options: dict[str, Any] = {}
    if args.unique_nonces:
        client_options["attachment_nonces"] = "unique"
    show_progress = total > _PROGRESS_THRESHOLD and sys.stderr.isatty()
    label = f"encrypting and uploading {total / _MIB:.1f} MiB…"
    with make_client(args, **client_options) as client:
        kwargs: dict[str, Any] = {}
        for name in ("description", "message", "otp_email", "otp_phone", "ip_whitelist"):
            value = getattr(args, name)
            if value is not None:
                kwargs[name] = value
        if args.geolocation is not None:
            kwargs["geolocation"] = args.geolocation
        if password is not None:
            kwargs["password"] = password
        if args.captcha:
            kwargs["captcha"] = True
        if args.attach:
            kwargs["attachments"] = list(args.attach)
        with _sdk_warnings(shared_expected=shared), terminal.Spinner(label, enabled=show_progress):
            created = client.create(content, hours=args.hours, views=args.views, **kwargs)
    if _json(args):
        output.dump_json(_unstructure(created))
        return 0
    out = _out()
    if args.quiet:
        out.write(f"{created.share_url}\n")
        return 0
    output.key_values(
        [
            ("Share link", created.share_url),
            ("Slug", created.slug),
            ("Expires", output.format_when(created.expiration) if created.expiration else None),
            ("Max views", created.maximum_views),
            ("Description", created.description),
            ("Attachments", len(args.attach) or None),
        ],
        out,
    )
    _note("Give the link to the recipient only: whoever has it can open the secret.")
    return 0


# --------------------------------------------------------------------------- reveal


def _reveal_with_prompts(client: Sharokey, args: argparse.Namespace) -> Any:
    """Reveal; on a terminal, ask for a missing password or the code that was just sent."""
    password = _password_value(args.password, confirm=False)
    otp: Optional[str] = args.otp
    asked: set[str] = set()
    while True:
        try:
            return client.reveal(args.share_url, password=password, otp=otp, captcha=args.captcha)
        except OtpRequiredError as exc:
            if otp is not None or "otp" in asked or not terminal.can_prompt_secret():
                raise
            asked.add("otp")
            _note(f"A one-time code was sent{output.clean(otp_destination(exc))}.")
            otp = terminal.prompt_secret("Code: ").strip()
        except ProtectionError as exc:
            if (
                exc.code != "PASSWORD_REQUIRED"
                or password is not None
                or "password" in asked
                or not terminal.can_prompt_secret()
            ):
                raise
            asked.add("password")
            _note("This secret is protected by a password.")
            password = terminal.prompt_secret("Password: ")


def _save_attachments(
    directory: Path, files: list[tuple[str, bytes]], *, force: bool
) -> list[SavedFile]:
    try:
        return write_files(directory, files, force=force)
    except OSError as exc:
        # The view is spent: never lose the files (nor, with --json, the content
        # printed after them) because the directory, chosen or not, refused one.
        fallback = Path(tempfile.mkdtemp(prefix="sharokey-"))
        _note(
            f"warning: could not write into {directory} ({exc.strerror}); "
            f"saving the attachments in {fallback} instead."
        )
        return write_files(fallback, files, force=force)


def _link_from_stdin() -> str:
    stream = sys.stdin
    if stream is None or stream.isatty():
        if terminal.can_prompt_secret():
            return terminal.prompt_secret("Share link (hidden): ").strip()
        raise UsageError("'-' needs the share link on standard input")
    link = stream.readline().strip()
    if not link:
        raise UsageError("no share link was read from standard input", "Pipe it in.")
    return link


def cmd_reveal(args: argparse.Namespace) -> int:
    if args.share_url == "-":
        # Keeps the link (and its key) out of shell history and the process list.
        args.share_url = _link_from_stdin()
    chosen = args.output_dir is not None
    directory = Path(args.output_dir) if chosen else Path(".")
    if chosen:
        # Before the reveal: a view must not be spent on a directory we cannot write.
        prepare_dir(directory)
    with make_client(args) as client:
        revealed = _reveal_with_prompts(client, args)
    files = [(a.name, a.data) for a in revealed.attachments]
    as_json = _json(args)
    out = _out()
    if not as_json:
        # The content first: whatever happens to the files, the text is delivered.
        text = revealed.content
        if out.isatty():
            # A person reads it: no escape sequence from the sender drives the terminal.
            text = output.clean(text, keep_newlines=True)
            if not text.endswith("\n"):
                text += "\n"
        output.emit(text, out)
    saved = _save_attachments(directory, files, force=args.force) if files else []
    if as_json:
        output.dump_json(
            {
                "slug": revealed.slug,
                "content": revealed.content,
                "description": revealed.description,
                "message": revealed.message,
                "remaining_views": revealed.remaining_views,
                "attachments": [
                    {"name": f.name, "path": str(f.path), "size": f.size} for f in saved
                ],
            }
        )
    else:
        _describe_reveal(revealed, saved)
    return 0


def _describe_reveal(revealed: Any, saved: list[SavedFile]) -> None:
    if revealed.description:
        _note(f"Description: {output.clean(revealed.description)}")
    if revealed.message:
        _note(f"Message: {output.clean(revealed.message)}")
    for item in saved:
        line = f"Saved {item.path} ({item.size} bytes)"
        if item.path.name != item.name:
            line += f", sent as {output.clean(repr(item.name))}"
        if item.existed:
            line += "; a file of that name was already there and was kept (--force overwrites)"
        _note(line + ".")
    if revealed.remaining_views == 0:
        _note("That was the last view: the secret is gone now.")
    elif revealed.remaining_views is not None:
        left = revealed.remaining_views
        _note(f"{left} view{'s' if left != 1 else ''} left.")


# --------------------------------------------------------------------------- requests


def _request_block(request: SecretRequest) -> list[tuple[str, object]]:
    expired = bool(request.is_expired) or request.status == "expired"
    return [
        ("Token", request.token),
        ("Request URL", request.request_url),
        (
            "Status",
            f"{_status(request.is_expired, request.status)} "
            f"({output.expiry_phrase(request.expiration, expired)})",
        ),
        ("Description", request.description),
        ("Message", request.message),
        ("Views", request.maximum_views),
        (
            "Secret lifetime",
            f"{request.secret_expiration_hours} h"
            if request.secret_expiration_hours is not None
            else None,
        ),
        (
            "Request lifetime",
            f"{request.request_expiration_hours} h"
            if request.request_expiration_hours is not None
            else None,
        ),
        ("E-mail to", request.email_to),
        ("Reply to", request.email_reply),
        ("Locale", request.locale),
        ("Expires", output.format_when(request.expiration) if request.expiration else None),
        ("Created", output.format_when(request.created_at) if request.created_at else None),
    ]


def cmd_create_request(args: argparse.Namespace) -> int:
    names = {
        "secret_expiration_hours": args.secret_hours,
        "request_expiration_hours": args.request_hours,
        "maximum_views": args.views,
        "message": args.message,
        "description": args.description,
        "email_to": args.email_to,
        "email_reply": args.email_reply,
        "locale": args.locale,
    }
    kwargs = {k: v for k, v in names.items() if v is not None}
    with make_client(args) as client:
        request = client.create_request(**kwargs)
    if _json(args):
        output.dump_json(_unstructure(request))
    else:
        output.key_values(_request_block(request), _out())
        _note("Send the request URL to the person who should answer it; the token is a credential.")
    return 0


def cmd_list_requests(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        items: list[SecretRequest]
        items, pagination = _listing(args, client.list_requests)
    if _json(args):
        return _dump_listing(items, pagination)
    out = _out()
    if not items:
        out.write("No requests.\n")
    else:
        output.table(
            ("TOKEN", "STATUS", "VIEWS", "EXPIRES", "E-MAIL TO", "DESCRIPTION"),
            (
                (
                    output.mask(r.token),
                    _status(r.is_expired, r.status),
                    str(r.maximum_views) if r.maximum_views is not None else "-",
                    _expires_cell(r.expiration, r.is_expired),
                    r.email_to or "-",
                    output.truncate(r.description or ""),
                )
                for r in items
            ),
            out,
        )
    out.write(_page_footer(pagination, len(items), "requests", args.all) + "\n")
    return 0


def cmd_get_request(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        request = client.get_request(args.token)
    if _json(args):
        output.dump_json(_unstructure(request))
    else:
        output.key_values(_request_block(request), _out())
    return 0


def cmd_delete_request(args: argparse.Namespace) -> int:
    shown = output.mask(args.token)
    with make_client(args) as client:
        if not args.yes:
            _confirm(f"Delete secret request {shown}?", "deleting")
        client.delete_request(args.token)
    if _json(args):
        output.dump_json({"deleted": True, "token": args.token})
    else:
        _out().write(f"Deleted secret request {shown}.\n")
    return 0


def cmd_request_stats(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        stats = client.get_request_stats()
    if _json(args):
        output.dump_json(_unstructure(stats))
    else:
        output.key_values(_stats_block(stats, _REQUEST_STATS), _out())
    return 0


# --------------------------------------------------------------------------- dispatch


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
            raise CliError(
                "no API token is configured",
                "Pass --token, set SHAROKEY_TOKEN, or store one with `sharokey config --token -`.",
                exit_code=3,
            ) from None
        raise
