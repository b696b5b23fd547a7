"""Help that answers: ranges and defaults in every option's help, errors that name the flag
the user typed, and the small lies the help and the errors used to tell."""

from __future__ import annotations

import argparse
import json
import re
import shlex

import pytest

from sharokey import cli

from ._support import Result, Run, examples_of

DEAD_URL = "http://127.0.0.1:9/api/v1"  # the SDK refuses these values before any request


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> object:
    """``offline(*argv)``: run ``sharokey`` in-process with a token and an API nobody serves."""
    monkeypatch.setenv("SHAROKEY_TOKEN", "tokOFFLINE0000000000")
    monkeypatch.setenv("SHAROKEY_API_URL", DEAD_URL)

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["create-request", "--views", "11"], "error: --views must be between 1 and 10."),
        (["create-request", "--max-views=11"], "error: --max-views must be between 1 and 10."),
        (
            ["create-request", "--secret-hours", "0", "--views", "0"],
            "error: --secret-hours must be between 1 and 1000; --views must be between 1 and 10.",
        ),
        (["create", "x", "--hours", "1001"], "error: --hours must be between 1 and 1000."),
        (["create", "x", "--views", "0"], "error: --views must be between 1 and 1000."),
        (["create", "x", "--otp-phone", "12"], "error: --otp-phone must be an E.164 number"),
        (
            ["config", "--hours", "0"],
            "error: --hours must be a whole number from 1 to 1000. "
            "See `sharokey config --help` for the accepted values.",
        ),
    ],
)
def test_a_refused_value_is_named_by_the_flag_the_user_typed(
    offline: object, argv: list[str], said: str
) -> None:
    result = offline(*argv)  # type: ignore[operator]
    assert result.code == 2, result.err
    assert result.err.startswith(said), result.err
    assert "maximum_views" not in result.err and "expiration_hours" not in result.err
    as_json = offline(*argv, "--json")  # type: ignore[operator]
    assert json.loads(as_json.out)["error"]["message"].startswith(said.removeprefix("error: "))


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name: p for name, p in sub.choices.items() if name not in ("emulator", "demo")}


def _numeric_options() -> list[object]:
    found = []
    for name, parser in _commands().items():
        for action in parser._actions:
            if action.help is argparse.SUPPRESS or not action.option_strings:
                continue
            if action.type is not None and action.nargs is None:
                found.append(pytest.param(name, action, id=f"{name} {action.option_strings[-1]}"))
    return found


def _help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """What ``--help`` prints for ``action``, ``%(default)s`` and the like filled in."""
    return " ".join(parser._get_formatter()._expand_help(action).split())


@pytest.mark.parametrize(("command", "action"), _numeric_options())
def test_every_number_option_states_its_range_and_default(
    command: str, action: argparse.Action
) -> None:
    text = _help_of(_commands()[command], action)
    assert re.search(r"\d+-\d+|\d+ or more|from \d+|positive number", text), text
    assert "default" in text, text


def _range_of(command: str, flag: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, int]:
    assert cli.main([command, "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    found = re.search(rf"{re.escape(flag)} N [^(]*\((\d+)-(\d+);", shown)
    assert found, shown
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize(
    ("command", "flag", "base"),
    [
        ("create", "--hours", ["create", "x"]),
        ("create", "--views", ["create", "x"]),
        ("create-request", "--views", ["create-request"]),
        ("create-request", "--secret-hours", ["create-request"]),
        ("create-request", "--request-hours", ["create-request"]),
    ],
)
def test_the_range_the_help_states_is_the_one_enforced(
    offline: object, capsys: pytest.CaptureFixture[str], command: str, flag: str, base: list[str]
) -> None:
    low, high = _range_of(command, flag, capsys)
    for outside in (low - 1, high + 1):
        refused = offline(*base, flag, str(outside))  # type: ignore[operator]
        assert refused.code == 2 and f"error: {flag} must be between {low} and {high}" in (
            refused.err
        )
    for inside in (low, high):
        # Accepted by the checks: the request is then sent, to a server that is not there.
        assert offline(*base, flag, str(inside)).code == 5  # type: ignore[operator]


def test_config_help_describes_json_and_debug(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("config", "qr"):
        assert cli.main([command, "--help"]) == 0
        shown = " ".join(capsys.readouterr().out.split())
        assert "--json print one JSON document on stdout" in shown
        assert "--debug log requests" in shown


def test_every_example_is_one_whole_shell_line(capsys: pytest.CaptureFixture[str]) -> None:
    for command in [None, *_commands()]:
        assert cli.main([command, "--help"] if command else ["--help"]) == 0
        examples = examples_of(capsys.readouterr().out)
        assert examples, f"`sharokey {command} --help` shows no example"
        for example in examples:
            assert shlex.split(example), example  # unbalanced quotes raise here
            assert "sharokey" in example, example
    assert cli.main(["reveal", "--help"]) == 0
    assert "printf '%s\\n' \"$LINK\" | sharokey reveal -" in capsys.readouterr().out


@pytest.mark.live
def test_a_page_past_the_last_is_an_error_naming_the_last_page(sk: Run) -> None:
    for n in range(3):
        assert sk("create", f"secret {n}", "--quiet").code == 0
    assert "Page 2 of 3" in sk("list", "--limit", "1", "--page", "2").out
    past = sk("list", "--limit", "1", "--page", "4")
    assert past.code == 2
    assert past.err == (
        "error: --page 4 is past the last page, 3. Ask for --page 1 to 3, or --all.\n"
    )
    assert past.out == ""
    document = sk("list", "--limit", "1", "--page", "4", "--json").json()
    assert document["error"]["code"] == "PAGE_OUT_OF_RANGE"
    assert sk("list-requests", "--page", "2").err.startswith(
        "error: --page 2 is past the last page, 1. Leave out --page."
    )
