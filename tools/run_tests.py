"""Runs every test suite in its own pytest process (each service's tests stand alone) and sums up.

A test that fails is run once more (pytest-rerunfailures): on a small, busy machine a test that waits
for real processes can lose a race with the scheduler. A pass on the rerun is still reported, by name,
as flaky, so it gets looked at; a test that fails twice fails the run.

Suites run in TEST_LANES parallel lanes (default 2: the cross-service suite, which mostly waits on real
processes, beside the others); TEST_LANES=1 runs them one after the other with live output.
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
SUITES = ["shared", "services/intake", "services/dispatch", "services/inventory",
          "services/billing", "services/fracas", "ops", "."]


def run_suite(suite: str, extra: list[str], report: Path, lanes: int) -> tuple[int, dict]:
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", "tests", f"--junitxml={report}", *RERUN, *extra]
    if lanes == 1:
        print(f"\n===== {suite} =====", flush=True)
        code = subprocess.call(command, cwd=ROOT / suite)
    else:
        # Suites running side by side print whole, each when it ends, so their lines never interleave.
        with tempfile.TemporaryFile("w+") as output:
            code = subprocess.call(command, cwd=ROOT / suite, stdout=output, stderr=subprocess.STDOUT)
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
        # The cross-service suite is by far the longest: it starts first and the others share the other lane.
        order = sorted(range(len(SUITES)), key=lambda i: SUITES[i] != ".")
        runs = {index: pool.submit(run_suite, SUITES[index], extra, Path(tmp) / f"{index}.xml", lanes)
                for index in order}
        for index in sorted(runs):
            code, counts = runs[index].result()
            for key in totals:
                totals[key] += counts[key]
            flaky += counts["flaky"]
            if code != 0:
                failed_suites.append(SUITES[index])
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
