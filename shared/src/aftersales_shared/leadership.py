"""One relay per database publishes, so order holds and nothing goes out twice; others stand by.

Leadership lives as long as the leader's process: a PostgreSQL session advisory lock, or an exclusive
lock on a file beside the SQLite database. A process that dies (killed, crashed) loses it at once;
one that is merely paused keeps it, so it can never wake up to publish what a successor already did.
Leadership is rechecked before every batch: a leader whose database session broke stops publishing.
"""
from __future__ import annotations

import fcntl
import logging
import os

from sqlalchemy import Connection, Engine, func, select, text

log = logging.getLogger(__name__)
RELAY_LOCK_KEY = 0x6F7574626F78  # "outbox"; each service has its own database, so one key serves all
SCHEDULER_LOCK_KEY = 0x7363686564  # "sched": periodic jobs have a leader of their own


class Leadership:
    def hold(self) -> bool:
        """Takes leadership if free, or confirms it is still held; False while another relay has it."""
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


class PostgresLeadership(Leadership):
    def __init__(self, engine: Engine, key: int = RELAY_LOCK_KEY):
        self.engine = engine
        self.key = key
        self._session: Connection | None = None

    def hold(self) -> bool:
        if self._session is not None:
            try:
                self._session.execute(text("SELECT 1"))  # one round trip: the session is in autocommit
                return True
            except Exception as exc:  # noqa: BLE001 - the session is gone, and the lock with it
                log.warning("relay leadership lost with its database session: %s", exc)
                self.release()
        session = self.engine.connect()
        try:
            held = session.execute(select(func.pg_try_advisory_lock(self.key))).scalar()
            session.commit()
        except Exception:
            session.invalidate()
            raise
        if not held:
            session.close()
            return False
        session.execution_options(isolation_level="AUTOCOMMIT")
        self._session = session
        return True

    def release(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.invalidate()  # ends the session, which releases the lock even on a broken link


class FileLeadership(Leadership):
    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None

    def hold(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the lock


class SoleLeadership(Leadership):
    """An in-memory database has one process by definition."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        pass


LOCK_KEYS = {"relay": RELAY_LOCK_KEY, "scheduler": SCHEDULER_LOCK_KEY}


def leadership_for(engine: Engine, role: str = "relay") -> Leadership:
    """The one-per-database lock for ``role`` (``relay`` or ``scheduler``)."""
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine, LOCK_KEYS[role])
    database = engine.url.database
    if not database or database == ":memory:":
        return SoleLeadership()
    return FileLeadership(os.path.abspath(database) + f".{role}-lock")
