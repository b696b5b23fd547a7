"""What the cross-cutting suites that run other interpreters share: a virtual environment
holding the official SDK 1.0.0 (built once under a cache folder and reused), and the clean
environment its processes get."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

OFFICIAL = "sharokey==1.0.0"
INSTALL_TIMEOUT = 300  # seconds for pip; a failure to install skips, it never hangs CI


def cache_root() -> Path:
    explicit = os.environ.get("SHAROKEY_TEST_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "sharokey-tests"


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for the official SDK's processes: nothing that points at this project."""
    keep = ("PATH", "HOME", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    # pip's own settings (index, proxies) still apply to the install.
    env.update({k: v for k, v in os.environ.items() if k.startswith(("PIP_", "HTTP", "NO_PROXY"))})
    env.update({k.lower(): v for k, v in os.environ.items() if k.lower().endswith("_proxy")})
    env.update(extra)
    return env


def is_official(python: Path) -> bool:
    if not python.exists():
        return False
    check = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import sharokey, sys; sys.exit(sharokey.__version__ != '1.0.0')",
        ],
        capture_output=True,
        cwd=tempfile.gettempdir(),
        env=clean_env(),
        timeout=60,
        check=False,
    )
    return check.returncode == 0


def tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def build_venv(target: Path) -> Path:
    """Create ``target`` with the official SDK in it (built aside, then moved into place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".build-", dir=target.parent))
    try:
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(staging)],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
        if made.returncode != 0:
            pytest.skip(f"could not create a virtual environment: {tail(made.stderr)}")
        python = venv_python(staging)
        try:
            pip = subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    OFFICIAL,
                ],
                capture_output=True,
                text=True,
                cwd=tempfile.gettempdir(),
                env=clean_env(),
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"pip install {OFFICIAL} took over {INSTALL_TIMEOUT} s")
        if pip.returncode != 0:
            pytest.skip(f"pip install {OFFICIAL} failed: {tail(pip.stderr or pip.stdout)}")
        if target.exists():
            shutil.rmtree(target)
        # The same filesystem: an atomic move. A venv's interpreter finds its
        # site-packages through pyvenv.cfg beside it, so the moved one works.
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    python = venv_python(target)
    if not is_official(python):
        pytest.skip(f"{OFFICIAL} was installed in {target} but does not import there")
    return python
