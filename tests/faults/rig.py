"""The platform under fault: started as `make run` starts it, in a sandbox of its own, with levers.

- every service reaches the broker through one TCP proxy (cut it: a broker outage for the services
  only; the wire observer and the checks connect straight to the broker);
- one service (``DB_FAULT_SERVICE``) reaches its PostgreSQL database through another proxy;
- processes run split (web, consumer, relay per service) so each can be killed on its own;
- retries are quick, so anything wrongly counted as the message's fault would be parked within seconds.

``Rig.books()`` is the audit every scenario ends with: what the wire, the services' records and the
broker's queues say about the tickets driven so far.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aftersales_shared.testing.amqp import connect  # noqa: E402
from aftersales_shared.testing.tcpproxy import TcpProxy  # noqa: E402
from bench.flow import CORE_EVENTS, FlowDriver, FlowResult, Sandbox, WireObserver, start_platform  # noqa: E402
from bench.launch import SERVICES  # noqa: E402

DB_FAULT_SERVICE = "billing"  # on the flow's critical path: settlements wait for it
POISON_SERVICE = "inventory"
UNROUTABLE_QUEUE = "aftersales.unroutable"
#: Events of the flow that always have a consumer: one of these in the unroutable queue is a loss.
FLOW_EVENTS = (*CORE_EVENTS, "PartReservationFailed")
PLATFORM_ENV = {
    "WEB_WORKERS": "1",
    "INTAKE_WEB_WORKERS": "2",  # one can be killed while the other serves
    "LOG_LEVEL": "WARNING",
    "LOG_FORMAT": "text",
    "RETRY_DELAYS_MS": "100,200,400",
    "MAX_ATTEMPTS": "4",
    "RELAY_IDLE_SECONDS": "0.2",
    "RELAY_MAX_BACKOFF_SECONDS": "1",
    "DEPENDENCY_MAX_BACKOFF_SECONDS": "1",
}


def wait_until(condition, timeout: float, message: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(message)
        time.sleep(interval)


@dataclass
class Row:
    """One line of the report."""
    scenario: str
    tickets: int
    lost: int = 0
    duplicated: int = 0
    parked: int = 0
    converge_seconds: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    expected_parked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.lost == 0 and self.duplicated == 0 and self.parked == self.expected_parked

    def as_dict(self) -> dict:
        return {"scenario": self.scenario, "tickets": self.tickets, "lost": self.lost, "duplicated": self.duplicated,
                "parked": self.parked, "converge_seconds": self.converge_seconds, "ok": self.ok,
                "problems": self.problems, "notes": self.notes}


class Rig:
    def __init__(self, var_dir: Path, engineers: int = 40, sites: int = 4, process_model: str = "split", log=print):
        """``process_model`` as `make run` takes it: "split" (a consumer and a relay process per service)
        or "worker" (both in one process, fewer processes: what the short form uses)."""
        self.var_dir = Path(var_dir)
        self.process_model = process_model
        self.engineers, self.sites = engineers, sites
        self.log = log
        self.sandbox: Sandbox | None = None
        self.runner_stopped = False

    # -- life -----------------------------------------------------------------------------------------

    def __enter__(self) -> "Rig":
        started = time.monotonic()
        self.sandbox = Sandbox("postgresql", name=f"faults-{uuid.uuid4().hex[:8]}").__enter__()
        try:
            broker = urlsplit(self.sandbox.amqp_url)
            self.amqp_proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
            url = self.sandbox.database_urls[DB_FAULT_SERVICE]
            database = urlsplit(url)
            self.db_proxy = TcpProxy(database.hostname or "127.0.0.1", database.port or 5432)
            database_urls = {**self.sandbox.database_urls, DB_FAULT_SERVICE: self.db_proxy.url_for(url)}
            self.platform = start_platform(self.var_dir, self.amqp_proxy.url_for(self.sandbox.amqp_url),
                                           database_urls, env={**PLATFORM_ENV, "PROCESS_MODEL": self.process_model})
            self.observer = WireObserver(self.sandbox.amqp_url, binding_keys=[f"{t}.#" for t in FLOW_EVENTS])
            self.driver = FlowDriver(self.platform, self.observer)
            self.driver.seed(engineers=self.engineers, sites=self.sites)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.log(f"platform up in {time.monotonic() - started:.1f}s (vhost {self.sandbox.vhost})")
        return self

    def __exit__(self, *exc_info) -> None:
        if self.runner_stopped:
            self.resume_runner()
        for name in ("observer", "platform", "amqp_proxy", "db_proxy"):
            thing = getattr(self, name, None)
            if thing is None:
                continue
            try:
                if name == "platform":
                    code = thing.stop()
                    if code != 0:
                        self.log(f"platform exited with {code}:\n{thing.log_tail(30)}")
                else:
                    thing.close()
            except Exception as exc:  # noqa: BLE001 - tear everything down whatever one part does
                self.log(f"closing {name}: {exc!r}")
        if self.sandbox is not None:
            self.sandbox.__exit__(None, None, None)

    # -- traffic --------------------------------------------------------------------------------------

    def start(self, count: int, concurrency: int):
        """The driver's run, remembered so a scenario that breaks off still has its tickets booked."""
        run = self.driver.start(count, concurrency)
        self._runs = [*getattr(self, "_runs", []), run]
        return run

    def collect_abandoned(self, settle_timeout: float) -> None:
        """Waits for the runs a crashed scenario left behind, so the next scenario's books include them."""
        booked = {id(trace) for trace in self.driver.history}
        for run in getattr(self, "_runs", []):
            if run.traces and id(run.traces[0]) not in booked:
                run.wait(settle_timeout=settle_timeout)
        self._runs = []

    # -- levers ---------------------------------------------------------------------------------------

    def process_name(self, service: str, role: str) -> str:
        """The process doing ``role`` (consumer, relay) for ``service`` under this process model."""
        return f"{service}-{role}" if self.process_model == "split" else f"{service}-worker"

    def kill(self, name: str, signum: int = signal.SIGKILL) -> int:
        """Signals the platform's process ``name`` (``billing-consumer``, ``intake-relay``, ...)."""
        pid = wait_until(lambda: self.platform.processes().get(name), 30, f"no process {name}")
        os.kill(pid, signum)
        return pid

    def wait_running(self, name: str, not_pid: int | None = None, timeout: float = 30) -> int:
        """The pid of ``name`` once it runs again (a pid other than ``not_pid``)."""
        return wait_until(lambda: (lambda pid: pid if pid and pid != not_pid else None)(
            self.platform.processes().get(name)), timeout, f"{name} did not come back")

    def web_workers(self, service: str) -> list[int]:
        master = self.platform.processes().get(f"{service}-web")
        if master is None:
            return []
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def stop_runner(self) -> None:
        """Pauses `make run`'s runner itself, so it restarts nothing until ``resume_runner()``."""
        os.kill(self.platform.pid, signal.SIGSTOP)
        self.runner_stopped = True

    def resume_runner(self) -> None:
        os.kill(self.platform.pid, signal.SIGCONT)
        self.runner_stopped = False

    def service_command(self, service: str, *args: str) -> subprocess.CompletedProcess:
        """``python -m <service> ...`` as an operator would run it against this platform."""
        env = dict(os.environ, **PLATFORM_ENV, AMQP_URL=self.sandbox.amqp_url,
                   DATABASE_URL=self.sandbox.database_urls[service])
        return subprocess.run([sys.executable, "-m", service, *args], env=env, capture_output=True, text=True,
                              timeout=120, cwd=ROOT)

    def sql(self, service: str, statement: str, params=None) -> list[tuple]:
        """Runs ``statement`` on ``service``'s database directly (not through any proxy); its rows."""
        import psycopg2
        from sqlalchemy.engine import make_url

        url = make_url(self.sandbox.database_urls[service])
        connection = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username,
                                      password=url.password, dbname=url.database)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def ledger_problems(self) -> list[str]:
        """inventory's own tables against each other and against the wire, per seeded site: stock on
        hand is what was received less one part per completed repair, stock reserved is what the held
        reservations hold, and there is one reservation and one completion per ticket."""
        seed, problems = self.driver.seed_data, []
        tickets = [t for t in self.driver.history if t.accepted]
        for site in seed.sites:
            [(on_hand, reserved, received, held, completions, reservations)] = self.sql("inventory", """
                SELECT (SELECT on_hand FROM stock_levels WHERE site = %(site)s AND part_no = %(part)s),
                       (SELECT reserved FROM stock_levels WHERE site = %(site)s AND part_no = %(part)s),
                       (SELECT coalesce(sum(qty), 0) FROM stock_receipts WHERE site = %(site)s AND part_no = %(part)s),
                       (SELECT coalesce(sum(l.qty), 0) FROM reservation_lines l
                          JOIN reservations r ON r.id = l.reservation_id
                         WHERE r.status = 'held' AND l.from_site = %(site)s AND l.part_no = %(part)s),
                       (SELECT count(*) FROM ticket_completions WHERE site = %(site)s),
                       (SELECT count(*) FROM reservations WHERE site = %(site)s)""",
                {"site": site, "part": seed.part_no})
            here = [t for t in tickets if t.site == site]
            repaired = sum(1 for t in here if "RepairCompleted" in t.events)
            if on_hand != received - completions or reserved != held:
                problems.append(f"ledger at {site}: on hand {on_hand}, reserved {reserved}; received {received}, "
                                f"{completions} repairs, {held} held")
            if (completions, reservations) != (repaired, len(here)):
                problems.append(f"ledger at {site}: {completions} completions and {reservations} reservations for "
                                f"{repaired} repairs of {len(here)} tickets")
        return problems

    # -- the books ------------------------------------------------------------------------------------

    def queue_depths(self) -> dict[str, int]:
        """Messages (ready and unacknowledged) in each of the run's queues."""
        connection = connect(self.sandbox.amqp_url)
        depths = {}
        try:
            for name in [UNROUTABLE_QUEUE, *(f"{s}.events{suffix}" for s in SERVICES for suffix in ("", ".dlq"))]:
                channel = connection.channel()
                try:
                    depths[name] = channel.queue_declare(name, passive=True).method.message_count
                except Exception:  # noqa: BLE001 - a queue that does not exist holds nothing
                    connection = connect(self.sandbox.amqp_url) if connection.is_closed else connection
                    depths[name] = 0
                else:
                    channel.close()
        finally:
            if connection.is_open:
                connection.close()
        return depths

    def unroutable_types(self) -> Counter:
        """The types of what sits in the unroutable queue; it stays there (nothing is acked)."""
        connection = connect(self.sandbox.amqp_url)
        found: Counter = Counter()
        try:
            channel = connection.channel()
            depth = channel.queue_declare(UNROUTABLE_QUEUE, passive=True).method.message_count
            for _ in range(depth):
                method, properties, _body = channel.basic_get(UNROUTABLE_QUEUE, auto_ack=False)
                if method is None:
                    break
                found[properties.type or "?"] += 1
        finally:
            connection.close()
        return found

    def parked(self) -> int:
        return sum(depth for name, depth in self.queue_depths().items() if name.endswith(".dlq"))

    def audit(self, row: Row, result: FlowResult, fault_cleared: float, expected_parked: int = 0,
              books_timeout: float = 120.0) -> Row:
        """Fills ``row`` from the run's result, the services' books and the broker's queues."""
        accepted = result.accepted
        row.lost = len(result.lost) + len(result.rejected)
        different = [d for d in result.duplicated if d["kind"] == "different ids"]
        same = [d for d in result.duplicated if d["kind"] == "same id"]
        row.duplicated = len(different) + self._duplicate_tickets(result)
        if same:
            row.notes.append(f"{sum(d['times'] - 1 for d in same)} redeliveries of the same event on the wire")
        if result.rejected:
            row.problems.append(f"{len(result.rejected)} tickets refused: {result.rejected[0].error}")
        if result.failed_completions:
            row.problems.append(f"{len(result.failed_completions)} completions failed: "
                                f"{result.failed_completions[0].error}")
        if result.lost:
            row.problems.append("not settled: " + ", ".join(f"{t.ticket_id} ({t.reached})" for t in result.lost[:5]))
        if result.observer_error:
            row.problems.append(f"wire observer: {result.observer_error}")
        # Converged: the last settlement is on the wire and the stock and work-order books balance.
        self.driver.check_books(result, timeout=books_timeout, per_ticket=False)
        balanced = time.monotonic()
        books = self.driver.check_books(result, timeout=books_timeout)
        row.problems += self.ledger_problems()
        settled_twice = [p for p in books["problems"] if "settlements in billing" in p]
        row.duplicated += len(settled_twice)
        row.problems += books["problems"][:10]
        depths = self.queue_depths()
        row.parked = sum(depth for name, depth in depths.items() if name.endswith(".dlq"))
        row.expected_parked = expected_parked
        if depths[UNROUTABLE_QUEUE]:
            types = self.unroutable_types()
            lost_there = sum(count for kind, count in types.items() if kind in FLOW_EVENTS)
            row.parked += lost_there
            row.notes.append(f"unroutable: {dict(types)}")
        settled_at = [t.first("SettlementPosted").at for t in accepted if t.settled]
        row.converge_seconds = round(max(0.0, max([balanced, *settled_at]) - fault_cleared), 1)
        return row

    def _duplicate_tickets(self, result: FlowResult) -> int:
        """Tickets created twice for one request (one serial): what a retry without idempotency does."""
        serials = {t.serial for t in result.traces}
        seen: dict[str, set[str]] = {}
        for trace in result.traces:
            for event in trace.events.get("TicketCreated", []):
                seen.setdefault(trace.serial, set()).add(event.ticket_id)
        observer = self.observer
        with observer._lock:  # every TicketCreated on the wire, also those no trace knows of
            for ticket_id, events in observer._by_ticket.items():
                for event in events:
                    serial = (event.data.get("product") or {}).get("serial")
                    if event.type == "TicketCreated" and serial in serials:
                        seen.setdefault(serial, set()).add(ticket_id)
        return sum(len(ids) - 1 for ids in seen.values() if len(ids) > 1)


def table(rows: list[Row]) -> str:
    lines = ["| scenario | tickets | lost | duplicated | parked | time to converge | result |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        converge = "-" if row.converge_seconds is None else f"{row.converge_seconds:.1f} s"
        parked = f"{row.parked}" + (f" (expected {row.expected_parked}, replayed)" if row.expected_parked else "")
        lines.append(f"| {row.scenario} | {row.tickets} | {row.lost} | {row.duplicated} | {parked} | {converge} | "
                     f"{'ok' if row.ok else 'FAILED'} |")
    return "\n".join(lines)


def details(rows: list[Row]) -> str:
    out = []
    for row in rows:
        if row.notes or row.problems:
            out.append(f"- **{row.scenario}**: " + "; ".join(row.notes + [f"PROBLEM: {p}" for p in row.problems]))
    return "\n".join(out)


def dump(rows: list[Row]) -> str:
    return json.dumps([row.as_dict() for row in rows], indent=2)
