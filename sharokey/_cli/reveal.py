"""``sharokey reveal``: open a share link, print the content, save the attachments.

Revealing spends a view, so nothing after it may lose what was revealed:
the content is printed first, and attachments a directory refuses go to a
fresh temporary one. The content goes to stdout, everything else to stderr;
keyB never reaches stderr or a log.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from sharokey._cli import output, terminal
from sharokey._cli.context import make_client, note, stdout, wants_json
from sharokey._cli.errors import UsageError, otp_destination
from sharokey._cli.files import SavedFile, prepare_dir, write_files
from sharokey._cli.sources import value_from
from sharokey.errors import OtpRequiredError, ProtectionError

if TYPE_CHECKING:
    from sharokey._messages import Progress
    from sharokey.client import Sharokey

__all__ = ["cmd_reveal"]


def _reveal_with_prompts(
    client: Sharokey, args: argparse.Namespace, progress: Optional[Progress] = None
) -> Any:
    """Reveal; on a terminal, ask for a missing password or the code that was just sent."""
    password = terminal.password_value(value_from(args, "password", "password"), confirm=False)
    given_otp = value_from(args, "otp", "otp")
    otp: Optional[str] = given_otp if isinstance(given_otp, str) else None
    asked: set[str] = set()
    while True:
        try:
            return client.reveal(
                args.share_url, password=password, otp=otp, captcha=args.captcha, progress=progress
            )
        except OtpRequiredError as exc:
            if otp is not None or "otp" in asked or not terminal.can_prompt_secret():
                raise
            asked.add("otp")
            note(f"A one-time code was sent{output.clean(otp_destination(exc))}.")
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
            note("This secret is protected by a password.")
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
        note(
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
    """Open a share link: the content to stdout, the attachments into files, notes to stderr."""
    if args.share_url == "-":
        # Keeps the link (and its key) out of shell history and the process list.
        args.share_url = _link_from_stdin()
    chosen = args.output_dir is not None
    directory = Path(args.output_dir) if chosen else Path(".")
    if chosen:
        # Before the reveal: a view must not be spent on a directory we cannot write.
        prepare_dir(directory)
    line = terminal.TransferLine(
        "downloading", after="decrypting…", enabled=terminal.shows_progress(args)
    )
    with make_client(args) as client, line:
        revealed = _reveal_with_prompts(client, args, line.progress)
    files = [(a.name, a.data) for a in revealed.attachments]
    as_json = wants_json(args)
    out = stdout()
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
        note(f"Description: {output.clean(revealed.description)}")
    if revealed.message:
        note(f"Message: {output.clean(revealed.message)}")
    for item in saved:
        line = f"Saved {item.path} ({item.size} bytes)"
        if item.path.name != item.name:
            line += f", sent as {output.clean(repr(item.name))}"
        if item.existed:
            line += "; a file of that name was already there and was kept (--force overwrites)"
        note(line + ".")
    if revealed.remaining_views == 0:
        note("That was the last view: the secret is gone now.")
    elif revealed.remaining_views is not None:
        left = revealed.remaining_views
        note(f"{left} view{'s' if left != 1 else ''} left.")
