"""Reveal from both clients, replayed: the recorded ciphertext decrypts with the keyB of the
replayed link (the key comes from the test seam), through every protection and refusal.

Reveal is this project's extension (docs/protocol.md#reveal): the hosted service may not
offer it, so these cassettes are recorded against the emulator only.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from sharokey import RevealedSecret, SharokeySecurityWarning
from sharokey.errors import (
    NotFoundError,
    OtpRequiredError,
    PermissionDeniedError,
    ProtectionError,
    RateLimitError,
)

from ._support import (
    ATTACHMENT_BINARY,
    ATTACHMENT_TEXT,
    CAPTCHA_ANSWER,
    OTHER_PLAINTEXT,
    OTP_EMAIL,
    OTP_PHONE,
    PASSWORD,
    PLAINTEXT,
    WRONG_PASSWORD,
    Api,
)

pytestmark = [
    pytest.mark.vcr,
    pytest.mark.block_network,
    pytest.mark.needs_emulator("reveal is this project's extension (docs/protocol.md#reveal)"),
]


def refused(error: BaseException) -> tuple[type[BaseException], Any, Any]:
    return type(error), getattr(error, "status", None), getattr(error, "code", None)


async def test_reveal_decrypts_and_counts_views(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=2, description="d", message="m")

    first = await api.reveal(created.share_url)
    assert isinstance(first, RevealedSecret)
    assert (first.slug, first.content) == (created.slug, PLAINTEXT)
    assert (first.description, first.message) == ("d", "m")
    assert first.attachments == []
    assert first.remaining_views == 1
    assert PLAINTEXT not in repr(first)

    second = await api.reveal(created.share_url)
    assert (second.content, second.remaining_views) == (PLAINTEXT, 0)

    with pytest.raises(NotFoundError) as used_up:
        await api.reveal(created.share_url)
    assert refused(used_up.value) == (NotFoundError, 404, "NOT_FOUND")
    details = await api.get_details(created.slug)
    assert (details.status, details.current_views) == ("expired", 2)


async def test_reveal_text_beyond_ascii(api: Api) -> None:
    text = f"{OTHER_PLAINTEXT} — clé « été » ✓ 🔐"
    created = await api.create(text, hours=1, views=1)
    revealed = await api.reveal(created.share_url)
    assert revealed.content == text


@pytest.mark.parametrize("nonces", ["shared", "unique"])
async def test_attachments_round_trip_in_both_nonce_modes(
    make_api: Callable[..., Api], nonces: str
) -> None:
    api = make_api(attachment_nonces=nonces)
    files = [("notes.txt", ATTACHMENT_TEXT), ("table.bin", ATTACHMENT_BINARY)]
    created = await api.create(PLAINTEXT, hours=1, views=1, attachments=files)

    details = await api.get_details(created.slug)
    assert (details.has_attachments, details.attachments_count) == (True, 2)
    assert [item.name for item in details.attachments or []] == ["notes.txt", "table.bin"]

    revealed = await api.reveal(created.share_url)
    assert revealed.content == PLAINTEXT
    assert [(item.name, item.data) for item in revealed.attachments] == files
    assert [item.size for item in revealed.attachments] == [len(data) for _, data in files]


async def test_default_nonce_mode_warns_and_still_round_trips(api: Api) -> None:
    with pytest.warns(SharokeySecurityWarning, match="shared"):
        created = await api.create(PLAINTEXT, attachments=[("notes.txt", ATTACHMENT_TEXT)])
    revealed = await api.reveal(created.share_url)
    assert [(item.name, item.data) for item in revealed.attachments] == [
        ("notes.txt", ATTACHMENT_TEXT)
    ]


async def test_password_required_then_wrong_then_right(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, password=PASSWORD)

    with pytest.raises(ProtectionError) as missing:
        await api.reveal(created.share_url)
    assert refused(missing.value) == (ProtectionError, 401, "PASSWORD_REQUIRED")
    with pytest.raises(ProtectionError) as wrong:
        await api.reveal(created.share_url, password=WRONG_PASSWORD)
    assert refused(wrong.value) == (ProtectionError, 401, "INVALID_PASSWORD")
    assert WRONG_PASSWORD not in str(wrong.value)

    revealed = await api.reveal(created.share_url, password=PASSWORD)
    assert (revealed.content, revealed.remaining_views) == (PLAINTEXT, 0)


@pytest.mark.parametrize(
    ("protection", "channel", "shown"),
    [
        ({"otp_email": OTP_EMAIL}, "email", "r***@example.com"),
        ({"otp_phone": OTP_PHONE}, "phone", "+33******78"),
    ],
    ids=["email", "phone"],
)
async def test_otp_flow(
    api: Api, target: Any, vcr: Any, protection: dict[str, str], channel: str, shown: str
) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, **protection)

    with pytest.raises(OtpRequiredError) as sent:
        await api.reveal(created.share_url)
    assert refused(sent.value) == (OtpRequiredError, 401, "OTP_REQUIRED")
    assert (sent.value.channel, sent.value.destination) == (channel, shown)

    code = target.otp_code(created.slug, vcr)
    assert len(code) == 6 and code.isdigit()
    wrong = ("1" if code[0] != "1" else "2") + code[1:]
    with pytest.raises(ProtectionError) as refused_code:
        await api.reveal(created.share_url, otp=wrong)
    assert refused(refused_code.value) == (ProtectionError, 401, "INVALID_OTP")

    revealed = await api.reveal(created.share_url, otp=code)
    assert revealed.content == PLAINTEXT


async def test_captcha_required_then_wrong_then_right(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, captcha=True)

    with pytest.raises(ProtectionError) as missing:
        await api.reveal(created.share_url)
    assert refused(missing.value) == (ProtectionError, 401, "CAPTCHA_REQUIRED")
    assert missing.value.details.get("question")
    with pytest.raises(ProtectionError) as wrong:
        await api.reveal(created.share_url, captcha="robot")
    assert refused(wrong.value) == (ProtectionError, 401, "INVALID_CAPTCHA")

    revealed = await api.reveal(created.share_url, captcha=CAPTCHA_ANSWER)
    assert revealed.content == PLAINTEXT


async def test_only_the_highest_protection_is_asked(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, captcha=True, password=PASSWORD)
    with pytest.raises(ProtectionError) as asked:
        await api.reveal(created.share_url)
    assert asked.value.code == "PASSWORD_REQUIRED"
    revealed = await api.reveal(created.share_url, password=PASSWORD)
    assert revealed.content == PLAINTEXT


async def test_wrong_answers_lock_the_secret(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, password=PASSWORD)
    for _ in range(5):
        with pytest.raises(ProtectionError):
            await api.reveal(created.share_url, password=WRONG_PASSWORD)

    # Locked for longer than the SDK waits: raised at once, with the server's delay.
    with pytest.raises(RateLimitError) as locked:
        await api.reveal(created.share_url, password=PASSWORD)
    assert refused(locked.value) == (RateLimitError, 429, "TOO_MANY_ATTEMPTS")
    assert locked.value.retry_after is not None and locked.value.retry_after > 30
    details = await api.get_details(created.slug)
    assert (details.status, details.current_views) == ("active", 0)


async def test_an_address_outside_the_whitelist_is_refused(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, ip_whitelist=["203.0.113.7"])
    with pytest.raises(PermissionDeniedError) as denied:
        await api.reveal(created.share_url)
    assert refused(denied.value) == (PermissionDeniedError, 403, "ACCESS_DENIED")


async def test_a_country_outside_the_list_is_refused(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, geolocation="FR,BE")
    with pytest.raises(PermissionDeniedError) as denied:
        await api.reveal(created.share_url)
    assert refused(denied.value) == (PermissionDeniedError, 403, "ACCESS_DENIED")
    details = await api.get_details(created.slug)
    assert details.geolocation == "FR,BE"


async def test_a_deleted_secret_cannot_be_revealed(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=3)
    await api.delete(created.slug)
    with pytest.raises(NotFoundError) as gone:
        await api.reveal(created.share_url)
    assert refused(gone.value) == (NotFoundError, 404, "NOT_FOUND")
