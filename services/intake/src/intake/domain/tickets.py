"""A service request and the status it reaches as the other services report back."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable

from . import lifecycle as lc
from .lifecycle import Escalation, IllegalTransition, Quote, StateChange
from .policies import Sla, Warranty


# Status is derived from the events seen, ranked, so events arriving in any order converge.
STATUS_BY_EVENT = {
    "TicketCreated": "open",
    "PartReservationFailed": "awaiting_parts",
    "PartReserved": "parts_reserved",
    "EngineerAssigned": "assigned",
    "RepairCompleted": "completed",
    "SettlementPosted": "settled",
}
STATUS_RANK = {status: rank for rank, status in enumerate(
    ["open", "awaiting_parts", "parts_reserved", "assigned", "completed", "settled"])}


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    phone: str
    address: str | None = None


@dataclass(frozen=True)
class Product:
    model: str
    serial: str
    category: str
    purchase_date: date | None = None
    batch: str | None = None
    proof_of_purchase: str | None = None


@dataclass(frozen=True)
class Fault:
    description: str
    first_open_failure: bool
    symptom_code: str | None = None
    kind: str = "hardware"
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartRequest:
    part_no: str
    qty: int


@dataclass(frozen=True)
class TimelineEntry:
    event_id: str
    ticket_id: str
    type: str
    occurred_at: datetime
    source: str
    detail: dict = field(default_factory=dict)
    # The audit line when this entry moved the ticket: who, from, to, why (the entry says when).
    change: dict | None = None


@dataclass
class Ticket:
    id: str
    ticket_no: str
    channel: str
    service_type: str
    priority: str
    site: str
    region: str
    customer: Customer
    product: Product
    fault: Fault
    parts: list[PartRequest]
    warranty: Warranty
    sla: Sla
    created_at: datetime
    partner_id: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    state: str = lc.NEW
    quote_required: bool = False
    repeat_of: str | None = None
    # TicketCreated has gone out: the other services know the ticket.
    dispatched: bool = False
    parts_reserved: bool = False
    quote: Quote | None = None
    escalation: Escalation | None = None
    callback_attempts: int = 0
    resolution: str | None = None
    kb_article_id: str | None = None

    @property
    def status(self) -> str:
        return status_from(entry.type for entry in self.timeline)

    @property
    def doa(self) -> bool:
        """Dead on arrival: failed when first opened."""
        return self.fault.first_open_failure

    # -- moves; each returns the audit lines it caused -------------------------------------------------

    def move(self, to_state: str, by: str, why: str, at: datetime) -> StateChange:
        change = StateChange(self.state, to_state, by, why, at)
        self.state = to_state
        return change

    def open(self, diagnose_first: bool, by: str, at: datetime) -> StateChange:
        if diagnose_first:
            return self.move(lc.DIAGNOSING, by, "opened for diagnosis on the phone", at)
        return self.send_on(by, "opened", at)

    def send_on(self, by: str, why: str, at: datetime) -> StateChange:
        """Out to the service network: a quote first when one is required, else straight to dispatch."""
        self.dispatched = True
        if self.quote_required:
            return self.move(lc.AWAITING_QUOTE, by, f"{why}; waiting for a quote and its acceptance", at)
        return self.move(lc.AWAITING_DISPATCH, by, why, at)

    def dispatch(self, by: str, why: str, at: datetime) -> StateChange:
        lc.require(self.state, (lc.DIAGNOSING,), "sent on for dispatch")
        return self.send_on(by, why or "not solved on the phone", at)

    def resolve_by_phone(self, by: str, why: str, article_id: str | None, at: datetime) -> tuple[StateChange, ...]:
        lc.require(self.state, (lc.DIAGNOSING,), "resolved by phone")
        self.kb_article_id = article_id
        self.resolution = "resolved_by_phone"
        return (self.move(lc.RESOLVED_BY_PHONE, by, why or "resolved on the phone", at),
                self.move(lc.CLOSED, by, "closed without dispatch", at))

    def give_quote(self, amount, valid_until: datetime, at: datetime) -> None:
        lc.require(self.state, (lc.AWAITING_QUOTE,), "quoted")
        self.quote = Quote(amount, valid_until, at)

    def accept_quote(self, by: str, at: datetime) -> StateChange:
        lc.require(self.state, (lc.AWAITING_QUOTE,), "accepted")
        if self.quote is None:
            raise IllegalTransition(self.state, "accepted", "There is no quote to accept yet.")
        if self.quote.valid_until < at:
            raise IllegalTransition(self.state, "accepted", "The quote has expired; give a new one.")
        self.quote.accepted_at = at
        return self.move(lc.AWAITING_DISPATCH, by, f"quote of {self.quote.amount} accepted", at)

    def decline_quote(self, by: str, why: str, at: datetime) -> StateChange:
        lc.require(self.state, (lc.AWAITING_QUOTE,), "declined")
        self.resolution = "declined_quote"
        return self.move(lc.CLOSED, by, why or "quote declined", at)

    def cancel(self, by: str, why: str, at: datetime) -> StateChange:
        refusal = lc.cancel_refusal(self.state, self.parts_reserved)
        if refusal:
            raise IllegalTransition(self.state, "cancelled", refusal)
        return self.move(lc.CANCELLED, by, why, at)

    def record_callback(self, outcome: str, by: str, max_attempts: int, at: datetime) -> StateChange | None:
        """A done callback, or a failed try; the last allowed failed try ends the callback as failed."""
        lc.require(self.state, (lc.COMPLETED,), "called back")
        self.callback_attempts += 1
        if outcome == "done":
            return self.move(lc.CALLBACK_DONE, by, "satisfaction callback done", at)
        if self.callback_attempts >= max_attempts:
            return self.move(lc.CALLBACK_DONE, by, f"callback failed after {self.callback_attempts} tries", at)
        return None

    def close(self, resolution: str, by: str, why: str, at: datetime) -> StateChange:
        lc.require(self.state, (lc.CALLBACK_DONE,), "closed")
        self.resolution = resolution
        return self.move(lc.CLOSED, by, why or f"closed: {resolution}", at)

    def escalate(self, group: str, deadline: datetime, reason: str, at: datetime) -> bool:
        """False when the ticket is already escalated or finished: nothing changes."""
        if self.state in lc.FINAL or self.escalation is not None:
            return False
        self.escalation = Escalation(group, deadline, reason, at)
        return True

    def on_report(self, event_type: str, source: str, at: datetime) -> StateChange | None:
        if event_type == "PartReserved":
            self.parts_reserved = True
        target = lc.report_moves(self.state, event_type)
        if target is None:
            return None
        return self.move(target, source, f"{event_type} reported by {source}", at)


def status_from(event_types: Iterable[str]) -> str:
    statuses = [STATUS_BY_EVENT[t] for t in event_types if t in STATUS_BY_EVENT]
    return max(statuses, key=STATUS_RANK.__getitem__, default="open")


def ticket_number(site: str, day: date, sequence: int) -> str:
    return f"{site.replace('-', '')}-{day:%Y%m%d}-{sequence:04d}"
