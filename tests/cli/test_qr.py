"""QR codes of share links: ``sharokey qr``, ``create --qr`` and ``--qr-png``.

Every code is read back, not just looked at: a PNG the command wrote is decoded
with zxing-cpp (a test extra), and the half-block text is turned back into
modules, compared with segno's matrix and decoded from an image drawn from it.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ._support import ROOT, TOKEN, Run, link_in, subprocess_env

segno = pytest.importorskip("segno", reason="the QR extra (segno) is not installed")
zxingcpp = pytest.importorskip(
    "zxingcpp", reason="no QR decoder here: install the test extra (zxing-cpp, pillow)"
)
Image = pytest.importorskip("PIL.Image", reason="no Pillow to read PNG files back")

LINK = "https://share.example.com/s/ABC123XY#Q7mZp2Lk9RtVx4Bn8CwJd3Hs"
_HALF = {
    " ": (True, True),
    "\u2580": (False, True),
    "\u2584": (True, False),
    "\u2588": (False, False),
}
BLOCKS = set(_HALF) - {" "}


def _sharokey(tmp_path: Path, *argv: str, stdin: str = "", **env: str) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "sharokey", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(tmp_path, PYTHONIOENCODING="utf-8", **env),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def decode_png(path: Path) -> list[str]:
    with Image.open(path) as image:
        return [found.text for found in zxingcpp.read_barcodes(image)]


def modules_of(text: str) -> list[list[bool]]:
    """The dark (True) and light modules a half-block drawing shows, quiet zone included.

    Each character cell is two modules, one above the other; the drawing's last
    row may carry one extra half row below the code.
    """
    lines = [line for line in text.split("\n") if line and set(line) <= set(_HALF)]
    rows: list[list[bool]] = []
    for line in lines:
        pairs = [_HALF[char] for char in line]
        rows.append([top for top, _ in pairs])
        rows.append([bottom for _, bottom in pairs])
    return rows


def expected_modules(link: str) -> list[list[bool]]:
    code = segno.make(link, error="m", micro=False)
    border = 4
    width = len(code.matrix) + 2 * border
    light = [False] * width
    rows = [list(light) for _ in range(border)]
    rows += [[False] * border + [bool(m) for m in row] + [False] * border for row in code.matrix]
    return rows + [list(light) for _ in range(border)]


def decode_modules(rows: list[list[bool]], tmp_path: Path) -> list[str]:
    """Draw the modules as a black-on-white image, 8 pixels each, and decode it."""
    scale = 8
    image = Image.new("L", (len(rows[0]) * scale, len(rows) * scale), 255)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    path = tmp_path / "drawn.png"
    image.save(path)
    return decode_png(path)


def assert_drawing_is(text: str, link: str, tmp_path: Path) -> None:
    rows = modules_of(text)
    expected = expected_modules(link)
    # An odd number of module rows leaves one half row (shown unlit) under the code.
    assert rows[: len(expected)] == expected
    assert all(not any(row) or all(row) for row in rows[len(expected) :])
    assert decode_modules(expected, tmp_path) == [link]
    assert decode_modules(rows[: len(expected)], tmp_path) == [link]


# --------------------------------------------------------------------------- sharokey qr


def test_qr_prints_half_blocks_that_read_back_to_the_link(tmp_path: Path) -> None:
    done = _sharokey(tmp_path, "qr", LINK)
    assert done.returncode == 0, done.stderr
    assert set(done.stdout) <= set(_HALF) | {"\n"}
    assert_drawing_is(done.stdout, LINK, tmp_path)
    assert done.stderr == ""


def test_qr_reads_the_link_from_stdin(tmp_path: Path) -> None:
    done = _sharokey(tmp_path, "qr", "-", stdin=LINK + "\n")
    assert done.returncode == 0, done.stderr
    assert_drawing_is(done.stdout, LINK, tmp_path)


def test_qr_png_decodes_to_the_exact_link_and_is_private(tmp_path: Path) -> None:
    target = tmp_path / "link.png"
    done = _sharokey(tmp_path, "qr", LINK, "--png", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert f"Wrote the QR code to {target}" in done.stderr
    assert decode_png(target) == [LINK]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_qr_png_never_replaces_a_file_without_force(tmp_path: Path) -> None:
    target = tmp_path / "link.png"
    target.write_bytes(b"mine")
    done = _sharokey(tmp_path, "qr", LINK, "--png", str(target))
    assert done.returncode == 2
    assert "the file exists and was left as it is. Add --force to replace it" in done.stderr
    assert target.read_bytes() == b"mine"

    forced = _sharokey(tmp_path, "qr", LINK, "--png", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert decode_png(target) == [LINK]


def test_qr_json_carries_the_drawing_or_the_png_path(tmp_path: Path) -> None:
    drawn = _sharokey(tmp_path, "qr", LINK, "--json")
    assert drawn.returncode == 0, drawn.stderr
    assert_drawing_is(json.loads(drawn.stdout)["text"], LINK, tmp_path)

    target = tmp_path / "link.png"
    written = _sharokey(tmp_path, "qr", LINK, "--png", str(target), "--json")
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout) == {"png": str(target)}
    assert decode_png(target) == [LINK]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["qr", "ABC123XY"], "it is not an http(s) address"),
        (["qr", LINK.split("#")[0]], "the key after '#' is missing"),
        (["qr", LINK, "--force"], "--force needs --png"),
        (["qr", LINK, "--png", "."], "--png .: is a directory"),
        (["qr", LINK, "--png", "no/such/dir/x.png"], "the folder no/such/dir does not exist"),
    ],
)
def test_qr_refuses_what_would_not_work(tmp_path: Path, argv: list[str], said: str) -> None:
    done = _sharokey(tmp_path, *argv)
    assert done.returncode == 2
    assert said in done.stderr
    assert done.stdout == ""


_WITHOUT_SEGNO = (
    "import sys; sys.modules['segno'] = None; "
    "from sharokey.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_without_segno_the_error_says_how_to_install_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_SEGNO, "qr", LINK, "--json"],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "error: QR codes need the segno package. Install it: `pip install segno`" in done.stderr
    assert json.loads(done.stdout)["error"]["code"] == "MISSING_EXTRA"


# --------------------------------------------------------------------------- create


@pytest.mark.live
def test_create_qr_png_holds_the_link_that_reveals_the_secret(sk: Run, tmp_path: Path) -> None:
    target = tmp_path / "share.png"
    created = sk("create", "for the phone", "--qr-png", str(target))
    assert created.code == 0, created.err
    [decoded] = decode_png(target)
    assert decoded == link_in(created)
    assert sk("reveal", decoded).out == "for the phone"


@pytest.mark.live
def test_create_qr_into_pipes_keeps_json_clean_and_the_code_off_stderr(
    sk: Run, tmp_path: Path
) -> None:
    created = sk("create", "piped", "--qr", "--json")
    assert created.code == 0, created.err
    assert created.json()["share_url"]
    assert not BLOCKS & set(created.out + created.err)
    assert "The QR code was not shown: neither stdout nor stderr is a terminal" in created.err


@pytest.mark.live
def test_create_refuses_an_existing_png_before_creating_anything(sk: Run, tmp_path: Path) -> None:
    target = tmp_path / "share.png"
    target.write_bytes(b"mine")
    refused = sk("create", "not yet", "--qr-png", str(target))
    assert refused.code == 2
    assert "--qr-png" in refused.err and "Add --force" in refused.err
    assert target.read_bytes() == b"mine"
    assert "No secrets." in sk("list").out

    forced = sk("create", "now", "--qr-png", str(target), "--force", "--quiet")
    assert forced.code == 0, forced.err
    assert decode_png(target) == [forced.out.strip()]


@pytest.mark.live
def test_create_without_segno_creates_nothing(sk: Run, emu: Any, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_SEGNO, "create", "kept", "--qr"],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path, SHAROKEY_API_URL=emu.api_url, SHAROKEY_TOKEN=TOKEN),
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "QR codes need the segno package" in done.stderr
    assert done.stdout == ""
    assert "No secrets." in sk("list").out


@pytest.mark.live
def test_create_qr_on_a_terminal_shows_a_code_that_reads_back(emu: Any, tmp_path: Path) -> None:
    pytest.importorskip("termios", reason="pseudo-terminals are POSIX")
    from .test_terminal import Terminal

    env = subprocess_env(tmp_path, SHAROKEY_TOKEN=TOKEN, SHAROKEY_API_URL=emu.api_url)
    term = Terminal(["create", "on screen", "--qr"], env)
    try:
        assert term.finish() == 0, term.screen
        screen = term.screen
    finally:
        term.close()
    link = link_in(screen)
    assert screen.index("Share link:") < screen.index("\u2588")
    assert_drawing_is(screen, link, tmp_path)
