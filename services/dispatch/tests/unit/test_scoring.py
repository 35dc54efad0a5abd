"""Who gets the job, and why: crafted cases of skill, load, fix history, shift and site before region."""
from datetime import time

import pytest

from dispatch.domain.engineers import MAX_LOAD
from dispatch.service_layer import handlers

from samples import engineer, job_report, ticket_created
from dispatch.service_layer.commands import CompleteWorkOrder, WorkOrderAction


@pytest.fixture
def register(uow_factory, clock, events):
    def register_engineer(engineer_id, **overrides):
        return handlers.register_engineer(engineer(engineer_id, **overrides), uow_factory(), clock, events=events)

    return register_engineer


def open_ticket(bus, uow_factory, **ticket):
    event = ticket_created(**ticket)
    assert bus.handle(event) is True
    with uow_factory() as uow:
        return uow.work_orders.for_ticket(event.data["ticket_id"])


def give_load(uow_factory, engineer_id, jobs):
    with uow_factory() as uow:
        uow.engineers.change_load(engineer_id, jobs)
        uow.commit()


def give_history(uow_factory, engineer_id, symptom, fixes):
    with uow_factory() as uow:
        for _ in range(fixes):
            uow.engineers.record_fix(engineer_id, symptom)
        uow.commit()


def test_the_site_comes_before_the_region_even_when_the_region_is_less_busy(bus, uow_factory, register):
    register("E-REGION", site="SH-02")
    register("E-SITE")
    give_load(uow_factory, "E-SITE", 3)

    work_order = open_ticket(bus, uow_factory)

    assert work_order.engineer_id == "E-SITE"
    assert work_order.assignment_reason.startswith("site SH-01, skill television, load 3")


def test_the_region_helps_when_nobody_at_the_site_fits(bus, uow_factory, register):
    register("E-SITE", skills=("washer",))
    register("E-REGION", site="SH-02")
    register("E-FAR", site="BJ-01", region="north")

    work_order = open_ticket(bus, uow_factory)

    assert work_order.engineer_id == "E-REGION"
    assert "region east (nobody fits at SH-01)" in work_order.assignment_reason
    assert work_order.assignment_score < 100


def test_who_fixed_the_same_symptom_before_wins_over_a_slightly_lighter_load(bus, uow_factory, register):
    register("E-LIGHT")
    register("E-EXPERT")
    give_load(uow_factory, "E-EXPERT", 1)
    give_history(uow_factory, "E-EXPERT", "NO_PICTURE", 3)
    give_history(uow_factory, "E-LIGHT", "NO_SOUND", 5)

    work_order = open_ticket(bus, uow_factory)

    assert work_order.engineer_id == "E-EXPERT"
    assert "fixed NO_PICTURE 3 times before" in work_order.assignment_reason
    assert work_order.assignment_score == 100 - 12 + 30


def test_a_much_heavier_load_outweighs_history(bus, uow_factory, register):
    register("E-LIGHT")
    register("E-EXPERT")
    give_load(uow_factory, "E-EXPERT", 4)
    give_history(uow_factory, "E-EXPERT", "NO_PICTURE", 9)

    assert open_ticket(bus, uow_factory).engineer_id == "E-LIGHT"


def test_completing_a_fix_is_remembered_for_the_next_job_with_that_symptom(bus, uow_factory, register, clock, events):
    register("E-A")
    register("E-B")
    first = open_ticket(bus, uow_factory)
    assert first.engineer_id == "E-A"
    handlers.complete_work_order(CompleteWorkOrder(first.id, job_report()), uow_factory(), clock, events=events)

    assert open_ticket(bus, uow_factory).engineer_id == "E-A"
    with uow_factory() as uow:
        assert uow.engineers.fixes("NO_PICTURE", ["E-A", "E-B"]) == {"E-A": 1}


def test_an_engineer_off_shift_is_passed_over(bus, uow_factory, register, clock):
    # clock: 10:00 UTC; the site has no calendar, so its time is UTC
    register("E-NIGHT", shift_start=time(22, 0), shift_end=time(6, 0))
    register("E-DAY", shift_start=time(8, 0), shift_end=time(17, 0))
    give_load(uow_factory, "E-DAY", 2)

    assert open_ticket(bus, uow_factory).engineer_id == "E-DAY"


def test_a_full_engineer_takes_no_more(bus, uow_factory, register):
    register("E-1")
    give_load(uow_factory, "E-1", MAX_LOAD)

    work_order = open_ticket(bus, uow_factory)

    assert (work_order.status, work_order.engineer_id) == ("unassigned", None)
    assert work_order.unassigned_reason == (
        f"no available engineer on shift with the skill television and fewer than {MAX_LOAD} open jobs "
        "at site SH-01 or in region east")


def test_nobody_fits_the_reason_is_kept(bus, uow_factory, register, store):
    register("E-BUSY", status="busy")
    register("E-WASHER", skills=("washer",))

    work_order = open_ticket(bus, uow_factory)

    assert work_order.status == "unassigned"
    assert "no available engineer" in work_order.unassigned_reason
    assert store.emitted("EngineerAssigned") == []


def test_at_shift_end_jobs_not_yet_started_go_to_someone_on_shift(bus, uow_factory, register, clock, events, store):
    register("E-DAY", shift_start=time(8, 0), shift_end=time(18, 0))
    waiting = open_ticket(bus, uow_factory)
    started = open_ticket(bus, uow_factory)
    for action in ("accept", "depart"):
        handlers.act(WorkOrderAction(started.id, action), uow_factory(), clock, events=events)
    register("E-EVENING", shift_start=time(16, 0), shift_end=time(23, 0))

    assert handlers.hand_over_at_shift_end(clock.now, uow_factory, events) == 0  # 10:00: still on shift
    clock.now = clock.now.replace(hour=18, minute=5)
    assert handlers.hand_over_at_shift_end(clock.now, uow_factory, events) == 1
    assert handlers.hand_over_at_shift_end(clock.now, uow_factory, events) == 0

    with uow_factory() as uow:
        assert uow.work_orders.get(waiting.id).engineer_id == "E-EVENING"
        assert uow.work_orders.get(started.id).engineer_id == "E-DAY"
        assert (uow.engineers.get("E-DAY").load, uow.engineers.get("E-EVENING").load) == (1, 1)
    assert [e.data["engineer_id"] for e in store.emitted("EngineerAssigned")][-1] == "E-EVENING"
