"""The emulator's SQLite database: its tables, one connection, one lock.

Every store method is a short transaction on this one connection, safe to
call from worker threads (the app runs them off the event loop) and from a
test thread at the same time. The other ``tables`` modules (``secrets``,
``reveal``, ``requests``) build on :class:`Database`.

SQL text is assembled only from the package's own constant fragments (the
``noqa: S608`` marks); every value is a bound parameter.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

__all__ = ["ACTIVE", "Database"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    company TEXT NOT NULL,
    creator TEXT NOT NULL,
    description TEXT,
    message TEXT,
    content TEXT,
    key_a TEXT,
    key_check TEXT,
    iv TEXT,
    salt TEXT,
    maximum_views INTEGER NOT NULL,
    current_views INTEGER NOT NULL DEFAULT 0,
    expires_in_hours INTEGER NOT NULL,
    expiration REAL NOT NULL,
    password_hash TEXT,
    captcha INTEGER NOT NULL DEFAULT 0,
    otp_type TEXT,
    otp_receiver TEXT,
    ip_whitelist TEXT,
    geolocation TEXT,
    attachments_count INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX IF NOT EXISTS secrets_company ON secrets (company, created_at);
CREATE TABLE IF NOT EXISTS attachments (
    secret_id INTEGER NOT NULL REFERENCES secrets (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    data TEXT,
    size INTEGER NOT NULL,
    iv TEXT,
    PRIMARY KEY (secret_id, position)
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL UNIQUE,
    company TEXT NOT NULL,
    creator TEXT NOT NULL,
    message TEXT,
    description TEXT,
    maximum_views INTEGER NOT NULL,
    secret_expiration_hours INTEGER NOT NULL,
    request_expiration_hours INTEGER NOT NULL,
    email_to TEXT,
    email_reply TEXT,
    locale TEXT NOT NULL,
    expiration REAL NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX IF NOT EXISTS requests_company ON requests (company, created_at);
CREATE TABLE IF NOT EXISTS attempts (
    slug TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start REAL NOT NULL,
    locked_until REAL
);
CREATE TABLE IF NOT EXISTS otp_codes (
    slug TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS otp_sends (
    slug TEXT NOT NULL,
    sent_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS otp_sends_slug ON otp_sends (slug, sent_at);
"""
_TABLES = ("attachments", "secrets", "requests", "attempts", "otp_codes", "otp_sends")

#: A secret that can still be revealed: not deleted, not expired, views left.
ACTIVE = "(deleted_at IS NULL AND expiration > :now AND current_views < maximum_views)"


def _fold(value: Optional[str]) -> str:
    return value.casefold() if value else ""


class Database:
    """The connection and what every kind of row shares: transactions, filters, pages."""

    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.create_function("fold", 1, _fold, deterministic=True)
        with self._lock:
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def wipe(self) -> None:
        """Delete every row of every table (the schema stays)."""
        with self._transaction() as conn:
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608  # a constant name

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _filters(
        self,
        company: str,
        now: float,
        status: Optional[str],
        creator: Optional[str],
        search: Optional[str],
        active: str,
    ) -> tuple[str, dict[str, Any]]:
        clauses = ["company = :company"]
        params: dict[str, Any] = {"company": company, "now": now}
        if status == "active":
            clauses.append(active)
        elif status == "expired":
            clauses.append(f"NOT {active}")
        if creator:
            clauses.append("fold(creator) = :creator")
            params["creator"] = creator.casefold()
        if search:
            clauses.append(
                "(instr(fold(description), :search) > 0 OR instr(fold(message), :search) > 0)"
            )
            params["search"] = search.casefold()
        return " AND ".join(clauses), params

    def _page(
        self,
        table: str,
        columns: str,
        where: str,
        params: dict[str, Any],
        limit: int,
        page: int,
    ) -> tuple[list[dict[str, Any]], int]:
        count_sql = f"SELECT COUNT(*) FROM {table} WHERE {where}"  # noqa: S608
        page_sql = (
            f"SELECT {columns} FROM {table} WHERE {where} "  # noqa: S608
            "ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset"
        )
        with self._lock:
            (total,) = self._conn.execute(count_sql, params).fetchone()
            rows = self._conn.execute(
                page_sql, {**params, "limit": limit, "offset": (page - 1) * limit}
            ).fetchall()
        return [dict(row) for row in rows], int(total)
