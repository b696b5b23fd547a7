"""How a credential is shown where people read: the one masking rule.

API tokens and secret-request tokens are credentials (whoever holds a
request token can answer the request). Logs, ``repr``, the CLI and the
emulator's access log show at most the first 4 characters, and nothing of
a credential short enough that 4 characters would be half of it.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["mask", "mask_request_tokens"]

#: Shown when there is no credential at all.
NONE_SHOWN = "(none)"
_SHOWN = 4
_ELLIPSIS = "…"
# A request token in a path: the API's /requests/<token> and the emulator's page /r/<token>.
_TOKEN_IN_PATH = re.compile(r"(/requests/|/r/)([^/?#\s\"']+)")


def mask(credential: Optional[str]) -> str:
    """``credential`` as safe to show: its first 4 characters and an ellipsis."""
    if not credential:
        return NONE_SHOWN
    # A credential of 8 characters or less would be half given away.
    return (credential[:_SHOWN] if len(credential) > 2 * _SHOWN else "") + _ELLIPSIS


def mask_request_tokens(text: str) -> str:
    """``text`` with every request token in a path (``/requests/T``, ``/r/T``) masked."""
    return _TOKEN_IN_PATH.sub(lambda m: m.group(1) + mask(m.group(2)), text)
