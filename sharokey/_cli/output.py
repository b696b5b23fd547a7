"""Human and JSON output: tables, key/value blocks, relative times, terminal-safe text.

Everything a server sent (descriptions, messages, names) is cleaned before it
reaches a terminal: a control character in a description must not be able to
move the cursor, retitle the window or hide text.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Optional, TextIO

__all__ = [
    "clean",
    "dump_json",
    "emit",
    "format_when",
    "key_values",
    "relative",
    "table",
    "truncate",
]

_DESCRIPTION_WIDTH = 40
# What json.dumps(ensure_ascii=False) leaves raw although a terminal may obey it: DEL
# and the C1 controls (U+009B is CSI), bidi and other format characters, line and
# paragraph separators. As \uXXXX escapes the document means exactly the same.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def clean(text: object, *, keep_newlines: bool = False) -> str:
    """Text safe for a terminal: control and format characters shown as escapes."""
    out = []
    for char in str(text):
        if keep_newlines and char in "\n\t":
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def truncate(text: str, width: int = _DESCRIPTION_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _span(seconds: float) -> str:
    # Rounded, not floored: a secret created for 24 h reads "in 24 h", not "in 23 h".
    seconds = abs(seconds)
    if seconds < 59.5:
        return f"{round(seconds)} s"
    if seconds < 3570:
        return f"{round(seconds / 60)} min"
    if seconds < 47.5 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"


def relative(when: datetime, now: Optional[datetime] = None) -> str:
    """``in 23 h``, ``2 d ago`` or ``just now``."""
    now = now or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - now).total_seconds()
    if abs(delta) < 1:
        return "just now"
    return f"in {_span(delta)}" if delta >= 0 else f"{_span(delta)} ago"


def expiry_phrase(when: Optional[datetime], expired: bool, now: Optional[datetime] = None) -> str:
    """``expires in 23 h`` / ``expired 2 d ago`` / ``expired`` (deleted early)."""
    now = now or datetime.now(timezone.utc)
    if when is None:
        return "expired" if expired else "no expiry given"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if when <= now:
        return f"expired {relative(when, now)}"
    if expired:
        return "expired"
    return f"expires {relative(when, now)}"


def format_when(when: Optional[datetime], now: Optional[datetime] = None) -> str:
    """``2025-08-11 18:52 UTC (in 23 h)``."""
    if when is None:
        return "-"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp} ({relative(when, now)})"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], out: TextIO) -> None:
    """Left-aligned columns separated by two spaces; the last column is not padded."""
    cells = [[clean(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(widths[i]) for i, v in enumerate(values[:-1])]
        return "  ".join([*padded, values[-1]]).rstrip()

    out.write(line(list(headers)) + "\n")
    for row in cells:
        out.write(line(row) + "\n")


def key_values(pairs: Iterable[tuple[str, object]], out: TextIO) -> None:
    """``Label:  value`` lines, aligned; ``None`` values are skipped."""
    shown = [(k, v) for k, v in pairs if v is not None and v != ""]
    width = max((len(k) for k, _ in shown), default=0) + 1
    for key, value in shown:
        text = clean(_text(value), keep_newlines=True)
        first, *more = text.split("\n") or [""]
        out.write(f"{(key + ':').ljust(width)}  {first}\n")
        for extra in more:
            out.write(f"{' ' * width}  {extra}\n")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def emit(text: str, out: Optional[TextIO] = None) -> None:
    """Write ``text`` exactly: UTF-8 bytes to a pipe or file, whatever the locale says.

    Content and JSON must survive a ``C``/ASCII locale unchanged (a reveal
    cannot be repeated), so they bypass the text layer's encoding when the
    stream is not a terminal.
    """
    stream = out or sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None or stream.isatty():
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    buffer.write(text.encode("utf-8", "surrogatepass"))
    buffer.flush()


def dump_json(data: Any, out: Optional[TextIO] = None) -> None:
    """One stable JSON document: sorted keys, two-space indent, UTF-8 as is.

    JSON escapes the C0 controls itself; the few other characters a terminal
    could obey are escaped too, so the document is safe to print and means
    the same (a revealed content decodes to exactly what was sent).
    """
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
    emit(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n", out)
