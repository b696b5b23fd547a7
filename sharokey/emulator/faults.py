"""Fault injection: rules that make the emulator fail the way real networks do.

A rule reads ``METHOD PATH EFFECT[xN] [xN] [key=value ...]``::

    POST /api/v1/secrets 503x1 retry-after=1   one 503 with Retry-After: 1
    GET /api/v1/secrets/* 500x2                two 500 envelopes
    * * drop x1                                close the next connection unanswered
    POST /api/v1/secrets drop-after x1         create the secret, then close unanswered
    GET * delay=2 x1                           answer the next GET two seconds late
    POST /api/v1/secrets delay-after=5 x1      create the secret, answer five seconds later
    GET * truncate x1                          cut the next GET's body in half

METHOD is an HTTP verb or ``*``; PATH is an ``fnmatch`` glob on the request
path (``*`` crosses ``/``). Effects: a status (500, 502, 503, 504, 429), ``drop``,
``drop-after``, ``delay=S``, ``delay-after=S`` or ``truncate``. Without a count a
rule fires forever until cleared. Rules are tried in order; the first match fires.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["FAULT_GRAMMAR", "FaultRule", "FaultSet", "parse_fault"]

FAULT_GRAMMAR = """\
fault rule: METHOD PATH EFFECT[xN] [xN] [key=value ...]
  METHOD  an HTTP verb or *
  PATH    a glob on the request path (fnmatch; * crosses /), or *
  EFFECT  500 | 502 | 503 | 504 | 429   answer with that status
          drop           close the connection before handling the request
          drop-after     handle the request, then close without answering
          delay=S        receive the body, wait S seconds, then handle and answer
                         (the request is handled even if the client gave up)
          delay-after=S  handle the request (a create stores its secret), then
                         wait S seconds before answering: stored, answered late
          truncate       answer with the body cut in half (valid HTTP, broken JSON)
  xN      fire N times (attached, 503x1, or separate, x1); default: until cleared
  options retry-after=N (status effects), delay=S (wait before any effect)
examples:
  "POST /api/v1/secrets 503x1 retry-after=1"
  "GET /api/v1/secrets/* 500x2"
  "* * drop x1"
  "GET * delay=2 x1"
  "POST /api/v1/secrets delay-after=5 x1"
  "GET * truncate x1"
"""

FAULT_STATUSES = (500, 502, 503, 504, 429)
#: The numeric bounds of a rule: a refused rule changes nothing (docs/protocol.md#emulator-safety).
MAX_DELAY = 600.0
MAX_COUNT = 1_000_000
MAX_RETRY_AFTER = 86_400
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_EFFECT_RE = re.compile(
    rf"^(?P<effect>[0-9]{{3}}|drop-after|drop|truncate|delay=(?P<delay>{_NUMBER})"
    rf"|delay-after=(?P<after>{_NUMBER}))"
    r"(?:x(?P<count>[0-9]+))?$"
)
_COUNT_RE = re.compile(r"^x(?P<count>[0-9]+)$")
_SHAPE = "expected 'METHOD PATH EFFECT[xN] [xN] [key=value ...]', e.g. 'GET * 500x1'"


@dataclass(frozen=True)
class FaultRule:
    """One parsed rule. ``count`` is how many times it fires (``None``: forever).

    ``delay`` is waited before the effect (once the body is in), ``delay_after``
    between handling the request and sending its answer.
    """

    method: str
    path: str
    effect: str
    status: Optional[int] = None
    delay: float = 0.0
    count: Optional[int] = None
    retry_after: Optional[int] = None
    text: str = ""
    delay_after: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.method != "*" and self.method != method.upper():
            return False
        return self.path == "*" or fnmatch.fnmatchcase(path, self.path)


def parse_fault(rule: str) -> FaultRule:
    """Parse a rule string; raise ``ValueError`` saying what is wrong with it."""
    if not isinstance(rule, str):
        raise ValueError(f"a fault rule must be a string; {_SHAPE}")
    parts = rule.split()
    if len(parts) < 3:
        raise ValueError(f"fault rule {rule!r} is too short: {_SHAPE}")
    method, path, effect_token, *rest = parts
    method = method.upper()
    if method != "*" and method not in _METHODS:
        raise ValueError(f"fault rule {rule!r}: unknown method {method!r}; use a verb or *")
    if not (path.startswith("/") or path.startswith("*")):
        raise ValueError(f"fault rule {rule!r}: the path must start with / or be a glob like *")

    match = _EFFECT_RE.match(effect_token)
    if match is None:
        raise ValueError(
            f"fault rule {rule!r}: unknown effect {effect_token!r}; use one of "
            "500, 502, 503, 504, 429, drop, drop-after, delay=S, delay-after=S, truncate"
        )
    effect = match.group("effect")
    status: Optional[int] = None
    delay = 0.0
    delay_after = 0.0
    if effect.isdigit():
        status = int(effect)
        if status not in FAULT_STATUSES:
            raise ValueError(
                f"fault rule {rule!r}: status {status} is not a fault; "
                "use 500, 502, 503, 504 or 429"
            )
        effect = "status"
    elif match.group("delay") is not None:
        effect = "delay"
        delay = float(match.group("delay"))
    elif match.group("after") is not None:
        effect = "delay-after"
        delay_after = float(match.group("after"))
    count = _count(rule, match.group("count"), None)

    retry_after: Optional[int] = None
    for token in rest:
        counted = _COUNT_RE.match(token)
        if counted is not None:
            if count is not None:
                raise ValueError(f"fault rule {rule!r}: the count is given twice")
            count = _count(rule, counted.group("count"), count)
            continue
        key, sep, value = token.partition("=")
        if not sep:
            raise ValueError(f"fault rule {rule!r}: unexpected {token!r}; {_SHAPE}")
        if key == "retry-after":
            if re.fullmatch(r"[0-9]{1,6}", value) is None:
                raise ValueError(f"fault rule {rule!r}: retry-after must be whole seconds")
            if effect != "status":
                raise ValueError(f"fault rule {rule!r}: retry-after only goes with a status")
            retry_after = int(value)
        elif key == "delay":
            if re.fullmatch(_NUMBER, value) is None:
                raise ValueError(f"fault rule {rule!r}: delay must be a number of seconds")
            delay = float(value)
        else:
            raise ValueError(
                f"fault rule {rule!r}: unknown option {key!r}; known: retry-after, delay"
            )
    if status == 429 and retry_after is None:
        retry_after = 1
    if max(delay, delay_after) > MAX_DELAY:
        raise ValueError(f"fault rule {rule!r}: a delay is at most {MAX_DELAY:g} seconds")
    if retry_after is not None and retry_after > MAX_RETRY_AFTER:
        raise ValueError(f"fault rule {rule!r}: retry-after is at most {MAX_RETRY_AFTER} seconds")
    return FaultRule(
        method=method,
        path=path,
        effect=effect,
        status=status,
        delay=delay,
        count=count,
        retry_after=retry_after,
        text=" ".join(parts),
        delay_after=delay_after,
    )


def _count(rule: str, digits: Optional[str], previous: Optional[int]) -> Optional[int]:
    if digits is None:
        return previous
    value = int(digits) if len(digits) <= 7 else MAX_COUNT + 1
    if value < 1:
        raise ValueError(f"fault rule {rule!r}: the count must be at least 1")
    if value > MAX_COUNT:
        raise ValueError(f"fault rule {rule!r}: the count must be at most {MAX_COUNT}")
    return value


class FaultSet:
    """The active rules with their remaining counts; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[list[Any]] = []  # [rule, remaining or None]

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append([rule, rule.count])

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str) -> Optional[FaultRule]:
        """The first rule matching the request, counted as fired; ``None`` if none."""
        with self._lock:
            for index, entry in enumerate(self._rules):
                rule: FaultRule = entry[0]
                if not rule.matches(method, path):
                    continue
                if entry[1] is not None:
                    entry[1] -= 1
                    if entry[1] <= 0:
                        del self._rules[index]
                return rule
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        """The rules and their remaining counts, for the state endpoint."""
        with self._lock:
            return [{"rule": entry[0].text, "remaining": entry[1]} for entry in self._rules]
