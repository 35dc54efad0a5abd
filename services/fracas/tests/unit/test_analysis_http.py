"""The analyst's own-data endpoints as the contract names them: shapes, time items with counts, and bad
data refused with a 400 naming the problem."""
from datetime import datetime, timezone

import pytest

from fracas.adapters.tables import metadata
from fracas.bootstrap import bootstrap
from fracas.config import Settings
from fracas.entrypoints.flask_app import create_app

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
NIST_FAILURES = [54, 187, 216, 240, 244, 335, 361, 373, 375, 386]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("analysis") / "fracas.db"
    container = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=lambda: NOW)
    metadata.create_all(container.runtime.engine)
    yield create_app(container).test_client()
    container.runtime.dispose()


def test_weibull_of_own_data_with_counted_suspensions(client):
    response = client.post("/api/v1/reliability/weibull",
                           json={"failures": NIST_FAILURES, "suspensions": [{"time": 500, "count": 10}]})

    assert response.status_code == 200, response.json
    body = response.json
    assert {"beta", "eta", "log_likelihood", "b10", "failures", "suspensions"} <= set(body)
    assert round(body["beta"], 4) == 1.7208 and body["eta"] == pytest.approx(606.5280, abs=5e-4)
    assert (body["failures"], body["suspensions"]) == (10, 10)
    assert round(body["mean_life"], 2) == 540.74
    bounds = body["bounds"]
    assert bounds["confidence"] == 0.9 and bounds["sides"] == 2
    assert bounds["beta"]["lower"] < body["beta"] < bounds["beta"]["upper"]
    assert bounds["b10"]["lower"] < body["b10"] < bounds["b10"]["upper"]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"failures": [], "suspensions": [100]}, "failures", "no failures"),
    ({"failures": [{"time": 10, "count": 0}]}, "failures", "no failures"),
    ({"failures": [120]}, "failures", "at least 2 failures"),
    ({"failures": [10, -5]}, "failures", "negative"),
    ({"failures": [10, 20], "suspensions": [-1]}, "suspensions", "negative"),
    ({"failures": [10, {"time": 20, "count": 1.5}]}, "failures", "whole number"),
    ({"failures": [10, "20"]}, "failures", "number"),
    ({"failures": [0, 20]}, "failures", "positive"),
])
def test_weibull_bad_data_is_a_400_naming_the_problem(client, body, field, words):
    response = client.post("/api/v1/reliability/weibull", json=body)

    assert response.status_code == 400
    assert words in str(response.json["errors"][field])


def test_growth_failure_terminated_and_time_terminated(client):
    times = [2.7, 10.3, 12.5, 30.6, 57.0, 61.3, 80.0, 109.5, 125.0, 128.6, 143.8, 167.9, 229.2, 296.7,
             320.6, 328.2, 366.2, 396.7, 421.1, 438.2, 501.2, 620.0]
    failure_terminated = client.post("/api/v1/reliability/growth", json={"failure_times": times})
    time_terminated = client.post("/api/v1/reliability/growth", json={"failure_times": times, "end_time": 700})

    assert failure_terminated.status_code == 200
    body = failure_terminated.json
    assert {"beta", "lambda", "cumulative_mtbf", "instantaneous_mtbf"} <= set(body)
    assert round(body["beta"], 4) == 0.6142 and round(body["instantaneous_mtbf"]) == 46
    assert time_terminated.json["beta"] < body["beta"] and time_terminated.json["terminated"] == "time"


def test_growth_grouped_and_counted_times(client):
    grouped = client.post("/api/v1/reliability/growth", json={"intervals": [
        {"end": 200, "failures": 2}, {"end": 400, "failures": 1}, {"end": 600, "failures": 1},
        {"end": 3000, "failures": 7}]})
    counted = client.post("/api/v1/reliability/growth",
                          json={"failure_times": [{"time": 5, "count": 2}, 9, 30], "end_time": 40})
    repeated = client.post("/api/v1/reliability/growth", json={"failure_times": [5, 5, 9, 30], "end_time": 40})

    assert grouped.status_code == 200 and round(grouped.json["beta"], 4) == 0.6315
    assert counted.json == repeated.json


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"failure_times": []}, "failure_times", "no failures"),
    ({"failure_times": [5, 10], "end_time": 8}, "end_time", "before its last failure"),
    ({"failure_times": [5, -10]}, "failure_times", "negative"),
    ({"intervals": [{"end": 100, "failures": 3}]}, "intervals", "at least two"),
    ({}, "body", "either"),
])
def test_growth_bad_data_is_a_400_naming_the_problem(client, body, field, words):
    response = client.post("/api/v1/reliability/growth", json=body)

    assert response.status_code == 400
    assert words in str(response.json["errors"][field])


def test_mtbf_bounds(client):
    response = client.post("/api/v1/reliability/mtbf", json={
        "total_time": 1000, "failures": 4, "confidence": 0.9, "sides": 2, "test": "time_terminated"})
    one_sided = client.post("/api/v1/reliability/mtbf", json={"total_time": 1000, "failures": 4, "sides": 1})

    assert response.status_code == 200
    assert response.json["mtbf"] == 250
    assert response.json["lower"] == pytest.approx(2000 / 18.307, rel=1e-4)
    assert response.json["upper"] == pytest.approx(2000 / 2.733, rel=1e-3)
    assert one_sided.json["upper"] is None


def test_mtbf_failure_terminated_without_a_failure_is_refused(client):
    response = client.post("/api/v1/reliability/mtbf",
                           json={"total_time": 1000, "failures": 0, "test": "failure_terminated"})

    assert response.status_code == 400 and "failures" in response.json["errors"]


def test_problem_by_hand_over_http_through_the_workflow(client):
    created = client.post("/api/v1/problems", headers={"Idempotency-Key": "p-1"}, json={
        "model": "WM-100", "part_no": "PUMP-01", "failure_mode": "wear", "reason": "dealer complaints",
        "actor": "qe.li", "owner": "eng.wang", "due_date": "2025-04-01"})
    again = client.post("/api/v1/problems", headers={"Idempotency-Key": "p-1"}, json={
        "model": "WM-100", "part_no": "PUMP-01", "failure_mode": "wear", "reason": "dealer complaints",
        "actor": "qe.li", "owner": "eng.wang", "due_date": "2025-04-01"})
    problem_id = created.json["problem_id"]
    changes = f"/api/v1/problems/{problem_id}/changes"
    verified = client.post(changes, json={"to": "verified", "actor": "qe.li"})
    skipped = client.post(changes, json={"to": "closed", "actor": "qe.li"})
    no_date = client.post(changes, json={"to": "root_cause", "actor": "qe.li", "root_cause": "grease"})
    no_date = client.post(changes, json={"to": "corrective_action", "actor": "qe.li", "corrective_action": "x"})
    detail = client.get(f"/api/v1/problems/{problem_id}")

    assert created.status_code == 201 and created.json["status"] == "open"
    assert again.json["problem_id"] == problem_id and again.headers["Idempotent-Replayed"] == "true"
    assert verified.status_code == 200 and verified.json["status"] == "verified"
    assert skipped.status_code == 409 and "to" in skipped.json["errors"]
    assert no_date.status_code == 422 and "effective_date" in no_date.json["errors"]
    assert detail.json["status"] == "root_cause"
    assert [entry["action"] for entry in detail.json["audit"]] == ["opened", "moved", "moved"]
    assert client.get("/api/v1/problems?status=root_cause").json[0]["problem_id"] == problem_id
    assert client.get("/api/v1/problems/PR-none").status_code == 404


def test_times_spanning_too_wide_a_range_are_a_400_not_a_crash(client):
    # Found by schemathesis: ages from 5e-324 to 6e11 leave no fit a double can hold.
    weibull = client.post("/api/v1/reliability/weibull", json={
        "failures": [116060333297.0, {"time": 5e-324}, 407440375466.2, 9.2e-234, {"time": 615784268450.8, "count": 366},
                     {"time": 3.5e-232, "count": 1081542}, 670375547845.8]})
    growth = client.post("/api/v1/reliability/growth", json={"failure_times": [5e-324, 1e12], "end_time": 1e12})

    assert weibull.status_code == 400 and "too wide a range" in weibull.json["errors"]["failures"][0]
    assert growth.status_code == 400 and "failure_times" in growth.json["errors"]


def test_a_fit_whose_mean_life_no_double_can_hold_is_a_400_not_a_crash(client):
    # Found by schemathesis: the fit exists, but Gamma(1 + 1/beta) of its shallow shape overflows.
    weibull = client.post("/api/v1/reliability/weibull", json={"failures": [
        79198876305.43832, {"time": 482801107671.30225, "count": 545}, 635508273790.1038,
        {"count": 3123862, "time": 2.225073858507203e-309}, {"time": 585703198544.8059},
        {"time": 810530371547.5878, "count": 920928}, {"time": 405865046055.6884, "count": 274},
        {"time": 298605975603.2105, "count": 888}, {"count": 589214, "time": 0.5}]})

    assert weibull.status_code == 400 and "too wide a range" in weibull.json["errors"]["failures"][0]
