"""`make faults`: every fault scenario at full scale on one sandboxed platform; a table of the books.

    python tests/faults/run_faults.py                    # 1,000 tickets per scenario, a database cut of 60 s
    python tests/faults/run_faults.py --short            # the scale `make test` runs
    python tests/faults/run_faults.py --only 1,4 --tickets 200

Writes var/faults/report.md and report.json; exit status 1 when any scenario lost, duplicated or
parked something it should not have, or its books do not balance.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)

from tests.faults.rig import Rig, Row, details, dump, table  # noqa: E402
from tests.faults.scenarios import ALL, Scale  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_faults.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="small ticket counts and short outages")
    parser.add_argument("--tickets", type=int, default=None, help="tickets per scenario")
    parser.add_argument("--only", default="", help="scenario numbers, comma-separated")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "faults")
    args = parser.parse_args(argv)
    scale = Scale.short() if args.short else Scale.full()
    if args.tickets:
        scale = Scale(**{**scale.__dict__, "tickets": args.tickets})
    chosen = [ALL[int(n) - 1] for n in args.only.split(",") if n] or list(ALL)
    rows: list[Row] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp, \
            Rig(Path(tmp), process_model=scale.process_model, log=_log) as rig:
        for scenario in chosen:
            _log(f"{scenario.__name__}: {scale.tickets} tickets")
            began = time.monotonic()
            try:
                row = scenario(rig, scale)
            except Exception as exc:  # noqa: BLE001 - a crashed scenario is a failed row; the rest still run
                row = Row(scenario.__name__, scale.tickets, problems=[f"crashed: {exc!r}"])
                traceback.print_exc()
                rig.collect_abandoned(scale.settle_timeout)
            _log(f"{scenario.__name__}: {'ok' if row.ok else 'FAILED'} in {time.monotonic() - began:.0f}s "
                 f"{row.problems[:3]}")
            rows.append(row)
        closing = time.monotonic()
    _log(f"platform stopped and sandbox removed in {time.monotonic() - closing:.0f}s")
    report = "\n\n".join([
        f"# Fault suite, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"{scale.tickets} tickets per scenario, {scale.concurrency} in flight; PostgreSQL, RabbitMQ quorum "
        f"queues, PROCESS_MODEL={scale.process_model}; {time.monotonic() - started:.0f} s in all.",
        table(rows), details(rows)])
    print("\n" + report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(report + "\n")
    (args.out / "report.json").write_text(dump(rows) + "\n")
    return 0 if all(row.ok for row in rows) else 1


def _log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
