"""What the CLI test modules share: a command's result, the share link in what it printed, the
checks of a ``sharokey test`` report, and the environment of a ``python -m sharokey``
subprocess."""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any, Callable, Union

import attrs

#: The repository: a subprocess imports ``sharokey`` from here.
ROOT = Path(__file__).resolve().parents[2]
#: The tokens the `emu` fixture's emulator accepts (random: a leak is findable in any output).
TOKEN = "tokCANARY" + secrets.token_hex(12)
OTHER_TOKEN = "tokOTHER" + secrets.token_hex(12)
LINK_RE = re.compile(r"https?://\S+/s/\S+#[A-Za-z0-9]{24}")


@attrs.frozen
class Result:
    """Exit code, standard output and standard error of one `sharokey` run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


def link_in(shown: Union[Result, str]) -> str:
    """The share link a command printed: on a result's stdout, or on a terminal's screen."""
    match = LINK_RE.search(shown if isinstance(shown, str) else shown.out)
    assert match, shown
    return match.group(0)


def examples_of(help_text: str) -> list[str]:
    """The command lines of a help's ``examples:`` section, without their comments.

    An example's comment is set off by two spaces or more, as the help prints it.
    """
    found: list[str] = []
    lines = iter(help_text.splitlines())
    for line in lines:
        if line.strip() == "examples:":
            for example in lines:
                if not example.strip():
                    break
                found.append(re.split(r"\s{2,}", example.strip(), maxsplit=1)[0])
    return found


def slug_of(link: str) -> str:
    return link.split("#")[0].rstrip("/").rsplit("/", 1)[-1]


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This environment without any ``SHAROKEY_`` setting, with the test's own home and
    config folders and this repository's ``sharokey`` first; ``extra`` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHAROKEY_")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def checks_of(out: str) -> list[tuple[str, str]]:
    """``(status, name)`` of each check line of the report."""
    return [
        (match.group(1), match.group(2))
        for match in re.finditer(r"^(PASS|FAIL|SKIP)  (\S+(?: \S+)?)\s", out, re.M)
    ]


def shown(raw: str) -> list[str]:
    """The lines a terminal shows once ``raw`` (LF line ends, as ``Terminal.screen`` has them)
    was written to it: ``\\r`` returns to the start of the line, ``ESC [ K`` erases from the
    cursor to the end of the line, anything else overwrites what was under the cursor."""
    lines: list[str] = []
    line: list[str] = []
    column = 0
    at = 0
    while at < len(raw):
        if raw.startswith("\x1b[K", at):
            del line[column:]
            at += 3
            continue
        char = raw[at]
        if char == "\n":
            lines.append("".join(line))
            line, column = [], 0
        elif char == "\r":
            column = 0
        else:
            line[column : column + 1] = [char]
            column += 1
        at += 1
    if line:
        lines.append("".join(line))
    return lines
