"""What the listings and statistics of secrets and of requests share.

One page or, with ``--all``, every page; the table cells (status, views,
expiry); the footer that says where the listing stands; a stats block.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from sharokey._cli import output
from sharokey._cli.context import unstructure
from sharokey._cli.errors import UsageError

__all__ = [
    "dump_listing",
    "expires_cell",
    "fetch_listing",
    "page_footer",
    "stats_block",
    "status_cell",
    "views_cell",
]


def status_cell(is_expired: Optional[bool], status: Optional[str]) -> str:
    """``expired``, the server's status, ``active``, or ``-`` when nothing says."""
    if is_expired:
        return "expired"
    return status or ("active" if is_expired is False else "-")


def views_cell(current: Optional[int], maximum: Optional[int]) -> str:
    """``1/3``, or ``-`` when neither count is known."""
    if maximum is None and current is None:
        return "-"
    return f"{current or 0}/{maximum if maximum is not None else '?'}"


def expires_cell(when: Optional[datetime], is_expired: Optional[bool]) -> str:
    """``in 23 h`` / ``2 d ago``; ``-`` for one used up or deleted before its time."""
    if when is None:
        return "-"
    if is_expired and when > datetime.now(timezone.utc):
        return "-"
    return output.relative(when)


def page_footer(pagination: Any, shown: int, noun: str, walked_all: bool) -> str:
    """``3 secrets.`` or ``Page 1 of 4, 37 secrets. Next: --page 2, or --all.``"""
    total = getattr(pagination, "total", None)
    if walked_all or pagination.last_page <= 1:
        count = total if total is not None else shown
        return f"{count} {noun}." if count != 1 else f"1 {noun[:-1]}."
    more = ""
    if pagination.current_page < pagination.last_page:
        more = f" Next: --page {pagination.current_page + 1}, or --all."
    of_total = f", {total} {noun}" if total is not None else ""
    return f"Page {pagination.current_page} of {pagination.last_page}{of_total}.{more}"


def fetch_listing(args: argparse.Namespace, lister: Callable[..., Any]) -> tuple[list[Any], Any]:
    """One page, or with --all every page; the last page's counters describe the walk."""
    page = lister(
        status=args.status,
        limit=args.limit,
        page=args.page,
        creator=args.creator,
        search=args.search,
    )
    last = max(page.pagination.last_page or 1, 1)
    if args.page is not None and args.page > last:
        # Not an empty page that reads as "no secrets": the page asked for is not there.
        raise UsageError(
            f"--page {args.page} is past the last page, {last}",
            f"Ask for --page 1 to {last}, or --all." if last > 1 else "Leave out --page.",
            code="PAGE_OUT_OF_RANGE",
        )
    pages = list(page.iter_pages()) if args.all else [page]
    return [item for p in pages for item in p.data], pages[-1].pagination


def dump_listing(items: list[Any], pagination: Any) -> int:
    """The ``--json`` form of a listing: ``{"data": [...], "pagination": {...}}``."""
    output.dump_json(
        {"data": [unstructure(i) for i in items], "pagination": unstructure(pagination)}
    )
    return 0


def stats_block(stats: Any, labels: list[tuple[str, str]]) -> list[tuple[str, object]]:
    """``(label, value)`` pairs for :func:`output.key_values`, in the order of ``labels``."""
    return [(label, getattr(stats, name)) for name, label in labels]
