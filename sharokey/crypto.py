"""Client-side cryptography: keys, sealing, opening and share links (pure, no I/O).

The key split
-------------
Every secret gets a fresh 32-character key over ``A-Z a-z 0-9``. The AES key
is derived from the *whole* 32 characters, but only the first 8 (keyA) are
sent to the server, which needs them to hand a complete payload to the
recipient's browser. The other 24 (keyB) live only in the share link's
fragment (``https://host/s/SLUG#keyB``), which browsers never send to a
server. The server therefore holds ciphertext plus keyA and still faces
62**24 (about 2**143) candidate keys; the recipient, holding the link, has
both halves. This is what makes the service zero-knowledge.

Wire format (docs/protocol.md#4-cryptography, byte-exact with the official SDKs)
--------------------------------------------------------------------------------
aes_key = PBKDF2-HMAC-SHA256(UTF-8 key, 16-byte salt, 10,000 rounds, 32 bytes);
``content`` = base64(AES-256-GCM(aes_key, 12-byte iv)(UTF-8 text) || 16-byte tag).

The official attachment format reuses the content's key *and nonce* for
every attachment, which lets whoever stores the ciphertexts XOR them
together (see ``docs/security.md``). It is still the default, because the
hosted web viewer reads nothing else, but sealing attachments that way
without choosing it explicitly raises a :class:`SharokeySecurityWarning`.
``nonces="unique"`` gives every attachment its own nonce in an ``iv`` field.

Performance: sealing runs in a worker thread under the async client, so the
functions here avoid long GIL holds: AES-GCM and PBKDF2 release the GIL, and
base64 is done in chunks so no single call holds it for long.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Optional, Union
from urllib.parse import urlsplit

import attrs
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import PBKDF2

from sharokey import _b64
from sharokey._gil import scratch
from sharokey._nonce_warning import SHARED_NONCE_WARNING, warn_shared_nonces  # re-exported
from sharokey.errors import DecryptionError, ValidationError
from sharokey.limits import (  # the two MAX_ names are re-exported: public since 0.1
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_BYTES,
    attachment_budget_problem,
)

__all__ = [
    "ALPHABET",
    "ATTACHMENT_AD_PREFIX",
    "KEY_A_LENGTH",
    "KEY_B_LENGTH",
    "KEY_CHECK_PREFIX",
    "KEY_LENGTH",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENTS_BYTES",
    "NONCE_BYTES",
    "PBKDF2_ITERATIONS",
    "SALT_BYTES",
    "SHARED_NONCE_WARNING",
    "TAG_BYTES",
    "NonceMode",
    "Opened",
    "OpenedAttachment",
    "Sealed",
    "ShareLink",
    "attachment_associated_data",
    "compose_share_url",
    "derive_key",
    "generate_key",
    "is_key_b",
    "key_check",
    "open_payload",
    "parse_share_url",
    "seal",
    "split_key",
    "warn_shared_nonces",
]

KEY_LENGTH = 32
KEY_A_LENGTH = 8
KEY_B_LENGTH = 24
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
PBKDF2_ITERATIONS = 10_000
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
AES_KEY_BYTES = 32
#: What keyB's check hashes before keyB itself (the check's version).
KEY_CHECK_PREFIX = b"sharokey-key-check-v1:"
_KEY_CHECK_BYTES = 16
#: The start of a unique-mode attachment's associated data (its format's version).
ATTACHMENT_AD_PREFIX = "sharokey-attachment-v1"

NonceMode = Literal["shared", "unique"]

# base64 in pieces: each b2a/a2b call holds the GIL, ~1 ms per 768 KiB here.

_KEY_RE = re.compile(r"[A-Za-z0-9]{32}")
_KEY_A_RE = re.compile(r"[A-Za-z0-9]{8}")
_KEY_B_RE = re.compile(r"[A-Za-z0-9]{24}")

_KEY_RULE = "must be 32 characters from A-Z, a-z and 0-9"
_KEY_B_RULE = "must be 24 characters from A-Z, a-z and 0-9"

# --------------------------------------------------------------------------- models


@attrs.frozen(repr=False)
class Sealed:
    """An encrypted secret ready to send.

    ``payload`` holds the wire fields of a create body (``content``, ``iv``,
    ``salt``, ``key`` = keyA, and ``attachments`` + ``attachments_total_size``
    when there are files). ``key_b`` must go into the share link only.
    """

    payload: dict[str, Any]
    key_b: str
    nonces: str = "shared"

    def __repr__(self) -> str:
        files = self.payload.get("attachments") or []
        return (
            f"Sealed(content_chars={len(self.payload.get('content', ''))}, "
            f"attachments={len(files)}, "
            f"attachments_total_size={self.payload.get('attachments_total_size', 0)}, "
            f"nonces={self.nonces!r})"
        )


@attrs.frozen(repr=False)
class OpenedAttachment:
    """One decrypted file."""

    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"OpenedAttachment(name={self.name!r}, size={len(self.data)})"


@attrs.frozen(repr=False)
class Opened:
    """A decrypted secret: the text and its files."""

    content: str
    attachments: list[OpenedAttachment] = attrs.field(factory=list)

    def __repr__(self) -> str:
        return (
            f"Opened(content=<{len(self.content)} characters hidden>, "
            f"attachments={self.attachments!r})"
        )


@attrs.frozen(repr=False)
class ShareLink:
    """A parsed share link: the slug to ask the server for, and keyB from the fragment.

    ``access_url`` is the link without its fragment (safe to log or send).
    """

    slug: str
    key_b: str
    access_url: str = ""

    def __repr__(self) -> str:
        return f"ShareLink(slug={self.slug!r}, access_url={self.access_url!r}, key_b=<hidden>)"


# --------------------------------------------------------------------------- keys


def generate_key() -> str:
    """A fresh 32-character key, each character uniform over the 62 symbols.

    ``secrets.choice`` draws by rejection sampling from the OS CSPRNG, so there
    is none of the modulo bias of ``byte % 62``.
    """
    return "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))


def _check_key(key: object, argument: str = "key") -> str:
    if isinstance(key, str) and _KEY_RE.fullmatch(key) is not None:
        return key
    raise ValidationError(f"The {argument} {_KEY_RULE}.", details={argument: [_KEY_RULE]})


def split_key(key: str) -> tuple[str, str]:
    """Split a 32-character key into (keyA for the server, keyB for the link)."""
    key = _check_key(key)
    return key[:KEY_A_LENGTH], key[KEY_A_LENGTH:]


def is_key_b(value: object) -> bool:
    """The one rule for keyB's shape: 24 characters from A-Z, a-z and 0-9."""
    return isinstance(value, str) and _KEY_B_RE.fullmatch(value) is not None


def key_check(key_b: str) -> str:
    """What lets the server refuse a mistyped link before it counts a view.

    The unpadded base64url of the first 16 bytes of
    ``SHA-256(b"sharokey-key-check-v1:" + UTF-8 keyB)`` (docs/protocol.md#key-check).
    keyB carries about 143 bits, so this tells the server nothing it could not
    already test against the ciphertext and keyA it stores.
    """
    if not is_key_b(key_b):
        raise ValidationError(f"key_b {_KEY_B_RULE}.", details={"key_b": [_KEY_B_RULE]})
    digest = hashlib.sha256(KEY_CHECK_PREFIX + key_b.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest[:_KEY_CHECK_BYTES]).rstrip(b"=").decode("ascii")


def derive_key(key: str, salt: bytes) -> bytes:
    """The 32-byte AES key: PBKDF2-HMAC-SHA256 over the UTF-8 bytes of the whole key."""
    key = _check_key(key)
    if not isinstance(salt, (bytes, bytearray)) or len(salt) != SALT_BYTES:
        raise ValidationError(
            f"The salt must be {SALT_BYTES} bytes.",
            details={"salt": [f"must be {SALT_BYTES} bytes"]},
        )
    # A str password would be encoded as latin-1 by pycryptodome: pass bytes.
    return PBKDF2(
        key.encode("utf-8"),
        bytes(salt),
        dkLen=AES_KEY_BYTES,
        count=PBKDF2_ITERATIONS,
        hmac_hash_module=SHA256,
    )


# --------------------------------------------------------------------------- sealing


def attachment_associated_data(index: int, count: int, name: str) -> bytes:
    """What a unique-mode attachment's tag also covers: its place, the number of files, its name.

    A server that cannot read a secret could otherwise rename ``report.pdf`` to
    ``report.exe``, reorder files or drop one (docs/protocol.md#4-cryptography).
    """
    return f"{ATTACHMENT_AD_PREFIX}\x00{index}\x00{count}\x00{name}".encode()


def _encrypt(
    aes_key: bytes, iv: bytes, data: Union[bytes, memoryview], associated: bytes = b""
) -> _b64.Pieces:
    """base64(ciphertext || tag) in pieces, built in one buffer that is freed once encoded.

    The buffer's pages are first touched by the cipher, which runs without the
    GIL (``scratch``): an event loop is not kept waiting while 10 MiB is zeroed.
    """
    size = len(data)
    buffer = scratch(size + TAG_BYTES)
    view = memoryview(buffer)
    cipher = AES.new(aes_key, AES.MODE_GCM, nonce=iv, mac_len=TAG_BYTES)
    if associated:
        cipher.update(associated)
    if size:
        _, tag = cipher.encrypt_and_digest(data, output=view[:size])
    else:
        tag = cipher.digest()
    view[size:] = tag
    pieces = _b64.encode_pieces(view)
    view.release()
    del buffer
    return _b64.Pieces(pieces)


def _collect_attachments(
    attachments: Iterable[tuple[str, bytes]],
) -> list[tuple[str, memoryview]]:
    """Validate the files before any work is done; returns (name, bytes view) pairs."""

    def refuse(reason: str) -> ValidationError:
        return ValidationError(f"Attachments refused: {reason}.", details={"attachments": [reason]})

    if isinstance(attachments, (str, bytes, bytearray, Mapping)):
        raise refuse("give an iterable of (name, bytes) pairs")
    try:
        iterator = iter(attachments)
    except TypeError:
        raise refuse("give an iterable of (name, bytes) pairs") from None
    files: list[tuple[str, memoryview]] = []
    total = 0
    for item in iterator:
        over = attachment_budget_problem(len(files) + 1, total)  # an endless iterable stops
        if over is not None:
            raise refuse(over)
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise refuse("each attachment must be a (name, bytes) pair")
        name, data = item
        if not isinstance(name, str) or not name.strip():
            raise refuse("each attachment needs a non-empty name")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise refuse(f"the data of {name!r} must be bytes")
        view = memoryview(data)
        if not view.c_contiguous:
            raise refuse(f"the data of {name!r} must be a contiguous buffer")
        view = view.cast("B")
        total += view.nbytes
        over = attachment_budget_problem(len(files) + 1, total)
        if over is not None:
            raise refuse(over)
        files.append((name, view))
    return files


def seal(
    content: str,
    attachments: Iterable[tuple[str, bytes]] = (),
    *,
    nonces: Optional[NonceMode] = None,
    key: Optional[str] = None,
) -> Sealed:
    """Encrypt a secret's text and files for the create request.

    ``nonces``: ``None`` (default) writes the official shared-nonce format and
    warns once per process when there are attachments; ``"shared"`` does the
    same silently; ``"unique"`` gives each attachment its own nonce (``iv``).
    ``key`` is for tests and interop checks; normally a fresh one is drawn.
    """
    sealed = seal_pieces(content, attachments, nonces=nonces, key=key, _stacklevel=3)
    payload = sealed.payload
    payload["content"] = str(payload["content"])
    for entry in payload.get("attachments", ()):
        entry["data"] = str(entry["data"])
    return sealed


def seal_pieces(
    content: str,
    attachments: Iterable[tuple[str, bytes]] = (),
    *,
    nonces: Optional[NonceMode] = None,
    key: Optional[str] = None,
    _stacklevel: int = 2,
) -> Sealed:
    """:func:`seal`, the ciphertexts left as :class:`~sharokey._b64.Pieces` (the SDK's body).

    The create body splices the pieces in place (``_body``), so 14 MB of base64
    is never joined into one ``str`` on the way.
    """
    if not isinstance(content, str):
        raise ValidationError("The content must be text.", details={"content": ["must be a str"]})
    plain: Optional[bytes]
    try:
        plain = content.encode("utf-8")
    except UnicodeEncodeError:
        plain = None  # raised below, outside the handler: the error holds the text
    if plain is None:
        raise ValidationError(
            "The content is not valid Unicode text (it holds lone surrogates).",
            details={"content": ["must encode as UTF-8"]},
        )
    if nonces is not None and nonces not in ("shared", "unique"):
        raise ValidationError(
            "nonces must be None, 'shared' or 'unique'.",
            details={"nonces": ["must be None, 'shared' or 'unique'"]},
        )
    key = generate_key() if key is None else _check_key(key)
    files = _collect_attachments(attachments)
    mode: str = nonces or "shared"
    if files and nonces is None:
        warn_shared_nonces(stacklevel=_stacklevel)  # points at the code that called seal()

    salt = secrets.token_bytes(SALT_BYTES)
    iv = secrets.token_bytes(NONCE_BYTES)
    aes_key = derive_key(key, salt)
    payload: dict[str, Any] = {
        "content": _encrypt(aes_key, iv, plain),
        "iv": _b64.encode(iv),
        "salt": _b64.encode(salt),
        "key": key[:KEY_A_LENGTH],
    }
    del plain
    if files:
        used = {iv}
        wire_files: list[dict[str, Any]] = []
        total = 0
        for index, (name, view) in enumerate(files):
            associated = b""
            if mode == "unique":
                associated = attachment_associated_data(index, len(files), name)
                file_iv = secrets.token_bytes(NONCE_BYTES)
                while file_iv in used:  # astronomically unlikely; cheap to rule out
                    file_iv = secrets.token_bytes(NONCE_BYTES)
                used.add(file_iv)
            else:
                file_iv = iv
            entry: dict[str, Any] = {
                "name": name,
                "data": _encrypt(aes_key, file_iv, view, associated),
                "size": view.nbytes,
            }
            if mode == "unique":
                entry["iv"] = _b64.encode(file_iv)
            total += view.nbytes
            wire_files.append(entry)
        payload["attachments"] = wire_files
        payload["attachments_total_size"] = total
    return Sealed(payload=payload, key_b=key[KEY_A_LENGTH:], nonces=mode)


# --------------------------------------------------------------------------- opening

_CHECK_LINK = "Check that the whole link was copied, including the part after '#'."


def _damaged(field: str, what: str) -> DecryptionError:
    return DecryptionError(
        f"The secret's data is damaged: {field} {what}. Check that the answer reached "
        "you unaltered (a proxy or a storage bug may have changed it).",
        details={"field": field},
    )


def _text_field(source: Mapping[str, Any], name: str, label: str) -> str:
    if name not in source or source[name] is None:
        raise _damaged(label, "is missing")
    value = source[name]
    if not isinstance(value, str):
        raise _damaged(label, "is not text")
    return value


def _base64_field(source: Mapping[str, Any], name: str, label: str) -> Union[str, memoryview]:
    """A ciphertext's base64: text, or ASCII left in the answer's body by the SDK's parser."""
    value = source.get(name)
    if isinstance(value, memoryview):
        return value
    return _text_field(source, name, label)


def _bytes_field(source: Mapping[str, Any], name: str, label: str, length: int) -> bytes:
    raw = _b64.decode_strict(_text_field(source, name, label))
    if raw is None:
        raise _damaged(label, "is not valid base64")
    if len(raw) != length:
        raise _damaged(label, f"must be {length} bytes")
    return raw


def _decrypt(
    aes_key: bytes, iv: bytes, text: Union[str, memoryview], label: str, associated: bytes = b""
) -> bytes:
    """Decode and decrypt in one buffer: the plaintext is the decoded ciphertext, in place.

    The base64 is decoded into a ``BytesIO``, decrypted there through its own
    buffer, cut to the plaintext and handed over (``getvalue`` copies nothing),
    so a file costs its size once beside the text, not three times.
    """
    buffer = _b64.decode_buffer(text)
    if buffer is None:
        raise _damaged(label, "is not valid base64")
    size = buffer.seek(0, io.SEEK_END) - TAG_BYTES
    if size < 0:
        raise _damaged(label, "is shorter than an authentication tag")
    cipher = AES.new(aes_key, AES.MODE_GCM, nonce=iv, mac_len=TAG_BYTES)
    if associated:
        cipher.update(associated)
    with buffer.getbuffer() as view:
        tag = bytes(view[size:])
        if size:
            cipher.decrypt(view[:size], output=view[:size])
    try:
        cipher.verify(tag)
        verified = True
    except ValueError:  # MAC check failed
        verified = False
    if not verified:
        buffer.close()  # unauthenticated plaintext: gone before anyone sees it
        raise DecryptionError(
            "The secret could not be decrypted: the key in the link does not match, or "
            f"the data was altered. {_CHECK_LINK}",
            details={"field": label},
        )
    buffer.truncate(size)
    return buffer.getvalue()


def open_payload(payload: Mapping[str, Any], key_b: str) -> Opened:
    """Decrypt a secret from the server's fields and keyB (from the link).

    Reads the official shared-nonce attachments and the per-attachment ``iv``
    format. Every failure, whatever its cause, is a :class:`DecryptionError`.
    """
    if not is_key_b(key_b):
        raise DecryptionError(
            f"The key in the link is missing or malformed: it {_KEY_B_RULE}. {_CHECK_LINK}",
            details={"field": "key_b"},
        )
    if not isinstance(payload, Mapping):
        raise _damaged("payload", "is not an object")
    content = _base64_field(payload, "content", "content")
    key_a = _text_field(payload, "key", "key")
    if _KEY_A_RE.fullmatch(key_a) is None:
        raise _damaged("key", f"must be {KEY_A_LENGTH} characters from A-Z, a-z and 0-9")
    iv = _bytes_field(payload, "iv", "iv", NONCE_BYTES)
    salt = _bytes_field(payload, "salt", "salt", SALT_BYTES)

    raw_files = payload.get("attachments")
    if raw_files is None:
        raw_files = []
    if not isinstance(raw_files, (list, tuple)):
        raise _damaged("attachments", "is not a list")
    # Check every file's shape before the (comparatively) costly work.
    files: list[tuple[str, Union[str, memoryview], bytes, str, bytes]] = []
    for index, item in enumerate(raw_files):
        label = f"attachments[{index}]"
        if not isinstance(item, Mapping):
            raise _damaged(label, "is not an object")
        name = _text_field(item, "name", f"{label}.name")
        data = _base64_field(item, "data", f"{label}.data")
        file_iv, associated = iv, b""
        if item.get("iv") is not None:  # unique mode: its own nonce, and its place bound
            file_iv = _bytes_field(item, "iv", f"{label}.iv", NONCE_BYTES)
            associated = attachment_associated_data(index, len(raw_files), name)
        files.append((name, data, file_iv, f"{label}.data", associated))

    aes_key = derive_key(key_a + key_b, salt)
    plain = _decrypt(aes_key, iv, content, "content")
    text: Optional[str]
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # raised below, outside the handler: the error holds the bytes
    del plain
    if text is None:
        raise _damaged("content", "is not UTF-8 text after decryption")
    opened = [
        OpenedAttachment(name=name, data=_decrypt(aes_key, file_iv, data, label, associated))
        for name, data, file_iv, label, associated in files
    ]
    return Opened(content=text, attachments=opened)


# --------------------------------------------------------------------------- share links

_LINK_SHAPE = "it must look like https://host/s/SLUG#KEY, with 24 letters or digits after '#'"


def _link_error(argument: str, reason: str) -> ValidationError:
    return ValidationError(
        f"The {argument.replace('_', ' ')} is incomplete or malformed: {reason}; {_LINK_SHAPE}. "
        "Check that the whole link was copied.",
        details={argument: [reason]},
    )


def _split_link(url: object, argument: str) -> tuple[str, str, Optional[str]]:
    """(link without fragment, slug, fragment or None); ValidationError if unusable."""
    if not isinstance(url, str):
        raise _link_error(argument, "it is not text")
    url = url.strip()
    base, hash_sign, fragment = url.partition("#")
    try:
        parts = urlsplit(base)
    except ValueError:
        raise _link_error(argument, "it is not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise _link_error(argument, "it is not an http(s) address")
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        raise _link_error(argument, "it names no secret")
    return base, segments[-1], (fragment if hash_sign else None)


def compose_share_url(access_url: str, key_b: str) -> str:
    """The link to hand out: the server's URL, any fragment it put dropped, then ``#keyB``."""
    if not is_key_b(key_b):
        raise ValidationError(f"key_b {_KEY_B_RULE}.", details={"key_b": [_KEY_B_RULE]})
    base, _, _ = _split_link(access_url, "access_url")
    return f"{base}#{key_b}"


def parse_share_url(url: str) -> ShareLink:
    """Split a share link into its slug and keyB (the fragment, never sent to a server)."""
    base, slug, fragment = _split_link(url, "share_url")
    if fragment is None or fragment == "":
        raise _link_error("share_url", "the key after '#' is missing")
    if not is_key_b(fragment):
        raise _link_error("share_url", "the key after '#' is not 24 letters or digits")
    return ShareLink(slug=slug, key_b=fragment, access_url=base)
