"""A file a long-running process touches while its loop turns; container healthchecks read its age."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from .config import MessagingSettings


class Heartbeat:
    def __init__(self, path: Path, every_seconds: float = 1.0):
        self.path = path
        self.every_seconds = every_seconds
        self._last = 0.0

    @classmethod
    def for_process(cls, settings: MessagingSettings, service: str, role: str) -> "Heartbeat":
        return cls(heartbeat_path(settings, service, role))

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last < self.every_seconds:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()


def heartbeat_path(settings: MessagingSettings, service: str, role: str) -> Path:
    directory = Path(settings.heartbeat_dir or os.path.join(tempfile.gettempdir(), "aftersales-heartbeats"))
    return directory / f"{service}-{role}"


def is_fresh(path: Path, max_age_seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime <= max_age_seconds
    except FileNotFoundError:
        return False
