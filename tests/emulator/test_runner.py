"""Starting the emulator from Python (``run_emulator``) and the handle it gives.

Bad options and a port already taken fail in the caller's code; the handle never shows a
token, refuses tokens that are not the emulator's, and says when no one-time code was sent.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests

from sharokey.emulator import EmulatorHandle, run_emulator

from ._support import TOKEN, auth, secret_body

pytestmark = pytest.mark.live


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"tokens": ["two words"]}, "no white space"),
        ({"tokens": [""]}, "non-empty"),
        ({"readonly_tokens": ["tab\there"]}, "no white space"),
        ({"quota": -1}, "zero or more"),
        ({"list_shape": "xml"}, "documented, items"),
    ],
)
def test_bad_options_raise_a_value_error_in_the_callers_code(
    options: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint), run_emulator(**options):
        pytest.fail("the block must not run")


def test_a_port_already_taken_raises_os_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError), run_emulator(port=port):
            pytest.fail("the block must not run")


def test_the_handle_never_shows_a_token_and_refuses_strangers(emu: EmulatorHandle) -> None:
    assert TOKEN not in repr(emu)
    assert "1 hidden" in repr(emu)
    for ask in (emu.secret_count, emu.creator):
        with pytest.raises(ValueError, match="not one of this emulator's tokens") as info:
            ask("stranger-token-123")
        assert "stranger-token-123" not in str(info.value)
    assert emu.secret_count(TOKEN) == 0
    emu.set_list_shape("items")
    assert emu.list_shape == "items"
    listed = requests.get(emu.api_url + "/secrets", headers=auth(), timeout=30).json()
    assert listed["data"]["items"] == []


def test_last_otp_says_when_no_code_was_sent(emu: EmulatorHandle) -> None:
    with pytest.raises(LookupError, match=r"no one-time code was sent$"):
        emu.last_otp()
    made = requests.post(
        emu.api_url + "/secrets",
        json=secret_body(otp_type="email", otp_receiver="ann@example.com"),
        headers=auth(),
        timeout=30,
    )
    slug = made.json()["data"]["slug"]
    reveal = requests.post(f"{emu.api_url}/secrets/{slug}/reveal", json={}, timeout=30)
    assert reveal.json()["error"]["code"] == "OTP_REQUIRED"
    assert emu.last_otp() == emu.last_otp(slug)
    with pytest.raises(LookupError, match="for NOPE0000"):
        emu.last_otp("NOPE0000")
    # The code may arrive as a JSON number: it is read as the digits it spells.
    code = emu.last_otp(slug)
    while code.startswith("0"):  # a number cannot spell a leading zero: ask for another
        requests.post(f"{emu.api_url}/secrets/{slug}/reveal", json={}, timeout=30)
        code = emu.last_otp(slug)
    opened = requests.post(
        f"{emu.api_url}/secrets/{slug}/reveal", json={"otp": int(code)}, timeout=30
    )
    assert opened.status_code == 200
