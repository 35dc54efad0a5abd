"""What a service's entrypoints build their HTTP and event boundary from, defined once for all five.

The contract's vocabulary (``aftersales_shared.vocabulary``), the field types that refuse what a database
could not store (``aftersales_shared.fields``), the tolerant base schema for incoming events, the
blueprint whose bad-input answers name the field, whatever part of the request it came in, and the
``Idempotency-Key`` header of a POST that creates something (``aftersales_shared.idempotency``).
"""
from __future__ import annotations

from flask import Response, jsonify, request
from marshmallow import EXCLUDE, Schema

from . import web
from .fields import INT4_MAX, INT4_MIN, Boolean, Choice, Code, Integer, Money, Text, Timestamp
from .idempotency import KEY_LENGTH, IdempotencyConflict, IdempotentRequest, Replayed
from .vocabulary import (
    CHANNELS, CODE_PATTERN, CURRENCY_PATTERN, IN_WARRANTY, LINE_KINDS, OUT_OF_WARRANTY, OUTCOMES, PAYERS,
    PRIORITIES, SERVICE_TYPES, TICKET_WARRANTY_STATUSES, WARRANTY_STATUSES, WARRANTY_UNKNOWN,
)

__all__ = [
    "CHANNELS", "CODE_PATTERN", "CURRENCY_PATTERN", "IN_WARRANTY", "INT4_MAX", "INT4_MIN", "LINE_KINDS",
    "OUTCOMES", "OUT_OF_WARRANTY", "PAYERS", "PRIORITIES", "SERVICE_TYPES", "TICKET_WARRANTY_STATUSES",
    "WARRANTY_STATUSES", "WARRANTY_UNKNOWN", "Blueprint", "Boolean", "Choice", "Code", "EventReader", "Integer",
    "Money", "Text", "Timestamp", "ERROR", "IdempotencyHeader", "REPLAYED_HEADER", "idempotent_request", "replay",
]

#: The error body every service answers with: ``alt_response(404, schema=ERROR, description=...)``.
ERROR = "Error"


class EventReader(Schema):
    """Base of every schema that reads an incoming event (or a part of one).

    Tolerant: fields the service does not keep pass by unread, so a publisher can add to an event without
    breaking its consumers. Strict on the fields it declares: those are stored or acted on.
    """

    class Meta:
        unknown = EXCLUDE


def _string_keys(messages):
    """Error messages keyed by list positions and field names at once cannot be sorted into JSON; all keys
    become strings, as JSON would write them anyway."""
    if isinstance(messages, dict):
        return {str(key): _string_keys(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_string_keys(item) for item in messages]
    return messages


class _Parser(type(web.Blueprint.ARGUMENTS_PARSER)):
    def _on_validation_error(self, error, req, schema, location, **kwargs):
        error.messages = _string_keys(error.messages)
        # Path parameters are field errors like any other; the shared error body lists view_args fields flat.
        super()._on_validation_error(error, req, schema, "view_args" if location == "path" else location, **kwargs)


class Blueprint(web.Blueprint):
    """A service's blueprint. Declare path parameters with ``arguments(<schema>, location="path")`` so that
    they are checked and documented like query and body fields. A reused Idempotency-Key is a 409 naming it."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_error_handler(IdempotencyConflict, _idempotency_conflict)


def _idempotency_conflict(error: IdempotencyConflict):
    return jsonify(code=409, status="Conflict", errors={"Idempotency-Key": [str(error)]}), 409


class IdempotencyHeader(Schema):
    """``arguments(IdempotencyHeader, location="headers")`` on a POST that creates something."""

    idempotency_key = Text(KEY_LENGTH, min_length=1, data_key="Idempotency-Key", load_default=None, metadata={
        "description": "Sent again with the same key and body, the request gets the first answer and changes "
                       "nothing; with another body it is a 409."})


#: ``response(..., headers=REPLAYED_HEADER)``: tells a client whether it got the first answer again.
REPLAYED_HEADER = {"Idempotent-Replayed": {
    "description": "true when this is the answer given to an earlier request with the same Idempotency-Key",
    "schema": {"type": "string", "enum": ["true", "false"]},
}}


def idempotent_request(key: str | None) -> IdempotentRequest | None:
    """The request being handled (method, path and JSON body) under ``key``; None without a key."""
    return IdempotentRequest.of(key, f"{request.method} {request.path}", request.get_json(silent=True))


def replay(replayed: Replayed, headers: dict | None = None) -> Response:
    """The first answer again, exactly as it was given."""
    response = jsonify(replayed.answer.body)
    response.status_code = replayed.answer.status_code
    response.headers.update({**(headers or {}), "Idempotent-Replayed": "true"})
    return response
