"""Dispatch's assignment at scale: 10,000 engineers and 5,000 open work orders, then new tickets assigned.

    python bench/dispatch_assignment.py                 # PostgreSQL (a database made and dropped per run)
    python bench/dispatch_assignment.py --database sqlite
    python bench/dispatch_assignment.py --engineers 10000 --open 5000 --tickets 500

Each new ticket goes through dispatch's real TicketCreated handler (site lock, indexed candidate query,
fix history, the conditional load update, the work order with its transitions and SLA clocks), one
transaction each. Reports assignments per second and the latency of one assignment, and on PostgreSQL the
plan of the candidate query (it must come from the skill index, not a scan of every engineer). Writes
var/bench/dispatch_assignment.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade
from aftersales_shared.testing import events
from aftersales_shared.testing.postgres import create_database, drop_database

from dispatch.adapters.repository import _row
from dispatch.adapters.tables import engineer_fixes, engineer_skills, engineers, work_orders
from dispatch.bootstrap import MIGRATIONS, bootstrap
from dispatch.config import Settings
from dispatch.domain.work_orders import ASSIGNED, Product, Sla, WorkOrder

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = [f"category-{n}" for n in range(12)]
SYMPTOMS = [f"SYM-{n}" for n in range(40)]
REGIONS = ["north", "east", "south", "west"]
START = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/dispatch_assignment.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--engineers", type=int, default=10_000)
    parser.add_argument("--open", type=int, default=5_000, help="open work orders before the measurement")
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=500, help="new tickets assigned in the measurement")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def _site(n: int) -> tuple[str, str]:
    return f"S-{n:04d}", REGIONS[n % len(REGIONS)]


def populate(engine, args, rng: random.Random) -> None:
    people, skills, fixes = [], [], []
    for n in range(args.engineers):
        site, region = _site(n % args.sites)
        engineer_id = f"E-{n:05d}"
        own = rng.sample(CATEGORIES, rng.randint(1, 3))
        status = rng.choices(["available", "busy", "off"], [80, 10, 10])[0]
        people.append({"engineer_id": engineer_id, "name": engineer_id, "site": site, "region": region,
                       "skills": own, "available": status == "available", "status": status, "load": 0,
                       "registered_at": START})
        skills += [{"engineer_id": engineer_id, "skill": s, "site": site, "region": region} for s in own]
        fixes += [{"engineer_id": engineer_id, "symptom_code": s, "fixes": rng.randint(1, 6)}
                  for s in rng.sample(SYMPTOMS, rng.randint(0, 4))]
    loads: dict[str, int] = {}
    orders = []
    for n in range(args.open):
        engineer = people[rng.randrange(len(people))]
        loads[engineer["engineer_id"]] = loads.get(engineer["engineer_id"], 0) + 1
        orders.append(_row(WorkOrder(
            id=str(uuid.uuid4()), ticket_id=f"OPEN-{n}", site=engineer["site"], region=engineer["region"],
            service_type="onsite", priority="P2", product=Product("M-1", f"SN-{n}", engineer["skills"][0]),
            warranty_status="in_warranty", sla=Sla(START + timedelta(hours=4), START + timedelta(hours=24)),
            ticket_created_at=START, created_at=START, status=ASSIGNED, engineer_id=engineer["engineer_id"],
            dispatched_at=START, assigned_at=START, accepted_at=START, symptom_code=rng.choice(SYMPTOMS))))
    for person in people:
        person["load"] = loads.get(person["engineer_id"], 0)
    with engine.begin() as connection:
        for table, rows in ((engineers, people), (engineer_skills, skills), (engineer_fixes, fixes),
                            (work_orders, orders)):
            for chunk in range(0, len(rows), 2000):
                connection.execute(insert(table), rows[chunk:chunk + 2000])
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))


def candidate_plan(engine) -> list[str]:
    if engine.dialect.name != "postgresql":
        return []
    query = text(
        "EXPLAIN SELECT e.* FROM engineer_skills s JOIN engineers e ON e.engineer_id = s.engineer_id "
        "WHERE s.skill = :skill AND s.site = :site AND e.status = 'available' AND e.load < 8 "
        "ORDER BY e.load, e.engineer_id LIMIT 50")
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(query, {"skill": CATEGORIES[0], "site": "S-0001"})]


def _percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"p50": round(statistics.median(samples), 2), "p95": round(samples[int(0.95 * (len(samples) - 1))], 2),
            "max": round(samples[-1], 2)}


def baseline(engine, rounds: int = 100) -> dict:
    """The same-run cost of one trivial statement: what every figure here is made of, on this machine now."""
    samples = []
    with engine.connect() as connection:
        for _ in range(rounds):
            started = time.perf_counter()
            connection.execute(text("SELECT 1")).scalar()
            samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


def decisions(dispatch, args, rng: random.Random, rounds: int = 200) -> dict:
    """Only the choice: the indexed candidate query, the fix history of those candidates and the scoring."""
    from dispatch.domain.engineers import choose
    from dispatch.domain.sla import ALWAYS_OPEN

    samples, candidates_seen = [], []
    now = START
    for _ in range(rounds):
        site, region = _site(rng.randrange(args.sites))
        work_order = WorkOrder(
            id="probe", ticket_id="probe", site=site, region=region, service_type="onsite", priority="P2",
            product=Product("M-1", "SN", rng.choice(CATEGORIES)), warranty_status="in_warranty",
            sla=Sla(now, now), ticket_created_at=now, created_at=now, symptom_code=rng.choice(SYMPTOMS))
        started = time.perf_counter()
        with dispatch.uow_factory() as uow:
            found = uow.engineers.candidates(work_order.product.category, site=site)
            fixes = uow.engineers.fixes(work_order.symptom_code, [e.engineer_id for e in found])
            choose(work_order, found, fixes, now, ALWAYS_OPEN.zone)
        samples.append((time.perf_counter() - started) * 1000)
        candidates_seen.append(len(found))
    return {**_percentiles(samples), "candidates_per_query": round(statistics.mean(candidates_seen), 1)}


def measure(dispatch, args, rng: random.Random) -> dict:
    latencies, assigned = [], 0
    began = time.perf_counter()
    for n in range(args.tickets):
        site, region = _site(rng.randrange(args.sites))
        ticket = events.ticket_created(
            created_at=START + timedelta(minutes=n), site=site, region=region, parts=[],
            product={"category": rng.choice(CATEGORIES)}, fault={"symptom_code": rng.choice(SYMPTOMS)})
        started = time.perf_counter()
        assert dispatch.runtime.bus.handle(ticket) is True
        latencies.append((time.perf_counter() - started) * 1000)
    elapsed = time.perf_counter() - began
    with dispatch.runtime.engine.connect() as connection:
        assigned = connection.execute(text(
            "SELECT count(*) FROM work_orders WHERE ticket_id NOT LIKE 'OPEN-%' AND engineer_id IS NOT NULL")).scalar()
    return {"tickets": args.tickets, "assigned": assigned, "seconds": round(elapsed, 3),
            "assignments_per_second": round(args.tickets / elapsed, 1), "latency_ms": _percentiles(latencies),
            "decision_ms": decisions(dispatch, args, rng), "select_1_ms": baseline(dispatch.runtime.engine)}


def markdown(result: dict) -> str:
    lines = [
        "## Dispatch assignment at scale",
        "",
        f"{result['engineers']} engineers at {result['sites']} sites, {result['open']} open work orders, "
        f"{result['database']}; {result['tickets']} new tickets, each assigned in its own transaction by the "
        "TicketCreated handler.",
        "",
        "| assignments/s | p50 ms | p95 ms | max ms | assigned |",
        "|---|---|---|---|---|",
        f"| {result['assignments_per_second']} | {result['latency_ms']['p50']} | {result['latency_ms']['p95']} | "
        f"{result['latency_ms']['max']} | {result['assigned']}/{result['tickets']} |",
        "",
        f"The choice alone (indexed candidate query, their fix history, scoring; read-only): p50 "
        f"{result['decision_ms']['p50']} ms, p95 {result['decision_ms']['p95']} ms, "
        f"{result['decision_ms']['candidates_per_query']} candidates per query out of {result['engineers']} engineers. "
        f"Same-run baseline, one `SELECT 1`: p50 {result['select_1_ms']['p50']} ms, p95 {result['select_1_ms']['p95']} ms.",
    ]
    if result["candidate_plan"]:
        lines += ["", "Candidate query plan (PostgreSQL):", "", "```", *result["candidate_plan"], "```"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rng = random.Random(args.seed)
    name = f"as_bench_dispatch_{uuid.uuid4().hex[:8]}"
    scratch = tempfile.TemporaryDirectory()
    url = create_database(name) if args.database == "postgresql" else f"sqlite:///{scratch.name}/dispatch.db"
    try:
        engine = make_engine(url)
        upgrade(MIGRATIONS, engine)
        loaded = time.perf_counter()
        populate(engine, args, rng)
        load_seconds = time.perf_counter() - loaded
        engine.dispose()
        dispatch = bootstrap(Settings(database_url=url))
        try:
            result = {"database": args.database, "engineers": args.engineers, "sites": args.sites,
                      "open": args.open, "load_seconds": round(load_seconds, 1),
                      **measure(dispatch, args, rng), "candidate_plan": candidate_plan(dispatch.runtime.engine)}
        finally:
            dispatch.runtime.dispose()
    finally:
        if args.database == "postgresql":
            drop_database(name)
        scratch.cleanup()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dispatch_assignment.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "dispatch_assignment.md").write_text(markdown(result))
    print(markdown(result))
    scans = [line for line in result["candidate_plan"] if "Seq Scan on engineers" in line]
    return 1 if scans else 0


if __name__ == "__main__":
    sys.exit(main())
