"""The emulator against its own contract: schemathesis fuzzes every operation of the OpenAPI
document it serves (docs/protocol.md is the prose; ``sharokey.emulator.openapi`` the schema).

Each operation gets a bounded number of generated requests, valid and invalid, with and
without the token; every answer must be no 5xx, a status the document lists for that
operation, with the content type and the body schema it gives. A fault rule the fuzzer
happens to add is cleared after each call: injected failures are the point of that
endpoint, not a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

schemathesis = pytest.importorskip(
    "schemathesis",
    reason="schemathesis 4.5+ needs Python 3.10 (the fuzz test runs on 3.10 to 3.13)",
)
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from sharokey.emulator import EmulatorHandle, EmulatorState, create_app, run_emulator  # noqa: E402
from sharokey.emulator.openapi import OPENAPI_PATH, openapi_document  # noqa: E402

from ._support import TOKEN  # noqa: E402

pytestmark = pytest.mark.live

#: Generated requests per operation: 22 operations, the whole test well under a minute.
EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(openapi_document())
# Valid requests and invalid ones (wrong types, out of range, missing fields, odd text).
schema.config.generation.update(modes=list(schemathesis.GenerationMode))


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as emu:
        yield emu


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_answer_keeps_the_contract(
    case: Any, fuzzed: EmulatorHandle, http: requests.Session
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"} if case.operation.security != [] else {}
    try:
        response = case.call(base_url=fuzzed.base_url, session=http, headers=headers, timeout=30)
    finally:
        fuzzed.clear_faults()
    case.validate_response(response, checks=CHECKS)


def test_the_document_is_served_and_names_every_route(fuzzed: EmulatorHandle) -> None:
    served = requests.get(fuzzed.base_url + OPENAPI_PATH, timeout=30)
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("application/json")
    document = served.json()
    assert document["openapi"].startswith("3.1")
    described = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    # The routes as the application itself registers them: one list, no drift.
    state = EmulatorState(tokens=[TOKEN])
    try:
        routed = {
            (route.method, route.resource.canonical)
            for route in create_app(state).router.routes()
            if route.method != "HEAD" and route.resource is not None
        }
    finally:
        state.close()
    assert described == routed
    extensions = {
        path
        for path, operations in document["paths"].items()
        if any(op.get("x-sharokey-extension") for op in operations.values())
    }
    assert {"/api/v1/secrets/{slug}/reveal", "/s/{slug}", "/_emulator/clock"} <= extensions
    assert "/api/v1/secrets" not in extensions  # the service's own calls are not marked
