"""Passwords, tokens and one-time codes from a file or the environment, as scripts pass them.

Each of ``--password``, ``--token`` and ``--otp`` has a ``-file PATH`` and an
``-env NAME`` twin: the value stays out of the process list and shell history.
A file loses exactly one trailing newline; a missing file or variable is a
usage error (exit 2) that names the flag typed, never the value.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from ._support import TOKEN, Run, link_in, slug_of

pytestmark = pytest.mark.live


def test_password_from_a_file_then_from_the_environment(
    sk: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "pw-" + secrets.token_hex(8)
    path = tmp_path / "pw.txt"
    path.write_text(password + "\n")
    created = sk("create", "behind a password", "--password-file", str(path))
    assert created.code == 0, created.err
    link = link_in(created)

    monkeypatch.setenv("REVEAL_PW", password)
    revealed = sk("reveal", link, "--password-env", "REVEAL_PW")
    assert (revealed.code, revealed.out) == (0, "behind a password")
    assert password not in revealed.err + created.err + created.out


def test_a_file_loses_exactly_one_trailing_newline(
    sk: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pw.txt"
    path.write_bytes(b"two lines\n\n")  # the password is "two lines\n"
    link = link_in(sk("create", "kept", "--views", "2", "--password-file", str(path)))

    monkeypatch.setenv("SHORT", "two lines")
    wrong = sk("reveal", link, "--password-env", "SHORT")
    assert wrong.code == 3, wrong.err
    monkeypatch.setenv("EXACT", "two lines\n")
    right = sk("reveal", link, "--password-env", "EXACT")
    assert (right.code, right.out) == (0, "kept")


def test_token_from_a_file_or_the_environment(
    sk: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHAROKEY_TOKEN")
    assert sk("list").code == 3  # no token anywhere: the flags below are what work
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    from_file = sk("list", "--json", "--token-file", str(path))
    assert from_file.code == 0, from_file.err
    monkeypatch.setenv("CI_SHAROKEY", TOKEN)
    before_command = sk("--token-env", "CI_SHAROKEY", "stats", "--json")
    assert before_command.code == 0, before_command.err


def test_config_stores_a_token_from_the_environment(
    sk: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEW_TOKEN", TOKEN)
    stored = sk("config", "--token-env", "NEW_TOKEN")
    assert stored.code == 0, stored.err
    assert TOKEN not in stored.out + stored.err
    monkeypatch.delenv("SHAROKEY_TOKEN")
    assert sk("stats").code == 0


def test_one_time_code_from_the_environment(
    sk: Run, emu: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    link = link_in(sk("create", "otp protected", "--otp-email", "bob@example.com"))
    assert sk("reveal", link).code == 3  # sends the code
    monkeypatch.setenv("THE_CODE", str(emu.last_otp(slug_of(link))))
    revealed = sk("reveal", link, "--otp-env", "THE_CODE")
    assert (revealed.code, revealed.out) == (0, "otp protected")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["create", "x", "--password-env", "NO_SUCH_VAR_15"], "--password-env NO_SUCH_VAR_15"),
        (["reveal", "https://h/s/AB#k", "--otp-env", "NO_SUCH_VAR_15"], "--otp-env NO_SUCH"),
        (["list", "--token-env", "NO_SUCH_VAR_15"], "--token-env NO_SUCH_VAR_15"),
        (["--token-file", "/nonexistent/t", "stats"], "--token-file /nonexistent/t: no such"),
        (["create", "x", "--password-file", "/nonexistent/p"], "--password-file /nonexistent/p"),
        (["create", "x", "--password-file", "."], "is a directory"),
        (
            ["create", "x", "--password=a", "--password-env", "HOME"],
            "--password and --password-env",
        ),
    ],
)
def test_a_missing_source_is_a_usage_error_naming_the_flag(
    sk: Run, argv: list[str], named: str
) -> None:
    result = sk(*argv)
    assert result.code == 2, result.err
    assert named in result.err
    assert result.err.startswith("error: ")


def test_an_empty_source_is_refused_without_showing_anything(
    sk: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "empty"
    path.write_text("\n")
    empty_file = sk("create", "x", "--password-file", str(path))
    assert (empty_file.code, empty_file.out) == (2, "")
    assert f"--password-file {path}: is empty" in empty_file.err
    monkeypatch.setenv("EMPTY", "")
    assert "--token-env EMPTY: is empty" in sk("list", "--token-env", "EMPTY").err


def test_errors_never_show_the_value(sk: Run, tmp_path: Path) -> None:
    path = tmp_path / "binary"
    path.write_bytes(b"\xff\xfe secret-bytes")
    result = sk("create", "x", "--password-file", str(path))
    assert result.code == 2
    assert "not UTF-8" in result.err
    assert "secret-bytes" not in result.err


def test_a_windows_line_end_counts_as_the_one_newline(sk: Run, tmp_path: Path) -> None:
    path = tmp_path / "pw.txt"
    path.write_bytes(b"crlf-pw\r\n")
    link = link_in(sk("create", "from windows", "--password-file", str(path)))
    revealed = sk("reveal", link, "--password=crlf-pw")
    assert (revealed.code, revealed.out) == (0, "from windows")


def test_a_file_far_too_big_for_a_password_is_refused_unread(sk: Run, tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * (64 * 1024 + 1))
    result = sk("create", "x", "--password-file", str(path))
    assert result.code == 2
    assert f"--password-file {path}: larger than 64 KiB" in result.err
