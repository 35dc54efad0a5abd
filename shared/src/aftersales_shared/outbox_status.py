"""``GET /api/v1/outbox``: how far this service's relay is behind, for operators (``aftersales outbox status``).

The same numbers as the ``outbox_*`` gauges on /metrics, plus when the oldest waiting event was written
and what is waiting by type, so nobody needs the service's database URL to ask.
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import func, select

from .boundary import Blueprint, Timestamp
from .db import reader
from .timeutil import utcnow

outbox_status = Blueprint("outbox", __name__, url_prefix="/api/v1/outbox",
                          description="Events written but not yet published (the relay's lag)")


class OutboxStatus(Schema):
    service = fields.String(required=True)
    pending = fields.Integer(required=True)
    oldest_pending_at = Timestamp(allow_none=True)
    lag_seconds = fields.Float(required=True, metadata={"description": "age of the oldest pending event; 0 when none"})
    pending_by_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    last_published_at = Timestamp(allow_none=True)


@outbox_status.route("")
class Outbox(MethodView):
    @outbox_status.response(200, OutboxStatus)
    def get(self):
        """Pending events, the oldest one's time and age, and when the relay last published."""
        runtime = current_app.extensions["runtime"]
        outbox = runtime.outbox
        pending_rows = outbox.c.sent_at.is_(None)
        with reader(runtime.engine).connect() as connection:
            by_type = dict(connection.execute(
                select(outbox.c.event_type, func.count()).where(pending_rows).group_by(outbox.c.event_type)).all())
            oldest = connection.execute(select(func.min(outbox.c.created_at)).where(pending_rows)).scalar()
            last = connection.execute(select(func.max(outbox.c.sent_at))).scalar()
        lag = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        return {"service": runtime.service, "pending": sum(by_type.values()), "oldest_pending_at": oldest,
                "lag_seconds": round(lag, 3), "pending_by_type": by_type, "last_published_at": last}
