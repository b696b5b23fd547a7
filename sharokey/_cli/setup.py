"""``sharokey config`` and ``sharokey test``: setting the client up and checking it works."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Callable

import attrs

from sharokey._cli import output
from sharokey._cli.context import make_client, profile_of, profile_option, stdout, token_of
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
    """Store settings into the chosen profile, remove some, or show them (tokens masked)."""
    from sharokey import config

    stored = value_from(args, "token", "store_token")
    token = stored if isinstance(stored, str) else None
    if token == "-" and args.store_token is not None:  # noqa: S105 - "read it from stdin", not a password
        token = _read_token_from_stdin()
        if not token:
            raise UsageError("no token was read from standard input", "Pipe it in: ... | ")
    values = {
        "token": token,
        "api_url": args.store_api_url,
        "timeout": args.store_timeout,
        "hours": args.store_hours,
        "views": args.store_views,
        "attachment_nonces": args.store_attachment_nonces,
    }
    unset = tuple(dict.fromkeys(name.replace("-", "_") for name in args.unset))
    both = [name for name in unset if values.get(name) is not None]
    if both:
        flag = "--" + both[0].replace("_", "-")
        raise UsageError(f"{flag} and --unset {both[0].replace('_', '-')} cannot be used together")
    saved = [name for name, value in values.items() if value is not None]
    if saved or unset:
        path = config.save_config(
            token=token,
            api_url=args.store_api_url,
            timeout=args.store_timeout,
            profile=profile_option(args),
            hours=args.store_hours,
            views=args.store_views,
            attachment_nonces=args.store_attachment_nonces,
            unset=unset,
        )
        if not (args.show or args.list):
            name, _ = config.profile_name(profile_option(args))
            if getattr(args, "g_json", False):
                output.dump_json(
                    {"path": str(path), "profile": name, "saved": saved, "unset": list(unset)}
                )
            else:
                shown = {name: name.replace("_", "-") for name in (*saved, *unset)}
                done = [f"saved {', '.join(shown[n] for n in saved)}"] if saved else []
                done += [f"removed {', '.join(shown[n] for n in unset)}"] if unset else []
                sys.stdout.write(
                    f"Profile {name}: {'; '.join(done)} in {path} (readable by you only).\n"
                )
            return 0
    if args.list:
        return _list(args, config)
    return _show(args, config)


def _profile_view(profile: Any) -> dict[str, Any]:
    """A profile as shown: every setting, the token masked."""
    return {
        "token": mask(profile.token) if profile.token else None,
        "api_url": profile.api_url,
        "timeout": profile.timeout,
        "hours": profile.hours,
        "views": profile.views,
        "attachment_nonces": profile.attachment_nonces,
    }


def _list(args: argparse.Namespace, config: Any) -> int:
    path = config.config_path()
    profiles = config.list_profiles()
    chosen, _ = config.profile_name(profile_option(args))
    if getattr(args, "g_json", False):
        output.dump_json(
            {
                "path": str(path),
                "selected": chosen,
                "profiles": {name: _profile_view(p) for name, p in profiles.items()},
            }
        )
        return 0
    out = stdout()
    out.write(f"Profiles in {path}{'' if path.exists() else ' (not created yet)'}:\n")
    rows = []
    for name, profile in profiles.items():
        shown = _profile_view(profile)
        rows.append(
            (
                ("* " if name == chosen else "  ") + name,
                shown["token"] or "-",
                shown["api_url"] or "-",
                f"{profile.timeout:g} s" if profile.timeout else "-",
                str(profile.hours or "-"),
                str(profile.views or "-"),
                profile.attachment_nonces or "-",
            )
        )
    output.table(
        ("  PROFILE", "TOKEN", "API URL", "TIMEOUT", "HOURS", "VIEWS", "NONCES"), rows, out
    )
    out.write("* the profile in use (--profile, else SHAROKEY_PROFILE, else default).\n")
    return 0


_CHOSEN_BY = {"argument": "--profile", "environment": "SHAROKEY_PROFILE", "default": "default"}


def _show(args: argparse.Namespace, config: Any) -> int:
    path = config.config_path()
    settings = config.resolve(
        token_of(args), getattr(args, "g_api_url", None), profile_option(args)
    )
    name, chosen_by = config.profile_name(profile_option(args))
    profile = profile_of(args)
    if getattr(args, "g_api_url", None):
        url_source = "argument"
    elif os.environ.get(config.ENV_API_URL, "").strip():
        url_source = "environment"
    elif profile.api_url:
        url_source = "config file"
    else:
        url_source = "default"
    timeout = profile.timeout
    if getattr(args, "g_json", False):
        output.dump_json(
            {
                "path": str(path),
                "file_exists": path.exists(),
                "profile": name,
                "profile_source": chosen_by,
                "token": mask(settings.token) if settings.token else None,
                "token_source": settings.token_source,
                "api_url": settings.api_url,
                "api_url_source": url_source,
                "timeout": timeout,
                "hours": profile.hours,
                "views": profile.views,
                "attachment_nonces": profile.attachment_nonces,
            }
        )
        return 0
    token_line = (
        f"{mask(settings.token)} (from {settings.token_source})"
        if settings.token
        else "(none: pass --token, set SHAROKEY_TOKEN or run `sharokey config --token -`)"
    )
    from sharokey.limits import DEFAULT_HOURS, DEFAULT_VIEWS

    output.key_values(
        [
            ("Config file", f"{path}{'' if path.exists() else ' (not created yet)'}"),
            (
                "Profile",
                f"{name} (from {_CHOSEN_BY[chosen_by]})",
            ),
            ("Token", token_line),
            ("API URL", f"{settings.api_url} (from {url_source})"),
            (
                "Timeout",
                f"{timeout:g} s" if timeout else "default (connect 5 s, read 30 s, 60 s in all)",
            ),
            ("Hours", f"{profile.hours}" if profile.hours else f"default ({DEFAULT_HOURS})"),
            ("Views", f"{profile.views}" if profile.views else f"default ({DEFAULT_VIEWS})"),
            ("Nonces", profile.attachment_nonces or "default (shared, with a warning)"),
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
        settings = config.resolve(
            token_of(args), getattr(args, "g_api_url", None), profile_option(args)
        )
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
