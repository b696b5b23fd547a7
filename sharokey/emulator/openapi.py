"""The wire contract as OpenAPI 3.1, served at ``GET /api/v1/openapi.json``.

One description, built here (operations, parameters, answers) and in
``openapi_schemas`` (bodies and data) from the numbers the emulator validates
with (``sharokey.limits``, ``validation``, the body caps of ``routes._common``),
so the document and the checks cannot disagree on a limit; a test holds the
document's operations equal to the application's routes, and the fuzz test
(schemathesis) holds the answers to it. This project's additions to the
service (reveal, idempotency, the viewer page, the control endpoints) carry
``x-sharokey-extension: true``.

Numbers are described as JSON integers, which is what the SDK sends; the
emulator also takes numeric strings (``"3"``), as the service does
(``x-sharokey-lenient``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aiohttp import web

from sharokey._version import __version__
from sharokey.emulator._clock import MAX_ADVANCE_SECONDS
from sharokey.emulator.openapi_schemas import EXT, SCHEMAS, Schema, obj, ref
from sharokey.emulator.routes._common import (
    DEFAULT_PAGE_SIZE,
    MAX_DEPTH,
    MAX_PAGE_SIZE,
    MAX_QUERY_NUMBER,
    SMALL_BODY,
)
from sharokey.emulator.state import DEFAULT_MAX_BODY_MIB, LIST_SHAPES
from sharokey.limits import MAX_IDEMPOTENCY_KEY

__all__ = ["OPENAPI_PATH", "add_routes", "openapi_bytes", "openapi_document"]

OPENAPI_PATH = "/api/v1/openapi.json"

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
                obj(
                    {
                        "success": {"const": True},
                        "message": {"type": "string"},
                        "data": {"type": "array", "items": data},
                        "pagination": ref("Pagination"),
                    },
                    ("success", "data", "pagination"),
                ),
                obj(
                    {
                        "success": {"const": True},
                        "message": {"type": "string"},
                        "data": obj(
                            {
                                "items": {"type": "array", "items": data},
                                "pagination": ref("Pagination"),
                            },
                            ("items", "pagination"),
                        ),
                    },
                    ("success", "data"),
                ),
            ]
        }
    return obj(
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
            "content": {_JSON: {"schema": ref("Error")}},
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
                "responses": _answers(200, ref("Health"), ()),
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
                _answers(200, ref("Secret"), (401, 422), listed=True),
                parameters=_LIST_PARAMS,
            ),
            "post": _op(
                "Create a secret (ciphertext and keyA only)",
                _answers(201, ref("CreatedSecret"), (400, 401, 403, 409, 413, 415, 422)),
                parameters=[_IDEMPOTENCY],
                requestBody={**_body(ref("CreateSecret"), _CREATE_CAP), "required": True},
            ),
        },
        "/api/v1/secrets-stats": {
            "get": _op("Company statistics", _answers(200, ref("SecretStats"), (401,)))
        },
        "/api/v1/secrets/{slug}": {
            "get": _op(
                "A secret's metadata", _answers(200, ref("Secret"), _AUTHED), parameters=slug
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
                "requestBody": _body(ref("Reveal"), _SMALL),
                "responses": _answers(
                    200, ref("RevealedSecret"), (400, 401, 403, 404, 409, 413, 415, 422, 429)
                ),
            }
        },
        "/api/v1/requests": {
            "get": _op(
                "List the company's secret requests",
                _answers(200, ref("SecretRequest"), (401, 422), listed=True),
                parameters=_LIST_PARAMS,
            ),
            "post": _op(
                "Ask someone for a secret",
                _answers(201, ref("SecretRequest"), (400, 401, 403, 413, 415, 422)),
                requestBody=_body(ref("CreateRequest"), _SMALL),
            ),
        },
        "/api/v1/requests-stats": {
            "get": _op("Request statistics", _answers(200, ref("RequestStats"), (401,)))
        },
        "/api/v1/requests/{token}": {
            "get": _op(
                "A secret request",
                _answers(200, ref("SecretRequest"), _AUTHED),
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
                            "schema": obj(
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
                    "content": {_JSON: {"schema": obj({"rule": {"type": "string"}}, ("rule",))}},
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
                            "schema": obj(
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
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def serve(request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``: this document, no token needed."""
    return web.Response(body=openapi_bytes(), content_type="application/json", charset="utf-8")


def add_routes(app: web.Application) -> None:
    app.router.add_route("GET", OPENAPI_PATH, serve)
