"""The sans-I/O core: every operation, once, for both clients.

Each public operation of :class:`Core` is a generator that validates its
arguments, yields *effects* (``sharokey._messages``) and returns the parsed
result:

- ``yield Send(request, parse)`` hands a built request to the shell, which
  sends it (with retries), runs ``parse`` on the response inside the retry
  loop (so a truncated body can be retried like a reset) and sends back what
  ``parse`` returned;
- ``yield Offload(fn, *args)`` asks for ``fn(*args)``: the sync shell calls
  it inline, the async shell in a worker thread, so reading files, sealing
  and decrypting large bodies never stall an event loop.

The shells (``client.py``, ``async_client.py``) only drive these generators:
send, sleep, offload, repeat. What the core leans on, each in its own home:
argument checks (``_validate``), attachments, sealing and the body (``_body``
over ``crypto``), what an answer means (``_decode``), whether a request
may repeat (``_retry``), how a credential is shown (``_mask``).
"""

from __future__ import annotations

import functools
import json
import sys
import uuid
from collections.abc import Mapping
from typing import Any, Callable, Optional
from urllib.parse import quote, urlencode, urlsplit

import attrs

from sharokey import _validate
from sharokey._body import build_create_body
from sharokey._convert import as_mapping, structure
from sharokey._decode import data_of, decode_envelope, decode_health, listing, open_revealed
from sharokey._mask import mask
from sharokey._messages import Offload, Operation, Request, Response, Send
from sharokey._retry import repeatable
from sharokey._version import __version__
from sharokey.config import missing_token_error, resolve
from sharokey.crypto import (
    NonceMode,
    compose_share_url,
    key_check,
    parse_share_url,
    warn_shared_nonces,
)
from sharokey.errors import ConfigurationError, InvalidResponseError, ValidationError
from sharokey.models import (
    CreatedSecret,
    Health,
    RequestList,
    RequestStats,
    RevealedSecret,
    Secret,
    SecretList,
    SecretRequest,
    SecretStats,
)

__all__ = ["Core", "make_core", "user_agent"]


def user_agent() -> str:
    return f"sharokey-python/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"


def _query(args: _validate.ListArgs) -> dict[str, Any]:
    return {
        "status": args.status,
        "limit": args.limit,
        "page": args.page,
        "creator": args.creator,
        "search": args.search,
    }


@attrs.frozen(kw_only=True)
class Core:
    """Everything both clients do, minus I/O. Immutable, so safe to share across threads."""

    api_url: str
    token: Optional[str] = attrs.field(repr=False)
    retry_ambiguous_posts: bool = False
    attachment_nonces: Optional[NonceMode] = None
    user_agent: str = attrs.field(factory=user_agent)
    #: The API URL's path, as logs show it before each request's path (split once).
    _shown_prefix: str = attrs.field(init=False, repr=False, eq=False)

    @_shown_prefix.default
    def _split_prefix(self) -> str:
        return urlsplit(self.api_url).path.rstrip("/")

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

    def _request(
        self,
        method: str,
        path: str,
        *,
        label: Optional[str] = None,
        query: Optional[Mapping[str, Any]] = None,
        headers: Mapping[str, str],
        body: Optional[bytes] = None,
        idempotent_post: bool = False,
    ) -> Request:
        url = self.api_url + path
        shown = self._shown_prefix + (label if label is not None else path)
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
            ambiguous_safe=repeatable(method, idempotent_post=idempotent_post),
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

    def _answer(self, *, fixed: bool) -> Callable[[Response], dict[str, Any]]:
        """How an answer reads: ``fixed`` for a path the API always has (``/secrets``),
        where a 404 can only mean a wrong API URL; an item's path (a slug) may be gone."""
        return functools.partial(decode_envelope, api_url=self.api_url, fixed_path=fixed)

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
        envelope = yield Send(self._get("/secrets", query=_query(args)), self._answer(fixed=True))
        items, pagination = listing(envelope, Secret, args.page, "secret list")
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
        progress: Any = None,
    ) -> Operation[CreatedSecret]:
        on_progress = _validate.progress_callback(progress)
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
        by_default = bool(args.attachments) and self.attachment_nonces is None
        built = yield Offload(
            build_create_body, args, "shared" if by_default else self.attachment_nonces
        )
        if by_default:
            # Once the files were read and sealed (a refused create warns of nothing), and
            # here, on the caller's stack (client method -> caller), not in a worker thread.
            warn_shared_nonces(stacklevel=4)
        key_b = built.key_b
        request = self._request(
            "POST",
            "/secrets",
            headers=headers,
            body=built.body,
            idempotent_post=self.retry_ambiguous_posts,
        )
        if on_progress is not None:
            request = attrs.evolve(request, upload_progress=on_progress)
        del built
        envelope = yield Send(request, self._answer(fixed=True))
        del request
        return self._created(data_of(envelope, "create answer"), key_b)

    def _created(self, data: Mapping[str, Any], key_b: str) -> CreatedSecret:
        slug = data.get("slug")
        if not isinstance(slug, str) or not slug:
            raise InvalidResponseError("The create answer has no slug.")
        share_url: Optional[str] = None
        for candidate in (data.get("access_url"), data.get("share_url")):
            if isinstance(candidate, str) and candidate:
                try:
                    share_url = compose_share_url(candidate, key_b)
                    break
                except ValidationError:
                    continue
        if share_url is None:  # neither is a usable link: the service's own /s/ path
            share_url = compose_share_url(self._fallback_url(slug), key_b)
        fields = dict(data)
        fields["share_url"] = share_url
        if not isinstance(fields.get("access_url"), str) or not fields["access_url"]:
            fields["access_url"] = share_url.partition("#")[0]
        return structure(fields, CreatedSecret, what="create answer")

    def get_details(self, slug: str) -> Operation[Secret]:
        segment = _validate.path_segment(slug, "slug")
        envelope = yield Send(self._get(f"/secrets/{segment}"), self._answer(fixed=False))
        return structure(data_of(envelope, "secret details"), Secret, what="secret details")

    def delete(self, slug: str) -> Operation[None]:
        segment = _validate.path_segment(slug, "slug")
        request = self._request("DELETE", f"/secrets/{segment}", headers=self._headers(auth=True))
        yield Send(request, self._answer(fixed=False), gone_is_done=True)
        return None

    def get_stats(self) -> Operation[SecretStats]:
        envelope = yield Send(self._get("/secrets-stats"), self._answer(fixed=True))
        return structure(data_of(envelope, "statistics"), SecretStats, what="statistics")

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
        )
        envelope = yield Send(request, self._answer(fixed=True))
        return structure(data_of(envelope, "request"), SecretRequest, what="request")

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
        envelope = yield Send(self._get("/requests", query=_query(args)), self._answer(fixed=True))
        items, pagination = listing(envelope, SecretRequest, args.page, "request list")
        return RequestList(data=items, pagination=pagination)

    def get_request(self, token: str) -> Operation[SecretRequest]:
        segment = _validate.path_segment(token, "token")
        request = self._get(f"/requests/{segment}", label=f"/requests/{mask(token)}")
        envelope = yield Send(request, self._answer(fixed=False))
        return structure(data_of(envelope, "request"), SecretRequest, what="request")

    def delete_request(self, token: str) -> Operation[None]:
        segment = _validate.path_segment(token, "token")
        request = self._request(
            "DELETE",
            f"/requests/{segment}",
            label=f"/requests/{mask(token)}",
            headers=self._headers(auth=True),
        )
        yield Send(request, self._answer(fixed=False), gone_is_done=True)
        return None

    def get_request_stats(self) -> Operation[RequestStats]:
        envelope = yield Send(self._get("/requests-stats"), self._answer(fixed=True))
        return structure(data_of(envelope, "statistics"), RequestStats, what="statistics")

    # ----------------------------------------------------------------- other

    def health(self) -> Operation[Health]:
        # Sends the token when there is one (so the check covers it), needs none.
        request = self._get("/health", auth=bool(self.token))
        envelope = yield Send(request, functools.partial(decode_health, api_url=self.api_url))
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
        progress: Any = None,
    ) -> Operation[RevealedSecret]:
        on_progress = _validate.progress_callback(progress)
        link = parse_share_url(share_url)
        answers = _validate.reveal_args(password=password, otp=otp, captcha=captcha)
        segment = _validate.path_segment(link.slug, "share_url")
        fields = {k: v for k, v in attrs.asdict(answers).items() if v is not None}
        # A mistyped link is refused before a view is counted (docs/protocol.md#key-check).
        fields["key_check"] = key_check(link.key_b)
        # To the configured API only, never to the link's host, never with the token.
        request = self._request(
            "POST",
            f"/secrets/{segment}/reveal",
            headers=self._headers(auth=False, body=True, idempotency_key=str(uuid.uuid4())),
            body=json.dumps(fields, separators=(",", ":")).encode("utf-8"),
            idempotent_post=self.retry_ambiguous_posts,
        )
        if on_progress is not None:
            request = attrs.evolve(request, download_progress=on_progress)
        parse = functools.partial(
            open_revealed, key_b=link.key_b, slug=link.slug, api_url=self.api_url
        )
        revealed: RevealedSecret = yield Send(request, parse, offload=True)
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
