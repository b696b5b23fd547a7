"""What the CLI test modules share: a command's result and an isolated home."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import attrs
import pytest

from sharokey._cli import terminal


@attrs.frozen
class Result:
    """Exit code, standard output and standard error of one `sharokey` run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read or write the real user's configuration; no terminal unless a test says so."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SHAROKEY_TOKEN", raising=False)
    monkeypatch.delenv("SHAROKEY_API_URL", raising=False)
    monkeypatch.setattr(terminal, "interactive", lambda: False)
    monkeypatch.setattr(terminal, "can_prompt_secret", lambda: False)
    return tmp_path / "xdg"
