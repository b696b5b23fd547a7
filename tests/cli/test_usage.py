"""Usage errors and the official CLI's spellings, without a server.

A user coming from the official C# CLI types its options: they must mean
what this CLI's own options mean, without cluttering the help. A mistyped
command or option must be answered with the command's own usage and the
closest valid spelling, the same on every supported Python.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sharokey import cli

CLI_PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"

#: official spelling -> this CLI's own spelling, parsed to the same namespace.
SPELLINGS = [
    (["get", "ABC123XY", "--verbose"], ["get", "ABC123XY"]),
    (["test", "--verbose"], ["test"]),
    (
        [
            "create-request",
            "--max-views",
            "1",
            "--secret-hours",
            "24",
            "--request-hours",
            "48",
            "--email-to",
            "x@example.com",
            "--locale",
            "fr",
        ],
        [
            "create-request",
            "--views",
            "1",
            "--secret-hours",
            "24",
            "--request-hours",
            "48",
            "--email-to",
            "x@example.com",
            "--locale",
            "fr",
        ],
    ),
    (["config", "--timeout", "30"], ["config", "--timeout", "30"]),
    (
        ["create", "x", "--files", "a.pdf", "b.txt"],
        ["create", "x", "--attach", "a.pdf", "--attach", "b.txt"],
    ),
    (["list", "--log-level", "Debug"], ["list", "--debug"]),
    (["list", "--log-level", "Warning"], ["list"]),
    (["--logs-enabled", "true", "stats"], ["--debug", "stats"]),
    (["stats", "--logs-enabled"], ["stats", "--debug"]),
    (["stats", "--logs-enabled", "false"], ["stats"]),
    (["config", "--show", "--log-level", "debug"], ["config", "--show", "--debug"]),
]

HIDDEN = ["--verbose", "--max-views", "--files", "--log-level", "--logs-enabled"]


def _parsed(argv: list[str]) -> dict[str, object]:
    found = vars(cli.build_parser().parse_args(argv))
    found.pop("verbose", None)  # the official --verbose changes nothing here
    return found


@pytest.mark.parametrize(("official", "ours"), SPELLINGS, ids=lambda argv: " ".join(argv))
def test_the_official_clis_spellings_mean_this_clis_options(
    official: list[str], ours: list[str]
) -> None:
    assert _parsed(official) == _parsed(ours)


def test_the_official_spellings_stay_out_of_the_help_but_are_on_the_cli_page(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = ""
    for argv in (["--help"], ["get", "--help"], ["test", "--help"], ["create", "--help"]):
        assert cli.main(argv) == 0
        shown += capsys.readouterr().out
    assert cli.main(["create-request", "--help"]) == 0
    shown += capsys.readouterr().out
    page = CLI_PAGE.read_text(encoding="utf-8")
    for option in HIDDEN:
        assert option not in shown, option
        assert f"`{option}" in page, option


def test_the_main_help_points_at_each_commands_help_not_at_a_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "sharokey COMMAND --help" in text
    assert ".md" not in text


@pytest.mark.parametrize(
    ("argv", "usage", "said"),
    [
        (["lst"], "usage: sharokey [-h]", "did you mean `list`?"),
        (["creat-request"], "usage: sharokey [-h]", "did you mean `create-request`?"),
        (["list", "--limt", "3"], "usage: sharokey list ", "did you mean `--limit`?"),
        (["get", "ABC123XY", "--detail-only"], "usage: sharokey get ", "`--details-only`?"),
        (["list", "--status", "activ"], "usage: sharokey list ", "did you mean `active`?"),
        (["create", "x", "--hours=2", "--view=3"], "usage: sharokey create ", "`--views`?"),
    ],
)
def test_a_typo_gets_the_commands_usage_and_the_closest_spelling(
    argv: list[str], usage: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert said in err


def test_an_unknown_argument_far_from_any_option_gets_no_guess(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["stats", "--zzzzzzzz"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sharokey stats ")
    assert "unrecognized arguments: --zzzzzzzz" in err
    assert "did you mean" not in err


def test_a_hidden_alias_is_never_offered_as_a_guess() -> None:
    parser = cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["get", "X", "--verbos"])
    command = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    ).choices["get"]
    assert "--verbose" not in command._unrecognized(["--verbos"])
