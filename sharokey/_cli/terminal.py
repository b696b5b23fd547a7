"""Talking to a person at a terminal: prompts, confirmations, a progress line.

Every function here degrades to "no terminal" when there is none, so the
commands can refuse (or ask for a flag) instead of hanging on a pipe.
Tests replace :func:`interactive` and :func:`can_prompt_secret`.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
import time
from types import TracebackType
from typing import Optional, Union

from sharokey._cli.errors import CliError, UsageError

__all__ = [
    "Spinner",
    "ask",
    "ask_to_confirm",
    "can_prompt_secret",
    "interactive",
    "password_value",
    "prompt_secret",
]


def interactive() -> bool:
    """True when stdin and stderr are a terminal: a person can answer a question."""
    try:
        return sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def can_prompt_secret() -> bool:
    """True when a hidden prompt can reach a person, even if stdin is a pipe.

    ``getpass`` reads from the controlling terminal (``/dev/tty``) on POSIX, so
    ``cat notes | sharokey create --password`` can still ask.
    """
    if interactive():
        return True
    if os.name != "posix":
        return False
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def prompt_secret(prompt: str) -> str:
    """Read a value without echo (the password, a code, hidden content)."""
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise CliError("no answer was read (end of input)", "Nothing was done.") from None


def ask(prompt: str) -> str:
    """Ask a question on stderr, read one line from stdin ('' at end of input)."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line.strip()


def ask_to_confirm(question: str, what: str) -> None:
    """Ask before destroying something; raise when declined or nobody can answer."""
    if not interactive():
        raise CliError(
            f"not {what} without confirmation: there is no terminal to ask on",
            "Pass --yes to confirm in advance.",
        )
    answer = ask(f"{question} [y/N] ").lower()
    if answer not in ("y", "yes"):
        raise CliError(f"{what[0].upper() + what[1:]} declined; nothing was changed", "")


def password_value(value: Union[str, bool, None], *, confirm: bool) -> Optional[str]:
    """The password given, or asked for without echo when ``--password`` had no value."""
    if value is None or isinstance(value, str):
        return value
    if not can_prompt_secret():
        raise UsageError(
            "--password without a value needs a terminal to ask on",
            "Give it as --password=PW, or run the command in a terminal.",
        )
    first = prompt_secret("Password: ")
    if confirm and prompt_secret("Password again: ") != first:
        raise UsageError("the two passwords differ", "Nothing was created; try again.")
    if not first:
        raise UsageError("the password is empty", "Type one, or leave out --password.")
    return first


class Spinner:
    """A one-line progress indicator on stderr for slow work (big attachments).

    It only draws when ``enabled`` (the caller checks stderr is a terminal),
    so logs and pipes never see carriage returns.
    """

    _FRAMES = "|/-\\"

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._start = 0.0

    def _draw(self) -> None:
        frame = 0
        while not self._stop.wait(0.1):
            elapsed = time.monotonic() - self._start
            text = f"\r{self._FRAMES[frame % 4]} {self.label} {elapsed:4.0f} s"
            sys.stderr.write(text)
            sys.stderr.flush()
            frame += 1

    def __enter__(self) -> Spinner:
        self._start = time.monotonic()
        if self.enabled:
            sys.stderr.write(f"{self.label}")
            sys.stderr.flush()
            self._thread = threading.Thread(target=self._draw, name="sharokey-spinner")
            self._thread.daemon = True
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            elapsed = time.monotonic() - self._start
            outcome = "done" if exc_type is None else "failed"
            sys.stderr.write(f"\r\x1b[K{self.label} {outcome} ({elapsed:.1f} s)\n")
            sys.stderr.flush()
