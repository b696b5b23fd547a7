"""The cipher layer: wire compatibility, tamper refusal, nonce modes, keys and share links."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest
from Crypto.Cipher import AES

from sharokey import _nonce_warning, crypto
from sharokey.crypto import (
    ALPHABET,
    KEY_LENGTH,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_BYTES,
    compose_share_url,
    derive_key,
    generate_key,
    open_payload,
    parse_share_url,
    seal,
    split_key,
)
from sharokey.errors import DecryptionError, SharokeySecurityWarning, ValidationError

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
NODE_SCRIPT = HERE / "webcrypto_open.mjs"


def _load_vectors() -> list[Any]:
    cases = []
    for name in ("sharokey-js-vectors.json", "sharokey-py-vectors.json"):
        for case in json.loads((FIXTURES / name).read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=case["share_url"].rsplit("/", 1)[-1].split("#")[0]))
    return cases


VECTORS = _load_vectors()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def xor(*parts: bytes) -> bytes:
    size = min(len(p) for p in parts)
    out = bytearray(size)
    for part in parts:
        for i in range(size):
            out[i] ^= part[i]
    return bytes(out)


def refused(payload: Any, key_b: Any, *must_not_leak: str) -> DecryptionError:
    """Open must fail with DecryptionError, and the message must not carry the secrets."""
    with pytest.raises(DecryptionError) as caught:
        open_payload(payload, key_b)
    text = str(caught.value) + repr(caught.value)
    for secret in must_not_leak:
        assert secret not in text
    return caught.value


@pytest.fixture
def fresh_warning_state() -> Iterator[None]:
    _nonce_warning.reset()
    yield
    _nonce_warning.reset()


# --------------------------------------------------------------------------- interop


@pytest.mark.parametrize("case", VECTORS)
def test_official_sdk_vectors_decrypt_to_their_plaintext(case: dict[str, Any]) -> None:
    opened = open_payload(case["payload"], case["key_b"])
    expected = case["plaintext"]
    if "sharokey-js" in case["producer"]:
        expected = expected.strip()  # the JavaScript SDK trims before encrypting
    assert opened.content == expected
    files = case.get("attachments", [])
    assert [a.name for a in opened.attachments] == [f["name"] for f in files]
    assert [a.data for a in opened.attachments] == [unb64(f["plaintext_b64"]) for f in files]


@pytest.mark.parametrize("case", VECTORS)
def test_official_share_links_parse_to_slug_and_key_b(case: dict[str, Any]) -> None:
    link = parse_share_url(case["share_url"])
    assert link.key_b == case["key_b"]
    assert link.slug == case["share_url"].split("#")[0].rstrip("/").split("/")[-1]
    assert "#" not in link.access_url


def test_derive_key_matches_an_independent_pbkdf2() -> None:
    key, salt = generate_key(), os.urandom(16)
    expected = hashlib.pbkdf2_hmac("sha256", key.encode("utf-8"), salt, 10_000, 32)
    assert derive_key(key, salt) == expected


def test_seal_with_a_given_key_follows_the_wire_format() -> None:
    key = generate_key()
    sealed = seal("wire format", key=key)
    payload = sealed.payload
    assert set(payload) == {"content", "iv", "salt", "key"}
    assert payload["key"] == key[:8]
    assert sealed.key_b == key[8:]
    assert split_key(key) == (payload["key"], sealed.key_b)
    iv, salt, wire = unb64(payload["iv"]), unb64(payload["salt"]), unb64(payload["content"])
    assert (len(iv), len(salt)) == (12, 16)
    aes_key = hashlib.pbkdf2_hmac("sha256", key.encode(), salt, 10_000, 32)
    plain = AES.new(aes_key, AES.MODE_GCM, nonce=iv).decrypt_and_verify(wire[:-16], wire[-16:])
    assert plain == b"wire format"


def test_every_seal_draws_a_fresh_key_salt_and_nonce() -> None:
    first, second = seal("same text"), seal("same text")
    for field in ("content", "iv", "salt", "key"):
        assert first.payload[field] != second.payload[field]
    assert first.key_b != second.key_b


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("mode", ["shared", "unique"])
def test_round_trip_with_attachments(mode: str) -> None:
    files = [
        ("notes.txt", b"meeting at 10"),
        ("empty.bin", b""),
        ("r\u00e9sum\u00e9.pdf", os.urandom(5000)),
    ]
    sealed = seal("  Grüße 🔐\nline two  ", files, nonces=mode)  # type: ignore[arg-type]
    attachments = sealed.payload["attachments"]
    assert [a["name"] for a in attachments] == [name for name, _ in files]
    assert [a["size"] for a in attachments] == [len(data) for _, data in files]
    assert sealed.payload["attachments_total_size"] == sum(len(d) for _, d in files)
    opened = open_payload(sealed.payload, sealed.key_b)
    assert opened.content == "  Grüße 🔐\nline two  "  # this SDK does not trim
    assert [(a.name, a.data) for a in opened.attachments] == files


def test_empty_content_round_trips() -> None:
    sealed = seal("", nonces="unique")
    assert open_payload(sealed.payload, sealed.key_b).content == ""


def test_attachments_accept_any_iterable_and_bytes_like_data() -> None:
    pairs = (pair for pair in [("a", bytearray(b"one")), ["b", memoryview(b"two")]])
    sealed = seal("x", pairs, nonces="unique")  # type: ignore[arg-type]
    opened = open_payload(sealed.payload, sealed.key_b)
    assert [(a.name, a.data) for a in opened.attachments] == [("a", b"one"), ("b", b"two")]


def test_large_attachment_crosses_the_base64_chunking_cleanly() -> None:
    data = os.urandom(2 * 1024 * 1024 + 7)  # several encode and decode pieces, odd tail
    sealed = seal("big", [("big.bin", data)], nonces="unique")
    wire = sealed.payload["attachments"][0]["data"]
    assert len(unb64(wire)) == len(data) + 16  # one standard base64 string, no inner padding
    assert open_payload(sealed.payload, sealed.key_b).attachments[0].data == data


def test_padding_in_the_middle_of_a_long_field_is_refused() -> None:
    sealed = seal("big", [("big.bin", os.urandom(1024 * 1024 + 1))], nonces="unique")
    payload = copy.deepcopy(sealed.payload)
    data = payload["attachments"][0]["data"]
    cut = 1024 * 1024 - 4  # a whole quantum ending with padding, then more data
    payload["attachments"][0]["data"] = data[:cut] + "QQ==" + data[cut + 4 :]
    refused(payload, sealed.key_b)


# --------------------------------------------------------------------------- nonce modes


def test_shared_mode_reuses_the_content_nonce_for_attachments() -> None:
    sealed = seal("text", [("a", b"1"), ("b", b"2")], nonces="shared")
    assert all("iv" not in a for a in sealed.payload["attachments"])
    assert sealed.nonces == "shared"


def test_unique_mode_gives_every_attachment_its_own_nonce() -> None:
    sealed = seal("text", [(f"f{i}", b"x") for i in range(MAX_ATTACHMENTS)], nonces="unique")
    nonces = [sealed.payload["iv"]] + [a["iv"] for a in sealed.payload["attachments"]]
    assert all(len(unb64(n)) == 12 for n in nonces)
    assert len(set(nonces)) == len(nonces)
    assert sealed.nonces == "unique"


# A PDF's first bytes are predictable: version line, binary marker, first object.
KNOWN_PDF_HEADER = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
)


def _recover_without_key(payload: dict[str, Any]) -> bytes:
    """What the server can compute: content ct XOR file ct XOR the file's known header."""
    content_ct = unb64(payload["content"])[:-16]
    file_ct = unb64(payload["attachments"][0]["data"])[:-16]
    return xor(content_ct, file_ct, KNOWN_PDF_HEADER)


def test_shared_mode_gives_the_content_away_to_whoever_holds_the_ciphertexts() -> None:
    secret = "The vault code is 0451; the backup is 7719."
    pdf = KNOWN_PDF_HEADER + os.urandom(2000)
    sealed = seal(secret, [("contract.pdf", pdf)], nonces="shared")
    assert _recover_without_key(sealed.payload).decode() == secret


def test_unique_mode_does_not_leak_the_content_that_way() -> None:
    secret = "The vault code is 0451; the backup is 7719."
    pdf = KNOWN_PDF_HEADER + os.urandom(2000)
    sealed = seal(secret, [("contract.pdf", pdf)], nonces="unique")
    assert _recover_without_key(sealed.payload) != secret.encode()


def _security_warnings(caught: Sequence[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in caught if issubclass(w.category, SharokeySecurityWarning)]


@pytest.mark.usefixtures("fresh_warning_state")
def test_default_mode_warns_once_per_process_and_points_at_the_caller() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # so only the SDK's own once-per-process rule applies
        seal("a", [("f", b"x")])
        seal("b", [("g", b"y")])
        (lambda: seal("c", [("h", b"z")]))()  # another call site
    found = _security_warnings(caught)
    assert len(found) == 1
    assert "nonces='unique'" in str(found[0].message)
    assert "nonces='shared'" in str(found[0].message)
    assert found[0].filename == __file__


@pytest.mark.usefixtures("fresh_warning_state")
@pytest.mark.parametrize(
    ("attachments", "mode"),
    [([], None), ([("f", b"x")], "shared"), ([("f", b"x")], "unique")],
    ids=["no-attachments", "explicit-shared", "unique"],
)
def test_no_warning_when_nothing_was_chosen_on_the_callers_behalf(
    attachments: list[tuple[str, bytes]], mode: Any
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seal("a", attachments, nonces=mode)
    assert _security_warnings(caught) == []


@pytest.mark.usefixtures("fresh_warning_state")
def test_warning_as_error_keeps_refusing_until_a_mode_is_chosen() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SharokeySecurityWarning)
        for _ in range(2):
            with pytest.raises(SharokeySecurityWarning):
                seal("a", [("f", b"x")])
        seal("a", [("f", b"x")], nonces="shared")


# --------------------------------------------------------------------------- refusals


def _sealed_small(mode: str) -> crypto.Sealed:
    return seal("tamper target", [("f.txt", b"file body")], nonces=mode)  # type: ignore[arg-type]


def _flip(text: str, index: int) -> str:
    raw = bytearray(unb64(text))
    raw[index] ^= 0x01
    return b64(bytes(raw))


@pytest.mark.parametrize("mode", ["shared", "unique"])
def test_any_single_byte_flip_is_refused(mode: str) -> None:
    sealed = _sealed_small(mode)
    targets: list[tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = [
        (lambda p: p, "content"),
        (lambda p: p, "iv"),
        (lambda p: p, "salt"),
        (lambda p: p["attachments"][0], "data"),
    ]
    if mode == "unique":
        targets.append((lambda p: p["attachments"][0], "iv"))
    checked = 0
    for holder, field in targets:
        for index in range(len(unb64(holder(sealed.payload)[field]))):
            payload = copy.deepcopy(sealed.payload)
            holder(payload)[field] = _flip(holder(payload)[field], index)
            refused(payload, sealed.key_b, sealed.key_b)
            checked += 1
    assert checked > 60


def test_any_change_to_key_a_is_refused() -> None:
    sealed = _sealed_small("unique")
    key_a = sealed.payload["key"]
    for index in range(len(key_a)):
        payload = dict(sealed.payload)
        other = "A" if key_a[index] != "A" else "B"
        payload["key"] = key_a[:index] + other + key_a[index + 1 :]
        refused(payload, sealed.key_b, sealed.key_b)


@pytest.mark.parametrize(
    "bad_key_b",
    [
        pytest.param(lambda k: ("B" if k[0] == "A" else "A") + k[1:], id="one-char-changed"),
        pytest.param(lambda k: k[:-1], id="too-short"),
        pytest.param(lambda k: k + "A", id="too-long"),
        pytest.param(lambda k: k[:-1] + "-", id="outside-alphabet"),
        pytest.param(lambda k: k[:-1] + "é", id="non-ascii"),
        pytest.param(lambda k: "", id="empty"),
        pytest.param(lambda k: None, id="not-a-string"),
    ],
)
def test_a_wrong_key_b_is_refused_without_echoing_it(bad_key_b: Callable[[str], Any]) -> None:
    key = generate_key()
    sealed = seal("for the right key only", key=key)
    wrong = bad_key_b(sealed.key_b)
    leaks = [key, sealed.key_b, "for the right key only"] + ([wrong] if wrong else [])
    refused(sealed.payload, wrong, *leaks)


@pytest.mark.parametrize("field", ["content", "iv", "salt", "key"])
def test_a_missing_or_non_text_field_is_refused(field: str) -> None:
    sealed = _sealed_small("shared")
    missing = {k: v for k, v in sealed.payload.items() if k != field}
    error = refused(missing, sealed.key_b, sealed.key_b)
    assert field in str(error)
    for value in (None, 42, b"bytes", ["list"]):
        refused({**sealed.payload, field: value}, sealed.key_b)


@pytest.mark.parametrize("field", ["name", "data"])
def test_an_attachment_missing_a_field_is_refused(field: str) -> None:
    sealed = _sealed_small("shared")
    payload = copy.deepcopy(sealed.payload)
    del payload["attachments"][0][field]
    refused(payload, sealed.key_b)


def test_an_attachment_missing_its_own_nonce_is_refused() -> None:
    sealed = _sealed_small("unique")
    payload = copy.deepcopy(sealed.payload)
    del payload["attachments"][0]["iv"]
    refused(payload, sealed.key_b)


def _three_unique_files() -> tuple[dict[str, Any], str]:
    sealed = seal(
        "the text",
        [("report.pdf", b"%PDF-1.4 one"), ("notes.txt", b"two"), ("c.bin", b"3")],
        nonces="unique",
    )
    return sealed.payload, sealed.key_b


def _renamed(files: list[dict[str, Any]]) -> None:
    files[0]["name"] = "report.exe"


def _climbing(files: list[dict[str, Any]]) -> None:
    files[1]["name"] = "../../.bashrc"


def _reordered(files: list[dict[str, Any]]) -> None:
    files[0], files[1] = files[1], files[0]


def _data_swapped(files: list[dict[str, Any]]) -> None:
    # Names stay in place; ciphertexts and their nonces trade places.
    for field in ("data", "iv", "size"):
        files[0][field], files[1][field] = files[1][field], files[0][field]


def _dropped_last(files: list[dict[str, Any]]) -> None:
    files.pop()


def _dropped_first(files: list[dict[str, Any]]) -> None:
    files.pop(0)


def _duplicated(files: list[dict[str, Any]]) -> None:
    files.append(copy.deepcopy(files[0]))


UNIQUE_TAMPERING = [
    _renamed,
    _climbing,
    _reordered,
    _data_swapped,
    _dropped_last,
    _dropped_first,
    _duplicated,
]


@pytest.mark.parametrize("tamper", UNIQUE_TAMPERING, ids=lambda f: f.__name__.strip("_"))
def test_unique_mode_binds_each_attachments_name_place_and_count(
    tamper: Callable[[list[dict[str, Any]]], None],
) -> None:
    payload, key_b = _three_unique_files()
    assert len(open_payload(payload, key_b).attachments) == 3  # untouched, it opens
    tampered = copy.deepcopy(payload)
    tamper(tampered["attachments"])
    with pytest.raises(DecryptionError):
        open_payload(tampered, key_b)


def test_unique_mode_associated_data_is_the_documented_bytes() -> None:
    # docs/protocol.md#4-cryptography: UTF-8 of "sharokey-attachment-v1\0{index}\0{count}\0{name}".
    payload, key_b = _three_unique_files()
    salt = base64.b64decode(payload["salt"])
    aes_key = hashlib.pbkdf2_hmac("sha256", (payload["key"] + key_b).encode(), salt, 10_000, 32)
    second = payload["attachments"][1]
    raw = base64.b64decode(second["data"])
    cipher = AES.new(aes_key, AES.MODE_GCM, nonce=base64.b64decode(second["iv"]), mac_len=16)
    cipher.update(b"sharokey-attachment-v1\x001\x003\x00notes.txt")
    assert cipher.decrypt_and_verify(raw[:-16], raw[-16:]) == b"two"


def test_dropping_every_attachment_is_not_detected() -> None:
    # What the associated data does not cover (docs/security.md): the content has none, so a
    # payload stripped of all its files still opens, with no files.
    payload, key_b = _three_unique_files()
    stripped = {
        k: v for k, v in payload.items() if k not in ("attachments", "attachments_total_size")
    }
    opened = open_payload(stripped, key_b)
    assert opened.content == "the text" and opened.attachments == []


def test_shared_mode_attachments_carry_no_associated_data() -> None:
    # The official format, byte for byte: a renamed file still opens (nothing is bound).
    sealed = seal("x", [("a.txt", b"one"), ("b.txt", b"two")], nonces="shared")
    payload = copy.deepcopy(sealed.payload)
    payload["attachments"][0]["name"] = "renamed.txt"
    assert [a.name for a in open_payload(payload, sealed.key_b).attachments] == [
        "renamed.txt",
        "b.txt",
    ]


@pytest.mark.parametrize(
    "value", ["not base64!", "QUJD\n", "QUJDRA", "QUJD=A==", "ÀÉÎ", "QU JD"], ids=repr
)
@pytest.mark.parametrize("field", ["content", "iv", "salt"])
def test_bad_base64_is_refused(field: str, value: str) -> None:
    sealed = _sealed_small("shared")
    refused({**sealed.payload, field: value}, sealed.key_b)


@pytest.mark.parametrize(("field", "size"), [("iv", 11), ("iv", 16), ("salt", 15), ("salt", 32)])
def test_wrong_nonce_or_salt_length_is_refused(field: str, size: int) -> None:
    sealed = _sealed_small("shared")
    refused({**sealed.payload, field: b64(os.urandom(size))}, sealed.key_b)


@pytest.mark.parametrize("size", [0, 1, 15])
def test_ciphertext_shorter_than_a_tag_is_refused(size: int) -> None:
    sealed = _sealed_small("shared")
    error = refused({**sealed.payload, "content": b64(os.urandom(size))}, sealed.key_b)
    assert "tag" in str(error)


def test_a_bare_tag_that_does_not_verify_is_refused() -> None:
    sealed = _sealed_small("shared")
    refused({**sealed.payload, "content": b64(os.urandom(16))}, sealed.key_b)


def test_authentic_but_non_utf8_plaintext_is_refused() -> None:
    key, salt, iv = generate_key(), os.urandom(16), os.urandom(12)
    cipher = AES.new(derive_key(key, salt), AES.MODE_GCM, nonce=iv)
    ciphertext, tag = cipher.encrypt_and_digest(b"valid tag, \xff\xfe not utf-8")
    payload = {"content": b64(ciphertext + tag), "iv": b64(iv), "salt": b64(salt), "key": key[:8]}
    error = refused(payload, key[8:], key, "valid tag")
    assert "UTF-8" in str(error)


@pytest.mark.parametrize(
    "attachments",
    ["not a list", {"name": "a"}, [1], [None], [{"name": 5, "data": "QUJD"}], [{"name": "a"}]],
    ids=repr,
)
def test_malformed_attachment_lists_are_refused(attachments: Any) -> None:
    sealed = _sealed_small("shared")
    refused({**sealed.payload, "attachments": attachments}, sealed.key_b)


@pytest.mark.parametrize("payload", [None, [], "content", 42], ids=repr)
def test_a_payload_that_is_not_an_object_is_refused(payload: Any) -> None:
    refused(payload, "A" * 24)


def test_missing_or_null_attachments_mean_none() -> None:
    sealed = seal("no files", nonces="shared")
    assert open_payload({**sealed.payload, "attachments": None}, sealed.key_b).attachments == []
    assert open_payload({**sealed.payload, "attachments": []}, sealed.key_b).attachments == []


# --------------------------------------------------------------------------- seal validation


@pytest.mark.parametrize(
    "key", ["short", "A" * 31, "A" * 33, "A" * 31 + "-", "é" * 32, 12345, b"A" * 32], ids=repr
)
def test_seal_refuses_a_malformed_key_without_echoing_it(key: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        seal("x", key=key)
    assert "key" in caught.value.fields
    if isinstance(key, str) and len(key) > 3:
        assert key not in str(caught.value)


@pytest.mark.parametrize("mode", ["Unique", "random", "", 1], ids=repr)
def test_seal_refuses_an_unknown_nonce_mode(mode: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        seal("x", [("f", b"x")], nonces=mode)
    assert "nonces" in caught.value.fields


@pytest.mark.parametrize("content", [None, b"bytes", 42, "lone \ud800 surrogate"], ids=repr)
def test_seal_refuses_content_that_is_not_text(content: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        seal(content)
    assert "content" in caught.value.fields
    if isinstance(content, str):
        assert content not in str(caught.value) + repr(caught.value.details)


@pytest.mark.parametrize(
    "attachments",
    [
        pytest.param([(f"f{i}", b"x") for i in range(MAX_ATTACHMENTS + 1)], id="eleven-files"),
        pytest.param([("a", bytes(MAX_ATTACHMENTS_BYTES)), ("b", b"x")], id="over-10-MiB"),
        pytest.param([("", b"x")], id="empty-name"),
        pytest.param([("   ", b"x")], id="blank-name"),
        pytest.param([(None, b"x")], id="name-not-text"),
        pytest.param([("a", "text, not bytes")], id="data-not-bytes"),
        pytest.param([("a",)], id="not-a-pair"),
        pytest.param([b"ab"], id="bytes-item"),
        pytest.param("ab", id="a-string"),
        pytest.param({"a": b"x"}, id="a-mapping"),
        pytest.param(42, id="not-iterable"),
    ],
)
def test_seal_refuses_bad_attachments(attachments: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        seal("x", attachments, nonces="unique")
    assert "attachments" in caught.value.fields


def test_seal_accepts_exactly_the_limits() -> None:
    files = [(f"f{i}", bytes(MAX_ATTACHMENTS_BYTES // MAX_ATTACHMENTS)) for i in range(10)]
    files[-1] = ("last", bytes(MAX_ATTACHMENTS_BYTES - sum(len(d) for _, d in files[:-1])))
    sealed = seal("x", files, nonces="unique")
    assert sealed.payload["attachments_total_size"] == MAX_ATTACHMENTS_BYTES


def test_seal_refuses_unbounded_iterables_without_consuming_them_all() -> None:
    def endless() -> Iterator[tuple[str, bytes]]:
        while True:
            yield ("f", b"x")

    with pytest.raises(ValidationError):
        seal("x", endless(), nonces="unique")


def test_derive_key_and_split_key_refuse_malformed_input() -> None:
    with pytest.raises(ValidationError):
        derive_key("short", os.urandom(16))
    with pytest.raises(ValidationError) as caught:
        derive_key(generate_key(), os.urandom(8))
    assert "salt" in caught.value.fields
    with pytest.raises(ValidationError):
        split_key("A" * 31)


# --------------------------------------------------------------------------- share links

KEY_B = "AbCdEfGhIjKlMnOpQrStUvWx"


@pytest.mark.parametrize(
    "access_url",
    [
        "https://app.example/s/SLUG",
        "https://app.example/s/SLUG#keyB_part_here",
        "https://app.example/s/SLUG#",
        "http://127.0.0.1:8000/s/SLUG/#whatever#else",
    ],
)
def test_compose_replaces_whatever_fragment_the_server_put(access_url: str) -> None:
    url = compose_share_url(access_url, KEY_B)
    assert url == access_url.split("#")[0] + "#" + KEY_B
    link = parse_share_url(url)
    assert (link.slug, link.key_b) == ("SLUG", KEY_B)


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        (f"https://app.example/s/SLUG#{KEY_B}", "SLUG"),
        (f"https://app.example/s/SLUG/#{KEY_B}", "SLUG"),
        (f"https://app.example/api/v1/secrets/x9Y?utm=1#{KEY_B}", "x9Y"),
        (f"  HTTP://host:8080/ABC#{KEY_B}\n", "ABC"),
    ],
)
def test_parse_share_url_takes_the_last_path_segment_and_the_fragment(url: str, slug: str) -> None:
    link = parse_share_url(url)
    assert (link.slug, link.key_b) == (slug, KEY_B)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://app.example/s/SLUG", id="no-fragment"),
        pytest.param("https://app.example/s/SLUG#", id="empty-fragment"),
        pytest.param("https://app.example/s/SLUG#keyB_part_here", id="placeholder"),
        pytest.param(f"https://app.example/s/SLUG#{KEY_B[:-1]}", id="23-chars"),
        pytest.param(f"https://app.example/s/SLUG#{KEY_B}x", id="25-chars"),
        pytest.param(f"https://app.example/s/SLUG#{KEY_B[:-1]}é", id="non-ascii"),
        pytest.param(f"https://app.example/s/SLUG#{KEY_B[:-1]}-", id="dash"),
        pytest.param(f"https://app.example/#{KEY_B}", id="no-slug"),
        pytest.param(f"ftp://app.example/s/SLUG#{KEY_B}", id="not-http"),
        pytest.param(f"SLUG#{KEY_B}", id="no-scheme"),
        pytest.param(f"https:///s/SLUG#{KEY_B}", id="no-host"),
        pytest.param(f"http://[::1/s/SLUG#{KEY_B}", id="unparsable"),
        pytest.param(None, id="not-text"),
    ],
)
def test_bad_share_links_are_a_usage_error_that_never_echoes_the_fragment(url: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_share_url(url)
    assert "share_url" in caught.value.fields
    assert "incomplete" in str(caught.value)
    if isinstance(url, str) and "#" in url and url.split("#", 1)[1].strip():
        fragment = url.split("#", 1)[1].strip()
        assert fragment not in str(caught.value) + repr(caught.value.details)


@pytest.mark.parametrize("key_b", [KEY_B[:-1], KEY_B + "A", KEY_B[:-1] + "_", None], ids=repr)
def test_compose_refuses_a_malformed_key_b(key_b: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        compose_share_url("https://app.example/s/SLUG", key_b)
    assert "key_b" in caught.value.fields


@pytest.mark.parametrize(
    "access_url", ["", "/s/SLUG", "ftp://h/SLUG", "https://h/", None], ids=repr
)
def test_compose_refuses_an_unusable_access_url(access_url: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        compose_share_url(access_url, KEY_B)
    assert "access_url" in caught.value.fields


# --------------------------------------------------------------------------- no leaks


def test_reprs_show_sizes_and_names_never_keys_or_content() -> None:
    key = generate_key()
    text = "top secret content"
    sealed = seal(text, [("plan.txt", b"attack at dawn")], nonces="unique", key=key)
    opened = open_payload(sealed.payload, sealed.key_b)
    link = parse_share_url(compose_share_url("https://h/s/SLUG", sealed.key_b))
    reprs = repr(sealed) + repr(opened) + repr(link)
    for secret in (key, key[:8], sealed.key_b, text, "attack at dawn", sealed.payload["content"]):
        assert secret not in reprs
    assert "plan.txt" in repr(opened)
    assert "SLUG" in repr(link)
    assert str(len(text)) in repr(opened)


# --------------------------------------------------------------------------- key uniformity

SAMPLE_KEYS = 20_000
DEGREES = len(ALPHABET) - 1
# 33 statistics (32 positions + pooled), family-wise false alarm 1e-6: never flakes.
P_EACH = 1e-6 / (KEY_LENGTH + 1)


def chi_square_sf(x: float, df: int) -> float:
    """P(X >= x) for chi-square with ``df`` degrees: 1 - regularized lower gamma (series)."""
    a, t = df / 2, x / 2
    if t <= 0:
        return 1.0
    term = total = 1 / a
    n = 0
    while term > total * 1e-17:
        n += 1
        term *= t / (a + n)
        total += term
    lower = total * math.exp(a * math.log(t) - t - math.lgamma(a))
    return max(0.0, 1 - lower)


def _chi_square(counts: Counter[str], total: int) -> float:
    expected = total / len(ALPHABET)
    return sum((counts[s] - expected) ** 2 / expected for s in ALPHABET)


def uniformity_failures(keys: Sequence[str]) -> list[str]:
    """Positions (and the pooled count) whose symbol counts are not plausibly uniform."""
    failures = []
    pooled: Counter[str] = Counter()
    for position, column in enumerate(zip(*keys)):
        counts = Counter(column)
        pooled.update(counts)
        p_value = chi_square_sf(_chi_square(counts, len(keys)), DEGREES)
        if set(counts) - set(ALPHABET) or p_value < P_EACH:
            failures.append(f"position {position}")
    if chi_square_sf(_chi_square(pooled, len(keys) * KEY_LENGTH), DEGREES) < P_EACH:
        failures.append("pooled")
    return failures


@pytest.mark.parametrize("x", [0.5, 10.0, 40.0, 60.0])
def test_chi_square_tail_matches_the_closed_form(x: float) -> None:
    # With 2 degrees of freedom the survival function is exactly exp(-x/2).
    assert chi_square_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-9)


def test_chi_square_tail_is_calibrated_where_the_test_uses_it() -> None:
    # Mean of chi-square(61) is 61: about half the mass lies above; far out, almost none.
    assert 0.4 < chi_square_sf(61, DEGREES) < 0.5
    assert chi_square_sf(200, DEGREES) < P_EACH < chi_square_sf(110, DEGREES)


def test_generated_keys_are_uniform_over_the_62_symbols() -> None:
    keys = [generate_key() for _ in range(SAMPLE_KEYS)]
    assert all(len(k) == KEY_LENGTH for k in keys)
    assert len(set(keys)) == SAMPLE_KEYS
    assert uniformity_failures(keys) == []


def test_the_uniformity_check_catches_the_official_modulo_62_generator() -> None:
    rng = random.Random(62)
    table = bytes(ord(ALPHABET[b % 62]) for b in range(256))
    text = rng.randbytes(SAMPLE_KEYS * KEY_LENGTH).translate(table).decode("ascii")
    biased = [text[i : i + KEY_LENGTH] for i in range(0, len(text), KEY_LENGTH)]
    failures = uniformity_failures(biased)
    assert "pooled" in failures
    assert len(failures) > KEY_LENGTH // 2


# --------------------------------------------------------------------------- WebCrypto


def _node_with_webcrypto() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the WebCrypto interop check needs Node 19+")
    probe = subprocess.run(
        [node, "-e", "process.exit(globalThis.crypto && globalThis.crypto.subtle ? 0 : 3)"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip("this node has no globalThis.crypto.subtle (needs Node 19+)")
    return node


def _webcrypto_open(payload: dict[str, Any], key_b: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node_with_webcrypto(), str(NODE_SCRIPT)],
        input=json.dumps({"payload": payload, "key_b": key_b}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("mode", ["shared", "unique"])
def test_a_browser_opens_what_seal_produced(mode: str) -> None:
    files = [("a.txt", b"hello"), ("empty", b""), ("blob.bin", os.urandom(200_000))]
    text = "Grüße 🔐 from Python\n"
    sealed = seal(text, files, nonces=mode)  # type: ignore[arg-type]
    done = _webcrypto_open(sealed.payload, sealed.key_b)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["content"] == text
    assert [(a["name"], unb64(a["data_b64"])) for a in out["attachments"]] == files


@pytest.mark.parametrize(
    "tamper", [_renamed, _reordered, _dropped_last], ids=lambda f: f.__name__.strip("_")
)
def test_a_browser_refuses_moved_unique_attachments_too(
    tamper: Callable[[list[dict[str, Any]]], None],
) -> None:
    payload, key_b = _three_unique_files()
    tamper(payload["attachments"])
    done = _webcrypto_open(payload, key_b)
    assert done.returncode == 1
    assert "OperationError" in done.stderr


def test_the_browser_helper_refuses_tampering_too() -> None:
    sealed = seal("x", [("a", b"y")], nonces="unique")
    payload = copy.deepcopy(sealed.payload)
    payload["attachments"][0]["data"] = _flip(payload["attachments"][0]["data"], 0)
    done = _webcrypto_open(payload, sealed.key_b)
    assert done.returncode == 1
    assert "OperationError" in done.stderr


# --------------------------------------------------------------------------- key check


def test_the_key_check_is_the_documented_hash() -> None:
    # docs/protocol.md#key-check: the worked value for the test vector's keyB.
    assert crypto.key_check("4w60RhJORpPEhEC7zkSN4DTF") == "EQ-Zlqo-_-wiGGn8AOCjbw"
    key_b = seal("x").key_b
    digest = hashlib.sha256(b"sharokey-key-check-v1:" + key_b.encode()).digest()[:16]
    assert crypto.key_check(key_b) == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_one_character_changes_the_key_check() -> None:
    key_b = seal("x").key_b
    typo = key_b[:-1] + ("B" if key_b[-1] == "A" else "A")
    assert crypto.key_check(key_b) != crypto.key_check(typo)


@pytest.mark.parametrize("key_b", ["", "a" * 23, "a" * 25, "a" * 23 + "-", None], ids=repr)
def test_the_key_check_refuses_what_is_not_a_key_b(key_b: Any) -> None:
    with pytest.raises(ValidationError):
        crypto.key_check(key_b)
