"""A value from an option, a file or the environment: ``--X``, ``--X-file PATH``, ``--X-env NAME``.

Scripts must be able to pass a password, a token or a one-time code without
putting it on the command line (visible in ``ps`` and shell history), as
Bitwarden's ``--passwordfile`` / ``--passwordenv`` do. Errors name the flag
the user typed and the file or variable, never the value.
"""

from __future__ import annotations

import argparse
import os
from typing import Optional, Union

from sharokey._cli.errors import UsageError

__all__ = ["MAX_FILE_BYTES", "value_from"]

#: A password, token or code is short; a bigger file is a mistake, not a secret to read whole.
MAX_FILE_BYTES = 64 * 1024


def _strip_one_newline(text: str) -> str:
    # An editor or `echo > file` adds one newline; anything more is the user's.
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _from_file(flag: str, path: str) -> str:
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a directory", "Give the path of a file.")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{flag} {path}: no such file", "Check the path.") from None
    except OSError as exc:
        raise UsageError(f"{flag} {path}: {exc.strerror or 'cannot be read'}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"{flag} {path}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{flag} {path}: not UTF-8 text") from None
    return _strip_one_newline(text)


def _from_env(flag: str, name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"{flag} {name}: no such environment variable", "Export it first.")
    return value


def value_from(args: argparse.Namespace, option: str, dest: str) -> Union[str, bool, None]:
    """The value of ``--OPTION`` (in ``args.DEST``), ``--OPTION-file`` or ``--OPTION-env``.

    ``args.DEST_file`` and ``args.DEST_env`` hold the other two. Giving more than
    one of the three is a usage error; an empty result too (an empty file or
    variable is never a password, a token or a code). Returns what ``--OPTION``
    held when neither of the others was given (``True`` for a bare ``--password``).
    """
    flag = f"--{option}"
    given: Union[str, bool, None] = getattr(args, dest, None)
    path: Optional[str] = getattr(args, f"{dest}_file", None)
    name: Optional[str] = getattr(args, f"{dest}_env", None)
    typed = [
        spelling
        for spelling, value in ((flag, given), (f"{flag}-file", path), (f"{flag}-env", name))
        if value is not None
    ]
    if len(typed) > 1:
        raise UsageError(f"{' and '.join(typed)} cannot be used together", "Give it one way.")
    if path is not None:
        value, where = _from_file(f"{flag}-file", path), f"{flag}-file {path}"
    elif name is not None:
        value, where = _from_env(f"{flag}-env", name), f"{flag}-env {name}"
    else:
        return given
    if not value:
        raise UsageError(f"{where}: is empty", f"Put the {option} there, or leave out the flag.")
    return value
