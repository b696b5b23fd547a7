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


# --------------------------------------------------------------------------- profiles


def test_a_file_from_before_profiles_is_the_default_profile(clean_env: Path) -> None:
    write_config(clean_env, token="old-token", api_url="https://old.example/api/v1", timeout=7)
    profile = config.load_profile()
    assert (profile.name, profile.token, profile.api_url, profile.timeout) == (
        "default",
        "old-token",
        "https://old.example/api/v1",
        7.0,
    )
    settings = config.resolve()
    assert (settings.token, settings.profile) == ("old-token", "default")


def test_a_profile_is_chosen_by_argument_else_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        clean_env,
        token="prod-token",
        profiles={"staging": {"token": "stg-token"}, "ci": {"token": "ci-token"}},
    )
    assert config.resolve().token == "prod-token"
    monkeypatch.setenv("SHAROKEY_PROFILE", "staging")
    assert config.resolve().token == "stg-token"
    # The SDK's clients resolve the same way: the environment picks their profile too.
    sent: list[Request] = []

    def handler(request: Request) -> Response:
        sent.append(request)
        return Response(status=500, body=b"{}")

    sdk = sharokey.Sharokey(transport=MockTransport(handler), max_retries=0)
    with sdk, pytest.raises(sharokey.ServerError):
        sdk.get_stats()
    assert sent[0].headers["Authorization"] == "Bearer stg-token"
    assert config.resolve(profile="ci").token == "ci-token"
    assert config.resolve("flag-token", profile="ci").token == "flag-token"


def test_an_unknown_profile_is_an_error_naming_the_known_ones(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(clean_env, token="prod-token", profiles={"staging": {}})
    monkeypatch.setenv("SHAROKEY_PROFILE", "prodd")
    with pytest.raises(sharokey.ConfigurationError) as info:
        config.resolve()
    assert "'prodd'" in str(info.value) and "SHAROKEY_PROFILE" in str(info.value)
    assert "default, staging" in str(info.value)
    assert "prod-token" not in str(info.value)


def test_save_config_writes_one_profile_and_leaves_the_others(clean_env: Path) -> None:
    path = config.save_config(token="prod-token", hours=12)
    config.save_config(
        token="stg-token", api_url="http://127.0.0.1:9/api/v1", views=3, profile="staging"
    )
    config.save_config(attachment_nonces="unique", profile="staging")
    assert json.loads(path.read_text()) == {
        "token": "prod-token",
        "hours": 12,
        "profiles": {
            "staging": {
                "token": "stg-token",
                "api_url": "http://127.0.0.1:9/api/v1",
                "views": 3,
                "attachment_nonces": "unique",
            }
        },
    }
    config.save_config(unset=("token", "hours"))
    config.save_config(unset=("views",), profile="staging")
    profiles = config.list_profiles()
    assert (profiles["default"].token, profiles["default"].hours) == (None, None)
    assert (profiles["staging"].token, profiles["staging"].views) == ("stg-token", None)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hours": 0},
        {"hours": 1001},
        {"views": 1001},
        {"attachment_nonces": "fresh"},
        {"unset": ("password",)},
        {"profile": "../etc"},
        {"profile": ""},
    ],
)
def test_save_config_refuses_what_a_profile_cannot_hold(
    clean_env: Path, kwargs: dict[str, object]
) -> None:
    with pytest.raises(sharokey.ConfigurationError):
        config.save_config(**kwargs)  # type: ignore[arg-type]
    assert not config.config_path().exists()


def test_a_hand_edited_profile_with_a_bad_value_is_named(clean_env: Path) -> None:
    path = write_config(clean_env, profiles={"staging": {"hours": 5000}})
    with pytest.raises(sharokey.ConfigurationError) as info:
        config.load_profile("staging")
    assert str(path) in str(info.value) and "profile staging" in str(info.value)


def test_the_file_is_created_private_in_one_step_whatever_the_umask(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_chmod(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was made private after its creation")

    monkeypatch.setattr(os, "fchmod", no_chmod, raising=False)
    old = os.umask(0)
    try:
        path = config.save_config(token="private-token")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # someone loosened it: the next save puts a private file in its place
    config.save_config(hours=5)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
