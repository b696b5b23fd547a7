"""The emulator's reveal path, idempotency and viewer page
(docs/protocol.md#6-this-projects-extensions).

Plain ``requests`` and ``aiohttp`` clients against an emulator started by
each test; contents are sealed with ``sharokey.crypto`` and opened again from
what the emulator hands back, which proves it stores exactly what it got.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

import aiohttp
import pytest
import requests

from sharokey.crypto import open_payload, seal
from sharokey.emulator import EmulatorHandle, run_emulator, start_emulator
from sharokey.emulator.routes import pages as emulator_pages

from ._support import error_of, secret_body

pytestmark = pytest.mark.live

TOKEN = "reveal-test-token"
OTHER = "other-company-token"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CONFIG_RE = re.compile(r'<script type="application/json"[^>]*>(.*?)</script>', re.DOTALL)


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN, OTHER]) as handle:
        yield handle


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create(emu: EmulatorHandle, text: str = "the secret", **fields: Any) -> str:
    sealed = seal(text)
    body = {**sealed.payload, "maximum_views": 1, **fields}
    response = requests.post(f"{emu.api_url}/secrets", json=body, headers=auth(), timeout=30)
    assert response.status_code == 201, response.text
    slug: str = response.json()["data"]["slug"]
    return slug


def reveal(
    emu: EmulatorHandle,
    slug: str,
    body: Optional[dict[str, Any]] = None,
    headers: Optional[dict[str, str]] = None,
) -> requests.Response:
    return requests.post(
        f"{emu.api_url}/secrets/{slug}/reveal", json=body, headers=headers, timeout=30
    )


def views(emu: EmulatorHandle, slug: str) -> int:
    response = requests.get(f"{emu.api_url}/secrets/{slug}", headers=auth(), timeout=30)
    count: int = response.json()["data"]["current_views"]
    return count


def code_of(response: requests.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


# --------------------------------------------------------------------------- reveal


def test_reveal_hands_back_what_was_stored_and_counts_one_view(emu: EmulatorHandle) -> None:
    sealed = seal(
        "open sesame", [("notes.txt", b"line one\n"), ("x.bin", b"\x01" * 33)], nonces="unique"
    )
    body = {**sealed.payload, "maximum_views": 2, "description": "d", "message": "m"}
    slug = requests.post(f"{emu.api_url}/secrets", json=body, headers=auth(), timeout=30).json()[
        "data"
    ]["slug"]

    response = reveal(emu, slug)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {
        "content",
        "iv",
        "salt",
        "key",
        "attachments",
        "description",
        "message",
        "remaining_views",
    }
    assert (data["description"], data["message"], data["remaining_views"]) == ("d", "m", 1)
    assert [(a["name"], a["size"]) for a in data["attachments"]] == [
        ("notes.txt", 9),
        ("x.bin", 33),
    ]
    assert all("iv" in a for a in data["attachments"])
    opened = open_payload(data, sealed.key_b)
    assert opened.content == "open sesame"
    assert [(f.name, f.data) for f in opened.attachments] == [
        ("notes.txt", b"line one\n"),
        ("x.bin", b"\x01" * 33),
    ]
    assert views(emu, slug) == 1


def test_reveal_needs_no_token_and_unknown_slugs_are_404(emu: EmulatorHandle) -> None:
    response = reveal(emu, "NOSUCH00")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "NOT_FOUND",
        "message": "Secret not found or expired",
    }
    slug = create(emu)
    assert reveal(emu, slug, headers={"Authorization": "Bearer nonsense"}).status_code == 200


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
    assert error_of(response)["details"] == {field: [message]}
    assert requests.post(f"{emu.api_url}/secrets/{slug}/reveal", timeout=30).status_code == 200


def test_details_lists_and_the_viewer_page_never_count_a_view(emu: EmulatorHandle) -> None:
    slug = create(emu)
    for _ in range(3):
        assert requests.get(f"{emu.api_url}/secrets/{slug}", headers=auth(), timeout=30).ok
        assert requests.get(f"{emu.api_url}/secrets", headers=auth(), timeout=30).ok
        assert requests.get(f"{emu.base_url}/s/{slug}", timeout=30).status_code == 200
    assert views(emu, slug) == 0
    assert reveal(emu, slug).status_code == 200


def test_concurrent_reveals_succeed_exactly_as_often_as_views_remain(emu: EmulatorHandle) -> None:
    slug = create(emu, maximum_views=7)
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda _: reveal(emu, slug).status_code, range(30)))
    assert statuses.count(200) == 7
    assert statuses.count(404) == 23
    assert views(emu, slug) == 7


async def test_concurrent_reveals_on_the_callers_loop() -> None:
    async with start_emulator(tokens=[TOKEN]) as emu, aiohttp.ClientSession() as session:
        sealed = seal("async")
        async with session.post(
            f"{emu.api_url}/secrets",
            json={**sealed.payload, "maximum_views": 5},
            headers=auth(),
        ) as created:
            slug = (await created.json())["data"]["slug"]

        async def one() -> int:
            async with session.post(f"{emu.api_url}/secrets/{slug}/reveal") as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(one() for _ in range(20)))
        assert sorted(statuses) == [200] * 5 + [404] * 15


# --------------------------------------------------------------------------- protections


def test_password_protection_and_wrong_answers_count_no_view(emu: EmulatorHandle) -> None:
    slug = create(emu, password="let me in")
    missing = reveal(emu, slug)
    assert (missing.status_code, code_of(missing)) == (401, "PASSWORD_REQUIRED")
    wrong = reveal(emu, slug, {"password": "let me out"})
    assert (wrong.status_code, code_of(wrong)) == (401, "INVALID_PASSWORD")
    assert views(emu, slug) == 0
    assert reveal(emu, slug, {"password": "let me in"}).status_code == 200


def test_repeated_wrong_answers_lock_the_secret_for_a_while(emu: EmulatorHandle) -> None:
    slug = create(emu, password="right")
    for _ in range(5):
        assert code_of(reveal(emu, slug, {"password": "wrong"})) == "INVALID_PASSWORD"
    locked = reveal(emu, slug, {"password": "right"})
    assert locked.status_code == 429
    assert code_of(locked) == "TOO_MANY_ATTEMPTS"
    wait = int(locked.headers["Retry-After"])
    assert 1 <= wait <= 300
    assert locked.json()["error"]["details"]["retry_after"] == wait
    assert views(emu, slug) == 0
    emu.advance(seconds=wait - 1)
    assert reveal(emu, slug, {"password": "right"}).status_code == 429
    emu.advance(seconds=2)
    assert reveal(emu, slug, {"password": "right"}).status_code == 200


def test_a_burst_of_parallel_guesses_meets_the_lockout(emu: EmulatorHandle) -> None:
    slug = create(emu, password="right")

    def guess(index: int) -> str:
        return code_of(reveal(emu, slug, {"password": f"wrong-{index}"}))

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(guess, range(20)))
    assert codes.count("INVALID_PASSWORD") == 5
    assert codes.count("TOO_MANY_ATTEMPTS") == 15


def test_captcha_protection(emu: EmulatorHandle) -> None:
    slug = create(emu, captcha=True)
    missing = reveal(emu, slug)
    assert (missing.status_code, code_of(missing)) == (401, "CAPTCHA_REQUIRED")
    assert "PASS" in missing.json()["error"]["details"]["question"]
    assert code_of(reveal(emu, slug, {"captcha": "robot"})) == "INVALID_CAPTCHA"
    assert reveal(emu, slug, {"captcha": "PASS"}).status_code == 200


def test_otp_by_email_goes_through_the_outbox(emu: EmulatorHandle) -> None:
    slug = create(emu, maximum_views=2, otp_type="email", otp_receiver="alice@example.com")
    emu.advance(hours=3)
    before = emu.now()
    first = reveal(emu, slug)
    assert (first.status_code, code_of(first)) == (401, "OTP_REQUIRED")
    assert first.json()["error"]["details"] == {
        "channel": "email",
        "destination": "a***@example.com",
    }
    [message] = emu.outbox
    assert (message.channel, message.destination, message.slug) == (
        "email",
        "alice@example.com",
        slug,
    )
    assert re.fullmatch(r"\d{6}", message.code)
    assert before <= message.sent_at <= emu.now()  # stamped by the emulated clock
    wrong = "000000" if message.code != "000000" else "111111"
    assert code_of(reveal(emu, slug, {"otp": wrong})) == "INVALID_OTP"
    assert views(emu, slug) == 0
    assert reveal(emu, slug, {"otp": emu.last_otp(slug)}).status_code == 200
    # A code works once.
    assert code_of(reveal(emu, slug, {"otp": message.code})) == "INVALID_OTP"


def test_otp_by_phone_masks_the_number(emu: EmulatorHandle) -> None:
    slug = create(emu, otp_type="phone", otp_receiver="+33612345678")
    details = reveal(emu, slug).json()["error"]["details"]
    assert details == {"channel": "phone", "destination": "+33******78"}
    assert emu.outbox[-1].destination == "+33612345678"
    served = requests.get(f"{emu.base_url}/_emulator/outbox", timeout=30).json()["data"]
    assert served[-1]["code"] == emu.last_otp()
    assert reveal(emu, slug, {"otp": emu.last_otp(slug)}).status_code == 200


@pytest.mark.parametrize(
    ("protections", "expected", "answer"),
    [
        ({"captcha": True, "password": "pw"}, "PASSWORD_REQUIRED", {"password": "pw"}),
        (
            {"captcha": True, "password": "pw", "otp_type": "email", "otp_receiver": "a@b.example"},
            "OTP_REQUIRED",
            None,
        ),
        (
            {"password": "pw", "otp_type": "phone", "otp_receiver": "+14155550100"},
            "OTP_REQUIRED",
            None,
        ),
    ],
)
def test_only_the_highest_protection_applies(
    emu: EmulatorHandle,
    protections: dict[str, Any],
    expected: str,
    answer: Optional[dict[str, Any]],
) -> None:
    slug = create(emu, **protections)
    # Answering a lower protection does not get past the higher one.
    lower = reveal(
        emu,
        slug,
        {"captcha": "PASS", "password": "pw"}
        if expected == "OTP_REQUIRED"
        else {"captcha": "PASS"},
    )
    assert code_of(lower) == expected
    if answer is None:
        answer = {"otp": emu.last_otp(slug)}
    # The highest answer alone is enough.
    assert reveal(emu, slug, answer).status_code == 200


def test_ip_allow_list_uses_the_socket_address(emu: EmulatorHandle) -> None:
    local = create(emu, ip_whitelist="10.1.2.3, 127.0.0.1")
    assert reveal(emu, local).status_code == 200
    ranged = create(emu, ip_whitelist="127.0.0.0/8")
    assert reveal(emu, ranged).status_code == 200
    elsewhere = create(emu, ip_whitelist="10.0.0.0/8")
    refused = reveal(emu, elsewhere, headers={"X-Forwarded-For": "10.0.0.1"})
    assert (refused.status_code, code_of(refused)) == (403, "ACCESS_DENIED")
    assert views(emu, elsewhere) == 0


def test_country_allow_list_reads_the_configured_header() -> None:
    with run_emulator(tokens=[TOKEN]) as emu:
        slug = create(emu, geolocation="FR,US", maximum_views=5)
        assert code_of(reveal(emu, slug)) == "ACCESS_DENIED"
        assert code_of(reveal(emu, slug, headers={"X-Country": "DE"})) == "ACCESS_DENIED"
        assert reveal(emu, slug, headers={"X-Country": "fr"}).status_code == 200
        assert views(emu, slug) == 1
    with run_emulator(tokens=[TOKEN], country_header="CF-IPCountry") as emu:
        slug = create(emu, geolocation="US")
        assert code_of(reveal(emu, slug, headers={"X-Country": "US"})) == "ACCESS_DENIED"
        assert reveal(emu, slug, headers={"CF-IPCountry": "US"}).status_code == 200


def test_access_rules_come_before_protections_and_lockouts_before_both(
    emu: EmulatorHandle,
) -> None:
    slug = create(emu, password="pw", ip_whitelist="10.0.0.0/8")
    assert code_of(reveal(emu, slug)) == "ACCESS_DENIED"  # not PASSWORD_REQUIRED
    assert reveal(emu, "ZZZZZZZZ", {"password": "pw"}).status_code == 404


def test_official_js_attachments_round_trip_through_the_otp_flow(emu: EmulatorHandle) -> None:
    cases = json.loads((FIXTURES / "sharokey-js-vectors.json").read_text())
    case = next(c for c in cases if c["payload"].get("attachments"))
    body = {k: v for k, v in case["payload"].items() if k not in ("ip_whitelist", "geolocation")}
    response = requests.post(f"{emu.api_url}/secrets", json=body, headers=auth(), timeout=30)
    slug = response.json()["data"]["slug"]
    assert code_of(reveal(emu, slug, {"password": body["password"]})) == "OTP_REQUIRED"
    data = reveal(emu, slug, {"otp": emu.last_otp(slug)}).json()["data"]
    assert all("iv" not in a for a in data["attachments"])  # the shared-nonce format
    opened = open_payload(data, case["key_b"])
    for sent, got, file in zip(body["attachments"], data["attachments"], opened.attachments):
        assert "size" not in sent
        assert got["size"] == len(file.data) == len(base64.b64decode(sent["data"])) - 16


# --------------------------------------------------------------------------- idempotency


def test_idempotent_create_returns_the_first_answer(emu: EmulatorHandle) -> None:
    body = {**seal("once").payload, "maximum_views": 1}

    def post(
        key: str, token: str = TOKEN, data: Optional[dict[str, Any]] = None
    ) -> requests.Response:
        return requests.post(
            f"{emu.api_url}/secrets",
            json=data or body,
            headers={**auth(token), "Idempotency-Key": key},
            timeout=30,
        )

    first = post("key-1")
    again = post("key-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert emu.secret_count() == 1
    assert post("key-2").json()["data"]["slug"] != first.json()["data"]["slug"]
    assert emu.secret_count() == 2
    assert post("key-1", OTHER).status_code == 201  # scoped per company
    assert emu.secret_count(OTHER) == 1
    conflict = post("key-1", data={**body, "description": "different"})
    assert (conflict.status_code, code_of(conflict)) == (409, "IDEMPOTENCY_CONFLICT")
    emu.advance(minutes=6)  # the key has lapsed
    assert post("key-1").json()["data"]["slug"] != first.json()["data"]["slug"]
    assert emu.secret_count(TOKEN) == 3


def test_a_refused_body_can_be_fixed_and_sent_again_with_the_same_key(
    emu: EmulatorHandle,
) -> None:
    headers = {**auth(), "Idempotency-Key": "fix-and-retry"}
    body = {**seal("once").payload, "maximum_views": 0}
    refused = requests.post(f"{emu.api_url}/secrets", json=body, headers=headers, timeout=30)
    assert refused.status_code == 422
    fixed = requests.post(
        f"{emu.api_url}/secrets", json={**body, "maximum_views": 1}, headers=headers, timeout=30
    )
    assert fixed.status_code == 201
    assert emu.secret_count() == 1


def test_an_idempotency_key_over_255_characters_is_422(emu: EmulatorHandle) -> None:
    response = requests.post(
        emu.api_url + "/secrets",
        json=secret_body(),
        headers={**auth(), "Idempotency-Key": "k" * 256},
        timeout=30,
    )
    assert response.status_code == 422
    assert error_of(response)["details"] == {
        "Idempotency-Key": ["The Idempotency-Key may have 255 characters at most"]
    }
    assert emu.secret_count() == 0


def test_concurrent_duplicate_creates_run_once(emu: EmulatorHandle) -> None:
    body = {**seal("once").payload, "password": "slow to hash"}
    headers = {**auth(), "Idempotency-Key": "same-everywhere"}

    def post(_: int) -> tuple[int, str]:
        response = requests.post(f"{emu.api_url}/secrets", json=body, headers=headers, timeout=30)
        return response.status_code, response.json()["data"]["slug"]

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = set(pool.map(post, range(10)))
    assert len(answers) == 1
    assert next(iter(answers))[0] == 201
    assert emu.secret_count() == 1


def test_idempotent_reveal_counts_one_view(emu: EmulatorHandle) -> None:
    slug = create(emu, maximum_views=3)
    first = reveal(emu, slug, headers={"Idempotency-Key": "r1"})
    again = reveal(emu, slug, headers={"Idempotency-Key": "r1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert views(emu, slug) == 1
    assert (
        reveal(emu, slug, headers={"Idempotency-Key": "r2"}).json()["data"]["remaining_views"] == 1
    )
    assert views(emu, slug) == 2


def test_concurrent_duplicate_reveals_count_one_view(emu: EmulatorHandle) -> None:
    slug = create(emu, maximum_views=5, password="pw")

    def one(_: int) -> str:
        response = reveal(emu, slug, {"password": "pw"}, headers={"Idempotency-Key": "dup"})
        return response.text

    with ThreadPoolExecutor(max_workers=10) as pool:
        bodies = set(pool.map(one, range(10)))
    assert len(bodies) == 1
    assert json.loads(next(iter(bodies)))["data"]["remaining_views"] == 4
    assert views(emu, slug) == 1


# --------------------------------------------------------------------------- viewer page


def _config(page: str) -> dict[str, Any]:
    match = CONFIG_RE.search(page)
    assert match is not None
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def test_viewer_page_carries_a_safe_config_and_strict_headers(emu: EmulatorHandle) -> None:
    hostile = "</script><script>alert(1)</script> & <b>"
    slug = create(
        emu, description=hostile, password="pw", otp_type="email", otp_receiver="a@b.example"
    )
    response = requests.get(f"{emu.base_url}/s/{slug}", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    assert "{{SHAROKEY_CONFIG}}" not in page
    assert hostile not in page
    config = _config(page)
    assert config == {
        "slug": slug,
        "description": hostile,
        "has_password": False,  # the OTP outranks the password: only it is asked for
        "captcha": False,
        "otp_type": "email",
        "reveal_url": f"/api/v1/secrets/{slug}/reveal",
        "expired": False,
    }
    assert emu.outbox == []  # loading the page sends no code either

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    for match in re.finditer(r"<script>(.*?)</script>", page, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(match.group(1).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_viewer_page_for_gone_secrets_says_expired(emu: EmulatorHandle) -> None:
    slug = create(emu)
    assert reveal(emu, slug).status_code == 200
    used = requests.get(f"{emu.base_url}/s/{slug}", timeout=30)
    assert _config(used.text)["expired"] is True
    unknown = requests.get(f"{emu.base_url}/s/NOPE0000", timeout=30)
    assert unknown.status_code == 404
    assert _config(unknown.text)["expired"] is True
    assert _config(unknown.text)["description"] is None


def test_without_its_viewer_file_the_page_says_so_and_still_carries_the_config(
    emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(emulator_pages, "VIEWER_PATH", tmp_path / "not-installed.html")
    made = requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30)
    slug = made.json()["data"]["slug"]
    page = requests.get(f"{emu.base_url}/s/{slug}", timeout=30)
    assert page.status_code == 200
    assert "The viewer page is not installed." in page.text
    assert f'"slug": "{slug}"' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
