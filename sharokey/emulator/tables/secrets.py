"""Secrets as rows: create, read, list, delete, count and statistics.

What is stored is what the client sent: ciphertext, keyA, nonce, salt. The
access password arrives here already hashed (``sharokey.emulator.passwords``).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Optional

from sharokey.emulator.identifiers import random_slug
from sharokey.emulator.tables.database import ACTIVE, Database
from sharokey.emulator.validation import SecretInput

__all__ = ["SECRET_COLUMNS", "SecretRows"]

SECRET_COLUMNS = (
    "id, slug, company, creator, description, message, maximum_views, current_views, "
    "expires_in_hours, expiration, password_hash IS NOT NULL AS has_password, captcha, "
    "otp_type, ip_whitelist, geolocation, attachments_count, created_at, updated_at, "
    f"deleted_at, CASE WHEN {ACTIVE} THEN 0 ELSE 1 END AS is_expired"
)


class SecretRows(Database):
    """The secrets table as the management API sees it (never the content)."""

    def create_secret(
        self,
        *,
        company: str,
        creator: str,
        data: SecretInput,
        password_hash: Optional[str],
        now: float,
        quota: Optional[int],
    ) -> Optional[dict[str, Any]]:
        """Insert a secret; ``None`` when the company's quota of active secrets is full."""
        created = float(int(now))  # whole seconds, like the service's timestamps
        with self._transaction() as conn:
            if quota is not None:
                (active,) = conn.execute(
                    f"SELECT COUNT(*) FROM secrets WHERE company = :company AND {ACTIVE}",  # noqa: S608
                    {"company": company, "now": now},
                ).fetchone()
                if active >= quota:
                    return None
            while True:
                slug = random_slug()
                try:
                    cursor = conn.execute(
                        """INSERT INTO secrets (slug, company, creator, description, message,
                        content, key_a, key_check, iv, salt, maximum_views, expires_in_hours,
                        expiration, password_hash, captcha, otp_type, otp_receiver,
                        ip_whitelist, geolocation, attachments_count, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                        ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        (
                            slug,
                            company,
                            creator,
                            data.description,
                            data.message,
                            data.content,
                            data.key,
                            data.key_check,
                            data.iv,
                            data.salt,
                            data.maximum_views,
                            data.expiration_hours,
                            created + data.expiration_hours * 3600,
                            password_hash,
                            int(data.captcha),
                            data.otp_type,
                            data.otp_receiver,
                            data.ip_whitelist,
                            data.geolocation,
                            len(data.attachments),
                            created,
                            created,
                        ),
                    )
                    break
                except sqlite3.IntegrityError:
                    continue  # slug collision: draw again
            secret_id = cursor.lastrowid
            conn.executemany(
                "INSERT INTO attachments (secret_id, position, name, data, size, iv) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (secret_id, index, item.name, item.data, item.size, item.iv)
                    for index, item in enumerate(data.attachments)
                ],
            )
        return self.get_secret(company, slug, now, with_attachments=False)

    def get_secret(
        self, company: str, slug: str, now: float, *, with_attachments: bool = True
    ) -> Optional[dict[str, Any]]:
        """A secret's metadata (never its content); ``None`` if not this company's."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {SECRET_COLUMNS} FROM secrets WHERE slug = :slug AND company = :company",  # noqa: S608
                {"slug": slug, "company": company, "now": now},
            ).fetchone()
            if row is None:
                return None
            result = dict(row)
            if with_attachments:
                result["attachments"] = [
                    {"name": name}
                    for (name,) in self._conn.execute(
                        "SELECT name FROM attachments WHERE secret_id = ? ORDER BY position",
                        (row["id"],),
                    )
                ]
            return result

    def list_secrets(
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
        """One page of a company's secrets, newest first, and the total matching."""
        where, params = self._filters(company, now, status, creator, search, ACTIVE)
        return self._page("secrets", SECRET_COLUMNS, where, params, limit, page)

    def delete_secret(self, company: str, slug: str, now: float) -> bool:
        """Clear content and expire at once; ``False`` if unknown or already deleted."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE secrets SET content = NULL, key_a = NULL, key_check = NULL, "
                "deleted_at = :now, updated_at = :stamp, expiration = MIN(expiration, :now) "
                "WHERE slug = :slug AND company = :company AND deleted_at IS NULL",
                {"slug": slug, "company": company, "now": now, "stamp": float(int(now))},
            )
            if cursor.rowcount != 1:
                return False
            conn.execute(
                "UPDATE attachments SET data = NULL WHERE secret_id = "
                "(SELECT id FROM secrets WHERE slug = ?)",
                (slug,),
            )
            conn.execute("DELETE FROM otp_codes WHERE slug = ?", (slug,))
        return True

    def secret_stats(self, company: str, now: float, starts: dict[str, float]) -> dict[str, int]:
        """Company statistics computed from the rows (docs/protocol.md#2-endpoints)."""
        with self._lock:
            row = self._conn.execute(
                f"""SELECT COUNT(*) AS total_secrets,
                    COALESCE(SUM(CASE WHEN {ACTIVE} THEN 1 ELSE 0 END), 0) AS active_secrets,
                    COALESCE(SUM(current_views), 0) AS total_views,
                    COALESCE(SUM(password_hash IS NOT NULL), 0) AS secrets_with_password,
                    COALESCE(SUM(created_at >= :day), 0) AS secrets_created_today,
                    COALESCE(SUM(created_at >= :week), 0) AS secrets_created_this_week,
                    COALESCE(SUM(created_at >= :month), 0) AS secrets_created_this_month
                FROM secrets WHERE company = :company""",  # noqa: S608
                {"company": company, "now": now, **starts},
            ).fetchone()
        stats = {key: int(row[key]) for key in row.keys()}  # noqa: SIM118  # sqlite3.Row
        stats["expired_secrets"] = stats["total_secrets"] - stats["active_secrets"]
        order = (
            "total_secrets",
            "active_secrets",
            "expired_secrets",
            "total_views",
            "secrets_with_password",
            "secrets_created_today",
            "secrets_created_this_week",
            "secrets_created_this_month",
        )
        return {key: stats[key] for key in order}

    def count_secrets(self, company: Optional[str] = None) -> int:
        """Secrets stored (any state), in all companies or one."""
        with self._lock:
            if company is None:
                (count,) = self._conn.execute("SELECT COUNT(*) FROM secrets").fetchone()
            else:
                (count,) = self._conn.execute(
                    "SELECT COUNT(*) FROM secrets WHERE company = ?", (company,)
                ).fetchone()
        return int(count)
