"""Talking to a person at a terminal: prompts, confirmations, a progress line.

Every function here degrades to "no terminal" when there is none, so the
commands can refuse (or ask for a flag) instead of hanging on a pipe.
Tests replace :func:`interactive` and :func:`can_prompt_secret`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
import time
from types import TracebackType
from typing import Callable, Optional, Union

from sharokey._cli.context import wants_json
from sharokey._cli.errors import CliError, UsageError

__all__ = [
    "PROGRESS_ABOVE",
    "TransferLine",
    "ask",
    "ask_to_confirm",
    "can_prompt_secret",
    "interactive",
    "password_value",
    "prompt_secret",
    "shows_progress",
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


#: A transfer of at most this many bytes shows no line: it is over before anyone could read it.
PROGRESS_ABOVE = 1024 * 1024


def shows_progress(args: argparse.Namespace) -> bool:
    """Whether a progress line may be drawn: stderr is a terminal, and no --quiet or --json."""
    try:
        on_terminal = sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False
    return on_terminal and not getattr(args, "quiet", False) and not wants_json(args)


def _columns() -> int:
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns if columns > 0 else 80


def _mib(size: int) -> str:
    return f"{size / 1048576:.1f}"


class TransferLine:
    """One line on stderr for a big upload or download, driven by the SDK's ``progress``.

    While ``before`` work runs (encrypting a create) a spinner turns beside
    that label. Once bytes are reported through :attr:`progress` (the SDK
    callback; None when not ``enabled``), the line shows bytes done of the
    total, the percentage and the rate, redrawn at most 10 times a second, the
    last byte always; then ``after`` (decrypting a reveal) turns until the
    block ends. Transfers of at most ``at_least`` bytes draw nothing. On exit
    the line is erased (carriage return, erase to end of line), so nothing of
    it stays on the screen and what the command prints next starts clean.
    """

    _FRAMES = "|/-\\"
    _EVERY = 0.1  # seconds between two redraws of the bytes, at least

    def __init__(
        self,
        verb: str,
        *,
        enabled: bool,
        before: Optional[str] = None,
        after: Optional[str] = None,
        at_least: int = PROGRESS_ABOVE,
    ) -> None:
        self.verb = verb
        self.enabled = enabled
        self._label = before  # what the spinner shows now; None: it shows nothing
        self._after = after
        self._at_least = at_least
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._drawn = False
        self._frame = 0
        self._last = 0.0  # when the bytes were last drawn
        self._started = 0.0  # when this attempt's first byte report came
        self.progress: Optional[Callable[[int, Optional[int]], None]] = (
            self._report if enabled else None
        )

    def _draw(self, text: str) -> None:
        # With the lock held. Cut to the width: a wrapped line could not be erased.
        sys.stderr.write("\r\x1b[K" + text[: _columns() - 1])
        sys.stderr.flush()
        self._drawn = True

    def _turn(self) -> None:
        with self._lock:
            if self._label is not None:
                self._draw(f"{self._FRAMES[self._frame % 4]} {self._label}")
                self._frame += 1

    def _spin(self) -> None:
        while not self._stop.wait(0.1):
            self._turn()

    def _report(self, done: int, total: Optional[int]) -> None:
        now = time.monotonic()
        with self._lock:
            if done == 0:
                self._started = now  # a retry starts the rate again too
            if (total if total is not None else done) <= self._at_least:
                return
            last = total is not None and done >= total
            if self._label is None and not last and now - self._last < self._EVERY:
                return
            self._label = None  # the bytes replace the spinner
            self._last = now
            self._draw(self._line(done, total, now - self._started))
            if last and self._after is not None:
                self._label = self._after
                self._draw(f"{self._FRAMES[0]} {self._label}")

    def _line(self, done: int, total: Optional[int], elapsed: float) -> str:
        text = f"{self.verb} {_mib(done)}"
        if total is not None:
            text += f" of {_mib(total)} MiB  {done * 100 // max(total, 1):3d}%"
        else:
            text += " MiB"
        if elapsed > 0:
            text += f"  {_mib(int(done / elapsed))} MiB/s"
        return text

    def __enter__(self) -> TransferLine:
        if self.enabled:
            self._turn()
            self._thread = threading.Thread(target=self._spin, name="sharokey-progress")
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
        with self._lock:
            self._label = None
            if self._drawn:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
                self._drawn = False
