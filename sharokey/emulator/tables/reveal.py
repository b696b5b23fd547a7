"""The reveal gate's rows: what a reveal may see, the view count, lockouts, one-time codes.

View counting is a single conditional ``UPDATE`` inside ``BEGIN IMMEDIATE``,
so concurrent reveals can never both take the last view, even with several
processes on one database file (docs/protocol.md#reveal).
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from typing import Any, Optional

from sharokey.emulator.tables.database import ACTIVE, Database

__all__ = ["RevealRows"]


class RevealRows(Database):
    """Reading a secret without an account: the gate, the view, the wrong answers."""

    def reveal_info(self, slug: str, now: float) -> Optional[dict[str, Any]]:
        """What the reveal gate needs (protections, state), or ``None`` if not revealable.

        A secret found expired by time has its content cleared on the way.
        """
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT slug, description, message, password_hash, key_check, captcha, otp_type, "
                "otp_receiver, ip_whitelist, geolocation, maximum_views, current_views, "
                "expiration, deleted_at, content IS NOT NULL AS has_content "
                "FROM secrets WHERE slug = ?",
                (slug,),
            ).fetchone()
            if row is None:
                return None
            live = (
                row["deleted_at"] is None
                and row["expiration"] > now
                and row["current_views"] < row["maximum_views"]
                and row["has_content"]
            )
            if not live:
                if row["has_content"]:
                    self._clear_content(conn, slug)
                return None
            return dict(row)

    def public_info(self, slug: str, now: float) -> Optional[dict[str, Any]]:
        """What the viewer page shows before any reveal (no content, no counting)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT slug, description, password_hash IS NOT NULL AS has_password, captcha, "  # noqa: S608
                f"otp_type, CASE WHEN {ACTIVE} AND content IS NOT NULL THEN 0 ELSE 1 END "
                "AS expired FROM secrets WHERE slug = :slug",
                {"slug": slug, "now": now},
            ).fetchone()
        return dict(row) if row is not None else None

    def consume_view(self, slug: str, now: float) -> Optional[dict[str, Any]]:
        """Count one view and return the payload, atomically; ``None`` if none was left.

        The conditional UPDATE is the whole guarantee: its WHERE clause is the
        rule, its rowcount the verdict. The last view clears the content.
        """
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE secrets SET current_views = current_views + 1 "
                "WHERE slug = :slug AND deleted_at IS NULL AND expiration > :now "
                "AND current_views < maximum_views AND content IS NOT NULL",
                {"slug": slug, "now": now},
            )
            if cursor.rowcount != 1:
                return None
            payload = self._payload(conn, slug)
            if payload["remaining_views"] <= 0:
                self._clear_content(conn, slug)
            conn.execute("DELETE FROM attempts WHERE slug = ?", (slug,))
        return payload

    def peek_payload(self, slug: str, now: float) -> Optional[dict[str, Any]]:
        """What a reveal answered, read again without counting a view; ``None`` if gone.

        The idempotency cache replays a reveal from here rather than keeping
        megabytes of ciphertext per key (docs/protocol.md#emulator-safety).
        """
        with self._transaction() as conn:
            live = conn.execute(
                f"SELECT 1 FROM secrets WHERE slug = :slug AND {ACTIVE} "  # noqa: S608
                "AND content IS NOT NULL",
                {"slug": slug, "now": now},
            ).fetchone()
            return self._payload(conn, slug) if live is not None else None

    @staticmethod
    def _payload(conn: sqlite3.Connection, slug: str) -> dict[str, Any]:
        row = conn.execute(
            "SELECT id, content, iv, salt, key_a, description, message, maximum_views, "
            "current_views FROM secrets WHERE slug = ?",
            (slug,),
        ).fetchone()
        attachments = []
        for name, data, size, file_iv in conn.execute(
            "SELECT name, data, size, iv FROM attachments WHERE secret_id = ? ORDER BY position",
            (row["id"],),
        ):
            entry: dict[str, Any] = {"name": name, "data": data, "size": size}
            if file_iv is not None:
                entry["iv"] = file_iv
            attachments.append(entry)
        return {
            "content": row["content"],
            "iv": row["iv"],
            "salt": row["salt"],
            "key": row["key_a"],
            "attachments": attachments,
            "description": row["description"],
            "message": row["message"],
            "remaining_views": int(row["maximum_views"]) - int(row["current_views"]),
        }

    @staticmethod
    def _clear_content(conn: sqlite3.Connection, slug: str) -> None:
        conn.execute(
            "UPDATE secrets SET content = NULL, key_a = NULL, key_check = NULL WHERE slug = ?",
            (slug,),
        )
        conn.execute(
            "UPDATE attachments SET data = NULL WHERE secret_id = "
            "(SELECT id FROM secrets WHERE slug = ?)",
            (slug,),
        )
        conn.execute("DELETE FROM otp_codes WHERE slug = ?", (slug,))

    def revealable(self, slug: str, now: float) -> bool:
        """Whether a reveal could still succeed: not deleted, not expired, views left."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT 1 FROM secrets WHERE slug = :slug AND {ACTIVE} "  # noqa: S608
                "AND content IS NOT NULL",
                {"slug": slug, "now": now},
            ).fetchone()
        return row is not None

    def allow_otp_send(self, slug: str, now: float, *, window: float, limit: int) -> float:
        """Record a code sent now, or, past ``limit`` sends in ``window``, refuse it.

        Returns 0 when the send is allowed (and counted), else the seconds until the
        oldest send in the window leaves it.
        """
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM otp_sends WHERE slug = ? AND sent_at <= ?", (slug, now - window)
            )
            sent = [
                float(at)
                for (at,) in conn.execute(
                    "SELECT sent_at FROM otp_sends WHERE slug = ? ORDER BY sent_at", (slug,)
                )
            ]
            if len(sent) >= limit:
                return max(sent[0] + window - now, 1.0)
            conn.execute("INSERT INTO otp_sends (slug, sent_at) VALUES (?, ?)", (slug, now))
        return 0.0

    def locked_until(self, slug: str, now: float) -> Optional[float]:
        """When the lockout on this secret ends, if it is locked now."""
        with self._lock:
            row = self._conn.execute(
                "SELECT locked_until FROM attempts WHERE slug = ?", (slug,)
            ).fetchone()
        if row is None or row[0] is None or row[0] <= now:
            return None
        return float(row[0])

    def record_failure(
        self, slug: str, now: float, *, window: float, limit: int, lock_seconds: float
    ) -> Optional[float]:
        """Count a wrong answer; return the lock's end when this one triggers a lockout."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT failures, window_start FROM attempts WHERE slug = ?", (slug,)
            ).fetchone()
            if row is None or now - row["window_start"] > window:
                failures, start = 1, now
            else:
                failures, start = int(row["failures"]) + 1, float(row["window_start"])
            locked: Optional[float] = None
            if failures >= limit:
                locked, failures, start = now + lock_seconds, 0, now
            conn.execute(
                "INSERT OR REPLACE INTO attempts (slug, failures, window_start, locked_until) "
                "VALUES (?, ?, ?, ?)",
                (slug, failures, start, locked),
            )
        return locked

    def store_otp(self, slug: str, code: str, expires_at: float) -> None:
        digest = hashlib.sha256(f"{slug}:{code}".encode()).hexdigest()
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO otp_codes (slug, code_hash, expires_at) VALUES (?, ?, ?)",
                (slug, digest, expires_at),
            )

    def check_otp(self, slug: str, code: str, now: float) -> bool:
        """Whether ``code`` is the live code for this secret; a right code is used up."""
        digest = hashlib.sha256(f"{slug}:{code.strip()}".encode()).hexdigest()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT code_hash, expires_at FROM otp_codes WHERE slug = ?", (slug,)
            ).fetchone()
            if row is None or row["expires_at"] <= now:
                return False
            if not hmac.compare_digest(row["code_hash"], digest):
                return False
            conn.execute("DELETE FROM otp_codes WHERE slug = ?", (slug,))
        return True
