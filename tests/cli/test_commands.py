"""The ``sharokey`` command against the emulator, as a user drives it.

Each test starts the emulator on loopback, points the command at it through
the environment (as a user's shell would), runs ``main(argv)`` and reads
stdout, stderr and the exit code. A few run ``python -m sharokey`` in a
subprocess to cover the real entry point, pipes, exit statuses and an ASCII
locale. Besides the everyday paths: layouts at their edges, the JSON document
of each command, standard input missing or text-only, attachments that cannot
be read or written, and ``sharokey test`` failing at each of its stages.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from sharokey import cli
from sharokey._cli import terminal
from sharokey.client import Sharokey
from sharokey.crypto import seal

from ._support import (
    LINK_RE,
    OTHER_TOKEN,
    TOKEN,
    Result,
    Run,
    checks_of,
    link_in,
    slug_of,
    subprocess_env,
)

emulator = pytest.importorskip("sharokey.emulator")

pytestmark = pytest.mark.live

#: The real check, kept before the autouse fixture replaces it for every test.
REAL_INTERACTIVE = terminal.interactive


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- secrets


def without_ages(text: str) -> str:
    return re.sub(r"just now|\d+ (?:s|min|h|d) ago", "AGE", text)


def test_create_get_list_delete(sk: Run) -> None:
    created = sk(
        "create", "hello there", "--hours", "5", "--views", "2", "--description", "prod db"
    )
    assert created.code == 0, created.err
    assert "Share link:" in created.out
    slug = slug_of(link_in(created))

    details = sk("get", slug)
    assert details.code == 0, details.err
    assert "prod db" in details.out
    assert "active (expires in 5 h)" in details.out
    assert "0 of 2 used" in details.out
    assert "hello there" not in details.out
    # The same view; only a relative time may have ticked ("just now" -> "1 s ago").
    assert without_ages(sk("get", slug, "--details-only").out) == without_ages(details.out)

    listing = sk("list")
    assert listing.code == 0
    row = next(line for line in listing.out.splitlines() if line.startswith(slug))
    assert row.split()[1:4] == ["active", "0/2", "in"]
    assert row.endswith("prod db")
    assert listing.out.splitlines()[0].split() == [
        "SLUG",
        "STATUS",
        "VIEWS",
        "EXPIRES",
        "DESCRIPTION",
    ]

    deleted = sk("delete", slug, "--yes")
    assert deleted.code == 0, deleted.err
    assert f"Deleted secret {slug}" in deleted.out

    after = sk("get", slug)
    assert after.code == 0
    assert "Status:" in after.out and "expired" in after.out
    expired = sk("list", "--status", "expired", "--json")
    assert [s["slug"] for s in expired.json()["data"]] == [slug]
    assert sk("list", "--status", "active", "--json").json()["data"] == []


def test_json_output_is_one_document_with_the_models(sk: Run) -> None:
    created = sk("--json", "create", "json secret", "--description", "for tools")
    assert created.code == 0, created.err
    doc = created.json()
    assert doc["share_url"].startswith(doc["access_url"] + "#")
    assert doc["description"] == "for tools"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", doc["expiration"])
    slug = doc["slug"]

    details = sk("get", slug, "--json").json()
    assert (details["slug"], details["status"], details["maximum_views"]) == (slug, "active", 1)

    listing = sk("list", "--json").json()
    assert set(listing) == {"data", "pagination"}
    assert {"current_page", "last_page", "per_page", "total"} <= set(listing["pagination"])
    assert [s["slug"] for s in listing["data"]] == [slug]

    stats = sk("stats", "--json").json()
    assert stats["total_secrets"] == 1 and stats["active_secrets"] == 1

    revealed = sk("reveal", doc["share_url"], "--json")
    assert revealed.code == 0, revealed.err
    body = revealed.json()
    assert body["content"] == "json secret"
    assert body["attachments"] == []
    assert body["remaining_views"] == 0


def test_json_lands_in_a_text_only_stdout_of_an_embedding_program(
    sk: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    sk("create", "x")
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stdout", captured)
    assert cli.main(["stats", "--json"]) == 0
    assert json.loads(captured.getvalue())["total_secrets"] == 1


def test_list_pages_and_all(sk: Run) -> None:
    for i in range(3):
        assert sk("create", f"secret {i}", "--description", f"n{i}").code == 0
    first = sk("list", "--limit", "2")
    rows = [line for line in first.out.splitlines()[1:] if not line.startswith("Page")]
    assert len(rows) == 2
    assert "Page 1 of 2, 3 secrets. Next: --page 2, or --all." in first.out
    second = sk("list", "--limit", "2", "--page", "2", "--json").json()
    assert len(second["data"]) == 1
    everything = sk("list", "--limit", "2", "--all", "--json").json()
    assert sorted(s["description"] for s in everything["data"]) == ["n0", "n1", "n2"]
    human_all = sk("list", "--limit", "2", "--all")
    assert "3 secrets." in human_all.out


def test_stats_human(sk: Run) -> None:
    sk("create", "x")
    stats = sk("stats")
    assert stats.code == 0
    assert re.search(r"^Secrets:\s+1$", stats.out, re.M)
    assert re.search(r"^Active:\s+1$", stats.out, re.M)


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


# --------------------------------------------------------------------------- stdin


def test_content_from_stdin_dash_keeps_lines_drops_one_trailing_newline(sk: Run) -> None:
    created = sk("create", "-", "--quiet", stdin="line one\nline two\n\n")
    assert created.code == 0, created.err
    link = created.out.strip()
    assert LINK_RE.fullmatch(link)
    revealed = sk("reveal", link)
    assert revealed.code == 0, revealed.err
    assert revealed.out == "line one\nline two\n"


def test_a_windows_line_ending_on_stdin_is_dropped_like_a_newline(sk: Run) -> None:
    one = sk("create", "-", "--quiet", stdin="from notepad\r\n")
    assert one.code == 0, one.err
    assert sk("reveal", one.out.strip()).out == "from notepad"
    inner = sk("create", "-", "--quiet", stdin="a\r\nb\r\n")
    assert sk("reveal", inner.out.strip()).out == "a\r\nb"


def test_a_mistyped_link_exits_as_a_protection_and_says_nothing_was_spent(sk: Run) -> None:
    link = link_in(sk("create", "one view only", "--views", "1"))
    base, _, key_b = link.partition("#")
    mistyped = f"{base}#{key_b[:-1]}{'B' if key_b[-1] == 'A' else 'A'}"
    refused = sk("reveal", mistyped)
    assert refused.code == 3, refused.err
    assert "Nothing was spent" in refused.err
    assert key_b not in refused.err
    as_json = sk("reveal", mistyped, "--json")
    assert as_json.code == 3
    assert as_json.json()["error"]["code"] == "INVALID_KEY"
    assert sk("reveal", link).out == "one view only"


def test_reveal_reads_the_link_from_stdin(sk: Run) -> None:
    link = link_in(sk("create", "link via stdin"))
    revealed = sk("reveal", "-", stdin=link + "\n")
    assert (revealed.code, revealed.out) == (0, "link via stdin")
    assert sk("reveal", "-").code == 2


def test_content_from_piped_stdin_without_argument(sk: Run) -> None:
    created = sk("create", "--quiet", stdin="piped secret\n")
    assert created.code == 0, created.err
    assert sk("reveal", created.out.strip()).out == "piped secret"


def test_content_from_a_text_only_stdin_of_an_embedding_program(sk: Run) -> None:
    created = sk("create", "--quiet", stdin=io.StringIO("from a StringIO\n"))
    assert created.code == 0, created.err
    assert sk("reveal", created.out.strip()).out == "from a StringIO"


def test_non_utf8_stdin_is_refused(sk: Run, emu: Any) -> None:
    result = sk("create", "-", stdin=b"\xff\xfe binary")
    assert result.code == 2
    assert "UTF-8" in result.err and "--attach" in result.err
    assert emu.secret_count() == 0


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


def test_create_via_subprocess_with_piped_stdin(emu: Any, tmp_path: Path) -> None:
    env = subprocess_env(tmp_path, SHAROKEY_TOKEN=TOKEN, SHAROKEY_API_URL=emu.api_url)
    result = subprocess.run(
        [sys.executable, "-m", "sharokey", "create", "--quiet"],
        input="from a pipe\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    revealed = subprocess.run(
        [sys.executable, "-m", "sharokey", "reveal", link],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    assert (revealed.returncode, revealed.stdout) == (0, "from a pipe")
    again = subprocess.run(
        [sys.executable, "-m", "sharokey", "reveal", link],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    assert again.returncode == 4
    assert again.stderr.startswith("error: ") and "Traceback" not in again.stderr


# --------------------------------------------------------------------------- attachments


def test_attachments_round_trip_with_unique_nonces(sk: Run, tmp_path: Path) -> None:
    a = tmp_path / "a.bin"
    b = tmp_path / "notes.txt"
    a.write_bytes(secrets.token_bytes(5000))
    b.write_bytes(b"plain notes\n")
    created = sk(
        "create", "see files", "--attach", str(a), "--attach", str(b), "--unique-nonces", "-q"
    )
    assert created.code == 0, created.err
    assert "warning" not in created.err.lower()
    out = tmp_path / "received"
    revealed = sk("reveal", created.out.strip(), "--output-dir", str(out))
    assert revealed.code == 0, revealed.err
    assert revealed.out == "see files"
    assert (out / "a.bin").read_bytes() == a.read_bytes()
    assert (out / "notes.txt").read_bytes() == b.read_bytes()
    assert f"Saved {out / 'a.bin'} (5000 bytes)" in revealed.err


def test_shared_nonce_attachments_warn_in_one_readable_line(sk: Run, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"attached")
    created = sk("create", "with file", "--attach", str(doc), "--json")
    assert created.code == 0, created.err
    warning_lines = [line for line in created.err.splitlines() if line.strip()]
    assert len(warning_lines) == 1
    assert warning_lines[0].startswith("warning: ")
    assert "--unique-nonces" in warning_lines[0] and "web viewer" in warning_lines[0]
    assert "SharokeySecurityWarning" not in created.err
    link = created.json()["share_url"]
    revealed = sk("reveal", link, "--output-dir", str(tmp_path / "out"), "--json")
    assert revealed.code == 0, revealed.err
    body = revealed.json()
    assert body["content"] == "with file"
    [attachment] = body["attachments"]
    assert attachment["name"] == "doc.txt"
    assert Path(attachment["path"]).read_bytes() == b"attached"


def test_reveal_never_overwrites_without_force(sk: Run, tmp_path: Path) -> None:
    source = tmp_path / "report.txt"
    source.write_bytes(b"from the sender")
    link = sk("create", "r", "--attach", str(source), "--views", "2", "--unique-nonces", "-q")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.txt").write_bytes(b"mine, keep me")

    first = sk("reveal", link.out.strip(), "--output-dir", str(out))
    assert first.code == 0, first.err
    assert (out / "report.txt").read_bytes() == b"mine, keep me"
    assert (out / "report-2.txt").read_bytes() == b"from the sender"
    assert "--force" in first.err

    second = sk("reveal", link.out.strip(), "--output-dir", str(out), "--force")
    assert second.code == 0, second.err
    assert (out / "report.txt").read_bytes() == b"from the sender"


def test_hostile_attachment_names_stay_inside_the_output_dir(
    sk: Run, emu: Any, tmp_path: Path
) -> None:
    from sharokey.client import Sharokey

    with Sharokey(TOKEN, api_url=emu.api_url, attachment_nonces="unique") as client:
        created = client.create(
            "hostile",
            attachments=[
                ("../../evil.txt", b"evil"),
                ("/tmp/absolute.txt", b"abs"),
                ("..", b"dots"),
                ("evil.txt", b"second evil"),
                ("\x1b]0;title\x07name.txt", b"escape"),
            ],
        )
    out = tmp_path / "a" / "b" / "out"
    revealed = sk("reveal", created.share_url, "--output-dir", str(out), "--json")
    assert revealed.code == 0, revealed.err
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    assert written == {
        "evil.txt": b"evil",
        "absolute.txt": b"abs",
        "attachment-3": b"dots",
        "evil-2.txt": b"second evil",
        "_]0;title_name.txt": b"escape",
    }
    every_file = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(out in p.parents for p in every_file)
    assert (
        not Path("/tmp/absolute.txt").exists() or Path("/tmp/absolute.txt").read_bytes() != b"abs"
    )
    names = [a["name"] for a in revealed.json()["attachments"]]
    assert names[0] == "../../evil.txt"  # the sender's name is reported, not used


def test_missing_attachment_file_is_a_usage_error(sk: Run, emu: Any, tmp_path: Path) -> None:
    result = sk("create", "x", "--attach", str(tmp_path / "nope.pdf"))
    assert result.code == 2
    assert "nope.pdf" in result.err
    assert emu.secret_count() == 0


def test_a_directory_cannot_be_attached(sk: Run, emu: Any, tmp_path: Path) -> None:
    result = sk("create", "x", "--attach", str(tmp_path))
    assert result.code == 2
    assert result.err == (
        f"error: cannot attach {tmp_path}: it is a directory. "
        "Attach its files one by one, or an archive of it (tar, zip).\n"
    )
    assert emu.secret_count() == 0


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_cannot_be_attached(sk: Run, emu: Any, tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("no")
    locked.chmod(0)
    result = sk("create", "x", "--attach", str(locked))
    assert result.code == 2
    assert "not readable" in result.err and "permissions" in result.err
    assert emu.secret_count() == 0


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


# --------------------------------------------------------------------------- exit codes


def test_wrong_token_exits_3(sk: Run) -> None:
    result = sk("--token", "not-a-valid-token-0000", "list")
    assert result.code == 3
    assert result.err.startswith("error: ") and len(result.err.strip().splitlines()) == 1
    assert "not-a-valid-token-0000" not in result.err


def test_missing_token_exits_3_and_says_how_to_set_one(
    sk: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHAROKEY_TOKEN")
    result = sk("list")
    assert result.code == 3
    assert "SHAROKEY_TOKEN" in result.err and "sharokey config" in result.err


def test_missing_secret_exits_4(sk: Run) -> None:
    result = sk("get", "NOSUCH99")
    assert result.code == 4
    assert result.err.startswith("error: ")


def test_closed_port_exits_5(sk: Run) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/v1"
    result = sk("--api-url", url, "--timeout", "2", "list")
    assert result.code == 5
    assert result.err.startswith("error: ") and "Traceback" not in result.err


def test_closed_port_exits_5_in_a_subprocess(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/v1"
    result = subprocess.run(
        [sys.executable, "-m", "sharokey", "--timeout", "2", "stats", "--api-url", url],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path, SHAROKEY_TOKEN=TOKEN),
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    assert result.returncode == 5, result.stderr
    assert TOKEN not in result.stderr


def test_bad_hours_exits_2_naming_the_range(sk: Run, emu: Any) -> None:
    result = sk("create", "x", "--hours", "0")
    assert result.code == 2
    assert "1" in result.err and "1000" in result.err
    assert sk("create", "x", "--hours", "1001").code == 2
    assert emu.secret_count() == 0


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


def test_a_wrong_key_exits_6_where_the_secret_has_no_key_check(sk: Run, emu: Any) -> None:
    # Made as the official SDKs make them: decryption, not the server, finds the wrong key.
    sealed = seal("tamper me")
    made = requests.post(
        emu.api_url + "/secrets",
        json={**sealed.payload, "maximum_views": 2},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    key_b = sealed.key_b
    tampered = f"{made.json()['data']['access_url']}#{'A' if key_b[0] != 'A' else 'B'}{key_b[1:]}"
    result = sk("reveal", tampered)
    assert result.code == 6
    assert "tamper me" not in result.out + result.err
    assert key_b not in result.err


def test_malformed_link_exits_2(sk: Run) -> None:
    result = sk("reveal", "https://example.com/s/ABC")
    assert result.code == 2
    assert "#" in result.err


def test_used_up_secret_exits_4(sk: Run) -> None:
    link = link_in(sk("create", "once"))
    assert sk("reveal", link).code == 0
    again = sk("reveal", link)
    assert again.code == 4


def test_delete_without_terminal_or_yes_refuses(sk: Run) -> None:
    slug = slug_of(link_in(sk("create", "keep")))
    result = sk("delete", slug)
    assert result.code == 1
    assert "--yes" in result.err
    assert sk("get", slug, "--json").json()["status"] == "active"


def test_declined_delete_exits_1_and_keeps_the_secret(
    sk: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug = slug_of(link_in(sk("create", "keep")))
    monkeypatch.setattr(terminal, "interactive", lambda: True)
    result = sk("delete", slug, stdin="n\n")
    assert result.code == 1
    assert f"Delete secret {slug}?" in result.err
    assert sk("get", slug, "--json").json()["status"] == "active"
    accepted = sk("delete", slug, stdin="y\n")
    assert accepted.code == 0, accepted.err
    assert sk("get", slug, "--json").json()["status"] == "expired"


# --------------------------------------------------------------------------- protections


def test_otp_secret_needs_the_code(sk: Run, emu: Any) -> None:
    link = link_in(sk("create", "otp protected", "--otp-email", "bob@example.com"))
    without = sk("reveal", link)
    assert without.code == 3
    assert "--otp" in without.err
    assert "otp protected" not in without.out
    code = emu.last_otp(slug_of(link))
    assert code not in without.err
    revealed = sk("reveal", link, "--otp", code)
    assert (revealed.code, revealed.out) == (0, "otp protected")


def test_otp_is_asked_for_on_a_terminal(sk: Run, emu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    link = link_in(sk("create", "asked", "--otp-email", "bob@example.com"))
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return str(emu.last_otp(slug_of(link)))

    monkeypatch.setattr(terminal, "can_prompt_secret", lambda: True)
    monkeypatch.setattr(terminal, "prompt_secret", answer)
    revealed = sk("reveal", link)
    assert (revealed.code, revealed.out) == (0, "asked")
    assert prompts == ["Code: "]
    assert "A one-time code was sent by email to " in revealed.err


def test_password_from_option_and_from_prompt(sk: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    password = "pwCANARY" + secrets.token_hex(4)
    link = link_in(sk("create", "guarded", f"--password={password}"))
    refused = sk("reveal", link)
    assert refused.code == 3
    wrong = sk("reveal", link, "--password=nope")
    assert wrong.code == 3
    ok = sk("reveal", link, f"--password={password}")
    assert (ok.code, ok.out) == (0, "guarded")

    monkeypatch.setattr(terminal, "can_prompt_secret", lambda: True)
    monkeypatch.setattr(terminal, "prompt_secret", lambda prompt: password)
    prompted = link_in(sk("create", "guarded too", "--password"))
    asked = sk("reveal", prompted)  # PASSWORD_REQUIRED -> asks, retries
    assert (asked.code, asked.out) == (0, "guarded too")


def test_password_prompt_without_terminal_is_a_usage_error(sk: Run, emu: Any) -> None:
    result = sk("create", "x", "--password")
    assert result.code == 2
    assert "terminal" in result.err and "--password=" in result.err
    assert emu.secret_count() == 0


def test_mismatched_prompted_passwords_create_nothing(
    sk: Run, emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["one", "two"])
    monkeypatch.setattr(terminal, "can_prompt_secret", lambda: True)
    monkeypatch.setattr(terminal, "prompt_secret", lambda prompt: next(answers))
    assert sk("create", "x", "--password").code == 2
    assert emu.secret_count() == 0


# --------------------------------------------------------------------------- requests


def test_secret_requests(sk: Run) -> None:
    made = sk(
        "create-request",
        "--email-to",
        "bob@example.com",
        "--message",
        "VPN password please",
        "--views",
        "2",
        "--locale",
        "fr",
        "--json",
    )
    assert made.code == 0, made.err
    request = made.json()
    token = request["token"]
    assert request["maximum_views"] == 2 and request["locale"] == "fr"

    human = sk("create-request", "--description", "second")
    assert human.code == 0, human.err
    assert "Request URL:" in human.out and "Token:" in human.out

    listing = sk("list-requests")
    assert listing.code == 0
    assert token[:4] + "…" in listing.out
    assert token not in listing.out
    assert "bob@example.com" in listing.out
    tokens = [r["token"] for r in sk("list-requests", "--json").json()["data"]]
    assert token in tokens and len(tokens) == 2

    details = sk("get-request", token)
    assert details.code == 0
    assert "VPN password please" in details.out

    stats = sk("request-stats", "--json").json()
    assert stats["total_requests"] == 2

    refused = sk("delete-request", token)
    assert refused.code == 1 and token not in refused.err
    deleted = sk("delete-request", token, "--yes")
    assert deleted.code == 0, deleted.err
    assert token not in deleted.out
    assert sk("request-stats").code == 0


def test_unknown_request_exits_4(sk: Run) -> None:
    assert sk("get-request", "nosuchrequesttoken0000").code == 4


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


# --------------------------------------------------------------------------- configuration


def test_precedence_argument_then_environment_then_config_file(
    sk: Run, emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}/api/v1"
    # The config file alone: used.
    monkeypatch.delenv("SHAROKEY_TOKEN")
    monkeypatch.delenv("SHAROKEY_API_URL")
    assert sk("config", "--token", OTHER_TOKEN, "--api-url", emu.api_url).code == 0
    assert sk("list").code == 0
    # The environment beats the file: a wrong token there is the one used.
    monkeypatch.setenv("SHAROKEY_TOKEN", "wrong-env-token-000000")
    assert sk("list").code == 3
    # The argument beats the environment.
    assert sk("--token", TOKEN, "list").code == 0
    # Same for the URL: environment over file, argument over environment.
    monkeypatch.setenv("SHAROKEY_API_URL", closed)
    assert sk("--token", TOKEN, "--timeout", "2", "list").code == 5
    assert sk("--token", TOKEN, "--api-url", emu.api_url, "list").code == 0


def test_tokens_see_their_own_company(sk: Run) -> None:
    sk("create", "company one", "--description", "mine")
    assert sk("list", "--json").json()["data"][0]["description"] == "mine"
    assert sk("--token", OTHER_TOKEN, "list", "--json").json()["data"] == []


def test_diagnostics_pass(sk: Run) -> None:
    result = sk("test")
    assert result.code == 0, result.out + result.err
    statuses = [line.split()[0] for line in result.out.splitlines()[:-1]]
    assert statuses == ["PASS"] * 5
    for name in ("configuration", "network", "authentication", "read access", "statistics"):
        assert name in result.out
    assert TOKEN not in result.out + result.err
    doc = sk("test", "--json").json()
    assert doc["ok"] is True and len(doc["checks"]) == 5


def test_diagnostics_fail_clearly(sk: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = sk("test", "--token", "wrong-token-0000000000")
    assert wrong.code == 1
    assert re.search(r"^FAIL\s+authentication\s+\S", wrong.out, re.M)
    assert re.search(r"^PASS\s+network", wrong.out, re.M)

    url = f"http://127.0.0.1:{_closed_port()}/api/v1"
    offline = sk("test", "--api-url", url, "--timeout", "2")
    assert offline.code == 1
    assert re.search(r"^FAIL\s+network\s+\S", offline.out, re.M)

    monkeypatch.delenv("SHAROKEY_TOKEN")
    none = sk("test")
    assert none.code == 1
    assert re.search(r"^FAIL\s+configuration\s+no API token", none.out, re.M)


def test_diagnostics_report_a_failing_statistics_call(sk: Run, emu: Any) -> None:
    emu.add_fault("GET /api/v1/secrets-stats 500")
    result = sk("test")
    assert result.code == 1
    assert checks_of(result.out) == [
        ("PASS", "configuration"),
        ("PASS", "network"),
        ("PASS", "authentication"),
        ("PASS", "read access"),
        ("FAIL", "statistics"),
    ]
    assert re.search(r"^FAIL  statistics\s+\S", result.out, re.M)
    assert result.err == ""  # the report said it all: no second error line


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


# --------------------------------------------------------------------------- secrets never leak


def test_canaries_never_reach_stderr_even_with_debug(sk: Run, tmp_path: Path) -> None:
    content = "contentCANARY" + secrets.token_hex(8)
    password = "passwordCANARY" + secrets.token_hex(8)
    attachment = tmp_path / "f.txt"
    attachment.write_bytes(b"fileCANARY")
    stderr: list[str] = []

    created = sk(
        "--debug",
        "create",
        "-",
        f"--password={password}",
        "--attach",
        str(attachment),
        "--json",
        stdin=content,
    )
    assert created.code == 0, created.err
    stderr.append(created.err)
    link = created.json()["share_url"]
    key_b = link.rsplit("#", 1)[1]
    slug = created.json()["slug"]

    for argv in (
        ("--debug", "list"),
        ("--debug", "get", slug),
        ("--debug", "stats"),
        ("--debug", "reveal", link, "--password=wrong" + password),
        ("--debug", "reveal", link, "--otp", "123456"),
        ("--debug", "reveal", link, f"--password={password}", "--output-dir", str(tmp_path / "o")),
        ("--debug", "reveal", link, f"--password={password}"),
        ("--debug", "--token", TOKEN + "x", "list"),
        ("--debug", "test"),
    ):
        stderr.append(sk(*argv).err)

    everything = "\n".join(stderr)
    assert "debug:" in everything  # the SDK did log
    assert "Traceback" in everything  # --debug shows tracebacks of failures
    for canary in (TOKEN, content, password, key_b, "fileCANARY"):
        assert canary not in everything, canary


# --------------------------------------------------------------------------- more exit codes


def _run_against(
    handle: Any, argv: list[str], token: str, capsys: pytest.CaptureFixture[str]
) -> Result:
    capsys.readouterr()
    code = cli.main(["--api-url", handle.api_url, "--token", token, *argv])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def test_quota_exceeded_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator.run_emulator(tokens=[TOKEN], quota=1) as handle:
        assert _run_against(handle, ["create", "first"], TOKEN, capsys).code == 0
        second = _run_against(handle, ["create", "second"], TOKEN, capsys)
    assert second.code == 1
    assert second.err.startswith("error: ")


def test_read_only_token_may_not_create_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    reader = "tokREADER" + secrets.token_hex(8)
    with emulator.run_emulator(tokens=[TOKEN], readonly_tokens=[reader]) as handle:
        assert _run_against(handle, ["list"], reader, capsys).code == 0
        refused = _run_against(handle, ["create", "nope"], reader, capsys)
    assert refused.code == 3
    assert reader not in refused.err


def test_server_errors_exit_1_after_retries(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator.run_emulator(tokens=[TOKEN]) as handle:
        handle.add_fault("GET /api/v1/secrets-stats 500")
        result = _run_against(handle, ["stats"], TOKEN, capsys)
        attempts = handle.hits("GET", "/api/v1/secrets-stats")
    assert result.code == 1
    assert attempts == 3  # the SDK's retries ran; the command still ends cleanly
    assert result.err.startswith("error: ") and "Traceback" not in result.err


def test_unreadable_answer_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator.run_emulator(tokens=[TOKEN]) as handle:
        handle.add_fault("GET /api/v1/secrets truncate")
        result = _run_against(handle, ["list"], TOKEN, capsys)
    assert result.code == 1
    assert result.err.startswith("error: ")


def test_used_up_secret_is_listed_as_expired(sk: Run) -> None:
    link = link_in(sk("create", "once", "--description", "gone soon"))
    sk("reveal", link)
    row = next(line for line in sk("list").out.splitlines() if "gone soon" in line)
    assert row.split()[1:4] == ["expired", "1/1", "-"]


def test_stored_timeout_applies_unless_overridden(
    sk: Run, emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sharokey.client

    seen: list[Any] = []
    original = sharokey.client.Sharokey.__init__

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs.get("timeout"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(sharokey.client.Sharokey, "__init__", spy)
    assert sk("config", "--timeout", "7").code == 0
    assert sk("list").code == 0
    assert sk("--token", TOKEN, "--api-url", emu.api_url, "list").code == 0
    assert sk("list", "--timeout", "3").code == 0
    assert seen == [7.0, 7.0, 3.0]
