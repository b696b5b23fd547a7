"""The documentation is executable, so it cannot rot.

- Every ```python block of ``docs/*.md`` and ``README.md`` runs, as its own
  program in a fresh interpreter, against a fresh emulator that the test
  starts on loopback. The samples find it the way users' code finds the real
  service: ``SHAROKEY_API_URL`` and ``SHAROKEY_TOKEN`` in the environment,
  with a throwaway ``HOME`` and ``XDG_CONFIG_HOME``. A block that defines
  ``test_*`` functions is run by pytest instead. A block may be skipped only
  by a ``<!-- skip-test: reason -->`` line right before it.
- The safe ``sharokey ...`` lines of ```bash blocks (help, list, stats,
  create, test, demo) run as ``python -m sharokey`` against the emulator.
- The table of ``docs/errors.md`` is generated from ``sharokey.errors`` and
  checked here; ``python tests/cross_cutting/test_docs.py`` rewrites it after a
  change.
- Every page is in the index's table of contents, and Sphinx builds the site
  with warnings as errors when it is installed.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

import sharokey.errors as errors_module
from sharokey.errors import CODE_TO_ERROR, SharokeyError, error_for

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
ERRORS_PAGE = DOCS / "errors.md"
TABLE_START = re.compile(r"<!-- errors-table:start[^>]*-->\n")
TABLE_END = "<!-- errors-table:end -->"
SAMPLE_TIMEOUT = 120  # seconds; a sample that hangs fails instead of stalling the suite

# A recognisable token: no sample's output may ever contain it.
CANARY_TOKEN = "docsCANARY" + secrets.token_hex(12)

# Samples in pages owned by others that cannot run as written. Each entry is a
# piece of the broken block's text and the reason; the runnable replacement
# was handed to the page's owner. Strict: once the text is fixed the entry no
# longer matches; if the block starts passing unchanged, the xfail fails.
KNOWN_BROKEN: dict[str, str] = {}


def _pages() -> list[Path]:
    return [*sorted(DOCS.glob("*.md")), README]


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    skip: Optional[str]  # the reason given by a preceding skip-test comment

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_SKIP = re.compile(r"<!--\s*skip-test:\s*(?P<reason>.*?)\s*-->")


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, with any skip-test reason before each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    previous = ""  # the last non-blank line outside a block
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            if lines[i].strip():
                previous = lines[i]
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        info = opening["info"].strip()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                break
            text = lines[j]
            body.append(text[len(indent) :] if text.startswith(indent) else text.lstrip())
            j += 1
        skip = _SKIP.search(previous)
        found.append(
            Block(
                path=path,
                line=i + 1,
                lang=info.split()[0].lower() if info else "",
                code="\n".join(body) + "\n",
                skip=skip["reason"] if skip else None,
            )
        )
        previous = ""
        i = j + 1
    return found


def python_blocks() -> list[Any]:
    params = []
    for page in _pages():
        for block in blocks(page):
            if block.lang not in ("python", "py", "python3"):
                continue
            marks: list[Any] = []
            broken = [why for part, why in KNOWN_BROKEN.items() if part in block.code]
            if broken:
                marks.append(pytest.mark.xfail(strict=True, reason=broken[0]))
            params.append(pytest.param(block, id=block.id, marks=marks))
    return params


def bash_pages() -> list[Any]:
    return [pytest.param(page, id=page.name) for page in _pages() if safe_commands(page)]


# --------------------------------------------------------------------------- running


@pytest.fixture
def sample_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh emulator and the environment a sample runs in, pointed at it."""
    pytest.importorskip("aiohttp")
    from sharokey.emulator import run_emulator

    home = tmp_path / "home"
    home.mkdir()
    with run_emulator(tokens=[CANARY_TOKEN]) as emu:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHAROKEY_")}
        no_proxy = ",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1", "localhost"]))
        pythonpath = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.update(
            SHAROKEY_API_URL=emu.api_url,
            SHAROKEY_TOKEN=CANARY_TOKEN,
            HOME=str(home),
            XDG_CONFIG_HOME=str(tmp_path / "xdg"),
            PYTHONPATH=pythonpath,
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONWARNINGS="default::ResourceWarning",  # leaked sockets and files show
            NO_PROXY=no_proxy,
            no_proxy=no_proxy,
            COLUMNS="100",
        )
        yield env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=SAMPLE_TIMEOUT,
        check=False,
    )


def _report(what: str, done: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{what} exited {done.returncode}\n--- stdout\n{done.stdout[-3000:]}"
        f"\n--- stderr\n{done.stderr[-3000:]}"
    )


_DEFINES_TESTS = re.compile(r"^(async )?def test_", re.MULTILINE)
# What a sample that cleans up after itself never leaves on stderr.
_NOISE = ("Unclosed", "Event loop is closed", "ResourceWarning", "Traceback")


@pytest.mark.live
@pytest.mark.parametrize("block", python_blocks())
def test_python_sample_runs(block: Block, sample_env: dict[str, str], tmp_path: Path) -> None:
    if block.skip is not None:
        assert block.skip, f"{block.id}: a skip-test comment must give its reason"
        pytest.skip(f"{block.id}: {block.skip}")
    work = tmp_path / "work"
    work.mkdir()
    if _DEFINES_TESTS.search(block.code):
        script = work / "test_sample.py"
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
    else:
        script = work / "sample.py"
        argv = [sys.executable, str(script)]
    script.write_text(block.code, encoding="utf-8")

    done = _run(argv, sample_env, work)

    assert done.returncode == 0, _report(block.id, done)
    assert CANARY_TOKEN not in done.stdout + done.stderr, f"{block.id} printed the token"
    noise = [word for word in _NOISE if word in done.stderr]
    assert not noise, _report(f"{block.id} left {noise} on stderr;", done)


# The commands a page may show that are safe to run against an emulator, from a
# directory of their own: nothing here prompts, serves forever or needs files.
_SAFE_COMMANDS = {
    "list",
    "list-requests",
    "stats",
    "request-stats",
    "create",
    "create-request",
    "test",
    "demo",
}
_UNSAFE_OPTIONS = {"--attach", "--password", "--output-dir"}
_SHELL = re.compile(r"[|<>$;&`]")


def safe_commands(page: Path) -> list[list[str]]:
    """The ``sharokey`` lines of a page's shell blocks that can run as they are."""
    commands = []
    for block in blocks(page):
        if block.lang not in ("bash", "sh", "shell", "console"):
            continue
        for raw in block.code.splitlines():
            line = raw.strip().removeprefix("$ ")
            if not line.startswith("sharokey ") or _SHELL.search(line.split(" #")[0]):
                continue
            try:
                args = shlex.split(line, comments=True)[1:]
            except ValueError:
                continue
            words = [arg for arg in args if not arg.startswith("-")]
            asks_help = "--help" in args or "-h" in args or args == ["--version"]
            safe = bool(words) and words[0] in _SAFE_COMMANDS and not _UNSAFE_OPTIONS & set(args)
            if asks_help or safe:
                commands.append(args)
    return commands


@pytest.mark.live
@pytest.mark.parametrize("page", bash_pages())
def test_shell_commands_run(page: Path, sample_env: dict[str, str], tmp_path: Path) -> None:
    for args in safe_commands(page):
        done = _run([sys.executable, "-m", "sharokey", *args], sample_env, tmp_path)
        shown = "sharokey " + shlex.join(args)
        assert done.returncode == 0, _report(f"{page.name}: {shown}", done)
        assert CANARY_TOKEN not in done.stdout + done.stderr, f"{shown} printed the token"


def test_blocks_are_read_as_written(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# T\n\n```python\nprint(1)\n```\n\n<!-- skip-test: needs the hosted service -->\n"
        "```python\nprint(2)\n```\n\n1. a list\n\n   ```bash\n   sharokey list  # all\n   ```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.lang, b.code, b.skip) for b in found] == [
        ("python", "print(1)\n", None),
        ("python", "print(2)\n", "needs the hosted service"),
        ("bash", "sharokey list  # all\n", None),
    ]
    assert safe_commands(page) == [["list"]]


def test_every_python_sample_is_run_or_skipped_with_a_reason() -> None:
    for page in _pages():
        for block in blocks(page):
            if block.skip is not None:
                assert block.skip.strip(), f"{block.id}: skip-test without a reason"


# --------------------------------------------------------------------------- errors page


def _error_classes() -> list[type[SharokeyError]]:
    # Definition order, which is the family's order from the base down.
    return [
        value
        for value in vars(errors_module).values()
        if isinstance(value, type) and issubclass(value, SharokeyError)
    ]


def _statuses(cls: type[SharokeyError]) -> str:
    """The statuses that give ``cls`` when the body carries no code, as error_for decides."""
    parts = []
    for hundred in (3, 4, 5):
        span = range(hundred * 100, hundred * 100 + 100)
        mine = [s for s in span if type(error_for(s, None, None)) is cls]
        if len(mine) == len(span):
            parts.append(f"{hundred}xx")
        elif len(mine) > len(span) // 2:
            parts.append(f"other {hundred}xx")
        else:
            parts.extend(str(s) for s in mine)
    return ", ".join(parts) if parts else "-"


def _sdk_codes() -> dict[type[SharokeyError], list[str]]:
    """Codes the SDK itself sets on errors beyond each class's default."""
    from sharokey.config import missing_token_error
    from sharokey.errors import (
        API_URL_NOT_FOUND,
        INVALID_JSON,
        RESPONSE_TOO_LARGE,
        TLS_ERROR,
        ConfigurationError,
        InvalidResponseError,
        NetworkError,
    )

    token_missing = missing_token_error()
    return {
        type(token_missing): [token_missing.code],
        NetworkError: [TLS_ERROR],
        InvalidResponseError: [INVALID_JSON, RESPONSE_TOO_LARGE],
        ConfigurationError: [API_URL_NOT_FOUND],
    }


def _markdown(rst: str) -> str:
    """A docstring sentence as Markdown: roles and double backticks become code spans."""
    text = re.sub(r":[a-z]+:`~?(?:[\w.]+\.)?(\w+)`", r"`\1`", rst)
    return text.replace("``", "`")


def render_error_table() -> str:
    """The errors page's table, from the error classes, CODE_TO_ERROR and error_for."""
    from sharokey.cli import exit_code_for

    extra = _sdk_codes()
    rows = [
        "| class | is a | `code` | HTTP status when the answer has no code | meaning | CLI exit |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for cls in _error_classes():
        bases = ", ".join(f"`{base.__name__}`" for base in cls.__bases__)
        codes = [cls.default_code]
        codes += [code for code, target in CODE_TO_ERROR.items() if target is cls]
        codes += extra.get(cls, [])
        unique = list(dict.fromkeys(codes))
        meaning = _markdown(" ".join((cls.__doc__ or "").strip().split("\n\n")[0].split()))
        rows.append(
            f"| `{cls.__name__}` | {bases} | {', '.join(f'`{c}`' for c in unique)} "
            f"| {_statuses(cls)} | {meaning} | {exit_code_for(cls())} |"
        )
    return "\n".join(rows) + "\n"


def _table_in_page(text: str) -> tuple[int, int]:
    start = TABLE_START.search(text)
    end = text.find(TABLE_END)
    assert start is not None and end >= start.end(), "errors.md lost its table markers"
    return start.end(), end


def test_errors_table_matches_the_code() -> None:
    text = ERRORS_PAGE.read_text(encoding="utf-8")
    start, end = _table_in_page(text)
    expected = render_error_table()
    assert text[start:end] == expected, (
        "docs/errors.md is out of date with sharokey.errors; run "
        "`python tests/cross_cutting/test_docs.py` to rewrite its table:\n" + expected
    )


def test_every_error_class_and_wire_code_is_on_the_errors_page() -> None:
    text = ERRORS_PAGE.read_text(encoding="utf-8")
    for name in errors_module.__all__:
        value = getattr(errors_module, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert f"`{name}`" in text, f"{name} is not documented in docs/errors.md"
    for code in CODE_TO_ERROR:
        assert f"`{code}`" in text, f"wire code {code} is not documented in docs/errors.md"


def test_the_status_column_reads_the_mapping() -> None:
    from sharokey.errors import NotFoundError, ServerError, ValidationError

    assert _statuses(NotFoundError) == "404"
    assert _statuses(ServerError) == "5xx"
    assert _statuses(ValidationError) == "400, 409, 413, 422"
    assert _statuses(SharokeyError) == "other 4xx"


# --------------------------------------------------------------------------- the site


def _toctree_entries() -> set[str]:
    entries = set()
    for block in blocks(DOCS / "index.md"):
        if block.lang == "{toctree}":
            entries |= {
                line.strip()
                for line in block.code.splitlines()
                if line.strip() and not line.strip().startswith(":")
            }
    return entries


def test_every_page_is_in_the_table_of_contents() -> None:
    pages = {page.stem for page in DOCS.glob("*.md")} - {"index"}
    missing = pages - _toctree_entries()
    assert not missing, f"add to a toctree in docs/index.md: {sorted(missing)}"
    dangling = _toctree_entries() - pages
    assert not dangling, f"docs/index.md lists pages that do not exist: {sorted(dangling)}"


def test_sphinx_builds_without_warnings(tmp_path: Path) -> None:
    """The site builds with -W (about 3 s here); `tox -e docs` is the same build."""
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    pytest.importorskip("myst_parser", reason="the docs extra is not installed")
    argv = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    argv += ["-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")]
    done = _run(argv, {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, ROOT)
    assert done.returncode == 0, _report("sphinx-build", done)
    assert (tmp_path / "html" / "api.html").is_file()


# --------------------------------------------------------------------------- rewriting


def _rewrite_errors_table() -> bool:
    text = ERRORS_PAGE.read_text(encoding="utf-8")
    start, end = _table_in_page(text)
    updated = text[:start] + render_error_table() + text[end:]
    if updated == text:
        return False
    ERRORS_PAGE.write_text(updated, encoding="utf-8")
    return True


if __name__ == "__main__":
    changed = _rewrite_errors_table()
    sys.stdout.write(f"docs/errors.md: table {'rewritten' if changed else 'already current'}\n")
