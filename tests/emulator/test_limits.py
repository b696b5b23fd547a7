"""The documented limits, at both edges, through real HTTP against the emulator.

The numbers are written out here on purpose, not imported from
``sharokey.limits``: the emulator reads that module, so a wrong constant
there would agree with itself. Each limit is tried at its last accepted value
and at the first refused one (docs/protocol.md#2-endpoints,
docs/protocol.md#3-creating-a-secret).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from sharokey.emulator import EmulatorHandle

from ._support import TOKEN, Api, error_of, payload

pytestmark = pytest.mark.live


@pytest.fixture
def alpha(emu: EmulatorHandle) -> Api:
    """Plain HTTP as the ``emu`` fixture's one company."""
    return Api(emu, TOKEN)


MIB = 1024 * 1024
TAG = 16  # an attachment's ciphertext is its plaintext plus the 16-byte GCM tag


def files(count: int, plaintext: int = 1) -> list[dict[str, Any]]:
    """``count`` attachments of ``plaintext`` bytes each (as the emulator derives sizes)."""
    data = base64.b64encode(bytes(plaintext + TAG)).decode()
    return [{"name": f"f{i}.bin", "data": data} for i in range(count)]


def create_secret(alpha: Api, **fields: Any) -> requests.Response:
    return alpha.call("POST", "/secrets", json=payload(**fields))


def create_request(alpha: Api, **fields: Any) -> requests.Response:
    return alpha.call("POST", "/requests", json=fields)


def refused(response: requests.Response, field: str) -> list[str]:
    """The 422 messages for ``field``; fails if the answer is anything else."""
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    messages: list[str] = error["details"][field]
    return messages


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("hours", [1, 1000])
def test_a_secret_lives_1_to_1000_hours(alpha: Api, hours: int) -> None:
    made = create_secret(alpha, expiration_hours=hours)
    assert made.status_code == 201, made.text
    assert made.json()["data"]["expires_in_hours"] == hours


@pytest.mark.parametrize("hours", [0, 1001])
def test_a_secret_outside_1_to_1000_hours_is_refused(alpha: Api, hours: int) -> None:
    messages = refused(create_secret(alpha, expiration_hours=hours), "expiration_hours")
    assert messages == ["Must be between 1 and 1000 hours"]


@pytest.mark.parametrize("views", [1, 1000])
def test_a_secret_allows_1_to_1000_views(alpha: Api, views: int) -> None:
    made = create_secret(alpha, maximum_views=views)
    assert made.status_code == 201, made.text
    assert made.json()["data"]["maximum_views"] == views


@pytest.mark.parametrize("views", [0, 1001])
def test_a_secret_outside_1_to_1000_views_is_refused(alpha: Api, views: int) -> None:
    messages = refused(create_secret(alpha, maximum_views=views), "maximum_views")
    assert messages == ["Must be between 1 and 1000 views"]


def test_a_secret_without_hours_or_views_lives_24_hours_for_1_view(alpha: Api) -> None:
    body = {k: v for k, v in payload().items() if k not in ("expiration_hours", "maximum_views")}
    made = alpha.call("POST", "/secrets", json=body)
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert (data["expires_in_hours"], data["maximum_views"]) == (24, 1)


@pytest.mark.parametrize("field", ["description", "message"])
def test_a_secret_text_field_holds_255_characters(alpha: Api, field: str) -> None:
    made = create_secret(alpha, **{field: "d" * 255})
    assert made.status_code == 201, made.text
    assert made.json()["data"][field] == "d" * 255
    messages = refused(create_secret(alpha, **{field: "d" * 256}), field)
    assert messages == [f"The {field} may not be greater than 255 characters"]


def test_a_secret_carries_10_attachments_not_11(alpha: Api) -> None:
    made = create_secret(alpha, attachments=files(10))
    assert made.status_code == 201, made.text
    assert made.json()["data"]["attachments_count"] == 10
    messages = refused(create_secret(alpha, attachments=files(11)), "attachments")
    assert messages == ["At most 10 attachments are allowed"]


def test_attachments_hold_10_mib_of_plaintext_in_all(alpha: Api) -> None:
    exactly = create_secret(alpha, attachments=files(2, 5 * MIB))
    assert exactly.status_code == 201, exactly.text
    over = create_secret(alpha, attachments=[*files(1, 5 * MIB), *files(1, 5 * MIB + 1)])
    assert refused(over, "attachments") == ["The attachments may not exceed 10 MiB in total"]


def test_an_idempotency_key_holds_255_characters(alpha: Api) -> None:
    body = payload()
    kept = alpha.call("POST", "/secrets", json=body, headers={"Idempotency-Key": "k" * 255})
    assert kept.status_code == 201, kept.text
    long = alpha.call("POST", "/secrets", json=body, headers={"Idempotency-Key": "k" * 256})
    assert refused(long, "Idempotency-Key") == [
        "The Idempotency-Key may have 255 characters at most"
    ]


# --------------------------------------------------------------------------- secret requests


@pytest.mark.parametrize("field", ["secret_expiration_hours", "request_expiration_hours"])
def test_a_request_hours_run_1_to_1000(alpha: Api, field: str) -> None:
    for hours in (1, 1000):
        made = create_request(alpha, **{field: hours})
        assert made.status_code == 201, made.text
        assert made.json()["data"][field] == hours
    for hours in (0, 1001):
        assert refused(create_request(alpha, **{field: hours}), field) == [
            "Must be between 1 and 1000 hours"
        ]


def test_a_request_allows_1_to_10_views(alpha: Api) -> None:
    for views in (1, 10):
        made = create_request(alpha, maximum_views=views)
        assert made.status_code == 201, made.text
        assert made.json()["data"]["maximum_views"] == views
    for views in (0, 11):
        assert refused(create_request(alpha, maximum_views=views), "maximum_views") == [
            "Must be between 1 and 10 views"
        ]


@pytest.mark.parametrize("field", ["description", "message"])
def test_a_request_text_field_holds_255_characters(alpha: Api, field: str) -> None:
    made = create_request(alpha, **{field: "r" * 255})
    assert made.status_code == 201, made.text
    assert made.json()["data"][field] == "r" * 255
    assert refused(create_request(alpha, **{field: "r" * 256}), field) == [
        f"The {field} may not be greater than 255 characters"
    ]


def test_a_request_without_numbers_lets_its_secret_live_24_hours_for_1_view(alpha: Api) -> None:
    made = create_request(alpha)
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert (data["secret_expiration_hours"], data["maximum_views"]) == (24, 1)
