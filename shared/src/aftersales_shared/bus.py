"""Routes an incoming event to the service's handlers, exactly once per envelope id."""
from __future__ import annotations

import logging
from itertools import groupby
from typing import Callable, Mapping, Sequence

from marshmallow import Schema

from .envelope import Envelope, InvalidMessage, validate_data
from .logs import correlated
from .unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, AbstractUnitOfWork], None]
# Takes a run of consecutive new events of one type, in delivery order, and writes their effects
# set-based: one statement for the run instead of one per event.
BulkHandler = Callable[[Sequence[Envelope], AbstractUnitOfWork], None]


class UnhandledEventType(InvalidMessage):
    pass


class EventBus:
    def __init__(
        self,
        uow_factory: Callable[[], AbstractUnitOfWork],
        handlers: Mapping[str, Handler],
        schemas: Mapping[str, Schema],
        bulk_handlers: Mapping[str, BulkHandler] | None = None,
    ):
        bulk_handlers = dict(bulk_handlers or {})
        both = set(handlers) & set(bulk_handlers)
        if both:
            raise ValueError(f"event types with both a handler and a bulk handler: {sorted(both)}")
        missing = (set(handlers) | set(bulk_handlers)) - set(schemas)
        if missing:
            raise ValueError(f"no data schema for handled event types: {sorted(missing)}")
        self.uow_factory = uow_factory
        self.handlers = dict(handlers)
        self.bulk_handlers = bulk_handlers
        self.schemas = dict(schemas)

    @property
    def event_types(self) -> list[str]:
        return sorted({*self.handlers, *self.bulk_handlers})

    def validate(self, envelope: Envelope) -> Envelope:
        """Raises InvalidMessage for an event this service can never process as it is."""
        if envelope.type not in self.handlers and envelope.type not in self.bulk_handlers:
            raise UnhandledEventType({"type": [f"No handler for event type {envelope.type!r} in this service."]})
        # Typed values for the fields the schema knows; everything else passes through untouched.
        return envelope.with_data({**envelope.data, **validate_data(envelope, self.schemas[envelope.type])})

    def handle(self, envelope: Envelope) -> bool:
        """Returns False when the envelope was a duplicate and nothing was done."""
        return self.handle_many([self.validate(envelope)])[0]

    def handle_many(self, events: Sequence[Envelope]) -> list[bool]:
        """Validated events, in delivery order, in one transaction: all their effects commit or none.

        One set-based insert into the inbox tells which are new; only those reach their handlers, in
        delivery order: a bulk handler takes each run of consecutive new events of its type at once.
        """
        with self.uow_factory() as uow:
            fresh = uow.claim_many(events)
            handled, new_events = [], []
            for event in events:
                if event.id not in fresh:
                    log.info("duplicate %s %s ignored", event.type, event.id)
                    handled.append(False)
                    continue
                fresh.discard(event.id)  # the same envelope twice in one batch is still one effect
                new_events.append(event)
                handled.append(True)
            for event_type, run in groupby(new_events, key=lambda event: event.type):
                self._dispatch(event_type, list(run), uow)
            uow.commit()
        return handled

    def _dispatch(self, event_type: str, run: list[Envelope], uow: AbstractUnitOfWork) -> None:
        bulk = self.bulk_handlers.get(event_type)
        if bulk is not None:
            with correlated(run[0].correlation_id if len(run) == 1 else None):
                bulk(run, uow)
            return
        handler = self.handlers[event_type]
        for event in run:
            with correlated(event.correlation_id):
                handler(event, uow)

    def dependencies_ok(self) -> bool:
        """Whether the database answers: tells a failing message from an unreachable dependency."""
        return self.uow_factory().probe()
