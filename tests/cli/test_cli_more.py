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
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Union

import pytest

from sharokey import cli, errors
from sharokey._cli import commands, files, output, terminal
from sharokey.client import Sharokey

from ._support import Result, Run, link_in, slug_of, subprocess_env

emulator = pytest.importorskip("sharokey.emulator")

TOKEN = "tokMORE" + secrets.token_hex(12)
#: The real check, kept before the autouse fixture replaces it for every test.
REAL_INTERACTIVE = terminal.interactive


@pytest.fixture
def emu() -> Iterator[Any]:
    with emulator.run_emulator(tokens=[TOKEN]) as handle:
        yield handle


@pytest.fixture
def sk(emu: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``sharokey ARGS`` in-process, configured for the emulator through the environment."""
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


@pytest.mark.live
def test_an_ascii_locale_gets_escapes_in_tables_and_exact_utf8_content(
    emu: Any, tmp_path: Path
) -> None:
    with Sharokey(TOKEN, api_url=emu.api_url) as client:
        link = client.create("naïve ☃ content", description="café ☃").share_url
    env = subprocess_env(
        tmp_path, SHAROKEY_TOKEN=TOKEN, SHAROKEY_API_URL=emu.api_url, PYTHONIOENCODING="ascii"
    )

    def run(*argv: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "sharokey", *argv],
            capture_output=True,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=60,
        )

    listing = run("list")
    assert listing.returncode == 0, listing.stderr
    assert b"caf\\xe9 \\u2603" in listing.stdout
    revealed = run("reveal", link)
    assert revealed.returncode == 0, revealed.stderr
    assert revealed.stdout == "naïve ☃ content".encode()
    assert b"Description: caf\\xe9 \\u2603" in revealed.stderr


# --------------------------------------------------------------------------- input


@pytest.mark.live
def test_a_windows_line_ending_on_stdin_is_dropped_like_a_newline(sk: Run) -> None:
    one = sk("create", "-", "--quiet", stdin="from notepad\r\n")
    assert one.code == 0, one.err
    assert sk("reveal", one.out.strip()).out == "from notepad"
    inner = sk("create", "-", "--quiet", stdin="a\r\nb\r\n")
    assert sk("reveal", inner.out.strip()).out == "a\r\nb"


@pytest.mark.live
def test_content_from_a_text_only_stdin_of_an_embedding_program(sk: Run) -> None:
    created = sk("create", "--quiet", stdin=io.StringIO("from a StringIO\n"))
    assert created.code == 0, created.err
    assert sk("reveal", created.out.strip()).out == "from a StringIO"


@pytest.mark.live
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["create", "-"], "error: there is no standard input to read the content from.\n"),
        (["create"], "error: there is no standard input to read the content from.\n"),
        (["reveal", "-"], "error: '-' needs the share link on standard input.\n"),
        (["config", "--token", "-"], "error: --token - needs the token on standard input.\n"),
    ],
)
def test_no_standard_input_at_all_is_a_usage_error(
    sk: Run, emu: Any, argv: list[str], said: str
) -> None:
    # Python's sys.stdin is None when the command starts with stdin closed (`<&-`).
    result = sk(*argv, stdin=None)
    assert (result.code, result.err) == (2, said)
    assert emu.secret_count() == 0


@pytest.mark.live
def test_a_closed_stdin_stream_is_no_terminal_to_confirm_on(
    sk: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug = slug_of(link_in(sk("create", "keep me")))
    monkeypatch.setattr(terminal, "interactive", REAL_INTERACTIVE)
    closed = io.StringIO()
    closed.close()
    result = sk("delete", slug, stdin=closed)
    assert result.code == 1
    assert "there is no terminal to ask on" in result.err and "--yes" in result.err
    assert sk("get", slug, "--json").json()["status"] == "active"


@pytest.mark.live
def test_a_directory_cannot_be_attached(sk: Run, emu: Any, tmp_path: Path) -> None:
    result = sk("create", "x", "--attach", str(tmp_path))
    assert result.code == 2
    assert result.err == f"error: cannot attach {tmp_path}: no such file. Check the path.\n"
    assert emu.secret_count() == 0


@pytest.mark.live
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_cannot_be_attached(sk: Run, emu: Any, tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("no")
    locked.chmod(0)
    result = sk("create", "x", "--attach", str(locked))
    assert result.code == 2
    assert "not readable" in result.err and "permissions" in result.err
    assert emu.secret_count() == 0


# --------------------------------------------------------------------------- details


@pytest.mark.live
def test_get_names_every_protection_and_its_settings(sk: Run) -> None:
    captcha = slug_of(link_in(sk("create", "a", "--captcha")))
    fenced = slug_of(
        link_in(
            sk(
                "create",
                "b",
                "--otp-phone",
                "+33612345678",
                "--ip-whitelist",
                "127.0.0.1",
                "--geolocation",
                "FR,be",
            )
        )
    )
    plain = slug_of(link_in(sk("create", "c")))
    assert re.search(r"^Protection:\s+captcha$", sk("get", captcha).out, re.M)
    shown = sk("get", fenced).out
    assert re.search(
        r"^Protection:\s+one-time code by phone, IP allow-list, countries$", shown, re.M
    )
    assert re.search(r"^IP allow-list:\s+127\.0\.0\.1$", shown, re.M)
    assert re.search(r"^Countries:\s+FR,BE$", shown, re.M)
    assert "+33612345678" not in shown
    assert re.search(r"^Protection:\s+none$", sk("get", plain).out, re.M)


@pytest.mark.live
def test_a_message_over_several_lines(sk: Run, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("attached")
    created = sk(
        "create", "x", "--message", "first line\nsecond line", "--attach", str(doc), "--views", "2"
    )
    assert created.code == 0, created.err
    link = link_in(created)
    lines = sk("get", slug_of(link)).out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Message:"))
    assert lines[at].split(None, 1)[1] == "first line"
    # The second line sits under the first, in the value column.
    assert lines[at + 1].strip() == "second line"
    assert lines[at + 1].index("second") == lines[at].index("first")
    assert re.search(r"^Attachments:\s+1 \(doc\.txt\)$", "\n".join(lines), re.M)
    # A note on stderr stays one line: the newline is shown, not obeyed.
    revealed = sk("reveal", link, "--output-dir", str(tmp_path / "out"))
    assert "Message: first line\\nsecond line\n" in revealed.err
    assert "1 view left." in revealed.err


@pytest.mark.live
def test_list_cuts_long_descriptions_and_the_last_page_offers_no_next(sk: Run) -> None:
    long = "a description far longer than the forty characters a column gets"
    for i in range(3):
        assert sk("create", f"s{i}", "--description", long if i == 0 else f"short {i}").code == 0
    last = sk("list", "--limit", "2", "--page", "2")
    assert last.code == 0, last.err
    assert last.out.splitlines()[-1] == "Page 2 of 2, 3 secrets."
    rows = sk("list").out.splitlines()
    [cut] = [row for row in rows if "a description" in row]
    assert cut.endswith("  " + long[:39] + "…")
    full = sk("list", "--json").json()["data"]
    assert long in [s["description"] for s in full]


@pytest.mark.live
def test_secrets_that_expired_long_ago_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    # The service's clock starts three days back; the secret lives one hour of it.
    start = datetime.now(timezone.utc) - timedelta(days=3)
    with emulator.run_emulator(tokens=[TOKEN], clock=start) as handle:
        base = ["--api-url", handle.api_url, "--token", TOKEN]
        assert cli.main([*base, "create", "old", "--hours", "1", "--description", "old"]) == 0
        handle.advance(hours=2)
        capsys.readouterr()
        assert cli.main([*base, "list"]) == 0
        listing = capsys.readouterr().out
        slug = listing.splitlines()[1].split()[0]
        assert cli.main([*base, "get", slug]) == 0
        details = capsys.readouterr().out
    assert listing.splitlines()[1].split()[1:] == ["expired", "0/1", "3", "d", "ago", "old"]
    assert re.search(r"^Status:\s+expired \(expired 3 d ago\)$", details, re.M)


# --------------------------------------------------------------------------- JSON


@pytest.mark.live
def test_json_of_delete_and_of_every_request_command(sk: Run) -> None:
    slug = slug_of(link_in(sk("create", "x")))
    assert sk("delete", slug, "--yes", "--json").json() == {"deleted": True, "slug": slug}

    assert sk("list-requests").out == "No requests.\n0 requests.\n"
    assert sk("list-requests", "--json").json()["data"] == []
    made = sk("create-request", "--description", "vpn", "--secret-hours", "2", "--json").json()
    token = made["token"]
    assert (made["description"], made["secret_expiration_hours"]) == ("vpn", 2)
    assert made["request_url"]
    got = sk("get-request", token, "--json").json()
    assert (got["token"], got["description"]) == (token, "vpn")
    shown = sk("get-request", token).out
    assert re.search(r"^Secret lifetime:\s+2 h$", shown, re.M)
    stats = sk("request-stats")
    assert re.search(r"^Requests:\s+1$", stats.out, re.M)
    assert sk("delete-request", token, "--yes", "--json").json() == {
        "deleted": True,
        "token": token,
    }
    assert sk("get-request", token, "--json").json()["status"] == "expired"


@pytest.mark.live
def test_json_lands_in_a_text_only_stdout_of_an_embedding_program(
    sk: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    sk("create", "x")
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stdout", captured)
    assert cli.main(["stats", "--json"]) == 0
    assert json.loads(captured.getvalue())["total_secrets"] == 1


# --------------------------------------------------------------------------- reveal and files


@pytest.mark.live
def test_an_output_dir_that_is_a_file_fails_before_spending_the_view(
    sk: Run, tmp_path: Path
) -> None:
    link = link_in(sk("create", "still here"))
    occupied = tmp_path / "occupied"
    occupied.write_text("a file, not a directory")
    refused = sk("reveal", link, "--output-dir", str(occupied))
    assert refused.code == 1
    assert refused.err == f"error: File exists: {occupied}.\n"
    assert "still here" not in refused.out
    assert sk("reveal", link).out == "still here"  # the one view was not spent


@pytest.mark.live
def test_files_go_to_a_new_temporary_directory_when_the_current_one_refuses(
    sk: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"keep me")
    link = link_in(sk("create", "with a file", "--attach", str(doc), "--unique-nonces"))
    spare = tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # the current directory no longer exists: nothing can be written there
    revealed = sk("reveal", link)
    assert revealed.code == 0, revealed.err
    assert revealed.out == "with a file"
    [fallback] = list(spare.iterdir())
    assert fallback.name.startswith("sharokey-")
    assert (fallback / "doc.txt").read_bytes() == b"keep me"
    assert (
        f"warning: could not write into . (No such file or directory); "
        f"saving the attachments in {fallback} instead." in revealed.err
    )
    assert f"Saved {fallback / 'doc.txt'} (7 bytes)." in revealed.err


@pytest.mark.live
def test_a_chosen_directory_that_refuses_a_file_loses_nothing(
    sk: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The view is spent once the reveal answered: the content and the file must
    # still reach the user when the file cannot be written where asked.
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"the only copy")
    link = link_in(sk("create", "content too", "--attach", str(doc), "--unique-nonces"))
    spare = tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    out = tmp_path / "out"
    (out / "doc.txt").mkdir(parents=True)  # in the way, and --force cannot replace it
    revealed = sk("reveal", link, "--output-dir", str(out), "--force", "--json")
    assert revealed.code == 0, revealed.err
    body = revealed.json()
    assert body["content"] == "content too"
    [fallback] = list(spare.iterdir())
    [saved] = body["attachments"]
    assert saved["path"] == str(fallback / "doc.txt")
    assert Path(saved["path"]).read_bytes() == b"the only copy"
    assert revealed.err == (
        f"warning: could not write into {out} (Is a directory); "
        f"saving the attachments in {fallback} instead.\n"
    )
    assert (out / "doc.txt").is_dir()


def test_a_long_sent_name_with_no_real_extension_is_cut_as_a_whole() -> None:
    # A 100-character "extension" is not one: keeping it would leave no name.
    sent = "x" * 150 + "." + "y" * 100
    saved = files.safe_name(sent)
    assert saved == sent[:200]
    assert files.safe_name("z" * 300 + ".pdf") == "z" * 196 + ".pdf"


# --------------------------------------------------------------------------- config


def test_config_show_with_nothing_configured(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    assert cli.main(["config"]) == 0  # no option: the same as --show
    out = capsys.readouterr().out
    path = isolated_home / "sharokey" / "config.json"
    assert out.splitlines() == [
        f"Config file:  {path} (not created yet)",
        "Token:        (none: pass --token, set SHAROKEY_TOKEN or run `sharokey config --token -`)",
        "API URL:      https://api.sharokey.com/api/v1 (from default)",
        "Timeout:      default (connect 5 s, read 30 s)",
    ]
    assert not path.exists()
    assert cli.main(["config", "--show", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "path": str(path),
        "file_exists": False,
        "token": None,
        "token_source": None,
        "api_url": "https://api.sharokey.com/api/v1",
        "api_url_source": "default",
        "timeout": None,
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
    assert json.loads(capsys.readouterr().out) == {"path": str(path), "saved": ["timeout"]}
    assert cli.main(["config", "--token", "tokSAVED00000000", "--show"]) == 0
    out = capsys.readouterr().out
    assert "Saved" not in out
    assert re.search(r"^Token:\s+tokS… \(from config file\)$", out, re.M)
    assert re.search(r"^Timeout:\s+12\.5 s$", out, re.M)
    assert json.loads(path.read_text())["token"] == "tokSAVED00000000"


# --------------------------------------------------------------------------- sharokey test


def _checks(out: str) -> list[tuple[str, str]]:
    """``(status, name)`` of each check line of the report."""
    return [
        (match.group(1), match.group(2))
        for match in re.finditer(r"^(PASS|FAIL|SKIP)  (\S+(?: \S+)?)\s", out, re.M)
    ]


def test_diagnostics_stop_at_a_configuration_that_cannot_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAROKEY_TOKEN", TOKEN)
    monkeypatch.setenv("SHAROKEY_API_URL", "ftp://files.example.com/api")
    assert cli.main(["test"]) == 1
    out = capsys.readouterr().out
    assert _checks(out) == [
        ("FAIL", "configuration"),
        ("SKIP", "network"),
        ("SKIP", "authentication"),
        ("SKIP", "read access"),
        ("SKIP", "statistics"),
    ]
    assert "needs a valid configuration" in out
    assert out.endswith("Some checks failed.\n")
    assert TOKEN not in out


@pytest.mark.live
def test_diagnostics_report_a_failing_statistics_call(sk: Run, emu: Any) -> None:
    emu.add_fault("GET /api/v1/secrets-stats 500")
    result = sk("test")
    assert result.code == 1
    assert _checks(result.out) == [
        ("PASS", "configuration"),
        ("PASS", "network"),
        ("PASS", "authentication"),
        ("PASS", "read access"),
        ("FAIL", "statistics"),
    ]
    assert re.search(r"^FAIL  statistics\s+\S", result.out, re.M)
    assert result.err == ""  # the report said it all: no second error line


@pytest.mark.live
def test_diagnostics_report_a_listing_the_server_failed(sk: Run, emu: Any) -> None:
    emu.add_fault("GET /api/v1/secrets 500")
    result = sk("test", "--json")
    assert result.code == 1
    doc = result.json()
    assert doc["ok"] is False
    assert [(c["status"], c["name"]) for c in doc["checks"]] == [
        ("PASS", "configuration"),
        ("PASS", "network"),
        ("FAIL", "authentication"),
        ("FAIL", "read access"),
        ("PASS", "statistics"),
    ]
    assert doc["checks"][3]["detail"] == "could not list secrets"


# --------------------------------------------------------------------------- times


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
