"""SLA clock arithmetic: working hours, nights, holidays, time zones and pauses, derived from the history."""
from datetime import date, datetime, timedelta, timezone

import pytest


from dispatch.domain.sla import (
    ALWAYS_OPEN, InvalidCalendar, WorkingCalendar, clocks_of, deadline, depot_due, elapsed, parse_hours,
)
from dispatch.domain.work_orders import Product, Sla, Transition, WorkOrder
from dispatch.service_layer import handlers
from dispatch.service_layer.commands import SetCalendar, WorkOrderAction

from samples import ticket_created, engineer

UTC = timezone.utc
WEEKDAYS_9_TO_6 = {d: parse_hours("09:00-18:00") for d in ("mon", "tue", "wed", "thu", "fri")}
OFFICE = WorkingCalendar("UTC", WEEKDAYS_9_TO_6)
TUESDAY = datetime(2026, 3, 10, tzinfo=UTC)


def at(day_offset, hour, minute=0, base=TUESDAY):
    return base + timedelta(days=day_offset, hours=hour, minutes=minute)


def test_around_the_clock_the_budget_is_wall_time():
    assert deadline(at(0, 10), timedelta(hours=4), ALWAYS_OPEN) == at(0, 14)


def test_working_hours_carry_the_clock_across_the_night():
    # Tuesday 16:00: two hours left that day, two more on Wednesday morning
    assert deadline(at(0, 16), timedelta(hours=4), OFFICE) == at(1, 11)
    # accepted at night: the clock starts when the office opens
    assert deadline(at(0, 23), timedelta(hours=4), OFFICE) == at(1, 13)
    assert elapsed(at(0, 16), at(1, 10), OFFICE) == timedelta(hours=3)


def test_a_weekend_and_a_holiday_do_not_count():
    friday = at(3, 16)
    assert deadline(friday, timedelta(hours=4), OFFICE) == at(6, 11)  # Monday
    with_holiday = WorkingCalendar("UTC", WEEKDAYS_9_TO_6, frozenset({date(2026, 3, 16)}))
    assert deadline(friday, timedelta(hours=4), with_holiday) == at(7, 11)  # Tuesday after the holiday Monday
    assert deadline(friday, timedelta(hours=4), with_holiday, holidays=False) == at(6, 11)


def test_the_sites_time_zone_decides_its_working_day():
    shanghai = WorkingCalendar("Asia/Shanghai", WEEKDAYS_9_TO_6)
    # 09:00 UTC is 17:00 in Shanghai: one hour that day, three from 09:00 (01:00 UTC) the next
    assert deadline(at(0, 9), timedelta(hours=4), shanghai) == at(1, 4)


def test_a_daylight_saving_change_keeps_local_hours():
    berlin = WorkingCalendar("Europe/Berlin", WEEKDAYS_9_TO_6)
    friday_before = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)  # 17:00 CET, one working hour left
    # Monday 30 March is CEST (UTC+2): 09:00 local is 07:00 UTC; three more hours end at 10:00 UTC
    assert deadline(friday_before, timedelta(hours=4), berlin) == datetime(2026, 3, 30, 10, 0, tzinfo=UTC)


def test_pauses_do_not_count_and_an_open_pause_has_no_deadline_yet():
    pauses = [(at(0, 11), at(0, 13))]
    assert deadline(at(0, 10), timedelta(hours=4), ALWAYS_OPEN, pauses) == at(0, 16)
    assert deadline(at(0, 10), timedelta(hours=4), ALWAYS_OPEN, [(at(0, 11), None)]) is None
    # a pause at night costs nothing more in office hours
    assert deadline(at(0, 16), timedelta(hours=4), OFFICE, [(at(0, 20), at(1, 8))]) == at(1, 11)


@pytest.mark.parametrize("bad", [
    {"time_zone": "Mars/Olympus"},
    {"hours": {"someday": (540, 600)}},
    {"hours": {"mon": (600, 540)}},
])
def test_a_calendar_that_cannot_be_right_is_refused(bad):
    with pytest.raises(InvalidCalendar):
        WorkingCalendar(**bad)


def _work_order(**fields) -> WorkOrder:
    values = dict(
        id="W-1", ticket_id="T-1", site="SH-01", region="east", service_type="onsite", priority="P2",
        product=Product("TV-55X", "SN-1", "television"), warranty_status="in_warranty",
        sla=Sla(at(0, 14), at(1, 9)), ticket_created_at=at(0, 9), created_at=at(0, 9), accepted_at=at(0, 9),
    )
    values.update(fields)
    return WorkOrder(**values)


def _steps(*steps):
    return [Transition("W-1", when, action, before, after) for when, action, before, after in steps]


def test_the_three_clocks_from_a_history_with_a_wait_for_parts():
    work_order = _work_order(status="completed", dispatched_at=at(0, 10), engineer_id="E-1")
    history = _steps(
        (at(0, 9), "open", "awaiting_quote", "unassigned"),
        (at(0, 10), "assign", "unassigned", "assigned"),
        (at(0, 11), "waiting_parts", "assigned", "waiting_parts"),
        (at(0, 14), "resume", "waiting_parts", "assigned"),
        (at(0, 19), "complete", "assigned", "completed"),
    )

    respond, resolve, hard_cap = clocks_of(work_order, history, ALWAYS_OPEN)

    assert (respond.deadline, respond.stopped_at, respond.breached_by(at(2, 0))) == (at(0, 13), at(0, 10), False)
    assert (resolve.deadline, resolve.breached_by(at(2, 0))) == (at(0, 19), False)  # 6 h + 3 h paused
    assert (hard_cap.deadline, hard_cap.breached_by(at(2, 0))) == (at(0, 18), True)  # the wait is no excuse


def test_a_clock_paused_now_shows_as_paused_without_deadline():
    work_order = _work_order(status="waiting_customer", dispatched_at=at(0, 10), engineer_id="E-1")
    history = _steps((at(0, 10), "assign", "unassigned", "assigned"),
                     (at(0, 12), "waiting_customer", "assigned", "waiting_customer"))

    _respond, resolve, hard_cap = clocks_of(work_order, history, ALWAYS_OPEN)

    assert (resolve.paused, resolve.deadline) == (True, None)
    assert (hard_cap.paused, hard_cap.deadline) == (False, at(0, 18))


def test_depot_units_are_due_at_the_close_of_the_third_working_day_after_receipt():
    assert depot_due(at(0, 17), OFFICE) == at(3, 18)  # Tuesday → Friday
    assert depot_due(at(3, 10), OFFICE) == at(8, 18)  # Friday → Wednesday


# -- through the service layer --------------------------------------------------------------------------

def _open(bus, uow_factory, **ticket):
    event = ticket_created(**ticket)
    assert bus.handle(event) is True
    with uow_factory() as uow:
        return uow.work_orders.for_ticket(event.data["ticket_id"])


def _clocks(uow_factory, work_order_id):
    with uow_factory() as uow:
        return {row["clock"]: row for row in uow.clocks.of_work_order(work_order_id)}


def test_a_calendar_change_recomputes_the_open_clocks_from_their_history(bus, uow_factory, clock, events):
    handlers.register_engineer(engineer("E-1"), uow_factory(), clock, events=events)
    work_order = _open(bus, uow_factory)  # accepted 09:30, dispatched 10:00 UTC, Tuesday
    assert _clocks(uow_factory, work_order.id)["resolve"]["deadline"] == clock.now + timedelta(hours=6)

    handlers.set_calendar(SetCalendar("SH-01", WorkingCalendar("Asia/Shanghai", WEEKDAYS_9_TO_6)), uow_factory(),
                          clock)

    # 10:00 UTC is 18:00 in Shanghai, closing time: six hours from Wednesday 09:00 (01:00 UTC)
    assert _clocks(uow_factory, work_order.id)["resolve"]["deadline"] == at(1, 7)
    handlers.set_calendar(SetCalendar("SH-01", ALWAYS_OPEN), uow_factory(), clock)
    assert _clocks(uow_factory, work_order.id)["resolve"]["deadline"] == at(0, 16)


def test_sla_breached_fires_once_per_clock(bus, store, uow_factory, clock, events):
    handlers.register_engineer(engineer("E-1"), uow_factory(), clock, events=events)
    work_order = _open(bus, uow_factory)

    assert handlers.detect_breaches(at(0, 15, 59), uow_factory, events) == 0
    assert handlers.detect_breaches(at(0, 16, 1), uow_factory, events) == 1
    assert handlers.detect_breaches(at(0, 16, 2), uow_factory, events) == 0
    assert handlers.detect_breaches(at(0, 18, 1), uow_factory, events) == 1  # the hard cap

    breaches = store.emitted("SlaBreached")
    assert [b.data["clock"] for b in breaches] == ["resolve", "hard_cap"]
    assert breaches[0].data == {
        "ticket_id": work_order.ticket_id, "work_order_id": work_order.id, "site": "SH-01", "region": "east",
        "clock": "resolve", "deadline": "2026-03-10T16:00:00Z", "breached_at": "2026-03-10T16:01:00Z",
    }
    assert breaches[0].routing_key == "SlaBreached.east.SH-01"
    with uow_factory() as uow:
        assert {row["clock"] for row in uow.clocks.of_site("SH-01", breached=True)} == {"resolve", "hard_cap"}


def test_a_paused_clock_does_not_breach_until_it_runs_again(bus, store, uow_factory, clock, events):
    handlers.register_engineer(engineer("E-1"), uow_factory(), clock, events=events)
    work_order = _open(bus, uow_factory)
    clock.advance(hours=1)
    handlers.act(WorkOrderAction(work_order.id, "waiting_customer", reason="not home"), uow_factory(), clock,
                 events=events)

    assert handlers.detect_breaches(at(0, 17), uow_factory, events) == 0
    clock.now = at(0, 17)
    handlers.act(WorkOrderAction(work_order.id, "resume"), uow_factory(), clock, events=events)

    # six hours from 10:00 with 11:00-17:00 paused: 22:00
    assert _clocks(uow_factory, work_order.id)["resolve"]["deadline"] == at(0, 22)
    assert handlers.detect_breaches(at(0, 21, 59), uow_factory, events) == 1  # only the hard cap (18:00)
    assert [b.data["clock"] for b in store.emitted("SlaBreached")] == ["hard_cap"]


def test_a_breach_that_happened_while_nobody_looked_is_still_announced_once(bus, store, uow_factory, clock, events):
    """The scheduler was down; the job finished late. The next run catches up on what fell due."""
    from samples import job_report
    from dispatch.service_layer.commands import CompleteWorkOrder

    handlers.register_engineer(engineer("E-1"), uow_factory(), clock, events=events)
    work_order = _open(bus, uow_factory)
    clock.now = at(0, 17)
    handlers.complete_work_order(CompleteWorkOrder(work_order.id, job_report(arrived_at=at(0, 12))), uow_factory(),
                                 clock, events=events)

    assert handlers.detect_breaches(at(1, 0), uow_factory, events) == 1
    assert handlers.detect_breaches(at(1, 1), uow_factory, events) == 0
    [breach] = store.emitted("SlaBreached")
    assert breach.data["clock"] == "resolve"


def test_at_risk_work_orders_are_flagged_before_they_breach(bus, uow_factory, clock, events):
    handlers.register_engineer(engineer("E-1"), uow_factory(), clock, events=events)
    with uow_factory() as uow:
        uow.engineers.change_load("E-1", 6)  # a long queue ahead
        uow.commit()
    late = _open(bus, uow_factory)
    short = _open(bus, uow_factory, category="washer", parts=[{"part_no": "P-1", "qty": 1}])

    with uow_factory() as uow:
        found = {work_order.id: risk for work_order, risk in handlers.at_risk("SH-01", uow, clock.now)}

    assert found[late.id].clock == "resolve"
    assert "6 jobs ahead" in found[late.id].reasons
    assert found[short.id].reasons[0] == "parts not reserved yet"
    assert "no engineer yet" not in found[short.id].reasons  # hours left to dispatch it


def test_an_unassigned_job_close_to_its_respond_deadline_is_at_risk(bus, uow_factory, clock):
    work_order = _open(bus, uow_factory)  # accepted 09:30: respond by 13:30
    with uow_factory() as uow:
        assert handlers.at_risk("SH-01", uow, at(0, 12, 0)) == []
        [(flagged, risk)] = handlers.at_risk("SH-01", uow, at(0, 13, 10))
    assert (flagged.id, risk.clock, risk.reasons) == (work_order.id, "respond", ("no engineer yet",))


def test_the_breach_event_matches_the_catalogue(bus, store, uow_factory, clock, events):
    _open(bus, uow_factory)
    handlers.detect_breaches(at(1, 0), uow_factory, events)
    [breach] = store.emitted("SlaBreached")
    assert set(breach.data) == {"ticket_id", "work_order_id", "site", "region", "clock", "deadline", "breached_at"}
    assert breach.data["clock"] == "respond"
