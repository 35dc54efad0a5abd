"""Unique names per test run and polling instead of fixed sleeps."""
from __future__ import annotations

import itertools
import os
import secrets
import string
import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")

#: Unique per test process (each pytest-xdist worker gets its own): 8 lowercase hex characters.
RUN_ID: str = os.environ.get("TEST_RUN_ID") or secrets.token_hex(4)

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def unique(prefix: str = "t", sep: str = "-") -> str:
    """``<prefix><sep><run id><sep><n>``: unique within the run and, through the random run id, across runs.

    With the default separator the result is a valid region/site code of the contract
    (``[A-Za-z0-9-]{1,32}``) as long as ``prefix`` is short; pass ``sep="_"`` for SQL identifiers.
    """
    with _counter_lock:
        number = next(_counter)
    return f"{prefix}{sep}{RUN_ID}{sep}{number}"


def unique_event_type(prefix: str = "Probe") -> str:
    """A PascalCase event type (``^[A-Z][A-Za-z]+$``, no digits allowed) unique to this call.

    Consumers bind ``<type>.#``; a type of its own keeps a test's messages out of every other
    test's queues on a shared vhost.
    """
    with _counter_lock:
        number = next(_counter)
    letters = string.ascii_lowercase
    tag = "".join(letters[int(char, 16)] for char in RUN_ID)
    counter = ""
    while True:
        number, digit = divmod(number, 26)
        counter = letters[digit] + counter
        if number == 0:
            break
    return f"{prefix}{tag.capitalize()}{counter.capitalize()}"


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition not met",
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Polls ``predicate`` until it returns something truthy and returns that value.

    Raises ``AssertionError`` with ``message`` (a string, or a callable producing one at
    failure time, for diagnostics) when ``timeout`` seconds pass first. Exceptions of the
    types in ``ignore`` count as "not yet"; any other exception propagates at once.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = predicate()
        except ignore as exc:  # noqa: PERF203 - polling loop
            value, last_error = None, exc
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            suffix = f" (last error: {last_error!r})" if last_error is not None else ""
            raise AssertionError(f"timed out after {timeout}s: {text}{suffix}")
        time.sleep(interval)
