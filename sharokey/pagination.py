"""Pages of a listing that fetch the following pages by themselves.

``for secret in client.list_secrets(limit=50)`` walks every secret, one page
request at a time, fetched only when needed; ``page.data`` is just this page.
``limit`` is the page size sent to the server, never a cap on the total.
Async: ``await client.list_secrets()`` gives the first :class:`AsyncPage`,
and ``async for secret in client.list_secrets()`` walks them all.

A page holds a *fetch* callable (page number -> page), not the client, so it
knows nothing of transports or retries.

A walk trusts the server's counters only as far as they make sense: a page
that does not advance, an empty page that claims more follow, or a walk past
:data:`MAX_PAGES` pages raises ``InvalidResponseError`` (one rule,
:meth:`_PageBase._check_following`, for both kinds of page) instead of walking
forever or stopping silently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterator
from typing import Any, Callable, Generic, Optional, TypeVar

from sharokey.errors import InvalidResponseError
from sharokey.models import Pagination

__all__ = ["MAX_PAGES", "AsyncPage", "AsyncPageRequest", "SyncPage"]

#: The most pages one walk fetches: 10,000 pages of even 10 items is more than any
#: company holds; a server that keeps claiming more is broken or hostile.
MAX_PAGES = 10_000

T = TypeVar("T")


class _PageBase(Generic[T]):
    __slots__ = ("data", "pagination")

    def __init__(self, data: list[T], pagination: Pagination) -> None:
        self.data = data
        self.pagination = pagination

    def has_next_page(self) -> bool:
        """Whether the server reports a page after this one."""
        return self.pagination.current_page < self.pagination.last_page

    def _next_number(self) -> int:
        if not self.has_next_page():
            raise LookupError("There is no next page; check has_next_page() first.")
        return self.pagination.current_page + 1

    def _check_following(self, following: _PageBase[T], walked: int) -> None:
        """Refuse what would make a walk endless; ``walked`` counts the pages so far."""
        here, there = self.pagination, following.pagination
        problem = None
        if there.current_page <= here.current_page:
            problem = f"page {here.current_page} was followed by page {there.current_page}"
        elif not following.data and following.has_next_page():
            problem = (
                f"page {there.current_page} is empty but claims {there.last_page} pages in all"
            )
        elif walked >= MAX_PAGES:
            problem = f"the listing goes on past {MAX_PAGES} pages"
        if problem is not None:
            raise InvalidResponseError(
                f"The server's pagination makes no sense: {problem}. "
                "The pages read so far were returned one by one; the walk stopped here."
            )

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        p = self.pagination
        return (
            f"{type(self).__name__}(items={len(self.data)}, page={p.current_page}/"
            f"{p.last_page}, total={p.total})"
        )


class SyncPage(_PageBase[T]):
    """One page; iterating it yields the items of this page and of every following one."""

    __slots__ = ("_fetch",)

    def __init__(
        self, data: list[T], pagination: Pagination, fetch: Callable[[int], SyncPage[T]]
    ) -> None:
        super().__init__(data, pagination)
        self._fetch = fetch

    def next_page(self) -> SyncPage[T]:
        """Fetch the following page (``LookupError`` when there is none)."""
        return self._fetch(self._next_number())

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page, then each following page, fetched as the iteration reaches it."""
        page, walked = self, 1
        yield page
        while page.has_next_page():
            following = page.next_page()
            page._check_following(following, walked)
            page, walked = following, walked + 1
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(_PageBase[T]):
    """One page of the async client; ``async for`` walks this and every following page."""

    __slots__ = ("_fetch",)

    def __init__(
        self,
        data: list[T],
        pagination: Pagination,
        fetch: Callable[[int], Awaitable[AsyncPage[T]]],
    ) -> None:
        super().__init__(data, pagination)
        self._fetch = fetch

    async def next_page(self) -> AsyncPage[T]:
        """Fetch the following page (``LookupError`` when there is none)."""
        return await self._fetch(self._next_number())

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        page, walked = self, 1
        yield page
        while page.has_next_page():
            following = await page.next_page()
            page._check_following(following, walked)
            page, walked = following, walked + 1
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item


class AsyncPageRequest(Generic[T]):
    """What ``AsyncSharokey.list_*`` returns: await it for the first page, or ``async for``.

    Nothing is sent until it is awaited or iterated; each ``async for`` starts
    again from the first requested page.
    """

    __slots__ = ("_fetch", "_first")

    def __init__(
        self, fetch: Callable[[Optional[int]], Awaitable[AsyncPage[T]]], first: Optional[int]
    ) -> None:
        self._fetch = fetch
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._fetch(self._first).__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page = await self._fetch(self._first)
        async for item in page:
            yield item

    def __repr__(self) -> str:
        return f"AsyncPageRequest(first_page={self._first})"
