"""The models and the converter: the service's documented answers parse with the right types."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import sharokey
from sharokey import errors, models
from sharokey._convert import format_timestamp, parse_timestamp, structure, unstructure
from sharokey.crypto import OpenedAttachment

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def test_documented_list_sample_parses_with_types() -> None:
    body = sample("list_secrets.json")
    page = structure({"data": body["data"], "pagination": body["pagination"]}, models.SecretList)
    (secret,) = page.data
    assert secret.slug == "ABC123XY"
    assert secret.maximum_views == 1 and isinstance(secret.maximum_views, int)
    assert secret.has_attachments is True and secret.has_password is False
    assert secret.expiration == datetime(2025, 8, 11, 18, 52, 37, tzinfo=timezone.utc)
    assert secret.is_active
    assert page.pagination.total == 125 and page.pagination.has_next


def test_documented_details_sample_parses_with_types() -> None:
    secret = structure(sample("secret_details.json")["data"], models.Secret)
    assert secret.attachments == [models.AttachmentInfo(name="config.json")]
    assert secret.otp_type == "email" and secret.captcha is False
    assert secret.ip_whitelist == "192.168.1.0/24,10.0.0.1"
    assert secret.created_at is not None and secret.created_at.tzinfo is not None


def test_documented_create_sample_parses() -> None:
    created = structure(sample("create_secret.json")["data"], models.CreatedSecret)
    assert isinstance(created, models.Secret)
    assert created.expires_in_hours == 24 and created.attachments_count == 1


def test_documented_stats_sample_parses() -> None:
    stats = structure(sample("stats.json")["data"], models.SecretStats)
    assert stats.total_secrets == 1247 and stats.secrets_created_this_month == 234


def test_numeric_strings_and_01_booleans_are_accepted_on_purpose() -> None:
    secret = structure(
        {"slug": "S", "maximum_views": "3", "current_views": " 0 ", "has_password": 1},
        models.Secret,
    )
    assert (secret.maximum_views, secret.current_views, secret.has_password) == (3, 0, True)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("slug", None, "expected str @ $.slug"),
        ("description", 5, "expected str @ $.description"),
        ("has_password", "false", "expected bool @ $.has_password"),
        ("has_password", 2, "expected bool @ $.has_password"),
        ("maximum_views", 3.9, "expected int @ $.maximum_views"),
        ("maximum_views", True, "expected int @ $.maximum_views"),
        ("maximum_views", "3 views", "expected int @ $.maximum_views"),
        ("expiration", "yesterday", "expected datetime @ $.expiration"),
        ("attachments", "config.json", "expected list @ $.attachments"),
        ("attachments", [{"size": 3}], "$.attachments[0].name"),
    ],
)
def test_wrong_types_are_invalid_response_naming_the_path(
    field: str, value: Any, expected: str
) -> None:
    data = {"slug": "S", field: value}
    with pytest.raises(errors.InvalidResponseError) as info:
        structure(data, models.Secret)
    assert expected in str(info.value)
    assert isinstance(info.value, sharokey.SharokeyError)


def test_unknown_fields_are_ignored() -> None:
    secret = structure({"slug": "S", "brand_new_field": {"x": 1}}, models.Secret)
    assert secret.slug == "S"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-11T18:52:37.000000Z", datetime(2025, 8, 11, 18, 52, 37, tzinfo=timezone.utc)),
        ("2025-08-11T18:52:37Z", datetime(2025, 8, 11, 18, 52, 37, tzinfo=timezone.utc)),
        ("2025-08-11 18:52:37", datetime(2025, 8, 11, 18, 52, 37, tzinfo=timezone.utc)),
        (
            "2025-08-11T20:52:37.123456789+02:00",
            datetime(2025, 8, 11, 18, 52, 37, 123456, tzinfo=timezone.utc),
        ),
        ("2025-08-11T13:52-0500", datetime(2025, 8, 11, 18, 52, tzinfo=timezone.utc)),
    ],
)
def test_timestamps_become_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected and parsed.utcoffset() is not None
    assert parse_timestamp(format_timestamp(parsed)) == parsed


def test_unstructure_gives_stable_json_ready_data() -> None:
    secret = structure(sample("secret_details.json")["data"], models.Secret)
    data = unstructure(secret)
    assert data["expiration"] == "2025-08-11T18:52:37.000000Z"
    assert json.loads(json.dumps(data)) == data


def test_reprs_hide_credentials_and_content() -> None:
    request = models.SecretRequest(
        token="tok_SECRETSECRET", request_url="http://x/r/tok_SECRETSECRET"
    )
    assert "SECRETSECRET" not in repr(request) and "tok_" in repr(request)
    created = models.CreatedSecret(slug="S", share_url="http://x/s/S#" + "k" * 24)
    assert "k" * 24 not in repr(created)
    revealed = models.RevealedSecret(
        slug="S",
        content="canary-content",
        attachments=[OpenedAttachment(name="a", data=b"canary-bytes")],
    )
    assert "canary" not in repr(revealed)


def test_errors_pickle_and_keep_their_fields() -> None:
    error = errors.error_for(429, "RATE_LIMITED", "slow down", {"a": ["b"]}, retry_after=3.0)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is errors.RateLimitError
    assert (clone.code, clone.status, clone.retry_after, clone.details) == (
        "RATE_LIMITED",
        429,
        3.0,
        {"a": ["b"]},
    )
    network = pickle.loads(pickle.dumps(errors.NetworkError("x", request_sent=False)))
    assert network.request_sent is False


@pytest.mark.parametrize(
    ("name", "status", "cls"),
    [
        ("error_auth.json", 401, errors.AuthenticationError),
        ("error_quota.json", 403, errors.QuotaExceededError),
        ("error_notfound.json", 404, errors.NotFoundError),
        ("error_permission.json", 403, errors.PermissionDeniedError),
        ("error_validation.json", 422, errors.ValidationError),
    ],
)
def test_documented_error_samples_map_to_their_class(name: str, status: int, cls: type) -> None:
    body = sample(name)["error"]
    error = errors.error_for(status, body["code"], body["message"], body.get("details"))
    assert type(error) is cls
    assert error.code == body["code"] and error.message == body["message"]


def test_code_decides_over_status_and_status_decides_without_code() -> None:
    assert type(errors.error_for(403, "QUOTA_EXCEEDED", None)) is errors.QuotaExceededError
    assert type(errors.error_for(400, "NOT_FOUND", None)) is errors.NotFoundError
    assert type(errors.error_for(502, None, None)) is errors.ServerError
    assert type(errors.error_for(429, None, None)) is errors.RateLimitError
    assert type(errors.error_for(418, None, None)) is errors.SharokeyError
    timeout = errors.RequestTimeoutError()
    assert isinstance(timeout, TimeoutError) and isinstance(timeout, errors.NetworkError)


def test_validation_fields_normalise_any_details_shape() -> None:
    body = sample("error_validation.json")["error"]
    error = errors.error_for(422, body["code"], body["message"], body["details"])
    assert isinstance(error, errors.ValidationError)
    assert error.fields["expiration"] == ["Must be between 1 and 1000 hours"]
    assert errors.ValidationError(details={"hours": "too big"}).fields == {"hours": ["too big"]}
