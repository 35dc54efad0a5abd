"""Whole-flow load driver: tickets from POST to SettlementPosted across the running platform.

Reusable by anything that needs real traffic through all five services (the benchmark, fault
injection). Import it with the repository root on ``sys.path`` (a test's conftest.py can put it
there). The usual sequence::

    from bench.flow import FlowDriver, Sandbox, WireObserver, start_platform

    with Sandbox("postgresql") as sandbox:
        platform = start_platform(var_dir, sandbox.amqp_url, sandbox.database_urls)
        with platform, WireObserver(sandbox.amqp_url) as wire:
            driver = FlowDriver(platform, wire)
            driver.seed(engineers=80, sites=4)
            run = driver.start(500, concurrency=16)    # returns at once; traffic flows in threads
            ...                                          # inject faults here
            result = run.wait(settle_timeout=120)        # every ticket settled, or the deadline passed
            books = driver.check_books(result)
            assert result.lost == [] and result.duplicated == [] and books["ok"]

The wire observer is an independent pika consumer bound to ``#`` on ``aftersales.events``: what it
records is what really went out, whatever the services believe. The driver completes each work
order as soon as its EngineerAssigned is on the wire.

For faults: give the platform a broker URL through a ``TcpProxy`` (``aftersales_shared.testing``)
while the observer connects straight to ``sandbox.amqp_url``, so cutting the services' link does not
blind the observer; ``platform.processes()`` names each service process; ``run.progress()`` says
how far the tickets have got. Tickets are posted with an Idempotency-Key and retried on broken
connections and 502/503/504, so a web fault shows as latency or as ``result.rejected``, never as a
double ticket.
"""
from __future__ import annotations

import itertools
import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Sequence

from .launch import SERVICES, HttpClient, HttpError, Platform, Sandbox, start_platform
from .measure import CpuWindow, latency_summary, percentile, postgresql_server, rabbitmq_broker
from .wire import Seen, WireObserver

__all__ = ["CORE_EVENTS", "FlowDriver", "FlowResult", "FlowRun", "Sandbox", "Seed", "Seen", "TicketTrace",
           "WireObserver", "start_platform"]

#: One of each per ticket in a healthy flow (with parts in stock and an engineer on site).
CORE_EVENTS = ("TicketCreated", "PartReserved", "EngineerAssigned", "RepairCompleted", "SettlementPosted")


@dataclass(frozen=True)
class Seed:
    sites: tuple[str, ...]
    region: str
    category: str
    part_no: str
    engineers: dict[str, tuple[str, ...]]
    stock_received: dict[str, int]
    seconds: float


@dataclass
class Completion:
    ticket_id: str
    work_order_id: str
    assigned_seen_at: float
    started: float = 0.0
    finished: float = 0.0
    status: int | None = None
    attempts: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        # A 409 after a retry means our own earlier attempt went through.
        return self.status == 200 or (self.status == 409 and self.attempts > 1)


@dataclass
class TicketTrace:
    index: int
    serial: str
    site: str
    idempotency_key: str
    scheduled: float | None = None  # when a paced run meant to post it
    post_started: float = 0.0
    post_finished: float = 0.0
    status: int | None = None
    attempts: int = 0
    ticket_id: str | None = None
    error: str | None = None
    completion: Completion | None = None
    events: dict[str, list[Seen]] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status == 201 and self.ticket_id is not None

    def first(self, event_type: str) -> Seen | None:
        seen = self.events.get(event_type)
        return seen[0] if seen else None

    @property
    def settled(self) -> bool:
        return bool(self.events.get("SettlementPosted"))

    @property
    def reached(self) -> str:
        """The furthest step of the flow seen on the wire."""
        for event_type in reversed(CORE_EVENTS):
            if event_type in self.events:
                return event_type
        return "accepted, nothing on the wire" if self.accepted else "not accepted"


class FlowDriver:
    def __init__(self, platform: Platform, observer: WireObserver, client: HttpClient | None = None,
                 run_id: str | None = None):
        self.platform = platform
        self.observer = observer
        self.client = client or HttpClient()
        self.run_id = run_id or uuid.uuid4().hex[:6]
        self.seed_data: Seed | None = None
        self.history: list[TicketTrace] = []  # every finished run's tickets: the books hold all of them
        self._serials = itertools.count(1)
        self._serial_lock = threading.Lock()

    # -- seeding ------------------------------------------------------------------------------------

    def seed(self, engineers: int = 80, sites: int = 4, stock_per_site: int = 100_000,
             category: str = "washing_machine", part_no: str = "PCB-100", region: str = "east") -> Seed:
        """Registers ``engineers`` spread evenly over ``sites`` new sites (skilled in ``category``) and
        receives ``stock_per_site`` of ``part_no`` at each."""
        started = time.monotonic()
        names = tuple(f"F{self.run_id}-{n}" for n in range(1, sites + 1))
        roster: dict[str, list[str]] = {site: [] for site in names}
        for n in range(engineers):
            site = names[n % sites]
            engineer_id = f"ENG-{site}-{n:03d}"
            reply = self.client.post(self.platform.url("dispatch", "/api/v1/engineers"), {
                "engineer_id": engineer_id, "name": f"Engineer {n}", "site": site, "region": region,
                "skills": [category]})
            if reply.status not in (201, 409):
                raise HttpError(f"registering {engineer_id}: {reply.status} {reply.body}")
            roster[site].append(engineer_id)
        for site in names:
            reply = self.client.post(self.platform.url("inventory", "/api/v1/stock/receipts"), {
                "site": site, "part_no": part_no, "qty": stock_per_site, "unit_cost": "35.50"})
            if reply.status != 201:
                raise HttpError(f"receiving stock at {site}: {reply.status} {reply.body}")
        self.seed_data = Seed(names, region, category, part_no, {s: tuple(e) for s, e in roster.items()},
                              {site: stock_per_site for site in names}, time.monotonic() - started)
        return self.seed_data

    # -- bodies -------------------------------------------------------------------------------------

    def next_serial(self) -> str:
        with self._serial_lock:
            return f"SN-{self.run_id}-{next(self._serials):06d}"

    def ticket_body(self, site: str, serial: str) -> dict:
        seed = self.seed_data
        return {
            "channel": "hotline", "service_type": "onsite", "priority": "P2", "site": site, "region": seed.region,
            "customer": {"name": "Li Lei", "phone": "13800000000", "address": "88 Nanjing Road"},
            "product": {"model": "WM-700", "serial": serial, "category": seed.category,
                        "purchase_date": (date.today() - timedelta(days=90)).isoformat(), "batch": "B2026-03"},
            "fault": {"symptom_code": "E21", "description": "Drum does not spin", "first_open_failure": False},
            "parts": [{"part_no": seed.part_no, "qty": 1}],
        }

    def completion_body(self) -> dict:
        part = self.seed_data.part_no
        return {
            "outcome": "repaired", "labour_minutes": 45,
            "parts_used": [{"part_no": part, "qty": 1, "faulty_serial": "PCB-OLD-1"}],
            "failure": {"symptom_code": "E21", "failure_mode": "open_circuit", "cause_code": "C-SOLDER",
                        "failed_part_no": part, "description": "Cracked solder joint on the motor driver"},
            "customer_signed": True,
        }

    # -- driving ------------------------------------------------------------------------------------

    def start(self, count: int, concurrency: int = 16, rate: float | None = None,
              complete_concurrency: int | None = None) -> "FlowRun":
        """Starts posting ``count`` tickets, ``concurrency`` at a time (at most ``rate`` per second
        when given), spread round-robin over the seeded sites; returns at once."""
        if self.seed_data is None:
            raise RuntimeError("seed() the platform before driving tickets through it")
        return FlowRun(self, count, concurrency, rate, complete_concurrency or concurrency)

    def drive(self, count: int, concurrency: int = 16, rate: float | None = None,
              settle_timeout: float = 120.0) -> "FlowResult":
        return self.start(count, concurrency, rate).wait(settle_timeout)

    # -- books --------------------------------------------------------------------------------------

    def check_books(self, result: "FlowResult | None" = None, timeout: float = 60.0, per_ticket: bool = True) -> dict:
        """Waits (up to ``timeout``) for the services' own records to agree with what the wire showed:
        stock on hand and reserved per site and work orders per site (for every run so far: they share
        the sites), and with ``per_ticket`` one settlement in billing and status "settled" in intake for
        every settled ticket of ``result`` (default: of every run)."""
        seed = self.seed_data
        everything = [t for t in self.history if t.accepted]
        traces = [t for t in result.traces if t.accepted] if result is not None else everything
        by_site = {site: [t for t in everything if t.site == site] for site in seed.sites}

        def expected_stock(site: str) -> dict:
            consumed = sum(1 for t in by_site[site] if "RepairCompleted" in t.events)
            reserved = sum(1 for t in by_site[site]
                           if "PartReserved" in t.events and "RepairCompleted" not in t.events)
            return {"on_hand": seed.stock_received[site] - consumed, "reserved": reserved}

        def site_problems() -> list[str]:
            problems = []
            for site in seed.sites:
                stock = self.client.get(self.platform.url(
                    "inventory", f"/api/v1/stock?site={site}&part_no={seed.part_no}")).body
                want = expected_stock(site)
                got = {"on_hand": stock.get("on_hand"), "reserved": stock.get("reserved")}
                if got != want:
                    problems.append(f"stock at {site}: {got}, expected {want}")
                orders = self.client.get(self.platform.url(
                    "dispatch", f"/api/v1/work-orders?site={site}&limit=1000")).body
                completed = sum(1 for o in orders if o["status"] == "completed")
                want_completed = sum(1 for t in by_site[site] if "RepairCompleted" in t.events)
                if len(orders) >= 1000:
                    unverified.add(site)  # more than one page: the count cannot be checked this way
                elif (len(orders), completed) != (len(by_site[site]), want_completed):
                    problems.append(f"work orders at {site}: {len(orders)} ({completed} completed), expected "
                                    f"{len(by_site[site])} ({want_completed} completed)")
            return problems

        unverified: set[str] = set()
        started = time.monotonic()
        problems = site_problems()
        while problems and time.monotonic() - started < timeout:
            time.sleep(0.5)
            problems = site_problems()
        checked = {"sites": len(seed.sites), "tickets": 0, "work_orders_unverified_at": sorted(unverified)}
        if per_ticket:
            pending = [t for t in traces if t.settled]
            while True:  # looks at least once, however long the checks above took
                pending = [t for t in pending if not self._ticket_settled_in_intake(t)]
                if not pending or time.monotonic() - started > timeout:
                    break
                time.sleep(0.5)
            problems += [f"ticket {t.ticket_id} is not settled in intake" for t in pending[:20]]
            for trace in (t for t in traces if t.settled):
                settlements = self.client.get(self.platform.url(
                    "billing", f"/api/v1/settlements?ticket_id={trace.ticket_id}")).body
                if len(settlements) != 1:
                    problems.append(f"ticket {trace.ticket_id} has {len(settlements)} settlements in billing")
                checked["tickets"] += 1
        return {"ok": not problems, "problems": problems[:50], "checked": checked,
                "seconds": round(time.monotonic() - started, 1)}

    def _ticket_settled_in_intake(self, trace: TicketTrace) -> bool:
        reply = self.client.get(self.platform.url("intake", f"/api/v1/tickets/{trace.ticket_id}"))
        return reply.status == 200 and reply.body.get("status") == "settled"


class FlowRun:
    """Tickets being posted and completed in background threads; ``wait()`` collects the result."""

    def __init__(self, driver: FlowDriver, count: int, concurrency: int, rate: float | None,
                 complete_concurrency: int):
        self.driver = driver
        self.count, self.concurrency, self.rate = count, concurrency, rate
        seed = driver.seed_data
        self.traces = []
        for index in range(count):
            serial = driver.next_serial()
            self.traces.append(TicketTrace(index, serial, seed.sites[index % len(seed.sites)],
                                           f"bench-{serial}"))
        self.completions: dict[str, Completion] = {}
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._next = itertools.count()
        self._work: queue.Queue = queue.Queue()
        self._sites = set(seed.sites)
        server = postgresql_server() if driver.platform.database == "postgresql" else ()
        self.cpu = CpuWindow((driver.platform.pid,), beside=server + rabbitmq_broker()).__enter__()
        self.started = time.monotonic()
        driver.observer.add_listener(self._on_event)
        self._posters = [threading.Thread(target=self._post_loop, name=f"post-{n}", daemon=True)
                         for n in range(concurrency)]
        self._completers = [threading.Thread(target=self._complete_loop, name=f"complete-{n}", daemon=True)
                            for n in range(complete_concurrency)]
        for thread in (*self._posters, *self._completers):
            thread.start()

    def _post_loop(self) -> None:
        driver = self.driver
        url = driver.platform.url("intake", "/api/v1/tickets")
        while True:
            index = next(self._next)
            if index >= self.count:
                return
            trace = self.traces[index]
            if self.rate:
                trace.scheduled = self.started + index / self.rate
                delay = trace.scheduled - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            trace.post_started = time.monotonic()
            try:
                reply = driver.client.post(url, driver.ticket_body(trace.site, trace.serial),
                                           headers={"Idempotency-Key": trace.idempotency_key})
            except HttpError as exc:
                trace.error = str(exc)
            else:
                trace.status, trace.attempts = reply.status, reply.attempts
                if reply.status == 201:
                    trace.ticket_id = reply.body["id"]
                else:
                    trace.error = json.dumps(reply.body)[:500]
            trace.post_finished = time.monotonic()

    def _on_event(self, seen: Seen) -> None:
        if seen.type != "EngineerAssigned" or seen.site not in self._sites:
            return
        with self._lock:
            if seen.ticket_id in self._queued:
                return
            self._queued.add(seen.ticket_id)
        self._work.put(Completion(seen.ticket_id, seen.data.get("work_order_id"), seen.at))

    def _complete_loop(self) -> None:
        driver = self.driver
        body = driver.completion_body()
        while True:
            job = self._work.get()
            if job is None:
                return
            job.started = time.monotonic()
            try:
                reply = driver.client.post(
                    driver.platform.url("dispatch", f"/api/v1/work-orders/{job.work_order_id}/complete"), body)
            except HttpError as exc:
                job.error = str(exc)
            else:
                job.status, job.attempts = reply.status, reply.attempts
                if not job.ok:
                    job.error = json.dumps(reply.body)[:500]
            job.finished = time.monotonic()
            with self._lock:
                self.completions[job.ticket_id] = job

    def progress(self) -> dict:
        """How far the run has got, as the driver and the wire see it right now (for deciding when to
        inject a fault, or for watching a long run)."""
        observer = self.driver.observer
        ids = [t.ticket_id for t in self.traces if t.ticket_id]
        with self._lock:
            completed = sum(1 for c in self.completions.values() if c.ok)
        return {
            "posted": sum(1 for t in self.traces if t.post_finished), "accepted": len(ids),
            "assigned": sum(1 for i in ids if observer.first(i, "EngineerAssigned")),
            "completed": completed,
            "settled": sum(1 for i in ids if observer.first(i, "SettlementPosted")),
        }

    @property
    def posting_done(self) -> bool:
        return not any(thread.is_alive() for thread in self._posters)

    def wait(self, settle_timeout: float = 120.0, quiet_timeout: float = 30.0) -> "FlowResult":
        """Waits for posting to end, then until every accepted ticket's SettlementPosted was seen or
        ``settle_timeout`` passed since the last POST; then until the outboxes are empty (up to
        ``quiet_timeout``) and everything routed to the observer has arrived."""
        for thread in self._posters:
            thread.join()
        posted = time.monotonic()
        observer = self.driver.observer
        accepted = [t for t in self.traces if t.accepted]
        waiting = list(accepted)
        while waiting and time.monotonic() - posted < settle_timeout and observer.error is None:
            waiting = [t for t in waiting if not observer.first(t.ticket_id, "SettlementPosted")]
            if waiting:
                time.sleep(0.05)
        self.cpu.__exit__(None, None, None)
        for _ in self._completers:
            self._work.put(None)
        for thread in self._completers:
            thread.join(timeout=60)
        observer.remove_listener(self._on_event)
        quiet = self._wait_outboxes_empty(quiet_timeout)
        observer.sync()
        for trace in accepted:
            trace.completion = self.completions.get(trace.ticket_id)
            for seen in observer.events_for(trace.ticket_id):
                trace.events.setdefault(seen.type, []).append(seen)
        self.driver.history.extend(self.traces)
        return FlowResult(self.traces, self.count, self.concurrency, self.rate, self.started, posted,
                          self.cpu.as_dict(), quiet, list(observer.unreadable),
                          repr(observer.error) if observer.error else None)

    def _wait_outboxes_empty(self, timeout: float) -> bool:
        platform = self.driver.platform
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = [platform.metric(service, "outbox_pending_messages") for service in SERVICES]
            if all(value == 0 for value in pending):
                return True
            time.sleep(0.2)
        return False


@dataclass
class FlowResult:
    traces: list[TicketTrace]
    count: int
    concurrency: int
    rate: float | None
    started: float
    posting_finished: float
    cpu: dict
    outboxes_emptied: bool
    unreadable: list
    observer_error: str | None

    @property
    def accepted(self) -> list[TicketTrace]:
        return [t for t in self.traces if t.accepted]

    @property
    def rejected(self) -> list[TicketTrace]:
        return [t for t in self.traces if not t.accepted]

    @property
    def lost(self) -> list[TicketTrace]:
        """Accepted tickets with no SettlementPosted by the deadline."""
        return [t for t in self.accepted if not t.settled]

    @property
    def duplicated(self) -> list[dict]:
        """A core event seen more than once for a ticket, whether as the same envelope id again or
        as different ids (the work done twice)."""
        found = []
        for trace in self.accepted:
            for event_type in CORE_EVENTS:
                seen = trace.events.get(event_type, [])
                if len(seen) > 1:
                    ids = [s.event_id for s in seen]
                    found.append({"ticket_id": trace.ticket_id, "type": event_type, "times": len(seen),
                                  "kind": "same id" if len(set(ids)) == 1 else "different ids", "ids": ids})
        return found

    @property
    def failed_completions(self) -> list[Completion]:
        return [t.completion for t in self.accepted if t.completion is not None and not t.completion.ok]

    @property
    def ok(self) -> bool:
        return (not self.lost and not self.duplicated and not self.rejected and not self.failed_completions
                and not self.unreadable and self.observer_error is None)

    def summary(self) -> dict:
        accepted = self.accepted
        settled = [t for t in accepted if t.settled]
        settled_at = sorted(t.first("SettlementPosted").at for t in settled)
        first_post = min((t.post_started for t in self.traces if t.post_started), default=self.started)
        last_post = max((t.post_finished for t in self.traces), default=self.started)
        whole = [t.first("SettlementPosted").at - t.post_started for t in settled]
        assigned = [t.first("EngineerAssigned").at - t.post_started for t in accepted if t.first("EngineerAssigned")]
        closing = [t.first("SettlementPosted").at - t.completion.started
                   for t in settled if t.completion is not None and t.completion.started]
        duplicated = self.duplicated
        summary = {
            "tickets": self.count, "concurrency": self.concurrency, "rate_limit_per_s": self.rate,
            "accepted": len(accepted), "rejected": len(self.rejected), "settled": len(settled),
            "lost": len(self.lost), "duplicated": len(duplicated),
            "duplicated_same_id": sum(1 for d in duplicated if d["kind"] == "same id"),
            "duplicated_different_ids": sum(1 for d in duplicated if d["kind"] == "different ids"),
            "parts_short": sum(1 for t in accepted if "PartReservationFailed" in t.events),
            "failed_completions": len(self.failed_completions),
            "unreadable_messages": len(self.unreadable),
            "posted_per_s": _rate(len(accepted), last_post - first_post),
            "settled_per_s": _rate(len(settled), (settled_at[-1] - first_post) if settled_at else 0),
            "steady_settled_per_s": _steady_rate(settled_at),
            "seconds": round((settled_at[-1] if settled_at else last_post) - first_post, 2),
            "latency": {
                "behind_schedule": latency_summary([t.post_started - t.scheduled for t in self.traces
                                                    if t.scheduled is not None]),
                "post_response": latency_summary([t.post_finished - t.post_started for t in accepted]),
                "post_to_engineer_assigned": latency_summary(assigned),
                "complete_to_settlement_posted": latency_summary(closing),
                "whole": latency_summary(whole),
            },
            "cpu": self.cpu,
            "cpu_ms_per_ticket": _per_ticket(self.cpu.get("cpu_seconds_by_process", {}), len(settled)),
            "outboxes_emptied": self.outboxes_emptied,
            "ok": self.ok,
        }
        if self.lost:
            summary["lost_examples"] = [{"ticket_id": t.ticket_id, "reached": t.reached} for t in self.lost[:10]]
        if duplicated:
            summary["duplicated_examples"] = duplicated[:10]
        if self.rejected:
            summary["rejected_examples"] = [{"serial": t.serial, "status": t.status, "error": t.error}
                                            for t in self.rejected[:5]]
        if self.failed_completions:
            summary["failed_completion_examples"] = [
                {"ticket_id": c.ticket_id, "status": c.status, "error": c.error} for c in self.failed_completions[:5]]
        if self.observer_error:
            summary["observer_error"] = self.observer_error
        return summary


def _per_ticket(seconds_by_process: dict, tickets: int) -> dict:
    """CPU milliseconds each process spent per settled ticket, and their total: what a ticket costs."""
    if not tickets:
        return {}
    costs = {role: round(1000 * used / tickets, 1) for role, used in seconds_by_process.items() if used > 0}
    return {**costs, "total": round(sum(costs.values()), 1)} if costs else {}


def _rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


def _steady_rate(times: Sequence[float]) -> float | None:
    """Settlements per second between the 10th and the 90th percentile of their arrival: the rate
    once the pipeline is full, without the ramp-up and the drain at the end."""
    if len(times) < 20:
        return None
    low, high = percentile(times, 10), percentile(times, 90)
    inside = sum(1 for t in times if low < t <= high)
    return _rate(inside, high - low)
