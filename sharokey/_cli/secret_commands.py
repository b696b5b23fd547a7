"""``sharokey list``, ``get``, ``delete`` and ``stats``: a company's secrets, not their content."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Optional

from sharokey._cli import output, terminal
from sharokey._cli.context import make_client, stdout, unstructure, wants_json
from sharokey._cli.listing import (
    dump_listing,
    expires_cell,
    fetch_listing,
    page_footer,
    stats_block,
    status_cell,
    views_cell,
)

if TYPE_CHECKING:
    from sharokey.models import Secret

__all__ = ["cmd_delete", "cmd_get", "cmd_list", "cmd_stats"]

_SECRET_STATS = [
    ("total_secrets", "Secrets"),
    ("active_secrets", "Active"),
    ("expired_secrets", "Expired"),
    ("total_views", "Views"),
    ("secrets_with_password", "With password"),
    ("secrets_created_today", "Created today"),
    ("secrets_created_this_week", "This week"),
    ("secrets_created_this_month", "This month"),
]


def cmd_list(args: argparse.Namespace) -> int:
    """A table of secrets (metadata only) and a footer saying where the listing stands."""
    with make_client(args) as client:
        items: list[Secret]
        items, pagination = fetch_listing(args, client.list_secrets)
    if wants_json(args):
        return dump_listing(items, pagination)
    out = stdout()
    if not items:
        out.write("No secrets.\n")
    else:
        output.table(
            ("SLUG", "STATUS", "VIEWS", "EXPIRES", "DESCRIPTION"),
            (
                (
                    s.slug,
                    status_cell(s.is_expired, s.status),
                    views_cell(s.current_views, s.maximum_views),
                    expires_cell(s.expiration, s.is_expired),
                    output.truncate(s.description or ""),
                )
                for s in items
            ),
            out,
        )
    out.write(page_footer(pagination, len(items), "secrets", args.all) + "\n")
    return 0


def _access_url(secret: Secret) -> Optional[str]:
    # A server-built share_url may carry a placeholder fragment: show it without one.
    url = secret.access_url or secret.share_url
    return url.split("#", 1)[0] if url else None


def _protections(secret: Secret) -> str:
    found = []
    if secret.captcha:
        found.append("captcha")
    if secret.has_password:
        found.append("password")
    if secret.otp_type:
        found.append(f"one-time code by {secret.otp_type}")
    if secret.ip_whitelist:
        found.append("IP allow-list")
    if secret.geolocation:
        found.append("countries")
    return ", ".join(found) or "none"


def _secret_block(secret: Secret) -> list[tuple[str, object]]:
    expired = bool(secret.is_expired) or secret.status == "expired"
    attachments = None
    if secret.attachments:
        names = ", ".join(a.name for a in secret.attachments)
        attachments = f"{len(secret.attachments)} ({names})"
    elif secret.attachments_count:
        attachments = str(secret.attachments_count)
    return [
        ("Slug", secret.slug),
        (
            "Status",
            f"{status_cell(secret.is_expired, secret.status)} "
            f"({output.expiry_phrase(secret.expiration, expired)})",
        ),
        ("Description", secret.description),
        ("Message", secret.message),
        ("Creator", secret.creator),
        (
            "Views",
            f"{secret.current_views or 0} of {secret.maximum_views} used"
            if secret.maximum_views is not None
            else None,
        ),
        ("Expires", output.format_when(secret.expiration) if secret.expiration else None),
        ("Created", output.format_when(secret.created_at) if secret.created_at else None),
        ("Protection", _protections(secret)),
        ("IP allow-list", secret.ip_whitelist),
        ("Countries", secret.geolocation),
        ("Attachments", attachments),
        ("Access URL", _access_url(secret)),
    ]


def cmd_get(args: argparse.Namespace) -> int:
    """One secret's details; its content stays encrypted on the server."""
    with make_client(args) as client:
        secret = client.get_details(args.slug)
    if wants_json(args):
        output.dump_json(unstructure(secret))
    else:
        output.key_values(_secret_block(secret), stdout())
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete a secret, after a confirmation unless ``--yes``."""
    slug = args.slug
    with make_client(args) as client:
        if not args.yes:
            terminal.ask_to_confirm(
                f"Delete secret {output.clean(slug)}? Its content is erased for good.",
                "deleting",
            )
        client.delete(slug)
    if wants_json(args):
        output.dump_json({"deleted": True, "slug": slug})
    else:
        stdout().write(f"Deleted secret {output.clean(slug)} (its details stay, marked expired).\n")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """The company's secret counters."""
    with make_client(args) as client:
        stats = client.get_stats()
    if wants_json(args):
        output.dump_json(unstructure(stats))
    else:
        output.key_values(stats_block(stats, _SECRET_STATS), stdout())
    return 0
