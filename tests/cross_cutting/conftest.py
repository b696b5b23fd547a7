"""Fixtures of the cross-cutting suites: the official SDK 1.0.0's interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._support import build_venv, cache_root, is_official, venv_python


@pytest.fixture(scope="session")
def official_python() -> Path:
    """The interpreter of a virtual environment holding the official SDK 1.0.0."""
    venv = cache_root() / "official-1.0.0"
    python = venv_python(venv)
    if is_official(python):
        return python
    return build_venv(venv)
