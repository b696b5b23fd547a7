"""``POST /api/v1/secrets/{slug}/reveal``: the gate in front of a secret (docs/protocol.md#reveal).

No token: whoever has the link may try. The gate checks, in order, the
lockout, the IP allow-list, the country, the link's key check, then the one
protection that applies (OTP, password or captcha); a wrong key and wrong
answers count towards a lockout, and none of them spends a view.
Only then is a view taken, atomically, in the store.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import math
import secrets
from typing import Any, Optional

from aiohttp import web

from sharokey.emulator.passwords import check_password
from sharokey.emulator.responses import ApiError, ok, validation_error
from sharokey.emulator.routes._common import (
    NOT_FOUND_MESSAGE,
    client_ip,
    idempotency_key,
    read_body,
    state_of,
)
from sharokey.emulator.state import EmulatorState, OtpMessage
from sharokey.emulator.validation import RevealInput, validate_reveal

__all__ = ["add_routes", "mask_destination", "protection"]

#: Wrong answers within the window that lock a secret, and for how long (seconds).
LOCKOUT_LIMIT = 5
LOCKOUT_WINDOW = 900.0
LOCKOUT_SECONDS = 300.0
#: Seconds a one-time code stays good.
OTP_TTL = 600.0
INVALID_KEY_MESSAGE = "The link's key does not match: check that the whole link was copied"
#: At most this many codes are sent per secret within the window (seconds).
OTP_SEND_LIMIT = 5
OTP_SEND_WINDOW = 600.0
CAPTCHA_ANSWER = "PASS"
REVEALED = "Secret revealed successfully"
CAPTCHA_QUESTION = f"Type {CAPTCHA_ANSWER} to prove you are here (emulator captcha)"


def protection(row: dict[str, Any]) -> Optional[str]:
    """The one protection that applies: captcha < password < OTP e-mail < OTP phone."""
    if row.get("otp_type") == "phone":
        return "otp_phone"
    if row.get("otp_type") == "email":
        return "otp_email"
    if row.get("password_hash") or row.get("has_password"):
        return "password"
    if row.get("captcha"):
        return "captcha"
    return None


def mask_destination(channel: str, destination: str) -> str:
    """Where a code went, as the reveal answer shows it: ``a***@example.com`` / ``+33******78``.

    Enough for the reader to recognise their own address, not to reuse it.
    """
    if channel == "email":
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{destination[:3]}******{destination[-2:]}"


def _key_matches(stored: Optional[str], sent: Optional[str]) -> bool:
    """Whether the link's key check agrees with the creator's (docs/protocol.md#key-check).

    A secret without a stored check (an official SDK made it) or a reveal
    without one (an older client) goes on as before. Compared in constant time.
    """
    if stored is None or sent is None:
        return True
    return hmac.compare_digest(stored.encode("ascii"), sent.encode("ascii"))


def _locked(seconds_left: float) -> ApiError:
    wait = max(1, math.ceil(seconds_left))
    return ApiError(
        429,
        "TOO_MANY_ATTEMPTS",
        f"Too many wrong answers; try again in {wait} seconds",
        {"retry_after": wait},
        {"Retry-After": str(wait)},
    )


async def reveal(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    body, raw = await read_body(request)
    checked = validate_reveal(body)
    if isinstance(checked, dict):
        raise validation_error(checked)
    key = idempotency_key(request)
    if key is None:
        return await _reveal(request, slug, checked)
    state = state_of(request)

    async def replayable(secret: str) -> bool:
        return await state.db_call(state.store.revealable, secret, state.clock.timestamp())

    async def expand(secret: str, kept: bytes) -> Optional[bytes]:
        payload = await state.db_call(state.store.peek_payload, secret, state.clock.timestamp())
        if payload is None:
            return None
        payload["remaining_views"] = json.loads(kept)["remaining_views"]
        body = ok(payload, REVEALED).body
        assert isinstance(body, bytes)
        return body

    return await state.idempotency.run(
        ("reveal", slug, key),
        hashlib.sha256(raw).hexdigest(),
        lambda: _reveal(request, slug, checked),
        secret_of=lambda _: slug,
        replayable=replayable,
        shrink=_remaining_views,
        expand=expand,
    )


def _remaining_views(body: bytes) -> bytes:
    """All a kept reveal needs: the ciphertext is read again from the store on replay."""
    remaining = json.loads(body)["data"]["remaining_views"]
    return json.dumps({"remaining_views": remaining}).encode()


async def _reveal(request: web.Request, slug: str, answers: RevealInput) -> web.Response:
    state = state_of(request)
    now = state.clock.timestamp()
    info = await state.db_call(state.store.reveal_info, slug, now)
    if info is None:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    # One answer per secret is judged at a time, so a burst of parallel guesses
    # meets the lockout after the fifth wrong one, not after the whole burst.
    async with state.reveal_gate.hold(slug):
        now = state.clock.timestamp()
        locked = await state.db_call(state.store.locked_until, slug, now)
        if locked is not None:
            raise _locked(locked - now)
        if info["ip_whitelist"]:
            client = client_ip(request.remote)
            allowed = client is not None and any(
                client in ipaddress.ip_network(item, strict=False)
                for item in info["ip_whitelist"].split(",")
            )
            if not allowed:
                raise ApiError(403, "ACCESS_DENIED", "Access from your address is not allowed")
        if info["geolocation"]:
            country = request.headers.get(state.country_header, "").strip().upper()
            if country not in info["geolocation"].split(","):
                raise ApiError(403, "ACCESS_DENIED", "Access from your country is not allowed")

        if not _key_matches(info["key_check"], answers.key_check):
            await _wrong(state, slug, now, "INVALID_KEY", INVALID_KEY_MESSAGE)

        kind = protection(info)
        if kind in ("otp_email", "otp_phone"):
            await _check_otp(state, slug, info, answers, now)
        elif kind == "password":
            if answers.password is None:
                raise ApiError(401, "PASSWORD_REQUIRED", "This secret is protected by a password")
            good = await state.db_call(check_password, answers.password, info["password_hash"])
            if not good:
                await _wrong(state, slug, now, "INVALID_PASSWORD", "The password is incorrect")
        elif kind == "captcha":
            question = {"question": CAPTCHA_QUESTION}
            if answers.captcha is None:
                raise ApiError(
                    401, "CAPTCHA_REQUIRED", "Solve the captcha to reveal this secret", question
                )
            if answers.captcha.strip() != CAPTCHA_ANSWER:
                await _wrong(
                    state, slug, now, "INVALID_CAPTCHA", "The captcha answer is wrong", question
                )

    payload = await state.db_call(state.store.consume_view, slug, state.clock.timestamp())
    if payload is None:  # another reveal took the last view meanwhile
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    if payload["remaining_views"] <= 0:
        state.idempotency.forget_secret(slug, create=False)  # used up: no reveal replays
    return ok(payload, REVEALED)


async def _check_otp(
    state: EmulatorState, slug: str, info: dict[str, Any], answers: RevealInput, now: float
) -> None:
    """Without a code: "send" one to the outbox and ask for it. With one: check it."""
    channel = str(info["otp_type"])
    destination = str(info["otp_receiver"])
    if answers.otp is None:
        wait = await state.db_call(
            state.store.allow_otp_send, slug, now, window=OTP_SEND_WINDOW, limit=OTP_SEND_LIMIT
        )
        if wait:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "RATE_LIMITED",
                "Too many one-time codes were sent for this secret; "
                f"try again in {seconds} seconds",
                {"retry_after": seconds},
                {"Retry-After": str(seconds)},
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        await state.db_call(state.store.store_otp, slug, code, now + OTP_TTL)
        state.send_otp(
            OtpMessage(
                channel=channel,
                destination=destination,
                code=code,
                slug=slug,
                sent_at=state.clock.now(),
            )
        )
        masked = mask_destination(channel, destination)
        raise ApiError(
            401,
            "OTP_REQUIRED",
            f"A one-time code was sent to {masked}",
            {"channel": channel, "destination": masked},
        )
    if not await state.db_call(state.store.check_otp, slug, answers.otp, now):
        await _wrong(state, slug, now, "INVALID_OTP", "The one-time code is wrong or expired")


async def _wrong(
    state: EmulatorState,
    slug: str,
    now: float,
    code: str,
    message: str,
    details: Optional[Any] = None,
) -> None:
    """Count a wrong answer (towards the lockout) and refuse."""
    await state.db_call(
        state.store.record_failure,
        slug,
        now,
        window=LOCKOUT_WINDOW,
        limit=LOCKOUT_LIMIT,
        lock_seconds=LOCKOUT_SECONDS,
    )
    raise ApiError(401, code, message, details)


def add_routes(app: web.Application) -> None:
    app.router.add_route("POST", "/api/v1/secrets/{slug}/reveal", reveal)
