"""Structured logs: one JSON object per line, each carrying the correlation id of what is being handled.

The correlation id is the ticket's (every event about a ticket carries it), so one search follows a ticket
through all five services. Consumers set it around each event's handler, web processes around each request.
Credentials in URLs are masked in every line, whatever logged them.
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

correlation = contextvars.ContextVar("correlation_id", default=None)
_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@")
_HANDLER_NAME = "aftersales"


@contextmanager
def correlated(correlation_id: str | None) -> Iterator[None]:
    token = correlation.set(correlation_id)
    try:
        yield
    finally:
        correlation.reset(token)


def mask_credentials(text: str) -> str:
    return _CREDENTIALS.sub(r"\g<scheme>\g<user>:***@", text)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str, role: str):
        super().__init__()
        self.service, self.role = service, role

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "service": self.service,
            "role": self.role,
            "logger": record.name,
            "correlation_id": correlation.get(),
            "message": mask_credentials(record.getMessage()),
        }
        extra = getattr(record, "fields", None)
        if extra:
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = mask_credentials(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self, service: str, role: str):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(correlation)s] %(message)s")
        self.service, self.role = service, role

    def format(self, record: logging.LogRecord) -> str:
        record.correlation = correlation.get() or "-"
        return mask_credentials(super().format(record))


def configure_logging(service: str, role: str, *, level: str | None = None, fmt: str | None = None) -> None:
    """Root logging for a process: JSON lines (``LOG_FORMAT=json``, the default) or text, at ``LOG_LEVEL``.

    Idempotent: configuring again replaces this module's handler and leaves others alone.
    """
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "json").lower()
    formatter = TextFormatter(service, role) if fmt == "text" else JsonFormatter(service, role)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())
    # pika logs every failed connection attempt as an ERROR; the platform's own lines say what failed.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
