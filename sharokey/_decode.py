"""What an answer means: a :class:`Response` in, data or a typed error out.

Free functions, no I/O, in the style of gidgethub's ``sansio.decipher_response``.
The contract (docs/protocol.md#1-transport, #5-errors-and-retries):

- a 2xx answer whose body is the success envelope gives that envelope;
- any other answer raises the :class:`~sharokey.errors.SharokeyError` it
  stands for: the wire ``error.code`` picks the class, the status only when
  there is no code (an HTML 502 page, an empty body, a bare ``{"message"}``);
- a 2xx body that is not JSON raises ``InvalidResponseError`` with code
  ``INVALID_JSON``, the one broken answer that repeating may cure;
- JSON nested deeper than any answer of the API (:data:`MAX_DEPTH`), whatever
  the status, raises ``InvalidResponseError``: no ``RecursionError`` escapes;
- a 404 that cannot come from the API (at a path it always has, or with a
  body that is not its own) raises ``ConfigurationError`` with code
  ``API_URL_NOT_FOUND`` naming the API URL in use: the URL is wrong, not the secret;
- the content type is never trusted: the bytes decide.

The readers of particular answers (listings in both shapes, a reveal, a
health check) sit here too, so every rule about the shape of an answer has
this one home.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping
from datetime import timezone
from typing import Any, Callable, Optional

import attrs

from sharokey import _bigjson
from sharokey._convert import as_mapping, structure
from sharokey._messages import Response
from sharokey.crypto import open_payload
from sharokey.errors import (
    API_URL_NOT_FOUND,
    INVALID_JSON,
    ConfigurationError,
    InvalidResponseError,
    SharokeyError,
    error_for,
)
from sharokey.models import Pagination, RevealedSecret

__all__ = [
    "MAX_DEPTH",
    "data_of",
    "decode_envelope",
    "decode_health",
    "error_from_response",
    "listing",
    "open_revealed",
    "parse_retry_after",
]


def parse_retry_after(
    value: Optional[str], now: Callable[[], float] = time.time
) -> Optional[float]:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date; None if unusable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None  # type: ignore[unreachable]  # older Pythons return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _looks_like_html(response: Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    head = response.body[:64].lstrip().lower()
    return "html" in kind or head.startswith((b"<!doctype", b"<html", b"<"))


def _hint(status: int) -> str:
    if 300 <= status < 400:
        return (
            "The API answered with a redirect, which the SDK does not follow; "
            "check the API URL (scheme, host and /api/v1 path)."
        )
    if status == 401:
        return "Check the API token."
    if status == 404:
        return "Check the API URL."
    if status >= 500:
        return "Try again later."
    return "Check the API URL."


def _status_message(response: Response) -> str:
    status = response.status
    body = response.body
    if not body or body.isspace():
        what = "with an empty body"
    elif _looks_like_html(response):
        what = "from the server or a proxy (an HTML page, not the API)"
    else:
        what = "with a body that is not the API's JSON"
    return f"HTTP {status} {what}. {_hint(status)}"


#: No answer of the API nests deeper than a handful of levels; anything past this is
#: refused before code that recurses (``str``, ``json.dumps``, cattrs) can meet it.
MAX_DEPTH = 64


def _too_deep(status: int) -> InvalidResponseError:
    return InvalidResponseError(
        f"HTTP {status} with JSON nested deeper than {MAX_DEPTH} levels, which no answer "
        "of the API is. Check that the API URL points at a Sharokey API.",
        status=status,
    )


def _depth_within(payload: Any, limit: int) -> bool:
    """Whether ``payload`` nests at most ``limit`` containers deep (iterative: no recursion)."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def _loads(body: bytes, status: int, raw: frozenset[str] = frozenset()) -> Any:
    """``json.loads`` that ends any nesting in a typed error (``ValueError`` when not JSON).

    A large body is parsed by ``_bigjson`` (same value, no 15-30 ms hold of the GIL;
    ``raw`` as there).
    """
    try:
        payload = _bigjson.loads(body, raw=raw)
    except RecursionError:
        raise _too_deep(status) from None
    if _may_be_too_deep(body) and not _depth_within(payload, MAX_DEPTH):
        raise _too_deep(status)
    return payload


def _may_be_too_deep(body: bytes) -> bool:
    """Whether the parsed ``body`` must be walked to know its depth.

    Each level of nesting opens with a "[" or "{" byte (in UTF-16/32 too): a small
    body with no more of them than the limit cannot be too deep. A large one is
    always walked: counting two bytes through 14 MB holds the GIL about 8 ms (a
    stalled event loop during a reveal), while the walk visits only containers,
    and a large answer (a reveal) has a handful beside its long strings.
    """
    if len(body) >= _bigjson.WHOLE_BELOW:
        return True
    return body.count(b"[") + body.count(b"{") > MAX_DEPTH


def _json_or_none(body: bytes, status: int) -> Any:
    if not body or body.isspace():
        return None
    try:
        return _loads(body, status)
    except ValueError:
        return None


def _speaks_api(payload: Any) -> bool:
    """Whether an error body has a shape the API sends (its envelope, or a bare message)."""
    if not isinstance(payload, Mapping):
        return False
    error = payload.get("error")
    return isinstance(error, (Mapping, str)) or isinstance(payload.get("message"), str)


def _wrong_url(response: Response, api_url: str) -> ConfigurationError:
    what = "an HTML page" if _looks_like_html(response) else "an answer"
    return ConfigurationError(
        f"HTTP 404 ({what}) for a path the Sharokey API always has: the API URL looks wrong "
        f"(in use: {api_url}). Check the API URL; it usually ends in /api/v1.",
        code=API_URL_NOT_FOUND,
        status=404,
    )


def _error_from_payload(
    status: int, payload: Any, retry_after: Optional[float], fallback: str
) -> SharokeyError:
    code: Optional[str] = None
    message: Optional[str] = None
    details: Optional[Mapping[str, Any]] = None
    if isinstance(payload, Mapping):
        error = payload.get("error")
        if isinstance(error, Mapping):
            code = error.get("code") if isinstance(error.get("code"), str) else None
            message = error.get("message") if isinstance(error.get("message"), str) else None
            details = error.get("details") if isinstance(error.get("details"), Mapping) else None
        elif isinstance(error, str):
            message = error
        if code is None and isinstance(payload.get("code"), str):
            code = payload["code"]
        if message is None and isinstance(payload.get("message"), str):
            message = payload["message"]
        if details is None and isinstance(payload.get("errors"), Mapping):
            details = payload["errors"]  # the framework's own validation shape
    return error_for(status, code, message or fallback, details, retry_after=retry_after)


def error_from_response(
    response: Response, *, api_url: Optional[str] = None, fixed_path: bool = False
) -> SharokeyError:
    """The typed error a non-2xx response stands for, whatever its body looks like.

    Given ``api_url``, a 404 at a ``fixed_path`` (one the API always has, like
    ``/secrets``), or one whose body is not the API's, is a wrong API URL.
    """
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    payload = _json_or_none(response.body, response.status)
    if response.status == 404 and api_url is not None and (fixed_path or not _speaks_api(payload)):
        return _wrong_url(response, api_url)
    fallback = _status_message(response)
    return _error_from_payload(response.status, payload, retry_after, fallback)


def decode_envelope(
    response: Response,
    *,
    api_url: Optional[str] = None,
    fixed_path: bool = False,
    raw: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The success envelope of a 2xx answer, or the typed error the answer stands for.

    The content type is not trusted: the bytes decide. A 2xx body that is not
    JSON raises ``InvalidResponseError`` with code ``INVALID_JSON`` (retryable
    where repeating is safe); JSON that is not an envelope raises it too.
    ``api_url`` and ``fixed_path``: see :func:`error_from_response`; ``raw``: keys
    whose long ASCII strings stay in the body as memoryviews (``_bigjson.loads``).
    """
    status = response.status
    if not 200 <= status < 300:
        raise error_from_response(response, api_url=api_url, fixed_path=fixed_path)
    body = response.body
    if not body or body.isspace():
        if status == 204:
            return {"success": True, "data": None}
        raise InvalidResponseError(
            f"HTTP {status} with an empty body where the API sends JSON; "
            "the answer was lost or cut off. Try again.",
            code=INVALID_JSON,
            status=status,
        )
    problem: Optional[str] = None
    try:
        payload = _loads(body, status, raw)
    except ValueError:
        payload = None
        problem = (
            "an HTML page (a proxy or a wrong API URL?)"
            if _looks_like_html(response)
            else "not valid JSON (the answer may have been cut short)"
        )
    if problem is not None:
        raise InvalidResponseError(
            f"HTTP {status} with a body that is {problem}.", code=INVALID_JSON, status=status
        )
    if isinstance(payload, dict) and payload.get("success") is False:
        raise _error_from_payload(status, payload, None, f"HTTP {status} reported a failure.")
    if not isinstance(payload, dict) or "data" not in payload:
        raise InvalidResponseError(
            f"HTTP {status} with JSON that is not the API's envelope "
            "(an object with 'data' was expected). Check the API URL.",
            status=status,
        )
    return payload


def decode_health(response: Response, *, api_url: Optional[str] = None) -> dict[str, Any]:
    """The health answer as an envelope: health endpoints are often the framework's own."""
    if 200 <= response.status < 300:
        payload = _json_or_none(response.body, response.status)
        if isinstance(payload, dict) and "data" not in payload and "status" in payload:
            return {"success": True, "data": payload}
    return decode_envelope(response, api_url=api_url, fixed_path=True)


def data_of(envelope: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """The envelope's ``data`` object (``what`` names it in the error when it is not one)."""
    return as_mapping(envelope.get("data"), what)


def listing(
    envelope: Mapping[str, Any], item: type[Any], requested_page: int, what: str
) -> tuple[list[Any], Pagination]:
    """Both list shapes -> (items, pagination); no pagination means one single page.

    Documented: ``{"data": [...], "pagination": {...}}``; seen from the live
    service: ``{"data": {"items": [...], "pagination": {...}}}``
    (docs/protocol.md#2-endpoints).
    """
    data = envelope.get("data")
    pagination: Any = envelope.get("pagination")
    if isinstance(data, Mapping) and "items" in data:
        if data.get("pagination") is not None:
            pagination = data.get("pagination")
        data = data["items"]
    if not isinstance(data, list):
        raise InvalidResponseError(f"The {what} is not a list (nor an object with 'items').")
    items = structure(data, list[item], what=what)  # type: ignore[valid-type]
    if pagination is None:
        return items, Pagination(
            current_page=requested_page,
            per_page=len(items),
            total=len(items),
            last_page=requested_page,
        )
    raw = dict(as_mapping(pagination, f"{what} pagination"))
    raw.setdefault("current_page", requested_page)
    if raw.get("last_page") is None:
        try:
            per_page, total = int(raw["per_page"]), int(raw["total"])
            raw["last_page"] = max(1, math.ceil(total / per_page)) if per_page > 0 else 1
        except (KeyError, TypeError, ValueError):
            raw["last_page"] = raw["current_page"]
    known = {"current_page", "per_page", "total", "last_page"}
    return items, structure({k: v for k, v in raw.items() if k in known}, Pagination, what=what)


#: The reveal answer's keys holding base64 ciphertext (the secret's and each file's).
_CIPHERTEXTS = frozenset({"content", "data"})


@attrs.frozen(kw_only=True)
class _RevealMeta:
    description: Optional[str] = None
    message: Optional[str] = None
    remaining_views: Optional[int] = None


def open_revealed(
    response: Response, *, key_b: str, slug: str, api_url: Optional[str] = None
) -> RevealedSecret:
    """Decode a reveal answer and decrypt it (both heavy for big files: runs off the loop).

    The ciphertexts' base64 (``content``, each attachment's ``data``) is decoded
    straight from the answer's body when long: never copied into a ``str`` first.
    """
    envelope = decode_envelope(response, api_url=api_url, raw=_CIPHERTEXTS)
    data = data_of(envelope, "reveal answer")
    opened = open_payload(data, key_b)
    meta = structure(
        {k: data.get(k) for k in ("description", "message", "remaining_views")},
        _RevealMeta,
        what="reveal answer",
    )
    return RevealedSecret(
        slug=slug,
        content=opened.content,
        attachments=opened.attachments,
        description=meta.description,
        message=meta.message,
        remaining_views=meta.remaining_views,
    )
