"""Looking at a service's whole database from a test: how many rows, exactly what rows, what it published."""
from __future__ import annotations

import json

from sqlalchemy import Engine, MetaData, Table, func, select


def row_counts(engine: Engine, metadata: MetaData) -> dict[str, int]:
    """Rows per table of ``metadata``; equal before and after a refused request when it wrote nothing."""
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()}


def snapshot(engine: Engine, metadata: MetaData) -> dict[str, list[str]]:
    """Every row of every table, in a comparable form: stricter than ``row_counts`` (an update shows too)."""
    with engine.connect() as connection:
        return {name: sorted(map(repr, connection.execute(select(table)).all()))
                for name, table in metadata.tables.items()}


def outbox_bodies(engine: Engine, outbox: Table, event_type: str | None = None) -> list[dict]:
    """The envelopes a service stored for publishing, oldest first, as JSON objects."""
    query = select(outbox.c.body).order_by(outbox.c.position)
    if event_type is not None:
        query = query.where(outbox.c.event_type == event_type)
    with engine.connect() as connection:
        return [json.loads(body) for body in connection.execute(query).scalars()]
