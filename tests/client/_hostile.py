"""A hostile HTTP server on loopback: the answers a careless client would drown in.

Raw asyncio, not a framework, so every byte is the test's: a gzip bomb, a
``Content-Length`` that understates what the body decodes to, endless
chunked or close-delimited bodies, headers or a body trickled a byte at a
time, JSON nested 100,000 deep, server text full of terminal escapes,
pagination that never ends, 404s that are not the API's. The first path
segment picks the behaviour: a client built with ``api_url=server.url("bomb")``
meets the bomb on every call. Each request's headers are kept in ``seen``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

__all__ = ["ESCAPES", "Hostile", "bomb", "hostile_server"]

#: Retitles the window, clears the screen, writes the clipboard (OSC 52), then a C1 CSI.
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07\x9b31m"
GIB = 1024 * 1024 * 1024
_PIECE = 64 * 1024


@functools.cache
def bomb(decoded: int = GIB) -> bytes:
    """A gzip member that inflates to ``decoded`` bytes of JSON whitespace (~1 MB per GiB)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    block = b" " * (4 * 1024 * 1024)
    parts = [packer.compress(block) for _ in range(decoded // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _json(status: int, payload: Any) -> bytes:
    body = json.dumps(payload).encode("utf-8")
    head = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Connection": "close",
    }
    return _head(status, head) + body


def _envelope(data: Any, **extra: Any) -> dict[str, Any]:
    return {"success": True, "data": data, **extra}


def _failure(code: str, message: str, details: Optional[dict[str, Any]] = None) -> Any:
    return {"success": False, "error": {"code": code, "message": message, "details": details or {}}}


def _deep(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


class Hostile:
    """The running server: ``url(mode)`` is an API URL meeting that behaviour."""

    def __init__(self) -> None:
        self.port = 0
        self.seen: list[dict[str, str]] = []
        self.seen_paths: list[str] = []

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/api/v1"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            if headers.get("content-length"):
                await reader.readexactly(int(headers["content-length"]))
            self.seen.append(headers)
            self.seen_paths.append(target)
            await self._answer(method, target, writer)
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            asyncio.CancelledError,  # the server is stopping
        ):
            pass
        finally:
            with suppress(Exception):
                writer.close()

    async def _endless(self, writer: asyncio.StreamWriter, piece: bytes) -> None:
        # Until the client hangs up (or a test's process ends): never a last byte.
        while True:
            writer.write(piece)
            await writer.drain()

    async def _trickle(self, writer: asyncio.StreamWriter, data: bytes, every: float) -> None:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)

    async def _answer(self, method: str, target: str, writer: asyncio.StreamWriter) -> None:
        parts = urlsplit(target)
        segments = parts.path.strip("/").split("/")
        mode, rest = segments[0], "/" + "/".join(segments[3:])
        query = parse_qs(parts.query)
        write: Callable[[bytes], None] = writer.write
        if mode == "bomb":
            body = bomb()
            write(_head(200, {"Content-Encoding": "gzip", "Content-Length": str(len(body))}))
            write(body)
        elif mode == "lying":
            # Says 16 MiB, under the cap; those bytes are gzip members of a GiB each.
            member = bomb()
            write(_head(200, {"Content-Encoding": "gzip", "Content-Length": str(16 * 2**20)}))
            await self._endless(writer, member)
        elif mode == "plain":
            write(_head(200, {"Content-Length": str(GIB)}))
            await self._endless(writer, b" " * _PIECE)
        elif mode == "chunked":
            write(_head(200, {"Transfer-Encoding": "chunked"}))
            await self._endless(writer, b"%x\r\n%s\r\n" % (_PIECE, b" " * _PIECE))
        elif mode == "close":
            write(_head(200, {"Connection": "close"}))
            await self._endless(writer, b" " * _PIECE)
        elif mode == "trickle-headers":
            write(b"HTTP/1.1 200 OK\r\n")
            await self._trickle(writer, b"".join(b"X-%d: a\r\n" % i for i in range(120)), 0.2)
        elif mode == "trickle-body":
            write(_head(200, {"Content-Length": "1000", "Content-Type": "application/json"}))
            await self._trickle(writer, b" " * 1000, 0.2)
        elif mode.startswith("deep-"):
            body = _deep()
            write(_head(int(mode[5:]), {"Content-Length": str(len(body))}) + body)
        elif mode == "html404":
            body = b"<!doctype html><html><body><h1>404 Not Found</h1></body></html>"
            write(_head(404, {"Content-Type": "text/html", "Content-Length": str(len(body))}))
            write(body)
        elif mode == "odd-length":
            # A Content-Length of superscript two (latin-1 0xB2): str.isdigit() says yes.
            body = json.dumps(_envelope({"slug": "ODD1"})).encode()
            write(_head(200, {"Content-Length": "\u00b2", "Connection": "close"}) + body)
        elif mode == "envelope404":
            write(_json(404, _failure("NOT_FOUND", "The requested resource does not exist")))
        elif mode == "pages":
            page = int(query.get("page", ["1"])[0])
            pagination = {"current_page": page, "last_page": 10**12, "per_page": 10}
            write(_json(200, _envelope([], pagination=pagination)))
        elif mode == "escapes":
            write(self._escapes(method, rest))
        else:  # "echo": a plain well-formed answer; the test reads ``seen``
            write(self._echo(rest))
        await writer.drain()

    def _echo(self, rest: str) -> bytes:
        if rest.endswith("/reveal"):
            return _json(404, _failure("NOT_FOUND", "Secret not found or expired"))
        if rest == "/secrets-stats":
            return _json(200, _envelope({"total_secrets": 1}))
        return _json(200, _envelope({"status": "ok"}))

    def _escapes(self, method: str, rest: str) -> bytes:
        secret = {
            "slug": "ESC1",
            "description": f"desc{ESCAPES}",
            "message": f"msg{ESCAPES}",
            "creator": f"creator{ESCAPES}",
            "status": f"active{ESCAPES}",
            "maximum_views": 3,
            "current_views": 1,
            "attachments": [{"name": f"file{ESCAPES}.txt", "size": 3}],
        }
        if rest == "/secrets" and method == "GET":
            return _json(200, _envelope([secret], pagination={"current_page": 1, "last_page": 1}))
        if rest == "/secrets/ESC1":
            return _json(200, _envelope(secret))
        if rest == "/secrets/OTP1/reveal":
            details = {"channel": f"email{ESCAPES}", "destination": f"a***@x{ESCAPES}.com"}
            return _json(401, _failure("OTP_REQUIRED", f"code sent{ESCAPES}", details))
        if rest == "/requests":
            request = {"token": "tok1", "description": f"req{ESCAPES}", "status": "active"}
            return _json(200, _envelope([request]))
        return _json(
            422,
            _failure(
                "VALIDATION_ERROR",
                f"refused{ESCAPES}",
                {"description": [f"bad{ESCAPES}"], f"field{ESCAPES}": [f"no{ESCAPES}"]},
            ),
        )


@contextmanager
def hostile_server() -> Iterator[Hostile]:
    """Start the server on a loopback port in a thread of its own; stop it afterwards."""
    hostile = Hostile()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    server: list[asyncio.AbstractServer] = []

    async def start() -> None:
        found = await asyncio.start_server(hostile._serve, "127.0.0.1", 0)
        hostile.port = found.sockets[0].getsockname()[1]
        server.append(found)
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, name="hostile-server", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the hostile server did not start")
    try:
        yield hostile
    finally:

        async def stop() -> None:
            server[0].close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
