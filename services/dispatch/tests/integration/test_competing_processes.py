"""Real processes against the real database and broker: competing consumers on one queue and on regional
queues, and two schedulers that must not announce a breach twice."""
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade
from aftersales_shared.testing.amqp import consumer_count, publish_envelopes, queue_depth
from aftersales_shared.testing.database import outbox_bodies
from aftersales_shared.testing.helpers import wait_for

from dispatch.adapters.tables import engineers, outbox, work_orders
from dispatch.bootstrap import MIGRATIONS, bootstrap
from dispatch.config import Settings
from dispatch.domain.engineers import MAX_LOAD
from dispatch.service_layer import handlers
from dispatch.service_layer.unit_of_work import DispatchUnitOfWork
from aftersales_shared.timeutil import utcnow

from samples import engineer, ticket_created

pytestmark = pytest.mark.integration


def _environment(database_url: str, amqp_url: str, regions: str = "") -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "AMQP_URL": amqp_url, "DISPATCH_REGIONS": regions,
            "RETRY_DELAYS_MS": "100,200", "SLA_BREACH_CHECK_SECONDS": "3600", "LOG_LEVEL": "WARNING"}


def _spawn(environment: dict, *command: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dispatch", *command], env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def database(pg_database):
    url = pg_database("dispatch_procs")
    engine = make_engine(url, pool_size=4)
    upgrade(MIGRATIONS, engine)
    yield url, engine
    engine.dispose()


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []

    def start(environment: dict, *command: str) -> subprocess.Popen:
        started.append(_spawn(environment, *command))
        return started[-1]

    yield start
    for process in started:
        _stop(process)


def _register(database_url: str, *people) -> None:
    dispatch = bootstrap(Settings(database_url=database_url))
    try:
        for engineer_id, overrides in people:
            handlers.register_engineer(engineer(engineer_id, **overrides), dispatch.uow_factory(),
                                       events=dispatch.events)
    finally:
        dispatch.runtime.dispose()


def _assert_consistent(engine, tickets: list[str]) -> Counter:
    """One work order per ticket; every engineer's load is exactly their open work orders, never above the cap;
    one EngineerAssigned per assigned work order."""
    with engine.connect() as connection:
        per_ticket = dict(connection.execute(
            select(work_orders.c.ticket_id, func.count()).group_by(work_orders.c.ticket_id)).all())
        assert per_ticket == {ticket: 1 for ticket in tickets}
        held = Counter(dict(connection.execute(
            select(work_orders.c.engineer_id, func.count()).where(work_orders.c.engineer_id.isnot(None))
            .group_by(work_orders.c.engineer_id)).all()))
        loads = dict(connection.execute(select(engineers.c.engineer_id, engineers.c.load)).all())
    announced = Counter(body["data"]["engineer_id"] for body in outbox_bodies(engine, outbox, "EngineerAssigned"))
    assert {e: n for e, n in loads.items() if n} == dict(held)
    assert max(loads.values()) <= MAX_LOAD
    assert announced == held
    return held


def _wait_processed(engine, count: int, queues: list[str], amqp_url: str, live: list[subprocess.Popen]) -> None:
    def done():
        for process in live:
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
        with engine.connect() as connection:
            handled = connection.execute(select(func.count()).select_from(work_orders)).scalar()
        return handled == count and all(queue_depth(amqp_url, q) == 0 for q in queues)

    wait_for(done, timeout=90, interval=0.2, message="the consumers did not handle every ticket")


def test_two_consumer_processes_on_one_queue_assign_each_ticket_once_within_every_engineers_capacity(
        database, new_vhost, processes):
    url, engine = database
    amqp_url = new_vhost()  # the real queue names, so a vhost of its own
    # 2 engineers at each of two sites: 32 slots for 40 tickets, so the cap is contended for
    _register(url, *[(f"E-{site}-{n}", {"site": site}) for site in ("SH-01", "SH-02") for n in (1, 2)])
    environment = _environment(url, amqp_url)
    live = [processes(environment, "consumer") for _ in range(2)]
    wait_for(lambda: consumer_count(amqp_url, "dispatch.events") == 2, timeout=60, interval=0.1,
             message="both consumers did not start")

    tickets = [ticket_created(site=("SH-01", "SH-02")[n % 2]) for n in range(40)]
    publish_envelopes(amqp_url, tickets + tickets[:10])  # some delivered twice

    _wait_processed(engine, 40, ["dispatch.events"], amqp_url, live)
    held = _assert_consistent(engine, [t.data["ticket_id"] for t in tickets])
    assert sum(held.values()) == 4 * MAX_LOAD


def test_two_processes_share_two_regional_queues_and_leave_other_regions_alone(
        database, new_vhost, processes):
    url, engine = database
    amqp_url = new_vhost()
    _register(url, ("E-N", {"site": "BJ-01", "region": "north"}), ("E-S", {"site": "GZ-01", "region": "south"}))
    environment = _environment(url, amqp_url, regions="north,south")
    live = [processes(environment, "consumer") for _ in range(2)]
    queues = ["dispatch.events.north", "dispatch.events.south"]
    wait_for(lambda: all(consumer_count(amqp_url, q) == 2 for q in queues), timeout=60, interval=0.1,
             message="the processes did not consume both regional queues")

    north = [ticket_created(site="BJ-01", region="north") for _ in range(6)]
    south = [ticket_created(site="GZ-01", region="south") for _ in range(6)]
    elsewhere = ticket_created(site="SH-01", region="east")
    publish_envelopes(amqp_url, [*north, *south, elsewhere, *north[:2]])

    _wait_processed(engine, 12, queues, amqp_url, live)
    held = _assert_consistent(engine, [t.data["ticket_id"] for t in north + south])
    assert held == {"E-N": 6, "E-S": 6}  # and the east ticket, for no region served here, opened nothing
    assert queue_depth(amqp_url, "dispatch.events") == 0  # no region-less queue was declared or fed


def test_two_schedulers_announce_each_breach_once(database, processes):
    url, engine = database
    dispatch = bootstrap(Settings(database_url=url))
    try:
        for _ in range(30):  # accepted long ago and never dispatched: every respond clock is past due
            assert dispatch.runtime.bus.handle(ticket_created()) is True
    finally:
        dispatch.runtime.dispose()
    environment = _environment(url, "amqp://unused")

    ticks = [processes(environment, "tick", "sla_breaches") for _ in range(2)]
    for tick in ticks:
        assert tick.wait(timeout=60) == 0, tick.stderr.read().decode()[-3000:]

    breaches = Counter((body["data"]["work_order_id"], body["data"]["clock"])
                       for body in outbox_bodies(engine, outbox, "SlaBreached"))
    assert len(breaches) == 30 and set(breaches.values()) == {1}


def test_two_schedulers_that_both_saw_the_clocks_due_announce_each_breach_once(database):
    """Both read the due clocks before either marks one: the conditional update lets one through per clock."""
    url, engine = database
    dispatch = bootstrap(Settings(database_url=url))
    for _ in range(5):
        assert dispatch.runtime.bus.handle(ticket_created()) is True
    barrier = threading.Barrier(2)

    class SeesThenWaits(DispatchUnitOfWork):
        def open_repositories(self, connection):
            super().open_repositories(connection)
            due = self.clocks.due

            def due_then_wait(now, limit=500):
                found = due(now, limit)
                barrier.wait(30)
                return found

            self.clocks.due = due_then_wait

    now = utcnow()
    with ThreadPoolExecutor(2) as pool:
        fired = list(pool.map(lambda _: handlers.detect_breaches(now, lambda: SeesThenWaits(engine), dispatch.events),
                              range(2)))
    dispatch.runtime.dispose()

    assert sorted(fired) == [0, 5] or sum(fired) == 5
    assert len(outbox_bodies(engine, outbox, "SlaBreached")) == 5
