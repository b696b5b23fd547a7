"""Writing revealed attachments to disk without trusting their names.

An attachment's name comes from whoever created the secret. It could be
``../../.bashrc``, ``/etc/cron.d/x``, ``C:\\Windows\\x``, ``CON``, a name with
a NUL or a terminal escape, or an empty string. :func:`safe_name` keeps the
last path component and makes it a plain, portable file name; collisions
between attachments get a suffix; existing files are never overwritten
unless asked (and even then a symlink in the way is replaced, not followed).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import attrs

__all__ = ["SavedFile", "prepare_dir", "safe_name", "unique_names", "write_file", "write_files"]

_FALLBACK = "attachment"
_MAX_NAME_BYTES = 200  # under every common file system's 255, leaving room for a suffix
_WINDOWS_RESERVED_CHARS = re.compile(r'[<>:"|?*]')
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(10)]
    + [f"LPT{i}" for i in range(10)]
    + [f"COM{c}" for c in "¹²³"]
    + [f"LPT{c}" for c in "¹²³"]
)


@attrs.frozen
class SavedFile:
    """Where one attachment went. ``name`` is the sender's name, ``path`` ours."""

    name: str
    path: Path
    size: int
    existed: bool  # a file of that name was already there and was kept (no --force)


def safe_name(name: object, fallback: str = _FALLBACK) -> str:
    """A plain file name for ``name``: basename only, nothing a file system or terminal
    would read as more than a name."""
    text = name if isinstance(name, str) else ""
    # Both separators, whatever this system uses: the name may come from Windows.
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(
        "_" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else c
        for c in text
    )
    text = _WINDOWS_RESERVED_CHARS.sub("_", text)
    # No hidden files, no '.' or '..'; Windows drops trailing dots and spaces.
    text = text.strip().lstrip(".").rstrip(". ")
    stem = text.split(".")[0].strip().upper()
    if stem in _WINDOWS_DEVICES:
        text = "_" + text
    if not text:
        text = fallback
    return _shorten(text)


def _shorten(name: str, limit: int = _MAX_NAME_BYTES) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 20:
        stem, ext, dot = name, "", ""
    budget = limit - len((dot + ext).encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return cut + dot + ext


def _with_suffix(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return _shorten(f"{name}-{n}", _MAX_NAME_BYTES + 8)
    return _shorten(f"{stem}-{n}.{ext}", _MAX_NAME_BYTES + 8)


def unique_names(names: Sequence[object]) -> list[str]:
    """Sanitised names, made distinct (case-insensitively: macOS and Windows fold case)."""
    taken: set[str] = set()
    out: list[str] = []
    for index, raw in enumerate(names, start=1):
        base = safe_name(raw, fallback=f"{_FALLBACK}-{index}")
        candidate, n = base, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = _with_suffix(base, n)
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


def prepare_dir(directory: Path) -> Path:
    """Create the output directory (private) if needed and check it is writable."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not directory.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", str(directory))
    return directory


def _write_new(path: Path, data: bytes) -> bool:
    """Create ``path`` exclusively; False if something is already there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return True


def _replace(path: Path, data: bytes) -> None:
    """Write next to ``path`` then rename over it: a symlink there is replaced, not followed."""
    fd, tmp = tempfile.mkstemp(prefix=".sharokey-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_file(path: Path, data: bytes, *, force: bool) -> bool:
    """Write one file of ours (0600): a new one, or with ``force`` in place of what is there.

    False when, without ``force``, something already is at ``path``: it is left alone.
    """
    if force:
        _replace(path, data)
        return True
    return _write_new(path, data)


def write_files(
    directory: Path, files: Sequence[tuple[str, bytes]], *, force: bool
) -> list[SavedFile]:
    """Write each ``(sender's name, data)`` into ``directory``, never outside it.

    Without ``force`` an existing file is left alone and the attachment goes
    to the next free ``name-N.ext``: the reveal already spent a view, so
    refusing to write would lose the file.
    """
    saved: list[SavedFile] = []
    names = unique_names([name for name, _ in files])
    taken = {n.casefold() for n in names}
    for (original, data), name in zip(files, names):
        final = name
        existed = False
        if force:
            _replace(directory / name, data)
        else:
            n = 1
            while not _write_new(directory / final, data):
                existed = True
                n += 1
                candidate = _with_suffix(name, n)
                while candidate.casefold() in taken:
                    n += 1
                    candidate = _with_suffix(name, n)
                final = candidate
            taken.add(final.casefold())
        saved.append(
            SavedFile(name=original, path=directory / final, size=len(data), existed=existed)
        )
    return saved
