"""Replay by default, record on request.

- Default: every test replays its cassette from ``cassettes/<module>/<test>[<flavour>].yaml``
  with record mode ``none`` and the network blocked; the clients point at
  ``http://sharokey.test/api/v1`` and no server is started. A missing cassette or a request
  the cassette does not hold fails the test, and so does a recorded request left unplayed.
- ``SHAROKEY_RECORD=1``: each test gets a fresh in-process emulator on loopback and its
  cassette is rewritten.
- ``SHAROKEY_RECORD=1`` with ``SHAROKEY_API_URL`` and ``SHAROKEY_TOKEN``: the cassettes are
  recorded against that deployment; tests that need the emulator's controls are skipped.

See ``docs/cassettes.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import attrs
import pytest

import sharokey
import sharokey.crypto
from sharokey.errors import NotFoundError

from ._support import (
    CANONICAL_API_URL,
    CANONICAL_ORIGIN,
    READONLY_TOKEN,
    REDACTED,
    TEST_KEY,
    TOKEN,
    Api,
    Tidy,
    body_fields,
    scrub_request,
    scrub_response,
)

REPO = Path(__file__).resolve().parents[3]
CASSETTES = REPO / "cassettes"

RECORDING = os.environ.get("SHAROKEY_RECORD", "") not in ("", "0")
REMOTE_URL = os.environ.get("SHAROKEY_API_URL", "") if RECORDING else ""
REMOTE_TOKEN = os.environ.get("SHAROKEY_TOKEN", "") if RECORDING else ""
REMOTE = bool(REMOTE_URL and REMOTE_TOKEN)


def pytest_configure(config: pytest.Config) -> None:
    if RECORDING:
        import vcr

        if int(vcr.__version__.split(".")[0]) < 8:
            # vcrpy 7 drains an aiohttp answer while recording it: the client then reads an
            # empty body. Replaying works there; recording does not.
            raise pytest.UsageError(
                f"SHAROKEY_RECORD needs vcrpy 8 or newer (Python 3.10+), not {vcr.__version__}."
            )
    config.addinivalue_line(
        "markers",
        "needs_emulator(reason, **options): recorded against the emulator only (skipped when "
        "recording against a real deployment); options go to run_emulator()",
    )


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("body_fields", body_fields)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The checks of the cassette files run after the tests that (re)write them.
    checks = Path(__file__).with_name("test_cassettes.py")
    last = [item for item in items if item.path == checks]
    if last:
        items[:] = [item for item in items if item.path != checks] + last


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: in rewrite mode the vcr fixture deletes the old cassette first.
    marker = item.get_closest_marker("needs_emulator")
    if REMOTE and marker is not None:
        reason = marker.args[0] if marker.args else "emulator controls"
        pytest.skip(f"needs the emulator ({reason}); not recorded against {REMOTE_URL}")


# --------------------------------------------------------------------------- where requests go


@attrs.frozen
class Target:
    """The server a test talks to: nothing (replay), the emulator, or a real deployment."""

    mode: str  # "replay" | "emulator" | "remote"
    api_url: str
    token: str
    origin: str
    emulator: Any = None

    @property
    def recording(self) -> bool:
        return self.mode != "replay"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values scrubbed from every recorded body."""
        values = {TOKEN, READONLY_TOKEN, self.token}
        return tuple(sorted(value for value in values if value))

    def add_fault(self, rule: str) -> None:
        """Inject a fault while recording; at replay the cassette already holds its answer."""
        if self.emulator is not None:
            self.emulator.add_fault(rule)

    def set_list_shape(self, shape: str) -> None:
        if self.emulator is not None:
            self.emulator.set_list_shape(shape)

    def otp_code(self, slug: str, cassette: Any) -> str:
        """The one-time code for ``slug``: from the emulator's outbox while recording, else
        from the last recorded reveal request that carried one (a spent code, kept on
        purpose: see docs/cassettes.md)."""
        if self.emulator is not None:
            code: str = self.emulator.last_otp(slug)
            return code
        path = f"/api/v1/secrets/{slug}/reveal"
        for request in reversed(cassette.requests):
            if request.path != path or not request.body:
                continue
            sent = json.loads(request.body)
            if isinstance(sent, dict) and isinstance(sent.get("otp"), str):
                return str(sent["otp"])
        raise LookupError(f"no recorded reveal of {slug} carries a one-time code")


def _origin(api_url: str) -> str:
    scheme, _, rest = api_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if not RECORDING:
        yield Target("replay", CANONICAL_API_URL, TOKEN, CANONICAL_ORIGIN)
        return
    if REMOTE:
        url = REMOTE_URL.rstrip("/")
        yield Target("remote", url, REMOTE_TOKEN, _origin(url))
        return
    from sharokey.emulator import run_emulator

    marker = request.node.get_closest_marker("needs_emulator")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    with run_emulator(tokens=[TOKEN], readonly_tokens=[READONLY_TOKEN], **options) as emu:
        yield Target("emulator", emu.api_url, TOKEN, emu.base_url, emu)


# --------------------------------------------------------------------------- vcr


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``cassettes/<module>/``: one file per test and transport, grouped by module."""
    return str(CASSETTES / request.module.__name__.rpartition(".")[2])


@pytest.fixture
def vcr_config(target: Target) -> dict[str, Any]:
    return {
        # The one switch is SHAROKEY_RECORD: a --record-mode on the command line cannot
        # turn a replay run into a half-recording one.
        "record_mode": "rewrite" if target.recording else "none",
        # Bodies are random (key, salt, nonce) or redacted: match on what is stable.
        "match_on": ("method", "scheme", "host", "port", "path", "query", "body_fields"),
        "filter_headers": [
            ("authorization", f"Bearer {REDACTED}"),
            ("idempotency-key", REDACTED),
            ("cookie", None),
        ],
        "before_record_request": functools.partial(
            scrub_request, api_url=target.api_url, secrets=target.secrets
        ),
        "before_record_response": functools.partial(
            scrub_response, origin=target.origin, secrets=target.secrets
        ),
        "decode_compressed_response": True,
    }


@pytest.fixture(autouse=True)
def _every_interaction_replayed(request: pytest.FixtureRequest) -> Iterator[None]:
    """At replay, a recorded request the test no longer sends is a failure too."""
    if RECORDING or request.node.get_closest_marker("vcr") is None:
        yield
        return
    cassette = request.getfixturevalue("vcr")
    yield
    unplayed = len(cassette) - len(cassette.play_counts)
    assert cassette.all_played, f"{unplayed} recorded interaction(s) were not replayed"


@pytest.fixture(autouse=True)
def _fixed_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The randomness seam: ``seal`` looks ``generate_key`` up in ``sharokey.crypto`` at each
    call, so this one patch gives every create the same key (salts and nonces stay random;
    the recorded ciphertext carries its own). Only inside these tests."""
    monkeypatch.setattr(sharokey.crypto, "generate_key", lambda: TEST_KEY)


@pytest.fixture(autouse=True)
def _old_vcrpy_aiohttp_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrpy 7 (the last release for Python 3.9) replays an aiohttp body through a plain
    ``asyncio.StreamReader``, which lacks aiohttp's ``readany()``, so the transport's
    ``content.iter_any()`` fails; vcrpy 8 replays through aiohttp's own reader. Give the old
    stub that one method (the whole recorded body, then EOF), inside these tests only."""
    try:
        from vcr.stubs import aiohttp_stubs
    except ImportError:  # aiohttp missing: the async flavour cannot run anyway
        return
    stream = aiohttp_stubs.MockStream
    if hasattr(stream, "readany"):
        return

    async def readany(self: asyncio.StreamReader) -> bytes:
        return await asyncio.StreamReader.read(self, -1)

    monkeypatch.setattr(stream, "readany", readany, raising=False)


# --------------------------------------------------------------------------- the clients


@pytest.fixture
async def make_api(target: Target, flavour: str) -> AsyncIterator[Callable[..., Api]]:
    """``make_api(**client_options)``: a client of this test's flavour (the shared ``flavour``
    fixture of ``tests/conftest.py``) aimed at the target."""
    made: list[Api] = []

    def make(token: Optional[str] = None, **options: Any) -> Api:
        cls = sharokey.AsyncSharokey if flavour == "async" else sharokey.Sharokey
        api = Api(cls(token or target.token, api_url=target.api_url, **options), flavour)
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


@pytest.fixture
async def tidy(api: Api) -> AsyncIterator[Tidy]:
    """Deletes at teardown, while the cassette is still in use: part of the recording."""
    made = Tidy()
    yield made
    for slug in made.slugs:
        with contextlib.suppress(NotFoundError):
            await api.delete(slug)
    for token in made.tokens:
        with contextlib.suppress(NotFoundError):
            await api.delete_request(token)
