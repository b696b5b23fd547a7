"""The secret request commands: ``create-request``, ``list-requests``, ``get-request``,
``delete-request`` and ``request-stats``.

A request token is a credential (whoever holds it can answer the request):
tables and confirmations show it masked (:func:`sharokey._mask.mask`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sharokey._cli import output, terminal
from sharokey._cli.context import make_client, note, stdout, unstructure, wants_json
from sharokey._cli.listing import (
    dump_listing,
    expires_cell,
    fetch_listing,
    page_footer,
    stats_block,
    status_cell,
)
from sharokey._cli.usage import SDK_NAMES
from sharokey._mask import mask

if TYPE_CHECKING:
    from sharokey.models import SecretRequest

__all__ = [
    "cmd_create_request",
    "cmd_delete_request",
    "cmd_get_request",
    "cmd_list_requests",
    "cmd_request_stats",
]

_REQUEST_STATS = [
    ("total_requests", "Requests"),
    ("active_requests", "Active"),
    ("expired_requests", "Expired"),
    ("requests_created_today", "Created today"),
    ("requests_created_this_week", "This week"),
    ("requests_created_this_month", "This month"),
]


def _request_block(request: SecretRequest) -> list[tuple[str, object]]:
    expired = bool(request.is_expired) or request.status == "expired"
    return [
        ("Token", request.token),
        ("Request URL", request.request_url),
        (
            "Status",
            f"{status_cell(request.is_expired, request.status)} "
            f"({output.expiry_phrase(request.expiration, expired)})",
        ),
        ("Description", request.description),
        ("Message", request.message),
        ("Views", request.maximum_views),
        (
            "Secret lifetime",
            f"{request.secret_expiration_hours} h"
            if request.secret_expiration_hours is not None
            else None,
        ),
        (
            "Request lifetime",
            f"{request.request_expiration_hours} h"
            if request.request_expiration_hours is not None
            else None,
        ),
        ("E-mail to", request.email_to),
        ("Reply to", request.email_reply),
        ("Locale", request.locale),
        ("Expires", output.format_when(request.expiration) if request.expiration else None),
        ("Created", output.format_when(request.created_at) if request.created_at else None),
    ]


def cmd_create_request(args: argparse.Namespace) -> int:
    """Ask someone for a secret: the request's URL and token (a credential)."""
    renamed = SDK_NAMES["create-request"]
    sdk_args = (
        "secret_expiration_hours",
        "request_expiration_hours",
        "maximum_views",
        "message",
        "description",
        "email_to",
        "email_reply",
        "locale",
    )
    given = {name: getattr(args, renamed.get(name, name)) for name in sdk_args}
    kwargs = {k: v for k, v in given.items() if v is not None}
    with make_client(args) as client:
        request = client.create_request(**kwargs)
    if wants_json(args):
        output.dump_json(unstructure(request))
    else:
        output.key_values(_request_block(request), stdout())
        note("Send the request URL to the person who should answer it; the token is a credential.")
    return 0


def cmd_list_requests(args: argparse.Namespace) -> int:
    """A table of secret requests, tokens masked, and the listing's footer."""
    with make_client(args) as client:
        items: list[SecretRequest]
        items, pagination = fetch_listing(args, client.list_requests)
    if wants_json(args):
        return dump_listing(items, pagination)
    out = stdout()
    if not items:
        out.write("No requests.\n")
    else:
        output.table(
            ("TOKEN", "STATUS", "VIEWS", "EXPIRES", "E-MAIL TO", "DESCRIPTION"),
            (
                (
                    mask(r.token),
                    status_cell(r.is_expired, r.status),
                    str(r.maximum_views) if r.maximum_views is not None else "-",
                    expires_cell(r.expiration, r.is_expired),
                    r.email_to or "-",
                    output.truncate(r.description or ""),
                )
                for r in items
            ),
            out,
        )
    out.write(page_footer(pagination, len(items), "requests", args.all) + "\n")
    return 0


def cmd_get_request(args: argparse.Namespace) -> int:
    """One secret request's details."""
    with make_client(args) as client:
        request = client.get_request(args.token)
    if wants_json(args):
        output.dump_json(unstructure(request))
    else:
        output.key_values(_request_block(request), stdout())
    return 0


def cmd_delete_request(args: argparse.Namespace) -> int:
    """Delete a secret request, after a confirmation unless ``--yes``."""
    shown = mask(args.token)
    with make_client(args) as client:
        if not args.yes:
            terminal.ask_to_confirm(f"Delete secret request {shown}?", "deleting")
        client.delete_request(args.token)
    if wants_json(args):
        output.dump_json({"deleted": True, "token": args.token})
    else:
        stdout().write(f"Deleted secret request {shown}.\n")
    return 0


def cmd_request_stats(args: argparse.Namespace) -> int:
    """The company's secret request counters."""
    with make_client(args) as client:
        stats = client.get_request_stats()
    if wants_json(args):
        output.dump_json(unstructure(stats))
    else:
        output.key_values(stats_block(stats, _REQUEST_STATS), stdout())
    return 0
