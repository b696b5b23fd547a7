"""Emulator safety (docs/protocol.md#emulator-safety), each rule through real HTTP on loopback.

The emulator runs on developers' laptops: no web page may drive its controls, no request
may brick or exhaust it, no malformed input gets a 500, and a deleted secret is never
handed out again from a cache.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from sharokey.emulator import EmulatorHandle, run_emulator

from ._support import TOKEN, Api, auth, error_of, payload

pytestmark = pytest.mark.live

KIB = 1024
MIB = 1024 * KIB


@pytest.fixture
def alpha(emu: EmulatorHandle) -> Api:
    return Api(emu, TOKEN)


def control(emu: EmulatorHandle, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{emu.base_url}/_emulator/{path}", timeout=30, **kwargs)


def raw_request(emu: EmulatorHandle, head: str, body: bytes = b"") -> bytes:
    """Send ``head`` (and ``body``) on a fresh socket; the answer's first bytes."""
    parts = urlsplit(emu.base_url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        return sock.recv(65536)


# --------------------------------------------------------------------------- controls


def test_a_cross_site_text_plain_post_cannot_move_the_clock_or_add_faults(
    emu: EmulatorHandle,
) -> None:
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    clock = control(emu, "POST", "clock", data='{"advance_seconds": 90000}', headers=evil)
    fault = control(emu, "POST", "faults", data='{"rule": "* * 500"}', headers=evil)
    assert (clock.status_code, fault.status_code) == (403, 403)
    assert error_of(clock)["code"] == "PERMISSION_DENIED"
    assert emu.faults == []
    assert control(emu, "GET", "state").json()["data"]["clock"]["offset_seconds"] == 0


def test_a_control_body_must_be_json_even_from_the_same_origin(emu: EmulatorHandle) -> None:
    plain = control(
        emu, "POST", "clock", data='{"advance_seconds": 1}', headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 403
    assert "JSON" in error_of(plain)["message"]


def test_a_foreign_origin_is_refused_even_with_a_json_body(emu: EmulatorHandle) -> None:
    refused = control(
        emu, "POST", "clock", json={"advance_seconds": 1}, headers={"Origin": "http://evil.example"}
    )
    assert refused.status_code == 403
    own = control(
        emu, "POST", "clock", json={"advance_seconds": 1}, headers={"Origin": emu.base_url}
    )
    assert own.status_code == 200
    assert control(emu, "GET", "state", headers={"Origin": "null"}).status_code == 403


def test_a_rebound_host_name_cannot_read_the_outbox(emu: EmulatorHandle) -> None:
    rebound = control(emu, "GET", "outbox", headers={"Host": "attacker.example"})
    assert rebound.status_code == 403
    assert "loopback host" in error_of(rebound)["message"]
    port = urlsplit(emu.base_url).port
    for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert control(emu, "GET", "outbox", headers={"Host": host}).status_code == 200, host


@pytest.mark.parametrize("seconds", ["3e11", "Infinity", "NaN", "-5", "true", '"60"'])
def test_a_refused_clock_jump_is_400_and_changes_nothing(emu: EmulatorHandle, seconds: str) -> None:
    before = control(emu, "GET", "state").json()["data"]["clock"]["offset_seconds"]
    refused = control(
        emu,
        "POST",
        "clock",
        data='{"advance_seconds": ' + seconds + "}",
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 400, refused.text
    assert error_of(refused)["details"]["advance_seconds"]
    assert control(emu, "GET", "state").json()["data"]["clock"]["offset_seconds"] == before
    assert requests.get(emu.api_url + "/health", timeout=30).status_code == 200
    assert requests.get(emu.api_url + "/secrets", headers=auth(), timeout=30).status_code == 200


@pytest.mark.parametrize(
    "rule", ["GET * delay=100000", "GET * 500x99999999", "GET * 503 retry-after=9999999"]
)
def test_a_fault_rule_beyond_its_bounds_is_400(emu: EmulatorHandle, rule: str) -> None:
    refused = control(emu, "POST", "faults", json={"rule": rule})
    assert refused.status_code == 400, refused.text
    assert emu.faults == []


# --------------------------------------------------------------------------- bodies


def test_a_reveal_body_is_capped_at_64_kib(alpha: Api, emu: EmulatorHandle) -> None:
    slug = alpha.create()["slug"]
    fits = json.dumps({"captcha": "x" * 1000}).encode()
    url = f"{emu.api_url}/secrets/{slug}/reveal"
    headers = {"Content-Type": "application/json"}
    assert requests.post(url, data=fits, headers=headers, timeout=30).status_code == 200
    over = b'{"password": "' + b"p" * (64 * KIB) + b'"}'
    refused = requests.post(
        f"{emu.api_url}/secrets/NOSUCHSL/reveal", data=over, headers=headers, timeout=30
    )
    assert refused.status_code == 413
    assert error_of(refused)["code"] == "PAYLOAD_TOO_LARGE"


def test_a_chunked_body_is_cut_off_at_the_cap(emu: EmulatorHandle) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b" " * KIB

    refused = requests.post(
        f"{emu.api_url}/secrets/NOSUCHSL/reveal",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert refused.status_code == 413


def test_other_endpoints_take_64_kib_and_create_16_mib(alpha: Api) -> None:
    big_request = alpha.call("POST", "/requests", json={"message": "m" * (65 * KIB)})
    assert big_request.status_code == 413
    over = b" " * (16 * MIB + 1)
    create = alpha.call("POST", "/secrets", data=over, headers={"Content-Type": "application/json"})
    assert create.status_code == 413
    assert "16 MiB" in error_of(create)["message"]


def test_the_token_is_checked_before_the_body_is_read(emu: EmulatorHandle) -> None:
    # Headers promise 14 MiB; not one byte of it is sent, yet the answer comes.
    answer = raw_request(
        emu,
        f"POST /api/v1/secrets HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
        f"Content-Length: {14 * MIB}\n",
    )
    assert answer.startswith(b"HTTP/1.1 401")


def test_nesting_deeper_than_64_levels_is_400(alpha: Api, emu: EmulatorHandle) -> None:
    deep = "[" * 65 + "]" * 65
    refused = alpha.call(
        "POST", "/secrets", data=deep, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 400
    assert "64 levels" in error_of(refused)["message"]
    within = alpha.call(
        "POST", "/secrets", data="[" * 64 + "]" * 64, headers={"Content-Type": "application/json"}
    )
    assert within.status_code == 422  # parsed, then refused as not an object
    # Brackets inside strings are text, not nesting.
    text = alpha.create(description="[" * 200)
    assert text["description"] == "[" * 200
    reveal = requests.post(
        f"{emu.api_url}/secrets/NOSUCHSL/reveal",
        data='{"a":' * 100 + "1" + "}" * 100,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert reveal.status_code == 400


def test_a_body_of_a_million_empty_lists_is_refused_before_parsing(alpha: Api) -> None:
    flood = "[" + ",".join(["[]"] * 1_000_000) + "]"
    refused = alpha.call(
        "POST", "/secrets", data=flood, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 400
    assert "at most 10000 arrays and objects" in error_of(refused)["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_declared_json_is_415(alpha: Api, content_type: Any) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    refused = alpha.call("POST", "/secrets", data=json.dumps(payload()), headers=headers)
    assert refused.status_code == 415
    assert error_of(refused)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert alpha.call("POST", "/secrets", json=payload()).status_code == 201


# --------------------------------------------------------------------------- caches


def test_a_deleted_secret_is_never_replayed(alpha: Api, emu: EmulatorHandle) -> None:
    slug = alpha.create(maximum_views=3)["slug"]
    key = {"Idempotency-Key": "reveal-once"}
    url = f"{emu.api_url}/secrets/{slug}/reveal"
    first = requests.post(url, json={}, headers=key, timeout=30)
    assert first.status_code == 200
    again = requests.post(url, json={}, headers=key, timeout=30)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert alpha.call("DELETE", f"/secrets/{slug}").status_code == 200
    after = requests.post(url, json={}, headers=key, timeout=30)
    assert after.status_code == 404
    assert "content" not in after.text


def test_a_used_up_or_expired_secret_is_not_replayed(alpha: Api, emu: EmulatorHandle) -> None:
    used = alpha.create(maximum_views=1)["slug"]
    key = {"Idempotency-Key": "k1"}
    url = f"{emu.api_url}/secrets/{used}/reveal"
    assert requests.post(url, json={}, headers=key, timeout=30).status_code == 200
    assert requests.post(url, json={}, headers=key, timeout=30).status_code == 404

    expiring = alpha.create(maximum_views=5, expiration_hours=1)["slug"]
    url = f"{emu.api_url}/secrets/{expiring}/reveal"
    emu.advance(minutes=58)
    assert requests.post(url, json={}, headers=key, timeout=30).status_code == 200
    emu.advance(minutes=3)  # the secret's hour is over; the key's 5 minutes are not
    assert requests.post(url, json={}, headers=key, timeout=30).status_code == 404


def test_the_same_key_from_two_companies_makes_two_secrets() -> None:
    with run_emulator(tokens=["company-a-token", "company-b-token"]) as emu:
        key = {"Idempotency-Key": "shared-key"}
        made = [
            Api(emu, token).call("POST", "/secrets", json=payload(), headers=key).json()
            for token in ("company-a-token", "company-b-token")
        ]
        assert made[0]["data"]["slug"] != made[1]["data"]["slug"]


def test_the_idempotency_cache_is_bounded_in_entries_and_bytes() -> None:
    from sharokey.emulator.state import IDEMPOTENCY_MAX_BYTES, IDEMPOTENCY_MAX_ENTRIES

    with run_emulator(tokens=[TOKEN]) as emu:
        api = Api(emu, TOKEN)
        slugs = [api.create(maximum_views=1000)["slug"] for _ in range(2)]
        with requests.Session() as http:
            for index in range(IDEMPOTENCY_MAX_ENTRIES + 20):
                sent = http.post(
                    f"{emu.api_url}/secrets/{slugs[index % 2]}/reveal",
                    json={},
                    headers={"Idempotency-Key": f"k{index}"},
                    timeout=30,
                )
                assert sent.status_code == 200
        entries, size = emu._state.idempotency.size
        assert entries == IDEMPOTENCY_MAX_ENTRIES
        assert size <= IDEMPOTENCY_MAX_BYTES


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize("query", ["limit=²", "page=٣", "limit=1e3", "page=99999999999999"])
def test_non_ascii_or_huge_numbers_in_a_query_are_422(alpha: Api, query: str) -> None:
    for path in ("/secrets", "/requests"):
        refused = alpha.call("GET", f"{path}?{query}")
        assert refused.status_code == 422, (path, refused.text)
        assert error_of(refused)["code"] == "VALIDATION_ERROR"


def attachment(plaintext: int) -> dict[str, Any]:
    return {"name": "a.bin", "data": base64.b64encode(bytes(plaintext + 16)).decode()}


@pytest.mark.parametrize("size", [2**70, 10**15, 99, -1, "12", "x"])
def test_a_declared_size_that_disagrees_with_the_data_is_422(alpha: Api, size: Any) -> None:
    refused = alpha.call(
        "POST", "/secrets", json=payload(attachments=[{**attachment(100), "size": size}])
    )
    assert refused.status_code == 422, refused.text
    assert "attachments.0.size" in error_of(refused)["details"]


def test_the_declared_total_size_must_be_the_sum(alpha: Api) -> None:
    files = [{**attachment(100), "size": 100}, attachment(50)]
    wrong = alpha.call(
        "POST", "/secrets", json=payload(attachments=files, attachments_total_size=10)
    )
    assert wrong.status_code == 422
    assert "attachments_total_size" in error_of(wrong)["details"]
    none = alpha.call("POST", "/secrets", json=payload(attachments_total_size=2**70))
    assert none.status_code == 422
    right = alpha.call(
        "POST", "/secrets", json=payload(attachments=files, attachments_total_size=150)
    )
    assert right.status_code == 201, right.text


@pytest.mark.parametrize(
    "fields",
    [
        {"maximum_views": 2**70},
        {"expiration_hours": 1e300},
        {"maximum_views": "٣"},
        {"captcha": 2**70},
        {"attachments": [{"name": "a", "data": "AAAA" * 5, "iv": 2**70}]},
    ],
)
def test_integers_beyond_sqlite_are_422_not_500(alpha: Api, fields: dict[str, Any]) -> None:
    refused = alpha.call("POST", "/secrets", json=payload(**fields))
    assert refused.status_code == 422, refused.text


# --------------------------------------------------------------------------- OTP, links


def test_at_most_five_codes_per_secret_in_ten_minutes(alpha: Api, emu: EmulatorHandle) -> None:
    slug = alpha.create(otp_type="email", otp_receiver="reader@example.com")["slug"]
    for _ in range(5):
        asked = alpha.reveal(slug)
        assert error_of(asked)["code"] == "OTP_REQUIRED"
    limited = alpha.reveal(slug)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 600
    assert len(emu.outbox) == 5
    emu.advance(seconds=601)
    assert error_of(alpha.reveal(slug))["code"] == "OTP_REQUIRED"


def test_access_url_ignores_the_host_header(alpha: Api, emu: EmulatorHandle) -> None:
    made = alpha.call("POST", "/secrets", json=payload(), headers={"Host": "attacker.example"})
    assert made.json()["data"]["access_url"].startswith(emu.base_url + "/s/")
    slug = made.json()["data"]["slug"]
    details = alpha.call("GET", f"/secrets/{slug}", headers={"Host": "attacker.example"})
    assert "attacker" not in details.text


def test_access_url_follows_the_configured_public_url() -> None:
    with run_emulator(tokens=[TOKEN], public_url="https://sharokey.test/") as emu:
        made = Api(emu, TOKEN).create()
        assert made["access_url"] == f"https://sharokey.test/s/{made['slug']}"
        assert emu.public_url == "https://sharokey.test"
    with pytest.raises(ValueError, match="public URL"), run_emulator(public_url="ftp://x"):
        pass
