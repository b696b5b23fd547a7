"""The emulator's SQLite store.

One connection, one lock: every method is a short transaction, safe to call
from worker threads (the app runs them off the event loop) and from a test
thread at the same time. View counting is a single conditional ``UPDATE``
inside ``BEGIN IMMEDIATE``, so concurrent reveals can never both take the
last view, even with several processes on one database file.

SQL text is assembled only from the module's own constant fragments (the ``noqa:
S608`` marks); every value is a bound parameter.

What is stored is what the client sent: ciphertext, keyA, nonce, salt. The
access password is kept only as a salted scrypt (or PBKDF2) hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from sharokey.emulator.validation import RequestInput, SecretInput

__all__ = ["Store", "check_password", "hash_password"]

SLUG_ALPHABET = string.ascii_uppercase + string.digits
# Letters and digits only: a token starting with "-" would read as an option on a command line.
TOKEN_ALPHABET = string.ascii_letters + string.digits
REQUEST_TOKEN_LENGTH = 40


def random_token(length: int = REQUEST_TOKEN_LENGTH) -> str:
    """A credential-strength token (about 238 bits for 40 characters) safe in paths and argv."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


SLUG_LENGTH = 8

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
"""

_ACTIVE = "(deleted_at IS NULL AND expiration > :now AND current_views < maximum_views)"
_REQUEST_ACTIVE = "(deleted_at IS NULL AND expiration > :now)"
_SECRET_COLUMNS = (
    "id, slug, company, creator, description, message, maximum_views, current_views, "
    "expires_in_hours, expiration, password_hash IS NOT NULL AS has_password, captcha, "
    "otp_type, ip_whitelist, geolocation, attachments_count, created_at, updated_at, "
    f"deleted_at, CASE WHEN {_ACTIVE} THEN 0 ELSE 1 END AS is_expired"
)
_REQUEST_COLUMNS = (
    "id, token, company, creator, message, description, maximum_views, "
    "secret_expiration_hours, request_expiration_hours, email_to, email_reply, locale, "
    "expiration, created_at, updated_at, deleted_at, "
    f"CASE WHEN {_REQUEST_ACTIVE} THEN 0 ELSE 1 END AS is_expired"
)

# scrypt at n=2**14 costs ~16 MiB and tens of milliseconds: slow for guessing, fine here.
_SCRYPT = {"n": 1 << 14, "r": 8, "p": 1}
_PBKDF2_ROUNDS = 600_000


def hash_password(password: str) -> str:
    """A salted slow hash, self-describing so the check knows how to redo it."""
    salt = secrets.token_bytes(16)
    raw = password.encode("utf-8")
    try:
        digest = hashlib.scrypt(raw, salt=salt, dklen=32, **_SCRYPT)
        return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"
    except (AttributeError, ValueError):  # OpenSSL without scrypt
        digest = hashlib.pbkdf2_hmac("sha256", raw, salt, _PBKDF2_ROUNDS)
        return f"pbkdf2_sha256${_PBKDF2_ROUNDS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Constant-time comparison of a candidate against :func:`hash_password` output."""
    parts = stored.split("$")
    raw = password.encode("utf-8")
    if parts[0] == "scrypt" and len(parts) == 6:
        n, r, p = (int(x) for x in parts[1:4])
        salt, expected = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        digest = hashlib.scrypt(raw, salt=salt, n=n, r=r, p=p, dklen=len(expected))
    elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
        salt, expected = bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
        digest = hashlib.pbkdf2_hmac("sha256", raw, salt, int(parts[1]))
    else:
        return False
    return hmac.compare_digest(digest, expected)


def _fold(value: Optional[str]) -> str:
    return value.casefold() if value else ""


class Store:
    """All persistent state of the emulator."""

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

    # ------------------------------------------------------------------ secrets

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
                    f"SELECT COUNT(*) FROM secrets WHERE company = :company AND {_ACTIVE}",  # noqa: S608
                    {"company": company, "now": now},
                ).fetchone()
                if active >= quota:
                    return None
            while True:
                slug = "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))
                try:
                    cursor = conn.execute(
                        """INSERT INTO secrets (slug, company, creator, description, message,
                        content, key_a, iv, salt, maximum_views, expires_in_hours, expiration,
                        password_hash, captcha, otp_type, otp_receiver, ip_whitelist,
                        geolocation, attachments_count, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        (
                            slug,
                            company,
                            creator,
                            data.description,
                            data.message,
                            data.content,
                            data.key,
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
                f"SELECT {_SECRET_COLUMNS} FROM secrets WHERE slug = :slug AND company = :company",  # noqa: S608
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
        where, params = self._filters(company, now, status, creator, search, _ACTIVE)
        return self._page("secrets", _SECRET_COLUMNS, where, params, limit, page)

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

    def delete_secret(self, company: str, slug: str, now: float) -> bool:
        """Clear content and expire at once; ``False`` if unknown or already deleted."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE secrets SET content = NULL, key_a = NULL, deleted_at = :now, "
                "updated_at = :stamp, expiration = MIN(expiration, :now) "
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
        """Company statistics computed from the rows (SPEC field names)."""
        with self._lock:
            row = self._conn.execute(
                f"""SELECT COUNT(*) AS total_secrets,
                    COALESCE(SUM(CASE WHEN {_ACTIVE} THEN 1 ELSE 0 END), 0) AS active_secrets,
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

    # ------------------------------------------------------------------ reveal

    def reveal_info(self, slug: str, now: float) -> Optional[dict[str, Any]]:
        """What the reveal gate needs (protections, state), or ``None`` if not revealable.

        A secret found expired by time has its content cleared on the way.
        """
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT slug, description, message, password_hash, captcha, otp_type, "
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
                f"otp_type, CASE WHEN {_ACTIVE} AND content IS NOT NULL THEN 0 ELSE 1 END "
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
            row = conn.execute(
                "SELECT id, content, iv, salt, key_a, description, message, maximum_views, "
                "current_views FROM secrets WHERE slug = ?",
                (slug,),
            ).fetchone()
            attachments = []
            for name, data, size, file_iv in conn.execute(
                "SELECT name, data, size, iv FROM attachments WHERE secret_id = ? "
                "ORDER BY position",
                (row["id"],),
            ):
                entry: dict[str, Any] = {"name": name, "data": data, "size": size}
                if file_iv is not None:
                    entry["iv"] = file_iv
                attachments.append(entry)
            remaining = int(row["maximum_views"]) - int(row["current_views"])
            if remaining <= 0:
                self._clear_content(conn, slug)
            conn.execute("DELETE FROM attempts WHERE slug = ?", (slug,))
        return {
            "content": row["content"],
            "iv": row["iv"],
            "salt": row["salt"],
            "key": row["key_a"],
            "attachments": attachments,
            "description": row["description"],
            "message": row["message"],
            "remaining_views": remaining,
        }

    @staticmethod
    def _clear_content(conn: sqlite3.Connection, slug: str) -> None:
        conn.execute("UPDATE secrets SET content = NULL, key_a = NULL WHERE slug = ?", (slug,))
        conn.execute(
            "UPDATE attachments SET data = NULL WHERE secret_id = "
            "(SELECT id FROM secrets WHERE slug = ?)",
            (slug,),
        )
        conn.execute("DELETE FROM otp_codes WHERE slug = ?", (slug,))

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

    # ------------------------------------------------------------------ secret requests

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
                f"SELECT {_REQUEST_COLUMNS} FROM requests "  # noqa: S608
                "WHERE token = :token AND company = :company",
                {"token": token, "company": company, "now": now},
            ).fetchone()
        return dict(row) if row is not None else None

    def public_request(self, token: str, now: float) -> Optional[dict[str, Any]]:
        """What the request page shows to whoever holds the link; ``None`` if gone."""
        with self._lock:
            row = self._conn.execute(
                "SELECT message, description, expiration FROM requests "  # noqa: S608
                f"WHERE token = :token AND {_REQUEST_ACTIVE}",
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
        where, params = self._filters(company, now, status, creator, search, _REQUEST_ACTIVE)
        return self._page("requests", _REQUEST_COLUMNS, where, params, limit, page)

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
                    COALESCE(SUM(CASE WHEN {_REQUEST_ACTIVE} THEN 1 ELSE 0 END), 0)
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
