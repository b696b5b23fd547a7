"""``sharokey completion SHELL``: a completion script generated from the parser itself.

Generated with ``shtab`` (the optional extra ``completion``) rather than
written by hand, so every command and option added to the parser completes
without anyone editing a script.
"""

from __future__ import annotations

import argparse

from sharokey._cli.context import stdout
from sharokey._cli.errors import MissingExtraError

__all__ = ["cmd_completion"]

INSTALL_HINT = (
    "Install it: `pip install shtab`, or this package's extra `completion` "
    "(`pip install '.[completion]'` in a checkout)."
)


def _complete_paths(parser: argparse.ArgumentParser, files: object, dirs: object) -> None:
    """Options whose value is a path complete file (or directory) names, in every command.

    Read from the metavars the parser already uses (``PATH``, ``FILE``, ``DIR``), so the
    parser itself stays free of shtab.
    """
    for action in parser._actions:
        if action.metavar in ("PATH", "FILE"):
            action.complete = files  # type: ignore[attr-defined]
        elif action.metavar == "DIR":
            action.complete = dirs  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _complete_paths(sub, files, dirs)


def cmd_completion(args: argparse.Namespace) -> int:
    """Print the completion script for ``args.shell`` on stdout."""
    try:
        import shtab
    except ImportError:
        raise MissingExtraError("shell completion needs the shtab package", INSTALL_HINT) from None
    from sharokey._cli.parser import build_parser

    parser = build_parser()
    _complete_paths(parser, shtab.FILE, shtab.DIRECTORY)
    script = shtab.complete(parser, shell=args.shell)
    out = stdout()
    out.write(script if script.endswith("\n") else script + "\n")
    return 0
