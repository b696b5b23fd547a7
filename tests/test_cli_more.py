"""More of the ``sharokey`` command as a user meets it.

Error paths (what the line says, which exit code), layouts at their edges,
the JSON document of each command, ``config --show`` without a file, and
``sharokey test`` failing at each of its stages. Most tests run ``main(argv)``
against an emulator started by the test; a few run ``python -m sharokey`` to
meet what only a real process has (a closed pipe, an ASCII locale).
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Union

import attrs
import pytest

from sharokey import cli, errors
from sharokey._cli import terminal

emulator = pytest.importorskip("sharokey.emulator")

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "tokMORE" + secrets.token_hex(12)
LINK_RE = re.compile(r"https?://\S+/s/\S+#[A-Za-z0-9]{24}")


@attrs.frozen
class Result:
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


@pytest.fixture
def emu() -> Iterator[Any]:
    with emulator.run_emulator(tokens=[TOKEN]) as handle:
        yield handle


@pytest.fixture
def sk(emu: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``sharokey ARGS`` in-process, configured for the emulator through the environment."""
    monkeypatch.setenv("SHAROKEY_TOKEN", TOKEN)
    monkeypatch.setenv("SHAROKEY_API_URL", emu.api_url)

    def run(*argv: str, stdin: Union[str, bytes] = b"") -> Result:
        capsys.readouterr()
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def _subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHAROKEY_")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _link(result: Result) -> str:
    match = LINK_RE.search(result.out)
    assert match, result.out + result.err
    return match.group(0)


def _slug(link: str) -> str:
    return link.split("#")[0].rstrip("/").rsplit("/", 1)[-1]


# --------------------------------------------------------------------------- error lines


@pytest.mark.live
def test_a_field_the_server_refused_is_named_once(sk: Run, emu: Any) -> None:
    # Two letters pass the SDK's check; the service knows ZZ is no country. Its
    # summary is the field's own message, which the line must not repeat.
    result = sk("create", "x", "--geolocation", "ZZ")
    assert result.code == 2
    assert result.err == (
        "error: The geolocation must be comma-separated ISO 3166 alpha-2 country codes. "
        "See `sharokey create --help` for the accepted values.\n"
    )
    assert emu.secret_count() == 0


def test_fields_the_server_summary_left_out_are_named() -> None:
    refused = errors.ValidationError(
        "The content field is required",
        status=422,
        details={
            "content": ["The content field is required"],
            "expiration": ["Must be between 1 and 1000 hours"],
        },
    )
    assert cli.describe_error(refused, "create") == (
        "error: The content field is required (expiration: Must be between 1 and 1000 hours). "
        "See `sharokey create --help` for the accepted values."
    )
    generic = errors.ValidationError(
        "The given data was invalid.", status=422, details={"views": ["too many", "not a number"]}
    )
    assert cli.describe_error(generic) == (
        "error: The given data was invalid (views: too many, not a number). "
        "See `sharokey --help` for the accepted values."
    )
