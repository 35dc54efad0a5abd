"""Field analytics over HTTP on SQLite (the same SQL aggregation that runs on PostgreSQL): Pareto,
batches, field failure rate, Weibull per model and per part with the fit cache, fleet growth, charts."""
import io
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from event_builders import repair_completed
from fracas.adapters.tables import metadata
from fracas.bootstrap import bootstrap
from fracas.config import Settings
from fracas.entrypoints.flask_app import create_app

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
BOUGHT = date(2024, 1, 1)


@pytest.fixture(scope="module")
def fracas(tmp_path_factory):
    path = tmp_path_factory.mktemp("field") / "fracas.db"
    container = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=lambda: NOW)
    metadata.create_all(container.runtime.engine)
    client = create_app(container).test_client()
    units = [{"serial": f"A{i}", "model": "WM-100", "category": "washer", "purchase_date": BOUGHT.isoformat(),
              "batch": "B-1"} for i in range(100)]
    units += [{"serial": f"B{i}", "model": "WM-100", "category": "washer",
               "purchase_date": (BOUGHT + timedelta(days=i % 30)).isoformat(), "batch": "B-2"} for i in range(100)]
    assert client.post("/api/v1/installed-base", json=units).status_code == 201
    failures = [("A", 0, "PUMP-01", "wear"), ("A", 1, "PUMP-01", "wear"), ("A", 2, "PUMP-01", "wear"),
                ("A", 3, "BELT-02", "crack"), ("B", 0, "PUMP-01", "wear"), ("B", 1, "BOARD-03", "short")]
    for n, (prefix, i, part, mode) in enumerate(failures):
        container.runtime.bus.handle(repair_completed(
            f"WO-{n}", f"T-{n}", serial=f"{prefix}{i}", purchase_date=BOUGHT, part_no=part, failure_mode=mode,
            completed_at=datetime(2024, 3, 1, tzinfo=timezone.utc) + timedelta(days=40 * n)))
    # Not relevant: no fault found; it counts in no Pareto.
    container.runtime.bus.handle(repair_completed("WO-N", "T-N", serial="A50", outcome="no_fault_found",
                                                  part_no="PUMP-01", completed_at=NOW - timedelta(days=5)))
    yield container, client
    container.runtime.dispose()


def test_pareto_by_part_with_cumulative_percent(fracas):
    _, client = fracas
    rows = client.get("/api/v1/analytics/pareto?by=part&model=WM-100").json

    assert [(r["key"], r["failures"]) for r in rows] == [("PUMP-01", 4), ("BELT-02", 1), ("BOARD-03", 1)]
    assert [round(r["cumulative_percent"], 2) for r in rows] == [66.67, 83.33, 100.0]
    assert client.get("/api/v1/analytics/pareto?by=failure_mode").json[0] == {
        "key": "wear", "failures": 4, "percent": pytest.approx(66.667, abs=1e-3),
        "cumulative_percent": pytest.approx(66.667, abs=1e-3)}


def test_failures_per_batch_per_unit_registered(fracas):
    _, client = fracas
    rows = {r["batch"]: r for r in client.get("/api/v1/analytics/batches?model=WM-100").json}

    assert (rows["B-1"]["units"], rows["B-1"]["failures"], rows["B-1"]["failures_per_unit"]) == (100, 4, 0.04)
    assert (rows["B-2"]["units"], rows["B-2"]["failures"]) == (100, 2)


def test_field_failure_rate_per_installed_base(fracas):
    _, client = fracas
    body = client.get("/api/v1/analytics/field-failure-rate?model=WM-100&as_of=2025-01-01").json

    assert body["installed_units"] == 200 and body["failures"] == 6
    assert body["failures_per_unit"] == pytest.approx(0.03)
    assert body["mtbf_lower"] < body["mtbf_unit_years"] < body["mtbf_upper"]
    assert body["failures_per_unit_year"] == pytest.approx(6 / body["unit_years"])


def test_weibull_per_model_and_per_part_with_suspensions_and_a_cached_fit(fracas):
    container, client = fracas
    model = client.get("/api/v1/reliability/weibull?model=WM-100&as_of=2025-01-01")
    misses = container.fits.misses
    again = client.get("/api/v1/reliability/weibull?model=WM-100&as_of=2025-01-01")
    misses_after_again = container.fits.misses
    part = client.get("/api/v1/reliability/weibull?model=WM-100&part_no=PUMP-01&as_of=2025-01-01")

    assert model.status_code == 200 and again.json == model.json
    assert misses_after_again == misses  # the second answer came from the cache
    assert (model.json["failures"], model.json["suspensions"]) == (6, 194)
    assert (part.json["failures"], part.json["suspensions"], part.json["part_no"]) == (4, 196, "PUMP-01")
    assert part.json["bounds"]["beta"]["lower"] < part.json["beta"] < part.json["bounds"]["beta"]["upper"]
    assert model.json["mean_life_days"] > 0


def test_new_data_invalidates_the_cached_fit(fracas):
    container, client = fracas
    first = client.get("/api/v1/reliability/weibull?model=WM-100&as_of=2025-02-20").json
    container.runtime.bus.handle(repair_completed("WO-X", "T-X", serial="B50", purchase_date=BOUGHT,
                                                  completed_at=datetime(2025, 2, 1, tzinfo=timezone.utc)))
    second = client.get("/api/v1/reliability/weibull?model=WM-100&as_of=2025-02-20").json

    assert second["failures"] == first["failures"] + 1


def test_fleet_growth_over_calendar_time(fracas):
    _, client = fracas
    response = client.get("/api/v1/analytics/growth?model=WM-100&as_of=2025-01-01")

    assert response.status_code == 200
    body = response.json
    assert body["terminated"] == "time" and body["failures"] == 6
    assert body["instantaneous_mtbf"] == pytest.approx(body["cumulative_mtbf"] / body["beta"])
    assert client.get("/api/v1/analytics/growth?model=NONE").status_code == 422


@pytest.mark.parametrize("url", [
    "/api/v1/charts/pareto.png?by=part&model=WM-100",
    "/api/v1/charts/weibull.png?model=WM-100&as_of=2025-01-01",
    "/api/v1/charts/growth.png?model=WM-100&as_of=2025-01-01",
])
def test_charts_are_pngs_with_something_drawn(fracas, url):
    import matplotlib.image

    _, client = fracas
    response = client.get(url)

    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(io.BytesIO(response.data), format="png")[..., :3]
    not_white = np.any(pixels < 0.95, axis=-1).mean()
    assert pixels.std() > 0.05 and not_white > 0.02


def test_installed_counts_and_failure_reports_follow_a_re_registration(tmp_path):
    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}"), clock=lambda: NOW)
    metadata.create_all(container.runtime.engine)
    client = create_app(container).test_client()

    def unit(serial, batch, day="2024-01-01"):
        return {"serial": serial, "model": "WM-300", "category": "washer", "purchase_date": day, "batch": batch}

    client.post("/api/v1/installed-base", json=[unit("S1", "B-1"), unit("S2", "B-1")])
    # The unit failed while the registry still had it in B-1 ...
    container.runtime.bus.handle(repair_completed("WO-1", "T-1", serial="S1", model="WM-300", batch="B-1",
                                                  purchase_date=date(2024, 1, 1)))
    # ... then the registry corrected it to B-2, bought a week later.
    client.post("/api/v1/installed-base", json=[unit("S1", "B-2", "2024-01-08")])
    rows = {r["batch"]: (r["units"], r["failures"]) for r in
            client.get("/api/v1/analytics/batches?model=WM-300").json}
    weibull = client.get("/api/v1/reliability/weibull?model=WM-300&part_no=PUMP-01&as_of=2025-01-01")
    container.runtime.dispose()

    assert rows["B-1"] == (1, 0) and rows["B-2"] == (1, 1)
    assert weibull.status_code == 422  # one failure: but counted, from the corrected purchase date
    assert "got 1" in weibull.json["errors"]["model"][0]
