"""The sans-I/O core: every operation, once, for both clients.

Each public operation is a generator that validates its arguments, yields
*effects* and returns the parsed result:

- ``yield Send(request)`` hands a :class:`Request` to the shell, which sends
  it (with retries), runs ``Send.parse`` on the :class:`Response` inside the
  retry loop (so a truncated body can be retried like a reset) and sends
  back what ``parse`` returned;
- ``yield Offload(fn, *args)`` asks for ``fn(*args)``: the sync shell calls
  it inline, the async shell in a worker thread, so reading files, sealing
  and parsing large bodies never stall an event loop.

The shells (``client.py``, ``async_client.py``) only drive these generators:
send, sleep, offload, repeat. Request building, response decoding, the error
mapping and the retry decision all live here.
"""

from __future__ import annotations

import email.utils
import functools
import io
import json
import logging
import math
import os
import sys
import time
import uuid
from collections.abc import Generator, Iterable, Iterator, Mapping
from datetime import timezone
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import quote, urlencode, urlsplit

import attrs

from sharokey import _validate
from sharokey._convert import as_mapping, structure
from sharokey._version import __version__
from sharokey.config import missing_token_error, resolve
from sharokey.crypto import (
    NonceMode,
    compose_share_url,
    open_payload,
    parse_share_url,
    seal,
    warn_shared_nonces,
)
from sharokey.errors import (
    ConfigurationError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServerError,
    SharokeyError,
    ValidationError,
    error_for,
)
from sharokey.models import (
    CreatedSecret,
    Health,
    Pagination,
    RequestList,
    RequestStats,
    RevealedSecret,
    Secret,
    SecretList,
    SecretRequest,
    SecretStats,
)

__all__ = [
    "INVALID_JSON",
    "TLS_ERROR",
    "Core",
    "Effect",
    "Headers",
    "Offload",
    "Request",
    "Response",
    "Send",
    "decode_envelope",
    "error_from_response",
    "log_attempt",
    "mask",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
    "user_agent",
]

logger = logging.getLogger("sharokey")

T = TypeVar("T")

#: Code of an ``InvalidResponseError`` for a 2xx body that is not JSON (cut short, a proxy
#: page): the one kind of invalid answer that repeating may cure.
INVALID_JSON = "INVALID_JSON"
#: Code of a ``NetworkError`` for a TLS failure: never transient, never retried.
TLS_ERROR = "TLS_ERROR"

_SPLICE_CHUNK = 1 << 20  # characters of base64 turned into bytes per GIL hold


def user_agent() -> str:
    return f"sharokey-python/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"


def mask(credential: str) -> str:
    """A credential as logs may show it: its first 4 characters."""
    return credential[:4] + "…"


# --------------------------------------------------------------------------- messages


class Headers(Mapping[str, str]):
    """Response headers with case-insensitive lookup; repeated headers are joined."""

    __slots__ = ("_items",)

    def __init__(self, items: Union[Mapping[str, str], Iterable[tuple[str, str]]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        merged: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        self._items = merged

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({sorted(self._items)!r})"


@attrs.frozen(kw_only=True)
class Request:
    """One HTTP request, fully built: absolute URL, headers, body.

    ``ambiguous_safe``: may be repeated when its outcome is unknown (a 500, a
    read timeout). ``label`` is what logs show: method-less path with request
    tokens cut to 4 characters and the ``search`` value hidden. The URL,
    headers and body never appear in ``repr``.
    """

    method: str
    url: str = attrs.field(repr=False)
    headers: Mapping[str, str] = attrs.field(repr=False, factory=dict)
    body: Optional[bytes] = attrs.field(default=None, repr=False)
    ambiguous_safe: bool = False
    label: str = ""


@attrs.frozen(kw_only=True)
class Response:
    """What a transport received: status, headers (case-insensitive), the whole body."""

    status: int
    headers: Headers = attrs.field(factory=Headers, converter=Headers)
    body: bytes = attrs.field(default=b"", repr=False)


def _decode_envelope(response: Response) -> Any:
    return decode_envelope(response)


@attrs.frozen
class Send:
    """Effect: send ``request`` (retrying as policy allows), return ``parse(response)``.

    ``offload`` asks the async shell to run ``parse`` in a worker thread (a
    revealed secret's body can weigh 14 MB).
    """

    request: Request
    parse: Callable[[Response], Any] = attrs.field(default=_decode_envelope, repr=False)
    offload: bool = False
    #: For a DELETE: a NOT_FOUND on a repeat means an earlier attempt whose answer was
    #: lost already removed it. The caller asked for it gone, and it is.
    gone_is_done: bool = False

    def outcome(self, response: Response, attempt: int) -> Any:
        """``parse(response)``, except that a repeated delete meeting its own 404 succeeds."""
        try:
            return self.parse(response)
        except NotFoundError:
            if self.gone_is_done and attempt > 1:
                return None
            raise


class Offload:
    """Effect: call ``fn(*args)`` (inline when sync, in a worker thread when async)."""

    __slots__ = ("args", "fn")

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn = fn
        self.args = args

    def __repr__(self) -> str:
        return f"Offload({getattr(self.fn, '__name__', self.fn)!r})"


Effect = Union[Send, Offload]
Operation = Generator[Effect, Any, T]


# --------------------------------------------------------------------------- decoding


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


def _json_or_none(body: bytes) -> Any:
    if not body or body.isspace():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


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


def error_from_response(response: Response) -> SharokeyError:
    """The typed error a non-2xx response stands for, whatever its body looks like."""
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    payload = _json_or_none(response.body)
    fallback = _status_message(response)
    return _error_from_payload(response.status, payload, retry_after, fallback)


def decode_envelope(response: Response) -> dict[str, Any]:
    """The success envelope of a 2xx answer, or the typed error the answer stands for.

    The content type is not trusted: the bytes decide. A 2xx body that is not
    JSON raises ``InvalidResponseError`` with code ``INVALID_JSON`` (retryable
    where repeating is safe); JSON that is not an envelope raises it too.
    """
    status = response.status
    if not 200 <= status < 300:
        raise error_from_response(response)
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
        payload = json.loads(body)
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


# --------------------------------------------------------------------------- retries


def should_retry(exc: BaseException, request: Request, *, retry_after_cap: float) -> bool:
    """Whether ``exc`` from sending ``request`` may be cured by sending it again (SPEC 5).

    Anything that is not a :class:`SharokeyError` (``CancelledError``,
    ``KeyboardInterrupt``, a bug) is never retried.
    """
    if not isinstance(exc, SharokeyError):
        return False
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None and retry_after > retry_after_cap:
        return False  # not worth waiting for: raised at once with its retry_after
    if isinstance(exc, RateLimitError):
        if exc.code == "TOO_MANY_ATTEMPTS" and retry_after is None:
            return False  # a lock of unknown length: backing off briefly cannot help
        return exc.status == 429
    if isinstance(exc, NetworkError):  # RequestTimeoutError included
        if exc.code == TLS_ERROR:
            return False
        return not exc.request_sent or request.ambiguous_safe
    if isinstance(exc, ServerError):
        if exc.status == 503:
            return True
        return exc.status in (500, 502, 504) and request.ambiguous_safe
    if isinstance(exc, InvalidResponseError) and exc.code == INVALID_JSON:
        return request.ambiguous_safe
    return False


def retry_delay(
    attempt: int,
    exc: Optional[BaseException],
    *,
    base_delay: float,
    max_delay: float,
    retry_after_cap: float,
    jitter: Callable[[float], float],
) -> float:
    """Seconds before the next attempt: the server's Retry-After when given, else backoff."""
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, (int, float)) and 0 <= retry_after <= retry_after_cap:
        return float(retry_after)
    backoff = min(max_delay, base_delay * (2 ** max(0, attempt - 1)))
    return max(0.0, min(max_delay, jitter(backoff)))


def log_attempt(request: Request, outcome: object, attempt: int, started: float) -> None:
    """DEBUG line for one attempt: method, masked path, status or error code, timing."""
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - started) * 1000.0
        logger.debug(
            "%s %s -> %s (attempt %d, %.1f ms)",
            request.method,
            request.label,
            outcome,
            attempt,
            elapsed,
        )


# --------------------------------------------------------------------------- create body


@attrs.frozen
class _Built:
    body: bytes = attrs.field(repr=False)
    key_b: str = attrs.field(repr=False)


def _too_large() -> ValidationError:
    limit = _validate.MAX_ATTACHMENTS_BYTES // (1024 * 1024)
    return ValidationError(
        f"attachments must be at most {limit} MiB in all.",
        details={"attachments": [f"must be at most {limit} MiB in all"]},
    )


def _unreadable(name: str, why: str) -> ValidationError:
    return ValidationError(
        f"attachments: {name} {why}.", details={"attachments": [f"{name} {why}"]}
    )


def _remaining_size(handle: Any) -> Optional[int]:
    try:
        if not handle.seekable():
            return None
        position = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        handle.seek(position)
        return int(end - position)
    except (AttributeError, OSError, ValueError):
        return None


def read_attachments(sources: tuple[_validate.AttachmentSource, ...]) -> list[tuple[str, bytes]]:
    """Read the caller's files, checking the 10 MiB total from sizes before reading."""
    limit = _validate.MAX_ATTACHMENTS_BYTES
    total = 0
    for source in sources:
        if source.kind == "bytes":
            total += len(source.data or b"")
        elif source.kind == "path":
            try:
                total += os.stat(source.source).st_size
            except OSError:
                raise _unreadable(source.name, "cannot be read (missing or not allowed)") from None
        else:
            total += _remaining_size(source.source) or 0
        if total > limit:
            raise _too_large()
    files: list[tuple[str, bytes]] = []
    total = 0
    for source in sources:
        budget = limit - total + 1
        data: Any
        if source.kind == "bytes":
            data = source.data or b""
        elif source.kind == "path":
            try:
                with open(source.source, "rb") as handle:
                    data = handle.read(budget)
            except OSError:
                raise _unreadable(source.name, "cannot be read (missing or not allowed)") from None
        else:
            try:
                data = source.source.read(budget)
            except (OSError, ValueError):
                raise _unreadable(source.name, "cannot be read") from None
            if not isinstance(data, (bytes, bytearray)):
                raise _unreadable(source.name, "must be opened in binary mode ('rb')")
        total += len(data)
        if total > limit:
            raise _too_large()
        files.append((source.name, bytes(data)))
    return files


def _splice(text: str, out: io.BytesIO) -> None:
    # base64 needs no JSON escaping: copy it in bounded pieces (short GIL holds).
    for start in range(0, len(text), _SPLICE_CHUNK):
        out.write(text[start : start + _SPLICE_CHUNK].encode("ascii"))


def build_create_body(args: _validate.CreateArgs, nonces: Optional[NonceMode]) -> _Built:
    """Read files, seal, and assemble the JSON body bytes without one giant ``json.dumps``.

    Runs off the event loop. The small fields go through ``json.dumps``; the
    base64 ciphertexts are spliced in as bytes, and each stage is dropped as
    soon as the next exists, so peak memory stays a few times the files.
    """
    files = read_attachments(args.attachments)
    sealed = seal(args.content, files, nonces=nonces)
    del files
    payload = sealed.payload
    content = payload.pop("content")
    attachments: list[dict[str, Any]] = payload.pop("attachments", [])
    fields: dict[str, Any] = dict(payload)
    fields["expiration_hours"] = args.hours
    fields["maximum_views"] = args.views
    optional = {
        "description": args.description,
        "message": args.message,
        "password": args.password,
        "otp_type": args.otp_type,
        "otp_receiver": args.otp_receiver,
        "ip_whitelist": args.ip_whitelist,
        "geolocation": args.geolocation,
    }
    fields.update({name: value for name, value in optional.items() if value is not None})
    if args.captcha:
        fields["captcha"] = True
    # BytesIO grows by realloc (no big copy) and getvalue() hands over its buffer:
    # no single step holds the GIL for a whole-body copy.
    out = io.BytesIO()
    out.write(json.dumps(fields, separators=(",", ":"))[:-1].encode("ascii"))
    out.write(b',"content":"')
    _splice(content, out)
    del content
    out.write(b'"')
    if attachments:
        out.write(b',"attachments":[')
        for index, entry in enumerate(attachments):
            data = entry.pop("data")
            meta = json.dumps(entry, separators=(",", ":"))
            out.write((b"," if index else b"") + meta[:-1].encode("ascii") + b',"data":"')
            _splice(data, out)
            del data
            out.write(b'"}')
        out.write(b"]")
    out.write(b"}")
    del attachments
    body = out.getvalue()
    del out
    return _Built(body=body, key_b=sealed.key_b)


# --------------------------------------------------------------------------- parsing


def _data(envelope: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    return as_mapping(envelope.get("data"), what)


def _listing(
    envelope: Mapping[str, Any], item: type[Any], requested_page: int, what: str
) -> tuple[list[Any], Pagination]:
    """Both list shapes -> (items, pagination); no pagination means one single page."""
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


def open_revealed(response: Response, *, key_b: str, slug: str) -> RevealedSecret:
    """Decode a reveal answer and decrypt it (both heavy for big files: runs off the loop)."""
    data = _data(decode_envelope(response), "reveal answer")
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


@attrs.frozen(kw_only=True)
class _RevealMeta:
    description: Optional[str] = None
    message: Optional[str] = None
    remaining_views: Optional[int] = None


def _parse_health(response: Response) -> dict[str, Any]:
    # Health endpoints are often served by the framework, not the API: accept a bare object.
    if 200 <= response.status < 300:
        payload = _json_or_none(response.body)
        if isinstance(payload, dict) and "data" not in payload and "status" in payload:
            return {"success": True, "data": payload}
    return decode_envelope(response)


# --------------------------------------------------------------------------- the core


@attrs.frozen(kw_only=True)
class Core:
    """Everything both clients do, minus I/O. Immutable, so safe to share across threads."""

    api_url: str
    token: Optional[str] = attrs.field(repr=False)
    retry_ambiguous_posts: bool = False
    attachment_nonces: Optional[NonceMode] = None
    user_agent: str = attrs.field(factory=user_agent)

    # ----------------------------------------------------------------- building

    def _headers(
        self, *, auth: bool, body: bool = False, idempotency_key: Optional[str] = None
    ) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if auth:
            if not self.token:
                raise missing_token_error()
            headers["Authorization"] = f"Bearer {self.token}"
        if body:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _prefix(self) -> str:
        return urlsplit(self.api_url).path.rstrip("/")

    def _request(
        self,
        method: str,
        path: str,
        *,
        label: Optional[str] = None,
        query: Optional[Mapping[str, Any]] = None,
        headers: Mapping[str, str],
        body: Optional[bytes] = None,
        ambiguous_safe: Optional[bool] = None,
    ) -> Request:
        url = self.api_url + path
        shown = self._prefix() + (label if label is not None else path)
        if query:
            pairs = [(name, str(value)) for name, value in query.items() if value is not None]
            if pairs:
                url += "?" + urlencode(pairs)
                shown += "?" + "&".join(
                    f"{name}={'***' if name == 'search' else quote(value, safe='')}"
                    for name, value in pairs
                )
        return Request(
            method=method,
            url=url,
            headers=headers,
            body=body,
            ambiguous_safe=method in ("GET", "DELETE")
            if ambiguous_safe is None
            else ambiguous_safe,
            label=shown,
        )

    def _get(
        self,
        path: str,
        *,
        auth: bool = True,
        label: Optional[str] = None,
        query: Optional[Mapping[str, Any]] = None,
    ) -> Request:
        return self._request(
            "GET", path, label=label, query=query, headers=self._headers(auth=auth)
        )

    def _fallback_url(self, slug: str) -> str:
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}/s/{quote(slug, safe='')}"

    # ----------------------------------------------------------------- secrets

    def list_secrets(
        self,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        page: Optional[int] = None,
        creator: Optional[str] = None,
        search: Optional[str] = None,
    ) -> Operation[SecretList]:
        args = _validate.list_args(
            status=status, limit=limit, page=page, creator=creator, search=search
        )
        envelope = yield Send(self._get("/secrets", query=_query(args)))
        items, pagination = _listing(envelope, Secret, args.page, "secret list")
        return SecretList(data=items, pagination=pagination)

    def create(
        self,
        content: str,
        hours: int = 24,
        views: int = 1,
        *,
        description: Optional[str] = None,
        message: Optional[str] = None,
        password: Optional[str] = None,
        captcha: bool = False,
        otp_email: Optional[str] = None,
        otp_phone: Optional[str] = None,
        ip_whitelist: Any = None,
        geolocation: Any = None,
        attachments: Any = None,
        idempotency_key: Optional[str] = None,
    ) -> Operation[CreatedSecret]:
        args = _validate.create_args(
            content,
            hours,
            views,
            description=description,
            message=message,
            password=password,
            captcha=captcha,
            otp_email=otp_email,
            otp_phone=otp_phone,
            ip_whitelist=ip_whitelist,
            geolocation=geolocation,
            attachments=attachments,
        )
        # One key per call, made before the first attempt: every retry carries it.
        key = _validate.idempotency_key(idempotency_key) or str(uuid.uuid4())
        headers = self._headers(auth=True, body=True, idempotency_key=key)
        nonces = self.attachment_nonces
        if args.attachments and nonces is None:
            # Warned here, on the caller's stack (client method -> caller), not in a thread.
            warn_shared_nonces(stacklevel=4)
            nonces = "shared"
        built = yield Offload(build_create_body, args, nonces)
        key_b = built.key_b
        request = self._request(
            "POST",
            "/secrets",
            headers=headers,
            body=built.body,
            ambiguous_safe=self.retry_ambiguous_posts,
        )
        del built
        envelope = yield Send(request)
        del request
        return self._created(_data(envelope, "create answer"), key_b)

    def _created(self, data: Mapping[str, Any], key_b: str) -> CreatedSecret:
        slug = data.get("slug")
        if not isinstance(slug, str) or not slug:
            raise InvalidResponseError("The create answer has no slug.")
        share_url: Optional[str] = None
        for candidate in (data.get("access_url"), data.get("share_url"), self._fallback_url(slug)):
            if isinstance(candidate, str) and candidate:
                try:
                    share_url = compose_share_url(candidate, key_b)
                    break
                except ValidationError:
                    continue
        assert share_url is not None  # the fallback always composes
        fields = dict(data)
        fields["share_url"] = share_url
        if not isinstance(fields.get("access_url"), str) or not fields["access_url"]:
            fields["access_url"] = share_url.partition("#")[0]
        return structure(fields, CreatedSecret, what="create answer")

    def get_details(self, slug: str) -> Operation[Secret]:
        segment = _validate.path_segment(slug, "slug")
        envelope = yield Send(self._get(f"/secrets/{segment}"))
        return structure(_data(envelope, "secret details"), Secret, what="secret details")

    def delete(self, slug: str) -> Operation[None]:
        segment = _validate.path_segment(slug, "slug")
        request = self._request("DELETE", f"/secrets/{segment}", headers=self._headers(auth=True))
        yield Send(request, gone_is_done=True)
        return None

    def get_stats(self) -> Operation[SecretStats]:
        envelope = yield Send(self._get("/secrets-stats"))
        return structure(_data(envelope, "statistics"), SecretStats, what="statistics")

    # ----------------------------------------------------------------- requests

    def create_request(
        self,
        *,
        secret_expiration_hours: int = 24,
        request_expiration_hours: int = 48,
        maximum_views: int = 1,
        message: Optional[str] = None,
        description: Optional[str] = None,
        email_to: Optional[str] = None,
        email_reply: Optional[str] = None,
        locale: Optional[str] = None,
    ) -> Operation[SecretRequest]:
        args = _validate.request_args(
            secret_expiration_hours=secret_expiration_hours,
            request_expiration_hours=request_expiration_hours,
            maximum_views=maximum_views,
            message=message,
            description=description,
            email_to=email_to,
            email_reply=email_reply,
            locale=locale,
        )
        fields = {k: v for k, v in attrs.asdict(args).items() if v is not None}
        body = json.dumps(fields, separators=(",", ":")).encode("utf-8")
        # Never repeated when the outcome is unknown: the service has no key for it.
        request = self._request(
            "POST",
            "/requests",
            headers=self._headers(auth=True, body=True),
            body=body,
            ambiguous_safe=False,
        )
        envelope = yield Send(request)
        return structure(_data(envelope, "request"), SecretRequest, what="request")

    def list_requests(
        self,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        page: Optional[int] = None,
        creator: Optional[str] = None,
        search: Optional[str] = None,
    ) -> Operation[RequestList]:
        args = _validate.list_args(
            status=status, limit=limit, page=page, creator=creator, search=search
        )
        envelope = yield Send(self._get("/requests", query=_query(args)))
        items, pagination = _listing(envelope, SecretRequest, args.page, "request list")
        return RequestList(data=items, pagination=pagination)

    def get_request(self, token: str) -> Operation[SecretRequest]:
        segment = _validate.path_segment(token, "token")
        request = self._get(f"/requests/{segment}", label=f"/requests/{mask(token)}")
        envelope = yield Send(request)
        return structure(_data(envelope, "request"), SecretRequest, what="request")

    def delete_request(self, token: str) -> Operation[None]:
        segment = _validate.path_segment(token, "token")
        request = self._request(
            "DELETE",
            f"/requests/{segment}",
            label=f"/requests/{mask(token)}",
            headers=self._headers(auth=True),
        )
        yield Send(request, gone_is_done=True)
        return None

    def get_request_stats(self) -> Operation[RequestStats]:
        envelope = yield Send(self._get("/requests-stats"))
        return structure(_data(envelope, "statistics"), RequestStats, what="statistics")

    # ----------------------------------------------------------------- other

    def health(self) -> Operation[Health]:
        # Sends the token when there is one (so the check covers it), needs none.
        request = self._get("/health", auth=bool(self.token))
        envelope = yield Send(request, parse=_parse_health)
        data = envelope.get("data")
        if data is None:
            return Health()
        data = as_mapping(data, "health answer")
        status = data.get("status", "ok")
        return Health(
            status=str(status),
            details={k: v for k, v in data.items() if k != "status"},
        )

    def reveal(
        self,
        share_url: str,
        password: Optional[str] = None,
        otp: Optional[str] = None,
        captcha: Optional[str] = None,
    ) -> Operation[RevealedSecret]:
        link = parse_share_url(share_url)
        answers = _validate.reveal_args(password=password, otp=otp, captcha=captcha)
        segment = _validate.path_segment(link.slug, "share_url")
        fields = {k: v for k, v in attrs.asdict(answers).items() if v is not None}
        # To the configured API only, never to the link's host, never with the token.
        request = self._request(
            "POST",
            f"/secrets/{segment}/reveal",
            headers=self._headers(auth=False, body=True, idempotency_key=str(uuid.uuid4())),
            body=json.dumps(fields, separators=(",", ":")).encode("utf-8"),
            ambiguous_safe=self.retry_ambiguous_posts,
        )
        parse = functools.partial(open_revealed, key_b=link.key_b, slug=link.slug)
        revealed: RevealedSecret = yield Send(request, parse=parse, offload=True)
        return revealed


def make_core(
    token: Optional[str],
    api_url: Optional[str],
    *,
    retry_ambiguous_posts: bool,
    attachment_nonces: Optional[str],
) -> Core:
    """The core both clients build from their constructor arguments (checked here, once)."""
    if attachment_nonces not in (None, "shared", "unique"):
        raise ConfigurationError(
            "attachment_nonces must be None, 'shared' or 'unique'.",
            details={"attachment_nonces": ["must be None, 'shared' or 'unique'"]},
        )
    if not isinstance(retry_ambiguous_posts, bool):
        raise ConfigurationError(
            "retry_ambiguous_posts must be True or False.",
            details={"retry_ambiguous_posts": ["must be a bool"]},
        )
    settings = resolve(token, api_url)
    return Core(
        api_url=settings.api_url,
        token=settings.token,
        retry_ambiguous_posts=retry_ambiguous_posts,
        attachment_nonces=attachment_nonces,  # type: ignore[arg-type]
    )


def _query(args: _validate.ListArgs) -> dict[str, Any]:
    return {
        "status": args.status,
        "limit": args.limit,
        "page": args.page,
        "creator": args.creator,
        "search": args.search,
    }
