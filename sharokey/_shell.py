"""What both client shells share: the constructor and the state it checks.

The shells differ only in how they send and wait. Their arguments, the
core, the timeout, the retry policy and the choice of transport are handled
here once; a shell adds its default transport and its ``_run`` loop.
"""

from __future__ import annotations

from typing import Any, Generic, Optional, TypeVar, Union

from sharokey._core import make_core
from sharokey._messages import Response
from sharokey._retry import RetryPolicy, policy_for
from sharokey.config import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Timeout,
    check_max_connections,
    check_max_response_bytes,
)
from sharokey.crypto import NonceMode
from sharokey.errors import ConfigurationError

__all__ = ["ClientShell"]

TransportT = TypeVar("TransportT")


class ClientShell(Generic[TransportT]):
    """Base of :class:`~sharokey.Sharokey` and :class:`~sharokey.AsyncSharokey`.

    ``token`` falls back to ``SHAROKEY_TOKEN`` then the config file; a missing
    one is reported by the first call that needs it. ``timeout`` is a
    :class:`~sharokey.Timeout` (by default connect 5 s, read 30 s, 60 s in all
    per attempt) or one number of seconds bounding all three.
    ``max_response_bytes`` caps one answer, decoded (32 MiB by default): a
    larger one raises ``InvalidResponseError`` with code ``RESPONSE_TOO_LARGE``.
    ``session`` is the caller's own HTTP session (``requests.Session`` or
    ``aiohttp.ClientSession``), used as is and never closed; ``transport`` any
    object implementing the transport protocol. ``retry_policy`` replaces
    ``max_retries`` and the default delays when given (the test seam).
    """

    def __init__(
        self,
        token: Optional[str] = None,
        *,
        api_url: Optional[str] = None,
        timeout: Union[Timeout, float] = Timeout(connect=5, read=30, total=60),  # noqa: B008
        max_retries: int = 2,
        max_connections: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry_ambiguous_posts: bool = False,
        session: Any = None,
        transport: Optional[TransportT] = None,
        attachment_nonces: Optional[NonceMode] = None,
        retry_policy: Optional[RetryPolicy] = None,
    ) -> None:
        if transport is not None and session is not None:
            raise ConfigurationError(
                "Give either session= or transport=, not both.",
                details={"session": ["cannot be combined with transport"]},
            )
        self._core = make_core(
            token,
            api_url,
            retry_ambiguous_posts=retry_ambiguous_posts,
            attachment_nonces=attachment_nonces,
        )
        self._timeout = Timeout.of(timeout)
        self._policy = policy_for(max_retries, retry_policy)
        connections = check_max_connections(max_connections)
        #: The pool size, kept: ``create_many``'s default number of items in flight.
        self._max_connections = connections
        self._max_response_bytes = check_max_response_bytes(max_response_bytes)
        # Close only what we opened: a caller's session or transport stays theirs.
        self._owns_transport = transport is None
        self._transport: TransportT = (
            transport
            if transport is not None
            else self._default_transport(session, connections, self._max_response_bytes)
        )
        self._setup()

    def _setup(self) -> None:
        """Per-shell state beyond the shared arguments (the async shell's worker pool)."""

    def _default_transport(
        self, session: Any, max_connections: int, max_response_bytes: int
    ) -> TransportT:
        raise NotImplementedError

    def _within_budget(self, response: Response) -> Response:
        """The cap again, for any transport: a caller's own may not stream with one."""
        if len(response.body) > self._max_response_bytes:
            from sharokey.transports._budget import too_large

            raise too_large(self._max_response_bytes, response.status)
        return response

    @property
    def api_url(self) -> str:
        return self._core.api_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self._core.api_url!r})"
