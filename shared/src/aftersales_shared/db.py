"""Engines that hold up under concurrency on both PostgreSQL and the embedded SQLite default."""
from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import URL, make_url

from .config import ConfigError
from .sqlite_writers import WriterConnection, begin_writing, process_lock

T = TypeVar("T")

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(dialect_name: str, table: Table):
    """The dialect's own INSERT into ``table``: the one that knows ON CONFLICT (both databases have it)."""
    return _INSERTS[dialect_name](table)


def is_transient(exc: BaseException) -> bool:
    """A conflict with another transaction (deadlock, serialization, a busy SQLite file): just try again."""
    code = getattr(getattr(exc, "orig", None), "pgcode", None)
    if code in ("40001", "40P01", "55P03"):
        return True
    return "database is locked" in str(exc)


def retrying_conflicts(run: Callable[[], T], attempts: int = 3) -> T:
    """``run`` (one unit of work) again when it lost a deadlock or serialization race with another
    transaction: it rolled back whole, so running it again is safe; what a request sees is the outcome."""
    for attempt in range(1, attempts + 1):
        try:
            return run()
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
    raise AssertionError("unreachable")

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option: the connection only reads, so on SQLite it need not take the write lock up front.
READ_ONLY = "aftersales_read_only"
# The one PostgreSQL driver the platform installs; `postgresql://` means this one, whatever SQLAlchemy's default.
POSTGRES_DRIVER = "psycopg2"
# Connection pool bounds given in the URL's query (``?pool_size=2&max_overflow=0``), so whoever sets the URL
# also sets the most connections a process opens: replicas x (pool_size + max_overflow) is then known.
POOL_OPTIONS = {"pool_size": 1, "max_overflow": 0}  # option: least value


def database_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql") or (
            parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != POSTGRES_DRIVER):
        parsed = parsed.set(drivername=f"postgresql+{POSTGRES_DRIVER}")
    return parsed


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    parsed = database_url(url)
    pool = {"pool_size": pool_size, "max_overflow": 10, **pool_options(parsed)}
    parsed = parsed.difference_update_query(POOL_OPTIONS)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True, **pool)


def pool_options(url: URL) -> dict[str, int]:
    """``pool_size`` and ``max_overflow`` from the URL's query; a bad value is a clear error naming it."""
    options = {}
    for name, least in POOL_OPTIONS.items():
        raw = url.query.get(name)
        if raw is None:
            continue
        try:
            value = int(raw) if isinstance(raw, str) else None
        except ValueError:
            value = None
        if value is None or value < least:
            raise ConfigError(f"DATABASE_URL {name} must be one whole number of at least {least}, got {raw!r}")
        options[name] = value
    return options


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def reader(engine: Engine) -> Engine:
    """The same engine for transactions that only read."""
    return engine.execution_options(**{READ_ONLY: True})


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False,
                                              "factory": WriterConnection})
    database = url.database

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # pysqlite's own transaction handling defers BEGIN; take control so BEGIN IMMEDIATE below is honoured.
        dbapi_connection.isolation_level = None
        if database and database != ":memory:" and not database.startswith("file:"):
            dbapi_connection.writer_lock = process_lock(database)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is on disk before it is acknowledged (a 201, an ack to the broker), even across a
        # power cut; NORMAL in WAL mode could lose the last commits.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        raw = connection.connection.dbapi_connection
        if connection.get_execution_options().get(READ_ONLY):
            # A snapshot for reads: never waits for, nor blocks, a writer.
            raw.execute("BEGIN")
            return
        # Take the write lock up front: a read-then-write transaction (reserving stock) can then never
        # interleave with another writer and oversell, and never fails late with "database is locked".
        # Polled, not through SQLite's busy handler (see sqlite_writers.py).
        timeout_ms = SQLITE_BUSY_TIMEOUT_MS
        raw.execute("PRAGMA busy_timeout=0")
        try:
            if not begin_writing(raw, timeout_ms / 1000):
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # fails at once, with SQLAlchemy's own error
        finally:
            raw.execute(f"PRAGMA busy_timeout={timeout_ms}")

    return engine
