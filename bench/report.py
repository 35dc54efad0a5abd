"""The benchmark's report: targets judged from the results, and the results as markdown."""
from __future__ import annotations

from typing import Any

TARGETS_NOTE = ("Targets are the platform's goals on a 2-core machine. Every rate is shown next to a "
                "baseline measured in the same run on the same machine and broker.")


def _get(data: dict, *path, default=None) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def targets(results: dict) -> list[dict]:
    found = []

    def add(name: str, goal: str, measured: str | None, met: bool | None) -> None:
        found.append({"name": name, "goal": goal, "measured": measured, "met": met})

    raw = _get(results, "messaging", "publish", "raw", "per_s")
    relay = _get(results, "messaging", "publish", "relay_postgresql", "per_s")
    confirmed = _get(results, "messaging", "publish", "confirm_async", "per_s")
    if raw and relay:
        ceiling = f"; {100 * relay / confirmed:.0f}% of confirmed raw publish" if confirmed else ""
        add("outbox relay throughput (PostgreSQL)", ">= 50% of raw pika publish",
            f"{relay} msg/s = {100 * relay / raw:.0f}%{ceiling}", relay >= 0.5 * raw)
    for key, label in (("postgresql", "PostgreSQL, row by row"), ("sqlite", "SQLite, row by row"),
                       ("postgresql_bulk", "PostgreSQL, set-based"), ("sqlite_bulk", "SQLite, set-based")):
        rate = _get(results, "messaging", "consume", key, "per_s")
        if rate is not None:
            add(f"consumer, inbox + one row per message ({label})", ">= 3000 msg/s", f"{rate} msg/s",
                rate >= 3000)
    fleet = results.get("reliability")
    if fleet:
        for key, label in (("weibull_cold_s", "Weibull"), ("pareto_cold_s", "failure Pareto")):
            add(f"FRACAS {label}, {fleet['units']:,} units / {fleet['incidents']:,} incidents, uncached",
                "< 2 s", f"{fleet[key]} s", fleet[key] < 2.0)
    for database, platform in (results.get("platforms") or {}).items():
        post = _get(platform, "http", "post_tickets", "16")
        if post:
            add(f"POST /api/v1/tickets, 16 clients ({database})", ">= 800 req/s",
                f"{post['per_s']} req/s", post["per_s"] >= 800)
        capacity = _get(platform, "flow_capacity")
        if capacity and capacity.get("steady_settled_per_s") is not None:
            add(f"whole flow capacity ({database})", ">= 100 tickets/s settled",
                f"{capacity['steady_settled_per_s']} tickets/s (steady)", capacity["steady_settled_per_s"] >= 100)
        paced = _get(platform, "flow_paced")
        if paced and paced.get("rate_limit_per_s"):
            p99 = _get(paced, "latency", "whole", "p99_ms")
            # Posting kept pace and every ticket settled within a second: the flow kept up.
            kept_up = (paced.get("posted_per_s") or 0) >= 0.95 * paced["rate_limit_per_s"]
            add(f"whole flow at {paced['rate_limit_per_s']:g} tickets/s offered ({database})",
                "posted at that pace, p99 POST → SettlementPosted < 1 s",
                f"posted {paced.get('posted_per_s')}/s, p99 {p99} ms",
                p99 is not None and p99 < 1000 and kept_up)
    return found


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value >= 100:
        value = round(value)
    return f"{value}{unit}"


def _pct(value, base) -> str:
    return f"{100 * value / base:.0f}%" if value and base else "–"


def _cpu(cpu: dict | None, own: str | None = None) -> str:
    if not cpu:
        return "–"
    parts = [f"machine {cpu['machine_busy_pct']}%"]
    for key, label in (("platform_cores", "platform"), ("relay_cores", "relay"), ("bench_process_cores", "bench")):
        if key in cpu:
            parts.append(f"{label} {cpu[key]}")
    if own is not None:
        parts.append(f"generator {own}")
    return ", ".join(parts)


def markdown(results: dict) -> str:
    env = results["environment"]
    lines = [
        f"# Benchmark report ({results['mode']})",
        "",
        f"- run at {results['started_at']}, {results['seconds']:.0f} s; commit {env['git_commit']}"
        f"{' (uncommitted changes)' if env.get('git_dirty') else ''}; Python {env['python']}",
        f"- machine: {env['cpus']} CPUs, load average {env['load_before']} before, {env['load_after']} after. "
        "CPU figures: `machine` is the busy share of all cores (everyone on the box), the others are cores "
        "used (1.0 = one core) by the platform's processes, the relay, this bench process and the load "
        "generator. Where `machine` exceeds what these add up to, something else was running: read the "
        "numbers as noisy.",
        "- messaging settings in force (from this environment): "
        + ", ".join(f"{k} {'n/a' if v is None else v}" for k, v in results["settings"].items()),
        "",
        "## Targets",
        "",
        TARGETS_NOTE,
        "",
        "| target | goal | measured | met |",
        "|---|---|---|---|",
    ]
    for target in results["targets"]:
        met = {True: "yes", False: "**no**", None: "–"}[target["met"]]
        lines.append(f"| {target['name']} | {target['goal']} | {target['measured']} | {met} |")

    fleet = results.get("reliability")
    if fleet:
        lines += ["", "## FRACAS at fleet scale (PostgreSQL)", "",
                  f"{fleet['units']:,} installed units, {fleet['incidents']:,} incidents (loaded in {fleet['load_s']} s). "
                  "Uncached: SQL aggregation by age plus the fit; cached: until the model's data change.", "",
                  "| request | uncached | cached |", "|---|---|---|",
                  f"| Weibull of the model | {fleet['weibull_cold_s']} s | {fleet['weibull_cached_s']} s |",
                  f"| Weibull of one part | {fleet['weibull_part_cold_s']} s | – |",
                  f"| Pareto by part | {fleet['pareto_cold_s']} s | {fleet['pareto_cached_s']} s |",
                  "", f"fit: {fleet['fit']}"]
    messaging = results.get("messaging") or {}
    publish = messaging.get("publish") or {}
    if publish:
        base = _get(publish, "raw", "per_s")
        lines += ["", "## Publishing", "", "| path | messages | msg/s | vs baseline | CPU |", "|---|---|---|---|---|"]
        for key, label in (("raw", "raw pika, no confirms (**baseline**)"),
                           ("confirm_each", "raw pika, waiting for each confirm"),
                           ("confirm_async", "raw pika, all confirms collected asynchronously "
                                             "(**the broker's ceiling for confirmed publishing**)"),
                           ("relay_postgresql", "outbox relay, PostgreSQL backlog, `relay_once()`")):
            row = publish.get(key)
            if row:
                lines.append(f"| {label} | {row['messages']} | {_fmt(row['per_s'])} | {_pct(row['per_s'], base)} "
                             f"| {_cpu(row.get('cpu'))} |")
    consume = messaging.get("consume") or {}
    if consume:
        base = _get(consume, "raw", "per_s")
        lines += ["", "## Consuming", "",
                  "Messages queued up first, then taken off by a fresh consumer; the clock includes connecting.",
                  "", "| path | messages | msg/s | vs baseline | settings | CPU |", "|---|---|---|---|---|---|"]
        for key, label in (("raw", "raw pika basic_consume + ack, no database (**baseline**)"),
                           ("postgresql", "`EventConsumer`, inbox + one row written row by row, PostgreSQL"),
                           ("sqlite", "`EventConsumer`, inbox + one row written row by row, SQLite"),
                           ("postgresql_bulk", "`EventConsumer`, inbox + one row, set-based handler, PostgreSQL"),
                           ("sqlite_bulk", "`EventConsumer`, inbox + one row, set-based handler, SQLite")):
            row = consume.get(key)
            if row:
                settings = row.get("settings") or {"prefetch": row.get("prefetch")}
                knobs = ", ".join(f"{k} {'n/a' if v is None else v}" for k, v in settings.items()
                                  if k in ("consumer_batch_size", "prefetch", "queue_type"))
                lines.append(f"| {label} | {row['messages']} | {_fmt(row['per_s'])} | {_pct(row['per_s'], base)} "
                             f"| {knobs} | {_cpu(row.get('cpu'))} |")
    latency = messaging.get("latency") or {}
    if latency:
        raw = latency.get("raw") or {}
        lines += ["", "## Relay hop latency", "",
                  f"A steady trickle of {raw.get('messages', '?')} messages at {raw.get('rate_per_s', '?')}/s, "
                  "not a burst; the relay runs in its own process (`OutboxRelay(...).run()`).", "",
                  "| path | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
        rows = [("raw pika publish → confirmed (**baseline**)", raw.get("publish_to_confirmed")),
                ("raw pika publish → delivered (**baseline**)", raw.get("publish_to_delivered"))]
        for database in ("postgresql", "sqlite"):
            relay = latency.get(f"relay_{database}") or {}
            rows += [(f"relay, {database}: commit → marked sent after confirm", relay.get("commit_to_confirmed")),
                     (f"relay, {database}: commit → delivered to a bound queue", relay.get("commit_to_delivered"))]
        for label, numbers in rows:
            if numbers:
                lines.append(f"| {label} | {_fmt(numbers['p50_ms'])} | {_fmt(numbers['p99_ms'])} "
                             f"| {_fmt(numbers['max_ms'])} |")

    platforms = results.get("platforms") or {}
    http_rows = []
    for database, platform in platforms.items():
        http = platform.get("http") or {}
        for name, label in (("healthz", "GET /healthz (**floor**)"), ("post_tickets", "POST /api/v1/tickets")):
            for clients, row in (http.get(name) or {}).items():
                http_rows.append(
                    f"| {database} | {label} | {clients} | {_fmt(row['per_s'])} | {_fmt(row['p50_ms'])} "
                    f"| {_fmt(row['p99_ms'])} | {row['non_2xx']} / {row['socket_errors'] + row['timeouts']} "
                    f"| {_cpu(row.get('cpu'), row['generator_cores'])} |")
    if http_rows:
        generator = next((p["http"]["generator"] for p in platforms.values() if p.get("http")), "?")
        seconds = next((p["http"]["seconds"] for p in platforms.values() if p.get("http")), "?")
        lines += ["", "## HTTP", "",
                  f"Intake's web server as `make run` starts it, {seconds} s per row, load from {generator}; "
                  "ticket POSTs run while the other services consume what they create (each row after the "
                  "backlog of the rows above).", "",
                  "| database | request | clients | req/s | p50 ms | p99 ms | non-2xx / socket errors | CPU (cores) |",
                  "|---|---|---|---|---|---|---|---|", *http_rows]

    flow_rows = []
    for database, platform in platforms.items():
        for key, label in (("flow_paced", "paced"), ("flow_capacity", "as fast as 16 clients post"),
                           ("flow_light", "paced below the capacity above")):
            flow = platform.get(key)
            if not flow:
                continue
            lat = flow["latency"]
            books = flow.get("books") or {}
            pace = f" at {flow['rate_limit_per_s']:g}/s" if flow.get("rate_limit_per_s") else ""
            flow_rows.append(
                f"| {database} | {label}{pace} | {flow['tickets']} × {flow['concurrency']} | {_fmt(flow['posted_per_s'])} "
                f"| {_fmt(flow['settled_per_s'])} / {_fmt(flow['steady_settled_per_s'])} "
                f"| {_pp(lat['post_to_engineer_assigned'])} | {_pp(lat['complete_to_settlement_posted'])} "
                f"| {_pp(lat['whole'])} | {flow['lost']} | {flow['duplicated']} "
                f"| {'ok' if books.get('ok') else '**' + str(len(books.get('problems', []))) + ' problems**'} "
                f"| {_cpu(flow.get('cpu'))} |")
    if flow_rows:
        lines += ["", "## Whole flow", "",
                  "Tickets posted to intake (16 in flight), each work order completed as soon as its "
                  "EngineerAssigned is on the wire, until every SettlementPosted is seen by an independent "
                  "consumer bound to `#`. Rates: posted, and settled overall / steady (10th to 90th "
                  "percentile of settlements). Latencies p50 / p99 in ms. Books: stock, work orders, "
                  "settlements and ticket status agree with the wire.", "",
                  "| database | run | tickets × clients | posted/s | settled/s overall / steady "
                  "| POST → EngineerAssigned | complete → SettlementPosted | POST → SettlementPosted "
                  "| lost | duplicated | books | CPU (cores) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|", *flow_rows]
        lines += _cost_table(platforms)
        ceilings = [f"{database} {_fmt(_get(p, 'http', 'post_tickets', '16', 'per_s'))} req/s"
                    for database, p in platforms.items() if _get(p, "http", "post_tickets", "16")]
        if ceilings:
            lines += ["", "Baseline: POST /api/v1/tickets alone with 16 clients (HTTP section), the most the flow "
                      "could settle: " + ", ".join(ceilings) + "."]

    checks = results["checks"]
    lines += ["", "## Checks", "",
              f"- lost tickets: {checks['lost']}; duplicated events: {checks['duplicated']}; "
              f"result: {'ok' if checks['ok'] else '**FAILED**'}"]
    lines += [f"- {problem}" for problem in checks["problems"]]
    for error in results.get("errors", []):
        lines.append(f"- stage `{error['stage']}` crashed: {error['error']}")
    return "\n".join(lines) + "\n"


def _cost_table(platforms: dict) -> list[str]:
    """CPU ms per settled ticket, by process, for the unpaced runs: where a ticket's cost lies."""
    costs = {database: p["flow_capacity"].get("cpu_ms_per_ticket") for database, p in platforms.items()
             if p.get("flow_capacity") and p["flow_capacity"].get("cpu_ms_per_ticket")}
    if not costs:
        return []
    roles = sorted({role for cost in costs.values() for role in cost if role != "total"},
                   key=lambda role: -max(cost.get(role, 0) for cost in costs.values()))
    rows = [f"| {role} | " + " | ".join(_fmt(cost.get(role)) for cost in costs.values()) + " |" for role in roles]
    rows.append("| **all processes** | " + " | ".join(f"**{_fmt(cost['total'])}**" for cost in costs.values()) + " |")
    return ["", "CPU per settled ticket, by process (ms; unpaced run), the PostgreSQL server's processes "
            "included where the platform uses it, and the RabbitMQ broker (which also delivers every event to "
            "this benchmark's observer). On 2 cores, 2,000 ms of CPU per second divided by the total "
            "is the most tickets/s the platform can settle.", "",
            "| process | " + " | ".join(costs) + " |", "|---|" + "---|" * len(costs), *rows]


def _pp(summary: dict) -> str:
    return f"{_fmt(summary['p50_ms'])} / {_fmt(summary['p99_ms'])}"
