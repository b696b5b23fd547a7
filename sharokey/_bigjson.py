"""``json.loads`` of a large answer without one long hold of the GIL.

A reveal of 10 MiB of files is a 14 MB JSON answer whose bulk is a few
base64 strings. ``json.loads`` parses it in one C call that holds the GIL for
15-30 ms, which stalls an event loop even though the parse runs in a worker
thread (the loop cannot take the GIL back until the call returns). Here
each string longer than :data:`LONG` is cut out of the body and decoded
alone, in pieces of at most :data:`PIECE` bytes (each its own short
``json.loads``), the rest (a few hundred bytes of structure) is parsed with
placeholders in their place, and the strings are put back. The result is
the same value ``json.loads`` gives, and any body that is not plain UTF-8
JSON, or that this scan does not follow, goes to ``json.loads`` whole, so it
raises exactly the same errors.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Callable

from sharokey._gil import breathe

__all__ = ["LONG", "PIECE", "loads"]

#: Bodies shorter than this are parsed in one call (at most a millisecond or so).
WHOLE_BELOW = 1024 * 1024
#: Strings longer than this (in bytes, as sent) are decoded on their own, in pieces.
LONG = 64 * 1024
#: The most one piece's ``json.loads`` reads (well under a millisecond of GIL).
PIECE = 256 * 1024

_OPENERS = (b"{", b"[")
_BACKSLASH = ord("\\")
_U = ord("u")
#: What a JSON string may not hold unescaped (control characters), and the escape itself.
_NOT_PLAIN = bytes(range(0x20)) + b"\\"


_DECODER = json.JSONDecoder()


def _small(body: bytes) -> Any:
    """``json.loads(body)`` for an answer opening on an object or array (every API answer).

    Its first two bytes are then non-zero, so ``json.loads`` reads it as UTF-8: the
    same decode and parse, without the encoding sniff and argument checks.
    """
    if body[:1] in _OPENERS and body[1:2] != b"\x00":
        return _DECODER.decode(body.decode("utf-8", "surrogatepass"))
    return json.loads(body)


def loads(body: bytes, *, raw: frozenset[str] = frozenset()) -> Any:
    """``json.loads(body)``, with long strings decoded piece by piece (same value, same errors).

    ``raw``: object keys whose long string values, when plain ASCII, are left
    as a read-only ``memoryview`` of ``body`` rather than copied into a ``str``
    (the reveal's base64: decoded straight from the body, no 14 MB copy made
    in one hold of the GIL). Any other value is exactly what ``json.loads`` gives.
    """
    if len(body) < WHOLE_BELOW:
        return _small(body)
    if not _plain_utf8(body):
        return json.loads(body)
    cut = _cut_long_strings(body)
    if cut is None:
        return json.loads(body)  # not a shape this scan follows: the one-call parse decides
    skeleton, strings, mark = cut

    def string(placeholder: str, key: object) -> Any:
        start, end = strings[placeholder]
        return _decode_string(body, start, end, keep=key in raw)

    try:
        value = json.loads(skeleton)
        value, replaced = _put_back(value, string, mark)
    except ValueError:
        return json.loads(body)  # the whole parse gives the error (and its position) exactly
    if replaced != len(strings):  # a long object key: rare enough to parse whole
        return json.loads(body)
    return value


def _plain_utf8(body: bytes) -> bool:
    # json.loads also reads UTF-16/32 and a BOM; those go to it whole.
    return not body.startswith(b"\xef\xbb\xbf") and b"\x00" not in body[:4]


def _string_end(body: bytes, start: int) -> int:
    """Index of the quote closing the string whose content starts at ``start``; -1 if none."""
    index = start
    while True:
        end = body.find(b'"', index)
        if end < 0:
            return -1
        backslashes = 0
        while end - backslashes - 1 >= start and body[end - backslashes - 1] == _BACKSLASH:
            backslashes += 1
        if backslashes % 2 == 0:
            return end
        index = end + 1


def _cut_long_strings(body: bytes) -> Any:
    """(skeleton, {placeholder: (start, end)}, mark), or ``None`` when nothing is long."""
    mark = f"\x00sharokey-{secrets.token_hex(8)}-"
    parts: list[bytes] = []
    strings: dict[str, tuple[int, int]] = {}
    done = index = 0
    while True:
        start = body.find(b'"', index)
        if start < 0:
            break
        end = _string_end(body, start + 1)
        if end < 0:
            return None
        if end - start - 1 > LONG:
            key = f"{mark}{len(strings)}"
            strings[key] = (start + 1, end)
            parts += [body[done:start], json.dumps(key).encode("ascii")]
            done = end + 1
        index = end + 1
    if not strings:
        return None
    parts.append(body[done:])
    return b"".join(parts), strings, mark


def _plain(body: bytes, start: int, end: int) -> bool:
    """Whether ``body[start:end]`` is ASCII with no escape and no control character."""
    for at in range(start, end, PIECE):
        piece = body[at : min(end, at + PIECE)]
        if not piece.isascii() or len(piece.translate(None, _NOT_PLAIN)) != len(piece):
            return False
        if at + PIECE < end:
            breathe()
    return True


def _decode_string(body: bytes, start: int, end: int, *, keep: bool = False) -> Any:
    """The JSON string ``body[start:end]`` (without its quotes), decoded piece by piece.

    Plain ASCII (base64 as most servers send it) is checked a piece at a time and then
    made a ``str`` in one copy (or, with ``keep``, left in the body as a memoryview),
    so the answer's memory is at most the body and that string, as with
    ``json.loads``; anything else is decoded in pieces and joined.
    """
    view = memoryview(body)
    if _plain(body, start, end):
        return view[start:end] if keep else str(view[start:end], "ascii")
    pieces: list[str] = []
    while start < end:
        stop = min(end, start + PIECE)
        if stop < end:
            stop = _safe_cut(body, start, stop)
        pieces.append(json.loads(b'"' + view[start:stop] + b'"'))
        if stop < end:
            breathe()
        start = stop
    return "".join(pieces)


def _escaping(body: bytes, index: int, start: int) -> bool:
    """Whether the backslash at ``index`` starts an escape (an even run of them before it)."""
    run = 0
    while index - run - 1 >= start and body[index - run - 1] == _BACKSLASH:
        run += 1
    return run % 2 == 0


def _splits(body: bytes, start: int, stop: int) -> bool:
    """Whether cutting at ``stop`` splits a UTF-8 character or an escape sequence."""
    if body[stop] & 0xC0 == 0x80:  # a continuation byte (10xxxxxx)
        return True
    if body[stop - 1] == _BACKSLASH and _escaping(body, stop - 1, start):
        return True
    # A "\uXXXX" starting 2-5 bytes before the cut runs past it.
    for at in range(max(start, stop - 5), stop - 1):
        if body[at] == _BACKSLASH and body[at + 1] == _U and _escaping(body, at, start):
            return True
    return False


def _safe_cut(body: bytes, start: int, stop: int) -> int:
    """``stop``, moved back so that no escape sequence or UTF-8 character is split."""
    while stop > start + 1 and _splits(body, start, stop):
        stop -= 1
    return stop


def _put_back(value: Any, string: Callable[[str, object], Any], mark: str) -> tuple[Any, int]:
    """``value`` with every placeholder replaced by ``string(placeholder, key)``, and how many.

    ``key`` is the object key (or list index) the placeholder sits under, ``None`` at the top.
    """
    if isinstance(value, str) and value.startswith(mark):
        return string(value, None), 1
    replaced = 0
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        for key, child in list(items):
            if isinstance(child, str) and child.startswith(mark):
                node[key] = string(child, key)
                replaced += 1
            elif isinstance(child, (dict, list)):
                stack.append(child)
    return value, replaced
