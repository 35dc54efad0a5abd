"""Runs every test suite in its own pytest process (each service's tests stand alone) and sums up.

A test that fails is run once more (pytest-rerunfailures): on a small, busy machine a test that waits
for real processes can lose a race with the scheduler. A pass on the rerun is still reported, by name,
as flaky, so it gets looked at; a test that fails twice fails the run.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RERUN = ["--reruns=1", "--reruns-delay=2", "-rR"]
SUITES = ["shared", "services/intake", "services/dispatch", "services/inventory",
          "services/billing", "services/fracas", "ops", "."]


def run_suite(suite: str, extra: list[str], report: Path) -> tuple[int, dict]:
    started = time.monotonic()
    print(f"\n===== {suite} =====", flush=True)
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "tests", f"--junitxml={report}", *RERUN, *extra],
        cwd=ROOT / suite,
    )
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "flaky": []}
    if report.exists():
        root = ET.parse(report).getroot()
        for node in root.iter("testsuite"):
            for key in ("tests", "failures", "errors", "skipped"):
                counts[key] += int(node.get(key, 0))
        # A rerun test appears once per run in the report; the last entry is its final result.
        last: dict[str, ET.Element] = {}
        runs: dict[str, int] = {}
        for case in root.iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            last[name], runs[name] = case, runs.get(name, 0) + 1
        for name, case in last.items():
            failed = case.find("failure") is not None or case.find("error") is not None
            if runs[name] > 1 and not failed:
                counts["flaky"].append(f"{suite}: {name}")
    print(f"----- {suite}: exit {code} in {time.monotonic() - started:.0f}s", flush=True)
    return code, counts


def main(extra: list[str]) -> int:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed_suites, flaky = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for index, suite in enumerate(SUITES):
            code, counts = run_suite(suite, extra, Path(tmp) / f"{index}.xml")
            for key in totals:
                totals[key] += counts[key]
            flaky += counts["flaky"]
            if code != 0:
                failed_suites.append(suite)
    passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    failed = totals["failures"] + totals["errors"]
    print()
    if flaky:
        print(f"flaky (failed, then passed on the rerun): {len(flaky)}")
        for name in flaky:
            print(f"  {name}")
    if failed_suites:
        print(f"suites with failures: {', '.join(failed_suites)}")
    print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped")
    return 1 if failed_suites else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
