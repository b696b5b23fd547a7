"""Benchmarks of the Sharokey SDK against raw floors and the official SDK 1.0.0.

``python -m benchmarks`` runs every scenario against an emulator started in
its own process (so the client's CPU and memory are measured apart from the
server's), interleaving the contenders round by round, and prints medians and
ratios measured in the same run. See ``benchmarks/README.md``.
"""

from __future__ import annotations

__all__: list[str] = []
