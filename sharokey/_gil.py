"""Big work beside an event loop: short pauses that hand the GIL back, and lazy buffers.

A worker thread running Python or GIL-holding C code (base64, copying a
piece of the body) keeps the GIL until it blocks or until the interpreter's
switch interval (5 ms) forces it out; an event loop coming back from a
syscall meanwhile waits for it, once per syscall. The async client's worker
threads therefore pause for a moment between pieces of big work
(:func:`breathe`), so a waiting loop takes the GIL at once. Other threads
(the sync client, a caller's own) never pause: there is no loop to let in.
A pause costs more than it asks for (``time.sleep(50e-6)`` takes about
140 µs here), so a worker pauses at most once per :data:`EVERY` of work,
not between every two pieces.
"""

from __future__ import annotations

import mmap
import threading
import time
from typing import Union

__all__ = ["EVERY", "PAUSE", "breathe", "pausing_worker", "scratch"]

#: Seconds a pausing worker sleeps between pieces: long enough for a woken thread
#: to take the GIL (``time.sleep(0)`` releases it, but the releasing thread
#: usually takes it back first), short enough to cost little.
PAUSE = 50e-6
#: Seconds of work between two pauses, at least: a waiting loop gets the GIL within
#: about this plus one piece (each well under a millisecond), and a 10 MiB create
#: pauses about 20 times instead of about 100.
EVERY = 1e-3

_worker = threading.local()


def pausing_worker() -> None:
    """Mark the calling thread as one that pauses (a thread pool's ``initializer``)."""
    _worker.pause = PAUSE


def breathe() -> None:
    """Between two pieces of big work (never after the last): pause if a pausing worker.

    Only when :data:`EVERY` has passed since this thread's last pause.
    """
    pause: float = getattr(_worker, "pause", 0.0)
    if pause and time.monotonic() - getattr(_worker, "paused", 0.0) >= EVERY:
        time.sleep(pause)
        _worker.paused = time.monotonic()


#: Buffers from this size on come from :func:`scratch`'s anonymous mapping.
SCRATCH_FROM = 1024 * 1024


def scratch(size: int) -> Union[bytearray, mmap.mmap]:
    """A writable buffer of ``size`` zero bytes whose pages are touched only when written.

    ``bytearray(size)`` zeroes (and so faults in) every page at once while holding
    the GIL: several milliseconds for 10 MiB. An anonymous mapping is zero
    already, so its pages are faulted in by whoever writes them first (the
    cipher, which runs without the GIL). Freed when the last reference goes.
    """
    if size < SCRATCH_FROM:
        return bytearray(size)
    return mmap.mmap(-1, size)
