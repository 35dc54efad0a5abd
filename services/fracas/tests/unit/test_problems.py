"""Problems of the closed loop: the workflow with its audit trail and events, opening by itself on a
batch anomaly (a statistical test, not a fixed count), the effectiveness check and reopening."""
from datetime import date, datetime, timedelta, timezone

import pytest

from aftersales_shared.bus import EventBus

from event_builders import repair_completed
from fakes import FakeStore, FakeUnitOfWork
from fracas.bootstrap import event_writer
from fracas.domain.detection import BatchStats, DetectionRules, batch_anomalies, rate_exceedances
from fracas.domain.installed_base import InstalledUnit
from fracas.domain.problems import WorkflowError
from fracas.entrypoints.events import INCOMING_SCHEMAS, PUBLISHED
from fracas.service_layer import problem_handlers as ph
from fracas.service_layer.commands import ChangeProblem, OpenProblem
from fracas.service_layer.handlers import event_handlers

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
EVENTS = event_writer()


@pytest.fixture
def store():
    return FakeStore()


def uow(store):
    return FakeUnitOfWork(store)


def emitted(store, type_):
    return [envelope for envelope in store.outbox if envelope.type == type_]


def register(store, units):
    with uow(store) as work:
        work.installed_base.register(units, NOW)
        work.commit()


def step(store, problem_id, to, **kwargs):
    return ph.change(ChangeProblem(problem_id, to, actor="qe.li", **kwargs), uow(store), EVENTS, NOW)


def test_the_whole_workflow_with_owner_due_date_audit_trail_and_events(store):
    problem = ph.open_by_hand(OpenProblem("WM-100", "PUMP-01", "wear", "field complaints", "qe.li",
                                          owner="eng.wang", due_date=date(2025, 7, 1)), uow(store), EVENTS, NOW)
    step(store, problem.problem_id, "verified", note="reproduced on the bench")
    step(store, problem.problem_id, "root_cause", root_cause="bearing grease dries out")
    step(store, problem.problem_id, "corrective_action", corrective_action="new grease",
         effective_date=date(2025, 3, 1))
    step(store, problem.problem_id, None, owner="eng.zhao", due_date=date(2025, 8, 1))
    step(store, problem.problem_id, "effectiveness_check")
    closed = step(store, problem.problem_id, "closed")

    assert closed.status == "closed" and closed.closed_at == NOW
    assert (closed.owner, closed.due_date) == ("eng.zhao", date(2025, 8, 1))
    assert closed.effective is None  # no units sold after the action yet: nothing to compare
    with uow(store) as work:
        trail = work.problems.trail(problem.problem_id)
    assert [(e.action, e.to_status) for e in trail] == [
        ("opened", "open"), ("moved", "verified"), ("moved", "root_cause"), ("moved", "corrective_action"),
        ("assigned", "corrective_action"), ("moved", "effectiveness_check"), ("moved", "closed")]
    assert all(entry.actor == "qe.li" for entry in trail)
    [opened], [closed_event] = emitted(store, "ProblemOpened"), emitted(store, "ProblemClosed")
    assert opened.data["reason"] == "field complaints" and opened.region == opened.site == "all"
    assert closed_event.data == {"problem_id": problem.problem_id, "model": "WM-100", "part_no": "PUMP-01",
                                 "failure_mode": "wear", "closed_at": "2025-06-01T09:00:00Z", "effective": None}
    for envelope in (opened, closed_event):
        assert PUBLISHED[envelope.type]().validate(envelope.data) == {}


def test_a_step_out_of_order_or_missing_its_facts_is_refused_and_changes_nothing(store):
    problem = ph.open_by_hand(OpenProblem("WM-100", None, None, "by hand", "qe.li"), uow(store), EVENTS, NOW)

    with pytest.raises(WorkflowError) as skipped:
        step(store, problem.problem_id, "closed")
    step(store, problem.problem_id, "verified")
    with pytest.raises(WorkflowError) as no_cause:
        step(store, problem.problem_id, "root_cause")

    assert skipped.value.field == "to" and no_cause.value.field == "root_cause"
    with uow(store) as work:
        assert work.problems.get(problem.problem_id).status == "verified"


def test_no_fault_found_can_close_without_a_corrective_action(store):
    problem = ph.open_by_hand(OpenProblem("WM-100", None, None, "by hand", "qe.li"), uow(store), EVENTS, NOW)
    step(store, problem.problem_id, "no_fault_found")

    assert step(store, problem.problem_id, "closed").status == "closed"


def test_a_batch_failing_far_more_than_its_siblings_opens_a_problem_once(store):
    bought = date(2024, 1, 10)
    units = [InstalledUnit(f"A{i}", "WM-100", "washer", bought, "B-1") for i in range(200)]
    units += [InstalledUnit(f"B{i}", "WM-100", "washer", bought, "B-2") for i in range(200)]
    units += [InstalledUnit(f"C{i}", "WM-100", "washer", bought, "B-3") for i in range(200)]
    register(store, units)
    bus = EventBus(lambda: uow(store), event_handlers(EVENTS), INCOMING_SCHEMAS)
    for i in range(12):  # 12 pump failures in batch B-2 ...
        bus.handle(repair_completed(serial=f"B{i}", batch="B-2", completed_at=NOW - timedelta(days=30 - i)))
    for serial in ("A1", "C1"):  # ... against one each in its siblings
        bus.handle(repair_completed(serial=serial, completed_at=NOW - timedelta(days=40)))
    rules = DetectionRules(rate_threshold=0.5)  # the rate rule stays quiet here: only the batch test speaks

    opened = ph.detect(uow(store), EVENTS, rules, NOW)
    again = ph.detect(uow(store), EVENTS, rules, NOW)

    assert (opened, again) == (1, 0)
    [problem] = store.problems.values()
    assert (problem.model, problem.part_no, problem.failure_mode) == ("WM-100", "PUMP-01", "wear")
    assert "batch B-2" in problem.reason
    [event] = emitted(store, "ProblemOpened")
    assert "batch B-2" in event.data["reason"]


def test_the_batch_test_needs_significance_not_a_count():
    rules = DetectionRules(alpha=0.001, min_failures=3)
    # 3 failures in a batch of 10 against 1 in 1000 elsewhere: few failures, but far from chance.
    small = {"S": BatchStats(10, 3, {("P", "m"): 3}), "T": BatchStats(1000, 1, {("P", "m"): 1})}
    # 6 failures in 1000 against 5 in 1000: more failures, but chance.
    big = {"U": BatchStats(1000, 6, {("P", "m"): 6}), "V": BatchStats(1000, 5, {("P", "m"): 5})}

    assert [s.reason.split(":")[0] for s in batch_anomalies("M", small, rules)] == ["batch S"]
    assert batch_anomalies("M", big, rules) == []


def test_rate_threshold_is_a_test_against_the_installed_base():
    rules = DetectionRules(rate_threshold=0.01, rate_alpha=0.01, min_failures=3)

    assert rate_exceedances("M", 1000, {("P", "m"): 10}, rules) == []  # 1%: at the threshold, not above
    [signal] = rate_exceedances("M", 1000, {("P", "m"): 30}, rules)
    assert (signal.part_no, signal.failure_mode) == ("P", "m")


def test_failure_returning_after_the_corrective_action_reopens_the_problem(store):
    register(store, [InstalledUnit("OLD", "WM-100", "washer", date(2024, 6, 1)),
                     InstalledUnit("NEW", "WM-100", "washer", date(2025, 4, 1))])
    problem = ph.open_by_hand(OpenProblem("WM-100", "PUMP-01", "wear", "by hand", "qe.li"), uow(store), EVENTS, NOW)
    for to, extra in (("verified", {}), ("root_cause", {"root_cause": "grease"}),
                      ("corrective_action", {"corrective_action": "new grease", "effective_date": date(2025, 3, 1)}),
                      ("effectiveness_check", {}), ("closed", {})):
        step(store, problem.problem_id, to, **extra)
    bus = EventBus(lambda: uow(store), event_handlers(EVENTS), INCOMING_SCHEMAS)

    # A unit built before the action fails: the old population, no return of the failure.
    bus.handle(repair_completed("WO-1", "T-1", serial="OLD", purchase_date=date(2024, 6, 1),
                                completed_at=NOW - timedelta(days=3)))
    assert store.problems[problem.problem_id].status == "closed"
    # One built after it fails the same way: the failure is back.
    bus.handle(repair_completed("WO-2", "T-2", serial="NEW", purchase_date=date(2025, 4, 1),
                                completed_at=NOW - timedelta(days=2)))

    reopened = store.problems[problem.problem_id]
    assert (reopened.status, reopened.reopened, reopened.closed_at) == ("open", 1, None)
    assert "failure returned" in store.trails[problem.problem_id][-1].note
    assert "serial NEW" in emitted(store, "ProblemOpened")[-1].data["reason"]


def test_effectiveness_compares_units_built_before_and_after_the_action(store):
    units = [InstalledUnit(f"O{i}", "WM-100", "washer", date(2024, 1, 1), "B-1") for i in range(100)]
    units += [InstalledUnit(f"N{i}", "WM-100", "washer", date(2025, 1, 1), "B-2") for i in range(100)]
    register(store, units)
    bus = EventBus(lambda: uow(store), event_handlers(EVENTS), INCOMING_SCHEMAS)
    for i in range(20):
        bus.handle(repair_completed(serial=f"O{i}", purchase_date=date(2024, 1, 1),
                                    completed_at=datetime(2024, 6, 1, tzinfo=timezone.utc) + timedelta(days=i)))
    problem = ph.open_by_hand(OpenProblem("WM-100", "PUMP-01", "wear", "by hand", "qe.li"), uow(store), EVENTS, NOW)
    for to, extra in (("verified", {}), ("root_cause", {"root_cause": "grease"}),
                      ("corrective_action", {"corrective_action": "new grease", "effective_date": date(2025, 1, 1)}),
                      ("effectiveness_check", {})):
        step(store, problem.problem_id, to, **extra)

    result = ph.assess(store.problems[problem.problem_id], NOW.date(), uow(store))
    closed = step(store, problem.problem_id, "closed")

    assert (result.before.units, result.before.failures, result.after.units, result.after.failures) == (100, 20, 100, 0)
    assert result.before.rate > 0 and result.after.rate == 0
    assert result.p_value < 0.05 and result.effective is True
    assert closed.effective is True
    assert emitted(store, "ProblemClosed")[-1].data["effective"] is True
