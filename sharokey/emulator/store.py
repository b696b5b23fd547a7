"""The emulator's SQLite store: every persistent thing it knows.

:class:`Store` is one connection (``tables.database``) with the rows of each
resource on it: secrets (``tables.secrets``), the reveal gate
(``tables.reveal``) and secret requests (``tables.requests``). The app runs
its methods in worker threads, never on the event loop.
"""

from __future__ import annotations

from sharokey.emulator.tables.requests import RequestRows
from sharokey.emulator.tables.reveal import RevealRows
from sharokey.emulator.tables.secrets import SecretRows

__all__ = ["Store"]


class Store(SecretRows, RevealRows, RequestRows):
    """All persistent state of the emulator."""
