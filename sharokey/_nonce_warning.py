"""The shared-nonce warning: one text, one rule, once per process.

Sealing attachments in the official shared-nonce format lets whoever stores
the ciphertexts read the content (docs/security.md). It is the default, for
the hosted viewer's sake, so taking that default says so: once per process,
not once per call site (which is all the warnings filter alone would do).
``sharokey.crypto`` re-exports the text and the function.
"""

from __future__ import annotations

import threading
import warnings

from sharokey.errors import SharokeySecurityWarning

__all__ = ["SHARED_NONCE_WARNING", "reset", "warn_shared_nonces"]

# The one piece of module state: the shared-nonce warning is shown once per process
# (not once per call site, which is what the warnings filter alone would do).
_warning_lock = threading.Lock()
_shared_warning_emitted = False

#: The one text of the shared-nonce warning, raised by :func:`warn_shared_nonces`.
SHARED_NONCE_WARNING = (
    "Attachments are sealed in the official shared-nonce format: the content and every "
    "attachment use the same AES-GCM key and nonce, so whoever stores the ciphertexts (the "
    "server) can XOR them and read the content when a file has a predictable header. The "
    "hosted web viewer needs this format. Accept it knowingly with attachment_nonces='shared' "
    "on a client (nonces='shared' for seal), or use attachment_nonces='unique' "
    "(nonces='unique') for a fresh nonce per attachment, opened by this SDK and the "
    "emulator's viewer but not by the hosted viewer. See docs/security.md."
)


def reset() -> None:
    """Forget that the shared-nonce warning was shown (for tests)."""
    global _shared_warning_emitted
    with _warning_lock:
        _shared_warning_emitted = False


def warn_shared_nonces(stacklevel: int = 2) -> None:
    """The one rule: warn once per process when attachments get the shared format by default.

    Called where the default is taken (``seal(nonces=None)``, a client built
    without ``attachment_nonces``), with ``stacklevel`` pointing at the
    caller's own line. Under an ``error`` filter it raises on every call.
    """
    global _shared_warning_emitted
    with _warning_lock:
        if _shared_warning_emitted:
            return
        _shared_warning_emitted = True
    try:
        warnings.warn(SHARED_NONCE_WARNING, SharokeySecurityWarning, stacklevel=stacklevel + 1)
    except BaseException:
        with _warning_lock:
            _shared_warning_emitted = False
        raise
