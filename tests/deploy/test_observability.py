"""The dashboard, scrape config and alert rules in deploy/observability/ match the metrics the code exports."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "deploy" / "observability"
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from catalogue import exported_metrics  # noqa: E402

WRITTEN = {name: (HERE / name).read_text()
           for name in ("grafana-dashboard.json", "prometheus.yml", "prometheus-local.yml", "alerts.yml")}


@pytest.fixture(scope="module")
def exported() -> set[str]:
    return exported_metrics()


def test_the_catalogue_sees_what_an_on_call_engineer_needs(exported):
    for name in ("events_consumed_total", "outbox_pending_messages", "outbox_oldest_pending_age_seconds",
                 "consumer_batch_size_bucket", "http_request_duration_seconds_bucket", "outbox_published_total",
                 "unroutable_messages"):
        assert name in exported


def test_every_metric_the_dashboard_and_alerts_name_is_exported(exported):
    assert generate.expressions(WRITTEN), "no expression found in the written files"
    assert generate.unknown_metrics(WRITTEN, exported) == {}


def test_a_metric_nobody_exports_is_caught(exported):
    board = json.loads(WRITTEN["grafana-dashboard.json"])
    board["panels"][1]["targets"][0]["expr"] = 'sum(rate(events_swallowed_total{service="billing"}[5m]))'
    broken = {**WRITTEN, "grafana-dashboard.json": json.dumps(board)}
    assert generate.unknown_metrics(broken, exported) == {
        'sum(rate(events_swallowed_total{service="billing"}[5m]))': {"events_swallowed_total"}}


def test_metric_names_are_read_out_of_promql():
    expr = ('histogram_quantile(0.99, sum by (le, service) (rate(outbox_hop_seconds_bucket{service=~"a|b"}[5m])))'
            ' > on (service) group_left outbox_pending_messages offset 5m')
    assert generate.metric_names(expr) == {"outbox_hop_seconds_bucket", "outbox_pending_messages"}


def test_the_written_files_are_what_the_generator_writes():
    assert generate.rendered() == WRITTEN, "run python deploy/observability/generate.py"


def test_prometheus_scrapes_every_web_and_every_worker_on_its_metrics_port():
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())["services"]
    config = yaml.safe_load(WRITTEN["prometheus.yml"])
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    assert config["rule_files"] == ["alerts.yml"]
    for name, container in compose.items():
        if name.endswith(("-consumer", "-relay")):
            port = container["environment"]["METRICS_PORT"]
            assert f"{name}:{port}" in targets
            assert str(port) in [str(p) for p in container.get("expose", [])]
        elif name.endswith("-web"):
            assert f"{name}:8000" in targets


def test_the_check_mode_passes_on_the_committed_files():
    done = subprocess.run([sys.executable, str(HERE / "generate.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_local_config_scrapes_the_ports_make_run_gives_the_workers():
    config = yaml.safe_load(WRITTEN["prometheus-local.yml"])
    workers = next(job for job in config["scrape_configs"] if job["job_name"] == "aftersales-workers")
    assert workers["static_configs"][0]["targets"] == [f"127.0.0.1:{9100 + i}" for i in range(1, 6)]
    assert "INTAKE_METRICS_PORT=9101" in WRITTEN["prometheus-local.yml"]
