"""The SDK's security warnings, shown as one readable line each instead of a warning dump.

The shared-nonce warning is recognised exactly (its category and its one
text, :data:`sharokey.crypto.SHARED_NONCE_WARNING`) and replaced by
:data:`SHARED_NONCE_LINE`, which names the CLI's own option.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sharokey._cli import output
from sharokey._cli.context import note
from sharokey.errors import SharokeySecurityWarning

__all__ = ["SHARED_NONCE_LINE", "forward_warnings", "sdk_warnings"]

SHARED_NONCE_LINE = (
    "warning: the attachments use the official shared-nonce format, which lets the server "
    "combine the ciphertexts and may expose the content; pass --unique-nonces for a fresh "
    "nonce per file (the hosted web viewer can only open the shared format)."
)


def _is_shared_nonce_warning(item: warnings.WarningMessage) -> bool:
    # Imported here: `sharokey config` loads this module and needs no cryptography.
    from sharokey.crypto import SHARED_NONCE_WARNING

    return issubclass(item.category, SharokeySecurityWarning) and (
        str(item.message) == SHARED_NONCE_WARNING
    )


def forward_warnings(caught: list[warnings.WarningMessage], *, shared_expected: bool) -> None:
    """One ``warning:`` line on stderr per security warning; the shared-nonce one at most once."""
    shared_said = False
    for item in caught:
        if not issubclass(item.category, SharokeySecurityWarning):
            continue
        if _is_shared_nonce_warning(item):
            if not shared_said:
                note(SHARED_NONCE_LINE)
                shared_said = True
            continue
        note("warning: " + output.clean(" ".join(str(item.message).split())))
    # The SDK warns once per process; a long-lived caller of main() still gets the line.
    if shared_expected and not shared_said:
        note(SHARED_NONCE_LINE)


@contextmanager
def sdk_warnings(*, shared_expected: bool = False) -> Iterator[None]:
    """Show the SDK's security warnings as one readable line each, not a warning dump."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SharokeySecurityWarning)
        yield
    forward_warnings(caught, shared_expected=shared_expected)
