"""Small measuring tools: percentiles, and CPU use of the machine, of process trees and of one child."""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict:
    """p50/p99/max in milliseconds, rounded for a report."""
    def ms(value):
        return None if value is None else round(value * 1000, 1)
    return {"count": len(seconds), "p50_ms": ms(percentile(seconds, 50)), "p99_ms": ms(percentile(seconds, 99)),
            "max_ms": ms(max(seconds) if seconds else None)}


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after its closing parenthesis.
    return text[text.rindex(")") + 2:].split()


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (not by their children)."""
    total = 0
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:
            total += int(stat[11]) + int(stat[12])  # utime, stime
    return total / CLOCK_TICKS


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _named(comm: str) -> list[int]:
    """Every process on this machine whose program is ``comm``."""
    return [int(entry.name) for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and _comm(int(entry.name)) == comm]


def postgresql_server() -> tuple[int, ...]:
    """The PostgreSQL postmaster(s) on this machine: their trees are the server's processes."""
    found = []
    for pid in _named("postgres"):
        stat = _stat(pid)
        if stat is not None and _comm(int(stat[1])) != "postgres":
            found.append(pid)
    return tuple(found)


def rabbitmq_broker() -> tuple[int, ...]:
    """The RabbitMQ broker's Erlang VM(s) on this machine."""
    return tuple(_named("beam.smp"))


def process_role(pid: int) -> str:
    """What a platform process is, from its command line: ``intake-web`` (gunicorn, master and workers
    together), ``dispatch-worker``, ``billing-consumer``, ...; else the program's name."""
    if _comm(pid) == "postgres":
        return "PostgreSQL server (all its sessions)"
    if _comm(pid) in ("beam.smp", "erl_child_setup", "inet_gethost", "epmd"):
        return "RabbitMQ broker"
    try:
        argv = [a for a in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0") if a]
    except OSError:
        return "gone"
    for arg in argv:
        if arg.endswith(".entrypoints.flask_app:create_app()"):
            return f"{arg.split('.')[0]}-web"
    if "-m" in argv and argv.index("-m") + 2 < len(argv) and argv[argv.index("-m") + 1] != "gunicorn":
        return f"{argv[argv.index('-m') + 1]}-{argv[argv.index('-m') + 2]}"
    return Path(argv[1] if len(argv) > 1 and argv[0].endswith(("python", "python3")) else argv[0]).name if argv else "?"


@dataclass
class CpuWindow:
    """CPU use over a time window: the whole machine (all users), and the process trees under ``roots``.

    The machine figure includes whatever else runs on the box; the difference to ``tree`` is noise from
    outside the measurement.
    """

    roots: tuple[int, ...] = ()
    label: str = "platform"
    #: Process trees counted by role (``cpu_seconds_by_process``) but not in the ``label`` cores: a
    #: database server the platform uses.
    beside: tuple[int, ...] = ()

    def __enter__(self) -> "CpuWindow":
        self.cpus = os.cpu_count() or 1
        self._pids = [pid for root in self.roots for pid in process_tree(root)]
        self._beside = [pid for root in self.beside for pid in process_tree(root)]
        self._wall = time.monotonic()
        self._machine = _machine_ticks()
        self._each = {pid: cpu_seconds([pid]) for pid in self._pids + self._beside}
        self._roles = {pid: process_role(pid) for pid in self._each}
        self._self = time.process_time()
        return self

    def __exit__(self, *exc_info) -> None:
        self.wall = time.monotonic() - self._wall
        busy, total = _machine_ticks()
        self.machine_busy = (busy - self._machine[0]) / max(1, total - self._machine[1])
        self.by_role: dict[str, float] = {}
        tree = 0.0
        for pid, before in self._each.items():
            used = max(cpu_seconds([pid]) - before, 0.0)  # a process gone by now reads as 0
            self.by_role[self._roles[pid]] = self.by_role.get(self._roles[pid], 0.0) + used
            tree += used if pid not in self._beside else 0.0
        self.tree_cores = tree / max(self.wall, 1e-9)
        self.self_cores = (time.process_time() - self._self) / max(self.wall, 1e-9)

    def as_dict(self) -> dict:
        """Cores used (1.0 = one core busy all the time) and the machine's busy share of all its cores."""
        shares = {"machine_busy_pct": round(100 * self.machine_busy, 1), "cpus": self.cpus}
        if self.roots:
            shares[f"{self.label}_cores"] = round(self.tree_cores, 2)
            shares["cpu_seconds_by_process"] = {role: round(used, 2) for role, used in sorted(self.by_role.items())}
        shares["bench_process_cores"] = round(self.self_cores, 2)
        return shares


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
