"""Attachments from the caller to bytes, and the create body assembled around them.

The one place the clients enforce the attachment budget (10 files, 10 MiB
of plaintext in all; the rule is ``limits.attachment_budget_problem``): on
the number of files and their sizes before anything is read, then on the
bytes actually read, so a file that grows meanwhile is caught too.
(``crypto.seal`` applies the same rule to what its own direct callers pass.)

Reading happens here, off the event loop (the core offloads
:func:`build_create_body`), so the core itself never touches a file. The body
is assembled from pre-encoded pieces instead of one ``json.dumps`` over
megabytes of base64, which would hold the GIL (and double the memory) for the
whole string.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from typing import Any, Optional, Union

import attrs

from sharokey._b64 import Pieces
from sharokey._gil import breathe
from sharokey._validate import AttachmentSource, CreateArgs
from sharokey.crypto import NonceMode, key_check, seal_pieces
from sharokey.errors import ValidationError
from sharokey.limits import MAX_ATTACHMENTS_BYTES, attachment_budget_problem

__all__ = ["Built", "build_create_body", "read_attachments", "splice_create_body"]

_SPLICE_CHUNK = 1 << 18  # characters of base64 turned into bytes per GIL hold


def _over_budget(problem: str) -> ValidationError:
    return ValidationError(f"attachments {problem}.", details={"attachments": [problem]})


def _check_budget(files: int, total_bytes: int) -> None:
    problem = attachment_budget_problem(files, total_bytes)
    if problem is not None:
        raise _over_budget(problem)


def _unreadable(name: str, why: str) -> ValidationError:
    return ValidationError(
        f"attachments: {name} {why}.", details={"attachments": [f"{name} {why}"]}
    )


def _remaining_size(handle: Any) -> Optional[int]:
    try:
        if not handle.seekable():
            return None
        position = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        handle.seek(position)
        return int(end - position)
    except (AttributeError, OSError, ValueError):
        return None


def read_attachments(sources: tuple[AttachmentSource, ...]) -> list[tuple[str, bytes]]:
    """Read the caller's files, checking the budget on sizes before reading, then as read."""
    _check_budget(len(sources), 0)
    total = 0
    for source in sources:
        if source.kind == "bytes":
            total += len(source.data or b"")
        elif source.kind == "path":
            try:
                total += os.stat(source.source).st_size
            except OSError:
                raise _unreadable(source.name, "cannot be read (missing or not allowed)") from None
        else:
            total += _remaining_size(source.source) or 0
        _check_budget(len(sources), total)
    files: list[tuple[str, bytes]] = []
    total = 0
    for source in sources:
        budget = MAX_ATTACHMENTS_BYTES - total + 1  # one byte more tells "too large"
        data: Any
        if source.kind == "bytes":
            data = source.data or b""
        elif source.kind == "path":
            try:
                with open(source.source, "rb") as handle:
                    data = handle.read(budget)
            except OSError:
                raise _unreadable(source.name, "cannot be read (missing or not allowed)") from None
        else:
            try:
                data = source.source.read(budget)
            except (OSError, ValueError):
                raise _unreadable(source.name, "cannot be read") from None
            if not isinstance(data, (bytes, bytearray)):
                raise _unreadable(source.name, "must be opened in binary mode ('rb')")
        total += len(data)
        _check_budget(len(sources), total)
        files.append((source.name, bytes(data)))
    return files


# --------------------------------------------------------------------------- the body


def _splice(text: Union[str, Pieces], out: io.BytesIO) -> None:
    # base64 needs no JSON escaping: copy it in bounded pieces (short GIL holds).
    if isinstance(text, Pieces):
        parts = text.parts
        parts.reverse()
        while parts:  # each piece let go of once copied
            out.write(parts.pop().encode("ascii"))
            if parts:
                breathe()
        return
    for start in range(0, len(text), _SPLICE_CHUNK):
        out.write(text[start : start + _SPLICE_CHUNK].encode("ascii"))
        if start + _SPLICE_CHUNK < len(text):
            breathe()


def splice_create_body(payload: dict[str, Any], fields: Mapping[str, Any]) -> bytes:
    """The create body's JSON bytes: ``payload`` (the sealed secret) plus ``fields``.

    The base64 ciphertexts are *moved* out of ``payload`` (popped) and spliced
    in as bytes, each dropped as soon as it is copied, so peak memory stays a
    few times the files. Key order: the sealed fields, ``fields``, then
    ``content`` and ``attachments``.
    """
    content: Union[str, Pieces] = payload.pop("content")
    attachments: list[dict[str, Any]] = payload.pop("attachments", [])
    head: dict[str, Any] = dict(payload)
    head.update(fields)
    # BytesIO grows by realloc (no big copy) and getvalue() hands over its buffer:
    # no single step holds the GIL for a whole-body copy.
    out = io.BytesIO()
    out.write(json.dumps(head, separators=(",", ":"))[:-1].encode("ascii"))
    out.write(b',"content":"')
    _splice(content, out)
    del content
    out.write(b'"')
    if attachments:
        out.write(b',"attachments":[')
        for index, entry in enumerate(attachments):
            data = entry.pop("data")
            meta = json.dumps(entry, separators=(",", ":"))
            out.write((b"," if index else b"") + meta[:-1].encode("ascii") + b',"data":"')
            _splice(data, out)
            del data
            out.write(b'"}')
        out.write(b"]")
    out.write(b"}")
    del attachments
    body = out.getvalue()
    del out
    return body


@attrs.frozen
class Built:
    """A create body ready to send, and the keyB that stays on this machine."""

    body: bytes = attrs.field(repr=False)
    key_b: str = attrs.field(repr=False)


def build_create_body(args: CreateArgs, nonces: Optional[NonceMode]) -> Built:
    """Read the files, seal, splice the body (off the event loop; each stage freed early)."""
    files = read_attachments(args.attachments)
    sealed = seal_pieces(args.content, files, nonces=nonces)
    del files
    fields: dict[str, Any] = {"expiration_hours": args.hours, "maximum_views": args.views}
    optional = {
        "description": args.description,
        "message": args.message,
        "password": args.password,
        "otp_type": args.otp_type,
        "otp_receiver": args.otp_receiver,
        "ip_whitelist": args.ip_whitelist,
        "geolocation": args.geolocation,
    }
    fields.update({name: value for name, value in optional.items() if value is not None})
    if args.captcha:
        fields["captcha"] = True
    # The server keeps it to refuse a mistyped link before counting a view.
    fields["key_check"] = key_check(sealed.key_b)
    return Built(body=splice_create_body(sealed.payload, fields), key_b=sealed.key_b)
