"""The contract's event envelope: build, serialise, parse and validate; routing key and AMQP properties."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from .fields import Timestamp
from .timeutil import parse_rfc3339, utcnow
from .vocabulary import CODE_MESSAGE, CODE_PATTERN, EVENT_TYPE_PATTERN, SOURCE_PATTERN

EXCHANGE = "aftersales.events"
CONTENT_TYPE = "application/json"
PERSISTENT = 2
_CODE = validate.Regexp(CODE_PATTERN, error=CODE_MESSAGE)
_SOURCE = validate.Regexp(SOURCE_PATTERN, error="Must be a service name or partner/<partner_id>.")


class InvalidMessage(ValueError):
    """A message that can never be processed as it is: undecodable, or breaking the schema."""

    def __init__(self, errors: Mapping[str, Any]):
        self.errors = dict(errors)
        super().__init__(json.dumps(self.errors, sort_keys=True, default=str))


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    version: int
    source: str
    time: datetime
    subject: str
    correlation_id: str
    causation_id: str | None
    region: str
    site: str
    data: dict = field(default_factory=dict)

    @property
    def routing_key(self) -> str:
        return f"{self.type}.{self.region}.{self.site}"

    def amqp_properties(self, app_id: str) -> dict:
        return {
            "message_id": self.id,
            "type": self.type,
            "delivery_mode": PERSISTENT,
            "content_type": CONTENT_TYPE,
            "app_id": app_id,
        }

    def to_dict(self) -> dict:
        return _SCHEMA.dump(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    def with_data(self, data: dict) -> "Envelope":
        return replace(self, data=data)


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_PATTERN, error="Must be PascalCase."))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=[_SOURCE, validate.Length(max=100)])
    time = Timestamp(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1))
    causation_id = fields.String(required=True, allow_none=True)
    region = fields.String(required=True, validate=_CODE)
    site = fields.String(required=True, validate=_CODE)
    data = fields.Dict(required=True)

    def load(self, data, **kwargs):  # type: ignore[override]
        loaded = super().load(data, **kwargs)
        loaded["id"] = str(loaded["id"])
        return Envelope(**loaded)


_SCHEMA = EnvelopeSchema()
_FIELDS = frozenset(EnvelopeSchema._declared_fields)
_TYPE = re.compile(EVENT_TYPE_PATTERN)
_CODE_TEXT = re.compile(CODE_PATTERN)
_SOURCE_TEXT = re.compile(SOURCE_PATTERN)


def _load_well_formed(body: Mapping) -> Envelope | None:
    """The same rules as EnvelopeSchema, checked directly: every message passes here, so it must be cheap.

    None means something is off; the schema then says exactly what.
    """
    if body.keys() != _FIELDS:
        return None
    version, source, causation = body["version"], body["source"], body["causation_id"]
    texts = (body["id"], body["type"], source, body["time"], body["subject"], body["correlation_id"],
             body["region"], body["site"])
    if not all(isinstance(text, str) for text in texts) or not isinstance(body["data"], dict):
        return None
    if type(version) is not int or version < 1 or not (causation is None or isinstance(causation, str)):
        return None
    if not (_TYPE.match(body["type"]) and _SOURCE_TEXT.match(source) and len(source) <= 100
            and _CODE_TEXT.match(body["region"]) and _CODE_TEXT.match(body["site"])
            and body["subject"] and body["correlation_id"]):
        return None
    try:
        event_id = str(uuid.UUID(body["id"]))
        moment = parse_rfc3339(body["time"])
    except ValueError:
        return None
    return Envelope(id=event_id, type=body["type"], version=version, source=source, time=moment,
                    subject=body["subject"], correlation_id=body["correlation_id"], causation_id=causation,
                    region=body["region"], site=body["site"], data=body["data"])


def new_envelope(
    *,
    type: str,
    data: dict,
    source: str,
    subject: str,
    region: str,
    site: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    version: int = 1,
    time: datetime | None = None,
) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        type=type,
        version=version,
        source=source,
        time=time or utcnow(),
        subject=subject,
        correlation_id=correlation_id or subject,
        causation_id=causation_id,
        region=region,
        site=site,
        data=data,
    )


def caused_by(cause: Envelope, **kwargs) -> Envelope:
    """A follow-on event in the same flow: same correlation, caused by ``cause``."""
    kwargs.setdefault("correlation_id", cause.correlation_id)
    kwargs.setdefault("region", cause.region)
    kwargs.setdefault("site", cause.site)
    return new_envelope(causation_id=cause.id, **kwargs)


def parse_envelope(body: bytes | str | Mapping) -> Envelope:
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidMessage({"body": [f"Not UTF-8: {exc}"]}) from exc
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as exc:
            raise InvalidMessage({"body": [f"Not JSON: {exc}"]}) from exc
    if not isinstance(body, Mapping):
        raise InvalidMessage({"body": ["Must be a JSON object (the event envelope)."]})
    envelope = _load_well_formed(body)
    if envelope is not None:
        return envelope
    try:
        return _SCHEMA.load(body)
    except ValidationError as exc:
        raise InvalidMessage(exc.messages) from exc


def validate_data(envelope: Envelope, schema: Schema) -> dict:
    """Load ``envelope.data`` with the consumer's schema; errors are reported under ``data``."""
    try:
        return schema.load(envelope.data, unknown=EXCLUDE)
    except ValidationError as exc:
        raise InvalidMessage({"data": exc.messages}) from exc
