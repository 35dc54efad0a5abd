"""Fits kept between requests, each with the data version of its model it was computed at.

Whatever changes a model's failures or installed base bumps that version in the same transaction, so
a cached fit is used only while nothing it was computed from has changed: no expiry to tune, and a
fleet of a million units is refitted once per change, not once per request.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class FitCache:
    def __init__(self, capacity: int = 512):
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, version: int, compute: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]  # type: ignore[return-value]
            self.misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return value
