"""The raw floors: the least any client must do to create a secret, with nothing else.

The same PBKDF2 and AES-GCM as the SDK (pycryptodome), base64, a compact
JSON body with the same fields, and the same request headers (including an
``Idempotency-Key``, so the emulator does the same work for the floor as for
the SDK and the difference measured is the client's own). No validation, no
models, no retries, no response parsing beyond the status.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import string
import uuid
from collections.abc import Awaitable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import PBKDF2

from benchmarks._common import ProbeError

__all__ = ["create_body", "get_headers", "hop_create", "post_headers", "timed_hop_creates"]

_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits
_USER_AGENT = "sharokey-bench-floor/1.0"

T = TypeVar("T")


def get_headers(token: str) -> dict[str, str]:
    return {
        "Accept": "application/json",
        "User-Agent": _USER_AGENT,
        "Authorization": f"Bearer {token}",
    }


def post_headers(token: str) -> dict[str, str]:
    headers = get_headers(token)
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def create_body(content: str, files: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """The create body: key, PBKDF2, AES-GCM (files share the content's nonce), base64."""
    key = "".join(secrets.choice(_ALPHABET) for _ in range(32))
    salt = secrets.token_bytes(16)
    iv = secrets.token_bytes(12)
    aes_key = PBKDF2(key.encode("utf-8"), salt, dkLen=32, count=10_000, hmac_hash_module=SHA256)
    sealed, tag = AES.new(aes_key, AES.MODE_GCM, nonce=iv).encrypt_and_digest(
        content.encode("utf-8")
    )
    fields: dict[str, object] = {
        "iv": _b64(iv).decode(),
        "salt": _b64(salt).decode(),
        "key": key[:8],
        "expiration_hours": 24,
        "maximum_views": 1,
        "content": _b64(sealed + tag).decode(),
    }
    if not files:
        return json.dumps(fields, separators=(",", ":")).encode()
    fields["attachments_total_size"] = sum(len(data) for _, data in files)
    parts = [json.dumps(fields, separators=(",", ":"))[:-1].encode(), b',"attachments":[']
    for index, (name, data) in enumerate(files):
        sealed, tag = AES.new(aes_key, AES.MODE_GCM, nonce=iv).encrypt_and_digest(data)
        meta = json.dumps({"name": name, "size": len(data)}, separators=(",", ":"))[:-1]
        parts.append((b"," if index else b"") + meta.encode() + b',"data":"')
        parts.append(_b64(sealed + tag))
        parts.append(b'"}')
    parts.append(b"]}")
    return b"".join(parts)


async def hop_create(session: Any, pool: Executor, api_url: str, token: str, content: str) -> int:
    """The async create floor: :func:`create_body` in ``pool`` (one hop off the loop), one POST.

    ``session`` is an ``aiohttp.ClientSession``; the answer is read whole. Returns
    its status: each caller judges it in its own words.
    """
    body = await asyncio.get_running_loop().run_in_executor(pool, create_body, content)
    headers = post_headers(token)
    async with session.post(api_url + "/secrets", data=body, headers=headers) as answer:
        await answer.read()
        status: int = answer.status
        return status


async def timed_hop_creates(
    api_url: str,
    token: str,
    content: str,
    timing: Callable[[Callable[[], Awaitable[None]]], Awaitable[T]],
) -> T:
    """``timing(create)``, each ``create`` a :func:`hop_create` of ``content`` checked for 201.

    One worker per core and one aiohttp session for all of them, as the async
    client has: the floor of the sequential and the concurrent scenarios alike.
    """
    import aiohttp

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        async with aiohttp.ClientSession() as session:

            async def create() -> None:
                status = await hop_create(session, pool, api_url, token, content)
                if status != 201:
                    raise ProbeError(f"floor create: HTTP {status}")

            return await timing(create)
