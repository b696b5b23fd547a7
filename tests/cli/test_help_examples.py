"""Every example line of every ``--help`` runs, as a person would paste it into a shell.

Each line runs in ``bash`` on a pseudo-terminal of its own (its controlling
terminal, so a prompt reaches it even when stdin is a file), against a fresh
emulator, from a folder holding the files the examples name, with the
variables they use set. The test answers the prompts a person would. The
placeholders a person replaces are replaced with real values: the example
link and its slug ``ABC123XY`` by a real share link, ``TOKEN`` by a real
request token, and ``sharokey emulator``'s address (127.0.0.1:8080) by this
emulator's. Every line must exit 0 without showing the API token.
"""

from __future__ import annotations

import os
import re
import secrets
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sharokey import cli

from ._support import ROOT, TOKEN, examples_of, subprocess_env

termios = pytest.importorskip("termios", reason="pseudo-terminals are POSIX")

pytestmark = pytest.mark.live

EXAMPLE_LINK = "https://host/s/ABC123XY#q7mZp2Lk9RtVx4Bn8CwJd3Hs"
EXAMPLE_SLUG = "ABC123XY"
EXAMPLE_URL = "http://127.0.0.1:8080/api/v1"  # where `sharokey emulator` listens by default
PASSWORD = "pw-" + secrets.token_hex(6)
DEADLINE = 60.0
#: What a person types at each prompt the examples show.
ANSWERS = {
    "Password: ": PASSWORD,
    "Password again: ": PASSWORD,
    "API token (hidden): ": TOKEN,
    "[y/N] ": "y",
}


def _helps() -> dict[str, str]:
    parser = cli.build_parser()
    helps = {"sharokey": parser.format_help()}
    for action in parser._actions:
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict):
            for name, sub in choices.items():
                if name not in ("emulator", "demo"):  # their help is their own program's
                    helps[f"sharokey {name}"] = sub.format_help()
    return helps


def _examples() -> list[Any]:
    return [
        pytest.param(line, id=f"{command}: {line}")
        for command, text in _helps().items()
        for line in examples_of(text)
    ]


@pytest.fixture
def sandbox(tmp_path: Path, emu: Any) -> tuple[Path, dict[str, str], dict[str, str]]:
    """The folder, environment and placeholder values one example runs with."""
    from sharokey.client import Sharokey

    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    for shell_dir in (".local/share/bash-completion/completions", ".config/fish/completions"):
        (home / shell_dir).mkdir(parents=True)  # the shells' own folders, as installed
    (work / "report.pdf").write_bytes(b"%PDF-1.4 example\n")
    for name in ("note.txt", "notes.txt"):
        (work / name).write_text("a note\nof two lines\n")
    (work / "id_rsa.pub").write_text("ssh-ed25519 AAAAexample user@host\n")
    (work / "pw.txt").write_text(PASSWORD + "\n")
    (work / "code.txt").write_text("123456\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "sharokey"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sharokey "$@"\n')
    wrapper.chmod(0o755)

    with Sharokey(TOKEN, api_url=emu.api_url) as client:
        for n in range(6):  # enough for `list --limit 5 --page 2`
            client.create(f"filler {n}")
        link = client.create("the example secret", views=10, password=PASSWORD).share_url
        request = client.create_request(message="an example request")
    env = subprocess_env(
        tmp_path,
        SHAROKEY_TOKEN=TOKEN,
        SHAROKEY_API_URL=emu.api_url,
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        LINK=link,
        SECRET="s3cret value",
        DB_PASSWORD="db-" + secrets.token_hex(4),
        SECRET_PW=PASSWORD,
    )
    staged = subprocess.run(
        ["sharokey", "config", "--profile", "staging", "--hours", "2"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=DEADLINE,
    )
    assert staged.returncode == 0, staged.stderr  # what `--profile staging` examples assume
    values = {
        EXAMPLE_LINK: link,
        EXAMPLE_SLUG: link.split("#")[0].rsplit("/", 1)[-1],
        EXAMPLE_URL: emu.api_url,
        "TOKEN": request.token,
    }
    return work, env, values


def _concrete(line: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        line = re.sub(rf"(?<![\w-]){re.escape(placeholder)}(?![\w-])", value, line)
    return line


# In a new session, makes the pty on stderr the controlling terminal (getpass reaches it
# through /dev/tty even when stdin is a file), then becomes the shell.
_WITH_CONTROLLING_TTY = (
    "import fcntl, os, sys, termios; "
    "fcntl.ioctl(2, termios.TIOCSCTTY, 0); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


def _run_on_a_terminal(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run ``argv`` (a shell and its line) on a pty, answering prompts; (status, screen)."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", _WITH_CONTROLLING_TTY, *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen, answered = b"", 0
    deadline = time.monotonic() + DEADLINE
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                seen += chunk
            shown = seen.decode("utf-8", "replace")
            for prompt, answer in ANSWERS.items():
                if shown.endswith(prompt) and len(shown) > answered:
                    answered = len(shown)
                    os.write(master, answer.encode() + b"\r")
        else:
            pytest.fail(f"{argv} did not end in {DEADLINE:g} s:\n{seen.decode(errors='replace')}")
        return process.wait(timeout=DEADLINE), seen.decode("utf-8", "replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


@pytest.mark.parametrize("example", _examples())
def test_the_example_runs_as_written(
    example: str, sandbox: tuple[Path, dict[str, str], dict[str, str]]
) -> None:
    work, env, values = sandbox
    line = _concrete(example, values)
    shell = ["bash", "-c", "set -o pipefail; " + line]
    if "${fpath" in example:  # written for zsh, into its first function folder
        if shutil.which("zsh") is None:
            pytest.skip("a zsh example, and zsh is not installed here")
        (work / "zfunc").mkdir()
        shell = ["zsh", "-f", "-c", f"fpath=({work / 'zfunc'} $fpath); {line}"]
    if " qr" in example or "--qr" in example:
        pytest.importorskip("segno", reason="the QR extra (segno) is not installed")
    if "completion" in example:
        pytest.importorskip("shtab", reason="the completion extra (shtab) is not installed")
    code, shown = _run_on_a_terminal(shell, work, env)
    assert code == 0, f"`{example}` (run as `{line}`) exited {code}:\n{shown}"
    assert TOKEN not in shown, f"`{example}` showed the API token"
