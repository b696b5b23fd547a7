"""Short pauses that hand the GIL back to an event loop waiting for it.

A worker thread running Python or GIL-holding C code (base64, copying a
piece of the body) keeps the GIL until it blocks or until the interpreter's
switch interval (5 ms) forces it out; an event loop coming back from a
syscall meanwhile waits for it, once per syscall. The async client's worker
threads therefore pause for a moment between pieces of big work
(:func:`breathe`), so a waiting loop takes the GIL at once. Other threads
(the sync client, a caller's own) never pause: there is no loop to let in.
"""

from __future__ import annotations

import threading
import time

__all__ = ["PAUSE", "breathe", "pausing_worker"]

#: Seconds a pausing worker sleeps between pieces: long enough for a woken thread
#: to take the GIL (``time.sleep(0)`` releases it, but the releasing thread
#: usually takes it back first), short enough to cost little.
PAUSE = 50e-6

_worker = threading.local()


def pausing_worker() -> None:
    """Mark the calling thread as one that pauses (a thread pool's ``initializer``)."""
    _worker.pause = PAUSE


def breathe() -> None:
    """Between two pieces of big work: pause if this thread is a pausing worker."""
    pause: float = getattr(_worker, "pause", 0.0)
    if pause:
        time.sleep(pause)
