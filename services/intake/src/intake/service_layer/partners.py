"""The partner dealer gateway: register and rotate, and take a signed event in (401, then 403, then 400)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping

from aftersales_shared.envelope import Envelope, InvalidMessage, parse_envelope

from ..domain import partners as rules
from ..domain.lifecycle import AWAITING_DISPATCH, AWAITING_QUOTE
from ..domain.partners import Partner
from ..domain.tickets import Ticket, TimelineEntry
from .unit_of_work import IntakeUnitOfWork


class PartnerExists(Exception):
    pass


class PartnerNotFound(LookupError):
    pass


class SecretsConflict(Exception):
    """Rotating with two secrets active, or retiring with only one."""


class Refused(Exception):
    def __init__(self, status: int, errors: dict):
        self.status, self.errors = status, errors
        super().__init__(status)


@dataclass(frozen=True)
class Received:
    envelope: Envelope
    replayed: bool


def register(partner: Partner, uow: IntakeUnitOfWork, now: datetime) -> str:
    with uow:
        if uow.partners.get(partner.partner_id) is not None:
            raise PartnerExists(partner.partner_id)
        secret = rules.new_secret()
        uow.partners.add(partner, now)
        uow.partners.add_secret(partner.partner_id, secret, now)
        uow.commit()
        return secret


def rotate(partner_id: str, uow: IntakeUnitOfWork, now: datetime) -> str:
    """A new secret; the one before keeps working until it is retired, so the dealer switches at leisure."""
    with uow:
        if uow.partners.get(partner_id) is None:
            raise PartnerNotFound(partner_id)
        if len(uow.partners.active_secrets(partner_id)) >= 2:
            raise SecretsConflict("Two secrets are active already; retire the previous one before rotating again.")
        secret = rules.new_secret()
        uow.partners.add_secret(partner_id, secret, now)
        uow.commit()
        return secret


def retire_previous(partner_id: str, uow: IntakeUnitOfWork, now: datetime) -> None:
    with uow:
        if uow.partners.get(partner_id) is None:
            raise PartnerNotFound(partner_id)
        if uow.partners.retire_all_but_newest(partner_id, now) == 0:
            raise SecretsConflict("Only one secret is active; there is no previous one to retire.")
        uow.commit()


def receive(headers: Mapping[str, str], body: bytes, uow: IntakeUnitOfWork, now: datetime,
            data_check: Callable[[Envelope], dict | None],
            ticket_from: Callable[[Envelope], Ticket | None] = lambda _: None) -> Received:
    """Checks in the contract's order; an accepted envelope goes out unchanged through the outbox, once.

    ``data_check`` gives the field errors of the envelope's data, ``ticket_from`` the ticket a dealer's
    TicketCreated opens (the wire schemas are the entrypoints'): the desk sees dealer tickets like its own.
    """
    with uow:
        partner_id = headers.get("X-Partner-Id") or _claimed_partner(body)
        partner = uow.partners.get(partner_id) if partner_id and len(partner_id) <= 64 else None
        if partner is None or not rules.verify(uow.partners.active_secrets(partner.partner_id), headers, body,
                                               now.timestamp()):
            # One answer for an unknown partner, a stale timestamp and a wrong signature: nothing to probe.
            raise Refused(401, {"signature": [
                "Missing or invalid signature, unknown partner or timestamp more than 300 s off."]})
        raw = _json(body)
        refusal = partner.refusal(raw.get("type"), raw.get("site"), raw.get("source")) if raw else None
        if refusal:
            raise Refused(403, {"partner": [refusal]})
        try:
            envelope = parse_envelope(body)
        except InvalidMessage as exc:
            raise Refused(400, exc.errors) from exc
        errors = data_check(envelope)
        if errors:
            raise Refused(400, {"data": errors})
        if uow.partners.seen(envelope.id):
            return Received(envelope, replayed=True)
        ticket = ticket_from(envelope)
        if ticket is not None:
            if uow.tickets.get(ticket.id) is not None:
                raise Refused(400, {"data": {"ticket_id": [f"Ticket {ticket.id} exists already."]}})
            _open_for_dealer(ticket, envelope, uow)
        uow.partners.receive(envelope.id, partner.partner_id, now)
        uow.emit(envelope)
        uow.commit()
        return Received(envelope, replayed=False)


def _open_for_dealer(ticket: Ticket, envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    ticket.dispatched = True
    change = ticket.move(AWAITING_QUOTE if ticket.quote_required else AWAITING_DISPATCH, envelope.source,
                         "opened by the dealer", envelope.time)
    uow.tickets.add(ticket)
    uow.tickets.add_timeline_entry(TimelineEntry(
        envelope.id, ticket.id, envelope.type, envelope.time, envelope.source,
        {"ticket_no": ticket.ticket_no, "channel": ticket.channel, "priority": ticket.priority},
        {"from": change.from_state, "to": change.to_state, "by": change.by, "why": change.why}))


def _json(body: bytes) -> dict | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _claimed_partner(body: bytes) -> str | None:
    """Standard Webhooks has no partner header; the envelope's source names the partner."""
    source = (_json(body) or {}).get("source")
    if isinstance(source, str) and source.startswith("partner/"):
        return source[len("partner/"):]
    return None
