"""`python bench/bench.py --quick`: every benchmark stage at a small scale, judged on correctness only.

Speed never fails this test (the machine may be busy); a lost ticket, a duplicated event, books that
disagree with the wire, or a crashed stage do.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_benchmark_loses_and_duplicates_nothing(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), "--quick", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, output
    report = json.loads((tmp_path / "report.json").read_text())
    assert (tmp_path / "report.md").read_text().startswith("# Benchmark report (quick)")

    assert report["errors"] == [], output
    assert set(report["messaging"]) == {"publish", "consume", "latency"}
    assert set(report["messaging"]["consume"]) == {"raw", "postgresql", "sqlite", "postgresql_bulk", "sqlite_bulk"}, output
    assert set(report["messaging"]["latency"]) == {"raw", "relay_postgresql", "relay_sqlite"}, output
    flow = report["platforms"]["sqlite"]["flow_capacity"]
    assert (flow["accepted"], flow["settled"], flow["lost"], flow["duplicated"]) == (flow["tickets"], flow["tickets"], 0, 0)
    assert flow["books"]["ok"], flow["books"]["problems"]
    assert report["platforms"]["sqlite"]["http"]["post_tickets"]["16"]["requests"] > 0
    assert report["checks"] == {"lost": 0, "duplicated": 0, "problems": [], "ok": True}
