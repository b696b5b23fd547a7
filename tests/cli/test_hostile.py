"""The ``sharokey`` command against a hostile server: nothing it sends drives a terminal.

Every output path that can carry server text (the error line with its
details, an OTP destination, tables, details blocks, the ``test`` report) is
run on a pipe and on a pseudo-terminal against the server of
``client/_hostile.py``, whose every string carries a window title, a screen
clear, a clipboard write (OSC 52) and a C1 CSI. ``--json`` escapes instead.
Also: a wrong API URL is named as such, in the error line and by ``sharokey test``.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from client._hostile import ESCAPES

from ._support import checks_of, subprocess_env

pytestmark = pytest.mark.live

LINK = "https://app.example/s/OTP1#" + "K" * 24
#: Only bounds a failure.
DEADLINE = 60.0
#: Each command, and a piece of what it must show (cleaned) to prove its path ran.
COMMANDS = [
    (("list",), "desc\\x1b]0;pwned"),
    (("get", "ESC1"), "creator\\x1b]0;pwned"),
    (("list-requests",), "req\\x1b]0;pwned"),
    (("create", "--description", "d", "hello"), "refused\\x1b]0;pwned"),
    (("reveal", LINK), "a***@x\\x1b]0;pwned"),
    (("test",), "refused\\x1b]0;pwned"),
]
RAW = ("\x1b", "\x07", "\x9b")


def _argv(hostile: Any, command: tuple[str, ...]) -> list[str]:
    return ["--api-url", hostile.url("escapes"), "--token", "tok", *command]


def _on_a_pipe(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "sharokey", *argv],
        input=b"content\n",
        capture_output=True,
        env=env,
        timeout=DEADLINE,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sharokey", *argv],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + DEADLINE
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the command closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        code = process.wait(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return code, seen.decode("utf-8", "replace")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return subprocess_env(tmp_path)


@pytest.mark.parametrize(("command", "shown"), COMMANDS, ids=[c[0][0] for c in COMMANDS])
@pytest.mark.parametrize("where", ["pipe", "terminal"])
def test_server_escapes_are_shown_never_obeyed(
    hostile: Any, env: dict[str, str], command: tuple[str, ...], shown: str, where: str
) -> None:
    run = _on_a_pipe if where == "pipe" else _on_a_terminal
    _, output = run(_argv(hostile, command), env)
    assert shown in output, output
    for raw in RAW:
        assert raw not in output, (raw, output)


@pytest.mark.parametrize("command", [("list",), ("get", "ESC1")])
def test_json_output_escapes_them_and_keeps_the_values(
    hostile: Any, env: dict[str, str], command: tuple[str, ...]
) -> None:
    code, output = _on_a_pipe(["--json", *_argv(hostile, command)], env)
    assert code == 0, output
    for raw in RAW:
        assert raw not in output
    document = json.loads(output)
    secret = document["data"][0] if command == ("list",) else document
    assert secret["description"] == f"desc{ESCAPES}"  # the same value, only escaped


# --------------------------------------------------------------------------- wrong URL


def test_a_wrong_api_url_is_named_in_the_error_line(hostile: Any, env: dict[str, str]) -> None:
    url = hostile.url("envelope404")
    code, output = _on_a_pipe(["--api-url", url, "--token", "tok-secret-1", "list"], env)
    assert code == 2, output
    assert "the API URL looks wrong" in output
    assert f"(in use: {url})" in output
    assert "expired, deleted or used-up" not in output
    assert "tok-secret-1" not in output


def test_sharokey_test_reports_a_wrong_url_as_configuration(
    hostile: Any, env: dict[str, str]
) -> None:
    url = hostile.url("html404")
    code, output = _on_a_pipe(["--api-url", url, "--token", "tok", "test"], env)
    assert code == 1, output
    assert checks_of(output) == [
        ("FAIL", "configuration"),
        ("SKIP", "network"),
        ("SKIP", "authentication"),
        ("SKIP", "read access"),
        ("SKIP", "statistics"),
    ]
    assert f"in use: {url}" in output


def test_the_emulator_without_its_api_path_is_a_wrong_url(
    emulator: Any, env: dict[str, str]
) -> None:
    root = emulator.api_url.split("/api/")[0]
    code, output = _on_a_pipe(["--api-url", root, "--token", "live-test-token-0001", "list"], env)
    assert code == 2, output
    assert f"the API URL looks wrong (in use: {root})" in output
    code, output = _on_a_pipe(["--api-url", root, "test"], env)
    assert ("FAIL", "configuration") in checks_of(output), output


def test_timeout_bounds_each_attempt_in_all_and_the_line_counts_them(
    hostile: Any, env: dict[str, str]
) -> None:
    # Headers a byte every 0.2 s for 24 s: only --timeout's total can stop each attempt.
    url = hostile.url("trickle-headers")
    code, output = _on_a_pipe(["--api-url", url, "--token", "tok", "--timeout", "1", "stats"], env)
    assert code == 5, output
    assert "limit 1 s in all per attempt" in output
    assert "Gave up after 3 attempts," in output
