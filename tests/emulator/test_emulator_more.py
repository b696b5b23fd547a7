"""The emulator's edges, as a client of it sees them.

Late answers and clients that give up, the pages a browser meets (favicon,
secret-request links), and every refusal the emulator can answer with: each
test starts its own emulator on loopback and speaks raw HTTP.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import aiohttp
import pytest
import requests
from aiohttp import web

from sharokey.crypto import seal
from sharokey.emulator import Clock, EmulatorHandle, EmulatorState, create_app, run_emulator
from sharokey.emulator import app as emulator_app
from sharokey.emulator import store as emulator_store

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


# --------------------------------------------------------------------------- the clock


def _created_at(emu: EmulatorHandle) -> str:
    made = requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30)
    stamp: str = made.json()["data"]["created_at"]
    return stamp


def test_a_naive_start_time_is_read_as_utc() -> None:
    with run_emulator(tokens=[TOKEN], clock=datetime(2031, 5, 6, 7, 8, 9)) as emu:
        assert _created_at(emu).startswith("2031-05-06T07:08:")
        assert emu.now().tzinfo is not None


def test_a_clock_function_sets_the_emulated_time() -> None:
    frozen = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with run_emulator(tokens=[TOKEN], clock=lambda: frozen) as emu:
        assert _created_at(emu) == "2030-01-02T03:04:05.000000Z"
        assert emu.advance(hours=1) == frozen + timedelta(hours=1)


def test_a_clock_of_the_callers_own_is_the_one_the_emulator_reads() -> None:
    clock = Clock(start=datetime(2029, 3, 1, tzinfo=timezone.utc))
    with run_emulator(tokens=[TOKEN], clock=clock) as emu:
        made = requests.post(
            emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30
        )
        slug = made.json()["data"]["slug"]
        clock.advance(days=2)  # the caller's clock, not the handle
        details = requests.get(f"{emu.api_url}/secrets/{slug}", headers=auth(), timeout=30)
        assert details.json()["data"]["status"] == "expired"


def test_the_clock_never_moves_back(emu: EmulatorHandle) -> None:
    before = emu.now()
    with pytest.raises(ValueError, match="only moves forward"):
        emu.advance(seconds=-1)
    assert emu.now() >= before
    refused = requests.post(
        emu.base_url + "/_emulator/clock", json={"advance_seconds": True}, timeout=30
    )
    assert refused.status_code == 422


# --------------------------------------------------------------------------- refusals


def _error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"page": "0"}, "page", "The page must be an integer of at least 1"),
        ({"page": "two"}, "page", "The page must be an integer of at least 1"),
        ({"limit": "0"}, "limit", "The limit must be an integer between 1 and 100"),
        ({"status": "lost"}, "status", "The selected status is invalid"),
    ],
)
def test_bad_list_parameters_are_422(
    emu: EmulatorHandle, query: dict[str, str], field: str, message: str
) -> None:
    for path in ("/secrets", "/requests"):
        response = requests.get(emu.api_url + path, params=query, headers=auth(), timeout=30)
        assert response.status_code == 422
        error = _error(response)
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"] == {field: [message]}


def test_a_request_body_that_is_not_an_object_is_422(emu: EmulatorHandle) -> None:
    response = requests.post(
        emu.api_url + "/requests", json=["message"], headers=auth(), timeout=30
    )
    assert response.status_code == 422
    assert _error(response)["details"] == {"body": ["The request body must be a JSON object"]}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (["password"], "body", "The request body must be a JSON object"),
        (
            {"password": 1234},
            "password",
            "The password must be a string of at most 1024 characters",
        ),
        (
            {"captcha": "x" * 1025},
            "captcha",
            "The captcha must be a string of at most 1024 characters",
        ),
    ],
)
def test_a_malformed_reveal_is_422_and_counts_no_view(
    emu: EmulatorHandle, body: Any, field: str, message: str
) -> None:
    made = requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30)
    slug = made.json()["data"]["slug"]
    response = requests.post(f"{emu.api_url}/secrets/{slug}/reveal", json=body, timeout=30)
    assert response.status_code == 422
    assert _error(response)["details"] == {field: [message]}
    assert requests.post(f"{emu.api_url}/secrets/{slug}/reveal", timeout=30).status_code == 200


def test_an_idempotency_key_over_255_characters_is_422(emu: EmulatorHandle) -> None:
    response = requests.post(
        emu.api_url + "/secrets",
        json=secret_body(),
        headers={**auth(), "Idempotency-Key": "k" * 256},
        timeout=30,
    )
    assert response.status_code == 422
    assert _error(response)["details"] == {
        "Idempotency-Key": ["The Idempotency-Key may have 255 characters at most"]
    }
    assert emu.secret_count() == 0


def test_a_fault_rule_that_is_not_a_string_is_422(emu: EmulatorHandle) -> None:
    response = requests.post(emu.base_url + "/_emulator/faults", json={"rule": 500}, timeout=30)
    assert response.status_code == 422
    assert "must be a string" in _error(response)["details"]["rule"][0]
    assert emu.faults == []


# --------------------------------------------------------------------------- fault effects


def test_a_delayed_status_fault_answers_that_status_and_stores_nothing(
    emu: EmulatorHandle,
) -> None:
    emu.add_fault("POST /api/v1/secrets 503x1 delay=0.1 retry-after=2")
    response = requests.post(
        emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert emu.secret_count() == 0


def test_a_drop_after_the_client_left_logs_an_unanswered_request(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    emu.add_fault("GET /api/v1/health drop delay=1 x1")
    with pytest.raises(requests.ReadTimeout):
        requests.get(emu.api_url + "/health", timeout=0.1)
    assert eventually(lambda: emu.hits("GET", "/api/v1/health") == 1)
    assert emu.request_log == [("GET", "/api/v1/health", 0)]
    assert not [r for r in emulator_records(caplog) if r.levelno >= logging.WARNING]
    assert requests.get(emu.api_url + "/health", timeout=30).status_code == 200


def test_truncating_an_answer_without_a_body_leaves_it_whole(emu: EmulatorHandle) -> None:
    emu.add_fault("GET /favicon.ico truncate x1")
    response = requests.get(emu.base_url + "/favicon.ico", timeout=30)
    assert (response.status_code, response.content) == (204, b"")
    assert emu.faults == []


# --------------------------------------------------------------------------- viewer page


def test_without_its_viewer_file_the_page_says_so_and_still_carries_the_config(
    emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(emulator_app, "VIEWER_PATH", tmp_path / "not-installed.html")
    made = requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30)
    slug = made.json()["data"]["slug"]
    page = requests.get(f"{emu.base_url}/s/{slug}", timeout=30)
    assert page.status_code == 200
    assert "The viewer page is not installed." in page.text
    assert f'"slug": "{slug}"' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"


# --------------------------------------------------------------------------- other sockets


@asynccontextmanager
async def serving(
    app: web.Application, site: Callable[[web.AppRunner], web.BaseSite]
) -> AsyncIterator[None]:
    """Serve ``create_app``'s application on a site of the test's choosing."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await site(runner).start()
        yield
    finally:
        await runner.cleanup()  # also closes the emulator's state


async def _reveal_status(http: aiohttp.ClientSession, base: str, allow: str) -> int:
    body = secret_body(ip_whitelist=allow)
    async with http.post(base + "/api/v1/secrets", json=body, headers=auth()) as made:
        assert made.status == 201
        slug = (await made.json())["data"]["slug"]
    async with http.post(f"{base}/api/v1/secrets/{slug}/reveal") as reveal:
        if reveal.status == 403:
            assert (await reveal.json())["error"]["code"] == "ACCESS_DENIED"
        return reveal.status


async def test_over_a_unix_socket_no_client_is_loopback_or_on_an_allow_list(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "emu.sock")
    app = create_app(EmulatorState(tokens=[TOKEN]))
    connector = aiohttp.UnixConnector(path=path)
    async with (
        serving(app, lambda r: web.UnixSite(r, path)),
        aiohttp.ClientSession(connector=connector) as http,
    ):
        base = "http://emulator"
        async with http.get(base + "/_emulator/state") as control:
            assert control.status == 403
            assert (await control.json())["error"]["code"] == "PERMISSION_DENIED"
        assert await _reveal_status(http, base, "127.0.0.1") == 403
        async with http.get(base + "/api/v1/health") as health:
            assert health.status == 200


def _dual_stack_loopback() -> socket.socket:
    """An IPv6 socket on which IPv4 clients arrive as ``::ffff:127.0.0.1``."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::ffff:127.0.0.1", 0))
    except OSError as error:
        sock.close()
        pytest.skip(f"no dual-stack IPv6 socket here: {error}")
    return sock


async def test_an_ipv4_client_of_a_dual_stack_socket_counts_as_its_ipv4_address() -> None:
    sock = _dual_stack_loopback()
    port = sock.getsockname()[1]
    app = create_app(EmulatorState(tokens=[TOKEN]))
    async with serving(app, lambda r: web.SockSite(r, sock)), aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{port}"
        async with http.get(base + "/_emulator/state") as control:
            assert control.status == 200
        assert await _reveal_status(http, base, "127.0.0.1") == 200
        assert await _reveal_status(http, base, "10.0.0.0/8") == 403


def test_an_ipv6_loopback_client_reaches_the_controls_but_no_ipv4_allow_list() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    with run_emulator(tokens=[TOKEN], host="::1") as emu:
        assert emu.base_url.startswith("http://[::1]:")
        assert requests.get(emu.base_url + "/_emulator/state", timeout=30).status_code == 200
        made = requests.post(
            emu.api_url + "/secrets",
            json=secret_body(ip_whitelist="127.0.0.0/8"),
            headers=auth(),
            timeout=30,
        )
        slug = made.json()["data"]["slug"]
        denied = requests.post(f"{emu.api_url}/secrets/{slug}/reveal", timeout=30)
        assert denied.status_code == 403
        assert _error(denied)["code"] == "ACCESS_DENIED"


async def test_http_errors_of_routes_added_to_the_app_answer_in_the_envelope() -> None:
    async def gone(request: web.Request) -> web.Response:
        raise web.HTTPGone()

    async def busy(request: web.Request) -> web.Response:
        raise web.HTTPServiceUnavailable()

    app = create_app(EmulatorState(tokens=[TOKEN]))
    app.router.add_get("/gone", gone)
    app.router.add_get("/busy", busy)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        async with serving(app, lambda r: web.SockSite(r, sock)), aiohttp.ClientSession() as http:
            for path, status, code in (
                ("/gone", 410, "BAD_REQUEST"),
                ("/busy", 503, "SERVER_ERROR"),
            ):
                async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                    assert response.status == status
                    body = await response.json()
                    assert body["success"] is False
                    assert body["error"]["code"] == code
                    assert body["error"]["message"]


# --------------------------------------------------------------------------- the store


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
    monkeypatch.setattr(emulator_store, "secrets", _RepeatingDraws())
    slugs = []
    for body in bodies:
        made = requests.post(emu.api_url + "/secrets", json=body, headers=auth(), timeout=30)
        assert made.status_code == 201
        slugs.append(made.json()["data"]["slug"])
    tokens = [_create_request(emu, message=m)["token"] for m in ("one", "two")]
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
        assert _error(failed)["code"] == "SERVER_ERROR"
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
        assert _error(wrong)["code"] == "INVALID_PASSWORD"
        assert requests.post(reveal, json={"password": password}, timeout=30).status_code == 200
        with closing(sqlite3.connect(db)) as conn:
            (stored,) = conn.execute("SELECT password_hash FROM secrets").fetchone()
            assert stored.startswith("pbkdf2_sha256$")
            assert password not in stored
            conn.execute("UPDATE secrets SET password_hash = 'md5$0123'")
            conn.commit()
        refused = requests.post(reveal, json={"password": password}, timeout=30)
        assert _error(refused)["code"] == "INVALID_PASSWORD"
