"""Where settings come from: argument, then environment, then config file, then defaults."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import sharokey
from sharokey import config
from sharokey._messages import Request, Response
from sharokey.transports import MockTransport

pytestmark = pytest.mark.usefixtures("clean_env")


def write_config(config_home: Path, **values: object) -> Path:
    path = config_home / "sharokey" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    return path


def test_config_path_follows_xdg(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.config_path() == clean_env / "sharokey" / "config.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(clean_env / "home"))
    assert config.config_path() == clean_env / "home" / ".config" / "sharokey" / "config.json"


def test_argument_beats_environment_beats_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(clean_env, token="from-file", api_url="https://file.example/api/v1")
    assert config.resolve().token == "from-file"
    assert config.resolve().api_url == "https://file.example/api/v1"
    monkeypatch.setenv("SHAROKEY_TOKEN", "from-env")
    monkeypatch.setenv("SHAROKEY_API_URL", "https://env.example/api/v1/")
    settings = config.resolve()
    assert (settings.token, settings.api_url) == ("from-env", "https://env.example/api/v1")
    settings = config.resolve("from-arg", "http://127.0.0.1:8080/api/v1")
    assert (settings.token, settings.api_url) == ("from-arg", "http://127.0.0.1:8080/api/v1")
    assert "from-arg" not in repr(settings)


def test_defaults_without_any_setting() -> None:
    settings = config.resolve()
    assert settings.token is None
    assert settings.api_url == config.DEFAULT_API_URL == "https://api.sharokey.com/api/v1"


@pytest.mark.parametrize(
    "url",
    ["ftp://host/api", "localhost:8080", "http://", "https://h/api?x=1", "https://u:p@h/api", ""],
)
def test_unusable_api_urls_are_refused(url: str) -> None:
    with pytest.raises(sharokey.ConfigurationError) as info:
        sharokey.Sharokey("t", api_url=url)
    assert "api_url" in info.value.details


def test_a_corrupt_config_file_is_named(clean_env: Path) -> None:
    path = clean_env / "sharokey" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(sharokey.ConfigurationError) as info:
        config.resolve()
    assert str(path) in str(info.value)


def test_a_missing_or_unreadable_file_is_empty(clean_env: Path) -> None:
    assert config.load_config_file() == {}
    (clean_env / "sharokey" / "config.json").mkdir(parents=True)  # a directory: unreadable
    assert config.load_config_file() == {}


def test_save_config_is_private_atomic_and_merging(clean_env: Path) -> None:
    path = config.save_config(token="saved-token")
    assert path == config.config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    config.save_config(api_url="http://127.0.0.1:9/api/v1/", timeout=12)
    assert json.loads(path.read_text()) == {
        "token": "saved-token",
        "api_url": "http://127.0.0.1:9/api/v1",
        "timeout": 12.0,
    }
    assert os.listdir(path.parent) == ["config.json"]  # no temporary file left behind
    settings = config.resolve()
    assert (settings.token, settings.timeout) == ("saved-token", 12.0)


def test_save_config_refuses_bad_values(clean_env: Path) -> None:
    with pytest.raises(sharokey.ConfigurationError):
        config.save_config(api_url="nope")
    with pytest.raises(sharokey.ConfigurationError):
        config.save_config(token="   ")
    assert not config.config_path().exists()


def test_a_token_with_spaces_is_refused_without_echoing_it() -> None:
    with pytest.raises(sharokey.ConfigurationError) as info:
        sharokey.Sharokey("abc def-secret-part")
    assert "secret-part" not in str(info.value) + repr(info.value)


def test_a_missing_token_is_reported_by_the_first_call_that_needs_it() -> None:
    sent: list[Request] = []

    def handler(request: Request) -> Response:
        sent.append(request)
        return Response(status=200, body=b'{"success": true, "data": {"status": "ok"}}')

    client = sharokey.Sharokey(transport=MockTransport(handler))  # constructing is fine
    assert client.health().status == "ok"  # needs no token
    assert "Authorization" not in sent[0].headers
    with pytest.raises(sharokey.AuthenticationError) as info:
        client.get_stats()
    assert info.value.code == "TOKEN_MISSING"
    message = str(info.value)
    assert "token=" in message
    assert "SHAROKEY_TOKEN" in message
    assert "sharokey config --token" in message
    assert len(sent) == 1  # nothing was sent for the refused call


def test_timeouts() -> None:
    # One number bounds everything by it, the whole exchange included (the CLI's --timeout).
    assert config.Timeout.of(3) == config.Timeout(connect=3.0, read=3.0, total=3.0)
    # By default an attempt has 60 s in all, whatever the server trickles.
    assert config.Timeout() == config.Timeout(connect=5.0, read=30.0, total=60.0)
    with pytest.raises(sharokey.ConfigurationError):
        config.Timeout(connect=-1)
    with pytest.raises(sharokey.ConfigurationError):
        sharokey.Sharokey("t", timeout="slow")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_connections": 0},
        {"max_retries": -1},
        {"attachment_nonces": "random"},
        {"retry_ambiguous_posts": "yes"},
        {"retry_policy": 3},
        {"session": object(), "transport": MockTransport(lambda r: Response(status=200))},
    ],
)
def test_bad_client_options_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(sharokey.ConfigurationError):
        sharokey.Sharokey("t", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(sharokey.ConfigurationError):
        sharokey.AsyncSharokey("t", **kwargs)  # type: ignore[arg-type]
