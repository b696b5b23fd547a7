"""Pages of a listing that fetch the following pages by themselves.

``for secret in client.list_secrets(limit=50)`` walks every secret, one page
request at a time, fetched only when needed; ``page.data`` is just this page.
``limit`` is the page size sent to the server, never a cap on the total.
Async: ``await client.list_secrets()`` gives the first :class:`AsyncPage`,
and ``async for secret in client.list_secrets()`` walks them all.

A page holds a *fetch* callable (page number -> page), not the client, so it
knows nothing of transports or retries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterator
from typing import Any, Callable, Generic, Optional, TypeVar

from sharokey.models import Pagination

__all__ = ["AsyncPage", "AsyncPageRequest", "SyncPage"]

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

    def _advances(self, following: _PageBase[T]) -> bool:
        # A server that repeats a page number would make the walk loop forever.
        return following.pagination.current_page > self.pagination.current_page

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
        page = self
        yield page
        while page.has_next_page():
            following = page.next_page()
            if not page._advances(following):
                return
            page = following
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
        page = self
        yield page
        while page.has_next_page():
            following = await page.next_page()
            if not page._advances(following):
                return
            page = following
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
