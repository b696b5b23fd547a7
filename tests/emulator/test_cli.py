"""``python -m sharokey.emulator``: starts, prints its real URL and tokens, stops cleanly."""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sharokey.emulator.cli import build_parser, main

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
URL_RE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)/api/v1)")


class Served:
    """A running ``python -m sharokey.emulator`` and the lines it printed."""

    def __init__(self, *args: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sharokey.emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def wait_for(self, pattern: str) -> re.Match[str]:
        while True:
            line = self.lines.get(timeout=30)
            if not line:
                raise AssertionError(f"the emulator exited early; printed: {self.seen}")
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for one in started:
        one.kill()


def test_cli_serves_on_the_bound_port_and_exits_0_on_sigint(
    served: list[Served], tmp_path: Path
) -> None:
    db = tmp_path / "cli.sqlite3"
    emulator = Served(
        "--db",
        str(db),
        "--token",
        "cli-token",
        "--readonly-token",
        "ro-1",
        "--log-level",
        "warning",
    )
    served.append(emulator)
    api_url, port = emulator.wait_for(URL_RE.pattern).groups()
    assert int(port) > 0
    emulator.wait_for(r"token:\s+cli-token")
    emulator.wait_for(r"read-only:\s+ro-1$")
    refused = requests.post(
        api_url + "/secrets", json={}, headers={"Authorization": "Bearer ro-1"}, timeout=30
    )
    assert refused.status_code == 403
    assert requests.get(api_url + "/health", timeout=30).json()["data"]["status"] == "ok"
    listed = requests.get(
        api_url + "/secrets", headers={"Authorization": "Bearer cli-token"}, timeout=30
    )
    assert listed.status_code == 200
    assert emulator.stop(signal.SIGINT) == 0
    assert db.exists()


def test_cli_generates_and_prints_a_token_and_exits_0_on_sigterm(served: list[Served]) -> None:
    emulator = Served("--db", ":memory:", "--quota", "1", "--list-shape", "items")
    served.append(emulator)
    api_url = emulator.wait_for(URL_RE.pattern).group(1)
    token = emulator.wait_for(r"token:\s+(\S+)").group(1)
    listed = requests.get(
        api_url + "/secrets", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert listed.status_code == 200
    assert "items" in listed.json()["data"]
    assert emulator.stop(signal.SIGTERM) == 0


def test_cli_refuses_a_bad_fault_rule_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fault", "GET * 418", "--db", ":memory:"]) == 2
    assert "not a fault" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        (["--quota", "-1"], "error: --quota must be zero or more\n"),
        (["--port", "65536"], "error: --port must be between 0 and 65535\n"),
        (["--port", "-1"], "error: --port must be between 0 and 65535\n"),
    ],
)
def test_cli_refuses_bad_numbers_with_exit_2(
    capsys: pytest.CaptureFixture[str], option: list[str], complaint: str
) -> None:
    assert main([*option, "--db", ":memory:"]) == 2
    assert capsys.readouterr().err == complaint


def test_cli_on_a_port_already_taken_says_so_and_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        done = subprocess.run(
            [sys.executable, "-m", "sharokey.emulator", "--port", str(port), "--db", ":memory:"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"error: cannot serve on 127.0.0.1:{port}: " in done.stderr
    assert "Traceback" not in done.stderr


def test_build_parser_mounts_on_a_subcommand_and_documents_faults() -> None:
    top = argparse.ArgumentParser(prog="sharokey")
    sub = top.add_subparsers(dest="command")
    build_parser(sub.add_parser("emulator"))
    args = top.parse_args(
        ["emulator", "--port", "0", "--token", "a", "--token", "b", "--fault", "* * drop x1"]
    )
    assert (args.command, args.port, args.token, args.fault) == (
        "emulator",
        0,
        ["a", "b"],
        ["* * drop x1"],
    )
    assert (args.host, args.db, args.list_shape, args.max_body_mib) == (
        "127.0.0.1",
        "./sharokey-emulator.sqlite3",
        "documented",
        16,
    )
    text = build_parser().format_help()
    for example in (
        "POST /api/v1/secrets 503x1 retry-after=1",
        "* * drop x1",
        "GET * truncate x1",
        "POST /api/v1/secrets delay-after=5 x1",
    ):
        assert example in text
    assert "delay-after=S" in text


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--public-url", "ftp://example.test"], "the public URL must be http(s)"),
        (["--max-body-mib", "0"], "the body cap must be above 0"),
    ],
)
def test_cli_refuses_a_bad_public_url_or_body_cap_with_exit_2(
    option: list[str], message: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "sharokey.emulator", "--port", "0", "--db", ":memory:", *option],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"error: {message}" in done.stderr
    assert "Traceback" not in done.stderr
