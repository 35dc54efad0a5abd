"""Domain events in, envelopes out: a service layer says what happened, the wire format is plugged in.

A handler builds a domain event (a dataclass named like the event type on the wire, e.g. ``TicketCreated``)
and hands it to an ``EventWriter``, which turns it into the envelope the unit of work stores in the outbox.
The writer knows each event's wire format only through the functions it was given, which live in the
service's entrypoints and are handed over by its bootstrap: the service layer never imports them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping

from .envelope import Envelope, caused_by, new_envelope

WireFormat = Callable[[Any], dict]


class EventWriter:
    def __init__(self, source: str, formats: Mapping[type, WireFormat]):
        """``formats``: domain event class -> function giving the ``data`` of its envelope."""
        self.source = source
        self.formats = dict(formats)

    def data(self, event) -> dict:
        try:
            wire_format = self.formats[type(event)]
        except KeyError:
            raise LookupError(f"{self.source} has no wire format for {type(event).__name__}") from None
        return wire_format(event)

    def envelope(self, event, *, subject: str, region: str, site: str, time: datetime,
                 correlation_id: str | None = None) -> Envelope:
        """The envelope of an event a request caused; its flow is the subject's unless ``correlation_id`` says."""
        return new_envelope(type=type(event).__name__, data=self.data(event), source=self.source, subject=subject,
                            region=region, site=site, correlation_id=correlation_id, time=time)

    def follow_on(self, cause: Envelope, event, *, subject: str, time: datetime, **routing) -> Envelope:
        """The envelope of an event an incoming one caused: same flow, region and site unless ``routing`` says."""
        return caused_by(cause, type=type(event).__name__, data=self.data(event), source=self.source,
                         subject=subject, time=time, **routing)
