"""The cassettes themselves: nothing secret, nothing tied to the recording host, no orphans;
and the scrubbers that keep them so.

Reads the files as they are committed, so it also guards cassettes recorded by hand or
against a real deployment.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from vcr.serializers import yamlserializer

from ._support import (
    CANARIES,
    CANONICAL_API_URL,
    CANONICAL_ORIGIN,
    PASSWORD,
    REDACTED,
    TOKEN,
    scrub_request,
    scrub_response,
)

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes"
HERE = Path(__file__).resolve().parent

FILES = sorted(CASSETTES.glob("*/*.yaml"))


def _canaries() -> list[str]:
    found = list(CANARIES)
    token = os.environ.get("SHAROKEY_TOKEN")
    if token:  # recorded against a real deployment with this token: it must not be there
        found.append(token)
    return found


def test_there_are_cassettes_for_every_replay_module() -> None:
    modules = {path.stem for path in HERE.glob("test_*.py")} - {"test_cassettes"}
    assert modules, "no replay test modules found"
    assert modules <= {path.name for path in CASSETTES.iterdir() if path.is_dir()}


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed cassette (YAML folds long strings across lines, so the
    file's text alone could hide a value split at a space)."""
    if isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_no_secret_reaches_a_cassette(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parsed = "\n".join(_strings(yamlserializer.deserialize(text)))
    leaked = [canary for canary in _canaries() if canary in text or canary in parsed]
    assert leaked == [], f"{len(leaked)} test secret(s) written to {path.name}"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_requests_are_canonical_and_headers_redacted(path: Path) -> None:
    cassette = yamlserializer.deserialize(path.read_text(encoding="utf-8"))
    interactions = cassette["interactions"]
    assert interactions, f"{path.name} holds no interaction"
    for interaction in interactions:
        request = interaction["request"]
        assert request["uri"].startswith(CANONICAL_API_URL + "/")
        headers = {name.lower(): values for name, values in request["headers"].items()}
        assert headers.get("authorization", [f"Bearer {REDACTED}"]) == [f"Bearer {REDACTED}"]
        assert headers.get("idempotency-key", [REDACTED]) == [REDACTED]
        assert "cookie" not in headers
        response_headers = {name.lower() for name in interaction["response"]["headers"]}
        assert "set-cookie" not in response_headers
    # The emulator's port (or any loopback address) never reaches a cassette.
    assert re.search(r"127\.0\.0\.1|localhost|\[::1\]", path.read_text(encoding="utf-8")) is None


def _test_names(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test_")
    }


def test_every_cassette_belongs_to_a_test() -> None:
    orphans = []
    for path in FILES:
        module = HERE / f"{path.parent.name}.py"
        name = path.stem.partition("[")[0]
        if not module.exists() or name not in _test_names(module):
            orphans.append(f"{path.parent.name}/{path.name}")
    assert orphans == [], f"cassettes without a test (delete them): {orphans}"


# --------------------------------------------------------------------------- the scrubbers


def test_a_recorded_request_is_made_canonical_and_loses_its_password() -> None:
    from vcr.request import Request

    body = f'{{"content":"abc","password":"{PASSWORD}","note":"{TOKEN}"}}'
    recorded = Request(
        "POST", "http://127.0.0.1:45678/api/v1/secrets/AB12CD34/reveal?x=1", body, {}
    )
    once = scrub_request(recorded, api_url="http://127.0.0.1:45678/api/v1", secrets=(TOKEN,))
    assert once.uri == f"{CANONICAL_API_URL}/secrets/AB12CD34/reveal?x=1"
    assert json.loads(once.body) == {"content": "abc", "password": REDACTED, "note": REDACTED}
    # vcrpy scrubs again when it loads and when it matches: nothing moves the second time.
    twice = scrub_request(once, api_url=CANONICAL_API_URL, secrets=(TOKEN,))
    assert (twice.uri, twice.body) == (once.uri, once.body)


def test_a_recorded_answer_points_at_the_canonical_host() -> None:
    origin = "https://api.example.org:8443"
    body = (
        f'{{"access_url":"{origin}/s/AB12","request_url":"https:\\/\\/api.example.org:8443'
        f'\\/r\\/T0K3N","echo":"{TOKEN}"}}'
    ).encode()
    answer = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Length": [str(len(body))], "Set-Cookie": ["session=abc"]},
        "body": {"string": body},
    }
    once = scrub_response(answer, origin=origin, secrets=(TOKEN,))
    scrubbed = once["body"]["string"]
    assert json.loads(scrubbed) == {
        "access_url": f"{CANONICAL_ORIGIN}/s/AB12",
        "request_url": f"{CANONICAL_ORIGIN}/r/T0K3N",
        "echo": REDACTED,
    }
    assert once["headers"] == {"Content-Length": [str(len(scrubbed))]}
    twice = scrub_response(once, origin=CANONICAL_ORIGIN, secrets=(TOKEN,))
    assert twice["body"]["string"] == scrubbed
