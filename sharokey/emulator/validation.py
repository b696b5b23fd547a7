"""Request validation with the service's wording.

Each validator returns either the cleaned values or ``details``: a mapping of
wire field -> list of messages, the shape of the service's 422
``VALIDATION_ERROR``. The checks are lenient where real clients differ
(numbers as numeric strings, attachments without ``size``) and strict where a
mistake would lose data (base64, nonce and salt lengths, keyA).

Every documented number (hours, views, text lengths, attachments) comes from
``sharokey.limits``, the one the SDK checks against too; the constants here
are the emulator's own choices.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from sharokey.crypto import KEY_A_LENGTH, NONCE_BYTES, SALT_BYTES, TAG_BYTES
from sharokey.limits import (
    DEFAULT_HOURS,
    DEFAULT_VIEWS,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_BYTES,
    MAX_HOURS,
    MAX_REQUEST_VIEWS,
    MAX_TEXT,
    MAX_VIEWS,
    MIN_HOURS,
    MIN_VIEWS,
)

__all__ = [
    "AttachmentInput",
    "Details",
    "RequestInput",
    "RevealInput",
    "SecretInput",
    "validate_request",
    "validate_reveal",
    "validate_secret",
]

Details = dict[str, list[str]]

#: The emulator's own cap on a password or a reveal answer (not a documented limit).
MAX_PASSWORD = 1024
#: The longest e-mail address (RFC 5321), checked after a text field's MAX_TEXT.
MAX_EMAIL = 254

_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT
    GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR
    KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT
    MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT
    PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD
    TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE
    YT ZA ZM ZW"""
COUNTRIES = frozenset(_COUNTRY_CODES.split())

_EMAIL_RE = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")
_KEY_A_RE = re.compile(rf"[A-Za-z0-9]{{{KEY_A_LENGTH}}}")
_KEY_CHECK_RE = re.compile(r"[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class AttachmentInput:
    """One attachment as stored: ciphertext (base64), plaintext size, optional own nonce."""

    name: str
    data: str
    size: int
    iv: Optional[str] = None


@dataclass(frozen=True)
class SecretInput:
    """A validated create-secret body."""

    content: str
    iv: str
    salt: str
    key: str
    expiration_hours: int
    maximum_views: int
    description: Optional[str] = None
    message: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    captcha: bool = False
    otp_type: Optional[str] = None
    otp_receiver: Optional[str] = None
    ip_whitelist: Optional[str] = None
    geolocation: Optional[str] = None
    attachments: tuple[AttachmentInput, ...] = ()
    #: docs/protocol.md#key-check: stored, compared on reveal, never returned.
    key_check: Optional[str] = field(default=None, repr=False)


@dataclass(frozen=True)
class RequestInput:
    """A validated create-request body."""

    secret_expiration_hours: int
    request_expiration_hours: int
    maximum_views: int
    message: Optional[str] = None
    description: Optional[str] = None
    email_to: Optional[str] = None
    email_reply: Optional[str] = None
    locale: str = "en"


@dataclass(frozen=True)
class RevealInput:
    """The answers a reveal carries; all optional."""

    password: Optional[str] = field(default=None, repr=False)
    otp: Optional[str] = field(default=None, repr=False)
    captcha: Optional[str] = None
    key_check: Optional[str] = field(default=None, repr=False)


def _label(name: str) -> str:
    return name.replace("_", " ")


class _Checker:
    """Collects messages per field while reading values out of a body."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.details: Details = {}

    def fail(self, name: str, message: str) -> None:
        self.details.setdefault(name, []).append(message)

    def present(self, name: str) -> bool:
        value = self.body.get(name)
        return value is not None and value != ""

    def integer(self, name: str, low: int, high: int, unit: str, default: int) -> Optional[int]:
        """An integer in ``[low, high]``; ``default`` when absent (every number has one)."""
        if not self.present(name):
            return default
        value = _as_int(self.body[name])
        if value is None:
            self.fail(name, f"The {_label(name)} must be an integer")
            return None
        if not low <= value <= high:
            self.fail(name, f"Must be between {low} and {high} {unit}")
            return None
        return value

    def text(self, name: str, limit: int = MAX_TEXT, required: bool = False) -> Optional[str]:
        if not self.present(name):
            if required:
                self.fail(name, f"The {_label(name)} field is required")
            return None
        value = self.body[name]
        if not isinstance(value, str):
            self.fail(name, f"The {_label(name)} must be a string")
            return None
        if len(value) > limit:
            self.fail(name, f"The {_label(name)} may not be greater than {limit} characters")
            return None
        return value

    def b64(self, name: str, *, length: Optional[int] = None, minimum: int = 0) -> Optional[str]:
        value = self.text(name, limit=1 << 30, required=True)
        if value is None:
            return None
        raw = _b64_length(value)
        if raw is None:
            self.fail(name, f"The {_label(name)} must be valid base64")
        elif length is not None and raw != length:
            self.fail(name, f"The {_label(name)} must be base64 of {length} bytes")
        elif raw < minimum:
            self.fail(name, f"The {_label(name)} must be at least {minimum} bytes of base64")
        else:
            return value
        return None

    def boolean(self, name: str) -> bool:
        if not self.present(name):
            return False
        value = _as_bool(self.body[name])
        if value is None:
            self.fail(name, f"The {_label(name)} field must be true or false")
            return False
        return value

    def email(self, name: str) -> Optional[str]:
        value = self.text(name)
        if value is not None and not _is_email(value):
            self.fail(name, f"The {_label(name)} must be a valid email address")
            return None
        return value


def _as_int(value: Any) -> Optional[int]:
    """Integers, and the numeric strings some clients send; never booleans."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,9}\s*", value):
        return int(value)
    return None


def _as_bool(value: Any) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def _b64_length(text: str) -> Optional[int]:
    """Decoded length of standard padded base64, or ``None`` when it is not that."""
    if len(text) % 4:
        return None
    try:
        # Validate in slices: a 13 MiB string decodes without a 13 MiB copy.
        step = 1 << 20
        for start in range(0, len(text), step):
            base64.b64decode(text[start : start + step], validate=True)
    except (binascii.Error, ValueError):
        return None
    return len(text) // 4 * 3 - text[-2:].count("=")


def _is_email(value: str) -> bool:
    return len(value) <= MAX_EMAIL and _EMAIL_RE.fullmatch(value) is not None


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def validate_secret(body: Any) -> Union[SecretInput, Details]:
    """Check a create-secret body (docs/protocol.md#3-creating-a-secret)."""
    if not isinstance(body, dict):
        return {"body": ["The request body must be a JSON object"]}
    check = _Checker(body)
    content = check.b64("content", minimum=TAG_BYTES)
    iv = check.b64("iv", length=NONCE_BYTES)
    salt = check.b64("salt", length=SALT_BYTES)
    key = check.text("key", required=True)
    if key is not None and _KEY_A_RE.fullmatch(key) is None:
        check.fail("key", f"The key must be exactly {KEY_A_LENGTH} letters or digits")
    hours = check.integer("expiration_hours", MIN_HOURS, MAX_HOURS, "hours", DEFAULT_HOURS)
    views = check.integer("maximum_views", MIN_VIEWS, MAX_VIEWS, "views", DEFAULT_VIEWS)
    description = check.text("description")
    message = check.text("message")
    password = check.text("password", limit=MAX_PASSWORD)
    captcha = check.boolean("captcha")
    otp_type, otp_receiver = _otp(check)
    ip_whitelist = _ip_whitelist(check)
    geolocation = _geolocation(check)
    attachments = _attachments(check)
    key_check = _key_check(check)
    if check.details:
        return check.details
    assert content is not None
    assert iv is not None
    assert salt is not None
    assert key is not None
    assert hours is not None
    assert views is not None
    return SecretInput(
        content=content,
        iv=iv,
        salt=salt,
        key=key,
        expiration_hours=hours,
        maximum_views=views,
        description=description,
        message=message,
        password=password,
        captcha=captcha,
        otp_type=otp_type,
        otp_receiver=otp_receiver,
        ip_whitelist=ip_whitelist,
        geolocation=geolocation,
        attachments=attachments,
        key_check=key_check,
    )


def _key_check(check: _Checker) -> Optional[str]:
    """The optional ``key_check``: 22 characters of unpadded base64url (16 bytes)."""
    value = check.body.get("key_check")
    if value is None:
        return None
    if not isinstance(value, str) or _KEY_CHECK_RE.fullmatch(value) is None:
        check.fail("key_check", "The key check must be 22 characters of unpadded base64url")
        return None
    return value


def _otp(check: _Checker) -> tuple[Optional[str], Optional[str]]:
    raw_type = check.body.get("otp_type")
    receiver = check.text("otp_receiver")
    if raw_type is None or raw_type == "":
        if receiver is not None:
            check.fail("otp_type", "The otp type field is required when otp receiver is present")
        return None, None
    if isinstance(raw_type, list) or (isinstance(raw_type, str) and "," in raw_type):
        check.fail("otp_type", "Choose one OTP channel, email or phone, not both")
        return None, None
    if not isinstance(raw_type, str) or raw_type.strip().lower() not in ("email", "phone"):
        check.fail("otp_type", "The selected otp type is invalid")
        return None, None
    otp_type = raw_type.strip().lower()
    if receiver is None:
        check.fail("otp_receiver", "The otp receiver field is required when otp type is present")
        return None, None
    receiver = receiver.strip()
    if otp_type == "email" and not _is_email(receiver):
        check.fail("otp_receiver", "The otp receiver must be a valid email address")
        return None, None
    if otp_type == "phone" and _E164_RE.fullmatch(receiver) is None:
        check.fail(
            "otp_receiver", "The otp receiver must be a phone number in E.164 format (+33612345678)"
        )
        return None, None
    return otp_type, receiver


def _ip_whitelist(check: _Checker) -> Optional[str]:
    value = check.text("ip_whitelist")
    if value is None:
        return None
    items = _split_list(value)
    for item in items:
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            network = None
        if network is None or network.version != 4:
            check.fail(
                "ip_whitelist",
                "The ip whitelist must be comma-separated IPv4 addresses or CIDR ranges",
            )
            return None
    return ",".join(items) or None


def _geolocation(check: _Checker) -> Optional[str]:
    value = check.text("geolocation")
    if value is None:
        return None
    items = [item.upper() for item in _split_list(value)]
    unknown = [item for item in items if item not in COUNTRIES]
    if unknown:
        check.fail(
            "geolocation",
            "The geolocation must be comma-separated ISO 3166 alpha-2 country codes",
        )
        return None
    return ",".join(items) or None


def _attachments(check: _Checker) -> tuple[AttachmentInput, ...]:
    raw = check.body.get("attachments")
    if raw is None or raw == []:
        _total_size(check, 0)
        return ()
    if not isinstance(raw, list):
        check.fail("attachments", "The attachments must be a list")
        return ()
    if len(raw) > MAX_ATTACHMENTS:
        check.fail("attachments", f"At most {MAX_ATTACHMENTS} attachments are allowed")
        return ()
    files: list[AttachmentInput] = []
    total = 0
    for index, item in enumerate(raw):
        prefix = f"attachments.{index}"
        if not isinstance(item, dict):
            check.fail(prefix, "Each attachment must be an object with name and data")
            continue
        sub = _Checker(item)
        name = sub.text("name", required=True)
        data = sub.b64("data", minimum=TAG_BYTES)
        file_iv = sub.b64("iv", length=NONCE_BYTES) if sub.present("iv") else None
        derived = (_b64_length(data) or TAG_BYTES) - TAG_BYTES if data is not None else 0
        size = derived
        if sub.present("size"):
            # What is stored and shown is the data's own length: a declared size
            # that disagrees (10**15, 2**70) is refused, never stored.
            given = _as_int(item["size"])
            if given is None or given < 0:
                sub.fail("size", "The size must be a non-negative integer")
            elif data is not None and given != derived:
                sub.fail(
                    "size",
                    f"The size must be the plaintext length of the data ({derived} bytes)",
                )
        for name_key, messages in sub.details.items():
            check.details.setdefault(f"{prefix}.{name_key}", []).extend(messages)
        total += derived
        if name is not None and data is not None and not sub.details:
            files.append(AttachmentInput(name=name, data=data, size=size, iv=file_iv))
    if total > MAX_ATTACHMENTS_BYTES:
        check.fail(
            "attachments",
            f"The attachments may not exceed {MAX_ATTACHMENTS_BYTES // (1024 * 1024)} MiB in total",
        )
    if not check.details:
        _total_size(check, total)
    return tuple(files)


def _total_size(check: _Checker, total: int) -> None:
    """``attachments_total_size``, when given, must be the sum of the plaintext sizes."""
    if check.present("attachments_total_size") and (
        _as_int(check.body["attachments_total_size"]) != total
    ):
        check.fail(
            "attachments_total_size",
            f"The attachments total size must be the sum of their sizes ({total} bytes)",
        )


def validate_request(body: Any) -> Union[RequestInput, Details]:
    """Check a create-request body (docs/protocol.md#2-endpoints, secret requests)."""
    if not isinstance(body, dict):
        return {"body": ["The request body must be a JSON object"]}
    check = _Checker(body)
    secret_hours = check.integer(
        "secret_expiration_hours", MIN_HOURS, MAX_HOURS, "hours", DEFAULT_HOURS
    )
    # No default is documented for a request's own lifetime; the SDK always sends one.
    request_hours = check.integer(
        "request_expiration_hours", MIN_HOURS, MAX_HOURS, "hours", DEFAULT_HOURS
    )
    views = check.integer("maximum_views", MIN_VIEWS, MAX_REQUEST_VIEWS, "views", DEFAULT_VIEWS)
    message = check.text("message")
    description = check.text("description")
    email_to = check.email("email_to")
    email_reply = check.email("email_reply")
    locale = check.text("locale") or "en"
    if locale.lower() not in ("en", "fr"):
        check.fail("locale", "The selected locale is invalid")
    if check.details:
        return check.details
    assert secret_hours is not None
    assert request_hours is not None
    assert views is not None
    return RequestInput(
        secret_expiration_hours=secret_hours,
        request_expiration_hours=request_hours,
        maximum_views=views,
        message=message,
        description=description,
        email_to=email_to,
        email_reply=email_reply,
        locale=locale.lower(),
    )


def validate_reveal(body: Any) -> Union[RevealInput, Details]:
    """Check a reveal body: optional ``password``, ``otp``, ``captcha`` and ``key_check``."""
    if body is None:
        return RevealInput()
    if not isinstance(body, dict):
        return {"body": ["The request body must be a JSON object"]}
    check = _Checker(body)
    values: dict[str, Optional[str]] = {}
    for name in ("password", "otp", "captcha"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and name == "otp":
            value = str(value)
        if value is None or value == "":
            values[name] = None
        elif not isinstance(value, str) or len(value) > MAX_PASSWORD:
            check.fail(name, f"The {name} must be a string of at most {MAX_PASSWORD} characters")
        else:
            values[name] = value
    key_check = _key_check(check)
    if check.details:
        return check.details
    return RevealInput(
        password=values.get("password"),
        otp=values.get("otp"),
        captcha=values.get("captcha"),
        key_check=key_check,
    )
