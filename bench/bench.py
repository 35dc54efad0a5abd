"""`make bench`: one run, one report (markdown and JSON), every rate next to a same-run baseline.

    python bench/bench.py            # the full benchmark, a few minutes
    python bench/bench.py --quick    # every stage at a small scale, under a minute; part of `make test`

Stages: the messaging path (publish, relay, consume, relay hop latency), then per database the
platform started as `make run` starts it: the whole ticket flow, and HTTP load on intake.
Exit status 1 when a ticket was lost, an event duplicated, the services' books disagree with the
wire, or a stage crashed; never because something was slow.

Needs the local PostgreSQL and RabbitMQ (PG_ADMIN_URL / AMQP_URL override them). Everything it creates
(broker vhosts, databases, platform processes) is made per run and removed at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform as python_platform
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import this directory as the `bench` package, not as loose modules.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import httpload, messaging  # noqa: E402
from bench.reliability import reliability_stage  # noqa: E402
from bench.flow import FlowDriver, Sandbox, WireObserver, start_platform  # noqa: E402
from bench.measure import load_average  # noqa: E402
from bench.report import markdown, targets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/bench.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every stage at a small scale (under a minute)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench", help="report directory")
    parser.add_argument("--databases", default=None, help="platform runs, comma-separated (sqlite,postgresql)")
    parser.add_argument("--skip", default="", help="stages to leave out: messaging, flow, http, reliability")
    parser.add_argument("--fleet-units", type=int, default=None, help="installed units in the reliability stage")
    parser.add_argument("--fleet-incidents", type=int, default=None, help="incidents in the reliability stage")
    parser.add_argument("--tickets", type=int, default=None, help="tickets per whole-flow run")
    parser.add_argument("--concurrency", type=int, default=16, help="tickets in flight in the whole flow")
    parser.add_argument("--paced-rate", type=float, default=None, help="tickets/s of the paced flow run (0: none)")
    parser.add_argument("--light-load", type=float, default=None,
                        help="a last flow run paced at this fraction of the capacity just measured (0: none)")
    parser.add_argument("--http-clients", default=None, help="concurrencies of the HTTP load, e.g. 16,64")
    parser.add_argument("--http-seconds", type=float, default=None)
    parser.add_argument("--generator", choices=("wrk", "python"), default=None,
                        help="HTTP load generator (default: wrk when installed)")
    parser.add_argument("--publish", type=int, default=None, help="messages in the publish stages")
    parser.add_argument("--consume", type=int, default=None, help="messages in the consume stages")
    parser.add_argument("--latency", type=int, default=None, help="messages in the relay latency trickle")
    parser.add_argument("--latency-rate", type=float, default=100.0, help="messages/s of the trickle")
    parser.add_argument("--consumer-batch-size", type=int, default=None,
                        help="consumer batch size (where the plumbing has that setting)")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "databases": "sqlite" if quick else "sqlite,postgresql",
        "tickets": 40 if quick else 500,
        "paced_rate": 0 if quick else 100,
        "light_load": 0 if quick else 0.5,
        "http_clients": "16" if quick else "16,64",
        "http_seconds": 2 if quick else 10,
        "publish": 2000 if quick else 20000,
        "consume": 500 if quick else 10000,
        "latency": 40 if quick else 200,
        "fleet_units": 100_000 if quick else 1_000_000,
        "fleet_incidents": 5_000 if quick else 50_000,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.databases = [d for d in args.databases.split(",") if d]
    args.http_clients = tuple(int(c) for c in args.http_clients.split(",") if c)
    args.skip = {s for s in args.skip.split(",") if s}
    return args


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.run = uuid.uuid4().hex[:6]
        self.errors: list[dict] = []
        self.results: dict = {"messaging": {}, "platforms": {}}
        self.overrides = {"consumer_batch_size": args.consumer_batch_size}

    def stage(self, name: str, action, *args, **kwargs):
        """Runs one stage; a crash is recorded and the run goes on with the next stage."""
        print(f"[bench] {name} ...", flush=True)
        started = time.monotonic()
        try:
            result = action(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported, and fails the run at the end
            self.errors.append({"stage": name, "error": f"{type(exc).__name__}: {exc}"[:2000],
                                "traceback": traceback.format_exc()[-4000:]})
            print(f"[bench] {name} crashed: {type(exc).__name__}: {str(exc)[:500]}", flush=True)
            return None
        print(f"[bench] {name} done in {time.monotonic() - started:.1f}s", flush=True)
        return result

    # -- messaging ----------------------------------------------------------------------------------

    def messaging(self) -> None:
        args, out = self.args, self.results["messaging"]
        with Sandbox("postgresql", name=f"bench-msg-{self.run}", databases=("relay", "consumer", "latency")) \
                as sandbox, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            url = sandbox.amqp_url
            databases = sandbox.database_urls
            if not self.stage("declare exchanges", lambda: messaging.declare_exchanges(url) or True):
                return
            bodies = [messaging.envelope("BenchHappened", i).to_json() for i in range(args.publish)]
            publish = out["publish"] = {}
            publish["raw"] = self.stage("publish: raw pika", messaging.publish_raw, url, bodies, False)
            publish["confirm_each"] = self.stage("publish: confirm each", messaging.publish_raw, url,
                                                 bodies[: max(1, args.publish // 4)], True)
            publish["confirm_async"] = self.stage("publish: confirms collected asynchronously",
                                                  messaging.publish_raw_confirmed, url, bodies)
            publish["relay_postgresql"] = self.stage("publish: outbox relay (PostgreSQL)", messaging.relay_throughput,
                                                     url, databases["relay"], args.publish)
            consume = out["consume"] = {}
            consume["raw"] = self.stage("consume: raw pika", messaging.raw_consume, url, args.consume,
                                        **self.overrides)
            for set_based, suffix, how in ((False, "", "row by row"), (True, "_bulk", "set-based")):
                consume[f"postgresql{suffix}"] = self.stage(
                    f"consume: EventConsumer, {how} (PostgreSQL)", messaging.consumer_rate, url,
                    databases["consumer"], args.consume, "postgres", set_based, **self.overrides)
                consume[f"sqlite{suffix}"] = self.stage(
                    f"consume: EventConsumer, {how} (SQLite)", messaging.consumer_rate, url,
                    f"sqlite:///{tmp}/consumer{suffix}.db", args.consume, "sqlite", set_based, **self.overrides)
            latency = out["latency"] = {}
            latency["raw"] = self.stage("latency: raw pika", messaging.raw_publish_latency, url, args.latency,
                                        args.latency_rate)
            latency["relay_postgresql"] = self.stage("latency: relay (PostgreSQL)", messaging.relay_latency, url,
                                                     databases["latency"], "postgres", args.latency,
                                                     args.latency_rate)
            latency["relay_sqlite"] = self.stage("latency: relay (SQLite)", messaging.relay_latency, url,
                                                 f"sqlite:///{tmp}/relay.db", "sqlite", args.latency,
                                                 args.latency_rate)
        for group in out.values():
            for key in [k for k, v in group.items() if v is None]:
                del group[key]

    # -- the platform -------------------------------------------------------------------------------

    def platform(self, database: str) -> None:
        args = self.args
        out = self.results["platforms"][database] = {}
        with Sandbox(database, name=f"bench-{database[:2]}-{self.run}") as sandbox, \
                tempfile.TemporaryDirectory(prefix=f"bench-{database}-") as var:
            started = time.monotonic()
            platform = self.stage(f"{database}: start the platform", start_platform, Path(var),
                                  sandbox.amqp_url, sandbox.database_urls)
            if platform is None:
                return
            out["start_seconds"] = round(time.monotonic() - started, 1)
            try:
                if "flow" not in args.skip:
                    self.stage(f"{database}: whole flow", self.flow, platform, sandbox.amqp_url, out)
                if "http" not in args.skip:
                    out["http"] = self.stage(f"{database}: HTTP load", httpload.http_stage, platform, self.run,
                                             args.http_clients, args.http_seconds, args.generator)
            finally:
                code = platform.stop()
                if code != 0:
                    self.errors.append({"stage": f"{database}: stop the platform",
                                        "error": f"run_local.py exited {code}", "traceback": platform.log_tail()})
            if self.errors:
                out["log_tail"] = platform.log_tail(40)

    def flow(self, platform, amqp_url: str, out: dict) -> None:
        args = self.args
        with WireObserver(amqp_url) as wire:
            driver = FlowDriver(platform, wire, run_id=self.run)
            out["seed"] = {"engineers": 80, "sites": 4, "seconds": round(driver.seed(engineers=80, sites=4).seconds, 1)}
            runs = [("flow_paced", args.paced_rate)] if args.paced_rate else []
            runs.append(("flow_capacity", None))
            for key, rate in runs:
                out[key] = self._drive(driver, args.tickets, rate)
            capacity = (out.get("flow_capacity") or {}).get("steady_settled_per_s")
            if args.light_load and capacity:
                # Latency when the platform is not saturated: about 20 s at a fraction of its capacity.
                rate = round(args.light_load * capacity, 1)
                out["flow_light"] = self._drive(driver, max(40, min(args.tickets, int(20 * rate))), rate)

    def _drive(self, driver: FlowDriver, tickets: int, rate: float | None) -> dict:
        result = driver.drive(tickets, concurrency=self.args.concurrency, rate=rate,
                              settle_timeout=60 if self.args.quick else 180)
        summary = result.summary()
        summary["books"] = driver.check_books(result)
        return summary

    # -- the whole run ------------------------------------------------------------------------------

    def execute(self) -> dict:
        started_at = datetime.now(timezone.utc)
        started = time.monotonic()
        load_before = load_average()
        if "messaging" not in self.args.skip:
            self.messaging()
        for database in self.args.databases:
            if {"flow", "http"} - self.args.skip:
                self.platform(database)
        if "reliability" not in self.args.skip:
            self.results["reliability"] = self.stage(
                "fracas: Weibull and Pareto over the fleet (PostgreSQL)", reliability_stage,
                self.args.fleet_units, self.args.fleet_incidents)
        results = self.results
        results.update(
            format="aftersales-bench/1", mode="quick" if self.args.quick else "full",
            started_at=started_at.isoformat(timespec="seconds"), seconds=round(time.monotonic() - started, 1),
            environment=environment(load_before, self.args),
            settings=messaging.describe_settings(messaging.messaging_settings("amqp://", **self.overrides)),
        )
        results["targets"] = targets(results)
        results["checks"] = checks(results, self.errors)
        results["errors"] = self.errors
        return results


def checks(results: dict, errors: list[dict]) -> dict:
    lost = duplicated = 0
    problems = []
    for database, platform in results["platforms"].items():
        for key in ("flow_paced", "flow_capacity", "flow_light"):
            flow = platform.get(key)
            if not flow:
                continue
            lost += flow["lost"]
            duplicated += flow["duplicated"]
            for field in ("lost", "duplicated", "rejected", "failed_completions", "unreadable_messages"):
                if flow[field]:
                    problems.append(f"{database} {key}: {flow[field]} {field.replace('_', ' ')}")
            if not flow["books"]["ok"]:
                problems += [f"{database} {key} books: {p}" for p in flow["books"]["problems"][:10]]
            if flow.get("observer_error"):
                problems.append(f"{database} {key}: wire observer failed: {flow['observer_error']}")
    return {"lost": lost, "duplicated": duplicated, "problems": problems, "ok": not problems and not errors}


def environment(load_before: list[float], args: argparse.Namespace) -> dict:
    def git(*command: str) -> str:
        try:
            return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    return {"git_commit": git("rev-parse", "--short", "HEAD") or "unknown",
            "git_dirty": bool(git("status", "--porcelain")), "python": python_platform.python_version(),
            "cpus": os.cpu_count(), "load_before": load_before, "load_after": load_average(),
            "generator": args.generator or httpload.generator()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    results = Bench(args).execute()
    args.out.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    (args.out / "report.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (args.out / "report.md").write_text(text)
    print()
    print(text)
    print(f"[bench] report written to {args.out / 'report.md'} and {args.out / 'report.json'}")
    return 0 if results["checks"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
