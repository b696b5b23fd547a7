"""A share link as a QR code: half-block text on a terminal, or a PNG file.

For handing a link to a phone. The code is drawn by ``segno`` (the optional
extra ``qr``), imported only when a QR code is asked for; without it the
command stops before anything is created, with :class:`MissingExtraError`.

A QR code of a share link carries its key, so it is treated like the link:
text goes to stdout (``sharokey qr``, or ``create --qr`` with stdout on a
terminal) or else to stderr only when stderr is a terminal, never into a
pipe or a captured log; a PNG is created readable by its owner only and an
existing file is never replaced without ``--force``.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TextIO

import attrs

from sharokey._cli import output
from sharokey._cli.context import note, stdout, wants_json
from sharokey._cli.errors import CliError, MissingExtraError, UsageError
from sharokey._cli.files import write_file
from sharokey._cli.reveal import _link_from_stdin as link_from_stdin

if TYPE_CHECKING:
    import segno

__all__ = [
    "INSTALL_HINT",
    "CreatePlan",
    "check_png_path",
    "cmd_qr",
    "make",
    "png_bytes",
    "terminal_text",
    "write_png",
]

INSTALL_HINT = (
    "Install it: `pip install segno`, or this package's extra `qr` "
    "(`pip install '.[qr]'` in a checkout)."
)
#: Pixels per module in a PNG: a 33-module code of a share link is 328 px wide with its border.
PNG_SCALE = 8


def _segno() -> Any:
    """The segno module, or the error that says how to install it."""
    try:
        import segno
    except ImportError:
        raise MissingExtraError("QR codes need the segno package", INSTALL_HINT) from None
    return segno


def make(link: str) -> segno.QRCode:
    """The QR code of ``link`` (error correction M: readable off a slightly dirty screen)."""
    code: segno.QRCode = _segno().make(link, error="m", micro=False)
    return code


def terminal_text(code: segno.QRCode) -> str:
    """The code in Unicode half blocks, two modules a character cell, its quiet zone included.

    segno draws the light modules (in the terminal's foreground colour), which
    a phone reads on the usual dark background.
    """
    out = io.StringIO()
    code.terminal(out=out, compact=True)
    return out.getvalue()


def can_draw(stream: TextIO) -> bool:
    """Whether ``stream`` can show the half-block characters (not on an ASCII locale)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        "\u2580\u2584\u2588".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def png_bytes(code: segno.QRCode) -> bytes:
    """The code as a black-on-white PNG image."""
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=PNG_SCALE)
    return buffer.getvalue()


def check_png_path(path: str, flag: str, *, force: bool) -> Path:
    """Refuse, before anything is created, a PNG path that could not be written as asked."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{flag} {path}: is a directory", "Give the path of the image file.")
    if not target.parent.is_dir():
        raise UsageError(
            f"{flag} {path}: the folder {target.parent} does not exist", "Create it first."
        )
    if (target.exists() or target.is_symlink()) and not force:
        raise UsageError(
            f"{flag} {path}: the file exists and was left as it is",
            "Add --force to replace it, or give another path.",
        )
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: the folder {target.parent} is not writable")
    return target


def write_png(code: Any, target: Path, *, force: bool) -> Optional[Path]:
    """Write the PNG (0600: it holds the link's key); ``None`` if a file appeared there since."""
    return target if write_file(target, png_bytes(code), force=force) else None


def _show(code: Any, stream: TextIO) -> None:
    stream.write(terminal_text(code))
    stream.flush()


@attrs.frozen
class CreatePlan:
    """What ``create --qr`` / ``--qr-png`` will do, checked before the secret is created."""

    text: bool
    png: Optional[Path]
    force: bool

    @classmethod
    def of(cls, args: argparse.Namespace) -> Optional[CreatePlan]:
        """The plan, or ``None`` without either option; segno's presence checked now."""
        if not args.qr and args.qr_png is None:
            if args.force:
                raise UsageError("--force needs --qr-png", "Add --qr-png PATH, or leave it out.")
            return None
        _segno()  # missing: fail now, not after the secret was created
        png = check_png_path(args.qr_png, "--qr-png", force=args.force) if args.qr_png else None
        return cls(text=bool(args.qr), png=png, force=bool(args.force))

    def deliver(self, link: str, *, as_json: bool) -> None:
        """After the link was printed: draw it where a person sees it, write the PNG."""
        code = make(link)
        if self.text:
            stream = _terminal_for_text(as_json)
            if stream is None:
                note(
                    "The QR code was not shown: neither stdout nor stderr is a terminal "
                    "that can draw it (UTF-8). Use --qr-png PATH, or `sharokey qr -`."
                )
            else:
                _show(code, stream)
        if self.png is not None:
            if write_png(code, self.png, force=self.force) is None:
                raise CliError(
                    f"--qr-png {self.png}: a file appeared there meanwhile and was left as it is",
                    "The secret was created and its link printed; "
                    "run `sharokey qr - --png PATH` with the link to write the image.",
                )
            note(f"Wrote the QR code to {self.png} (readable by you only).")


def _terminal_for_text(as_json: bool) -> Optional[TextIO]:
    """stdout when it is a terminal (and not carrying JSON), else stderr when it is one."""
    for stream, usable in ((sys.stdout, not as_json), (sys.stderr, True)):
        try:
            if usable and stream is not None and stream.isatty() and can_draw(stream):
                return stream
        except (AttributeError, ValueError):  # closed or replaced streams
            continue
    return None


def cmd_qr(args: argparse.Namespace) -> int:
    """``sharokey qr LINK``: the QR code on stdout (asked for: even into a pipe), or a PNG."""
    from sharokey.crypto import parse_share_url

    link = link_from_stdin() if args.share_url == "-" else args.share_url
    parse_share_url(link)  # a slug or a cut link would give a code that opens nothing
    target = check_png_path(args.png, "--png", force=args.force) if args.png else None
    if target is None and args.force:
        raise UsageError("--force needs --png", "Add --png PATH, or leave it out.")
    code = make(link)
    if target is not None:
        if write_png(code, target, force=args.force) is None:
            raise UsageError(f"--png {target}: the file exists and was left as it is")
        if wants_json(args):
            output.dump_json({"png": str(target)})
        else:
            note(f"Wrote the QR code to {target} (readable by you only).")
        return 0
    out = stdout()
    if wants_json(args):  # the drawing as a string: a tool shows it where it wants
        output.dump_json({"text": terminal_text(code)})
        return 0
    if not can_draw(out):
        raise UsageError(
            "stdout cannot show the QR code's block characters "
            f"(its encoding is {getattr(out, 'encoding', None) or 'unknown'})",
            "Use a UTF-8 locale, or --png PATH.",
        )
    _show(code, out)
    return 0
