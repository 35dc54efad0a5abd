"""A ticket's states and who may move it where: operator actions strictly, reports of other services forward only.

Operator actions are refused (IllegalTransition, naming the current state) when the ticket is not where the
action makes sense. Reports of other services arrive in any order and more than once, so they only ever move
a ticket forward along the service path (awaiting_dispatch → in_service → completed) and are otherwise
just recorded: a RepairCompleted that overtakes EngineerAssigned leaves the ticket completed.
Escalation is an overlay (a handling group with its own deadline), not a state: work goes on while a
supervisor is looking at the ticket.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

NEW = "new"
DIAGNOSING = "diagnosing"
RESOLVED_BY_PHONE = "resolved_by_phone"
AWAITING_QUOTE = "awaiting_quote"
AWAITING_DISPATCH = "awaiting_dispatch"
IN_SERVICE = "in_service"
COMPLETED = "completed"
CALLBACK_DONE = "callback_done"
CLOSED = "closed"
CANCELLED = "cancelled"
STATES = (NEW, DIAGNOSING, RESOLVED_BY_PHONE, AWAITING_QUOTE, AWAITING_DISPATCH, IN_SERVICE, COMPLETED,
          CALLBACK_DONE, CLOSED, CANCELLED)
FINAL = frozenset({CLOSED, CANCELLED})

RESOLUTIONS = ("repaired", "resolved_by_phone", "unrepairable", "declined_quote", "other")
HANDLING_GROUPS = ("supervisor", "engineer", "sales_lead")
CALLBACK_OUTCOMES = ("done", "failed")

# The service path the other services' reports move a ticket along; never backwards.
_SERVICE_PATH = (AWAITING_DISPATCH, IN_SERVICE, COMPLETED)
STATE_BY_REPORT = {"EngineerAssigned": IN_SERVICE, "RepairCompleted": COMPLETED}


class IllegalTransition(Exception):
    def __init__(self, state: str, action: str, reason: str | None = None):
        self.state, self.action = state, action
        self.reason = reason or f"A ticket in state {state!r} cannot be {action}."
        super().__init__(self.reason)


@dataclass(frozen=True)
class StateChange:
    """One line of the audit trail."""

    from_state: str
    to_state: str
    by: str
    why: str
    at: datetime


@dataclass
class Quote:
    amount: object  # Decimal; kept loose so the domain needs no money type of its own
    valid_until: datetime
    issued_at: datetime
    accepted_at: datetime | None = None


@dataclass
class Escalation:
    group: str
    deadline: datetime
    reason: str
    since: datetime


def require(state: str, allowed: tuple[str, ...], action: str) -> None:
    if state not in allowed:
        raise IllegalTransition(state, action)


def report_moves(state: str, event_type: str) -> str | None:
    """The state a report of another service moves a ticket to, or None when it only goes on the timeline."""
    target = STATE_BY_REPORT.get(event_type)
    if target is None or state not in _SERVICE_PATH:
        return None
    return target if _SERVICE_PATH.index(target) > _SERVICE_PATH.index(state) else None


def cancel_refusal(state: str, parts_reserved: bool) -> str | None:
    """Why a ticket may not be cancelled, or None when it may."""
    if state == IN_SERVICE:
        return "Work has started on this ticket (engineer assigned); it can no longer be cancelled."
    if parts_reserved and state in (AWAITING_DISPATCH, AWAITING_QUOTE):
        return "Parts are reserved for this ticket; it can no longer be cancelled."
    if state not in (NEW, DIAGNOSING, AWAITING_QUOTE, AWAITING_DISPATCH):
        return f"A ticket in state {state!r} cannot be cancelled."
    return None
