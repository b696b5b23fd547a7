"""Every documented limit of the service, once (docs/protocol.md#2-endpoints).

Both sides read these numbers: the SDK (``_validate``, ``_body``, ``crypto``)
and the emulator's request validation. A number
changed here changes both, which is why the emulator's tests spell the
documented values out literally instead of importing them: a wrong constant
here fails those tests rather than agreeing with itself.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "DEFAULT_HOURS",
    "DEFAULT_VIEWS",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENTS_BYTES",
    "MAX_HOURS",
    "MAX_IDEMPOTENCY_KEY",
    "MAX_REQUEST_VIEWS",
    "MAX_TEXT",
    "MAX_VIEWS",
    "MIN_HOURS",
    "MIN_VIEWS",
    "attachment_budget_problem",
]

#: A secret lives 1 to 1000 hours (``expiration_hours``); a request's two lifetimes too.
MIN_HOURS = 1
MAX_HOURS = 1000
#: A secret may be viewed 1 to 1000 times (``maximum_views``).
MIN_VIEWS = 1
MAX_VIEWS = 1000
#: A secret request allows 1 to 10 views of the secret it collects.
MAX_REQUEST_VIEWS = 10
#: Defaults when a body gives none: a secret lives 24 hours for one view.
DEFAULT_HOURS = 24
DEFAULT_VIEWS = 1
#: Free-text fields (description, message, ip_whitelist, geolocation, e-mail): characters.
MAX_TEXT = 255
#: At most 10 attachments, 10 MiB of plaintext in all.
MAX_ATTACHMENTS = 10
MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024
#: An ``Idempotency-Key``: 1 to 255 visible ASCII characters.
MAX_IDEMPOTENCY_KEY = 255


def attachment_budget_problem(files: int, total_bytes: int) -> Optional[str]:
    """What is wrong with ``files`` attachments of ``total_bytes`` plaintext in all, or None.

    The one statement of the budget's rule; phrased to follow the word
    "attachments" in a message or under ``details["attachments"]``.
    """
    if files > MAX_ATTACHMENTS:
        return f"must be at most {MAX_ATTACHMENTS} files"
    if total_bytes > MAX_ATTACHMENTS_BYTES:
        return f"must be at most {MAX_ATTACHMENTS_BYTES // (1024 * 1024)} MiB in all"
    return None
