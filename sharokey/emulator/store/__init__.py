"""The emulator's SQLite store: every persistent thing it knows.

:class:`Store` is one connection (``database``) with the rows of each
resource on it: secrets (``secret_rows``), the reveal gate (``reveal_rows``)
and secret requests (``request_rows``). The app runs its methods in worker
threads, never on the event loop.
"""

from __future__ import annotations

from sharokey.emulator.store.request_rows import RequestRows
from sharokey.emulator.store.reveal_rows import RevealRows
from sharokey.emulator.store.secret_rows import SecretRows

__all__ = ["Store"]


class Store(SecretRows, RevealRows, RequestRows):
    """All persistent state of the emulator."""
