"""The emulator's edges, as a client of it sees them.

Late answers and clients that give up, the pages a browser meets (favicon,
secret-request links), and every refusal the emulator can answer with: each
test starts its own emulator on loopback and speaks raw HTTP.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
import requests

from sharokey.crypto import seal
from sharokey.emulator import EmulatorHandle, run_emulator

pytestmark = pytest.mark.live

TOKEN = "more-test-token-0001"
SETTLE = 10.0  # the longest a test waits for the server to finish what a client left


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def secret_body(text: str = "the secret", **fields: Any) -> dict[str, Any]:
    return {**seal(text).payload, "maximum_views": 1, **fields}


def eventually(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within SETTLE seconds (the server runs in its own thread)."""
    deadline = time.monotonic() + SETTLE
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def emulator_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("sharokey.emulator")]


# --------------------------------------------------------------------------- late answers


def test_a_delayed_post_is_handled_after_the_client_gave_up(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    emu.add_fault("POST /api/v1/secrets delay=0.5 x1")
    with pytest.raises(requests.ReadTimeout):
        requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=0.1)
    assert eventually(lambda: emu.hits("POST", "/api/v1/secrets") == 1)
    # The body had arrived before the client left: the server acted on it, no 500.
    assert emu.secret_count() == 1
    assert [s for _, _, s in emu.request_log] != [500]
    assert not [r for r in emulator_records(caplog) if r.levelno >= logging.WARNING]


def test_delay_after_stores_first_and_answers_late(emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets delay-after=3 x1")
    with pytest.raises(requests.ReadTimeout):
        requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=0.3)
    # The secret exists while the server still sits on its answer.
    assert eventually(lambda: emu.secret_count() == 1)
    assert emu.hits("POST", "/api/v1/secrets") == 0
    assert eventually(lambda: emu.hits("POST", "/api/v1/secrets") == 1)
    assert emu.request_log == [("POST", "/api/v1/secrets", 0)]  # the answer reached nobody


def test_delay_after_answers_a_patient_client_in_full(emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets delay-after=0.2 x1")
    body = secret_body()
    headers = {**auth(), "Idempotency-Key": "late-1"}
    response = requests.post(emu.api_url + "/secrets", json=body, headers=headers, timeout=30)
    assert response.status_code == 201
    # A repeat with the key replays the stored answer: one secret, the same slug.
    again = requests.post(emu.api_url + "/secrets", json=body, headers=headers, timeout=30)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["data"]["slug"] == response.json()["data"]["slug"]
    assert emu.secret_count() == 1
    assert emu.faults == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_delayed_body_too_large_is_still_a_413_envelope(chunked: bool) -> None:
    with run_emulator(tokens=[TOKEN], max_body_mib=0.01) as small:
        small.add_fault("POST /api/v1/secrets delay=0.1 x1")
        raw = b'{"content": "' + b"A" * 20_000 + b'"}'
        data: Any = iter([raw[i : i + 4096] for i in range(0, len(raw), 4096)]) if chunked else raw
        response = requests.post(
            small.api_url + "/secrets",
            data=data,
            headers={**auth(), "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        assert small.secret_count() == 0


# --------------------------------------------------------------------------- clients that leave


def _send_half_a_body_and_leave(emu: EmulatorHandle) -> None:
    """A client that announces a body, sends part of it and closes the connection.

    ``Expect: 100-continue`` makes the server say when it has taken the request
    up, so the client leaves while the body is being read, not before.
    """
    host, port = emu.base_url.rsplit("//", 1)[1].split(":")
    head = (
        "POST /api/v1/secrets HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\n"
        "Expect: 100-continue\r\n"
        "Content-Length: 1000\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode("ascii"))
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b'{"content": "')


@pytest.mark.parametrize("fault", [None, "POST /api/v1/secrets delay=0.2 x1"])
def test_a_client_leaving_mid_body_is_one_debug_line_not_an_error(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture, fault: Optional[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    if fault is not None:
        emu.add_fault(fault)
    _send_half_a_body_and_leave(emu)
    assert eventually(lambda: emu.hits("POST", "/api/v1/secrets") == 1)
    assert emu.request_log == [("POST", "/api/v1/secrets", 0)]  # nothing was answered
    assert emu.secret_count() == 0
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == []
    gone = [r for r in emulator_records(caplog) if "went away" in r.getMessage()]
    assert len(gone) == 1
    assert gone[0].levelno == logging.DEBUG
    assert gone[0].exc_info is None
    assert gone[0].getMessage() == "client went away before the answer: POST /api/v1/secrets"
    assert requests.get(emu.api_url + "/health", timeout=30).status_code == 200


# --------------------------------------------------------------------------- pages a browser meets


def test_the_favicon_a_browser_asks_for_is_an_empty_204(emu: EmulatorHandle) -> None:
    response = requests.get(emu.base_url + "/favicon.ico", timeout=30)
    assert response.status_code == 204
    assert response.content == b""
    assert emu.request_log == [("GET", "/favicon.ico", 204)]


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Referrer-Policy",
    "Cache-Control",
    "X-Content-Type-Options",
    "X-Frame-Options",
)


def _create_request(emu: EmulatorHandle, **fields: Any) -> dict[str, Any]:
    response = requests.post(emu.api_url + "/requests", json=fields, headers=auth(), timeout=30)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_a_request_url_opens_a_page_saying_answering_is_not_emulated(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    hostile = '<script>alert(1)</script> & "quotes"'
    made = _create_request(emu, message=hostile, description="Database password, please")
    token = made["token"]
    assert made["request_url"] == f"{emu.base_url}/r/{token}"

    page = requests.get(made["request_url"], timeout=30)  # no token: it is a link
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Database password, please" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in page.text
    assert hostile not in page.text
    assert "not emulated" in page.text
    assert token[4:] not in page.text

    viewer = requests.get(emu.base_url + "/s/ABCDEFGH", timeout=30)
    for name in SECURITY_HEADERS:
        assert name in page.headers
        if name != "Content-Security-Policy":
            assert page.headers[name] == viewer.headers[name]
    csp = page.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "form-action 'none'"):
        assert directive in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]

    logged = "\n".join(r.getMessage() for r in emulator_records(caplog))
    assert f"GET /r/{token[:4]}... 200" in logged
    assert token[4:] not in logged


def test_an_unknown_deleted_or_expired_request_page_is_a_plain_404(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    deleted = _create_request(emu, message="gone soon")
    expiring = _create_request(emu, message="short lived", request_expiration_hours=1)
    kept = _create_request(emu, message="still here", request_expiration_hours=5)
    gone = requests.delete(f"{emu.api_url}/requests/{deleted['token']}", headers=auth(), timeout=30)
    assert gone.status_code == 200
    emu.advance(hours=2)
    unknown = "Zz" * 20
    for token in (unknown, deleted["token"], expiring["token"]):
        page = requests.get(f"{emu.base_url}/r/{token}", timeout=30)
        assert page.status_code == 404
        assert page.headers["Content-Type"].startswith("text/html")
        assert "not found or expired" in page.text
        assert token[4:] not in page.text
        assert "short lived" not in page.text
        for name in SECURITY_HEADERS:
            assert name in page.headers
    assert requests.get(kept["request_url"], timeout=30).status_code == 200
    logged = "\n".join(r.getMessage() for r in emulator_records(caplog))
    for token in (unknown, deleted["token"], expiring["token"]):
        assert token[4:] not in logged


# --------------------------------------------------------------------------- starting


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
