"""The emulator's store: identifiers, all-or-nothing creates, password hashes.

A slug or request token drawn twice is drawn again; a create that fails midway leaves no
secret behind; passwords are hashed also without scrypt, and a hash it cannot read lets
nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import requests

from sharokey.crypto import seal
from sharokey.emulator import EmulatorHandle, run_emulator
from sharokey.emulator import identifiers as emulator_identifiers

from ._support import TOKEN, auth, create_request, error_of, secret_body

pytestmark = pytest.mark.live


class _RepeatingDraws:
    """The store's ``secrets``: one slug and one token drawn twice, then real draws."""

    def __init__(self) -> None:
        # Two slugs of 8 characters, then two request tokens of 40, all drawn alike.
        self._chars = iter("S" * 16 + "T" * 80)
        self.token_bytes = secrets.token_bytes

    def choice(self, alphabet: str) -> str:
        return next(self._chars, None) or secrets.choice(alphabet)


def test_a_slug_or_request_token_drawn_twice_is_drawn_again(
    emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = [secret_body("first"), secret_body("second")]
    monkeypatch.setattr(emulator_identifiers, "secrets", _RepeatingDraws())
    slugs = []
    for body in bodies:
        made = requests.post(emu.api_url + "/secrets", json=body, headers=auth(), timeout=30)
        assert made.status_code == 201
        slugs.append(made.json()["data"]["slug"])
    tokens = [create_request(emu, message=m)["token"] for m in ("one", "two")]
    assert slugs[0] == "S" * 8
    assert slugs[1] != slugs[0]
    assert tokens[0] == "T" * 40
    assert tokens[1] != tokens[0]
    for slug in slugs:
        assert requests.post(f"{emu.api_url}/secrets/{slug}/reveal", timeout=30).status_code == 200


def test_a_create_failing_midway_leaves_no_secret_behind(tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.sqlite3")
    with run_emulator(tokens=[TOKEN], db=db):
        pass  # lays out the schema
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "CREATE TRIGGER disk_full BEFORE INSERT ON attachments "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
        conn.commit()
    sealed = seal("with a file", [("notes.txt", b"hello")], nonces="unique")
    with run_emulator(tokens=[TOKEN], db=db) as emu:
        failed = requests.post(
            emu.api_url + "/secrets", json=sealed.payload, headers=auth(), timeout=30
        )
        assert failed.status_code == 500
        assert error_of(failed)["code"] == "SERVER_ERROR"
        assert "disk full" not in failed.text
        assert emu.secret_count() == 0  # the secret went with its files
        plain = requests.post(
            emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30
        )
        assert plain.status_code == 201


def test_passwords_work_without_scrypt_and_an_unreadable_hash_lets_nobody_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(hashlib, "scrypt")  # Python built on an OpenSSL without it
    db = str(tmp_path / "emulator.sqlite3")
    password = "correct horse"
    with run_emulator(tokens=[TOKEN], db=db) as emu:
        made = requests.post(
            emu.api_url + "/secrets",
            json=secret_body(password=password, maximum_views=2),
            headers=auth(),
            timeout=30,
        )
        slug = made.json()["data"]["slug"]
        reveal = f"{emu.api_url}/secrets/{slug}/reveal"
        wrong = requests.post(reveal, json={"password": "wrong horse"}, timeout=30)
        assert error_of(wrong)["code"] == "INVALID_PASSWORD"
        assert requests.post(reveal, json={"password": password}, timeout=30).status_code == 200
        with closing(sqlite3.connect(db)) as conn:
            (stored,) = conn.execute("SELECT password_hash FROM secrets").fetchone()
            assert stored.startswith("pbkdf2_sha256$")
            assert password not in stored
            conn.execute("UPDATE secrets SET password_hash = 'md5$0123'")
            conn.commit()
        refused = requests.post(reveal, json={"password": password}, timeout=30)
        assert error_of(refused)["code"] == "INVALID_PASSWORD"
