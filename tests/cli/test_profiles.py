"""Profiles: named sections of the config file, chosen by ``--profile`` or ``SHAROKEY_PROFILE``.

Each command runs as ``python -m sharokey`` with a home of its own, against the
emulator. Precedence, for every setting: flag > environment > profile > default.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ._support import OTHER_TOKEN, TOKEN, Result, subprocess_env

pytestmark = pytest.mark.live

DEAD_URL = "http://127.0.0.1:9/api/v1"  # nothing listens on the discard port


@pytest.fixture
def sharokey(tmp_path: Path) -> Any:
    """``sharokey(*argv, stdin="", **env)``: one run of the command, with this test's home."""

    def run(*argv: str, stdin: str = "", **env: str) -> Result:
        done = subprocess.run(
            [sys.executable, "-m", "sharokey", *argv],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=subprocess_env(tmp_path, **env),
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "sharokey" / "config.json"


def _store(sharokey: Any, *argv: str, stdin: str = "") -> None:
    done = sharokey("config", *argv, stdin=stdin)
    assert done.code == 0, done.err


def test_a_config_file_from_before_profiles_keeps_working(
    sharokey: Any, emu: Any, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(json.dumps({"token": TOKEN, "api_url": emu.api_url}))
    listed = sharokey("list")
    assert listed.code == 0, listed.err
    assert "No secrets." in listed.out
    shown = sharokey("config", "--show", "--json").json()
    assert (shown["profile"], shown["token_source"]) == ("default", "config file")


def test_config_profile_stores_a_token_from_stdin_into_a_private_file(
    sharokey: Any, emu: Any, config_file: Path
) -> None:
    _store(sharokey, "--token", "-", "--api-url", DEAD_URL, stdin=OTHER_TOKEN + "\n")
    _store(sharokey, "--profile", "staging", "--token", "-", "--api-url", emu.api_url, stdin=TOKEN)
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    data = json.loads(config_file.read_text())
    assert data["token"] == OTHER_TOKEN  # the default profile is untouched
    assert data["profiles"]["staging"] == {"token": TOKEN, "api_url": emu.api_url}

    assert sharokey("--profile", "staging", "stats").code == 0
    assert sharokey("stats", "--profile", "staging").code == 0  # after the command too
    assert sharokey("stats", SHAROKEY_PROFILE="staging").code == 0
    assert sharokey("stats").code == 5  # the default profile points nowhere


def test_precedence_is_flag_then_environment_then_profile_then_default(
    sharokey: Any, emu: Any
) -> None:
    _store(sharokey, "--profile", "good", "--token", "-", "--api-url", emu.api_url, stdin=TOKEN)
    _store(sharokey, "--profile", "dead", "--token", "-", "--api-url", DEAD_URL, stdin=TOKEN)

    # --profile beats SHAROKEY_PROFILE.
    assert sharokey("stats", "--profile", "good", SHAROKEY_PROFILE="dead").code == 0
    # The environment beats the profile; the flag beats the environment.
    assert sharokey("stats", "--profile", "dead", SHAROKEY_API_URL=emu.api_url).code == 0
    wrong_env = {"SHAROKEY_API_URL": DEAD_URL}
    assert sharokey("stats", "--profile", "good", **wrong_env).code == 5
    assert sharokey("stats", "--profile", "dead", "--api-url", emu.api_url, **wrong_env).code == 0
    # The same for the token: flag > environment > profile.
    bad = {"SHAROKEY_TOKEN": "tokWRONG0000000000"}
    assert sharokey("stats", "--profile", "good", **bad).code == 3
    assert sharokey("stats", "--profile", "good", "--token-env", "T", T=TOKEN, **bad).code == 0
    shown = sharokey("config", "--show", "--profile", "good", "--json", **bad).json()
    assert (shown["token_source"], shown["api_url_source"]) == ("environment", "config file")
    # Nothing stored anywhere: the default URL.
    default = sharokey("config", "--show", "--json").json()
    assert (default["api_url_source"], default["profile_source"]) == ("default", "default")


def _hours_left(document: dict[str, Any]) -> float:
    expiration = datetime.fromisoformat(document["expiration"].replace("Z", "+00:00"))
    return (expiration - datetime.now(timezone.utc)).total_seconds() / 3600


def test_create_takes_hours_and_views_from_the_profile_unless_flagged(
    sharokey: Any, emu: Any
) -> None:
    _store(sharokey, "--token", "-", "--api-url", emu.api_url, stdin=TOKEN)
    _store(sharokey, "--hours", "48", "--views", "3")
    created = sharokey("create", "team secret", "--json")
    assert created.code == 0, created.err
    assert created.json()["maximum_views"] == 3
    assert 47.5 < _hours_left(created.json()) <= 48

    flagged = sharokey("create", "one off", "--views", "1", "--hours", "2", "--json")
    assert flagged.json()["maximum_views"] == 1
    assert 1.5 < _hours_left(flagged.json()) <= 2

    _store(sharokey, "--unset", "hours", "--unset", "views")
    plain = sharokey("create", "defaults", "--json").json()
    assert plain["maximum_views"] == 1
    assert 23.5 < _hours_left(plain) <= 24


def test_a_profile_can_make_unique_nonces_the_default(
    sharokey: Any, emu: Any, tmp_path: Path
) -> None:
    _store(sharokey, "--token", "-", "--api-url", emu.api_url, stdin=TOKEN)
    note = tmp_path / "note.txt"
    note.write_text("attached")
    shared = sharokey("create", "x", "--attach", str(note), "--quiet")
    assert "shared-nonce format" in shared.err

    _store(sharokey, "--attachment-nonces", "unique")
    unique = sharokey("create", "x", "--attach", str(note), "--quiet")
    assert unique.code == 0, unique.err
    assert "shared-nonce" not in unique.err
    revealed = sharokey("reveal", unique.out.strip(), "--output-dir", str(tmp_path / "got"))
    assert revealed.code == 0, revealed.err
    assert (tmp_path / "got" / "note.txt").read_text() == "attached"
    # --shared-nonces is the user's explicit choice for this one secret.
    chosen = sharokey("create", "x", "--attach", str(note), "--quiet", "--shared-nonces")
    assert chosen.code == 0, chosen.err


def test_config_list_shows_every_profile_with_tokens_masked(sharokey: Any) -> None:
    _store(sharokey, "--token", "-", stdin=TOKEN)
    for name, token, more in (("staging", TOKEN, ["--hours", "8"]), ("ci", OTHER_TOKEN, [])):
        done = sharokey("config", "--profile", name, "--token-env", "T", *more, T=token)
        assert done.code == 0, done.err

    listed = sharokey("config", "--list", SHAROKEY_PROFILE="ci")
    assert listed.code == 0, listed.err
    rows = {line.split()[-7]: line for line in listed.out.splitlines()[2:-1]}
    assert set(rows) == {"default", "staging", "ci"}
    assert rows["ci"].startswith("* ")
    assert TOKEN[:4] + "…" in rows["default"] and OTHER_TOKEN[:4] + "…" in rows["ci"]
    assert " 8 " in rows["staging"]
    document = sharokey("config", "--list", "--json").json()
    assert document["selected"] == "default"
    assert document["profiles"]["ci"]["token"] == OTHER_TOKEN[:4] + "…"
    for shown in (listed.out + listed.err, json.dumps(document)):
        assert TOKEN not in shown and OTHER_TOKEN not in shown


def test_config_unset_removes_a_stored_token(sharokey: Any, config_file: Path) -> None:
    _store(sharokey, "--token", "-", "--timeout", "9", stdin=TOKEN)
    removed = sharokey("config", "--unset", "token")
    assert removed.code == 0, removed.err
    assert "Profile default: removed token" in removed.out
    assert json.loads(config_file.read_text()) == {"timeout": 9.0}
    assert sharokey("config", "--show", "--json").json()["token"] is None


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["config", "--unset", "password"], "argument --unset: invalid choice: 'password'"),
        (["config", "--hours", "0"], "--hours"),
        (["config", "--views", "5000"], "--views"),
        (["config", "--token", "tokX000000000000", "--unset", "token"], "cannot be used together"),
        (["config", "--profile", "../x", "--hours", "2"], "The profile name"),
        (["--profile", "nope", "list"], "There is no profile 'nope'"),
    ],
)
def test_what_a_profile_cannot_hold_is_refused(
    sharokey: Any, config_file: Path, argv: list[str], said: str
) -> None:
    done = sharokey(*argv)
    assert done.code == 2, done.err
    assert said in done.err
    assert not config_file.exists()
