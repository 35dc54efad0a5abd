"""Runs every test suite in its own pytest process (each service's tests stand alone) and sums up.

A test that fails is run once more (pytest-rerunfailures): on a small, busy machine a test that waits
for real processes can lose a race with the scheduler. A pass on the rerun is still reported, by name,
as flaky, so it gets looked at; a test that fails twice fails the run.

Suites run in TEST_LANES parallel lanes (default 2: the tests of real processes mostly wait on them, so
two lanes share two cores well); TEST_LANES=1 runs them one after the other with live output.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINTING = threading.Lock()
RERUN = ["--reruns=1", "--reruns-delay=2", "-rR"]
# (name, directory, what pytest runs there). The cross-service tests are split in two suites so that
# both lanes carry long real-process work; the longest start first.
SUITES = [
    ("cross-service", ".", ["tests", "--ignore=tests/faults", "--ignore=tests/acceptance", "--ignore=tests/run"]),
    ("make run, faults and acceptance", ".", ["tests/run", "tests/faults", "tests/acceptance"]),
    ("shared", "shared", ["tests"]),
    ("intake", "services/intake", ["tests"]),
    ("dispatch", "services/dispatch", ["tests"]),
    ("inventory", "services/inventory", ["tests"]),
    ("billing", "services/billing", ["tests"]),
    ("fracas", "services/fracas", ["tests"]),
    ("ops", "ops", ["tests"]),
]


def run_suite(suite: tuple[str, str, list[str]], extra: list[str], report: Path, lanes: int) -> tuple[int, dict]:
    started = time.monotonic()
    suite, directory, targets = suite
    command = [sys.executable, "-m", "pytest", *targets, f"--junitxml={report}", "--durations=5", *RERUN, *extra]
    if lanes == 1:
        print(f"\n===== {suite} =====", flush=True)
        code = subprocess.call(command, cwd=ROOT / directory)
    else:
        # Suites running side by side print whole, each when it ends, so their lines never interleave.
        with tempfile.TemporaryFile("w+") as output:
            code = subprocess.call(command, cwd=ROOT / directory, stdout=output, stderr=subprocess.STDOUT)
            output.seek(0)
            with PRINTING:
                print(f"\n===== {suite} =====", flush=True)
                sys.stdout.write(output.read())
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
    with PRINTING:
        print(f"----- {suite}: exit {code} in {time.monotonic() - started:.0f}s", flush=True)
    return code, counts


def main(extra: list[str]) -> int:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed_suites, flaky = [], []
    lanes = max(1, int(os.environ.get("TEST_LANES", "2")))
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(lanes) as pool:
        runs = {index: pool.submit(run_suite, suite, extra, Path(tmp) / f"{index}.xml", lanes)
                for index, suite in enumerate(SUITES)}
        for index in sorted(runs):
            code, counts = runs[index].result()
            for key in totals:
                totals[key] += counts[key]
            flaky += counts["flaky"]
            if code != 0:
                failed_suites.append(SUITES[index][0])
    passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    failed = totals["failures"] + totals["errors"]
    print()
    if flaky:
        print(f"flaky (failed, then passed on the rerun): {len(flaky)}")
        for name in flaky:
            print(f"  {name}")
    if failed_suites:
        print(f"suites with failures: {', '.join(failed_suites)}")
    print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped "
          f"in {time.monotonic() - started:.0f}s ({lanes} lane{'s' if lanes > 1 else ''}, TEST_LANES)")
    return 1 if failed_suites else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
