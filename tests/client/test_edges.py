"""The SDK at its edges: what each client does when the server is hostile.

Every case meets a server of the tests' own (``_hostile.py``) on loopback and
must end in its typed error, within the deadline, with memory bounded. The
memory cases run one call in a subprocess (``_probe.py``) that reports the
growth of its own peak resident memory, so the peak is that call's alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

import sharokey
from sharokey import InvalidResponseError, Timeout
from sharokey.errors import API_URL_NOT_FOUND, RESPONSE_TOO_LARGE
from sharokey.pagination import MAX_PAGES
from sharokey.transports import AsyncMockTransport, MockTransport, Response

pytest.importorskip("aiohttp")

PROBE = Path(__file__).with_name("_probe.py")
ROOT = Path(__file__).resolve().parents[2]
#: Generous: the cap is 32 MiB; without it a bomb costs a GiB or more.
MEMORY_BOUND_MIB = 200
#: Only bounds a failure (a client that never gives up): the test's own deadline.
WALL = 120
LINK = "https://app.example/s/{slug}#" + "K" * 24


def probe(kind: str, api_url: str, total: float = 10) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(PROBE), kind, api_url, str(total)],
        capture_output=True,
        text=True,
        timeout=WALL,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def call(flavour: str, api_url: str, method: str, *args: Any, **options: Any) -> Any:
    """``method(*args)`` on a fresh client of ``flavour`` without retries."""
    options.setdefault("max_retries", 0)
    if flavour == "sync":
        with sharokey.Sharokey("tok", api_url=api_url, **options) as client:
            return getattr(client, method)(*args)

    async def run() -> Any:
        async with sharokey.AsyncSharokey("tok", api_url=api_url, **options) as client:
            return await getattr(client, method)(*args)

    return asyncio.run(run())


# --------------------------------------------------------------------------- budget


@pytest.mark.live
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("mode", ["bomb", "lying", "plain", "chunked", "close"])
def test_an_oversized_answer_stops_at_the_cap_with_memory_bounded(
    hostile: Any, kind: str, mode: str
) -> None:
    # bomb: 1 MB of gzip inflating to 1 GiB; lying: a Content-Length of 16 MiB whose
    # bytes inflate to GiBs; plain: 1 GiB declared; chunked and close: never ending.
    result = probe(kind, hostile.url(mode))
    assert (result["error"], result["code"]) == ("InvalidResponseError", RESPONSE_TOO_LARGE)
    assert result["peak_mib_over_baseline"] < MEMORY_BOUND_MIB, result


@pytest.mark.live
def test_the_cap_is_the_clients_option_and_is_not_retried(hostile: Any, flavour: str) -> None:
    before = len(hostile.seen)
    with pytest.raises(InvalidResponseError) as info:
        call(flavour, hostile.url("chunked"), "get_stats", max_retries=2, max_response_bytes=1000)
    assert info.value.code == RESPONSE_TOO_LARGE
    assert "1,000 bytes" in info.value.message
    assert len(hostile.seen) == before + 1  # one attempt: the next answer would be as large


def test_a_callers_own_transport_is_held_to_the_cap_too(ok: Any) -> None:
    big = ok({"blob": "x" * 5000})
    with pytest.raises(InvalidResponseError) as info:
        sharokey.Sharokey(
            "tok", transport=MockTransport(lambda r: big), max_response_bytes=4096
        ).get_stats()
    assert info.value.code == RESPONSE_TOO_LARGE
    with pytest.raises(InvalidResponseError):
        asyncio.run(
            sharokey.AsyncSharokey(
                "tok", transport=AsyncMockTransport(lambda r: big), max_response_bytes=4096
            ).get_stats()
        )


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "32"])
def test_a_bad_cap_is_a_configuration_error(value: Any) -> None:
    with pytest.raises(sharokey.ConfigurationError, match="max_response_bytes"):
        sharokey.Sharokey("tok", max_response_bytes=value)


# --------------------------------------------------------------------------- deadline


@pytest.mark.live
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("mode", ["trickle-headers", "trickle-body"])
def test_a_trickling_server_is_cut_off_at_the_total(hostile: Any, kind: str, mode: str) -> None:
    # A byte every 0.2 s: no single read ever waits long, only the total can stop it.
    result = probe(kind, hostile.url(mode), total=2)
    assert (result["error"], result["code"]) == ("RequestTimeoutError", "TIMEOUT")
    assert "limit 2 s in all per attempt" in result["message"]
    assert "Gave up after 1 attempt," in result["message"]
    # The server would go on for 24 s (120 headers) or 200 s (1000 bytes).
    assert result["seconds"] < 20, result


def test_a_timeout_says_how_many_attempts_and_how_long_in_all(policy: Any) -> None:
    def late(request: Any) -> Response:
        raise sharokey.RequestTimeoutError("api did not answer in time (limit 1 s).")

    client = sharokey.Sharokey(
        "tok", transport=MockTransport(late), retry_policy=policy(max_retries=2)
    )
    with pytest.raises(sharokey.RequestTimeoutError) as info:
        client.get_stats()
    assert "(limit 1 s). Gave up after 3 attempts, " in info.value.message
    assert info.value.message.endswith(" s in all.")
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_the_default_timeout_has_a_total() -> None:
    assert Timeout().total == 60.0
    assert sharokey.Sharokey("tok")._timeout == Timeout(connect=5, read=30, total=60)


# --------------------------------------------------------------------------- nesting


@pytest.mark.live
@pytest.mark.parametrize("status", [200, 401, 404, 500])
def test_json_nested_without_end_is_an_invalid_response(
    hostile: Any, flavour: str, status: int
) -> None:
    for method, args in (("get_stats", ()), ("get_details", ("abc",)), ("health", ())):
        with pytest.raises(InvalidResponseError, match="nested deeper"):
            call(flavour, hostile.url(f"deep-{status}"), method, *args)
    with pytest.raises(InvalidResponseError, match="nested deeper"):
        call(flavour, hostile.url(f"deep-{status}"), "reveal", LINK.format(slug="abc"))


# --------------------------------------------------------------------------- paging


@pytest.mark.live
def test_empty_pages_that_claim_more_stop_the_walk(hostile: Any, flavour: str) -> None:
    url = hostile.url("pages")

    def walk() -> list[Any]:
        if flavour == "sync":
            return list(sharokey.Sharokey("tok", api_url=url).list_secrets())

        async def walk_async() -> list[Any]:
            client = sharokey.AsyncSharokey("tok", api_url=url)
            try:
                return [s async for s in client.list_secrets()]
            finally:
                await client.aclose()

        return asyncio.run(walk_async())

    with pytest.raises(InvalidResponseError, match="page 2 is empty but claims"):
        walk()


def test_a_walk_stops_at_the_page_cap(ok: Any) -> None:
    def page(request: Any) -> Response:
        number = int(request.url.rpartition("page=")[2].split("&")[0] or 1)
        pagination = {"current_page": number, "last_page": 10**12}
        return ok([{"slug": f"S{number}"}], pagination=pagination)

    client = sharokey.Sharokey("tok", transport=MockTransport(page))
    seen: list[Any] = []
    with pytest.raises(InvalidResponseError, match=f"past {MAX_PAGES} pages"):
        seen.extend(client.list_secrets(page=1))
    assert len(seen) == MAX_PAGES


@pytest.mark.live
def test_a_content_length_that_is_not_a_number_ends_typed(hostile: Any, flavour: str) -> None:
    # requests keeps the header and reads to the close: the answer is read; aiohttp
    # refuses the header: a NetworkError. Never a ValueError from int("²").
    if flavour == "sync":
        assert call(flavour, hostile.url("odd-length"), "get_details", "ODD1").slug == "ODD1"
    else:
        with pytest.raises(sharokey.NetworkError):
            call(flavour, hostile.url("odd-length"), "get_details", "ODD1")


# --------------------------------------------------------------------------- wrong URL


@pytest.mark.live
def test_a_404_that_is_not_the_apis_names_the_url_in_use(hostile: Any, flavour: str) -> None:
    for mode, method, args in (
        ("html404", "list_secrets", ()),
        ("html404", "get_details", ("abc",)),
        ("envelope404", "get_stats", ()),  # a path the API always has
        ("envelope404", "health", ()),
    ):
        with pytest.raises(sharokey.ConfigurationError) as info:
            call(flavour, hostile.url(mode), method, *args)
        assert info.value.code == API_URL_NOT_FOUND
        assert f"in use: {hostile.url(mode)})" in info.value.message
        assert "tok" not in info.value.message


@pytest.mark.live
def test_a_404_in_the_apis_shape_for_an_item_is_still_not_found(hostile: Any, flavour: str) -> None:
    with pytest.raises(sharokey.NotFoundError):
        call(flavour, hostile.url("envelope404"), "get_details", "abc")


# --------------------------------------------------------------------------- ambient credentials


@pytest.fixture
def netrc_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(netrc))
    return netrc


@pytest.mark.live
@pytest.mark.parametrize("own_session", [False, True])
def test_netrc_is_never_consulted(hostile: Any, netrc_home: Path, own_session: bool) -> None:
    # A caller's session keeps trust_env on (its own choice); netrc still stays out.
    session = requests.Session() if own_session else None
    assert requests.utils.get_netrc_auth(hostile.url("echo")) == ("intruder", "hunter2")
    client = sharokey.Sharokey("tok-bearer", api_url=hostile.url("echo"), session=session)
    client.get_stats()
    assert hostile.seen[-1]["authorization"] == "Bearer tok-bearer"
    with pytest.raises(sharokey.NotFoundError):
        client.reveal(LINK.format(slug="abc"))
    assert "authorization" not in hostile.seen[-1]
    client.close()
    if session is not None:
        session.close()


@pytest.mark.live
def test_proxy_variables_are_still_honoured(
    hostile: Any, monkeypatch: pytest.MonkeyPatch, netrc_home: Path
) -> None:
    # The API host does not exist: only the proxy (the hostile server) can answer.
    monkeypatch.setenv("HTTP_PROXY", hostile.root)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = sharokey.Sharokey("tok", api_url="http://sharokey.invalid/echo/api/v1")
    assert client.get_stats().total_secrets == 1
    assert hostile.seen_paths[-1] == "http://sharokey.invalid/echo/api/v1/secrets-stats"
    assert hostile.seen[-1]["authorization"] == "Bearer tok"
    client.close()
