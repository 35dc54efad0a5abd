"""Problems: incidents grouped by model, part and failure mode, worked through the closed loop of
MIL-HDBK-2155 (report, analyse, correct, verify, close) with an audit trail."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

OPEN, VERIFIED, NO_FAULT_FOUND, ROOT_CAUSE = "open", "verified", "no_fault_found", "root_cause"
CORRECTIVE_ACTION, EFFECTIVENESS_CHECK, CLOSED = "corrective_action", "effectiveness_check", "closed"
STATUSES = (OPEN, VERIFIED, NO_FAULT_FOUND, ROOT_CAUSE, CORRECTIVE_ACTION, EFFECTIVENESS_CHECK, CLOSED)

# Where each status may go next. A corrective action found wanting goes back to root cause analysis.
NEXT = {
    OPEN: (VERIFIED, NO_FAULT_FOUND),
    VERIFIED: (ROOT_CAUSE,),
    NO_FAULT_FOUND: (CLOSED, OPEN),
    ROOT_CAUSE: (CORRECTIVE_ACTION,),
    CORRECTIVE_ACTION: (EFFECTIVENESS_CHECK,),
    EFFECTIVENESS_CHECK: (CLOSED, ROOT_CAUSE),
    CLOSED: (OPEN,),
}


class WorkflowError(ValueError):
    """``conflict``: the step does not follow from where the problem is now (not from what was sent)."""

    def __init__(self, field: str, message: str, conflict: bool = False):
        super().__init__(message)
        self.field = field
        self.conflict = conflict


@dataclass(frozen=True)
class ProblemEvent:
    """Domain events of a problem; the wire format is plugged in by bootstrap."""


@dataclass(frozen=True)
class ProblemOpened(ProblemEvent):
    problem_id: str
    model: str
    part_no: str | None
    failure_mode: str | None
    reason: str
    opened_at: datetime


@dataclass(frozen=True)
class ProblemClosed(ProblemEvent):
    problem_id: str
    model: str
    part_no: str | None
    failure_mode: str | None
    closed_at: datetime
    effective: bool | None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str


@dataclass(frozen=True)
class Problem:
    problem_id: str
    model: str
    part_no: str | None
    failure_mode: str | None
    status: str
    reason: str
    opened_at: datetime
    owner: str | None = None
    due_date: date | None = None
    root_cause: str | None = None
    corrective_action: str | None = None
    effective_date: date | None = None
    effective: bool | None = None
    closed_at: datetime | None = None
    reopened: int = 0
    version: int = 1

    @property
    def is_active(self) -> bool:
        return self.status != CLOSED

    def covers(self, model: str, part_no: str | None, failure_mode: str | None) -> bool:
        """A problem without a part or mode covers every part or mode of its model."""
        return self.model == model and self.part_no in (None, part_no) and self.failure_mode in (None, failure_mode)

    def opened_event(self, reason: str, at: datetime) -> ProblemOpened:
        return ProblemOpened(self.problem_id, self.model, self.part_no, self.failure_mode, reason, at)


def open_problem(problem_id: str, model: str, part_no: str | None, failure_mode: str | None, reason: str,
                 now: datetime, owner: str | None = None, due_date: date | None = None) -> Problem:
    return Problem(problem_id, model, part_no, failure_mode, OPEN, reason, now, owner=owner, due_date=due_date)


def transition(problem: Problem, to: str, now: datetime, *, root_cause: str | None = None,
               corrective_action: str | None = None, effective_date: date | None = None,
               effective: bool | None = None) -> Problem:
    """The problem moved to ``to``; raises WorkflowError naming what is missing or not allowed."""
    if to not in NEXT[problem.status]:
        allowed = ", ".join(NEXT[problem.status])
        raise WorkflowError("to", f"A problem in {problem.status} can go to {allowed}, not {to}.", conflict=True)
    changes: dict = {"status": to, "version": problem.version + 1}
    if to == ROOT_CAUSE:
        if not (root_cause or problem.root_cause):
            raise WorkflowError("root_cause", "Say what the root cause is.")
        changes["root_cause"] = root_cause or problem.root_cause
    if to == CORRECTIVE_ACTION:
        if not corrective_action or effective_date is None:
            raise WorkflowError("effective_date" if corrective_action else "corrective_action",
                                "A corrective action needs its description and the date it takes effect.")
        changes.update(corrective_action=corrective_action, effective_date=effective_date, effective=None)
    if to == CLOSED:
        changes.update(closed_at=now, effective=effective if problem.status == EFFECTIVENESS_CHECK else None)
    if to == OPEN:
        changes.update(closed_at=None, reopened=problem.reopened + 1)
    return dataclasses.replace(problem, **changes)


def failure_returned(problem: Problem, failed_on: date, purchase_date: date | None) -> bool:
    """The failure came back after the corrective action: on a unit built (sold) on or after its effective
    date. Units built before it are the old population, whose failures are what the action answered."""
    if problem.effective_date is None or problem.status not in (EFFECTIVENESS_CHECK, CLOSED):
        return False
    return failed_on >= problem.effective_date and purchase_date is not None \
        and purchase_date >= problem.effective_date
