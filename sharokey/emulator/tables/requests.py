"""Secret requests as rows: create, read, list, delete and statistics.

A request's token is its credential and its key here; the public request
page reads a request by token alone (no company).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Optional

from sharokey.emulator.identifiers import random_token
from sharokey.emulator.tables.database import Database
from sharokey.emulator.validation import RequestInput

__all__ = ["REQUEST_ACTIVE", "REQUEST_COLUMNS", "RequestRows"]

REQUEST_ACTIVE = "(deleted_at IS NULL AND expiration > :now)"
REQUEST_COLUMNS = (
    "id, token, company, creator, message, description, maximum_views, "
    "secret_expiration_hours, request_expiration_hours, email_to, email_reply, locale, "
    "expiration, created_at, updated_at, deleted_at, "
    f"CASE WHEN {REQUEST_ACTIVE} THEN 0 ELSE 1 END AS is_expired"
)


class RequestRows(Database):
    """The requests table, as the management API and the request page see it."""

    def create_request(
        self, *, company: str, creator: str, data: RequestInput, now: float
    ) -> dict[str, Any]:
        created = float(int(now))
        with self._transaction() as conn:
            while True:
                token = random_token()
                try:
                    conn.execute(
                        """INSERT INTO requests (token, company, creator, message, description,
                        maximum_views, secret_expiration_hours, request_expiration_hours,
                        email_to, email_reply, locale, expiration, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        (
                            token,
                            company,
                            creator,
                            data.message,
                            data.description,
                            data.maximum_views,
                            data.secret_expiration_hours,
                            data.request_expiration_hours,
                            data.email_to,
                            data.email_reply,
                            data.locale,
                            created + data.request_expiration_hours * 3600,
                            created,
                            created,
                        ),
                    )
                    break
                except sqlite3.IntegrityError:
                    continue
        found = self.get_request(company, token, now)
        assert found is not None
        return found

    def get_request(self, company: str, token: str, now: float) -> Optional[dict[str, Any]]:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {REQUEST_COLUMNS} FROM requests "  # noqa: S608
                "WHERE token = :token AND company = :company",
                {"token": token, "company": company, "now": now},
            ).fetchone()
        return dict(row) if row is not None else None

    def public_request(self, token: str, now: float) -> Optional[dict[str, Any]]:
        """What the request page shows to whoever holds the link; ``None`` if gone."""
        with self._lock:
            row = self._conn.execute(
                "SELECT message, description, expiration FROM requests "  # noqa: S608
                f"WHERE token = :token AND {REQUEST_ACTIVE}",
                {"token": token, "now": now},
            ).fetchone()
        return dict(row) if row is not None else None

    def list_requests(
        self,
        company: str,
        now: float,
        *,
        status: Optional[str],
        creator: Optional[str],
        search: Optional[str],
        limit: int,
        page: int,
    ) -> tuple[list[dict[str, Any]], int]:
        where, params = self._filters(company, now, status, creator, search, REQUEST_ACTIVE)
        return self._page("requests", REQUEST_COLUMNS, where, params, limit, page)

    def delete_request(self, company: str, token: str, now: float) -> bool:
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE requests SET deleted_at = :now, updated_at = :stamp, "
                "expiration = MIN(expiration, :now) "
                "WHERE token = :token AND company = :company AND deleted_at IS NULL",
                {"token": token, "company": company, "now": now, "stamp": float(int(now))},
            )
        return cursor.rowcount == 1

    def request_stats(self, company: str, now: float, starts: dict[str, float]) -> dict[str, int]:
        with self._lock:
            row = self._conn.execute(
                f"""SELECT COUNT(*) AS total_requests,
                    COALESCE(SUM(CASE WHEN {REQUEST_ACTIVE} THEN 1 ELSE 0 END), 0)
                        AS active_requests,
                    COALESCE(SUM(created_at >= :day), 0) AS requests_created_today,
                    COALESCE(SUM(created_at >= :week), 0) AS requests_created_this_week,
                    COALESCE(SUM(created_at >= :month), 0) AS requests_created_this_month
                FROM requests WHERE company = :company""",  # noqa: S608
                {"company": company, "now": now, **starts},
            ).fetchone()
        stats = {key: int(row[key]) for key in row.keys()}  # noqa: SIM118  # sqlite3.Row
        return {
            "total_requests": stats["total_requests"],
            "active_requests": stats["active_requests"],
            "expired_requests": stats["total_requests"] - stats["active_requests"],
            "requests_created_today": stats["requests_created_today"],
            "requests_created_this_week": stats["requests_created_this_week"],
            "requests_created_this_month": stats["requests_created_this_month"],
        }
