"""Runs every test suite in its own pytest process (each service's tests stand alone) and sums up."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITES = ["shared", "services/intake", "services/dispatch", "services/inventory",
          "services/billing", "services/fracas", "ops", "."]


def run_suite(suite: str, extra: list[str], report: Path) -> tuple[int, dict]:
    started = time.monotonic()
    print(f"\n===== {suite} =====", flush=True)
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "tests", f"--junitxml={report}", *extra],
        cwd=ROOT / suite,
    )
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        for node in ET.parse(report).getroot().iter("testsuite"):
            for key in counts:
                counts[key] += int(node.get(key, 0))
    print(f"----- {suite}: exit {code} in {time.monotonic() - started:.0f}s", flush=True)
    return code, counts


def main(extra: list[str]) -> int:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed_suites = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, suite in enumerate(SUITES):
            code, counts = run_suite(suite, extra, Path(tmp) / f"{index}.xml")
            for key in totals:
                totals[key] += counts[key]
            if code != 0:
                failed_suites.append(suite)
    passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    failed = totals["failures"] + totals["errors"]
    print()
    if failed_suites:
        print(f"suites with failures: {', '.join(failed_suites)}")
    print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped")
    return 1 if failed_suites else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
