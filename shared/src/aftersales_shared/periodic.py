"""Periodic jobs (SLA deadlines, follow-up milestones, due dates): one scheduler per database runs them.

A job is a plain function of the current time that finds what is due *in the database* and acts on it
in its own unit of work, marking what it did (a deadline's ``breached_at``, a milestone's
``fired_at``) with a conditional update. So a job is safe to run again, after a restart or late: it
catches up on whatever fell due meanwhile, and never acts twice on the same thing.

Only the process holding the scheduler's leadership (a PostgreSQL advisory lock, or a file lock
beside a SQLite database) runs jobs, so two worker processes do not race each other; the conditional
update keeps even a paused-and-resumed former leader from firing twice.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from prometheus_client import Counter
from sqlalchemy import Engine

from .leadership import Leadership, leadership_for
from .timeutil import utcnow

log = logging.getLogger(__name__)

JOB_RUNS = Counter("periodic_job_runs_total", "Periodic job runs by outcome", ["service", "job", "outcome"])
JOB_ACTIONS = Counter("periodic_job_actions_total", "Things a periodic job acted on (deadlines fired, ...)",
                      ["service", "job"])


@dataclass(frozen=True)
class PeriodicJob:
    """``run(now)`` acts on whatever is due at ``now`` and returns how many things it acted on."""

    name: str
    every_seconds: float
    run: Callable[[datetime], int | None]


class Scheduler:
    def __init__(self, service: str, jobs: Iterable[PeriodicJob], leadership: Leadership,
                 clock: Callable[[], datetime] = utcnow, tick_seconds: float = 1.0):
        self.service = service
        self.jobs = tuple(jobs)
        self.leadership = leadership
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.stopping = threading.Event()
        self._next_due: dict[str, float] = {}

    @classmethod
    def for_engine(cls, service: str, engine: Engine, jobs: Iterable[PeriodicJob], **kwargs) -> "Scheduler":
        return cls(service, jobs, leadership_for(engine, "scheduler"), **kwargs)

    def run_job(self, job: PeriodicJob, now: datetime | None = None) -> int:
        """Runs one job now; a failure is logged and counted, never raised: the next round retries."""
        try:
            acted = job.run(now or self.clock()) or 0
        except Exception:  # noqa: BLE001 - one failing job must not stop the others or the process
            log.exception("periodic job %s failed; it runs again next round", job.name)
            JOB_RUNS.labels(self.service, job.name, "failed").inc()
            return 0
        JOB_RUNS.labels(self.service, job.name, "ok").inc()
        if acted:
            JOB_ACTIONS.labels(self.service, job.name).inc(acted)
            log.info("periodic job %s acted on %d", job.name, acted)
        return acted

    def run_due(self) -> dict[str, int]:
        """Runs the jobs whose period has passed, if this process leads; returns what each acted on."""
        try:
            leading = self.leadership.hold()
        except Exception as exc:  # noqa: BLE001 - database unreachable: not leading, try again later
            log.warning("scheduler leadership unavailable: %s", type(exc).__name__)
            leading = False
        if not leading:
            return {}
        done = {}
        for job in self.jobs:
            if time.monotonic() >= self._next_due.get(job.name, 0.0):
                done[job.name] = self.run_job(job)
                self._next_due[job.name] = time.monotonic() + job.every_seconds
        return done

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.run_due()
                self.stopping.wait(self.tick_seconds)
        finally:
            self.leadership.release()

    def stop(self) -> None:
        self.stopping.set()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name=f"{self.service}-scheduler", daemon=True)
        thread.start()
        return thread
