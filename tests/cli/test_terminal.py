"""The ``sharokey`` command at a real terminal: hidden prompts, confirmations, a progress line.

Each test runs ``python -m sharokey`` in a new session whose stdin, stdout and
stderr are a pseudo-terminal, against an emulator started by the test, and
answers the prompts as a person would: it waits for the prompt to show, then
types. Every wait has a deadline, so a prompt that never comes fails the test
with what the terminal showed instead of hanging it.
"""

from __future__ import annotations

import os
import re
import secrets
import select
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

import pytest

from sharokey.client import Sharokey
from sharokey.errors import ProtectionError

from ._support import link_in, shown, slug_of, subprocess_env

emulator = pytest.importorskip("sharokey.emulator")
termios = pytest.importorskip("termios", reason="pseudo-terminals are POSIX")

pytestmark = pytest.mark.live

TOKEN = "tokTTY" + secrets.token_hex(12)
#: How long a prompt or an exit may take to come: generous, it only bounds a failure.
DEADLINE = 60.0

# Makes the pseudo-terminal on stderr the controlling terminal (``/dev/tty``) of a
# new session, then becomes ``python -m sharokey``: stdin can then be a pipe while
# getpass still asks on the terminal, as ``cat notes | sharokey create --password``.
_WITH_CONTROLLING_TTY = (
    "import fcntl, os, sys, termios; "
    "fcntl.ioctl(2, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, '-m', 'sharokey', *sys.argv[1:]])"
)


class Terminal:
    """One ``sharokey`` process on a pseudo-terminal; the test plays the person at it."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        *,
        stdin: Optional[int] = None,
        controlling_tty: bool = False,
    ) -> None:
        master, slave = os.openpty()
        command = (
            [sys.executable, "-c", _WITH_CONTROLLING_TTY, *argv]
            if controlling_tty
            else [sys.executable, "-m", "sharokey", *argv]
        )
        # A new session without a controlling terminal: getpass cannot reach the
        # terminal pytest runs in, only this pseudo-terminal.
        self.process = subprocess.Popen(
            command,
            stdin=slave if stdin is None else stdin,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self._seen = b""
        self._closed = False

    @property
    def screen(self) -> str:
        """Everything the terminal showed so far, with the terminal's CRLF made LF."""
        return self._seen.decode("utf-8", "replace").replace("\r\n", "\n")

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; False once the process side is closed."""
        if self._closed:
            return False
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: every copy of the terminal's other side is closed
            chunk = b""
        if not chunk:
            self._closed = True
            return False
        self._seen += chunk
        return True

    def expect(self, text: str) -> None:
        """Wait until ``text`` shows on the terminal."""
        deadline = time.monotonic() + DEADLINE
        while text not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(
                    f"{text!r} never showed in {DEADLINE:g} s; the terminal has:\n{self.screen}"
                )
            if not self._read(left):
                pytest.fail(
                    f"the command ended before showing {text!r}; the terminal has:\n{self.screen}"
                )

    def type(self, line: str) -> None:
        """Type a line and press Enter."""
        os.write(self.master, line.encode("utf-8") + b"\r")

    def finish(self) -> int:
        """Read until the command closes the terminal; its exit status."""
        deadline = time.monotonic() + DEADLINE
        while self._read(deadline - time.monotonic()):
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the command did not end in {DEADLINE:g} s; the terminal has:\n{self.screen}"
                )
        try:
            return self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the command did not exit; the terminal has:\n{self.screen}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=DEADLINE)
        os.close(self.master)


@pytest.fixture
def emu() -> Iterator[Any]:
    with emulator.run_emulator(tokens=[TOKEN]) as handle:
        yield handle


@pytest.fixture
def env(emu: Any, tmp_path: Path) -> dict[str, str]:
    """A user's shell: the emulator's URL and token in the environment, a private home."""
    return subprocess_env(tmp_path, SHAROKEY_TOKEN=TOKEN, SHAROKEY_API_URL=emu.api_url)


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[Any]:
    """``terminal(*argv, stdin=None, controlling_tty=False)`` starts the command on a pty."""
    started: list[Terminal] = []

    def start(*argv: str, stdin: Optional[int] = None, controlling_tty: bool = False) -> Terminal:
        term = Terminal(argv, env, stdin=stdin, controlling_tty=controlling_tty)
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()


@pytest.fixture
def client(emu: Any) -> Iterator[Sharokey]:
    with Sharokey(TOKEN, api_url=emu.api_url) as sdk:
        yield sdk


# --------------------------------------------------------------------------- create


def test_create_asks_the_password_twice_without_echo_and_the_secret_needs_it(
    terminal: Any, client: Sharokey
) -> None:
    password = "pwTTY" + secrets.token_hex(6)
    term = terminal("create", "behind a typed password", "--password", "--quiet")
    term.expect("Password: ")
    term.type(password)
    term.expect("Password again: ")
    term.type(password)
    assert term.finish() == 0, term.screen
    assert password not in term.screen  # typed, never echoed
    link = link_in(term.screen)
    with pytest.raises(ProtectionError):
        client.reveal(link)
    assert client.reveal(link, password=password).content == "behind a typed password"


def test_an_empty_typed_password_creates_nothing(terminal: Any, emu: Any) -> None:
    term = terminal("create", "never stored", "--password")
    term.expect("Password: ")
    term.type("")
    term.expect("Password again: ")
    term.type("")
    assert term.finish() == 2
    assert "error: the password is empty. Type one, or leave out --password." in term.screen
    assert emu.secret_count() == 0


def test_end_of_input_at_the_password_prompt_creates_nothing(terminal: Any, emu: Any) -> None:
    term = terminal("create", "never stored", "--password")
    term.expect("Password: ")
    os.write(term.master, b"\x04")  # Ctrl-D
    assert term.finish() == 1
    assert "error: no answer was read (end of input). Nothing was done." in term.screen
    assert "Traceback" not in term.screen
    assert emu.secret_count() == 0


def test_password_prompt_without_any_terminal_is_refused(env: dict[str, str], emu: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sharokey", "create", "x", "--password"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal either
        check=False,
        timeout=DEADLINE,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: --password without a value needs a terminal to ask on. "
        "Give it as --password=PW, or run the command in a terminal.\n"
    )
    assert emu.secret_count() == 0


def test_piped_content_with_password_asks_on_the_controlling_terminal(
    terminal: Any, client: Sharokey
) -> None:
    if not hasattr(termios, "TIOCSCTTY"):
        pytest.skip("this system cannot hand a pseudo-terminal to a session")
    password = "pwPIPE" + secrets.token_hex(6)
    read_end, write_end = os.pipe()
    os.write(write_end, b"content from a pipe\n")
    os.close(write_end)
    try:
        term = terminal("create", "--password", "--quiet", stdin=read_end, controlling_tty=True)
    finally:
        os.close(read_end)
    term.expect("Password: ")
    term.type(password)
    term.expect("Password again: ")
    term.type(password)
    assert term.finish() == 0, term.screen
    assert password not in term.screen
    assert client.reveal(link_in(term.screen), password=password).content == "content from a pipe"


def test_create_without_content_asks_for_it_without_echo(terminal: Any, client: Sharokey) -> None:
    content = "typed content " + secrets.token_hex(6)
    term = terminal("create", "--quiet")
    term.expect("Secret content (hidden")
    term.type(content)
    assert term.finish() == 0, term.screen
    assert content not in term.screen
    assert client.reveal(link_in(term.screen)).content == content


#: One drawing of the progress line: bytes done, the total, the percentage.
PROGRESS = re.compile(r"(uploading|downloading) (\d+\.\d) of (\d+\.\d) MiB +(\d+)%")


def _progress(screen: str, verb: str) -> list[tuple[float, float, int]]:
    """Every state the line was drawn in for ``verb``, in order."""
    return [
        (float(done), float(total), int(percent))
        for found, done, total, percent in PROGRESS.findall(screen)
        if found == verb
    ]


def _traces(lines: list[str]) -> list[str]:
    """Lines still showing a part of the progress line (none should)."""
    marks = ("MiB", "encrypting", "waiting for", "decrypting")
    return [line for line in lines if any(mark in line for mark in marks)]


def _assert_counted_to_the_end(states: list[tuple[float, float, int]]) -> None:
    assert states, "no progress line was drawn"
    assert [p for _, _, p in states] == sorted(p for _, _, p in states)
    assert [d for d, _, _ in states] == sorted(d for d, _, _ in states)
    done, total, percent = states[-1]
    assert (done, percent) == (total, 100)
    assert total >= 3.0  # the 3 MiB file, sealed and base64-encoded


def test_progress_line_counts_the_upload_and_the_download_then_leaves_no_trace(
    terminal: Any, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(secrets.token_bytes(3 * 1024 * 1024))
    create = terminal("create", "with a big file", "--attach", str(big), "--unique-nonces")
    assert create.finish() == 0, create.screen
    assert "encrypting 3.0 MiB…" in create.screen  # the label while sealing
    _assert_counted_to_the_end(_progress(create.screen, "uploading"))
    assert re.search(r"\d+\.\d MiB/s", create.screen)  # the rate
    # Erased, not left behind: the screen holds the command's output, no trace of the line.
    lines = shown(create.screen)
    assert not _traces(lines), lines
    assert lines[0].startswith("Share link")
    # Erased before the output was written, not merely overwritten by a longer line.
    assert "".join(shown(create.screen[: create.screen.index("Share link")])) == ""

    out = tmp_path / "out"
    reveal = terminal("reveal", link_in(create.screen), "--output-dir", str(out))
    assert reveal.finish() == 0, reveal.screen
    _assert_counted_to_the_end(_progress(reveal.screen, "downloading"))
    assert "decrypting…" in reveal.screen
    lines = shown(reveal.screen)
    assert not _traces(lines), lines
    assert lines[0] == "with a big file"
    assert "".join(shown(reveal.screen[: reveal.screen.index("with a big file")])) == ""
    assert (out / "big.bin").read_bytes() == big.read_bytes()


def test_no_progress_line_with_quiet_or_json_on_a_terminal(terminal: Any, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(secrets.token_bytes(3 * 1024 * 1024 // 2))
    create = terminal("create", "quiet", "--attach", str(big), "--unique-nonces", "--quiet")
    assert create.finish() == 0, create.screen
    reveal = terminal("reveal", link_in(create.screen), "--json", "--output-dir", str(tmp_path))
    assert reveal.finish() == 0, reveal.screen
    for screen in (create.screen, reveal.screen):
        assert "\r" not in screen and "MiB" not in screen and "encrypting" not in screen


def test_no_progress_line_on_a_pipe(env: dict[str, str], tmp_path: Path, client: Sharokey) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(secrets.token_bytes(3 * 1024 * 1024 // 2))  # 1.5 MiB
    results = []
    for argv in (
        ["create", "piped", "--attach", str(big), "--unique-nonces"],
        ["reveal", "-", "--output-dir", str(tmp_path / "out")],
    ):
        results.append(
            subprocess.run(
                [sys.executable, "-m", "sharokey", *argv],
                input=link_in(results[0].stdout) if results else None,
                capture_output=True,
                text=True,
                env=env,
                start_new_session=True,
                check=False,
                timeout=DEADLINE,
            )
        )
        assert results[-1].returncode == 0, results[-1].stderr
    for result in results:
        assert "\r" not in result.stderr and "MiB" not in result.stderr
        assert "encrypting" not in result.stderr and "decrypting" not in result.stderr
    assert (tmp_path / "out" / "big.bin").read_bytes() == big.read_bytes()


# --------------------------------------------------------------------------- delete


def test_delete_asks_first_n_keeps_the_secret_and_y_deletes_it(
    terminal: Any, client: Sharokey
) -> None:
    slug = client.create("delete me?").slug
    declined = terminal("delete", slug)
    declined.expect(f"Delete secret {slug}? Its content is erased for good. [y/N] ")
    declined.type("n")
    assert declined.finish() == 1
    assert "error: Deleting declined; nothing was changed." in declined.screen
    assert client.get_details(slug).status == "active"

    accepted = terminal("delete", slug)
    accepted.expect("[y/N] ")
    accepted.type("y")
    assert accepted.finish() == 0, accepted.screen
    assert f"Deleted secret {slug} (its details stay, marked expired)." in accepted.screen
    assert client.get_details(slug).status == "expired"


def test_delete_request_asks_first_and_enter_alone_declines(
    terminal: Any, client: Sharokey
) -> None:
    token = client.create_request(description="keep me").token
    term = terminal("delete-request", token)
    term.expect("Delete secret request ")
    term.expect("[y/N] ")
    term.type("")
    assert term.finish() == 1
    assert token not in term.screen  # a request token is a credential: shown masked
    assert client.get_request(token).description == "keep me"


# --------------------------------------------------------------------------- reveal


def test_reveal_asks_for_the_one_time_code_that_was_just_sent(
    terminal: Any, client: Sharokey, emu: Any
) -> None:
    link = client.create("behind a code", otp_email="bob@example.com").share_url
    term = terminal("reveal", link)
    term.expect("A one-time code was sent by email to ")
    term.expect("Code: ")
    code = emu.last_otp(slug_of(link))
    term.type(code)
    assert term.finish() == 0, term.screen
    assert "behind a code\n" in term.screen
    assert code not in term.screen
    assert "That was the last view: the secret is gone now." in term.screen


def test_reveal_asks_for_a_missing_password(terminal: Any, client: Sharokey) -> None:
    password = "pwASK" + secrets.token_hex(6)
    link = client.create("asked for\n", password=password, views=2).share_url
    term = terminal("reveal", link)
    term.expect("This secret is protected by a password.")
    term.expect("Password: ")
    term.type(password)
    assert term.finish() == 0, term.screen
    # Content that ends its own line gets no second newline before the notes.
    assert "asked for\n1 view left.\n" in term.screen
    assert password not in term.screen


def test_reveal_dash_asks_for_the_link_and_escapes_control_characters(
    terminal: Any, client: Sharokey
) -> None:
    link = client.create("title\x1b]0;pwned\x07 bell", description="from ops").share_url
    term = terminal("reveal", "-")
    term.expect("Share link (hidden): ")
    term.type(link)
    assert term.finish() == 0, term.screen
    assert link.split("#")[1] not in term.screen  # the key part was not echoed
    # The sender's escape sequence is shown, not obeyed by the terminal.
    assert "title\\x1b]0;pwned\\x07 bell\n" in term.screen
    assert "\x1b]0;" not in term.screen
    assert "Description: from ops" in term.screen


# --------------------------------------------------------------------------- config


def test_config_token_dash_asks_for_it_without_echo(terminal: Any, tmp_path: Path) -> None:
    token = "tokTYPED" + secrets.token_hex(8)
    term = terminal("config", "--token", "-")
    term.expect("API token (hidden): ")
    term.type(token)
    assert term.finish() == 0, term.screen
    assert token not in term.screen
    stored = (tmp_path / "xdg" / "sharokey" / "config.json").read_text()
    assert f'"{token}"' in stored
