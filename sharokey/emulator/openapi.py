"""The wire contract as OpenAPI 3.1, served at ``GET /api/v1/openapi.json``.

One description, built here from the numbers the emulator validates with
(``sharokey.limits``, ``validation``, the body caps of ``routes._common``), so
the document and the checks cannot disagree on a limit; a test holds the
document's operations equal to the application's routes, and the fuzz test
(schemathesis) holds the answers to it. This project's additions to the
service (reveal, key check, idempotency, the viewer page, the control
endpoints) carry ``x-sharokey-extension: true``.

Numbers are described as JSON integers, which is what the SDK sends; the
emulator also takes numeric strings (``"3"``), as the service does
(``x-sharokey-lenient``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Optional

from aiohttp import web

from sharokey._version import __version__
from sharokey.crypto import KEY_A_LENGTH
from sharokey.emulator._clock import MAX_ADVANCE_SECONDS
from sharokey.emulator.routes._common import (
    DEFAULT_PAGE_SIZE,
    MAX_DEPTH,
    MAX_PAGE_SIZE,
    MAX_QUERY_NUMBER,
    SMALL_BODY,
)
from sharokey.emulator.state import DEFAULT_MAX_BODY_MIB, LIST_SHAPES
from sharokey.emulator.validation import MAX_PASSWORD
from sharokey.limits import (
    DEFAULT_HOURS,
    DEFAULT_VIEWS,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_BYTES,
    MAX_HOURS,
    MAX_IDEMPOTENCY_KEY,
    MAX_REQUEST_VIEWS,
    MAX_TEXT,
    MAX_VIEWS,
    MIN_HOURS,
    MIN_VIEWS,
)

__all__ = ["OPENAPI_PATH", "add_routes", "openapi_bytes", "openapi_document"]

OPENAPI_PATH = "/api/v1/openapi.json"
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


def _obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


# --------------------------------------------------------------------------- schemas

_SECRET = _obj(
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
        "attachments": {"type": "array", "items": _obj({"name": {"type": "string"}}, ("name",))},
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
        _ref("Secret"),
        _obj(
            {"access_url": {"type": "string", "format": "uri"}}, ("access_url", "expires_in_hours")
        ),
    ],
}
_REQUEST = _obj(
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
_COUNT: Schema = {"type": "integer", "minimum": 0}
_SECRET_STATS = _obj(
    {
        name: _COUNT
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
_REQUEST_STATS = _obj(
    {
        name: _COUNT
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
_PAGINATION = _obj(
    {
        "current_page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "total": _COUNT,
        "last_page": {"type": "integer", "minimum": 1},
    },
    ("current_page", "per_page", "total", "last_page"),
)
_REVEALED = {
    **_obj(
        {
            "content": {"type": "string", "pattern": _B64},
            "iv": {"type": "string", "pattern": _NONCE_B64},
            "salt": {"type": "string", "pattern": _SALT_B64},
            "key": {"type": "string", "pattern": f"^[A-Za-z0-9]{{{KEY_A_LENGTH}}}$"},
            "attachments": {
                "type": "array",
                "items": _obj(
                    {
                        "name": {"type": "string"},
                        "data": {"type": "string", "pattern": _B64},
                        "size": _COUNT,
                        "iv": {"type": "string", "pattern": _NONCE_B64},
                    },
                    ("name", "data", "size"),
                ),
            },
            "description": _null(_text()),
            "message": _null(_text()),
            "remaining_views": _COUNT,
        },
        ("content", "iv", "salt", "key", "attachments", "remaining_views"),
    ),
    **EXT,
}
_HEALTH = _obj(
    {
        "status": {"type": "string"},
        "service": {"type": "string"},
        "version": {"type": "string"},
        "time": _STAMP,
    },
    ("status",),
)
_ERROR = _obj(
    {
        "success": {"const": False},
        "error": _obj(
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

_CREATE_BODY = _obj(
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
            "items": _obj(
                {
                    "name": {"type": "string", "minLength": 1},
                    "data": {"type": "string", "pattern": "^(?:[A-Za-z0-9+/]{4}){6,}$"},
                    "size": {
                        **_COUNT,
                        "maximum": MAX_ATTACHMENTS_BYTES,
                        "description": "plaintext bytes: the data's length less the 16-byte tag",
                    },
                    "iv": {**{"type": "string", "pattern": _NONCE_B64}, **EXT},
                },
                ("name", "data"),
            ),
        },
        "attachments_total_size": {
            **_COUNT,
            "maximum": MAX_ATTACHMENTS_BYTES,
            "description": "the sum of the sizes",
        },
    },
    ("content", "iv", "salt", "key"),
)
_REQUEST_BODY = _obj(
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
_REVEAL_BODY = _obj(
    {
        "password": _text(MAX_PASSWORD),
        "otp": _text(MAX_PASSWORD),
        "captcha": _text(MAX_PASSWORD),
    }
)

_SCHEMAS: dict[str, Schema] = {
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

# --------------------------------------------------------------------------- answers

_REASONS = {
    400: "The body is not JSON, or nests too deep (INVALID_JSON); a control value is out of range",
    401: "No token, or an unknown one (AUTHENTICATION_ERROR); reveal: a protection asks",
    403: "The token may not do this (PERMISSION_DENIED, QUOTA_EXCEEDED, ACCESS_DENIED)",
    404: "Missing, expired or another company's (NOT_FOUND)",
    409: "The Idempotency-Key was used with another body (IDEMPOTENCY_CONFLICT)",
    413: "The body is over its cap (PAYLOAD_TOO_LARGE)",
    415: "The body is not sent as application/json (UNSUPPORTED_MEDIA_TYPE)",
    422: "A field is refused; details maps each field to its messages (VALIDATION_ERROR)",
    429: "Too many wrong answers or codes (TOO_MANY_ATTEMPTS, RATE_LIMITED), with Retry-After",
}
_JSON = "application/json"


def _success(data: Schema, *, listed: bool = False) -> Schema:
    if listed:
        # The documented shape, or the one the live service was seen to send.
        return {
            "oneOf": [
                _obj(
                    {
                        "success": {"const": True},
                        "message": {"type": "string"},
                        "data": {"type": "array", "items": data},
                        "pagination": _ref("Pagination"),
                    },
                    ("success", "data", "pagination"),
                ),
                _obj(
                    {
                        "success": {"const": True},
                        "message": {"type": "string"},
                        "data": _obj(
                            {
                                "items": {"type": "array", "items": data},
                                "pagination": _ref("Pagination"),
                            },
                            ("items", "pagination"),
                        ),
                    },
                    ("success", "data"),
                ),
            ]
        }
    return _obj(
        {"success": {"const": True}, "message": {"type": "string"}, "data": data},
        ("success", "data"),
    )


def _answers(status: int, data: Schema, errors: tuple[int, ...], **kw: bool) -> Schema:
    answers: Schema = {
        str(status): {
            "description": "Success",
            "content": {_JSON: {"schema": _success(data, **kw)}},
        }
    }
    for code in sorted(errors):
        answers[str(code)] = {
            "description": _REASONS[code],
            "content": {_JSON: {"schema": _ref("Error")}},
        }
    return answers


def _body(schema: Schema, limit: int) -> Schema:
    return {
        "required": False,
        "description": f"JSON, at most {limit} bytes, nested at most {MAX_DEPTH} levels deep",
        "content": {_JSON: {"schema": schema}},
    }


def _param(name: str, where: str, schema: Schema, **extra: Any) -> Schema:
    return {"name": name, "in": where, "required": where == "path", "schema": schema, **extra}


_LIST_PARAMS = [
    _param("status", "query", {"type": "string", "enum": ["active", "expired"]}),
    _param(
        "limit",
        "query",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_QUERY_NUMBER,
            "default": DEFAULT_PAGE_SIZE,
        },
        description=f"page size; more than {MAX_PAGE_SIZE} is served as {MAX_PAGE_SIZE}",
    ),
    _param(
        "page",
        "query",
        {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_NUMBER, "default": 1},
    ),
    _param("creator", "query", {"type": "string"}),
    _param("search", "query", {"type": "string"}),
]
_IDEMPOTENCY = _param(
    "Idempotency-Key", "header", {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY}, **EXT
)
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}]
_NONE: list[Any] = []
_AUTHED = (401, 404)
_SMALL = SMALL_BODY
_CREATE_CAP = int(DEFAULT_MAX_BODY_MIB * 1024 * 1024)


def _op(summary: str, answers: Schema, **more: Any) -> Schema:
    return {"summary": summary, "security": _AUTH, "responses": answers, **more}


def _paths() -> dict[str, Schema]:
    slug = [_param("slug", "path", {"type": "string"})]
    token = [_param("token", "path", {"type": "string"})]
    control = {**EXT, "security": _NONE, "tags": ["emulator control"]}
    return {
        "/api/v1/health": {
            "get": {
                "summary": "Whether the service answers",
                "security": _NONE,
                "responses": _answers(200, _ref("Health"), ()),
            }
        },
        OPENAPI_PATH: {
            "get": {
                "summary": "This document",
                "security": _NONE,
                **EXT,
                "responses": {
                    "200": {"description": "OpenAPI 3.1", "content": {_JSON: {"schema": {}}}}
                },
            }
        },
        "/api/v1/secrets": {
            "get": _op(
                "List the company's secrets",
                _answers(200, _ref("Secret"), (401, 422), listed=True),
                parameters=_LIST_PARAMS,
            ),
            "post": _op(
                "Create a secret (ciphertext and keyA only)",
                _answers(201, _ref("CreatedSecret"), (400, 401, 403, 409, 413, 415, 422)),
                parameters=[_IDEMPOTENCY],
                requestBody={**_body(_ref("CreateSecret"), _CREATE_CAP), "required": True},
            ),
        },
        "/api/v1/secrets-stats": {
            "get": _op("Company statistics", _answers(200, _ref("SecretStats"), (401,)))
        },
        "/api/v1/secrets/{slug}": {
            "get": _op(
                "A secret's metadata", _answers(200, _ref("Secret"), _AUTHED), parameters=slug
            ),
            "delete": _op(
                "Wipe and expire a secret",
                _answers(200, {"type": "null"}, (*_AUTHED, 403)),
                parameters=slug,
            ),
        },
        "/api/v1/secrets/{slug}/reveal": {
            "post": {
                "summary": "Hand out the ciphertext and count a view (no token)",
                "security": _NONE,
                **EXT,
                "parameters": [*slug, _IDEMPOTENCY],
                "requestBody": _body(_ref("Reveal"), _SMALL),
                "responses": _answers(
                    200, _ref("RevealedSecret"), (400, 401, 403, 404, 409, 413, 415, 422, 429)
                ),
            }
        },
        "/api/v1/requests": {
            "get": _op(
                "List the company's secret requests",
                _answers(200, _ref("SecretRequest"), (401, 422), listed=True),
                parameters=_LIST_PARAMS,
            ),
            "post": _op(
                "Ask someone for a secret",
                _answers(201, _ref("SecretRequest"), (400, 401, 403, 413, 415, 422)),
                requestBody=_body(_ref("CreateRequest"), _SMALL),
            ),
        },
        "/api/v1/requests-stats": {
            "get": _op("Request statistics", _answers(200, _ref("RequestStats"), (401,)))
        },
        "/api/v1/requests/{token}": {
            "get": _op(
                "A secret request",
                _answers(200, _ref("SecretRequest"), _AUTHED),
                parameters=token,
            ),
            "delete": _op(
                "Expire a secret request",
                _answers(200, {"type": "null"}, (*_AUTHED, 403)),
                parameters=token,
            ),
        },
        "/s/{slug}": {"get": _page("The viewer page: reveals nothing until clicked", slug)},
        "/r/{token}": {"get": _page("What a request link leads to", token)},
        "/favicon.ico": {
            "get": {
                "summary": "No icon (204), so browsers log no error",
                "security": _NONE,
                **EXT,
                "responses": {"204": {"description": "No content"}},
            }
        },
        "/_emulator/state": {
            "get": {
                **control,
                "summary": "Counts, faults, clock, list shape",
                "responses": _answers(200, {"type": "object"}, (403,)),
            }
        },
        "/_emulator/clock": {
            "post": {
                **control,
                "summary": "Move the emulated clock forward",
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {
                            "schema": _obj(
                                {
                                    "advance_seconds": {
                                        "type": "number",
                                        "minimum": 0,
                                        "maximum": MAX_ADVANCE_SECONDS,
                                    }
                                },
                                ("advance_seconds",),
                            )
                        }
                    },
                },
                "responses": _answers(200, {"type": "object"}, (400, 403, 413)),
            }
        },
        "/_emulator/outbox": {
            "get": {
                **control,
                "summary": "Every one-time code sent",
                "responses": _answers(200, {"type": "array"}, (403,)),
            }
        },
        "/_emulator/faults": {
            "post": {
                **control,
                "summary": "Add a fault rule (see the emulator page for the grammar)",
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": _obj({"rule": {"type": "string"}}, ("rule",))}},
                },
                "responses": _answers(201, {"type": "object"}, (400, 403, 413)),
            },
            "delete": {
                **control,
                "summary": "Clear every fault rule",
                "responses": _answers(200, {"type": "object"}, (403,)),
            },
        },
        "/_emulator/list-shape": {
            "post": {
                **control,
                "summary": "Serve lists in the documented or the items shape",
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {
                            "schema": _obj(
                                {"shape": {"type": "string", "enum": list(LIST_SHAPES)}},
                                ("shape",),
                            )
                        }
                    },
                },
                "responses": _answers(200, {"type": "object"}, (400, 403, 413)),
            }
        },
    }


def _page(summary: str, parameters: list[Schema]) -> Schema:
    html = {"text/html": {"schema": {"type": "string"}}}
    return {
        "summary": summary,
        "security": _NONE,
        **EXT,
        "parameters": parameters,
        "responses": {
            "200": {"description": "The page", "content": html},
            "404": {
                "description": "Unknown, expired or deleted: a page saying so",
                "content": html,
            },
        },
    }


@lru_cache(maxsize=1)
def openapi_bytes() -> bytes:
    """The document as UTF-8 JSON, built once."""
    return json.dumps(openapi_document(), ensure_ascii=False, indent=1).encode("utf-8")


def openapi_document() -> dict[str, Any]:
    """The whole contract: every operation, parameter, body, answer and error envelope."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sharokey API, as the sharokey emulator speaks it",
            "version": __version__,
            "description": (
                "The wire contract of docs/protocol.md. Operations and fields marked "
                "x-sharokey-extension are this project's additions; the hosted service may "
                "not speak them. A fault rule may make any operation answer 429, 500, 502, "
                "503 or 504 on purpose."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def serve(request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``: this document, no token needed."""
    return web.Response(body=openapi_bytes(), content_type="application/json", charset="utf-8")


def add_routes(app: web.Application) -> None:
    app.router.add_route("GET", OPENAPI_PATH, serve)
