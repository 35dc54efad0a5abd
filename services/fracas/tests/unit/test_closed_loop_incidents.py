"""Incidents of the closed loop on a crafted data set: repeat links (intake's word first, the 72 h / 7 day
rule otherwise, whatever order events arrive in), DOA, relevant and chargeable flags, and the rates."""
from datetime import datetime, timedelta, timezone

import pytest

from aftersales_shared.bus import EventBus

from event_builders import T0, repair_completed, ticket_created
from fakes import FakeStore, FakeUnitOfWork
from fracas.bootstrap import event_writer
from fracas.entrypoints.events import INCOMING_SCHEMAS
from fracas.service_layer import queries
from fracas.service_layer.handlers import event_handlers


@pytest.fixture
def store():
    return FakeStore()


@pytest.fixture
def bus(store):
    return EventBus(lambda: FakeUnitOfWork(store), event_handlers(event_writer()), INCOMING_SCHEMAS)


def record(store, work_order_id):
    with FakeUnitOfWork(store) as uow:
        return uow.failures.get(work_order_id)


def day(n, hour=10):
    return T0 + timedelta(days=n, hours=hour - T0.hour)


def test_hardware_repeat_within_seven_days_is_linked_by_the_rule(bus, store):
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-A", completed_at=day(0)))
    bus.handle(ticket_created("T-2", serial="SN-A", created_at=day(5)))
    bus.handle(repair_completed("WO-2", "T-2", serial="SN-A", completed_at=day(6)))
    bus.handle(ticket_created("T-3", serial="SN-A", created_at=day(20)))
    bus.handle(repair_completed("WO-3", "T-3", serial="SN-A", completed_at=day(21)))

    assert record(store, "WO-2").repeat_of == "T-1"
    assert record(store, "WO-3").repeat_of is None  # 14 days after the last repair: a new failure


def test_software_repeat_window_is_72_hours(bus, store):
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-S", completed_at=day(0), failure_mode="software"))
    bus.handle(ticket_created("T-2", serial="SN-S", created_at=day(4)))
    bus.handle(repair_completed("WO-2", "T-2", serial="SN-S", completed_at=day(4), failure_mode="software"))

    assert record(store, "WO-2").repeat_of is None


def test_a_repeat_reported_before_the_repair_it_repeats_is_linked_when_that_arrives(bus, store):
    bus.handle(repair_completed("WO-2", "T-2", serial="SN-B", completed_at=day(3)))
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-B", completed_at=day(1)))

    assert record(store, "WO-2").repeat_of == "T-1"
    assert record(store, "WO-1").repeat_of is None


def test_intakes_repeat_of_wins_over_the_rule_from_either_event(bus, store):
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-C", completed_at=day(0)))
    # Intake named an older ticket, outside fracas's own window; its word is kept.
    bus.handle(repair_completed("WO-2", "T-2", serial="SN-C", completed_at=day(30), repeat_of="T-0"))
    bus.handle(repair_completed("WO-3", "T-3", serial="SN-D", completed_at=day(1)))
    bus.handle(ticket_created("T-3", serial="SN-D", repeat_of="T-9", created_at=day(0)))

    assert record(store, "WO-2").repeat_of == "T-0"
    assert record(store, "WO-3").repeat_of == "T-9"


def test_relevant_and_chargeable_flags(bus, store):
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-1"))
    bus.handle(repair_completed("WO-2", "T-2", serial="SN-2", outcome="no_fault_found"))
    bus.handle(repair_completed("WO-3", "T-3", serial="SN-3", cause_code="PHYSICAL_DAMAGE"))

    flags = {wo: (record(store, wo).relevant, record(store, wo).chargeable) for wo in ("WO-1", "WO-2", "WO-3")}
    assert flags == {"WO-1": (True, True), "WO-2": (False, False), "WO-3": (True, False)}


def test_dealer_posted_repair_keeps_its_site(bus, store):
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-1", site="DL-07"))

    assert record(store, "WO-1").site == "DL-07"


def test_doa_repeat_and_first_time_fix_rates_on_a_crafted_set(bus, store):
    # Four repairs of WM-100 at SH-01; T-1 was a first-open failure (DOA); T-2 repeats T-1 a day later.
    bus.handle(ticket_created("T-1", serial="SN-1", first_open_failure=True, created_at=day(0, 8)))
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-1", completed_at=day(0)))
    bus.handle(ticket_created("T-2", serial="SN-1", created_at=day(1)))
    bus.handle(repair_completed("WO-2", "T-2", serial="SN-1", completed_at=day(2)))
    bus.handle(repair_completed("WO-3", "T-3", serial="SN-2", completed_at=day(3), outcome="unrepairable"))
    # Completed two days before as_of: its follow-up window is not over, so it is left out of those rates.
    bus.handle(repair_completed("WO-4", "T-4", serial="SN-3", completed_at=day(18)))
    # Another model: a row of its own.
    bus.handle(repair_completed("WO-5", "T-5", serial="SN-9", model="WM-200", completed_at=day(0)))

    as_of = day(20)
    rows = {row.key: row for row in queries.service_quality("model", as_of, FakeUnitOfWork(store))}

    wm100 = rows["WM-100"]
    assert (wm100.repairs, wm100.doa, wm100.followed_up, wm100.repeated, wm100.first_time_fixes) == (4, 1, 3, 1, 1)
    assert wm100.doa_rate == pytest.approx(0.25)
    assert wm100.repeat_rate == pytest.approx(1 / 3)
    assert wm100.first_time_fix_rate == pytest.approx(1 / 3)
    assert rows["WM-200"].repairs == 1 and rows["WM-200"].doa == 0
    by_engineer = queries.service_quality("engineer", as_of, FakeUnitOfWork(store))
    assert [row.key for row in by_engineer] == ["ENG-7"]
    by_month = queries.service_quality("month", as_of, FakeUnitOfWork(store))
    assert [row.key for row in by_month] == ["2024-06"]


def test_a_failure_report_shows_its_closed_loop_flags(tmp_path):
    from fracas.adapters.tables import metadata
    from fracas.bootstrap import bootstrap
    from fracas.config import Settings
    from fracas.entrypoints.flask_app import create_app

    fracas = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'f.db'}"), clock=lambda: T0)
    metadata.create_all(fracas.runtime.engine)
    fracas.runtime.bus.handle(repair_completed("WO-1", "T-1", serial="SN-1", completed_at=day(0)))
    fracas.runtime.bus.handle(ticket_created("T-2", serial="SN-1", first_open_failure=True, created_at=day(2)))
    fracas.runtime.bus.handle(repair_completed("WO-2", "T-2", serial="SN-1", completed_at=day(3),
                                               cause_code="MISUSE", site="DL-07"))

    [report] = create_app(fracas).test_client().get("/api/v1/failures?ticket_id=T-2").json
    fracas.runtime.dispose()

    assert (report["doa"], report["repeat_of"], report["relevant"], report["chargeable"], report["site"]) == \
        (True, "T-1", True, False, "DL-07")
