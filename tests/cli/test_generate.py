"""``sharokey create --generate``: the generated secret becomes the content and is shown once."""

from __future__ import annotations

import string

import pytest

from ._support import Run, link_in

pytestmark = pytest.mark.live


def test_generated_words_are_printed_beside_the_link_and_are_the_content(sk: Run) -> None:
    created = sk("create", "--generate", "--length", "4", "--debug")
    assert created.code == 0, created.err
    line = next(li for li in created.out.splitlines() if li.startswith("Generated secret:"))
    generated = line.split(":", 1)[1].strip()
    assert len(generated.split("-")) == 4
    assert generated not in created.err  # not in notes nor in the --debug log
    assert sk("reveal", link_in(created)).out == generated


def test_json_carries_the_generated_secret(sk: Run) -> None:
    created = sk("create", "--generate", "--alphabet", "alnum", "--length", "30", "--json")
    assert created.code == 0, created.err
    document = created.json()
    generated = document["generated"]
    assert len(generated) == 30 and set(generated) <= set(string.ascii_letters + string.digits)
    assert sk("reveal", document["share_url"]).out == generated


def test_quiet_prints_the_link_then_the_secret(sk: Run) -> None:
    created = sk("create", "--generate", "--alphabet", "ascii", "--quiet")
    assert created.code == 0, created.err
    link, generated = created.out.splitlines()
    assert link == link_in(created)
    assert len(generated) == 20
    assert created.err == ""


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["create", "typed", "--generate"], "--generate and CONTENT cannot be used together"),
        (["create", "x", "--length", "5"], "--length needs --generate"),
        (["create", "x", "--alphabet", "alnum"], "--alphabet needs --generate"),
        (["create", "--generate", "--length", "0"], "argument --length: must be 1 or more"),
        (["create", "--generate", "--length", "1025"], "argument --length: must be 1024 or less"),
        (["create", "--generate", "--alphabet", "hex"], "argument --alphabet: invalid choice"),
    ],
)
def test_wrong_generate_options_are_usage_errors(sk: Run, argv: list[str], said: str) -> None:
    result = sk(*argv)
    assert result.code == 2
    assert said in result.err
    assert result.out == ""
