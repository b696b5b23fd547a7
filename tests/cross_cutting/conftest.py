"""Fixtures of the cross-cutting suites: the official SDK 1.0.0's interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._support import cache_root


@pytest.fixture(scope="session")
def official_python() -> Path:
    """The interpreter of a virtual environment holding the official SDK 1.0.0.

    Built (once, then reused from the tests' cache) by the benchmarks' own builder;
    imported here, not at the top, as only the live suites that need it load it.
    """
    from benchmarks._official import build_official, is_official, venv_python

    venv = cache_root() / "official-1.0.0"
    python = venv_python(venv)
    if is_official(python):
        return python
    built, why = build_official(venv)
    if built is None:
        pytest.skip(why)
    return built
