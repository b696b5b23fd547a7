"""The one cattrs converter: wire JSON -> models, strictly.

cattrs' preconf JSON converter is lenient in ways that hide server bugs
(``None`` -> ``"None"``, ``"false"`` -> ``True``, ``3.9`` -> ``3``), so the
primitive hooks here are strict, with one deliberate allowance: the service
sometimes sends numbers as numeric strings (``"3"``) and booleans as 0/1.
Timestamps become timezone-aware UTC datetimes on every Python version
(``fromisoformat`` reads ``...Z`` only from 3.11 on). Unknown fields are
ignored so the service can grow without breaking old clients.
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar, Union

import cattrs
from cattrs.cols import list_structure_factory
from cattrs.preconf.json import make_converter
from cattrs.v import format_exception

from sharokey.errors import InvalidResponseError

__all__ = ["converter", "structure", "unstructure"]

T = TypeVar("T")

_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$"
)


def _to_int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise ValueError("expected an integer")


def _to_float(value: Any, _: type) -> float:
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _FLOAT_RE.match(value.strip()):
        return float(value.strip())
    raise ValueError("expected a number")


def _to_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    raise TypeError("expected a string")


def _to_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    # Laravel-style 0/1 integers are common on the wire; strings are not accepted.
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TypeError("expected a boolean")


#: The service's own shape, ``2025-08-11T18:52:37.000000Z``, in ASCII digits only.
#: ``fromisoformat`` reads a trailing ``Z`` (as UTC) from Python 3.11 on.
_READS_Z = sys.version_info >= (3, 11)
_SERVICE_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", re.ASCII)


def parse_timestamp(value: Any, _: Any = None) -> datetime:
    """Parse the service's ISO 8601 timestamps into aware UTC datetimes.

    A timestamp without an offset is taken as UTC, which is what the service
    means; fractions beyond microseconds are truncated. The service's own
    shape (every timestamp of every answer) is read by ``fromisoformat``; any
    other goes through the general pattern, with the same result and errors.
    The ignored second argument makes it cattrs' hook for ``datetime`` as is.
    """
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 timestamp string")
    # Hour 24 is left to the pattern's path: fromisoformat takes "24:00" on 3.13 (next day).
    if _SERVICE_TS_RE.fullmatch(value) and value[11:13] < "24":
        try:
            if _READS_Z:
                return datetime.fromisoformat(value)  # "Z" -> timezone.utc itself
            return datetime.fromisoformat(value[:26]).replace(tzinfo=timezone.utc)
        except ValueError:
            pass  # an impossible date or time: the general path words the error
    match = _TS_RE.match(value.strip())
    if match is None:
        raise ValueError("expected an ISO 8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    parsed = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or "0"), micro, tz
    )
    return parsed.astimezone(timezone.utc)


def format_timestamp(value: datetime) -> str:
    """Render a datetime the way the service does: ``2025-08-11T18:52:37.000000Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_optional(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is Union and len(args) == 2 and type(None) in args


def _optional_hook(tp: Any, conv: cattrs.Converter) -> Any:
    # Structure Optional[X] as X so errors say "expected int", not "expected Optional".
    inner = next(a for a in typing.get_args(tp) if a is not type(None))
    handler = conv.get_structure_hook(inner)
    if inner in _PRIMITIVES:  # one call per field, not two: these ignore the type argument
        primitive = _PRIMITIVES[inner]
        exact = inner if inner in (str, int, bool) else None

        def direct(value: Any, _: Any) -> Any:
            # None, or a value already of exactly that type (what a server sends nearly
            # always; not a bool for int), is taken as the strict hook would take it.
            if value is None or value.__class__ is exact:
                return value
            return primitive(value, inner)

        return direct

    def hook(value: Any, _: Any) -> Any:
        return None if value is None else handler(value, inner)

    return hook


def _is_list(tp: Any) -> bool:
    return typing.get_origin(tp) is list


def _list_hook(tp: Any, conv: cattrs.Converter) -> Any:
    # A JSON string or object is iterable too; only a JSON array is a list.
    handler = list_structure_factory(tp, conv)

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, list):
            raise TypeError("expected a list")
        return handler(value, tp)

    return hook


def _format_problem(exc: BaseException, tp: Any) -> str:
    if _is_optional(tp):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    return format_exception(exc, tp)


#: The primitive hooks, registered below; ``Optional[X]`` of one calls it directly.
_PRIMITIVES: dict[Any, Any] = {
    int: _to_int,
    float: _to_float,
    str: _to_str,
    bool: _to_bool,
    datetime: parse_timestamp,
}


def _make() -> cattrs.Converter:
    conv = make_converter()
    conv.register_structure_hook_factory(_is_list, lambda tp: _list_hook(tp, conv))
    conv.register_structure_hook_factory(_is_optional, lambda tp: _optional_hook(tp, conv))
    for primitive, primitive_hook in _PRIMITIVES.items():
        conv.register_structure_hook(primitive, primitive_hook)
    conv.register_unstructure_hook(datetime, format_timestamp)
    conv.register_unstructure_hook(bytes, lambda b: len(b))
    return conv


#: The converter every module uses; built once at import, never mutated afterwards.
converter = _make()


def structure(data: Any, cls: type[T], *, what: str = "response") -> T:
    """Structure ``data`` into ``cls`` or raise :class:`InvalidResponseError`.

    The message names each failing field path (``$.data[0].maximum_views``)
    and what was expected, never the offending value.
    """
    try:
        return converter.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        problems = cattrs.transform_error(exc, path="$", format_exception=_format_problem)
        raise InvalidResponseError(
            f"The {what} does not match the expected shape: " + "; ".join(problems[:5]),
            details={"problems": problems},
        ) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise InvalidResponseError(
            f"The {what} does not match the expected shape ({type(exc).__name__})."
        ) from None


def unstructure(obj: Any) -> Any:
    """Plain JSON-ready data for ``--json`` output and logs of models."""
    return converter.unstructure(obj)


def as_mapping(value: Any, what: str) -> Mapping[str, Any]:
    """Check that ``value`` is a JSON object, else raise :class:`InvalidResponseError`."""
    if value.__class__ is not dict and not isinstance(value, Mapping):  # dict: no ABC check
        raise InvalidResponseError(f"The {what} is not a JSON object.")
    return value
