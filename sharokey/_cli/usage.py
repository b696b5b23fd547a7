"""Usage errors said by the command that has them, with the closest valid spelling.

Plain argparse reports an unknown option of ``sharokey get`` with the
top-level usage, and never guesses. :class:`Parser` makes a command's parser
report its own unrecognized arguments (so its own usage is printed) and adds
``did you mean `list`?`` to an invalid choice or an unknown option. The guess
is :mod:`difflib`'s on every Python from 3.9 to 3.13 (argparse's own
``suggest_on_error`` only arrives in 3.14), so the message is the same
everywhere. The official CLI's spellings (hidden aliases) are never offered as
guesses: the documented option is.

Only :mod:`argparse` and :mod:`difflib`: ``sharokey --help`` loads this.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable, Sequence
from typing import Any, Optional

__all__ = ["SDK_NAMES", "LogLevel", "LogsEnabled", "Parser", "closest", "typed_flags"]

#: Per command, the SDK's argument or the wire's field -> the option's ``dest`` where
#: their names differ (``create-request --views`` is the SDK's ``maximum_views``).
#: The commands build their SDK calls from it, and errors name the flag from it.
SDK_NAMES: dict[str, dict[str, str]] = {
    "create": {"expiration_hours": "hours", "maximum_views": "views", "attachments": "attach"},
    "create-request": {
        "secret_expiration_hours": "secret_hours",
        "request_expiration_hours": "request_hours",
        "maximum_views": "views",
    },
}
# Prefixes of dests that name where a value goes, not what it is (g_token, store_hours).
_DEST_PREFIXES = ("g_", "store_")


def closest(word: str, candidates: Iterable[str]) -> Optional[str]:
    """The valid spelling nearest to ``word``, or None when none is near enough."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors name the right command and guess."""

    #: Set on a command's parser (``sharokey list``), not on the top-level one.
    is_command = False

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as error:
            guess = closest(str(value), [str(choice) for choice in action.choices or ()])
            if guess is None:
                raise
            raise argparse.ArgumentError(
                action, f"{error.message}; did you mean `{guess}`?"
            ) from None

    def parse_known_args(  # type: ignore[override]
        self, args: Optional[Sequence[str]] = None, namespace: Optional[argparse.Namespace] = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if self.is_command and extras:
            # Everything after a command's name is the command's: say it with its usage.
            self.error(self._unrecognized(extras))
        return parsed, extras

    def _unrecognized(self, extras: list[str]) -> str:
        message = f"unrecognized arguments: {' '.join(extras)}"
        unknown = next((word for word in extras if word.startswith("--")), None)
        if unknown is not None:
            shown = [
                option
                for action in self._actions
                if action.help is not argparse.SUPPRESS
                for option in action.option_strings
                if option.startswith("--")
            ]
            guess = closest(unknown.partition("=")[0], shown)
            if guess is not None:
                message += f"; did you mean `{guess}`?"
        return message


_DEBUG_LEVELS = ("trace", "debug", "verbose")
_OFF = ("false", "0", "no", "off", "none")


class LogLevel(argparse.Action):
    """The official CLI's ``--log-level LEVEL``: a debug level turns on ``--debug``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: Optional[str] = None,
    ) -> None:
        if str(values).strip().lower() in _DEBUG_LEVELS:
            namespace.g_debug = True


class LogsEnabled(argparse.Action):
    """The official CLI's ``--logs-enabled [true|false]``: logs on means ``--debug``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: Optional[str] = None,
    ) -> None:
        if values is None or str(values).strip().lower() not in _OFF:
            namespace.g_debug = True


def _actions(parser: argparse.ArgumentParser, command: str) -> list[argparse.Action]:
    """The top-level parser's actions and those of ``command``'s parser."""
    found = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            found += action.choices[command]._actions
    return found


def typed_flags(
    parser: argparse.ArgumentParser, command: str, argv: Sequence[str]
) -> dict[str, str]:
    """Each name a value may go by in an error -> the option the user typed for it.

    Names: the option's ``dest`` without its ``g_``/``store_`` prefix, and the SDK
    argument or wire field of :data:`SDK_NAMES`. Only options present in ``argv``
    are named, spelled as typed (``--max-views`` stays ``--max-views``).
    """
    by_spelling = {
        spelling: action.dest
        for action in _actions(parser, command)
        for spelling in action.option_strings
    }
    found: dict[str, str] = {}
    for word in argv:
        if word == "--":
            break
        spelling = word.partition("=")[0]
        dest = by_spelling.get(spelling)
        if dest is None:
            continue
        for prefix in _DEST_PREFIXES:
            dest = dest.removeprefix(prefix)
        found[dest] = spelling
    for sdk_name, dest in SDK_NAMES.get(command, {}).items():
        if dest in found:
            found[sdk_name] = found[dest]
    return found
