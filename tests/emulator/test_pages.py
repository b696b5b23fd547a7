"""The emulator's other pages: a secret request's link and the favicon a browser asks for.

The viewer page has its own tests (``test_reveal.py``, ``test_viewer_browser.py``). A request's
link opens a page that says answering is not emulated, escapes what it shows and carries the
viewer's security headers; an unknown, deleted or expired request is a plain 404. Raw HTTP
against an emulator started by each test.
"""

from __future__ import annotations

import logging

import pytest
import requests

from sharokey.emulator import EmulatorHandle

from ._support import auth, create_request, emulator_records

pytestmark = pytest.mark.live


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


def test_a_request_url_opens_a_page_saying_answering_is_not_emulated(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    hostile = '<script>alert(1)</script> & "quotes"'
    made = create_request(emu, message=hostile, description="Database password, please")
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
    assert f"GET /r/{token[:4]}… 200" in logged
    assert token[4:] not in logged


def test_an_unknown_deleted_or_expired_request_page_is_a_plain_404(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    deleted = create_request(emu, message="gone soon")
    expiring = create_request(emu, message="short lived", request_expiration_hours=1)
    kept = create_request(emu, message="still here", request_expiration_hours=5)
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
