"""Typed models of everything the service returns.

Frozen, slotted, keyword-only attrs classes, named as the wire names them.
Every field but the identifier is optional: the service omits fields freely
and the SDK must not fail on a sparse but valid answer. Fields that carry
key material, content or credentials are kept out of ``repr``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import attrs

from sharokey._mask import mask
from sharokey.crypto import OpenedAttachment

__all__ = [
    "AttachmentInfo",
    "CreatedSecret",
    "Health",
    "Pagination",
    "RequestList",
    "RequestStats",
    "RevealedSecret",
    "Secret",
    "SecretList",
    "SecretRequest",
    "SecretStats",
]


@attrs.frozen(kw_only=True)
class AttachmentInfo:
    """An attachment as the metadata shows it: its name only, never its data."""

    name: str


@attrs.frozen(kw_only=True)
class Secret:
    """A secret as listed or detailed: metadata only, never content."""

    slug: str
    description: Optional[str] = None
    message: Optional[str] = None
    creator: Optional[str] = None
    maximum_views: Optional[int] = None
    current_views: Optional[int] = None
    expiration: Optional[datetime] = None
    has_password: Optional[bool] = None
    has_attachments: Optional[bool] = None
    attachments_count: Optional[int] = None
    attachments: Optional[list[AttachmentInfo]] = None
    captcha: Optional[bool] = None
    otp_type: Optional[str] = None
    ip_whitelist: Optional[str] = None
    geolocation: Optional[str] = None
    is_expired: Optional[bool] = None
    status: Optional[str] = None
    access_url: Optional[str] = None
    # A server-built share_url may carry a placeholder fragment; never shown in repr.
    share_url: Optional[str] = attrs.field(default=None, repr=False)
    expires_in_hours: Optional[int] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    @property
    def is_active(self) -> bool:
        """True while the secret can still be revealed, by the server's own word."""
        if self.is_expired is not None:
            return not self.is_expired
        return self.status == "active"


@attrs.frozen(kw_only=True)
class CreatedSecret(Secret):
    """The answer to ``create``: ``share_url`` is the full link, keyB in its fragment.

    The link is the secret: give it only to the recipient. It is never shown
    in ``repr``.
    """

    share_url: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class Pagination:
    """Counters of one page of a listing."""

    current_page: int = 1
    per_page: Optional[int] = None
    total: Optional[int] = None
    last_page: int = 1

    @property
    def has_next(self) -> bool:
        return self.current_page < self.last_page


@attrs.frozen(kw_only=True)
class SecretList:
    """One page of secrets as the server sent it (both wire shapes parse to this)."""

    data: list[Secret]
    pagination: Pagination


@attrs.frozen(kw_only=True)
class SecretStats:
    """Company-wide counters of secrets."""

    total_secrets: int = 0
    active_secrets: int = 0
    expired_secrets: int = 0
    total_views: int = 0
    secrets_with_password: int = 0
    secrets_created_today: int = 0
    secrets_created_this_week: int = 0
    secrets_created_this_month: int = 0


@attrs.frozen(kw_only=True)
class SecretRequest:
    """A request asking someone to send you a secret.

    ``token`` is a credential (whoever holds it can answer the request):
    ``repr`` masks it (``sharokey._mask``).
    """

    token: str = attrs.field(repr=lambda t: mask(t) if t else repr(t))
    message: Optional[str] = None
    description: Optional[str] = None
    maximum_views: Optional[int] = None
    secret_expiration_hours: Optional[int] = None
    request_expiration_hours: Optional[int] = None
    email_to: Optional[str] = None
    email_reply: Optional[str] = None
    locale: Optional[str] = None
    status: Optional[str] = None
    is_expired: Optional[bool] = None
    request_url: Optional[str] = attrs.field(default=None, repr=False)
    expiration: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None


@attrs.frozen(kw_only=True)
class RequestList:
    """One page of secret requests."""

    data: list[SecretRequest]
    pagination: Pagination


@attrs.frozen(kw_only=True)
class RequestStats:
    """Company-wide counters of secret requests."""

    total_requests: int = 0
    active_requests: int = 0
    expired_requests: int = 0
    requests_created_today: int = 0
    requests_created_this_week: int = 0
    requests_created_this_month: int = 0


@attrs.frozen(kw_only=True)
class Health:
    """The service's health answer; ``details`` keeps whatever else it said."""

    status: str = "ok"
    details: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class RevealedSecret:
    """A revealed and decrypted secret. Content and file data never appear in ``repr``."""

    slug: str
    content: str = attrs.field(repr=False)
    attachments: list[OpenedAttachment] = attrs.field(factory=list)
    description: Optional[str] = None
    message: Optional[str] = None
    remaining_views: Optional[int] = None
