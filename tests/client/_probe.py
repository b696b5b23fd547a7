"""One call against a hostile server, in a process of its own, measured.

``python _probe.py sync|async API_URL TOTAL_SECONDS`` calls ``get_stats`` once
(no retries) and prints one JSON line: the error's class and code, the
seconds the call took, and the growth of the process's peak resident memory
(``VmHWM``, else ``ru_maxrss``) over its peak before the call, in MiB. Run as a
subprocess so the peak is this call's alone.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any


def peak_mib() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(kind: str, api_url: str, total: float) -> dict[str, Any]:
    import aiohttp  # noqa: F401 - loaded before the baseline, as the call would

    import sharokey

    timeout = sharokey.Timeout(connect=5, read=30, total=total)
    outcome: dict[str, Any] = {"error": None, "code": None}
    if kind == "sync":
        client: Any = sharokey.Sharokey("tok", api_url=api_url, timeout=timeout, max_retries=0)
    else:
        client = sharokey.AsyncSharokey("tok", api_url=api_url, timeout=timeout, max_retries=0)
    baseline = peak_mib()
    started = time.monotonic()
    try:
        if kind == "sync":
            client.get_stats()
        else:
            asyncio.run(client.get_stats())
    except sharokey.SharokeyError as exc:
        outcome.update(error=type(exc).__name__, code=exc.code, message=exc.message)
    outcome["seconds"] = round(time.monotonic() - started, 2)
    outcome["peak_mib_over_baseline"] = round(peak_mib() - baseline, 1)
    return outcome


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], float(sys.argv[3]))))
