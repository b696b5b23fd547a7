"""The component schemas of the emulator's OpenAPI document (``sharokey.emulator.openapi``).

Every answer's ``data`` and every request body, with the limits taken from
where the validation takes them (``sharokey.limits``, ``validation``), and the
small builders both modules use. This project's additions carry
``x-sharokey-extension: true``.
"""

from __future__ import annotations

from typing import Any, Optional

from sharokey.crypto import KEY_A_LENGTH
from sharokey.emulator.routes._common import MAX_PAGE_SIZE
from sharokey.emulator.validation import MAX_PASSWORD
from sharokey.limits import (
    DEFAULT_HOURS,
    DEFAULT_VIEWS,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_BYTES,
    MAX_HOURS,
    MAX_REQUEST_VIEWS,
    MAX_TEXT,
    MAX_VIEWS,
    MIN_HOURS,
    MIN_VIEWS,
)

__all__ = ["COUNT", "EXT", "SCHEMAS", "Schema", "obj", "ref"]

Schema = dict[str, Any]
EXT = {"x-sharokey-extension": True}

_B64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_NONCE_B64 = "^[A-Za-z0-9+/]{16}$"  # 12 bytes
_SALT_B64 = "^[A-Za-z0-9+/]{22}==$"  # 16 bytes
_STAMP: Schema = {"type": "string", "format": "date-time"}


def _null(schema: Schema) -> Schema:
    """``schema`` or ``null`` (OpenAPI 3.1 / JSON Schema type lists)."""
    kind = schema["type"]
    return {**schema, "type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}


def _text(limit: int = MAX_TEXT) -> Schema:
    return {"type": "string", "maxLength": limit}


def _int(low: int, high: int, default: Optional[int] = None) -> Schema:
    schema: Schema = {"type": "integer", "minimum": low, "maximum": high}
    if default is not None:
        schema["default"] = default
    return {**schema, "x-sharokey-lenient": "a numeric string is read as its number"}


def obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


# --------------------------------------------------------------------------- schemas

_SECRET = obj(
    {
        "slug": {"type": "string"},
        "description": _null(_text()),
        "message": _null(_text()),
        "creator": _null({"type": "string"}),
        "maximum_views": {"type": "integer"},
        "current_views": {"type": "integer"},
        "expiration": _STAMP,
        "has_password": {"type": "boolean"},
        "has_attachments": {"type": "boolean"},
        "attachments_count": {"type": "integer"},
        "attachments": {"type": "array", "items": obj({"name": {"type": "string"}}, ("name",))},
        "captcha": {"type": "boolean"},
        "otp_type": {"type": ["string", "null"], "enum": ["email", "phone", None]},
        "ip_whitelist": _null({"type": "string"}),
        "geolocation": _null({"type": "string"}),
        "is_expired": {"type": "boolean"},
        "status": {"type": "string", "enum": ["active", "expired"]},
        "access_url": {"type": "string", "format": "uri"},
        "share_url": {"type": "string", "format": "uri"},
        "expires_in_hours": {"type": "integer", "description": "only in the answer to a create"},
        "created_at": _STAMP,
        "updated_at": _STAMP,
    },
    ("slug",),
)
_CREATED = {
    "allOf": [
        ref("Secret"),
        obj(
            {"access_url": {"type": "string", "format": "uri"}}, ("access_url", "expires_in_hours")
        ),
    ],
}
_REQUEST = obj(
    {
        "token": {"type": "string"},
        "message": _null(_text()),
        "description": _null(_text()),
        "maximum_views": {"type": "integer"},
        "secret_expiration_hours": {"type": "integer"},
        "request_expiration_hours": {"type": "integer"},
        "email_to": _null({"type": "string"}),
        "email_reply": _null({"type": "string"}),
        "locale": {"type": "string", "enum": ["en", "fr"]},
        "status": {"type": "string", "enum": ["active", "expired"]},
        "is_expired": {"type": "boolean"},
        "request_url": {"type": "string", "format": "uri"},
        "expiration": _STAMP,
        "created_at": _STAMP,
        "updated_at": _STAMP,
    },
    ("token",),
)
COUNT: Schema = {"type": "integer", "minimum": 0}
_SECRET_STATS = obj(
    {
        name: COUNT
        for name in (
            "total_secrets",
            "active_secrets",
            "expired_secrets",
            "total_views",
            "secrets_with_password",
            "secrets_created_today",
            "secrets_created_this_week",
            "secrets_created_this_month",
        )
    }
)
_REQUEST_STATS = obj(
    {
        name: COUNT
        for name in (
            "total_requests",
            "active_requests",
            "expired_requests",
            "requests_created_today",
            "requests_created_this_week",
            "requests_created_this_month",
        )
    }
)
_PAGINATION = obj(
    {
        "current_page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "total": COUNT,
        "last_page": {"type": "integer", "minimum": 1},
    },
    ("current_page", "per_page", "total", "last_page"),
)
_REVEALED = {
    **obj(
        {
            "content": {"type": "string", "pattern": _B64},
            "iv": {"type": "string", "pattern": _NONCE_B64},
            "salt": {"type": "string", "pattern": _SALT_B64},
            "key": {"type": "string", "pattern": f"^[A-Za-z0-9]{{{KEY_A_LENGTH}}}$"},
            "attachments": {
                "type": "array",
                "items": obj(
                    {
                        "name": {"type": "string"},
                        "data": {"type": "string", "pattern": _B64},
                        "size": COUNT,
                        "iv": {"type": "string", "pattern": _NONCE_B64},
                    },
                    ("name", "data", "size"),
                ),
            },
            "description": _null(_text()),
            "message": _null(_text()),
            "remaining_views": COUNT,
        },
        ("content", "iv", "salt", "key", "attachments", "remaining_views"),
    ),
    **EXT,
}
_HEALTH = obj(
    {
        "status": {"type": "string"},
        "service": {"type": "string"},
        "version": {"type": "string"},
        "time": _STAMP,
    },
    ("status",),
)
_ERROR = obj(
    {
        "success": {"const": False},
        "error": obj(
            {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": ["object", "array", "string", "number", "null"]},
            },
            ("code", "message"),
        ),
    },
    ("success", "error"),
)

_CREATE_BODY = obj(
    {
        "content": {"type": "string", "pattern": "^(?:[A-Za-z0-9+/]{4}){6,}$"},
        "iv": {"type": "string", "pattern": _NONCE_B64},
        "salt": {"type": "string", "pattern": _SALT_B64},
        "key": {"type": "string", "pattern": f"^[A-Za-z0-9]{{{KEY_A_LENGTH}}}$"},
        "expiration_hours": _int(MIN_HOURS, MAX_HOURS, DEFAULT_HOURS),
        "maximum_views": _int(MIN_VIEWS, MAX_VIEWS, DEFAULT_VIEWS),
        "description": _text(),
        "message": _text(),
        "password": _text(MAX_PASSWORD),
        "captcha": {"type": "boolean"},
        "otp_type": {"type": "string", "enum": ["email", "phone"]},
        "otp_receiver": _text(),
        "ip_whitelist": {
            **_text(),
            "description": "IPv4 addresses or CIDR ranges, comma-separated",
        },
        "geolocation": {**_text(), "description": "ISO 3166 alpha-2 codes, comma-separated"},
        "attachments": {
            "type": "array",
            "maxItems": MAX_ATTACHMENTS,
            "items": obj(
                {
                    "name": {"type": "string", "minLength": 1},
                    "data": {"type": "string", "pattern": "^(?:[A-Za-z0-9+/]{4}){6,}$"},
                    "size": {
                        **COUNT,
                        "maximum": MAX_ATTACHMENTS_BYTES,
                        "description": "plaintext bytes: the data's length less the 16-byte tag",
                    },
                    "iv": {**{"type": "string", "pattern": _NONCE_B64}, **EXT},
                },
                ("name", "data"),
            ),
        },
        "attachments_total_size": {
            **COUNT,
            "maximum": MAX_ATTACHMENTS_BYTES,
            "description": "the sum of the sizes",
        },
    },
    ("content", "iv", "salt", "key"),
)
_REQUEST_BODY = obj(
    {
        "secret_expiration_hours": _int(MIN_HOURS, MAX_HOURS, DEFAULT_HOURS),
        "request_expiration_hours": _int(MIN_HOURS, MAX_HOURS, DEFAULT_HOURS),
        "maximum_views": _int(MIN_VIEWS, MAX_REQUEST_VIEWS, DEFAULT_VIEWS),
        "message": _text(),
        "description": _text(),
        "email_to": {**_text(), "format": "email"},
        "email_reply": {**_text(), "format": "email"},
        "locale": {"type": "string", "enum": ["en", "fr"]},
    }
)
_REVEAL_BODY = obj(
    {
        "password": _text(MAX_PASSWORD),
        "otp": _text(MAX_PASSWORD),
        "captcha": _text(MAX_PASSWORD),
    }
)

SCHEMAS: dict[str, Schema] = {
    "Error": _ERROR,
    "Secret": _SECRET,
    "CreatedSecret": _CREATED,
    "SecretStats": _SECRET_STATS,
    "SecretRequest": _REQUEST,
    "RequestStats": _REQUEST_STATS,
    "Pagination": _PAGINATION,
    "RevealedSecret": _REVEALED,
    "Health": _HEALTH,
    "CreateSecret": _CREATE_BODY,
    "CreateRequest": _REQUEST_BODY,
    "Reveal": {**_REVEAL_BODY, **EXT},
}
