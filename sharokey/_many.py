"""Many creates at once: what ``create_many`` of both clients shares.

The shared part is written once, with no I/O: what an item is
(:class:`NewSecret`, a mapping of ``create()`` keyword arguments, or the
content alone), how items are drawn from the caller's iterable (lazily,
numbered, checked, a user's ``idempotency_key`` never twice in one batch) and
how outcomes are kept in input order (:class:`Batch`). Each shell adds only
how it waits: :func:`create_in_threads` (a bounded thread pool) and
:func:`create_in_tasks` (a fixed number of worker tasks, which is a semaphore
of ``concurrency`` slots without one task per item).

Bounded memory: at most ``concurrency`` items are drawn and not finished, so
at most that many request bodies exist at once; a finished item leaves only
its outcome. A failure's traceback keeps its lines but drops the frames'
locals (a request body among them). Every item is one ``create()`` call, so
each keeps that call's own protection against duplicates: one
Idempotency-Key per item, reused by the client's retries of that item only.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Awaitable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Optional, Union, cast

import attrs

from sharokey import _validate
from sharokey.errors import ValidationError
from sharokey.limits import DEFAULT_HOURS, DEFAULT_VIEWS
from sharokey.models import CreatedSecret

__all__ = [
    "MAX_CONCURRENCY",
    "Batch",
    "CreateItem",
    "CreateOutcome",
    "NewSecret",
    "check_concurrency",
    "create_in_tasks",
    "create_in_threads",
]

#: The most items in flight one call allows: aiohttp's own default connection limit.
MAX_CONCURRENCY = 100


def _frozen(value: Any) -> Any:
    """A list or a one-shot iterable as a tuple, so checking it does not consume it."""
    if value is None or isinstance(value, (str, bytes, bytearray, os.PathLike, tuple)):
        return value
    if hasattr(value, "read"):  # a file is iterable too: never read it here
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return tuple(value)
    return value


@attrs.frozen
class NewSecret:
    """One secret for :meth:`~sharokey.Sharokey.create_many`: ``create()``'s arguments.

    ``NewSecret("hunter2", hours=48)`` is ``create("hunter2", hours=48)``.
    Checked when ``create_many`` takes it, not when built. Lists given as
    ``attachments``, ``ip_whitelist`` or ``geolocation`` are kept as tuples.
    """

    content: str = attrs.field(repr=False)
    hours: int = attrs.field(default=DEFAULT_HOURS, kw_only=True)
    views: int = attrs.field(default=DEFAULT_VIEWS, kw_only=True)
    description: Optional[str] = attrs.field(default=None, kw_only=True)
    message: Optional[str] = attrs.field(default=None, kw_only=True)
    password: Optional[str] = attrs.field(default=None, kw_only=True, repr=False)
    captcha: bool = attrs.field(default=False, kw_only=True)
    otp_email: Optional[str] = attrs.field(default=None, kw_only=True, repr=False)
    otp_phone: Optional[str] = attrs.field(default=None, kw_only=True, repr=False)
    ip_whitelist: Union[str, Sequence[str], None] = attrs.field(
        default=None, kw_only=True, converter=_frozen
    )
    geolocation: Union[str, Sequence[str], None] = attrs.field(
        default=None, kw_only=True, converter=_frozen
    )
    attachments: Optional[Sequence[Any]] = attrs.field(
        default=None, kw_only=True, repr=False, converter=_frozen
    )
    idempotency_key: Optional[str] = attrs.field(default=None, kw_only=True)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the one ``create()`` call this item is."""
        return attrs.asdict(self, recurse=False)


#: What ``create_many`` accepts as one item.
CreateItem = Union[NewSecret, Mapping[str, Any], str]
#: What it gives back for one item, in input order (as ``gather(return_exceptions=True)``).
CreateOutcome = Union[CreatedSecret, Exception]

_FIELDS = frozenset(field.name for field in attrs.fields(NewSecret))


def _names(keys: Iterable[object]) -> str:
    # Keys are shown only when they look like argument names: a key could be a pasted secret.
    shown = sorted(k for k in keys if isinstance(k, str) and k.isidentifier() and len(k) <= 40)
    return ", ".join(shown) if shown else "a key that is not an argument name"


def _as_new_secret(item: object) -> NewSecret:
    if isinstance(item, NewSecret):
        return item
    if isinstance(item, str):
        return NewSecret(item)
    if isinstance(item, Mapping):
        unknown = [key for key in item if key not in _FIELDS]
        if unknown:
            raise ValidationError(
                f"unknown argument(s) of create(): {_names(unknown)}.",
                details={"item": [f"unknown argument(s) of create(): {_names(unknown)}"]},
            )
        if "content" not in item:
            raise ValidationError(
                "content is missing (give '' with attachments only).",
                details={"content": ["is missing"]},
            )
        return NewSecret(**item)
    raise ValidationError(
        "must be a NewSecret, a mapping of create() arguments or the content as a str.",
        details={"item": [f"is a {type(item).__name__}"]},
    )


def _check(new: NewSecret) -> None:
    """The checks ``create()`` makes before sending anything (shapes only, no file read)."""
    fields = new.arguments()
    key = fields.pop("idempotency_key")
    _validate.create_args(fields.pop("content"), fields.pop("hours"), fields.pop("views"), **fields)
    _validate.idempotency_key(key)


def _item_error(index: int, error: ValidationError) -> ValidationError:
    """``error`` said of item ``index``: the index in the message and in every detail key."""
    return ValidationError(
        f"create_many item {index}: {error.message}",
        details={
            f"items[{index}]" + ("" if name == "item" else f".{name}"): problems
            for name, problems in error.fields.items()
        },
    )


def check_concurrency(value: object, pool_size: int) -> int:
    """``concurrency`` as given to ``create_many``: an int from 1 to :data:`MAX_CONCURRENCY`.

    ``None`` means the client's connection pool (``pool_size``, its ``max_connections``),
    at most :data:`MAX_CONCURRENCY`: more items in flight than connections would
    only wait for one.
    """
    if value is None:
        return min(pool_size, MAX_CONCURRENCY)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        problem = f"must be an integer from 1 to {MAX_CONCURRENCY}"
        raise ValidationError(f"concurrency {problem}.", details={"concurrency": [problem]})
    return value


def _bare(error: Exception) -> Exception:
    """``error`` fit to be kept: its traceback's frames let go of their locals (bodies)."""
    traceback.clear_frames(error.__traceback__)
    return error


class Batch:
    """The items of one ``create_many`` call: drawn lazily, checked, outcomes in input order.

    A :class:`~collections.abc.Sequence` is checked whole before anything is
    drawn (a bad item raises ``ValidationError`` naming its index: nothing is
    sent). Any other iterable is read only as slots free up, so its items are
    checked as drawn: a bad one's slot holds that error and the rest go on;
    an exception raised by the iterable itself takes the next slot and ends
    the drawing.
    """

    def __init__(self, items: Iterable[CreateItem]) -> None:
        if isinstance(items, (str, bytes, bytearray, Mapping, NewSecret)) or not isinstance(
            items, Iterable
        ):
            raise ValidationError(
                "items must be an iterable of items (a list or a generator), not one item.",
                details={"items": [f"is a {type(items).__name__}"]},
            )
        self._keys: dict[str, int] = {}
        self._checked = isinstance(items, Sequence)
        if self._checked:
            for index, item in enumerate(items):
                self._take(index, item)
            self._keys.clear()
        self._source: Iterator[CreateItem] = iter(items)
        self._outcomes: list[Optional[CreateOutcome]] = []
        self._done = False

    def _take(self, index: int, item: object) -> NewSecret:
        """The item as a NewSecret, checked; a ``ValidationError`` names ``index``."""
        try:
            new = _as_new_secret(item)
            _check(new)
        except ValidationError as exc:
            raise _item_error(index, exc) from None
        key = new.idempotency_key
        if key is not None:
            first = self._keys.setdefault(key, index)
            if first != index:
                problem = f"repeats item {first}'s (one key per secret)"
                raise ValidationError(
                    f"create_many item {index}: idempotency_key {problem}.",
                    details={f"items[{index}].idempotency_key": [problem]},
                )
        return new

    def draw(self) -> Optional[tuple[int, dict[str, Any]]]:
        """The next item to send, as (index, ``create()`` keyword arguments); None at the end."""
        while not self._done:
            index = len(self._outcomes)
            try:
                item = next(self._source)
            except StopIteration:
                self._done = True
                break
            except Exception as exc:  # the caller's iterable failed: keep it, stop drawing
                self._done = True
                self._outcomes.append(_bare(exc))
                break
            self._outcomes.append(None)
            try:
                new = _as_new_secret(item) if self._checked else self._take(index, item)
            except ValidationError as exc:
                self.settle(index, exc)
                continue
            return index, new.arguments()
        return None

    def settle(self, index: int, outcome: CreateOutcome) -> None:
        """Item ``index`` is finished: a secret, or the exception it ended in."""
        self._outcomes[index] = _bare(outcome) if isinstance(outcome, Exception) else outcome

    def outcomes(self) -> list[CreateOutcome]:
        """One outcome per item drawn, in input order (every item drawn is settled by now)."""
        assert all(outcome is not None for outcome in self._outcomes)
        return cast("list[CreateOutcome]", self._outcomes)


# --------------------------------------------------------------------------- the two waits


def _one(create: Callable[..., CreatedSecret], arguments: dict[str, Any]) -> CreateOutcome:
    try:
        return create(**arguments)
    except Exception as exc:  # this item's failure is its outcome; the others go on
        return exc


def create_in_threads(
    create: Callable[..., CreatedSecret],
    items: Iterable[CreateItem],
    concurrency: object,
    pool_size: int,
) -> list[CreateOutcome]:
    """The sync ``create_many``: ``create`` on at most ``concurrency`` worker threads.

    Items are drawn by the calling thread only when a worker is free. An
    interrupt (``KeyboardInterrupt``) cancels the items not yet started and
    waits for the ones being sent, so none is left half-sent.
    """
    limit = check_concurrency(concurrency, pool_size)
    batch = Batch(items)
    running: dict[Future[CreateOutcome], int] = {}
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="sharokey-many") as pool:
        try:
            while True:
                while len(running) < limit:
                    job = batch.draw()
                    if job is None:
                        break
                    running[pool.submit(_one, create, job[1])] = job[0]
                    del job
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch.settle(running.pop(future), future.result())
        except BaseException:
            for future in running:
                future.cancel()
            raise
    return batch.outcomes()


async def create_in_tasks(
    create: Callable[..., Awaitable[CreatedSecret]],
    items: Iterable[CreateItem],
    concurrency: object,
    pool_size: int,
) -> list[CreateOutcome]:
    """The async ``create_many``: ``concurrency`` worker tasks, each drawing the next item.

    Cancelling it cancels every item in flight and returns only once all the
    workers have ended: no task is left running.
    """
    import asyncio  # not at import time: `import sharokey` never loads asyncio

    limit = check_concurrency(concurrency, pool_size)
    batch = Batch(items)

    async def worker() -> None:
        while True:
            job = batch.draw()
            if job is None:
                return
            index, arguments = job
            del job
            try:
                outcome: CreateOutcome = await create(**arguments)
            except Exception as exc:  # this item's failure is its outcome; the others go on
                outcome = exc
            del arguments
            batch.settle(index, outcome)

    workers = [asyncio.ensure_future(worker()) for _ in range(limit)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.wait(workers)
    return batch.outcomes()
