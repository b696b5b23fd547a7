"""``sharokey completion``: the scripts come from the parser, and bash completes with them.

The bash script is loaded into a real ``bash``, which is then asked for completions
the way readline asks (``COMP_WORDS``/``COMP_CWORD`` and the completion function).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from sharokey import cli

from ._support import ROOT, subprocess_env

BASH = shutil.which("bash")
#: Completes a command line in bash: the words offered.
Ask = Callable[[str], list[str]]

#: Loads the script, then completes "$1" (ending in a space: a new, empty word).
_ASK = r"""
source "$SCRIPT" || exit 9
read -ra COMP_WORDS <<< "$1"
[[ "$1" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$1"
COMP_POINT=${#COMP_LINE}
_shtab_sharokey sharokey "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
"""


def _script(tmp_path: Path, shell: str) -> Path:
    made = subprocess.run(
        [sys.executable, "-m", "sharokey", "completion", shell],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        cwd=ROOT,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    path = tmp_path / f"sharokey.{shell}"
    path.write_text(made.stdout)
    return path


@pytest.fixture
def complete(tmp_path: Path) -> Ask:
    if BASH is None:
        pytest.skip("bash is not installed")
    script = _script(tmp_path, "bash")
    work = tmp_path / "work"
    (work / "received").mkdir(parents=True)
    (work / "pw.txt").write_text("x")

    def ask(line: str) -> list[str]:
        env = subprocess_env(tmp_path, SCRIPT=str(script))
        done = subprocess.run(
            [BASH, "--norc", "--noprofile", "-c", _ASK, "_", line],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return sorted(w for w in done.stdout.splitlines() if w)

    return ask


def test_bash_completes_commands_options_and_choices(complete: Ask) -> None:
    assert complete("sharokey cre") == ["create", "create-request"]
    assert complete("sharokey create --pass") == [
        "--password",
        "--password-env",
        "--password-file",
    ]
    assert complete("sharokey reveal --otp-") == ["--otp-env", "--otp-file"]
    assert complete("sharokey create --alphabet ") == ["alnum", "ascii", "words"]
    assert complete("sharokey completion ") == ["bash", "fish", "zsh"]


def test_bash_completes_paths_for_path_options(complete: Ask) -> None:
    assert complete("sharokey create --password-file ") == ["pw.txt", "received"]
    assert complete("sharokey reveal L --output-dir ") == ["received"]


def test_hidden_aliases_are_not_offered(complete: Ask) -> None:
    offered = complete("sharokey create --")
    assert "--generate" in offered and "--token-file" in offered
    assert "--files" not in offered and "--log-level" not in offered


@pytest.mark.parametrize(("shell", "marker"), [("zsh", "#compdef sharokey"), ("fish", "complete")])
def test_zsh_and_fish_scripts_know_the_options(tmp_path: Path, shell: str, marker: str) -> None:
    text = _script(tmp_path, shell).read_text()
    assert marker in text
    assert "password-file" in text and "generate" in text


def test_without_shtab_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "shtab", None)  # import shtab now fails
    assert cli.main(["completion", "bash"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "needs the shtab package" in captured.err
    assert "pip install shtab" in captured.err and "[completion]" in captured.err


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["completion", "csh"]) == 2
    assert "invalid choice" in capsys.readouterr().err
