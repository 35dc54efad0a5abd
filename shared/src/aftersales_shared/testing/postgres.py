"""Throw-away PostgreSQL databases for tests."""
from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url

DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class DatabaseUnavailable(RuntimeError):
    pass


def admin_url() -> URL:
    """From env ``PG_ADMIN_URL`` (libpq or SQLAlchemy form), default ``postgresql://postgres@127.0.0.1:5432/postgres``."""
    return make_url(os.environ.get("PG_ADMIN_URL") or DEFAULT_PG_ADMIN_URL)


def _connect(url: URL):
    import psycopg2

    try:
        connection = psycopg2.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            dbname=url.database or "postgres",
            connect_timeout=5,
        )
    except psycopg2.OperationalError as exc:
        safe = url.render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"PostgreSQL is not reachable at {safe}: {str(exc).strip()}") from exc
    connection.autocommit = True
    return connection


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_database(name: str, admin: URL | None = None) -> str:
    """Creates database ``name``; returns its SQLAlchemy URL (``postgresql+psycopg2://...``)."""
    admin = admin or admin_url()
    connection = _connect(admin)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {_quote_ident(name)}")
    finally:
        connection.close()
    return admin.set(drivername="postgresql+psycopg2", database=name).render_as_string(hide_password=False)


def drop_database(name: str, admin: URL | None = None) -> None:
    """Drops ``name``, disconnecting whoever is still connected (PostgreSQL 13+)."""
    connection = _connect(admin or admin_url())
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
    finally:
        connection.close()
