"""Writes the Grafana dashboard, Prometheus scrape config and alert rules in this directory.

    python deploy/observability/generate.py          # rewrite the files
    python deploy/observability/generate.py --check  # exit 1 when they are out of date or name a metric
                                                     # the code does not export

Every expression names only metrics that catalogue.exported_metrics() finds in the code; the test in
tests/deploy/test_observability.py holds the written files to that.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from catalogue import SERVICES, exported_metrics  # noqa: E402

RATE = "5m"
# (title, unit, [(expression, legend)]) per dashboard row; what an on-call engineer looks at first.
ROWS = {
    "Events": [
        ("Events consumed per second, by type and outcome", "ops",
         [(f'sum by (service, type, outcome) (rate(events_consumed_total[{RATE}]))', "{{service}} {{type}} {{outcome}}")]),
        ("Events failed (retried) and parked (dead-lettered)", "ops",
         [(f'sum by (service, type, outcome) (rate(events_consumed_total{{outcome=~"retried|dead_lettered"}}[{RATE}]))',
           "{{service}} {{type}} {{outcome}}")]),
        ("Events published per second, by type", "ops",
         [(f'sum by (service, type) (rate(outbox_published_total[{RATE}]))', "{{service}} {{type}}")]),
        ("Consumer batch size (p50, p95)", "short",
         [(f'histogram_quantile(0.5, sum by (le, service) (rate(consumer_batch_size_bucket[{RATE}])))', "p50 {{service}}"),
          (f'histogram_quantile(0.95, sum by (le, service) (rate(consumer_batch_size_bucket[{RATE}])))', "p95 {{service}}")]),
        ("Consumers paused for their database", "short", [("max by (service) (consumer_paused)", "{{service}}")]),
        ("Unroutable messages", "short", [("max(unroutable_messages)", "unroutable")]),
    ],
    "Outbox": [
        ("Outbox pending", "short", [("max by (service) (outbox_pending_messages)", "{{service}}")]),
        ("Outbox lag (oldest pending)", "s", [("max by (service) (outbox_oldest_pending_age_seconds)", "{{service}}")]),
        ("Commit to broker confirm (p99)", "s",
         [(f'histogram_quantile(0.99, sum by (le, service) (rate(outbox_hop_seconds_bucket[{RATE}])))', "{{service}}")]),
        ("Relay failures", "ops", [(f'sum by (service) (rate(outbox_publish_failures_total[{RATE}]))', "{{service}}")]),
    ],
    "HTTP": [
        ("Request latency p99 by route", "s",
         [(f'histogram_quantile(0.99, sum by (le, service, route) (rate(http_request_duration_seconds_bucket[{RATE}])))',
           "{{service}} {{route}}")]),
        ("Requests per second by status", "reqps",
         [(f'sum by (service, status) (rate(http_request_duration_seconds_count[{RATE}]))', "{{service}} {{status}}")]),
    ],
    "Jobs": [
        ("Periodic job runs", "short",
         [("sum by (service, job, outcome) (increase(periodic_job_runs_total[1h]))", "{{service}} {{job}} {{outcome}}")]),
        ("Targets up", "short", [("up", "{{job}} {{instance}}")]),
    ],
}

ALERTS = [
    ("EventsDeadLettered", 'sum by (service, type) (increase(events_consumed_total{outcome="dead_lettered"}[10m])) > 0',
     "0m", "warning", "{{ $labels.service }} parked {{ $labels.type }} events",
     "Look with `aftersales dlq list --service {{ $labels.service }}`, fix the cause, then `aftersales dlq replay`."),
    ("OutboxLagging", "max by (service) (outbox_oldest_pending_age_seconds) > 60", "5m", "critical",
     "{{ $labels.service }} has not published for over a minute",
     "Events wait in the outbox: is the relay running, is the broker reachable? `aftersales outbox status`."),
    ("RelayFailing", "sum by (service) (rate(outbox_publish_failures_total[5m])) > 0", "5m", "warning",
     "{{ $labels.service }}'s relay keeps failing to publish", "See the relay's logs; the outbox keeps the events."),
    ("ConsumerPaused", "max by (service) (consumer_paused) == 1", "2m", "critical",
     "{{ $labels.service }}'s consumer waits for its database", "The service's database is unreachable."),
    ("UnroutableMessages", "max(unroutable_messages) > 0", "10m", "warning",
     "Messages were published that no queue takes", "`aftersales unroutable list` shows them."),
    ("ServerErrors",
     'sum by (service) (rate(http_request_duration_seconds_count{status=~"5.."}[5m])) > 0', "5m", "critical",
     "{{ $labels.service }} answers with 5xx", "Every 5xx is logged with its correlation id."),
    ("SlowRequests",
     "histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
     "10m", "warning", "{{ $labels.service }} p99 latency above 1 s", "Check the database and the outbox lag."),
    ("TargetDown", "up == 0", "2m", "critical", "{{ $labels.job }} {{ $labels.instance }} is not scraped",
     "The process is down or its METRICS_PORT is not reachable."),
]


def dashboard() -> dict:
    panels, panel_id, y = [], 1, 0
    for row, graphs in ROWS.items():
        panels.append({"type": "row", "title": row, "id": panel_id, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        panel_id, y = panel_id + 1, y + 1
        for index, (title, unit, targets) in enumerate(graphs):
            panels.append({
                "type": "timeseries", "title": title, "id": panel_id, "datasource": {"type": "prometheus",
                                                                                      "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": y + 8 * (index // 2)},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"expr": expr, "legendFormat": legend, "refId": chr(ord("A") + n)}
                            for n, (expr, legend) in enumerate(targets)],
            })
            panel_id += 1
        y += 8 * ((len(graphs) + 1) // 2)
    return {
        "title": "After-sales platform", "uid": "aftersales-platform", "schemaVersion": 39, "version": 1,
        "tags": ["aftersales"], "timezone": "utc", "refresh": "30s", "time": {"from": "now-3h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "label": "Prometheus"}]},
        "panels": panels,
    }


def prometheus_config() -> dict:
    """Scrapes the compose deployment: each web on 8000, each consumer and relay on METRICS_PORT 9100."""
    web = [f"{service}-web:8000" for service in SERVICES]
    workers = [f"{service}-{role}:9100" for service in SERVICES for role in ("consumer", "relay")]
    return {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [
            {"job_name": "aftersales-web", "metrics_path": "/metrics", "static_configs": [{"targets": web}]},
            {"job_name": "aftersales-workers", "metrics_path": "/metrics", "static_configs": [{"targets": workers}]},
        ],
    }


LOCAL_WEB_PORTS = {"intake": 8001, "dispatch": 8002, "inventory": 8003, "billing": 8004, "fracas": 8005}
LOCAL_WORKER_PORTS = {service: 9100 + index for index, service in enumerate(SERVICES, start=1)}


def prometheus_local_config() -> dict:
    """Scrapes `make run` with INTAKE_METRICS_PORT=9101 … FRACAS_METRICS_PORT=9105 set for the workers."""
    config = prometheus_config()
    config["scrape_configs"] = [
        {"job_name": "aftersales-web", "metrics_path": "/metrics",
         "static_configs": [{"targets": [f"127.0.0.1:{port}" for port in LOCAL_WEB_PORTS.values()]}]},
        {"job_name": "aftersales-workers", "metrics_path": "/metrics",
         "static_configs": [{"targets": [f"127.0.0.1:{port}" for port in LOCAL_WORKER_PORTS.values()]}]},
    ]
    return config


def alert_rules() -> dict:
    return {"groups": [{"name": "aftersales", "rules": [
        {"alert": name, "expr": expr, "for": wait, "labels": {"severity": severity},
         "annotations": {"summary": summary, "description": description}}
        for name, expr, wait, severity, summary, description in ALERTS]}]}


def rendered() -> dict[str, str]:
    header = "# Generated by deploy/observability/generate.py; edit that, then run it.\n"
    return {
        "grafana-dashboard.json": json.dumps(dashboard(), indent=2) + "\n",
        "prometheus.yml": header + yaml.safe_dump(prometheus_config(), sort_keys=False),
        "prometheus-local.yml": header + "# make run with " + " ".join(
            f"{s.upper()}_METRICS_PORT={p}" for s, p in LOCAL_WORKER_PORTS.items()) + "\n"
            + yaml.safe_dump(prometheus_local_config(), sort_keys=False),
        "alerts.yml": header + yaml.safe_dump(alert_rules(), sort_keys=False, width=200),
    }


# --- reading the metric names back out of PromQL ---------------------------------------------------------

_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
             "offset", "inf", "nan"}


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, label matchers, groupings left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)          # strings
    text = re.sub(r"\{[^}]*\}", "", text)                          # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)                         # range selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end():].lstrip()[:1]
        if following == "(" or match.group().lower() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def expressions(files: dict[str, str]) -> list[str]:
    board = json.loads(files["grafana-dashboard.json"])
    found = [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
    found += [rule["expr"] for group in yaml.safe_load(files["alerts.yml"])["groups"] for rule in group["rules"]]
    return found


def unknown_metrics(files: dict[str, str], exported: set[str]) -> dict[str, set[str]]:
    return {expr: missing for expr in expressions(files) if (missing := metric_names(expr) - exported)}


def main(argv: list[str]) -> int:
    files = rendered()
    unknown = unknown_metrics(files, exported_metrics())
    for expr, missing in unknown.items():
        print(f"names metrics no code exports ({', '.join(sorted(missing))}): {expr}", file=sys.stderr)
    if "--check" in argv:
        stale = [name for name, text in files.items() if not (HERE / name).exists() or (HERE / name).read_text() != text]
        for name in stale:
            print(f"{name} is out of date; run python deploy/observability/generate.py", file=sys.stderr)
        return 1 if unknown or stale else 0
    if unknown:
        return 1
    for name, text in files.items():
        (HERE / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
