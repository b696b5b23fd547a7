"""The emulator's management API: what a client of the service sees.

Every test starts its own emulator on loopback and speaks plain HTTP with
``requests``: the emulator is checked against the contract (docs/protocol.md, sections
2, 3 and 5), not against the SDK client.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from aiohttp import web

from sharokey.crypto import open_payload, seal
from sharokey.emulator import EmulatorHandle, EmulatorState, create_app, run_emulator
from sharokey.emulator.store import Store

from ._support import TOKEN, Api, error_of, payload, serving

pytestmark = pytest.mark.live

ALPHA = "alpha-token-0001"
BETA = "beta-token-0002"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
SECRET_FIELDS = {
    "slug",
    "description",
    "message",
    "creator",
    "maximum_views",
    "current_views",
    "expiration",
    "has_password",
    "has_attachments",
    "attachments_count",
    "captcha",
    "otp_type",
    "ip_whitelist",
    "geolocation",
    "is_expired",
    "status",
    "access_url",
    "created_at",
    "updated_at",
}


def auth(token: str = ALPHA) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[ALPHA, BETA]) as handle:
        yield handle


@pytest.fixture
def alpha(emu: EmulatorHandle) -> Api:
    return Api(emu, ALPHA)


@pytest.fixture
def beta(emu: EmulatorHandle) -> Api:
    return Api(emu, BETA)


# --------------------------------------------------------------------------- create and read


def test_create_answers_the_documented_fields(emu: EmulatorHandle, alpha: Api) -> None:
    response = alpha.call(
        "POST", "/secrets", json=payload(description="DB password", message="Use it soon")
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"]
    data = body["data"]
    assert re.fullmatch(r"[A-Z0-9]{8}", data["slug"])
    assert data["access_url"] == f"{emu.base_url}/s/{data['slug']}"
    assert data["share_url"] == data["access_url"]
    assert "#" not in data["share_url"]
    assert data["expires_in_hours"] == 24
    assert data["creator"] == emu.creator(ALPHA)
    assert data["creator"].startswith("owner@")
    assert (data["description"], data["message"]) == ("DB password", "Use it soon")
    assert (data["maximum_views"], data["current_views"]) == (1, 0)
    for name in ("expiration", "created_at", "updated_at"):
        assert STAMP_RE.fullmatch(data[name]), data[name]
    created = datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    expires = datetime.strptime(data["expiration"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert expires - created == timedelta(hours=24)


def test_details_and_list_carry_the_spec_fields(alpha: Api) -> None:
    sealed = seal("with files", [("config.json", b"{}"), ("b.bin", b"\x00" * 40)], nonces="unique")
    response = alpha.call(
        "POST",
        "/secrets",
        json={
            **sealed.payload,
            "expiration_hours": 5,
            "maximum_views": 3,
            "captcha": True,
            "ip_whitelist": "192.168.1.0/24, 10.0.0.1",
            "geolocation": "fr,US",
        },
    )
    slug = response.json()["data"]["slug"]
    details = alpha.details(slug)
    assert set(details) >= SECRET_FIELDS | {"attachments"}
    assert details["attachments"] == [{"name": "config.json"}, {"name": "b.bin"}]
    assert details["has_attachments"] is True
    assert details["attachments_count"] == 2
    assert details["captcha"] is True
    assert details["has_password"] is False
    assert details["ip_whitelist"] == "192.168.1.0/24,10.0.0.1"
    assert details["geolocation"] == "FR,US"
    assert (details["status"], details["is_expired"]) == ("active", False)

    listed = alpha.call("GET", "/secrets").json()["data"]
    assert [item["slug"] for item in listed] == [slug]
    assert set(listed[0]) >= SECRET_FIELDS
    assert "attachments" not in listed[0]


def test_companies_are_isolated_on_every_endpoint(alpha: Api, beta: Api) -> None:
    slug = alpha.create(description="alpha only")["slug"]
    token = alpha.call("POST", "/requests", json={"message": "send it"}).json()["data"]["token"]

    assert error_of(beta.call("GET", f"/secrets/{slug}"))["code"] == "NOT_FOUND"
    assert beta.call("GET", f"/secrets/{slug}").status_code == 404
    assert beta.call("DELETE", f"/secrets/{slug}").status_code == 404
    assert beta.call("GET", "/secrets").json()["data"] == []
    assert beta.call("GET", "/secrets", params={"status": "expired"}).json()["data"] == []
    assert beta.call("GET", "/secrets-stats").json()["data"]["total_secrets"] == 0
    assert beta.call("GET", f"/requests/{token}").status_code == 404
    assert beta.call("DELETE", f"/requests/{token}").status_code == 404
    assert beta.call("GET", "/requests").json()["data"] == []
    assert beta.call("GET", "/requests-stats").json()["data"]["total_requests"] == 0

    # Beta's attempts changed nothing for alpha.
    assert alpha.details(slug)["status"] == "active"
    assert alpha.call("GET", f"/requests/{token}").json()["data"]["status"] == "active"
    assert alpha.call("GET", "/secrets-stats").json()["data"]["total_secrets"] == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/secrets"),
        ("POST", "/secrets"),
        ("GET", "/secrets/ABCDEFGH"),
        ("DELETE", "/secrets/ABCDEFGH"),
        ("GET", "/secrets-stats"),
        ("GET", "/requests"),
        ("POST", "/requests"),
        ("GET", "/requests/sometoken"),
        ("DELETE", "/requests/sometoken"),
        ("GET", "/requests-stats"),
    ],
)
def test_management_endpoints_need_a_known_bearer_token(
    emu: EmulatorHandle, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ALPHA}"}):
        response = requests.request(method, emu.api_url + path, headers=headers, timeout=30)
        assert response.status_code == 401
        assert error_of(response)["code"] == "AUTHENTICATION_ERROR"


def test_health_needs_no_token(emu: EmulatorHandle) -> None:
    response = requests.get(emu.api_url + "/health", timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["status"] == "ok"


def test_without_tokens_one_random_token_is_generated() -> None:
    with run_emulator() as emu:
        assert len(emu.tokens) == 1
        assert len(emu.token) >= 24
        assert Api(emu, emu.token).call("GET", "/secrets").status_code == 200
    with run_emulator() as other:
        assert other.token != emu.token


def test_readonly_token_reads_but_cannot_write() -> None:
    with run_emulator(tokens=[ALPHA], readonly_tokens=["reader-token"]) as emu:
        reader = Api(emu, "reader-token")
        assert reader.call("GET", "/secrets").status_code == 200
        assert reader.call("GET", "/secrets-stats").status_code == 200
        for method, path, body in (
            ("POST", "/secrets", payload()),
            ("DELETE", "/secrets/ABCDEFGH", None),
            ("POST", "/requests", {"message": "x"}),
            ("DELETE", "/requests/sometoken", None),
        ):
            response = reader.call(method, path, json=body)
            assert response.status_code == 403
            assert error_of(response)["code"] == "PERMISSION_DENIED"
        assert emu.secret_count() == 0


def test_quota_limits_active_secrets_per_company() -> None:
    with run_emulator(tokens=[ALPHA, BETA], quota=2) as emu:
        alpha, beta = Api(emu, ALPHA), Api(emu, BETA)
        first = alpha.create()["slug"]
        alpha.create()
        refused = alpha.call("POST", "/secrets", json=payload())
        assert refused.status_code == 403
        assert error_of(refused)["code"] == "QUOTA_EXCEEDED"
        assert emu.secret_count(ALPHA) == 2
        beta.create()  # another company has its own quota
        assert alpha.call("DELETE", f"/secrets/{first}").status_code == 200
        alpha.create()  # a deleted secret is no longer active
        assert emu.secret_count(ALPHA) == 3


# --------------------------------------------------------------------------- expiry and delete


def test_secret_expires_after_its_hours(emu: EmulatorHandle, alpha: Api) -> None:
    slug = alpha.create(expiration_hours=2, maximum_views=5)["slug"]
    emu.advance(hours=1, minutes=58)
    assert alpha.details(slug)["status"] == "active"
    emu.advance(minutes=3)
    details = alpha.details(slug)
    assert (details["status"], details["is_expired"]) == ("expired", True)
    assert alpha.reveal(slug).status_code == 404
    expired = alpha.call("GET", "/secrets", params={"status": "expired"}).json()["data"]
    active = alpha.call("GET", "/secrets", params={"status": "active"}).json()["data"]
    assert [item["slug"] for item in expired] == [slug]
    assert active == []


def test_secret_expires_after_its_views(alpha: Api) -> None:
    slug = alpha.create(maximum_views=2)["slug"]
    assert alpha.reveal(slug).json()["data"]["remaining_views"] == 1
    assert alpha.details(slug)["status"] == "active"
    assert alpha.reveal(slug).json()["data"]["remaining_views"] == 0
    details = alpha.details(slug)
    assert (details["current_views"], details["status"], details["is_expired"]) == (
        2,
        "expired",
        True,
    )
    third = alpha.reveal(slug)
    assert third.status_code == 404
    assert error_of(third) == {"code": "NOT_FOUND", "message": "Secret not found or expired"}


def test_delete_clears_content_at_once_and_keeps_metadata(tmp_path: Path) -> None:
    db = tmp_path / "emulator.sqlite3"
    with run_emulator(tokens=[ALPHA], db=str(db)) as emu:
        alpha = Api(emu, ALPHA)
        sealed = seal("to be deleted", [("a.txt", b"attachment")], nonces="unique")
        response = alpha.call("POST", "/secrets", json={**sealed.payload, "description": "doomed"})
        slug = response.json()["data"]["slug"]

        deleted = alpha.call("DELETE", f"/secrets/{slug}")
        assert deleted.status_code == 200
        assert deleted.json()["success"] is True
        assert deleted.json()["data"] is None

        details = alpha.details(slug)
        assert (details["status"], details["is_expired"]) == ("expired", True)
        assert details["description"] == "doomed"
        assert details["attachments"] == [{"name": "a.txt"}]
        expired = alpha.call("GET", "/secrets", params={"status": "expired"}).json()["data"]
        assert [item["slug"] for item in expired] == [slug]
        stats = alpha.call("GET", "/secrets-stats").json()["data"]
        assert (stats["total_secrets"], stats["expired_secrets"]) == (1, 1)
        reveal = alpha.reveal(slug)
        assert reveal.status_code == 404
        assert error_of(reveal)["message"] == "Secret not found or expired"
        # Deleting twice: the second answers 404, as for any secret that is gone.
        assert alpha.call("DELETE", f"/secrets/{slug}").status_code == 404

        with closing(sqlite3.connect(db)) as conn:
            content, key_a = conn.execute(
                "SELECT content, key_a FROM secrets WHERE slug = ?", (slug,)
            ).fetchone()
            files = conn.execute("SELECT data FROM attachments").fetchall()
        assert (content, key_a) == (None, None)
        assert files == [(None,)]


def test_stored_data_is_what_was_sent_and_the_password_only_a_slow_hash(tmp_path: Path) -> None:
    db = tmp_path / "emulator.sqlite3"
    password = "correct horse battery staple"
    with run_emulator(tokens=[ALPHA], db=str(db)) as emu:
        body = payload(password=password)
        response = Api(emu, ALPHA).call("POST", "/secrets", json=body)
        assert response.status_code == 201
        with closing(sqlite3.connect(db)) as conn:
            row = conn.execute("SELECT content, key_a, iv, salt, password_hash FROM secrets")
            content, key_a, iv, salt, password_hash = row.fetchone()
    assert (content, key_a, iv, salt) == (body["content"], body["key"], body["iv"], body["salt"])
    assert password not in password_hash
    assert password_hash.split("$")[0] in ("scrypt", "pbkdf2_sha256")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert password.encode() not in raw
    assert b"s3cr3t text" not in raw  # the plaintext never reached the server


# --------------------------------------------------------------------------- validation


_B64_32 = base64.b64encode(bytes(32)).decode()


def _too_many_files() -> list[dict[str, Any]]:
    return [{"name": f"f{i}", "data": base64.b64encode(b"x" * 20).decode()} for i in range(11)]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"content": None}, "content", "The content field is required"),
        ({"iv": None}, "iv", "The iv field is required"),
        ({"salt": "not base64!"}, "salt", "The salt must be valid base64"),
        ({"iv": base64.b64encode(b"x" * 16).decode()}, "iv", "The iv must be base64 of 12 bytes"),
        ({"key": "short"}, "key", "The key must be exactly 8 letters or digits"),
        ({"expiration_hours": 0}, "expiration_hours", "Must be between 1 and 1000 hours"),
        ({"expiration_hours": 1001}, "expiration_hours", "Must be between 1 and 1000 hours"),
        ({"maximum_views": 1001}, "maximum_views", "Must be between 1 and 1000 views"),
        ({"maximum_views": "three"}, "maximum_views", "The maximum views must be an integer"),
        ({"maximum_views": True}, "maximum_views", "The maximum views must be an integer"),
        (
            {"description": "d" * 256},
            "description",
            "The description may not be greater than 255 characters",
        ),
        ({"message": 5}, "message", "The message must be a string"),
        ({"captcha": "maybe"}, "captcha", "The captcha field must be true or false"),
        (
            {"otp_type": "sms", "otp_receiver": "a@b.co"},
            "otp_type",
            "The selected otp type is invalid",
        ),
        (
            {"otp_type": "email,phone", "otp_receiver": "a@b.co"},
            "otp_type",
            "Choose one OTP channel, email or phone, not both",
        ),
        (
            {"otp_type": "email"},
            "otp_receiver",
            "The otp receiver field is required when otp type is present",
        ),
        (
            {"otp_type": "email", "otp_receiver": "not-an-address"},
            "otp_receiver",
            "The otp receiver must be a valid email address",
        ),
        (
            {"otp_type": "phone", "otp_receiver": "0612345678"},
            "otp_receiver",
            "The otp receiver must be a phone number in E.164 format (+33612345678)",
        ),
        (
            {"ip_whitelist": "10.0.0.300"},
            "ip_whitelist",
            "The ip whitelist must be comma-separated IPv4 addresses or CIDR ranges",
        ),
        (
            {"ip_whitelist": "::1"},
            "ip_whitelist",
            "The ip whitelist must be comma-separated IPv4 addresses or CIDR ranges",
        ),
        (
            {"ip_whitelist": "10.0.0.1," * 30},
            "ip_whitelist",
            "The ip whitelist may not be greater than 255 characters",
        ),
        (
            {"geolocation": "FR,ZZ"},
            "geolocation",
            "The geolocation must be comma-separated ISO 3166 alpha-2 country codes",
        ),
        ({"attachments": _too_many_files()}, "attachments", "At most 10 attachments are allowed"),
        (
            {"attachments": [{"name": "a", "data": "%%%"}]},
            "attachments.0.data",
            "The data must be valid base64",
        ),
        (
            {"content": base64.b64encode(b"x" * 15).decode()},
            "content",
            "The content must be at least 16 bytes of base64",
        ),
        ({"content": "@@@@" * 8}, "content", "The content must be valid base64"),
        (
            {"otp_receiver": "a@b.example"},
            "otp_type",
            "The otp type field is required when otp receiver is present",
        ),
        ({"attachments": "a.txt"}, "attachments", "The attachments must be a list"),
        (
            {"attachments": ["a.txt"]},
            "attachments.0",
            "Each attachment must be an object with name and data",
        ),
        (
            {"attachments": [{"name": "a", "data": _B64_32, "size": -1}]},
            "attachments.0.size",
            "The size must be a non-negative integer",
        ),
    ],
)
def test_validation_answers_422_with_the_service_wording(
    alpha: Api, change: dict[str, Any], field: str, message: str
) -> None:
    body = {k: v for k, v in {**payload(), **change}.items() if v is not None}
    response = alpha.call("POST", "/secrets", json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert message in error["details"][field]
    assert error["message"] in [m for messages in error["details"].values() for m in messages]
    assert alpha.emu.secret_count() == 0


def test_attachments_over_ten_mib_of_plaintext_are_refused(alpha: Api) -> None:
    big = base64.b64encode(bytes(10 * 1024 * 1024 + 1 + 16)).decode()
    response = alpha.call(
        "POST", "/secrets", json=payload(attachments=[{"name": "big.bin", "data": big}])
    )
    assert response.status_code == 422
    assert error_of(response)["details"]["attachments"] == [
        "The attachments may not exceed 10 MiB in total"
    ]


def test_body_over_16_mib_is_413_in_the_envelope(alpha: Api) -> None:
    response = alpha.call(
        "POST",
        "/secrets",
        data=b"{" + b" " * (16 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


def test_malformed_json_is_an_envelope_not_a_crash(alpha: Api) -> None:
    broken = alpha.call(
        "POST", "/secrets", data=b'{"content": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert error_of(broken)["code"] == "INVALID_JSON"
    not_object = alpha.call("POST", "/secrets", json=["content"])
    assert not_object.status_code == 422
    assert error_of(not_object)["details"] == {"body": ["The request body must be a JSON object"]}


def test_unknown_routes_and_methods_answer_in_the_envelope(emu: EmulatorHandle) -> None:
    for url in (emu.api_url + "/nothing-here", emu.base_url + "/elsewhere"):
        response = requests.get(url, timeout=30)
        assert response.status_code == 404
        assert error_of(response)["code"] == "NOT_FOUND"
    wrong = requests.put(emu.api_url + "/secrets", timeout=30)
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in wrong.headers["Allow"]


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


def test_numeric_strings_are_accepted_like_numbers(alpha: Api) -> None:
    data = alpha.create(expiration_hours="48", maximum_views="3", captcha="true")
    assert (data["expires_in_hours"], data["maximum_views"], data["captcha"]) == (48, 3, True)
    # Whole floats and 0/1 flags, as loosely typed clients send them.
    data = alpha.create(expiration_hours=12.0, maximum_views=2.0, captcha=1)
    assert (data["expires_in_hours"], data["maximum_views"], data["captcha"]) == (12, 2, True)
    assert alpha.create(captcha=0)["captcha"] is False


def _vectors(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text())
    return cases


@pytest.mark.parametrize("name", ["sharokey-js-vectors.json", "sharokey-py-vectors.json"])
def test_official_sdk_payloads_are_accepted_and_round_trip(alpha: Api, name: str) -> None:
    for case in _vectors(name):
        body = case["payload"]
        response = alpha.call("POST", "/secrets", json=body)
        assert response.status_code == 201, response.text
        slug = response.json()["data"]["slug"]
        if body.get("password") or body.get("otp_type") or body.get("ip_whitelist"):
            continue  # protections have their own tests
        revealed = alpha.reveal(slug).json()["data"]
        opened = open_payload(revealed, case["key_b"])
        assert opened.content == case["plaintext"] or opened.content == case["plaintext"].strip()
        for sent, got in zip(body.get("attachments", []), revealed["attachments"]):
            expected = len(base64.b64decode(sent["data"])) - 16
            assert got["size"] == sent.get("size", expected) == expected


def test_missing_attachment_sizes_are_derived_from_the_ciphertext(alpha: Api) -> None:
    sealed = seal("files", [("a.bin", b"a" * 100), ("b.bin", b"")], nonces="unique")
    for item in sealed.payload["attachments"]:
        del item["size"]  # the official JS SDK sends none
    response = alpha.call("POST", "/secrets", json=sealed.payload)
    assert response.status_code == 201
    revealed = alpha.reveal(response.json()["data"]["slug"]).json()["data"]
    assert [a["size"] for a in revealed["attachments"]] == [100, 0]


# --------------------------------------------------------------------------- listing


def test_both_list_shapes(emu: EmulatorHandle, alpha: Api) -> None:
    slug = alpha.create()["slug"]
    documented = alpha.call("GET", "/secrets").json()
    assert [item["slug"] for item in documented["data"]] == [slug]
    assert documented["pagination"] == {
        "current_page": 1,
        "per_page": 50,
        "total": 1,
        "last_page": 1,
    }

    emu.set_list_shape("items")
    items = alpha.call("GET", "/secrets").json()
    assert "pagination" not in items
    assert [item["slug"] for item in items["data"]["items"]] == [slug]
    assert items["data"]["pagination"]["total"] == 1
    requests_shape = alpha.call("GET", "/requests").json()
    assert requests_shape["data"] == {
        "items": [],
        "pagination": requests_shape["data"]["pagination"],
    }

    switched = requests.post(
        emu.base_url + "/_emulator/list-shape", json={"shape": "documented"}, timeout=30
    )
    assert switched.status_code == 200
    assert isinstance(alpha.call("GET", "/secrets").json()["data"], list)

    with run_emulator(tokens=[ALPHA], list_shape="items") as other:
        assert "items" in Api(other, ALPHA).call("GET", "/secrets").json()["data"]


def test_pagination_walks_every_secret_newest_first(emu: EmulatorHandle, alpha: Api) -> None:
    created = []
    for index in range(7):
        created.append(alpha.create(description=f"n{index}")["slug"])
        if index % 2:
            emu.advance(seconds=1)
    seen: list[str] = []
    page = 1
    while True:
        body = alpha.call("GET", "/secrets", params={"limit": 3, "page": page}).json()
        assert body["pagination"]["per_page"] == 3
        assert body["pagination"]["total"] == 7
        assert body["pagination"]["last_page"] == 3
        seen.extend(item["slug"] for item in body["data"])
        if page >= body["pagination"]["last_page"]:
            break
        page += 1
    assert seen == created[::-1]
    beyond = alpha.call("GET", "/secrets", params={"limit": 3, "page": 4}).json()
    assert beyond["data"] == []
    capped = alpha.call("GET", "/secrets", params={"limit": 500}).json()
    assert capped["pagination"]["per_page"] == 100
    refused = alpha.call("GET", "/secrets", params={"limit": "0"})
    assert refused.status_code == 422
    assert "limit" in error_of(refused)["details"]
    assert alpha.call("GET", "/secrets", params={"status": "gone"}).status_code == 422


def test_list_filters_by_status_creator_and_search(emu: EmulatorHandle, alpha: Api) -> None:
    one = alpha.create(description="Production DATABASE", message="rotate monthly")["slug"]
    two = alpha.create(description="wifi", message="Office Database copy", maximum_views=2)["slug"]
    three = alpha.create(description="misc")["slug"]
    alpha.reveal(three)

    def slugs(**params: Any) -> set[str]:
        return {
            item["slug"] for item in alpha.call("GET", "/secrets", params=params).json()["data"]
        }

    assert slugs(search="database") == {one, two}
    assert slugs(search="ROTATE") == {one}
    assert slugs(search="nothing like it") == set()
    assert slugs(status="active") == {one, two}
    assert slugs(status="expired") == {three}
    assert slugs(creator=emu.creator(ALPHA)) == {one, two, three}
    assert slugs(creator=emu.creator(ALPHA).upper()) == {one, two, three}
    assert slugs(creator="someone@else.example") == set()
    assert slugs(status="active", search="office") == {two}


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
        error = error_of(response)
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"] == {field: [message]}


# --------------------------------------------------------------------------- statistics


def test_statistics_are_computed_from_the_store() -> None:
    wednesday = datetime(2025, 8, 13, 12, 0, tzinfo=timezone.utc)
    with run_emulator(tokens=[ALPHA], clock=wednesday) as emu:
        alpha = Api(emu, ALPHA)
        protected = alpha.create(password="pw", maximum_views=3, expiration_hours=72)["slug"]
        doomed = alpha.create(expiration_hours=72)["slug"]
        emu.advance(days=1)  # Thursday
        viewed = alpha.create(maximum_views=2, expiration_hours=72)["slug"]
        alpha.reveal(viewed)
        alpha.reveal(protected, {"password": "pw"})
        alpha.call("DELETE", f"/secrets/{doomed}")

        def stats() -> dict[str, int]:
            data: dict[str, int] = alpha.call("GET", "/secrets-stats").json()["data"]
            return data

        assert stats() == {
            "total_secrets": 3,
            "active_secrets": 2,
            "expired_secrets": 1,
            "total_views": 2,
            "secrets_with_password": 1,
            "secrets_created_today": 1,
            "secrets_created_this_week": 3,
            "secrets_created_this_month": 3,
        }
        emu.advance(days=7)  # the next week, same month; every secret has expired by now
        later = stats()
        assert (later["secrets_created_today"], later["secrets_created_this_week"]) == (0, 0)
        assert later["secrets_created_this_month"] == 3
        assert (later["active_secrets"], later["expired_secrets"]) == (0, 3)
        emu.advance(days=20)  # September
        assert stats()["secrets_created_this_month"] == 0


# --------------------------------------------------------------------------- secret requests

REQUEST_FIELDS = {
    "token",
    "message",
    "description",
    "maximum_views",
    "secret_expiration_hours",
    "request_expiration_hours",
    "email_to",
    "email_reply",
    "locale",
    "status",
    "is_expired",
    "request_url",
    "expiration",
    "created_at",
    "updated_at",
}


def test_secret_requests_crud_expiry_and_stats(emu: EmulatorHandle, alpha: Api) -> None:
    created = alpha.call(
        "POST",
        "/requests",
        json={
            "secret_expiration_hours": "12",
            "request_expiration_hours": 2,
            "maximum_views": 3,
            "message": "Please send the VPN key",
            "description": "vpn",
            "email_to": "bob@example.com",
            "email_reply": "alice@example.com",
            "locale": "fr",
        },
    )
    assert created.status_code == 201
    data = created.json()["data"]
    assert set(data) == REQUEST_FIELDS
    token = data["token"]
    assert len(token) >= 32
    assert data["request_url"] == f"{emu.base_url}/r/{token}"
    assert (data["secret_expiration_hours"], data["maximum_views"], data["locale"]) == (12, 3, "fr")
    assert (data["status"], data["is_expired"]) == ("active", False)

    other = alpha.call("POST", "/requests", json={"description": "second"}).json()["data"]
    assert alpha.call("GET", f"/requests/{token}").json()["data"]["email_to"] == "bob@example.com"
    listed = alpha.call("GET", "/requests").json()["data"]
    assert [item["token"] for item in listed] == [other["token"], token]
    searched = alpha.call("GET", "/requests", params={"search": "VPN KEY"}).json()["data"]
    assert [item["token"] for item in searched] == [token]

    emu.advance(hours=3)  # the first request expired after 2 hours; the second lasts 24
    assert alpha.call("GET", f"/requests/{token}").json()["data"]["status"] == "expired"
    assert alpha.call("DELETE", f"/requests/{other['token']}").json()["data"] is None
    assert alpha.call("GET", f"/requests/{other['token']}").json()["data"]["is_expired"] is True
    assert alpha.call("DELETE", f"/requests/{other['token']}").status_code == 404

    stats = alpha.call("GET", "/requests-stats").json()["data"]
    assert stats == {
        "total_requests": 2,
        "active_requests": 0,
        "expired_requests": 2,
        "requests_created_today": stats["requests_created_today"],
        "requests_created_this_week": stats["requests_created_this_week"],
        "requests_created_this_month": stats["requests_created_this_month"],
    }
    assert 0 <= stats["requests_created_today"] <= 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"maximum_views": 11}, "maximum_views", "Must be between 1 and 10 views"),
        (
            {"secret_expiration_hours": 0},
            "secret_expiration_hours",
            "Must be between 1 and 1000 hours",
        ),
        (
            {"request_expiration_hours": 1001},
            "request_expiration_hours",
            "Must be between 1 and 1000 hours",
        ),
        ({"locale": "de"}, "locale", "The selected locale is invalid"),
        ({"email_to": "bob"}, "email_to", "The email to must be a valid email address"),
        ({"message": "m" * 256}, "message", "The message may not be greater than 255 characters"),
    ],
)
def test_secret_request_validation(
    alpha: Api, change: dict[str, Any], field: str, message: str
) -> None:
    response = alpha.call("POST", "/requests", json=change)
    assert response.status_code == 422
    assert error_of(response)["details"][field] == [message]


def test_a_request_body_that_is_not_an_object_is_422(emu: EmulatorHandle) -> None:
    response = requests.post(
        emu.api_url + "/requests", json=["message"], headers=auth(), timeout=30
    )
    assert response.status_code == 422
    assert error_of(response)["details"] == {"body": ["The request body must be a JSON object"]}


def test_access_log_shows_no_request_token_search_or_body(
    alpha: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sharokey.emulator")
    token = alpha.call("POST", "/requests", json={"message": "hush"}).json()["data"]["token"]
    alpha.call("GET", f"/requests/{token}")
    alpha.call("GET", "/secrets", params={"search": "needle-in-query"})
    alpha.call("POST", "/secrets", json=payload(password="hunter2-password"))
    lines = [record.getMessage() for record in caplog.records if record.name == "sharokey.emulator"]
    text = "\n".join(lines)
    assert f"GET /api/v1/requests/{token[:4]}… 200" in text
    assert token[4:] not in text
    assert "needle-in-query" not in text
    assert "hunter2-password" not in text
    assert ALPHA not in text
    assert any(re.search(r"^POST /api/v1/secrets 201 \d+\.\dms$", line) for line in lines)


def test_an_internal_failure_is_a_500_envelope_without_details(
    alpha: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("private detail that must not leak")

    monkeypatch.setattr(Store, "secret_stats", broken)
    caplog.set_level(logging.INFO, logger="sharokey.emulator")
    response = alpha.call("GET", "/secrets-stats")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "SERVER_ERROR"
    assert "private detail" not in response.text
    assert "Traceback" not in response.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged
    assert "private detail" not in logged
    assert alpha.call("GET", "/secrets").status_code == 200  # the server carries on
