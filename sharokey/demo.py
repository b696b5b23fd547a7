"""``sharokey demo``: the whole mission, end to end, on the embedded emulator.

It starts the emulator in-process on a free loopback port, then walks what a
user does with the SDK (create with a file, list, inspect, reveal through the
share link, see a one-view secret refuse a second reveal, delete, count) and
the same through ``AsyncSharokey``. Every step is checked, not just run: the
exit status is 0 only when all of them held. No token, network or
configuration is needed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from typing import Any, Callable, Optional, TextIO

from sharokey._mask import mask

__all__ = ["main"]

_FILE_NAME = "deploy-key.pem"


class _Transcript:
    """Prints numbered steps and remembers whether every check held."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failures = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def check(self, label: str, ok: bool, detail: str = "") -> None:
        mark = "ok " if ok else "FAIL"
        suffix = f"  ({detail})" if detail else ""
        self.say(f"   [{mark}] {label}{suffix}")
        if not ok:
            self.failures += 1

    def expect_error(
        self, label: str, error_type: type[BaseException], call: Callable[[], Any]
    ) -> None:
        try:
            call()
        except error_type as exc:
            self.check(label, True, f"{type(exc).__name__}: {getattr(exc, 'message', exc)}")
        else:
            self.check(label, False, f"no {error_type.__name__} raised")


def _mask_link(url: str) -> str:
    """Show a share link with its key fragment shortened: the demo prints, users copy."""
    base, _, fragment = url.partition("#")
    return f"{base}#{mask(fragment)}" if fragment else base


def _sync_walk(t: _Transcript, api_url: str, token: str, db_path: Optional[str]) -> None:
    from sharokey import NotFoundError, Sharokey

    content = "db password: " + secrets.token_urlsafe(12)
    file_bytes = (
        b"-----BEGIN DEMO KEY-----\n" + secrets.token_bytes(2048) + b"\n-----END DEMO KEY-----\n"
    )

    with Sharokey(token, api_url=api_url, attachment_nonces="unique") as client:
        t.say("1. Create a one-view secret with a file (encrypted here, unique nonces)")
        created = client.create(
            content,
            hours=2,
            views=1,
            description="Demo: production database",
            attachments=[(_FILE_NAME, file_bytes)],
        )
        t.check("created", bool(created.slug), f"slug {created.slug}")
        t.check(
            "share link carries the key in its fragment",
            "#" in created.share_url,
            _mask_link(created.share_url),
        )

        if db_path is not None:
            stored = b"".join(  # the database and its journal files, as they are on disk
                open(os.path.join(folder, name), "rb").read()  # noqa: SIM115
                for folder in [os.path.dirname(db_path)]
                for name in sorted(os.listdir(folder))
            )
            t.check(
                "the server's database holds neither the text nor the file",
                content.encode() not in stored and file_bytes[30:90] not in stored,
            )

        t.say("2. List the company's secrets")
        page = client.list_secrets(status="active", limit=10)
        slugs = [s.slug for s in page]
        t.check("the new secret is listed", created.slug in slugs, f"{len(slugs)} active")

        t.say("3. Show its details (metadata only; no view is counted)")
        details = client.get_details(created.slug)
        t.check(
            "details match",
            details.description == "Demo: production database"
            and details.current_views == 0
            and details.has_attachments is True,
            f"views {details.current_views}/{details.maximum_views}, status {details.status}",
        )

        t.say("4. Reveal through the share link and verify text and file")
        revealed = client.reveal(created.share_url)
        t.check("content decrypts to what was sent", revealed.content == content)
        files = {a.name: a.data for a in revealed.attachments}
        t.check(
            "the file decrypts byte for byte",
            files.get(_FILE_NAME) == file_bytes,
            f"{len(files.get(_FILE_NAME, b''))} bytes",
        )

        t.say("5. A second reveal of a one-view secret is refused")
        t.expect_error(
            "second reveal refused", NotFoundError, lambda: client.reveal(created.share_url)
        )

        t.say("6. Delete a secret: its content is gone, its metadata stays")
        other = client.create("short-lived " + secrets.token_hex(4), hours=1, views=3)
        client.delete(other.slug)
        gone = client.get_details(other.slug)
        t.check("deleted secret shows as expired", gone.is_expired is True, f"status {gone.status}")
        t.expect_error(
            "its link no longer reveals",
            NotFoundError,
            lambda: client.reveal(other.share_url),
        )

        t.say("7. Company statistics")
        stats = client.get_stats()
        t.check(
            "statistics count both secrets and the one view",
            stats.total_secrets == 2 and stats.expired_secrets == 2 and stats.total_views == 1,
            f"total {stats.total_secrets}, active {stats.active_secrets}, "
            f"expired {stats.expired_secrets}, views {stats.total_views}",
        )


def _async_walk(t: _Transcript, api_url: str, token: str) -> None:
    import asyncio

    from sharokey import AsyncSharokey

    async def walk() -> None:
        async with AsyncSharokey(token, api_url=api_url, attachment_nonces="unique") as client:
            content = "async secret " + secrets.token_hex(6)
            created = await client.create(
                content, views=2, attachments=[("notes.txt", b"from asyncio")]
            )
            revealed = await client.reveal(created.share_url)
            t.check(
                "AsyncSharokey: create, then reveal",
                revealed.content == content and revealed.attachments[0].data == b"from asyncio",
                f"{revealed.remaining_views} view left",
            )
            seen = [s.slug async for s in client.list_secrets(limit=1)]
            t.check(
                "AsyncSharokey: async for walks every page",
                created.slug in seen,
                f"{len(seen)} secrets",
            )

    t.say("8. The same through AsyncSharokey")
    asyncio.run(walk())


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None) -> int:
    """Run the demo; 0 only when every step checked out."""
    parser = argparse.ArgumentParser(
        prog="sharokey demo",
        description="Walk the SDK end to end against an embedded emulator (no token, no network).",
    )
    parser.parse_args(argv)
    t = _Transcript(out or sys.stdout)

    try:
        from sharokey.emulator import run_emulator
    except ImportError as exc:  # aiohttp is an extra
        print(
            "error: the demo needs the emulator and aiohttp: pip install 'sharokey[aiohttp]' "
            f"({exc.name} is missing)",
            file=sys.stderr,
        )
        return 1

    token = "demo_" + secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="sharokey-demo-") as tmp:
        db_path = os.path.join(tmp, "emulator.sqlite3")
        with run_emulator(tokens=[token], db=db_path) as emu:
            t.say(f"Sharokey demo: emulator on {emu.api_url}")
            try:
                _sync_walk(t, emu.api_url, token, db_path)
                _async_walk(t, emu.api_url, token)
            except Exception as exc:  # a step that raised is a failed step, reported plainly
                t.check("the walk completed", False, f"{type(exc).__name__}: {exc}")

    if t.failures:
        t.say(f"Demo FAILED: {t.failures} check(s) did not hold.")
        return 1
    t.say("Demo complete: every check held.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
