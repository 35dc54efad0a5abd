"""The problem side of the closed loop: opening (by hand or on a statistical signal), the workflow with
its audit trail, the effectiveness check, and reopening when a failure returns."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import Callable

from aftersales_shared.idempotency import Answer, Replayed, remember, replayed
from aftersales_shared.outgoing import EventWriter

from ..domain import effectiveness as effect
from ..domain.detection import DetectionRules, batch_anomalies, rate_exceedances
from ..domain.failures import FailureRecord
from ..domain.problems import (
    CLOSED, EFFECTIVENESS_CHECK, OPEN, AuditEntry, Problem, ProblemClosed, WorkflowError, failure_returned,
    open_problem, transition,
)
from .commands import ChangeProblem, OpenProblem
from .unit_of_work import FracasUnitOfWork

SYSTEM = "fracas"


class ProblemNotFound(LookupError):
    pass


def _announce(uow: FracasUnitOfWork, events: EventWriter, event, problem_id: str, now: datetime) -> None:
    # Problems are about the whole product line, not one site: region and site "all".
    uow.emit(events.envelope(event, subject=problem_id, region="all", site="all", time=now))


def _open(uow, events, now, model, part_no, mode, reason, actor, owner=None, due_date=None) -> Problem:
    problem = open_problem(f"PR-{uuid.uuid4()}", model, part_no, mode, reason, now, owner, due_date)
    uow.problems.add(problem)
    uow.problems.audit(problem.problem_id, AuditEntry(now, actor, "opened", None, OPEN, reason))
    _announce(uow, events, problem.opened_event(reason, now), problem.problem_id, now)
    return problem


def open_by_hand(cmd: OpenProblem, uow: FracasUnitOfWork, events: EventWriter, now: datetime,
                 answer: Callable[[Problem], Answer] | None = None) -> Problem | Replayed:
    with uow:
        earlier = replayed(uow.requests, cmd.request, now)
        if earlier is not None:
            return earlier
        problem = _open(uow, events, now, cmd.model, cmd.part_no, cmd.failure_mode, cmd.reason, cmd.actor,
                        cmd.owner, cmd.due_date)
        remember(uow.requests, cmd.request, answer, problem)
        uow.commit()
    return problem


def change(cmd: ChangeProblem, uow: FracasUnitOfWork, events: EventWriter, now: datetime) -> Problem:
    """Moves the problem on (``to``) and/or reassigns it; every change is in the audit trail.
    Closing after the effectiveness check records whether the corrective action worked."""
    with uow:
        problem = uow.problems.get(cmd.problem_id)
        if problem is None:
            raise ProblemNotFound(cmd.problem_id)
        before = problem
        if cmd.owner is not None or cmd.due_date is not None:
            problem = dataclasses.replace(problem, owner=cmd.owner or problem.owner,
                                          due_date=cmd.due_date or problem.due_date, version=problem.version + 1)
            uow.problems.audit(problem.problem_id, AuditEntry(
                now, cmd.actor, "assigned", before.status, before.status,
                f"owner {problem.owner or '-'}, due {problem.due_date or '-'}" + (f": {cmd.note}" if cmd.note else "")))
        if cmd.to is not None:
            effective = None
            if cmd.to == CLOSED and problem.status == EFFECTIVENESS_CHECK:
                effective = assess(problem, now.date(), uow).effective
            moved = transition(problem, cmd.to, now, root_cause=cmd.root_cause,
                               corrective_action=cmd.corrective_action, effective_date=cmd.effective_date,
                               effective=effective)
            moved = dataclasses.replace(moved, version=problem.version + 1)
            uow.problems.audit(problem.problem_id, AuditEntry(now, cmd.actor, "moved", problem.status, cmd.to,
                                                              cmd.note or _detail(moved)))
            if cmd.to == CLOSED:
                _announce(uow, events, ProblemClosed(moved.problem_id, moved.model, moved.part_no,
                                                     moved.failure_mode, now, moved.effective), moved.problem_id, now)
            elif cmd.to == OPEN:
                _announce(uow, events, moved.opened_event(f"reopened by {cmd.actor}: {cmd.note}".rstrip(": "), now),
                          moved.problem_id, now)
            problem = moved
        if problem is before:
            raise WorkflowError("body", "Nothing to change: give a status to move to, an owner or a due date.")
        problem = dataclasses.replace(problem, version=before.version + 1)
        uow.problems.save(problem)
        uow.commit()
    return problem


def _detail(problem: Problem) -> str:
    if problem.status == "root_cause":
        return f"root cause: {problem.root_cause}"
    if problem.status == "corrective_action":
        return f"corrective action effective {problem.effective_date}: {problem.corrective_action}"
    if problem.status == CLOSED:
        return f"closed; effective: {problem.effective}"
    return ""


def assess(problem: Problem, as_of: date, uow: FracasUnitOfWork) -> effect.Effectiveness | None:
    """Failure rate of the problem's group in units built before and after the corrective action."""
    if problem.effective_date is None:
        return None
    units = uow.analytics.units_by_purchase(problem.model, as_of)
    failures = [purchased for failed_on, purchased in
                uow.analytics.failure_days(problem.model, problem.part_no, problem.failure_mode)
                if purchased is not None and failed_on <= as_of]
    return effect.compare(problem.effective_date, as_of, units, failures)


def watch_for_returns(record: FailureRecord, uow: FracasUnitOfWork, events: EventWriter, now: datetime) -> None:
    """Reopens a problem whose failure came back after its corrective action (called per new incident)."""
    if not record.chargeable:
        return
    purchased = record.product.purchase_date
    unit = uow.installed_base.get(record.product.serial)
    if unit is not None:
        purchased = unit.purchase_date
    for problem in uow.problems.list(model=record.product.model):
        if not problem.covers(record.product.model, record.failure.failed_part_no, record.failure.failure_mode):
            continue
        if not failure_returned(problem, record.failed_on, purchased):
            continue
        reason = (f"failure returned after the corrective action of {problem.effective_date}: "
                  f"ticket {record.ticket_id}, serial {record.product.serial}")
        reopened = dataclasses.replace(problem, status=OPEN, closed_at=None, reopened=problem.reopened + 1,
                                       version=problem.version + 1)
        uow.problems.save(reopened)
        uow.problems.audit(problem.problem_id, AuditEntry(now, SYSTEM, "reopened", problem.status, OPEN, reason))
        _announce(uow, events, reopened.opened_event(reason, now), problem.problem_id, now)


def detect(uow: FracasUnitOfWork, events: EventWriter, rules: DetectionRules, now: datetime) -> int:
    """Opens a problem for every significant batch anomaly or rate exceedance not already covered by an
    active problem; returns how many it opened. Safe to run again: a covered group opens nothing."""
    opened = 0
    with uow:
        for model in uow.analytics.models():
            batches = uow.analytics.batches(model)
            installed = sum(batch.units for batch in batches.values())
            groups: dict = {}
            for batch in batches.values():
                for key, count in batch.groups.items():
                    groups[key] = groups.get(key, 0) + count
            signals = batch_anomalies(model, batches, rules) + rate_exceedances(model, installed, groups, rules)
            active = uow.problems.active(model)
            for signal in signals:
                if any(p.covers(model, signal.part_no, signal.failure_mode) for p in active):
                    continue
                active.append(_open(uow, events, now, model, signal.part_no, signal.failure_mode, signal.reason,
                                    SYSTEM))
                opened += 1
        uow.commit()
    return opened
