"""HTTP load against a running platform: wrk when it is installed (a C load generator, so the numbers
are the server's), else a Python generator on keep-alive connections. Either way the generator's own
CPU use is reported next to the platform's, so a reader can tell who was the bottleneck."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .launch import Platform
from .measure import CpuWindow, latency_summary

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def ticket_body(site: str, serial: str, purchase_date: str) -> dict:
    return {
        "channel": "hotline", "service_type": "onsite", "priority": "P2", "site": site, "region": "east",
        "customer": {"name": "Li Lei", "phone": "13800000000", "address": "88 Nanjing Road"},
        "product": {"model": "WM-700", "serial": serial, "category": "washing_machine",
                    "purchase_date": purchase_date, "batch": "B2026-03"},
        "fault": {"symptom_code": "E21", "description": "Drum does not spin", "first_open_failure": False},
        "parts": [{"part_no": "PCB-100", "qty": 1}],
    }


def run_wrk(url: str, connections: int, seconds: float, post_tickets: dict | None = None) -> dict:
    """``post_tickets``: {"run": ..., "sites": [...], "purchase_date": ...} makes every request a new ticket."""
    env = dict(os.environ)
    if post_tickets:
        env.update(BENCH_POST_TICKETS="1", BENCH_RUN=post_tickets["run"], BENCH_SITES=",".join(post_tickets["sites"]),
                   BENCH_PURCHASE_DATE=post_tickets["purchase_date"])
    threads = max(1, min(connections, os.cpu_count() or 1))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
               "-s", str(WRK_SCRIPT), url]
    with tempfile.TemporaryFile("w+") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        output = out.read()
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed (exit {process.returncode}): {output[-2000:]}")
    numbers = json.loads(lines[-1])
    seconds_run = numbers["duration_us"] / 1e6
    errors = numbers["errors"]
    latency = numbers["latency_us"]
    return {
        "generator": "wrk", "connections": connections, "threads": threads, "requests": numbers["requests"],
        "per_s": round(numbers["requests"] / seconds_run, 1),
        "p50_ms": round(latency["p50"] / 1000, 1), "p99_ms": round(latency["p99"] / 1000, 1),
        "max_ms": round(latency["max"] / 1000, 1),
        "non_2xx": errors["status"], "socket_errors": errors["connect"] + errors["read"] + errors["write"],
        "timeouts": errors["timeout"],
        "generator_cores": round((usage.ru_utime + usage.ru_stime) / wall, 2),
    }


def run_python(url: str, connections: int, seconds: float, post_tickets: dict | None = None) -> dict:
    """A closed loop per connection (one thread each), HTTP/1.1 keep-alive where the server allows it."""
    parts = urlsplit(url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(1, 1 << 62))
    deadline = time.monotonic() + seconds

    def loop(thread_no: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, my_statuses, my_errors = [], {}, 0
        while time.monotonic() < deadline:
            if post_tickets:
                n = next(counter)
                site = post_tickets["sites"][n % len(post_tickets["sites"])]
                body = json.dumps(ticket_body(site, f"SN-{post_tickets['run']}-{thread_no}-{n}",
                                              post_tickets["purchase_date"]))
                method, headers = "POST", {"Content-Type": "application/json"}
            else:
                body, method, headers = None, "GET", {}
            started = time.perf_counter()
            try:
                connection.request(method, parts.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                my_errors += 1
                connection.close()
                continue
            mine.append(time.perf_counter() - started)
            my_statuses[response.status] = my_statuses.get(response.status, 0) + 1
            if response.will_close:
                connection.close()
        connection.close()
        with lock:
            latencies.extend(mine)
            for status, count in my_statuses.items():
                statuses[status] = statuses.get(status, 0) + count
            errors[0] += my_errors

    started_cpu, started = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    summary = latency_summary(latencies)
    return {
        "generator": "python", "connections": connections, "threads": connections, "requests": len(latencies),
        "per_s": round(len(latencies) / wall, 1), "p50_ms": summary["p50_ms"], "p99_ms": summary["p99_ms"],
        "max_ms": summary["max_ms"],
        "non_2xx": sum(count for status, count in statuses.items() if not 200 <= status < 300),
        "socket_errors": errors[0], "timeouts": 0,
        "generator_cores": round((time.process_time() - started_cpu) / wall, 2),
    }


def http_stage(platform: Platform, run: str, concurrencies=(16, 64), seconds: float = 10.0,
               use: str | None = None) -> dict:
    """GET /healthz (the floor of the web stack) at each concurrency, then POST /api/v1/tickets at each,
    on the same intake server while the other services consume the tickets it creates."""
    use = use or generator()
    load = run_wrk if use == "wrk" else run_python
    tickets = {"run": run, "sites": [f"H{run}-{n}" for n in range(1, 5)],
               "purchase_date": (date.today() - timedelta(days=90)).isoformat()}
    results: dict = {"generator": use, "seconds": seconds, "healthz": {}, "post_tickets": {}}
    for name, path, body in (("healthz", "/healthz", None), ("post_tickets", "/api/v1/tickets", tickets)):
        for connections in concurrencies:
            with CpuWindow((platform.pid,)) as cpu:
                numbers = load(platform.url("intake", path), connections, seconds, body)
            numbers["cpu"] = cpu.as_dict()
            results[name][str(connections)] = numbers
    return results
