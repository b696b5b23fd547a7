"""``sharokey config`` and ``sharokey test``: setting the client up and checking it works."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Callable

import attrs

from sharokey._cli import output
from sharokey._cli.context import make_client, token_of
from sharokey._cli.errors import UsageError, describe_error, is_wrong_api_url
from sharokey._cli.sources import value_from
from sharokey._mask import mask
from sharokey.errors import (
    AuthenticationError,
    PermissionDeniedError,
    SharokeyError,
)

__all__ = ["cmd_config", "cmd_test"]


def _read_token_from_stdin() -> str:
    if sys.stdin is None:
        raise UsageError("--token - needs the token on standard input")
    if sys.stdin.isatty():
        from sharokey._cli import terminal

        return terminal.prompt_secret("API token (hidden): ").strip()
    return sys.stdin.readline().strip()


def cmd_config(args: argparse.Namespace) -> int:
    from sharokey import config

    stored = value_from(args, "token", "store_token")
    token = stored if isinstance(stored, str) else None
    if token == "-" and args.store_token is not None:  # noqa: S105 - "read it from stdin", not a password
        token = _read_token_from_stdin()
        if not token:
            raise UsageError("no token was read from standard input", "Pipe it in: ... | ")
    setting = token is not None or args.store_api_url is not None or args.store_timeout is not None
    saved: list[str] = []
    if setting:
        path = config.save_config(
            token=token, api_url=args.store_api_url, timeout=args.store_timeout
        )
        saved = [
            name
            for name, value in (
                ("token", token),
                ("api_url", args.store_api_url),
                ("timeout", args.store_timeout),
            )
            if value is not None
        ]
        if not args.show:
            if getattr(args, "g_json", False):
                output.dump_json({"path": str(path), "saved": saved})
            else:
                sys.stdout.write(f"Saved {', '.join(saved)} to {path} (readable by you only).\n")
            return 0
    return _show(args, config)


def _show(args: argparse.Namespace, config: Any) -> int:
    path = config.config_path()
    settings = config.resolve(token_of(args), getattr(args, "g_api_url", None))
    file = config.load_config_file()
    if getattr(args, "g_api_url", None):
        url_source = "argument"
    elif os.environ.get(config.ENV_API_URL, "").strip():
        url_source = "environment"
    elif file.get("api_url"):
        url_source = "config file"
    else:
        url_source = "default"
    timeout = settings.timeout if settings.timeout is not None else file.get("timeout")
    if getattr(args, "g_json", False):
        output.dump_json(
            {
                "path": str(path),
                "file_exists": path.exists(),
                "token": mask(settings.token) if settings.token else None,
                "token_source": settings.token_source,
                "api_url": settings.api_url,
                "api_url_source": url_source,
                "timeout": timeout,
            }
        )
        return 0
    token_line = (
        f"{mask(settings.token)} (from {settings.token_source})"
        if settings.token
        else "(none: pass --token, set SHAROKEY_TOKEN or run `sharokey config --token -`)"
    )
    output.key_values(
        [
            ("Config file", f"{path}{'' if path.exists() else ' (not created yet)'}"),
            ("Token", token_line),
            ("API URL", f"{settings.api_url} (from {url_source})"),
            (
                "Timeout",
                f"{timeout:g} s" if timeout else "default (connect 5 s, read 30 s, 60 s in all)",
            ),
        ],
        sys.stdout,
    )
    return 0


# --------------------------------------------------------------------------- test


@attrs.frozen
class Check:
    name: str
    status: str  # PASS, FAIL or SKIP
    detail: str


def _reason(exc: BaseException) -> str:
    return describe_error(exc).removeprefix("error: ")


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    value = call()
    return value, (time.monotonic() - start) * 1000


def cmd_test(args: argparse.Namespace) -> int:
    from sharokey import config

    checks: list[Check] = []
    settings = None
    try:
        settings = config.resolve(token_of(args), getattr(args, "g_api_url", None))
    except SharokeyError as exc:
        checks.append(Check("configuration", "FAIL", _reason(exc)))
    if settings is not None:
        if settings.token:
            checks.append(
                Check(
                    "configuration",
                    "PASS",
                    f"token {mask(settings.token)} from {settings.token_source}, "
                    f"API {settings.api_url}",
                )
            )
        else:
            checks.append(
                Check(
                    "configuration",
                    "FAIL",
                    "no API token: pass --token, set SHAROKEY_TOKEN "
                    "or run `sharokey config --token -`",
                )
            )
    if settings is None:
        checks += [Check(n, "SKIP", "needs a valid configuration") for n in _LATER]
        return _report(args, checks)

    with make_client(args) as client:
        try:
            health, ms = _timed(client.health)
            checks.append(
                Check(
                    "network",
                    "PASS",
                    f"{settings.api_url} answered {health.status!r} in {ms:.0f} ms",
                )
            )
        except SharokeyError as exc:
            if is_wrong_api_url(exc):
                return _report(args, _misconfigured(checks, exc))
            checks.append(Check("network", "FAIL", _reason(exc)))
            checks += [Check(n, "SKIP", "needs the network check") for n in _LATER[1:]]
            return _report(args, checks)
        if not settings.token:
            checks += [Check(n, "SKIP", "needs a token") for n in _LATER[1:]]
            return _report(args, checks)
        try:
            page, ms = _timed(lambda: client.list_secrets(limit=1))
            checks.append(Check("authentication", "PASS", "the token was accepted"))
            total = page.pagination.total
            checks.append(
                Check(
                    "read access",
                    "PASS",
                    f"listed {len(page.data)} secret(s)"
                    + (f" of {total}" if total is not None else "")
                    + f" in {ms:.0f} ms",
                )
            )
        except AuthenticationError as exc:
            checks.append(Check("authentication", "FAIL", _reason(exc)))
            checks.append(Check("read access", "SKIP", "needs authentication"))
            checks.append(Check("statistics", "SKIP", "needs authentication"))
            return _report(args, checks)
        except PermissionDeniedError as exc:
            checks.append(Check("authentication", "PASS", "the token was accepted"))
            checks.append(Check("read access", "FAIL", _reason(exc)))
        except SharokeyError as exc:
            if is_wrong_api_url(exc):
                return _report(args, _misconfigured(checks, exc))
            checks.append(Check("authentication", "FAIL", _reason(exc)))
            checks.append(Check("read access", "FAIL", "could not list secrets"))
        try:
            stats, _ = _timed(client.get_stats)
            checks.append(
                Check(
                    "statistics",
                    "PASS",
                    f"{stats.total_secrets} secret(s), {stats.active_secrets} active",
                )
            )
        except SharokeyError as exc:
            checks.append(Check("statistics", "FAIL", _reason(exc)))
    return _report(args, checks)


_LATER = ("network", "authentication", "read access", "statistics")


def _misconfigured(checks: list[Check], exc: BaseException) -> list[Check]:
    """A server answered, but not as the API: the configuration (the URL) failed."""
    return [Check("configuration", "FAIL", _reason(exc))] + [
        Check(n, "SKIP", "needs a valid configuration") for n in _LATER
    ]


def _report(args: argparse.Namespace, checks: list[Check]) -> int:
    ok = all(c.status == "PASS" for c in checks)
    if getattr(args, "g_json", False):
        output.dump_json({"ok": ok, "checks": [attrs.asdict(c) for c in checks]})
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            sys.stdout.write(f"{c.status}  {c.name.ljust(width)}  {output.clean(c.detail)}\n")
        sys.stdout.write("All checks passed.\n" if ok else "Some checks failed.\n")
    # Exit 1 without another error line: the report already said what failed.
    return 0 if ok else 1
