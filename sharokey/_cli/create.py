"""``sharokey create``: read the content, encrypt it here, print the share link.

The content comes from the argument, stdin or a hidden prompt; it never
reaches stderr or a log. stdout carries the share link: that is what the
user asked for.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional, Union

from sharokey._cli import output, qr, terminal
from sharokey._cli.context import make_client, note, profile_of, stdout, unstructure, wants_json
from sharokey._cli.errors import UsageError
from sharokey._cli.sdk_warnings import sdk_warnings
from sharokey._cli.sources import value_from

__all__ = ["cmd_create"]

_MIB = 1024 * 1024


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


def _generated(args: argparse.Namespace) -> Optional[str]:
    """The secret ``--generate`` made, or ``None``; the options that need it checked."""
    if not args.generate:
        for flag, value in (("--length", args.length), ("--alphabet", args.alphabet)):
            if value is not None:
                raise UsageError(f"{flag} needs --generate", "Add --generate, or leave it out.")
        return None
    if args.content is not None:
        raise UsageError(
            "--generate and CONTENT cannot be used together",
            "The generated secret is the content: leave out CONTENT.",
        )
    from sharokey.generate import generate_secret

    return generate_secret(args.length, args.alphabet or "words")


def _check_attachments(paths: list[str]) -> int:
    total = 0
    for path in paths:
        if os.path.isdir(path):
            raise UsageError(
                f"cannot attach {path}: it is a directory",
                "Attach its files one by one, or an archive of it (tar, zip).",
            )
        if not os.path.isfile(path):
            raise UsageError(f"cannot attach {path}: no such file", "Check the path.")
        if not os.access(path, os.R_OK):
            raise UsageError(f"cannot attach {path}: not readable", "Check its permissions.")
        total += os.path.getsize(path)
    return total


def _defaults(args: argparse.Namespace) -> tuple[int, int, Optional[str]]:
    """Hours, views and nonce format: the flag, else the profile's, else the service's default.

    The nonce format is ``None`` when neither the flag nor the profile chose one.
    """
    from sharokey.limits import DEFAULT_HOURS, DEFAULT_VIEWS

    profile = profile_of(args)
    hours = next(h for h in (args.hours, profile.hours, DEFAULT_HOURS) if h is not None)
    views = next(v for v in (args.views, profile.views, DEFAULT_VIEWS) if v is not None)
    return hours, views, args.nonces or profile.attachment_nonces


def cmd_create(args: argparse.Namespace) -> int:
    """Encrypt the content (and attachments) here, upload it, print the share link."""
    generated = _generated(args)
    content = generated if generated is not None else _read_content(args.content)
    password = terminal.password_value(value_from(args, "password", "password"), confirm=True)
    total = _check_attachments(args.attach)
    qr_plan = qr.CreatePlan.of(args)  # before creating: a missing segno or a bad path stops here
    hours, views, nonces = _defaults(args)
    # Shared by nobody's choice: the SDK warns, and the CLI says it in one line.
    shared = bool(args.attach) and nonces is None
    client_options: dict[str, Any] = {}
    if nonces is not None:
        client_options["attachment_nonces"] = nonces
    show_progress = total > terminal.PROGRESS_ABOVE and terminal.shows_progress(args)
    label = f"encrypting {total / _MIB:.1f} MiB…"
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
        line = terminal.TransferLine(
            "uploading", before=label, after="waiting for the answer…", enabled=show_progress
        )
        with sdk_warnings(shared_expected=shared), line:
            kwargs["progress"] = line.progress
            created = client.create(content, hours=hours, views=views, **kwargs)
    # The generated secret is shown here once, on stdout only: the creator needs it,
    # no log or stderr line ever carries it.
    if wants_json(args):
        document = unstructure(created)
        if generated is not None:
            document["generated"] = generated
        output.dump_json(document)
        if qr_plan is not None:
            qr_plan.deliver(created.share_url, as_json=True)
        return 0
    out = stdout()
    if args.quiet:
        out.write(f"{output.clean(created.share_url)}\n")
        if generated is not None:
            out.write(f"{generated}\n")
        if qr_plan is not None:
            qr_plan.deliver(created.share_url, as_json=False)
        return 0
    output.key_values(
        [
            ("Share link", created.share_url),
            ("Generated secret", generated),
            ("Slug", created.slug),
            ("Expires", output.format_when(created.expiration) if created.expiration else None),
            ("Max views", created.maximum_views),
            ("Description", created.description),
            ("Attachments", len(args.attach) or None),
        ],
        out,
    )
    if qr_plan is not None:
        qr_plan.deliver(created.share_url, as_json=False)
    if generated is not None:
        note("The generated secret is shown only this once: keep it where it belongs.")
    note("Give the link to the recipient only: whoever has it can open the secret.")
    return 0
