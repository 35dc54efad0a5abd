"""FRACAS at fleet scale: Weibull and failure Pareto over a large installed base, on PostgreSQL.

The data are generated inside the database (generate_series), so loading a million units takes seconds
and measures nothing of ours; what is timed is the HTTP request, first uncached (the SQL aggregation
and the fit) and then again (served from the fit cache until the model's data change).
"""
from __future__ import annotations

import time
import uuid
from datetime import date

from sqlalchemy import text

from bench.launch import create_database, drop_database

AS_OF = date(2025, 6, 30)
MODEL = "WM-BENCH"

UNITS_SQL = """
INSERT INTO installed_units (serial, model, category, purchase_date, batch, registered_at)
SELECT 'U' || g, :model, 'washer', DATE '2022-01-01' + (g % 700), 'B-' || (g % 50), now()
FROM generate_series(1, :units) AS g
"""

# What registering the units through the API keeps: the units counted by model, purchase date and batch.
COUNTS_SQL = """
INSERT INTO installed_counts (model, purchase_date, batch, units)
SELECT model, purchase_date, COALESCE(batch, ''), COUNT(*) FROM installed_units GROUP BY 1, 2, 3
"""

# Each incident a distinct unit (19 is prime to the fleet sizes used); parts skewed so the Pareto has a head.
INCIDENTS_SQL = """
INSERT INTO failure_records (work_order_id, ticket_id, engineer_id, outcome, completed_at, symptom_code,
    failure_mode, cause_code, failed_part_no, description, model, serial, category, purchase_date, batch,
    parts_used, warranty_status, site, region, relevant, chargeable, failed_on, registered_model,
    registered_purchase_date, registered_batch)
SELECT 'WO-' || g, 'T-' || g, 'ENG-' || (g % 40), 'repaired',
       (DATE '2022-01-01' + (u % 700) + 1 + ((g::bigint * 7919 % 500)::int))::timestamp AT TIME ZONE 'UTC' + interval '12 hours',
       'E1', (ARRAY['wear', 'short', 'crack', 'leak'])[1 + g % 4], 'C',
       'P-' || floor(sqrt(g % 400))::int, '', :model, 'U' || u, 'washer', DATE '2022-01-01' + (u % 700),
       'B-' || (u % 50), '[]', 'in_warranty', 'SH-01', 'east', true, true,
       DATE '2022-01-01' + (u % 700) + 1 + ((g::bigint * 7919 % 500)::int),
       :model, DATE '2022-01-01' + (u % 700), 'B-' || (u % 50)
FROM (SELECT g, ((g::bigint * 19 % :units) + 1)::int AS u FROM generate_series(1, :incidents) AS g) AS s0
"""


def _timed(client, url: str) -> tuple[float, dict | list]:
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)[:500]}")
    return seconds, response.json


def reliability_stage(units: int, incidents: int) -> dict:
    # Imported here: the bench imports no service until it runs this stage.
    from fracas.adapters.tables import metadata
    from fracas.bootstrap import bootstrap
    from fracas.config import Settings
    from fracas.entrypoints.flask_app import create_app

    name = f"bench_fracas_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    try:
        fracas = bootstrap(Settings(database_url=url))
        engine = fracas.runtime.engine
        metadata.create_all(engine)
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text(UNITS_SQL), {"model": MODEL, "units": units})
            connection.execute(text(COUNTS_SQL))
            connection.execute(text(INCIDENTS_SQL), {"model": MODEL, "units": units, "incidents": incidents})
            connection.execute(text("INSERT INTO reliability_versions (model, version) VALUES (:m, 1)"), {"m": MODEL})
            connection.execute(text("ANALYZE installed_units; ANALYZE failure_records"))
        load_seconds = time.perf_counter() - started
        client = create_app(fracas).test_client()
        # Warm: the first request of a process pays for connecting and building the app's routes.
        _timed(client, "/api/v1/problems")
        weibull = f"/api/v1/reliability/weibull?model={MODEL}&as_of={AS_OF.isoformat()}"
        pareto = f"/api/v1/analytics/pareto?by=part&model={MODEL}"
        weibull_cold, fit = _timed(client, weibull)
        weibull_warm, _ = _timed(client, weibull)
        part_cold, _ = _timed(client, f"/api/v1/reliability/weibull?model={MODEL}&part_no=P-0&as_of={AS_OF.isoformat()}")
        pareto_cold, rows = _timed(client, pareto)
        pareto_warm, _ = _timed(client, pareto)
        fracas.runtime.dispose()
        return {
            "units": units, "incidents": incidents, "load_s": round(load_seconds, 1),
            "weibull_cold_s": round(weibull_cold, 3), "weibull_cached_s": round(weibull_warm, 4),
            "weibull_part_cold_s": round(part_cold, 3),
            "pareto_cold_s": round(pareto_cold, 3), "pareto_cached_s": round(pareto_warm, 4),
            "fit": {k: fit[k] for k in ("beta", "eta", "failures", "suspensions")},
            "pareto_rows": len(rows),
        }
    finally:
        drop_database(name)
