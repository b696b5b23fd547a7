"""Fault injection and the control endpoints, seen from raw HTTP clients.

Also the late answers a delay makes: what the server did with a request whose client gave up,
and what a patient client gets in the end.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any, Optional

import pytest
import requests

from sharokey.crypto import seal
from sharokey.emulator import EmulatorHandle, FaultRule, parse_fault, run_emulator

from ._support import emulator_records, error_of, eventually, secret_body

pytestmark = pytest.mark.live

TOKEN = "fault-test-token"


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


def get(emu: EmulatorHandle, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(
        emu.api_url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30, **kwargs
    )


def create(
    emu: EmulatorHandle, key: Optional[str] = None, body: Optional[dict[str, Any]] = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    if body is None:
        body = {**seal("x").payload, "maximum_views": 1}
    return requests.post(emu.api_url + "/secrets", json=body, headers=headers, timeout=30)


# --------------------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "POST /api/v1/secrets 503x1 retry-after=1",
            FaultRule("POST", "/api/v1/secrets", "status", status=503, count=1, retry_after=1),
        ),
        (
            "GET /api/v1/secrets/* 500x2",
            FaultRule("GET", "/api/v1/secrets/*", "status", status=500, count=2),
        ),
        ("* * drop x1", FaultRule("*", "*", "drop", count=1)),
        ("post /api/v1/secrets drop-after", FaultRule("POST", "/api/v1/secrets", "drop-after")),
        ("GET * delay=2 x1", FaultRule("GET", "*", "delay", delay=2.0, count=1)),
        ("GET * delay=0.5x3", FaultRule("GET", "*", "delay", delay=0.5, count=3)),
        ("GET * truncate x1", FaultRule("GET", "*", "truncate", count=1)),
        ("* * 429", FaultRule("*", "*", "status", status=429, retry_after=1)),
        ("GET * 502 delay=1", FaultRule("GET", "*", "status", status=502, delay=1.0)),
        (
            "POST /api/v1/secrets delay-after=2.5 x1",
            FaultRule("POST", "/api/v1/secrets", "delay-after", count=1, delay_after=2.5),
        ),
        (
            "POST * delay-after=1x2 delay=0.5",
            FaultRule("POST", "*", "delay-after", delay=0.5, count=2, delay_after=1.0),
        ),
    ],
)
def test_parse_fault_reads_the_grammar(rule: str, expected: FaultRule) -> None:
    parsed = parse_fault(rule)
    assert (
        parsed.method,
        parsed.path,
        parsed.effect,
        parsed.status,
        parsed.delay,
        parsed.count,
        parsed.retry_after,
        parsed.delay_after,
    ) == (
        expected.method,
        expected.path,
        expected.effect,
        expected.status,
        expected.delay,
        expected.count,
        expected.retry_after,
        expected.delay_after,
    )


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ("GET *", "too short"),
        ("FETCH * 500", "unknown method"),
        ("GET api 500", "must start with /"),
        ("GET * 418", "not a fault"),
        ("GET * explode", "unknown effect"),
        ("POST * delay-after=soon", "unknown effect"),
        ("POST * delay-after x1", "unknown effect"),
        ("GET * 500x0", "at least 1"),
        ("GET * 500x1 x2", "given twice"),
        ("GET * drop retry-after=3", "only goes with a status"),
        ("GET * 503 retry-after=soon", "whole seconds"),
        ("GET * 503 colour=red", "unknown option"),
        ("GET * 503 delay=soon", "delay must be a number of seconds"),
        ("GET * 503 loudly", "unexpected"),
    ],
)
def test_parse_fault_explains_bad_rules(rule: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_fault(rule)


def test_bad_rules_fail_at_start_with_the_parsers_message() -> None:
    with pytest.raises(ValueError, match="not a fault"), run_emulator(faults=["GET * 418"]):
        pass


# --------------------------------------------------------------------------- effects


def test_status_faults_fire_their_count_then_stop(emu: EmulatorHandle) -> None:
    emu.add_fault("GET /api/v1/secrets 500x2")
    first, second, third = (get(emu, "/secrets") for _ in range(3))
    assert first.status_code == second.status_code == 500
    assert first.json() == {
        "success": False,
        "error": {"code": "SERVER_ERROR", "message": "The server failed to handle the request"},
    }
    assert third.status_code == 200
    assert [s for m, p, s in emu.request_log if p == "/api/v1/secrets"] == [500, 500, 200]
    assert emu.hits("GET", "/api/v1/secrets") == 3


@pytest.mark.parametrize(
    ("status", "title"), [(502, "502 Bad Gateway"), (504, "504 Gateway Time-out")]
)
def test_gateway_faults_answer_with_an_nginx_page(
    emu: EmulatorHandle, status: int, title: str
) -> None:
    emu.add_fault(f"* /api/v1/* {status} x1")
    response = get(emu, "/secrets")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"<title>{title}</title>" in response.text
    assert "nginx" in response.text
    with pytest.raises(ValueError):
        response.json()


def test_503_and_429_carry_retry_after(emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets 503x1 retry-after=7")
    emu.add_fault("POST /api/v1/secrets 429x1")
    unavailable = create(emu)
    assert unavailable.status_code == 503
    assert unavailable.headers["Retry-After"] == "7"
    assert unavailable.json()["success"] is False
    limited = create(emu)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert limited.headers["Retry-After"] == "1"
    assert emu.secret_count() == 0  # neither reached the handler
    assert create(emu).status_code == 201


def test_drop_closes_the_connection_before_handling(emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets drop x1")
    with pytest.raises(requests.ConnectionError):
        create(emu)
    assert emu.secret_count() == 0
    assert emu.request_log[-1] == ("POST", "/api/v1/secrets", 0)
    assert create(emu).status_code == 201


def test_drop_after_handles_then_closes_and_the_key_replays(emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets drop-after x1")
    body = {**seal("x").payload, "maximum_views": 1}
    with pytest.raises(requests.ConnectionError):
        create(emu, key="ambiguous-1", body=body)
    assert emu.secret_count() == 1  # the secret exists though no answer came back
    retried = create(emu, key="ambiguous-1", body=body)
    assert retried.status_code == 201
    assert retried.headers.get("Idempotent-Replayed") == "true"
    assert emu.secret_count() == 1
    [(_, slug)] = [(None, item["slug"]) for item in get(emu, "/secrets").json()["data"]]
    assert retried.json()["data"]["slug"] == slug


def test_a_drop_after_the_client_left_logs_an_unanswered_request(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    emu.add_fault("GET /api/v1/health drop delay=1 x1")
    with pytest.raises(requests.ReadTimeout):
        requests.get(emu.api_url + "/health", timeout=0.1)
    assert eventually(lambda: emu.hits("GET", "/api/v1/health") == 1)
    assert emu.request_log == [("GET", "/api/v1/health", 0)]
    assert not [r for r in emulator_records(caplog) if r.levelno >= logging.WARNING]
    assert requests.get(emu.api_url + "/health", timeout=30).status_code == 200


def test_delay_makes_a_read_time_out(emu: EmulatorHandle) -> None:
    emu.add_fault("GET /api/v1/health delay=1 x1")
    with pytest.raises(requests.ReadTimeout):
        requests.get(emu.api_url + "/health", timeout=0.2)
    assert requests.get(emu.api_url + "/health", timeout=30).status_code == 200


def test_a_delayed_status_fault_answers_that_status_and_stores_nothing(
    emu: EmulatorHandle,
) -> None:
    emu.add_fault("POST /api/v1/secrets 503x1 delay=0.1 retry-after=2")
    response = requests.post(
        emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert emu.secret_count() == 0


def test_truncate_sends_valid_http_with_broken_json(emu: EmulatorHandle) -> None:
    create(emu)
    whole = get(emu, "/secrets").content
    emu.add_fault("GET * truncate x1")
    cut = get(emu, "/secrets")
    assert cut.status_code == 200
    assert int(cut.headers["Content-Length"]) == len(cut.content) == len(whole) // 2
    assert whole.startswith(cut.content)
    with pytest.raises(ValueError):
        json.loads(cut.content)


def test_truncating_an_answer_without_a_body_leaves_it_whole(emu: EmulatorHandle) -> None:
    emu.add_fault("GET /favicon.ico truncate x1")
    response = requests.get(emu.base_url + "/favicon.ico", timeout=30)
    assert (response.status_code, response.content) == (204, b"")
    assert emu.faults == []


def test_rules_apply_in_order_until_cleared(emu: EmulatorHandle) -> None:
    emu.add_fault("GET /api/v1/secrets 503x1")
    emu.add_fault("GET * 500")  # forever
    assert get(emu, "/secrets").status_code == 503
    assert [get(emu, "/secrets").status_code for _ in range(3)] == [500, 500, 500]
    assert get(emu, "/secrets-stats").status_code == 500
    assert create(emu).status_code == 201  # POST matches neither rule
    assert emu.faults == [{"rule": "GET * 500", "remaining": None}]
    emu.clear_faults()
    assert get(emu, "/secrets").status_code == 200
    assert emu.faults == []


def test_faults_never_touch_the_control_endpoints(emu: EmulatorHandle) -> None:
    emu.add_fault("* * 500")
    assert requests.get(emu.base_url + "/_emulator/state", timeout=30).status_code == 200
    assert requests.delete(emu.base_url + "/_emulator/faults", timeout=30).status_code == 200
    assert get(emu, "/secrets").status_code == 200


def test_faults_given_at_start() -> None:
    with run_emulator(faults=["GET /api/v1/health 503x1"]) as other:
        assert requests.get(other.api_url + "/health", timeout=30).status_code == 503
        assert requests.get(other.api_url + "/health", timeout=30).status_code == 200


# --------------------------------------------------------------------------- late answers


def test_a_delayed_post_is_handled_after_the_client_gave_up(
    emu: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sharokey.emulator")
    emu.add_fault("POST /api/v1/secrets delay=0.5 x1")
    with pytest.raises(requests.ReadTimeout):
        requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=0.1)
    assert eventually(lambda: emu.hits("POST", "/api/v1/secrets") == 1)
    # The body had arrived before the client left: the server acted on it, no 500.
    assert emu.secret_count() == 1
    assert [s for _, _, s in emu.request_log] != [500]
    assert not [r for r in emulator_records(caplog) if r.levelno >= logging.WARNING]


def test_delay_after_stores_first_and_answers_late(emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets delay-after=3 x1")
    with pytest.raises(requests.ReadTimeout):
        requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=0.3)
    # The secret exists while the server still sits on its answer.
    assert eventually(lambda: emu.secret_count() == 1)
    assert emu.hits("POST", "/api/v1/secrets") == 0
    assert eventually(lambda: emu.hits("POST", "/api/v1/secrets") == 1)
    assert emu.request_log == [("POST", "/api/v1/secrets", 0)]  # the answer reached nobody


def test_delay_after_answers_a_patient_client_in_full(emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets delay-after=0.2 x1")
    body = secret_body()
    headers = {**auth(), "Idempotency-Key": "late-1"}
    response = requests.post(emu.api_url + "/secrets", json=body, headers=headers, timeout=30)
    assert response.status_code == 201
    # A repeat with the key replays the stored answer: one secret, the same slug.
    again = requests.post(emu.api_url + "/secrets", json=body, headers=headers, timeout=30)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["data"]["slug"] == response.json()["data"]["slug"]
    assert emu.secret_count() == 1
    assert emu.faults == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_delayed_body_too_large_is_still_a_413_envelope(chunked: bool) -> None:
    with run_emulator(tokens=[TOKEN], max_body_mib=0.01) as small:
        small.add_fault("POST /api/v1/secrets delay=0.1 x1")
        raw = b'{"content": "' + b"A" * 20_000 + b'"}'
        data: Any = iter([raw[i : i + 4096] for i in range(0, len(raw), 4096)]) if chunked else raw
        response = requests.post(
            small.api_url + "/secrets",
            data=data,
            headers={**auth(), "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        assert small.secret_count() == 0


# --------------------------------------------------------------------------- control endpoints


def test_control_state_clock_outbox_faults_and_list_shape(emu: EmulatorHandle) -> None:
    control = emu.base_url + "/_emulator"
    slug = create(emu).json()["data"]["slug"]

    state = requests.get(control + "/state", timeout=30).json()["data"]
    assert state["secret_count"] == 1
    assert state["faults"] == []
    assert state["clock"]["offset_seconds"] == 0
    assert state["list_shape"] == "documented"

    moved = requests.post(control + "/clock", json={"advance_seconds": 25 * 3600}, timeout=30)
    assert moved.json()["data"]["offset_seconds"] == 25 * 3600
    assert get(emu, f"/secrets/{slug}").json()["data"]["status"] == "expired"
    refused = requests.post(control + "/clock", json={"advance_seconds": -5}, timeout=30)
    assert refused.status_code == 400

    assert requests.get(control + "/outbox", timeout=30).json()["data"] == []

    added = requests.post(
        control + "/faults", json={"rule": "GET /api/v1/secrets 500x1"}, timeout=30
    )
    assert added.status_code == 201
    assert get(emu, "/secrets").status_code == 500
    bad = requests.post(control + "/faults", json={"rule": "GET * 299"}, timeout=30)
    assert bad.status_code == 400
    assert "not a fault" in bad.json()["error"]["details"]["rule"][0]
    requests.post(control + "/faults", json={"rule": "* * 500"}, timeout=30)
    assert len(requests.get(control + "/state", timeout=30).json()["data"]["faults"]) == 1
    assert requests.delete(control + "/faults", timeout=30).status_code == 200
    assert get(emu, "/secrets").status_code == 200

    shaped = requests.post(control + "/list-shape", json={"shape": "items"}, timeout=30)
    assert shaped.json()["data"] == {"list_shape": "items"}
    assert "items" in get(emu, "/secrets").json()["data"]
    wrong = requests.post(control + "/list-shape", json={"shape": "xml"}, timeout=30)
    assert wrong.status_code == 400


def test_a_fault_rule_that_is_not_a_string_is_400(emu: EmulatorHandle) -> None:
    response = requests.post(emu.base_url + "/_emulator/faults", json={"rule": 500}, timeout=30)
    assert response.status_code == 400
    assert "must be a string" in error_of(response)["details"]["rule"][0]
    assert emu.faults == []


def _outward_address() -> Optional[str]:
    """A non-loopback IPv4 address of this machine, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address: str = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_control_endpoints_answer_loopback_clients_only() -> None:
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    every_interface = "0.0.0.0"  # noqa: S104  # the point: reachable from a non-loopback address
    with run_emulator(host=every_interface, tokens=[TOKEN]) as emu:
        port = emu.base_url.rsplit(":", 1)[1]
        remote = f"http://{address}:{port}"
        refused = requests.get(remote + "/_emulator/state", timeout=30)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
        assert (
            requests.post(
                remote + "/_emulator/faults", json={"rule": "* * 500"}, timeout=30
            ).status_code
            == 403
        )
        assert emu.faults == []
        assert requests.get(remote + "/api/v1/health", timeout=30).status_code == 200
        local = emu.base_url.replace(every_interface, "127.0.0.1")
        assert requests.get(local + "/_emulator/state", timeout=30).status_code == 200
