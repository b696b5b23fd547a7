"""The emulator's memory stays bounded whatever clients send (docs/protocol.md#emulator-safety).

Measured, not assumed: the emulator runs as ``python -m sharokey.emulator`` in a process of
its own, and its peak resident set (``VmHWM`` in ``/proc/PID/status``) is read after eight
parallel 14 MiB bodies without a token and thirty reveals of an 8 MiB secret, each with its
own ``Idempotency-Key``. Before the caps, the first took it to 1.6 GB and the second to 536 MB.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from ._support import payload

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/PID/status"),
]

MIB = 1024 * 1024
LIMIT_MB = 150
TOKEN = "memory-test-token-0001"


class Emulator:
    def __init__(self, process: subprocess.Popen[str], api_url: str) -> None:
        self.process = process
        self.api_url = api_url

    def memory_mb(self, field: str) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        assert found is not None, status
        return int(found.group(1)) / 1024


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("COV_CORE_SOURCE", None)  # measure the emulator, not the coverage tracer
    argv = [sys.executable, "-m", "sharokey.emulator", "--port", "0", "--db", ":memory:"]
    argv += ["--token", TOKEN, "--log-level", "warning"]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"listening on (\S+)", first)
        assert found is not None, first
        yield Emulator(process, found.group(1))
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _post_quietly(url: str, body: bytes) -> int:
    """The status, or 0 when the emulator closed the connection while the body was going out."""
    try:
        return requests.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=60
        ).status_code
    except requests.ConnectionError:
        return 0


def test_memory_stays_under_150_mb_through_large_bodies_and_large_reveals(
    emulator: Emulator,
) -> None:
    started = emulator.memory_mb("VmRSS")
    flood = b"[" + b"[]," * (14 * MIB // 3 - 1) + b"[]]"
    targets = [f"{emulator.api_url}/secrets/NOSUCHSL/reveal", f"{emulator.api_url}/secrets"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: _post_quietly(targets[i % 2], flood), range(8)))
    assert set(statuses) <= {0, 401, 413}, statuses
    after_bodies = emulator.memory_mb("VmHWM")

    data = base64.b64encode(os.urandom(8 * MIB + 16)).decode()
    body = payload(maximum_views=100, attachments=[{"name": "big.bin", "data": data}])
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with requests.Session() as http:
        made = http.post(f"{emulator.api_url}/secrets", json=body, headers=auth, timeout=60)
        assert made.status_code == 201, made.text
        del body, data
        url = f"{emulator.api_url}/secrets/{made.json()['data']['slug']}/reveal"
        for index in range(30):
            shown = http.post(url, json={}, headers={"Idempotency-Key": f"key-{index}"}, timeout=60)
            assert shown.status_code == 200
            assert len(shown.content) > 8 * MIB
    peak = emulator.memory_mb("VmHWM")
    print(  # shown with -s: the numbers the report quotes
        f"emulator RSS: {started:.0f} MB at start, peak {after_bodies:.0f} MB after the "
        f"bodies, peak {peak:.0f} MB after the reveals"
    )
    assert after_bodies < LIMIT_MB
    assert peak < LIMIT_MB
