"""The fault scenarios: each drives tickets through the whole flow while one thing goes wrong, then
audits the books (see rig.Rig.audit). All run one after the other on one platform; the books are
cumulative, so a scenario also proves the ones before it left nothing behind.
"""
from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
from dataclasses import dataclass

from .chaos import Meddler, service_bindings
from .rig import DB_FAULT_SERVICE, POISON_SERVICE, Rig, Row, wait_until

CONSUMERS = ("dispatch", "inventory", "billing", "intake", "fracas")
# Whose relay publishes what: a relay is killed the moment its first event of a batch is on the wire.
RELAY_OF = {"TicketCreated": "intake", "PartReserved": "inventory", "EngineerAssigned": "dispatch",
            "SettlementPosted": "billing"}


@dataclass(frozen=True)
class Scale:
    tickets: int
    concurrency: int = 16
    broker_cuts: int = 2
    broker_outage: float = 10.0
    consumer_kills: int = 10
    relay_kills: int = 8
    db_outage: float = 60.0
    poison: int = 10
    web_kills: int = 10
    settle_timeout: float = 300.0
    meddle_delay: float = 0.5
    process_model: str = "split"

    @classmethod
    def full(cls, tickets: int = 1000) -> "Scale":
        return cls(tickets)

    @classmethod
    def short(cls, tickets: int = 24) -> "Scale":
        return cls(tickets, concurrency=8, broker_cuts=1, broker_outage=2.0, consumer_kills=3, relay_kills=3,
                   db_outage=3.0, poison=2, web_kills=2, settle_timeout=60.0, meddle_delay=0.3,
                   process_model="worker")


def _wait_accepted(run, share: float, timeout: float = 120.0) -> None:
    """Until ``share`` of the run's tickets were accepted (or posting is over)."""
    goal = max(1, int(run.count * share))
    wait_until(lambda: run.posting_done or sum(1 for t in run.traces if t.ticket_id) >= goal, timeout,
               f"{goal} tickets were not accepted within {timeout}s", interval=0.05)


def _finish(rig: Rig, name: str, scale: Scale, run, cleared: float, **audit) -> Row:
    result = run.wait(settle_timeout=scale.settle_timeout)
    return rig.audit(Row(name, run.count), result, cleared, **audit)


# -- 1 ------------------------------------------------------------------------------------------------

def broker_connection_cut(rig: Rig, scale: Scale) -> Row:
    """Every service's broker connection cut mid-flow (new ones refused) for a while, then restored."""
    run = rig.start(scale.tickets, scale.concurrency)
    for cut in range(scale.broker_cuts):
        _wait_accepted(run, (cut + 1) / (scale.broker_cuts + 1))
        rig.amqp_proxy.stop_accepting_and_cut()
        time.sleep(scale.broker_outage)
        rig.amqp_proxy.resume()
    row = _finish(rig, "1 broker connection cut", scale, run, time.monotonic())
    row.notes.append(f"{scale.broker_cuts} cuts of {scale.broker_outage:.0f} s")
    return row


# -- 2 ------------------------------------------------------------------------------------------------

def consumers_killed(rig: Rig, scale: Scale) -> Row:
    """Consumers SIGKILLed while they hold unacknowledged deliveries; `make run` starts them again."""
    run = rig.start(scale.tickets, scale.concurrency)
    victims = itertools.cycle(CONSUMERS)
    for kill in range(scale.consumer_kills):
        _wait_accepted(run, (kill + 1) / (scale.consumer_kills + 1))
        name = rig.process_name(next(victims), "consumer")
        pid = rig.kill(name)
        rig.wait_running(name, not_pid=pid)
    row = _finish(rig, "2 consumers SIGKILLed before ack", scale, run, time.monotonic())
    row.notes.append(f"{scale.consumer_kills} consumer kills")
    return row


# -- 3 ------------------------------------------------------------------------------------------------

def relays_killed(rig: Rig, scale: Scale) -> Row:
    """A relay SIGKILLed the moment its batch is on the wire: published, not yet marked sent."""
    run = rig.start(scale.tickets, scale.concurrency)
    armed: dict = {}
    fired = threading.Event()

    def on_event(seen) -> None:
        target = armed.get("type")
        if target == seen.type and not fired.is_set():
            try:
                os.kill(armed["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
            fired.set()

    rig.observer.add_listener(on_event)
    kills = 0
    try:
        victims = itertools.cycle(RELAY_OF.items())
        for _ in range(scale.relay_kills):
            if run.posting_done and kills:
                break
            event_type, service = next(victims)
            name = rig.process_name(service, "relay")
            pid = rig.wait_running(name)
            fired.clear()
            armed.update(type=event_type, pid=pid)
            if fired.wait(30):
                kills += 1
                rig.wait_running(name, not_pid=pid)
            armed.clear()
    finally:
        rig.observer.remove_listener(on_event)
    row = _finish(rig, "3 relay SIGKILLed between publish and mark-sent", scale, run, time.monotonic())
    row.notes.append(f"{kills} relay kills")
    return row


# -- 4 ------------------------------------------------------------------------------------------------

def database_unreachable(rig: Rig, scale: Scale) -> Row:
    """One service's PostgreSQL unreachable mid-flow; its consumer must wait, parking nothing."""
    run = rig.start(scale.tickets, scale.concurrency)
    _wait_accepted(run, 0.3)
    rig.db_proxy.stop_accepting_and_cut()
    time.sleep(scale.db_outage)
    rig.db_proxy.resume()
    row = _finish(rig, f"4 {DB_FAULT_SERVICE} database unreachable", scale, run, time.monotonic())
    row.notes.append(f"{DB_FAULT_SERVICE}'s database cut for {scale.db_outage:.0f} s")
    return row


# -- 5 ------------------------------------------------------------------------------------------------

def delivered_twice_shuffled(rig: Rig, scale: Scale) -> Row:
    """Every event reaches every consumer twice, each copy after a random delay (so out of order)."""
    meddler = Meddler(rig.sandbox.amqp_url, service_bindings(CONSUMERS), max_delay=scale.meddle_delay).start()
    try:
        run = rig.start(scale.tickets, scale.concurrency)
        result = run.wait(settle_timeout=scale.settle_timeout)
    finally:
        meddler.stop()
    cleared = time.monotonic()
    row = rig.audit(Row("5 every event twice, shuffled", run.count), result, cleared)
    row.notes.append(f"{meddler.received} events taken, {meddler.sent} delivered; "
                     f"{len(meddler.reordered)} tickets' events reordered")
    if meddler.sent < 2 * meddler.received:
        row.problems.append(f"the meddler delivered {meddler.sent} of {2 * meddler.received} copies")
    if not meddler.reordered:
        row.problems.append("no ticket's events were reordered: the scenario proved nothing")
    return row


# -- 6 ------------------------------------------------------------------------------------------------

POISON_FUNCTION = "faults_poison"


def poison_messages(rig: Rig, scale: Scale) -> Row:
    """A defect makes some tickets' events fail in one service: they are parked with the reason while
    the flow goes on; once the defect is fixed the operator tool replays them and they take effect.

    The defect is a trigger refusing the service's outbox rows for one site, so the handler's
    transaction fails for those tickets only, on every attempt.
    """
    service, site = POISON_SERVICE, f"P{rig.driver.run_id}"
    client, urls = rig.driver.client, rig.platform.url
    reply = client.post(urls(service, "/api/v1/stock/receipts"),
                        {"site": site, "part_no": rig.driver.seed_data.part_no, "qty": 1000, "unit_cost": "35.50"},
                        headers={"Idempotency-Key": f"faults-{site}-stock"})
    assert reply.status == 201, reply
    rig.sql(service, f"""
        CREATE OR REPLACE FUNCTION {POISON_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'simulated defect: cannot record %', NEW.routing_key; END $$;
        CREATE TRIGGER {POISON_FUNCTION} BEFORE INSERT ON outbox FOR EACH ROW
            WHEN (NEW.routing_key LIKE '%.{site}') EXECUTE FUNCTION {POISON_FUNCTION}();""")
    fixed = False
    try:
        run = rig.start(scale.tickets, scale.concurrency)
        poisoned = []
        for n in range(scale.poison):
            body = rig.driver.ticket_body(site, f"SN-{site}-{n}")
            reply = client.post(urls("intake", "/api/v1/tickets"), body,
                                headers={"Idempotency-Key": f"faults-{site}-{n}"})
            assert reply.status == 201, reply
            poisoned.append(reply.body["id"])
        dlq = f"{service}.events.dlq"
        # Each retry goes to the back of the queue, behind the whole flow's backlog: give it the flow's time.
        wait_until(lambda: rig.queue_depths()[dlq] >= scale.poison, scale.settle_timeout,
                   "poisoned events were not parked", interval=0.5)
        result = run.wait(settle_timeout=scale.settle_timeout)
        parked = rig.queue_depths()[dlq]
        listed = rig.service_command(service, "dlq", "list", "--limit", "1000")
        entries = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
        rig.sql(service, f"DROP TRIGGER {POISON_FUNCTION} ON outbox; DROP FUNCTION {POISON_FUNCTION}();")
        fixed = True
        cleared = time.monotonic()
        replay = rig.service_command(service, "dlq", "replay", "--type", "TicketCreated", "--json", "--limit", "1000")
        reserved = lambda: all(rig.observer.first(t, "PartReserved") for t in poisoned)  # noqa: E731
        try:
            wait_until(reserved, 60, "replayed events took no effect")
            took_effect = time.monotonic() - cleared
        except TimeoutError:
            took_effect = None
    finally:
        if not fixed:
            rig.sql(service, f"DROP TRIGGER IF EXISTS {POISON_FUNCTION} ON outbox; "
                             f"DROP FUNCTION IF EXISTS {POISON_FUNCTION}();")
    row = rig.audit(Row("6 poison messages parked, replayed after a fix", run.count), result, cleared)
    row.parked += parked
    row.expected_parked = scale.poison
    row.converge_seconds = None if took_effect is None else round(took_effect, 1)
    reasons = [e for e in entries if "simulated defect" in (e.get("error") or "") and e.get("attempts") == 4]
    if len(reasons) != scale.poison:
        row.problems.append(f"dlq list showed {len(reasons)} of {scale.poison} with reason and attempts: {entries[:2]}")
    if replay.returncode != 0 or json.loads(replay.stdout.strip().splitlines()[-1]) != {"replayed": scale.poison}:
        row.problems.append(f"replay: exit {replay.returncode} {replay.stdout[-300:]} {replay.stderr[-300:]}")
    if took_effect is None:
        row.problems.append("replayed events took no effect within 60 s")
    row.notes.append(f"{scale.poison} tickets poisoned in {service}, parked with their reason, replayed; "
                     f"converge = replay to effect")
    return row


# -- 7 ------------------------------------------------------------------------------------------------

def web_worker_killed(rig: Rig, scale: Scale) -> Row:
    """intake's gunicorn workers SIGKILLed while requests are in flight; clients retry with the same key."""
    run = rig.start(scale.tickets, scale.concurrency)
    kills = 0
    for kill in range(scale.web_kills):
        _wait_accepted(run, (kill + 1) / (scale.web_kills + 1))
        workers = wait_until(lambda: (lambda w: w if len(w) >= 2 else None)(rig.web_workers("intake")), 30,
                             "intake's workers did not come back")
        os.kill(workers[kill % len(workers)], signal.SIGKILL)
        kills += 1
    row = _finish(rig, "7 gunicorn worker killed mid-request", scale, run, time.monotonic())
    retried = sum(1 for t in run.traces if t.attempts > 1)
    row.notes.append(f"{kills} worker kills, {retried} POSTs retried with their Idempotency-Key")
    return row


# -- 8 ------------------------------------------------------------------------------------------------

def consumer_started_late(rig: Rig, scale: Scale) -> Row:
    """billing's consumer is not running while the tickets flow; it starts once everything it needs waits."""
    name = rig.process_name("billing", "consumer")
    rig.stop_runner()  # nothing restarts it meanwhile
    try:
        rig.kill(name, signal.SIGTERM)
        wait_until(lambda: name not in rig.platform.processes(), 30, f"{name} did not stop")
        run = rig.start(scale.tickets, scale.concurrency)
        wait_until(lambda: run.posting_done and all(rig.observer.first(t.ticket_id, "RepairCompleted")
                                                    for t in run.traces if t.ticket_id),
                   scale.settle_timeout, "tickets did not reach RepairCompleted", interval=0.2)
        settled_early = run.progress()["settled"]
    finally:
        rig.resume_runner()
    cleared = time.monotonic()
    row = _finish(rig, "8 consumer started after its events", scale, run, cleared)
    if settled_early:
        row.problems.append(f"{settled_early} tickets settled while billing's consumer was down")
    row.notes.append("billing's consumer started after every RepairCompleted was published")
    return row


ALL = (broker_connection_cut, consumers_killed, relays_killed, database_unreachable, delivered_twice_shuffled,
       poison_messages, web_worker_killed, consumer_started_late)
