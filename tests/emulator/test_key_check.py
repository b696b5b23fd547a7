"""The key check as the emulator speaks it (docs/protocol.md#key-check): a mistyped link is
refused before a view is counted, counts toward the lockout like a wrong password, and the
check itself never comes back out.

Plain HTTP with ``requests`` against an emulator on loopback started by each test.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import requests

from sharokey.crypto import key_check, seal
from sharokey.emulator import EmulatorHandle, run_emulator

from ._support import TOKEN, auth, emulator_records

pytestmark = pytest.mark.live


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "emulator.sqlite3"


@pytest.fixture
def emu(db: Path) -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN], db=str(db)) as handle:
        yield handle


def typo(key_b: str, at: int = -1) -> str:
    """``key_b`` with one character changed (as a mistyped or cut link has it)."""
    chars = list(key_b)
    chars[at] = "B" if chars[at] == "A" else "A"
    return "".join(chars)


def create(emu: EmulatorHandle, *, checked: bool = True, **fields: Any) -> tuple[str, str]:
    """A secret with (or, as the official SDKs make them, without) a key check: slug, keyB."""
    sealed = seal("the secret")
    body = {**sealed.payload, "maximum_views": 1, **fields}
    if checked:
        body["key_check"] = key_check(sealed.key_b)
    made = requests.post(f"{emu.api_url}/secrets", json=body, headers=auth(), timeout=30)
    assert made.status_code == 201, made.text
    return made.json()["data"]["slug"], sealed.key_b


def reveal(
    emu: EmulatorHandle, slug: str, key_b: Optional[str], **answers: Any
) -> requests.Response:
    body = dict(answers)
    if key_b is not None:
        body["key_check"] = key_check(key_b)
    return requests.post(f"{emu.api_url}/secrets/{slug}/reveal", json=body, timeout=30)


def views(emu: EmulatorHandle, slug: str) -> int:
    details = requests.get(f"{emu.api_url}/secrets/{slug}", headers=auth(), timeout=30)
    count: int = details.json()["data"]["current_views"]
    return count


def test_a_mistyped_key_is_refused_and_spends_no_view(emu: EmulatorHandle) -> None:
    slug, key_b = create(emu)
    refused = reveal(emu, slug, typo(key_b))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "INVALID_KEY"
    assert "whole link" in refused.json()["error"]["message"]
    assert views(emu, slug) == 0
    assert reveal(emu, slug, key_b).status_code == 200
    assert views(emu, slug) == 1


def test_a_one_view_secret_survives_five_typos_then_waits_out_the_lockout(
    emu: EmulatorHandle,
) -> None:
    slug, key_b = create(emu)
    for at in range(5):
        assert reveal(emu, slug, typo(key_b, at)).json()["error"]["code"] == "INVALID_KEY"
    locked = reveal(emu, slug, key_b)  # the sixth try, even the right one, meets the lock
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert views(emu, slug) == 0
    emu.advance(seconds=int(locked.headers["Retry-After"]) + 1)
    opened = reveal(emu, slug, key_b)
    assert opened.status_code == 200
    assert opened.json()["data"]["remaining_views"] == 0


def test_wrong_keys_and_wrong_passwords_share_one_lockout(emu: EmulatorHandle) -> None:
    slug, key_b = create(emu, password="right")
    for _ in range(3):
        assert reveal(emu, slug, typo(key_b)).json()["error"]["code"] == "INVALID_KEY"
    for _ in range(2):
        wrong = reveal(emu, slug, key_b, password="wrong")
        assert wrong.json()["error"]["code"] == "INVALID_PASSWORD"
    assert reveal(emu, slug, key_b, password="right").status_code == 429


def test_the_key_is_checked_before_a_protection_asks_for_anything(emu: EmulatorHandle) -> None:
    # A mistyped link learns nothing of the protections, and no one-time code is sent for it.
    slug, key_b = create(emu, otp_type="email", otp_receiver="reader@example.com")
    assert reveal(emu, slug, typo(key_b)).json()["error"]["code"] == "INVALID_KEY"
    assert emu.outbox == []
    assert reveal(emu, slug, key_b).json()["error"]["code"] == "OTP_REQUIRED"


def test_secrets_and_reveals_without_a_check_behave_as_before(emu: EmulatorHandle) -> None:
    unchecked, key_b = create(emu, checked=False)
    assert reveal(emu, unchecked, typo(key_b)).status_code == 200  # nothing to compare with
    checked, _ = create(emu)
    assert reveal(emu, checked, None).status_code == 200  # an older client sends none


@pytest.mark.parametrize("value", ["", "short", "x" * 23, "+" * 22, 22, None], ids=repr)
def test_a_malformed_key_check_is_a_validation_error(emu: EmulatorHandle, value: Any) -> None:
    sealed = seal("x")
    body = {**sealed.payload, "maximum_views": 1, "key_check": value}
    made = requests.post(f"{emu.api_url}/secrets", json=body, headers=auth(), timeout=30)
    if value is None:
        assert made.status_code == 201  # absent is allowed
        return
    assert made.status_code == 422
    assert "key_check" in made.json()["error"]["details"]
    slug, _ = create(emu)
    refused = requests.post(
        f"{emu.api_url}/secrets/{slug}/reveal", json={"key_check": value}, timeout=30
    )
    assert refused.status_code == 422
    assert views(emu, slug) == 0


def test_the_check_never_comes_back_out(
    emu: EmulatorHandle, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    slug, key_b = create(emu)
    check = key_check(key_b)
    seen = [
        requests.get(f"{emu.api_url}/secrets/{slug}", headers=auth(), timeout=30).text,
        requests.get(f"{emu.api_url}/secrets", headers=auth(), timeout=30).text,
        requests.get(emu.api_url.replace("/api/v1", f"/s/{slug}"), timeout=30).text,
        reveal(emu, slug, typo(key_b)).text,
        reveal(emu, slug, key_b).text,
    ]
    seen += [record.getMessage() for record in emulator_records(caplog)]
    assert all(check not in text for text in seen)
    # Once the content is gone, so is the check.
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT key_check FROM secrets WHERE slug = ?", (slug,)).fetchone()
    assert stored is None
