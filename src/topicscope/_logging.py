"""The library logger and progress bars (shown only when verbose)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

logger = logging.getLogger("topicscope")

T = TypeVar("T")


def progress(
    iterable: Iterable[T], *, verbose: bool, desc: str, total: int | None = None, every_step: bool = False
) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar when ``verbose``; otherwise return it unchanged.

    ``every_step``: redraw at every step, for a few long steps (a cluster's partitions) that tqdm's
    rate limit would otherwise hide.
    """
    if not verbose:
        return iterable
    from tqdm.auto import tqdm

    pace = {"mininterval": 0, "miniters": 1} if every_step else {}
    return tqdm(iterable, desc=desc, total=total, leave=False, **pace)


@contextlib.contextmanager
def stage(name: str, *, verbose: bool) -> Iterator[None]:
    """Log the duration of a pipeline stage (INFO when verbose, DEBUG otherwise)."""
    start = time.perf_counter()
    yield
    level = logging.INFO if verbose else logging.DEBUG
    logger.log(level, "%s done in %.2fs", name, time.perf_counter() - start)


@contextlib.contextmanager
def verbose_logging(verbose: bool) -> Iterator[None]:
    """While ``verbose``, show INFO messages on stderr unless the application configured logging.

    The handler is attached for the duration of the call only, so importing or using
    topicscope never changes the process's logging set-up.
    """
    if not verbose or logger.handlers or logging.getLogger().handlers:
        yield
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s topicscope: %(message)s", "%H:%M:%S"))
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
