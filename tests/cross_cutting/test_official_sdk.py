"""A real peer: the official Python SDK 1.0.0, unchanged, against the emulator.

The official package is imported as ``sharokey`` too, so it lives in its own
virtual environment, built once under a cache folder and reused
(``$SHAROKEY_TEST_CACHE``, else ``$XDG_CACHE_HOME/sharokey-tests``, else
``~/.cache/sharokey-tests``). ``tests/cross_cutting/_official_sdk_driver.py`` runs inside it,
isolated from this project, makes its calls and prints their answers as JSON;
the tests below judge those answers and open the official SDK's share links
with this project's own ``Sharokey.reveal``.

When the package cannot be installed (no index, no wheel for this Python),
the tests are skipped with pip's reason.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiohttp", reason="the emulator needs aiohttp (sharokey[aiohttp])")

from sharokey import NotFoundError, Sharokey
from sharokey.crypto import parse_share_url
from sharokey.emulator import EmulatorHandle, run_emulator

from ._support import clean_env, tail

pytestmark = pytest.mark.live

DRIVER = Path(__file__).resolve().parent / "_official_sdk_driver.py"
RUN_TIMEOUT = 120


@pytest.fixture(scope="module")
def official_run(official_python: Path) -> Iterator[tuple[dict[str, Any], EmulatorHandle]]:
    """The driver's answers, and the emulator it spoke to (still running)."""
    with (
        run_emulator(tokens=["official-sdk-token"]) as emu,
        tempfile.TemporaryDirectory(prefix="sharokey-official-") as workdir,
    ):
        done = subprocess.run(
            [str(official_python), "-I", str(DRIVER)],
            capture_output=True,
            text=True,
            cwd=workdir,  # outside the project, so only the official package imports
            env=clean_env(
                SHAROKEY_API_URL=emu.api_url,
                SHAROKEY_TOKEN=emu.token,
                SHAROKEY_WORKDIR=workdir,
            ),
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"the official SDK driver failed: {tail(done.stderr, 8)}"
        yield json.loads(done.stdout), emu


def ok(results: dict[str, Any], step: str) -> Any:
    """The official SDK's return value for ``step``; fails with its error if it raised."""
    outcome = results[step]
    assert "ok" in outcome, f"official SDK {step}() raised {outcome['error']}: {outcome['message']}"
    return outcome["ok"]


def items(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """List entries from either list shape (documented, or ``data.items``)."""
    data = answer["data"]
    return list(data["items"] if isinstance(data, dict) else data)


@pytest.fixture(scope="module")
def ours(official_run: tuple[dict[str, Any], EmulatorHandle]) -> Iterator[Sharokey]:
    _, emu = official_run
    with Sharokey(emu.token, api_url=emu.api_url) as client:
        yield client


# --------------------------------------------------------------------------- tests


def test_the_driver_ran_the_official_package(
    official_run: tuple[dict[str, Any], EmulatorHandle], official_python: Path
) -> None:
    results, _ = official_run
    module = results["module"]
    assert module["version"] == "1.0.0"
    venv = official_python.parent.parent.resolve()
    assert Path(module["file"]).resolve().is_relative_to(venv)
    assert not Path(module["file"]).resolve().is_relative_to(Path(__file__).resolve().parents[2])


def test_an_official_share_link_opens_with_this_sdk(
    official_run: tuple[dict[str, Any], EmulatorHandle], ours: Sharokey
) -> None:
    results, _ = official_run
    created = ok(results, "create")
    assert created["success"] is True
    data = created["data"]
    link = parse_share_url(data["share_url"])  # the official SDK appended #keyB itself
    assert data["share_url"] == f"{data['access_url']}#{link.key_b}"
    assert link.slug == data["slug"]

    revealed = ours.reveal(data["share_url"])

    module = results["module"]
    assert revealed.content == module["content"]
    assert [a.name for a in revealed.attachments] == [module["attachment_name"]]
    assert revealed.attachments[0].data == bytes.fromhex(module["attachment_hex"])
    assert revealed.description == "made by the official SDK"
    assert revealed.message == "see the attachment"
    assert revealed.remaining_views == 1


def test_a_password_set_by_the_official_sdk_guards_the_secret(
    official_run: tuple[dict[str, Any], EmulatorHandle], ours: Sharokey
) -> None:
    results, _ = official_run
    data = ok(results, "create_password")["data"]
    assert data["has_password"] is True

    assert ours.reveal(data["share_url"], password="opensesame").content == "second secret"


def test_listing_details_and_statistics_read_as_the_official_sdk_expects(
    official_run: tuple[dict[str, Any], EmulatorHandle],
) -> None:
    results, emu = official_run
    slugs = {ok(results, name)["data"]["slug"] for name in ("create", "create_password")}

    listed = {entry["slug"] for entry in items(ok(results, "list"))}
    assert slugs <= listed
    assert slugs <= {entry["slug"] for entry in items(ok(results, "list_active"))}

    details = ok(results, "get")["data"]
    assert details["slug"] == ok(results, "create")["data"]["slug"]
    assert details["current_views"] == 0  # read before this module revealed anything
    assert details["maximum_views"] == 2
    assert details["has_attachments"] is True
    assert details["attachments"] == [{"name": results["module"]["attachment_name"]}]

    stats = ok(results, "stats")["data"]
    assert stats["total_secrets"] == 3 == emu.secret_count()
    assert stats["active_secrets"] == 2
    assert stats["expired_secrets"] == 1
    assert stats["secrets_with_password"] == 1
    assert ok(results, "test_connection") is True


def test_a_secret_deleted_by_the_official_sdk_is_gone_but_listed_as_expired(
    official_run: tuple[dict[str, Any], EmulatorHandle], ours: Sharokey
) -> None:
    results, _ = official_run
    doomed = ok(results, "create_doomed")["data"]
    assert ok(results, "delete")["success"] is True

    after = ok(results, "get_deleted")["data"]
    assert after["status"] == "expired"
    assert after["is_expired"] is True
    with pytest.raises(NotFoundError):
        ours.reveal(doomed["share_url"])


def test_secret_requests_round_trip_through_the_official_sdk(
    official_run: tuple[dict[str, Any], EmulatorHandle],
) -> None:
    results, _ = official_run
    created = ok(results, "create_request")["data"]
    token = created["token"]
    assert created["message"] == "Please send the VPN key"
    assert created["maximum_views"] == 2

    assert token in {entry["token"] for entry in items(ok(results, "list_requests"))}
    assert ok(results, "get_request")["data"]["token"] == token
    assert ok(results, "request_stats")["data"]["total_requests"] == 1
    assert ok(results, "delete_request")["success"] is True


def test_the_official_sdk_sees_its_own_error_classes(
    official_run: tuple[dict[str, Any], EmulatorHandle],
) -> None:
    results, _ = official_run
    assert results["get_missing"]["error"] == "NotFoundError"
    assert results["bad_token"]["error"] == "AuthenticationError"
