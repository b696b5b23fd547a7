"""What the replay tests share: the canonical server, the values they use, the scrubbers that
keep those values out of the cassettes, and one awaitable surface over both clients.

Everything a test sends that must never be written to a cassette is a constant here and is
listed in :data:`CANARIES`; ``test_cassettes.py`` reads every cassette file and fails if one
of them shows up.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Iterable
from typing import Any, Callable, Optional, Union

import attrs

# --------------------------------------------------------------------------- the server

#: Where clients point during replay, and what recorded URLs are rewritten to: the
#: emulator's random port and a real deployment's host never reach a cassette.
CANONICAL_ORIGIN = "http://sharokey.test"
CANONICAL_API_URL = f"{CANONICAL_ORIGIN}/api/v1"

#: Tokens the emulator accepts while recording (and the clients send during replay).
TOKEN = "replay-token-3e8f1c6a9b2d"
READONLY_TOKEN = "replay-readonly-token-5c7a0e4b"
WRONG_TOKEN = "replay-wrong-token-9d1f2b7c"

# --------------------------------------------------------------------------- the randomness seam

#: The key ``sharokey.crypto.generate_key`` returns inside these tests, so that a replayed
#: reveal answer (recorded ciphertext, salt and nonce) decrypts with the keyB of the
#: replayed link. keyA (the first 8 characters) goes to the server by design; keyB never.
TEST_KEY = "RePLAYka" + "Qz4Wm8Xc2Vb6Nt0Ys3Hd7Jf5"
KEY_B = TEST_KEY[8:]

# --------------------------------------------------------------------------- what the tests send

PLAINTEXT = "replay plaintext: the vault code is 4917-2285"
OTHER_PLAINTEXT = "replay plaintext two: the wifi key is kestrel-lantern"
PASSWORD = "replay access password Quokka-77"
WRONG_PASSWORD = "replay wrong password Wombat-11"
ATTACHMENT_TEXT = b"replay attachment canary: quarterly numbers, do not forward\n"
ATTACHMENT_BINARY = bytes(range(256)) * 4
OTP_EMAIL = "recipient@example.com"
OTP_PHONE = "+33612345678"
CAPTCHA_ANSWER = "PASS"  # the emulator's captcha answer (docs/emulator.md)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


#: Values that must never appear in any cassette file, in any form a body could carry them.
CANARIES: tuple[str, ...] = (
    TOKEN,
    READONLY_TOKEN,
    WRONG_TOKEN,
    TEST_KEY,
    KEY_B,
    PLAINTEXT,
    _b64(PLAINTEXT.encode()),
    OTHER_PLAINTEXT,
    _b64(OTHER_PLAINTEXT.encode()),
    PASSWORD,
    WRONG_PASSWORD,
    ATTACHMENT_TEXT.decode().strip(),
    _b64(ATTACHMENT_TEXT),
    _b64(ATTACHMENT_BINARY)[:64],
)

REDACTED = "<redacted>"

# --------------------------------------------------------------------------- scrubbers


def _replace_all(data: bytes, pairs: Iterable[tuple[str, str]]) -> bytes:
    for old, new in pairs:
        if old:
            data = data.replace(old.encode(), new.encode())
    return data


def _origin_pairs(origin: str) -> list[tuple[str, str]]:
    """The recording origin, plain and with JSON-escaped slashes (PHP escapes them)."""
    if origin == CANONICAL_ORIGIN:
        return []
    return [
        (origin, CANONICAL_ORIGIN),
        (origin.replace("/", "\\/"), CANONICAL_ORIGIN.replace("/", "\\/")),
    ]


def _as_bytes(body: Union[bytes, str]) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def scrub_request(request: Any, *, api_url: str, secrets: tuple[str, ...]) -> Any:
    """``before_record_request``: canonical URL, no password or token in the body.

    vcrpy applies it to the requests it records, to the requests it loads from a
    cassette and to every request it is asked to match, so it must be idempotent.
    Headers are handled by ``filter_headers`` in the conftest.
    """
    if api_url != CANONICAL_API_URL and request.uri.startswith(api_url):
        request.uri = CANONICAL_API_URL + request.uri[len(api_url) :]
    body = request.body
    if isinstance(body, (bytes, str)) and body:
        raw = _replace_all(_as_bytes(body), [(value, REDACTED) for value in secrets])
        try:
            fields = json.loads(raw)
        except ValueError:
            fields = None
        if isinstance(fields, dict) and isinstance(fields.get("password"), str):
            # The access password travels in the create and the reveal body.
            fields["password"] = REDACTED
            raw = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        request.body = raw
    return request


def scrub_response(
    response: dict[str, Any], *, origin: str, secrets: tuple[str, ...]
) -> dict[str, Any]:
    """``before_record_response``: canonical URLs in the body, no token, no cookies.

    Applied to recorded answers and again to answers loaded from a cassette: idempotent.
    """
    headers = response.get("headers") or {}
    response["headers"] = {
        name: value for name, value in headers.items() if name.lower() != "set-cookie"
    }
    body = response.get("body") or {}
    raw = body.get("string")
    if isinstance(raw, (bytes, str)) and raw:
        pairs = _origin_pairs(origin) + [(value, REDACTED) for value in secrets]
        scrubbed = _replace_all(_as_bytes(raw), pairs)
        body["string"] = scrubbed
        length = str(len(scrubbed))
        for name, value in response["headers"].items():
            if name.lower() == "content-length":  # the body may have changed length
                response["headers"][name] = [length] if isinstance(value, list) else length
    return response


def body_fields(first: Any, second: Any) -> None:
    """vcrpy matcher: both bodies carry the same JSON field names (values are random or
    redacted), so a reveal without its password or a create without its files is a
    mismatch, while fresh keys, salts and nonces are not."""
    assert _field_names(first.body) == _field_names(second.body), "different body fields"


def _field_names(body: Any) -> Optional[object]:
    if body is None or body in (b"", ""):
        return None
    if not isinstance(body, (bytes, str)):
        return type(body).__name__
    try:
        fields = json.loads(body)
    except ValueError:
        return "<not JSON>"
    return sorted(fields) if isinstance(fields, dict) else type(fields).__name__


# --------------------------------------------------------------------------- the clients


@attrs.frozen
class Api:
    """One client seen through an awaitable surface: ``await api.create(...)`` calls the sync
    client directly and awaits the async one, so each test is written once for both."""

    client: Any
    flavour: str

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return call

    async def walk(self, name: str, **kwargs: Any) -> list[Any]:
        """Every item of a listing, the client fetching the following pages by itself."""
        listing = getattr(self.client, name)(**kwargs)
        if self.flavour == "async":
            return [item async for item in listing]
        return list(listing)

    async def close(self) -> None:
        if self.flavour == "async":
            await self.client.aclose()
        else:
            self.client.close()


class Tidy:
    """What a test made and wants gone afterwards (so a real deployment's listings hold only
    the current run's items); deleting something already gone is fine."""

    def __init__(self) -> None:
        self.slugs: list[str] = []
        self.tokens: list[str] = []

    def secret(self, slug: str) -> str:
        self.slugs.append(slug)
        return slug

    def request(self, token: str) -> str:
        self.tokens.append(token)
        return token
