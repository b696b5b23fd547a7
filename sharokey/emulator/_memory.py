"""Hand large blocks back to the system as soon as they are freed (glibc only).

A reveal of an 8 MiB secret builds a few answer-sized strings and frees them.
glibc raises its mmap threshold each time such a block is freed, so the next
ones come from the heap, which fragments and keeps growing: 30 reveals took the
emulator from 95 to about 160 MB. Pinning the threshold at 1 MiB keeps every
large block an mmap of its own, returned on free (measured: the peak stays at
the create's, 95 MB). Called once by the standalone emulator's command line;
an emulator running inside a test process leaves that process's allocator alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["return_large_blocks"]

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
_THRESHOLD = 1024 * 1024


def return_large_blocks() -> bool:
    """Pin glibc's mmap threshold; ``False`` where there is no glibc (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD))
