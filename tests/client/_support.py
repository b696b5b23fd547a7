"""What the offline client suites share: an answer given exactly, and a sync client over a mock
transport that takes it and never retries."""

from __future__ import annotations

import json
from typing import Any, Callable

import sharokey
from sharokey._messages import Request, Response
from sharokey.transports import MockTransport

API = "https://api.example.com/api/v1"
TOKEN = "mock-client-token-0001"


def reply(status: int, payload: Any) -> Response:
    """``payload`` as the JSON body, as it is: no envelope is added around it."""
    return Response(
        status=status,
        headers={"Content-Type": "application/json"},
        body=json.dumps(payload).encode(),
    )


def client_of(handler: Callable[[Request], Response], **options: Any) -> sharokey.Sharokey:
    """A sync client whose every request ``handler`` answers; no retries."""
    return sharokey.Sharokey(
        TOKEN, api_url=API, transport=MockTransport(handler), max_retries=0, **options
    )
