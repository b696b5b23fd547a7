"""The ``sharokey`` command without a server: parsing, exit codes, names, output, config.

Also its error paths (what the line says, which exit code; a closed pipe; the emulator without
aiohttp), ``config --show`` with nothing configured and ``sharokey test`` stopping at a
configuration that cannot work. A few tests run ``python -m sharokey`` to meet what only a real
process has.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sharokey import cli, errors
from sharokey._cli import commands, files, output
from sharokey._cli.errors import UsageError
from sharokey._mask import mask

from ._support import checks_of, subprocess_env

#: A token the diagnostics are configured with: random, so that seeing it printed is a leak.
TOKEN = "tokCANARY" + secrets.token_hex(12)

# --------------------------------------------------------------------------- help


def test_help_lists_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in (
        "list",
        "create",
        "get",
        "delete",
        "stats",
        "reveal",
        "create-request",
        "list-requests",
        "get-request",
        "delete-request",
        "request-stats",
        "config",
        "test",
        "emulator",
        "demo",
    ):
        assert f"\n    {command} " in text
    assert "exit codes:" in text
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "130 "):
        assert f"\n  {code}" in text


@pytest.mark.parametrize(
    "command",
    ["list", "create", "get", "delete", "stats", "reveal", "create-request", "config", "test"],
)
def test_each_command_help_shows_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert f"sharokey {command}" in text


def test_help_runs_without_loading_the_client_or_http_libraries(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sharokey", "--help"],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        check=False,
    )
    assert result.returncode == 0
    assert "exit codes:" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    for heavy in ("requests", "aiohttp", "cattrs", "sharokey.client", "sharokey.emulator"):
        assert heavy not in imported, heavy


def test_no_command_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: sharokey" in capsys.readouterr().err


def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["create", "x", "--hours", "soon"]) == 2
    assert "--hours" in capsys.readouterr().err
    assert cli.main(["list", "--limit", "0"]) == 2
    assert cli.main(["bogus"]) == 2
    assert cli.main(["create", "x", "--otp-email", "a@b.c", "--otp-phone", "+33600000000"]) == 2


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["list", "--limit", "ten"], "argument --limit: expected a whole number, got 'ten'"),
        (["list-requests", "--page", "0"], "argument --page: must be 1 or more, got 0"),
        (["--timeout", "soon", "list"], "expected a number of seconds, got 'soon'"),
        (["list", "--timeout", "0"], "must be a positive number of seconds, got 0"),
        (["stats", "--timeout", "nan"], "must be a positive number of seconds, got nan"),
        (["stats", "--timeout", "inf"], "must be a positive number of seconds, got inf"),
        (["config", "--timeout", "-1.5"], "must be a positive number of seconds, got -1.5"),
    ],
)
def test_numbers_out_of_shape_exit_2_saying_what_was_expected(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "usage: sharokey" in err
    assert not isolated_home.exists()  # config stored nothing


def test_global_options_are_accepted_before_and_after_the_command() -> None:
    parser = cli.build_parser()
    before = parser.parse_args(["--json", "--api-url", "http://a/api/v1", "--token", "T", "stats"])
    after = parser.parse_args(["stats", "--json", "--api-url", "http://a/api/v1", "--token", "T"])
    for args in (before, after):
        assert (args.g_json, args.g_api_url, args.g_token) == (True, "http://a/api/v1", "T")
    mixed = parser.parse_args(["--token", "T", "list", "--timeout", "2.5"])
    assert (mixed.g_token, mixed.g_timeout) == ("T", 2.5)


def test_server_commands_refuse_client_options_without_echoing_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--token", "canary-token-value", "emulator"]) == 2
    err = capsys.readouterr().err
    assert "--token" in err
    assert "canary-token-value" not in err


def test_demo_is_mounted_and_gets_its_own_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    import sharokey.demo

    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(list(argv))
        return 7

    monkeypatch.setattr(sharokey.demo, "main", fake_main)
    assert cli.main(["demo", "--token", "x", "--help"]) == 7
    assert seen == [["--token", "x", "--help"]]


def test_emulator_is_mounted_with_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("aiohttp")
    with pytest.raises(SystemExit) as exc:
        cli.main(["emulator", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "--fault" in text and "--token" in text


def test_emulator_without_aiohttp_says_how_to_install_it(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['aiohttp'] = None; "  # as if it were not installed
        "from sharokey.cli import main; sys.exit(main(['emulator', '--port', '0']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "error: the emulator needs aiohttp, which is not installed. "
        "Install it with: pip install 'sharokey[aiohttp]'.\n"
    )


def test_keyboard_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sharokey._cli import commands

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(commands.COMMANDS, "stats", interrupted)
    assert cli.main(["stats"]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip() == "interrupted"
    assert "Traceback" not in captured.err


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.DecryptionError(), 6),
        (errors.NetworkError(), 5),
        (errors.RequestTimeoutError(), 5),
        (errors.NotFoundError(), 4),
        (errors.AuthenticationError(code="TOKEN_MISSING"), 3),
        (errors.AuthenticationError(), 3),
        (errors.PermissionDeniedError(), 3),
        (errors.ProtectionError(), 3),
        (errors.OtpRequiredError(details={"channel": "email"}), 3),
        (errors.ValidationError(), 2),
        (errors.ConfigurationError(), 2),
        (errors.QuotaExceededError(), 1),
        (errors.RateLimitError(), 1),
        (errors.ServerError(), 1),
        (errors.InvalidResponseError(), 1),
        (errors.SharokeyError(), 1),
        (UsageError("bad"), 2),
        (cli.CliError("declined"), 1),
        (OSError(28, "No space left on device"), 1),
    ],
)
def test_every_error_class_has_its_exit_code(error: BaseException, code: int) -> None:
    assert cli.exit_code_for(error) == code


def test_error_lines_say_what_went_wrong_and_what_to_do() -> None:
    line = cli.describe_error(errors.NotFoundError("Secret not found or expired"), "get")
    assert line.startswith("error: Secret not found or expired. ")
    assert "\n" not in line
    otp = errors.OtpRequiredError(details={"channel": "email", "destination": "b***@example.com"})
    assert "b***@example.com" in cli.describe_error(otp)
    assert "--otp" in cli.describe_error(otp)
    limited = errors.RateLimitError(retry_after=12)
    assert "12 s" in cli.describe_error(limited)
    validation = errors.ValidationError("hours must be between 1 and 1000.")
    assert "sharokey create --help" in cli.describe_error(validation, "create")


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


def test_an_unexpected_failure_is_one_line_and_debug_adds_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("internal detail that may hold anything")

    monkeypatch.setitem(commands.COMMANDS, "stats", broken)
    assert cli.main(["stats"]) == 1
    err = capsys.readouterr().err
    assert err == "error: unexpected RuntimeError. Rerun with --debug to see the traceback.\n"

    assert cli.main(["--debug", "stats"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "RuntimeError: internal detail" in err
    assert err.endswith(
        "error: unexpected RuntimeError. Rerun with --debug to see the traceback.\n"
    )


def test_a_reader_that_went_away_ends_the_command_quietly(tmp_path: Path) -> None:
    # `sharokey config --show --json | head -c0`: the pipe is closed before anything is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "sharokey", "config", "--show", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=subprocess_env(tmp_path),
            check=False,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""  # no traceback, no "Exception ignored" at exit


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../evil.txt", "evil.txt"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\windows\\evil.dll", "evil.dll"),
        ("C:evil.txt", "C_evil.txt"),
        ("..", "attachment"),
        (".", "attachment"),
        ("", "attachment"),
        ("   ", "attachment"),
        (".bashrc", "bashrc"),
        ("a\x00b.txt", "a_b.txt"),
        ("\x1b[31mred.txt", "_[31mred.txt"),
        ("\u202etxt.exe", "_txt.exe"),
        ('a<b>:"c"|?*.txt', "a_b___c____.txt"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("trailing. . ", "trailing"),
        ("photo ünïcode.png", "photo ünïcode.png"),
    ],
)
def test_attachment_names_are_made_safe(name: str, expected: str) -> None:
    assert files.safe_name(name) == expected


def test_very_long_names_are_shortened_keeping_the_extension() -> None:
    name = files.safe_name("é" * 300 + ".tar.gz")
    assert name.endswith(".gz")
    assert len(name.encode("utf-8")) <= 255


def test_a_long_sent_name_with_no_real_extension_is_cut_as_a_whole() -> None:
    # A 100-character "extension" is not one: keeping it would leave no name.
    sent = "x" * 150 + "." + "y" * 100
    saved = files.safe_name(sent)
    assert saved == sent[:200]
    assert files.safe_name("z" * 300 + ".pdf") == "z" * 196 + ".pdf"


def test_colliding_names_get_suffixes() -> None:
    assert files.unique_names(["a.txt", "A.TXT", "../a.txt", "b", "b"]) == [
        "a.txt",
        "A-2.TXT",
        "a-3.txt",
        "b",
        "b-2",
    ]


def test_write_files_never_leaves_the_directory_nor_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_bytes(b"mine")
    saved = files.write_files(
        out,
        [("../../escape.txt", b"1"), ("keep.txt", b"theirs"), ("/abs/keep.txt", b"3")],
        force=False,
    )
    assert [p.path.parent for p in saved] == [out, out, out]
    assert (out / "keep.txt").read_bytes() == b"mine"
    assert sorted(p.name for p in out.iterdir()) == [
        "escape.txt",
        "keep-2.txt",
        "keep-3.txt",
        "keep.txt",
    ]
    assert saved[1].existed and not saved[0].existed
    assert not (tmp_path / "escape.txt").exists()


def test_force_replaces_a_symlink_instead_of_following_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    (out / "x.txt").symlink_to(target)
    files.write_files(out, [("x.txt", b"new")], force=True)
    assert target.read_bytes() == b"precious"
    assert not (out / "x.txt").is_symlink()
    assert (out / "x.txt").read_bytes() == b"new"


def test_without_force_a_symlink_in_the_way_is_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    (out / "x.txt").symlink_to(target)
    saved = files.write_files(out, [("x.txt", b"new")], force=False)
    assert target.read_bytes() == b"precious"
    assert saved[0].path == out / "x-2.txt"


# --------------------------------------------------------------------------- output


def test_relative_times_read_naturally() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert output.relative(now + timedelta(hours=23, minutes=20), now) == "in 23 h"
    assert output.relative(now + timedelta(hours=23, minutes=59), now) == "in 24 h"
    assert output.relative(now, now) == "just now"
    assert output.relative(now - timedelta(days=2, hours=1), now) == "2 d ago"
    assert output.relative(now + timedelta(minutes=5), now) == "in 5 min"
    assert output.expiry_phrase(now + timedelta(hours=5), False, now) == "expires in 5 h"
    assert output.expiry_phrase(now - timedelta(days=3), True, now) == "expired 3 d ago"
    assert output.expiry_phrase(now + timedelta(hours=5), True, now) == "expired"


def test_times_read_naturally_in_the_past_and_future() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert output.relative(now + timedelta(seconds=30), now) == "in 30 s"
    assert output.relative(now - timedelta(seconds=45), now) == "45 s ago"
    assert output.relative(now - timedelta(minutes=90), now) == "2 h ago"
    # A time without a zone is UTC, as the service sends them.
    naive = datetime(2025, 1, 1, 13, 0)
    assert output.relative(naive, now) == "in 1 h"
    assert output.format_when(naive, now) == "2025-01-01 13:00 UTC (in 1 h)"
    assert output.format_when(None) == "-"
    assert output.expiry_phrase(naive, False, now) == "expires in 1 h"
    assert output.expiry_phrase(None, False, now) == "no expiry given"
    assert output.expiry_phrase(None, True, now) == "expired"


def test_masking_shows_only_a_prefix() -> None:
    assert mask("abcdefghijklmnop") == "abcd…"
    assert mask("short") == "…"
    assert mask(None) == "(none)"


def test_terminal_control_characters_are_escaped() -> None:
    assert output.clean("ok\x1b]0;pwned\x07") == "ok\\x1b]0;pwned\\x07"
    assert output.clean("a\nb", keep_newlines=True) == "a\nb"


def test_tables_align_columns() -> None:
    buffer = io.StringIO()
    output.table(("A", "BB"), [("xxx", "y"), ("z", "wwww")], buffer)
    assert buffer.getvalue().splitlines() == ["A    BB", "xxx  y", "z    wwww"]


# --------------------------------------------------------------------------- config


def test_config_stores_the_token_from_stdin_privately_and_show_masks_it(
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = "tok_CANARY_0123456789abcdef"
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    assert cli.main(["config", "--token", "-", "--api-url", "http://127.0.0.1:1/api/v1"]) == 0
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err
    path = isolated_home / "sharokey" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["token"] == token

    assert cli.main(["config", "--show"]) == 0
    shown = capsys.readouterr().out
    assert "tok_…" in shown and token not in shown
    assert "http://127.0.0.1:1/api/v1" in shown

    assert cli.main(["config", "--show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["token"] == "tok_…"
    assert data["token_source"] == "config file"


def test_config_show_names_the_environment_when_it_wins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["config", "--token", "from_file_0123456789"]) == 0
    monkeypatch.setenv("SHAROKEY_TOKEN", "from_env_0123456789")
    monkeypatch.setenv("SHAROKEY_API_URL", "http://127.0.0.1:2/api/v1")
    capsys.readouterr()
    assert cli.main(["--json", "config", "--show"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["token"], data["token_source"]) == ("from…", "environment")
    assert (data["api_url"], data["api_url_source"]) == ("http://127.0.0.1:2/api/v1", "environment")


def test_config_refuses_an_empty_token_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert cli.main(["config", "--token", "-"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_config_refuses_a_bad_api_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config", "--api-url", "ftp://example.com"]) == 2
    assert "http" in capsys.readouterr().err


def test_config_show_with_nothing_configured(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    assert cli.main(["config"]) == 0  # no option: the same as --show
    out = capsys.readouterr().out
    path = isolated_home / "sharokey" / "config.json"
    assert out.splitlines() == [
        f"Config file:  {path} (not created yet)",
        "Profile:      default (from default)",
        "Token:        (none: pass --token, set SHAROKEY_TOKEN or run `sharokey config --token -`)",
        "API URL:      https://api.sharokey.com/api/v1 (from default)",
        "Timeout:      default (connect 5 s, read 30 s, 60 s in all)",
        "Hours:        default (24)",
        "Views:        default (1)",
        "Nonces:       default (shared, with a warning)",
    ]
    assert not path.exists()
    assert cli.main(["config", "--show", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "path": str(path),
        "file_exists": False,
        "profile": "default",
        "profile_source": "default",
        "token": None,
        "token_source": None,
        "api_url": "https://api.sharokey.com/api/v1",
        "api_url_source": "default",
        "timeout": None,
        "hours": None,
        "views": None,
        "attachment_nonces": None,
    }


def test_config_show_names_arguments_as_the_source(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--api-url", "http://127.0.0.1:9/api/v1", "--token", "tokARGUMENT0000", "config"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"^Token:\s+tokA… \(from argument\)$", out, re.M)
    assert re.search(r"^API URL:\s+http://127\.0\.0\.1:9/api/v1 \(from argument\)$", out, re.M)
    assert "tokARGUMENT0000" not in out


def test_config_saves_and_shows_in_one_go_and_json_names_what_was_saved(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    path = isolated_home / "sharokey" / "config.json"
    assert cli.main(["config", "--timeout", "12.5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "path": str(path),
        "profile": "default",
        "saved": ["timeout"],
        "unset": [],
    }
    assert cli.main(["config", "--token", "tokSAVED00000000", "--show"]) == 0
    out = capsys.readouterr().out
    assert "saved" not in out
    assert re.search(r"^Token:\s+tokS… \(from config file\)$", out, re.M)
    assert re.search(r"^Timeout:\s+12\.5 s$", out, re.M)
    assert json.loads(path.read_text())["token"] == "tokSAVED00000000"


# --------------------------------------------------------------------------- sharokey test


def test_diagnostics_stop_at_a_configuration_that_cannot_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAROKEY_TOKEN", TOKEN)
    monkeypatch.setenv("SHAROKEY_API_URL", "ftp://files.example.com/api")
    assert cli.main(["test"]) == 1
    out = capsys.readouterr().out
    assert checks_of(out) == [
        ("FAIL", "configuration"),
        ("SKIP", "network"),
        ("SKIP", "authentication"),
        ("SKIP", "read access"),
        ("SKIP", "statistics"),
    ]
    assert "needs a valid configuration" in out
    assert out.endswith("Some checks failed.\n")
    assert TOKEN not in out
