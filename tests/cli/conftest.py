"""What every test of the command gets: a home of its own and no terminal; and, on request,
the emulator (`emu`) and the command pointed at it (`sk`)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Union

import pytest

from sharokey import cli
from sharokey._cli import terminal

from ._support import OTHER_TOKEN, TOKEN, Result, Run


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read or write the real user's configuration; no terminal unless a test says so."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SHAROKEY_TOKEN", raising=False)
    monkeypatch.delenv("SHAROKEY_API_URL", raising=False)
    monkeypatch.delenv("SHAROKEY_PROFILE", raising=False)
    monkeypatch.setattr(terminal, "interactive", lambda: False)
    monkeypatch.setattr(terminal, "can_prompt_secret", lambda: False)
    return tmp_path / "xdg"


@pytest.fixture
def emu() -> Iterator[Any]:
    """The emulator on loopback, accepting ``TOKEN`` and ``OTHER_TOKEN``."""
    emulator = pytest.importorskip("sharokey.emulator")
    with emulator.run_emulator(tokens=[TOKEN, OTHER_TOKEN]) as handle:
        yield handle


@pytest.fixture
def sk(emu: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``sharokey ARGS`` with the emulator configured through the environment."""
    monkeypatch.setenv("SHAROKEY_TOKEN", TOKEN)
    monkeypatch.setenv("SHAROKEY_API_URL", emu.api_url)

    def run(*argv: str, stdin: Union[str, bytes, IO[str], None] = b"") -> Result:
        """``stdin``: text or bytes to read, or the stream itself (``None``: there is none)."""
        capsys.readouterr()
        if isinstance(stdin, (str, bytes)):
            data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
            stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stdin)
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
