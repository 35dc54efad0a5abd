from datetime import datetime, timezone

from aftersales_shared.leadership import FileLeadership, Leadership
from aftersales_shared.periodic import PeriodicJob, Scheduler

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Led(Leadership):
    def __init__(self, leading=True):
        self.leading = leading

    def hold(self):
        return self.leading

    def release(self):
        pass


def test_a_due_job_runs_once_per_period_with_the_schedulers_clock():
    seen = []
    scheduler = Scheduler("svc", [PeriodicJob("tick", 3600, lambda now: seen.append(now) or 2)], Led(),
                          clock=lambda: NOW)
    assert scheduler.run_due() == {"tick": 2}
    assert scheduler.run_due() == {}  # not due again for an hour
    assert seen == [NOW]


def test_a_failing_job_is_counted_and_the_others_still_run():
    def boom(now):
        raise RuntimeError("database said no")

    ran = []
    scheduler = Scheduler("svc", [PeriodicJob("boom", 1, boom), PeriodicJob("ok", 1, lambda now: ran.append(1))],
                          Led(), clock=lambda: NOW)
    assert scheduler.run_due() == {"boom": 0, "ok": 0}
    assert ran == [1]


def test_a_process_without_leadership_runs_nothing():
    ran = []
    scheduler = Scheduler("svc", [PeriodicJob("tick", 1, lambda now: ran.append(now))], Led(leading=False))
    assert scheduler.run_due() == {}
    assert ran == []


def test_two_schedulers_on_one_sqlite_database_do_not_both_lead(tmp_path):
    lock = str(tmp_path / "svc.db.scheduler-lock")
    ran = []
    first = Scheduler("svc", [PeriodicJob("tick", 0, lambda now: ran.append("first"))], FileLeadership(lock))
    second = Scheduler("svc", [PeriodicJob("tick", 0, lambda now: ran.append("second"))], FileLeadership(lock))
    first.run_due()
    second.run_due()
    assert ran == ["first"]
    first.leadership.release()
    second.run_due()
    assert ran == ["first", "second"]
