"""Who is on the other end of the emulator's sockets, and what the emulator makes of them.

A client that leaves in the middle of its body is one debug line, not an error. For clients
over a Unix socket, IPv4 clients of a dual-stack socket and IPv6 loopback clients: which of
them count as loopback for the control endpoints, and which address the IP allow-lists see.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Optional

import aiohttp
import pytest
import requests
from aiohttp import web

from sharokey.emulator import EmulatorHandle, EmulatorState, create_app, run_emulator

from ._support import TOKEN, auth, emulator_records, error_of, eventually, secret_body, serving

pytestmark = pytest.mark.live


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
        assert error_of(denied)["code"] == "ACCESS_DENIED"
