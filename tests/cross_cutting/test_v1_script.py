"""1.0.0 code runs unchanged on this package: the same program, on 1.0.0 and on this SDK.

``_v1_script.py`` is a program written for the official SDK 1.0.0 (a create
with a password and two files, a create, list, list active, get, delete,
stats, create_request, list_requests, request_stats). It runs as is, in its
own process against the emulator: once with this package installed (this
interpreter), once with the official 1.0.0 (its own virtual environment, see
``conftest.py``; skipped when it cannot be installed). Both runs must see the
same things, and every share link either made must open with this SDK's
``Sharokey.reveal``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="the emulator needs aiohttp (sharokey[aiohttp])")

from sharokey import Sharokey
from sharokey.emulator import run_emulator

from ._support import clean_env, tail

pytestmark = pytest.mark.live

SCRIPT = Path(__file__).resolve().parent / "_v1_script.py"
RUN_TIMEOUT = 120


@pytest.fixture(params=["this package", "official 1.0.0"])
def installed(request: pytest.FixtureRequest) -> tuple[str, Path]:
    """Which ``sharokey`` the program imports, and the interpreter that has it."""
    if request.param == "official 1.0.0":
        return "1.0.0", request.getfixturevalue("official_python")
    from sharokey import __version__

    return __version__, Path(sys.executable)


def test_a_program_written_for_1_0_0_runs_unchanged_and_its_links_open(
    installed: tuple[str, Path],
) -> None:
    version, python = installed
    with (
        run_emulator(tokens=["v1-program-token"]) as emu,
        tempfile.TemporaryDirectory(prefix="sharokey-v1-") as workdir,
    ):
        done = subprocess.run(
            # -I: outside the project, only the installed sharokey can be imported
            [str(python), "-I", str(SCRIPT)],
            capture_output=True,
            text=True,
            cwd=workdir,
            env=clean_env(
                SHAROKEY_API_URL=emu.api_url,
                SHAROKEY_TOKEN=emu.token,
                SHAROKEY_WORKDIR=workdir,
            ),
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"the 1.0.0 program failed: {tail(done.stderr, 8)}"
        seen = json.loads(done.stdout)

        assert seen["version"] == version
        assert seen["protected_slug"] in seen["listed"]
        assert seen["protected_slug"] in seen["active"]
        assert len(seen["listed"]) == 3
        assert seen["details"] == {
            "slug": seen["protected_slug"],
            "maximum_views": 3,
            "has_password": True,
        }
        assert seen["deleted"] is True
        assert seen["missing"] == "NotFoundError"
        assert seen["stats"] == {"total_secrets": 3, "active_secrets": 2}
        assert seen["request_listed"] is True
        assert seen["total_requests"] == 1

        with Sharokey(emu.token, api_url=emu.api_url) as reader:
            protected = reader.reveal(seen["protected"], password="opensesame")
            plain = reader.reveal(seen["plain"])
        assert protected.content == "Confidential docs"
        assert [a.name for a in protected.attachments] == ["contract.txt", "scan.bin"]
        assert protected.attachments[1].data == bytes(range(256)) * 2
        assert plain.content == "db password: hunter2"

    if version != "1.0.0":
        # This package says, once, where to go next; 1.0.0 said nothing.
        assert done.stderr.count("DeprecationWarning") == 1
        assert "docs/migrating.md" in done.stderr
