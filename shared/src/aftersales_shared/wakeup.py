"""Wakes a service's relay as soon as outbox rows commit, so events leave within milliseconds.

PostgreSQL: ``NOTIFY`` inside the writing transaction (delivered only if it commits) and ``LISTEN`` in
the relay. SQLite has no notifications: the writer sends one datagram to a socket the relay holds,
after the commit. Either way a lost signal costs only latency; the relay's poll is the safety net.
"""
from __future__ import annotations

import hashlib
import logging
import os
import select
import socket
import tempfile
import threading
import time

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)
CHANNEL = "aftersales_outbox"
RETRY_OPEN_SECONDS = 30.0


def notify_in_transaction(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"NOTIFY {CHANNEL}")


def notify_after_commit(engine: Engine) -> None:
    path = wake_socket_path(engine)
    if path is None:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        try:
            sender.sendto(b"1", path)
        except OSError:
            pass  # no relay listening, or its socket is full of wake-ups already: either way it will look


def wake_socket_path(engine: Engine) -> str | None:
    """One path per SQLite file, short enough for a Unix socket whatever the file's own path."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    digest = hashlib.sha256(os.path.abspath(engine.url.database).encode()).hexdigest()[:20]
    return os.path.join(tempfile.gettempdir(), f"aftersales-relay-{digest}.sock")


class RelayWakeup:
    """The relay's side: ``wait(timeout)`` returns early when a writer signalled."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._listener = None  # PostgreSQL: a raw driver connection in autocommit, LISTENing
        self._socket: socket.socket | None = None
        self._retry_at = 0.0
        # interrupt() ends a wait at once (the relay is stopping): a pipe the wait also watches, made
        # on first use by either side and closed by dispose().
        self._pipe: tuple[int, int] | None = None
        self._pipe_lock = threading.Lock()

    def open(self) -> None:
        """Called by the relay that publishes (the leader), not by one standing by."""
        if self._listener is not None or self._socket is not None or time.monotonic() < self._retry_at:
            return
        try:
            if self.engine.dialect.name == "postgresql":
                self._open_listener()
            else:
                self._open_socket()
        except Exception as exc:  # noqa: BLE001 - waking up is an optimisation; polling still works
            log.warning("relay wake-up unavailable, polling only for a while: %s", exc)
            self.close()
            self._retry_at = time.monotonic() + RETRY_OPEN_SECONDS

    def _open_listener(self) -> None:
        if self._listener is not None:
            return
        pooled = self.engine.raw_connection()
        raw = pooled.driver_connection
        pooled.detach()  # held for the relay's life, outside the pool
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        self._listener = raw

    def _open_socket(self) -> None:
        path = wake_socket_path(self.engine)
        if path is None or self._socket is not None:
            return
        if os.path.exists(path):
            os.unlink(path)  # left by a relay that died; only the leader gets here
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(path)
        listener.setblocking(False)
        self._socket = listener

    def _interrupt_pipe(self) -> tuple[int, int]:
        with self._pipe_lock:
            if self._pipe is None:
                read, write = os.pipe()
                os.set_blocking(read, False)
                os.set_blocking(write, False)
                self._pipe = (read, write)
            return self._pipe

    def interrupt(self) -> None:
        try:
            os.write(self._interrupt_pipe()[1], b"1")
        except OSError:
            pass  # already interrupted (the pipe is full), or disposed of

    def wait(self, timeout: float) -> bool:
        """Sleeps up to ``timeout``; True when woken by a signal, False on timeout or interrupt."""
        source = self._listener if self._listener is not None else self._socket
        interrupted = self._interrupt_pipe()[0]
        watched = [interrupted] + ([source] if source is not None else [])
        try:
            readable, _, _ = select.select(watched, [], [], timeout)
            if interrupted in readable:
                self._drain_interrupts(interrupted)
                return False
            if not readable:
                return False
            self._drain()
            return True
        except Exception as exc:  # noqa: BLE001 - a broken listener: fall back to polling
            log.warning("relay wake-up lost (%s); reopening", exc)
            self.close()
            self.open()
            return False

    @staticmethod
    def _drain_interrupts(read: int) -> None:
        try:
            while os.read(read, 64):
                pass
        except OSError:
            pass

    def _drain(self) -> None:
        if self._listener is not None:
            self._listener.poll()
            self._listener.notifies.clear()
            return
        while True:
            try:
                self._socket.recv(64)
            except BlockingIOError:
                return

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()
            except Exception:  # noqa: BLE001
                pass
        sock, self._socket = self._socket, None
        if sock is not None:
            path = sock.getsockname()
            sock.close()
            try:
                os.unlink(path)
            except OSError:
                pass

    def dispose(self) -> None:
        """Closes everything, the interrupt pipe included: for the end of the relay's life."""
        self.close()
        with self._pipe_lock:
            pipe, self._pipe = self._pipe, None
        for fd in pipe or ():
            os.close(fd)
