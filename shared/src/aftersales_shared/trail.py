"""Every service tells what it heard and said about one flow: ``GET /api/v1/events?correlation_id=<ticket>``.

From its own inbox (events consumed) and outbox (events emitted), so an operator can put a ticket's whole
story together across the services without reading their databases. Kept as long as those rows are
(``RETENTION_DAYS``).
"""
from __future__ import annotations

import json

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import Table, select

from .boundary import Blueprint, Text, Timestamp
from .db import reader
from .tables import CORRELATION_LENGTH
from .timeutil import parse_rfc3339

trail = Blueprint("events", __name__, url_prefix="/api/v1/events",
                  description="What this service consumed and emitted for one flow (a ticket)")


class TrailQuery(Schema):
    correlation_id = Text(CORRELATION_LENGTH, min_length=1, required=True)


class Consumed(Schema):
    event_id = fields.String(required=True)
    type = fields.String(required=True)
    source = fields.String(required=True)
    causation_id = fields.String(allow_none=True)
    occurred_at = Timestamp(allow_none=True)
    received_at = Timestamp(required=True)


class Emitted(Schema):
    event_id = fields.String(required=True)
    type = fields.String(required=True)
    source = fields.String(required=True)
    causation_id = fields.String(allow_none=True)
    occurred_at = Timestamp(required=True)
    routing_key = fields.String(required=True)
    published_at = Timestamp(allow_none=True)


class Trail(Schema):
    service = fields.String(required=True)
    correlation_id = fields.String(required=True)
    consumed = fields.List(fields.Nested(Consumed), required=True)
    emitted = fields.List(fields.Nested(Emitted), required=True)


@trail.route("")
class Events(MethodView):
    @trail.arguments(TrailQuery, location="query")
    @trail.response(200, Trail)
    def get(self, query):
        """Events this service consumed and emitted for one correlation id, oldest first."""
        runtime = current_app.extensions["runtime"]
        correlation_id = query["correlation_id"]
        with reader(runtime.engine).connect() as connection:
            consumed = _consumed(connection, runtime.inbox, correlation_id) if runtime.inbox is not None else []
            emitted = _emitted(connection, runtime.outbox, correlation_id)
        return {"service": runtime.service, "correlation_id": correlation_id, "consumed": consumed,
                "emitted": emitted}


def _consumed(connection, inbox: Table, correlation_id: str) -> list[dict]:
    rows = connection.execute(
        select(inbox.c.event_id, inbox.c.event_type, inbox.c.source, inbox.c.causation_id, inbox.c.occurred_at,
               inbox.c.received_at)
        .where(inbox.c.correlation_id == correlation_id).order_by(inbox.c.received_at)
    ).mappings()
    return [{**row, "type": row["event_type"]} for row in rows]


def _emitted(connection, outbox: Table, correlation_id: str) -> list[dict]:
    rows = connection.execute(
        select(outbox.c.body, outbox.c.routing_key, outbox.c.sent_at)
        .where(outbox.c.correlation_id == correlation_id).order_by(outbox.c.position)
    )
    emitted = []
    for body, routing_key, sent_at in rows:
        envelope = json.loads(body)
        emitted.append({"event_id": envelope["id"], "type": envelope["type"], "source": envelope["source"],
                        "causation_id": envelope.get("causation_id"), "occurred_at": parse_rfc3339(envelope["time"]),
                        "routing_key": routing_key, "published_at": sent_at})
    return emitted
