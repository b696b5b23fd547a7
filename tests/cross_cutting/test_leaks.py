"""No secret ever leaves through an error, a repr, a log line or the command's stderr.

Canary values stand for every secret a user hands the SDK or gets back from
it: the API token (and a wrong one), the content, the password (and a wrong
guess built from it), an attachment's bytes, keyB of the share link, and a
secret request's token. Both clients are driven through successes and every
kind of failure with DEBUG logging captured on the root logger; then each
canary is looked for in the exceptions (str, repr, args, details, and every
exception chained behind them), in the reprs of clients and models, in every
log record, and in the CLI's stderr with and without ``--debug``. A request
token may show its first 4 characters, no more.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import secrets
import socket
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import attrs
import pytest
import requests

import sharokey
from sharokey import cli
from sharokey._cli import terminal
from sharokey.crypto import parse_share_url, seal
from sharokey.emulator import EmulatorHandle, run_emulator

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("clean_env")]

TOKEN = "tokCANARY" + secrets.token_hex(12)
WRONG_TOKEN = "tokWRONGCANARY" + secrets.token_hex(8)
CONTENT = "contentCANARY" + secrets.token_hex(8)
PASSWORD = "pwCANARY" + secrets.token_hex(8)
FILE_BYTES = b"fileCANARY" + secrets.token_hex(8).encode()


class Canaries:
    """Every secret of one run, and the check that a text holds none of them."""

    def __init__(self) -> None:
        self.values = {
            "token": TOKEN,
            "wrong token": WRONG_TOKEN,
            "content": CONTENT,
            "password": PASSWORD,
            "attachment bytes": FILE_BYTES.decode(),
        }
        self.request_tokens: list[str] = []

    def add_link(self, share_url: str) -> None:
        self.values["keyB"] = share_url.rsplit("#", 1)[1]

    def check(self, text: str, where: str) -> None:
        for name, value in self.values.items():
            assert value not in text, f"the {name} leaked into {where}: {text!r}"
        for token in self.request_tokens:
            # At most the first 4 characters may show: no 5 consecutive ones.
            for start in range(len(token) - 4):
                window = token[start : start + 5]
                assert window not in text, f"a request token leaked into {where}: {text!r}"


def shown_texts(error: BaseException) -> Iterator[str]:
    """What an exception shows: the traceback Python prints, and the text of each
    exception in that printed chain."""
    yield "".join(traceback.format_exception(type(error), error, error.__traceback__))
    current: Optional[BaseException] = error
    while current is not None:
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        yield repr(getattr(current, "details", None))
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            current = None
        else:
            current = current.__context__


def hidden_texts(error: BaseException) -> Iterator[str]:
    """The text of every exception reachable from ``error``, including a context that
    ``raise ... from None`` hides from tracebacks but that error reporters can walk."""
    seen: set[int] = set()
    pending: list[Optional[BaseException]] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        pending.extend([current.__cause__, current.__context__])


def _closed_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/api/v1"


def _tampered(link: str) -> str:
    head, key_b = link.rsplit("#", 1)
    swapped = key_b[:5] + ("B" if key_b[5] == "A" else "A") + key_b[6:]
    return f"{head}#{swapped}"


def _unchecked_link(emu: EmulatorHandle) -> str:
    """A link to a secret made as the official SDKs make them: no key check, so a wrong
    key is found by decryption, on the reader's side."""
    sealed = seal(CONTENT)
    made = requests.post(
        emu.api_url + "/secrets",
        json={**sealed.payload, "maximum_views": 5},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return f"{made.json()['data']['access_url']}#{sealed.key_b}"


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


# --------------------------------------------------------------------------- the clients


def _failures(
    make: Callable[[str, str], Any], emu: EmulatorHandle, link: str, request_token: str
) -> list[tuple[str, type[sharokey.SharokeyError], Callable[[], Any]]]:
    """(what, expected error, call) for every kind of failure, on clients built by ``make``."""
    client = make(TOKEN, emu.api_url)
    wrong = make(WRONG_TOKEN, emu.api_url)
    offline = make(TOKEN, _closed_url())
    files = [("notes.txt", FILE_BYTES)]
    guess = request_token[:-3] + "zzz"  # shares all but 3 characters with the real one
    unchecked = _unchecked_link(emu)

    def server_fault() -> Any:
        emu.add_fault("POST /api/v1/secrets 500 x1")
        return client.create(CONTENT, password=PASSWORD, attachments=files)

    return [
        ("wrong password", sharokey.ProtectionError, lambda: client.reveal(link, "x" + PASSWORD)),
        ("wrong token", sharokey.AuthenticationError, lambda: wrong.list_secrets()),
        (
            "wrong token on a request",
            sharokey.AuthenticationError,
            lambda: wrong.get_request(request_token),
        ),
        ("unknown secret", sharokey.NotFoundError, lambda: client.get_details("NOSUCHSLUG")),
        ("unknown request", sharokey.NotFoundError, lambda: client.get_request(guess)),
        (
            "server-side validation (422)",
            sharokey.ValidationError,
            lambda: client.create(CONTENT, password=PASSWORD, geolocation="ZZ", attachments=files),
        ),
        (
            "client-side validation",
            sharokey.ValidationError,
            lambda: client.create(CONTENT, hours=0, password=PASSWORD, otp_email=PASSWORD),
        ),
        ("server fault (500)", sharokey.ServerError, server_fault),
        (
            "network error on create",
            sharokey.NetworkError,
            lambda: offline.create(CONTENT, password=PASSWORD, attachments=files),
        ),
        (
            "network error on a request",
            sharokey.NetworkError,
            lambda: offline.get_request(request_token),
        ),
        (
            "network error on reveal",
            sharokey.NetworkError,
            lambda: offline.reveal(link, password=PASSWORD),
        ),
        (
            "mistyped link",
            sharokey.InvalidKeyError,
            lambda: client.reveal(_tampered(link), password=PASSWORD),
        ),
        (
            "wrong key to a secret without a key check",
            sharokey.DecryptionError,
            lambda: client.reveal(_tampered(unchecked)),
        ),
    ]


@attrs.define
class Observed:
    """What one client run left behind for a reader to find."""

    canaries: Canaries
    errors: list[tuple[str, BaseException]]
    reprs: list[Any]
    records: list[logging.LogRecord]


def _drive(mode: str, emu: EmulatorHandle, policy: Any) -> tuple[Canaries, list[Any], list[Any]]:
    """Create, reveal, list, fetch details and a request on one client, then make every
    failure of the table happen; return the canaries, the errors and the objects to repr."""
    canaries = Canaries()
    loop = asyncio.new_event_loop()
    made: list[Any] = []

    def make(token: str, api_url: str) -> Any:
        kind = sharokey.Sharokey if mode == "sync" else sharokey.AsyncSharokey
        built = kind(token, api_url=api_url, retry_policy=policy(), attachment_nonces="unique")
        made.append(built)
        return built

    def run(value: Any) -> Any:
        if not inspect.isawaitable(value):
            return value

        async def wait() -> Any:
            return await value

        return loop.run_until_complete(wait())

    errors: list[tuple[str, BaseException]] = []
    try:
        client = make(TOKEN, emu.api_url)
        created = run(
            client.create(CONTENT, 2, 5, password=PASSWORD, attachments=[("n.txt", FILE_BYTES)])
        )
        canaries.add_link(created.share_url)
        revealed = run(client.reveal(created.share_url, password=PASSWORD))
        assert revealed.content == CONTENT  # the canaries are this run's real secrets
        assert revealed.attachments[0].data == FILE_BYTES
        request = run(client.create_request(message="send me the key"))
        canaries.request_tokens.append(request.token)
        fetched = run(client.get_request(request.token))
        page = run(client.list_secrets())
        details = run(client.get_details(created.slug))
        sealed = seal(CONTENT, [("f.txt", FILE_BYTES)], nonces="unique")
        link = parse_share_url(created.share_url)
        reprs = [client, created, revealed, revealed.attachments, request, fetched]
        reprs += [page, details, sealed, link]

        for what, expected, action in _failures(make, emu, created.share_url, request.token):
            with pytest.raises(sharokey.SharokeyError) as info:
                run(action())
            assert isinstance(info.value, expected), (what, info.value)
            errors.append((what, info.value))
        run(client.delete_request(request.token))
    finally:
        for built in made:
            run(built.close() if mode == "sync" else built.aclose())
        loop.close()
    return canaries, errors, reprs


@pytest.fixture
def observed(flavour: str, emu: EmulatorHandle, caplog: Any, policy: Any) -> Observed:
    """One client (per flavour) driven through successes and failures, DEBUG captured."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sharokey")
    canaries, errors, reprs = _drive(flavour, emu, policy)
    return Observed(canaries, errors, reprs, list(caplog.records))


def test_errors_show_no_secret(observed: Observed) -> None:
    assert len(observed.errors) == 13
    for what, error in observed.errors:
        for text in shown_texts(error):
            observed.canaries.check(text, f"the {what} error")


def test_no_secret_hides_in_a_suppressed_exception_context(observed: Observed) -> None:
    for what, error in observed.errors:
        for text in hidden_texts(error):
            observed.canaries.check(text, f"the context of the {what} error")


def test_reprs_of_clients_and_models_show_no_secret(observed: Observed) -> None:
    kinds = {type(shown).__name__ for shown in observed.reprs}
    assert {"CreatedSecret", "RevealedSecret", "SecretRequest", "Sealed", "ShareLink"} <= kinds
    for shown in observed.reprs:
        observed.canaries.check(repr(shown), f"the repr of {type(shown).__name__}")


def _check_records(records: list[logging.LogRecord], canaries: Canaries) -> None:
    for record in records:
        where = f"a log record of {record.name}"
        canaries.check(record.getMessage(), where)
        canaries.check(repr(record.msg), where)
        canaries.check(repr(record.args), where)
        if record.exc_info and record.exc_info[1] is not None:
            for text in shown_texts(record.exc_info[1]):
                canaries.check(text, where)


def test_sdk_and_emulator_logs_hold_no_secret(observed: Observed) -> None:
    ours = [r for r in observed.records if r.name.split(".")[0] == "sharokey"]
    names = {r.name for r in ours}
    assert {"sharokey", "sharokey.emulator"} <= names  # both did log at these levels
    assert any("/api/v1/requests/" in r.getMessage() for r in ours if r.name == "sharokey")
    _check_records(ours, observed.canaries)


def test_emulator_access_log_cuts_request_tokens_to_4_characters(observed: Observed) -> None:
    token = observed.canaries.request_tokens[0]
    access = [r.getMessage() for r in observed.records if r.name == "sharokey.emulator"]
    assert any(f"/api/v1/requests/{token[:4]}" in line for line in access)
    _check_records(
        [r for r in observed.records if r.name.startswith("sharokey.emulator")], observed.canaries
    )


def test_library_logs_at_debug_hold_no_secret(observed: Observed) -> None:
    others = [r for r in observed.records if r.name.split(".")[0] != "sharokey"]
    _check_records(others, observed.canaries)


# --------------------------------------------------------------------------- the command


@pytest.fixture
def sk(
    emu: EmulatorHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    policy: Any,
) -> Callable[..., tuple[int, str]]:
    """``sk(*argv)`` runs ``sharokey`` against the emulator; returns (exit code, stderr)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("SHAROKEY_TOKEN", TOKEN)
    monkeypatch.setenv("SHAROKEY_API_URL", emu.api_url)
    monkeypatch.setattr(terminal, "interactive", lambda: False)
    monkeypatch.setattr(terminal, "can_prompt_secret", lambda: False)
    # The command keeps its retries, minus the waiting (refused ports are retried).
    from sharokey import client as client_module

    real = sharokey.Sharokey  # resolved (and cached by the package) before the swap

    class NoWaiting(real):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("retry_policy", policy())
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(client_module, "Sharokey", NoWaiting)

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8"))
        code = cli.main(list(argv))
        return code, capsys.readouterr().err

    return run


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_the_commands_error_output_holds_no_secret(
    sk: Callable[..., tuple[int, str]],
    emu: EmulatorHandle,
    tmp_path: Path,
    debug: bool,
) -> None:
    canaries = Canaries()
    attachment = tmp_path / "notes.txt"
    attachment.write_bytes(FILE_BYTES)
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url, attachment_nonces="unique") as setup:
        link = setup.create(CONTENT, 2, 5, password=PASSWORD).share_url
        gone = setup.create(CONTENT, password=PASSWORD).share_url
        setup.delete(parse_share_url(gone).slug)
        request_token = setup.create_request(message="send it").token
    canaries.add_link(link)
    canaries.request_tokens.append(request_token)
    closed = _closed_url()
    secret = ("--password", PASSWORD, "--attach", str(attachment), "--unique-nonces")

    cases: list[tuple[str, ...]] = [
        ("create", CONTENT, *secret, "--geolocation", "ZZ"),  # refused by the server (422)
        ("create", CONTENT, *secret, "--hours", "0"),  # refused before sending
        ("create", CONTENT, *secret, "--otp-email", PASSWORD),  # a password in the wrong place
        ("--token", WRONG_TOKEN, "create", CONTENT, *secret),
        ("--api-url", closed, "create", CONTENT, *secret),
        ("create", CONTENT, *secret, "--description", "hits a server fault"),
        ("reveal", link, "--password", "x" + PASSWORD),
        ("reveal", _tampered(link), "--password", PASSWORD),
        ("reveal", _tampered(_unchecked_link(emu))),
        ("reveal", gone, "--password", PASSWORD),
        ("--api-url", closed, "reveal", link, "--password", PASSWORD),
        ("get", "NOSUCHSLUG"),
        ("--token", WRONG_TOKEN, "get", parse_share_url(link).slug),
        ("--api-url", closed, "get", parse_share_url(link).slug),
        ("--token", WRONG_TOKEN, "list"),
        ("--api-url", closed, "list", "--search", PASSWORD),
        ("get-request", request_token[:-3] + "zzz"),
        ("--token", WRONG_TOKEN, "get-request", request_token),
        ("--api-url", closed, "get-request", request_token),
    ]
    everything: list[str] = []
    for argv in cases:
        if "hits a server fault" in argv:
            emu.add_fault("POST /api/v1/secrets 500 x1")
        code, err = sk(*(("--debug", *argv) if debug else argv))
        assert code != 0, argv
        assert "error: " in err, argv
        canaries.check(err, f"the stderr of {argv[:2]}")
        everything.append(err)

    if debug:  # the debug output did run: request lines and tracebacks
        assert "debug: sharokey: " in everything[0]
        assert "Traceback" in everything[0]
    assert emu.secret_count() == 3  # only the three made for the test
