"""What every test of the command gets: a home of its own and no terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharokey._cli import terminal


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
