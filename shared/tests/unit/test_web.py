import io

import pytest
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from aftersales_shared.config import ConfigError
from aftersales_shared.fields import Money
from aftersales_shared.web import DEFAULT_MAX_REQUEST_BYTES, Blueprint, create_base_app, field_errors


# -- field_errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("data,expected", [
    ({"messages": {"json": {"name": ["Missing data for required field."]}}},
     {"name": ["Missing data for required field."]}),
    ({"errors": {"json": {"a": ["x"]}, "query": {"b": ["y"]}}}, {"a": ["x"], "b": ["y"]}),
    ({"messages": {"querystring": {"site": ["bad"]}, "headers": {"X-Partner-Id": ["missing"]}}},
     {"site": ["bad"], "X-Partner-Id": ["missing"]}),
    ({"messages": {"view_args": {"id": ["bad"]}, "form": {"f": ["bad"]}}}, {"id": ["bad"], "f": ["bad"]}),
    ({"messages": {"json": ["Invalid JSON body."]}}, {"body": ["Invalid JSON body."]}),
    ({"messages": {"query": ["Invalid query."]}}, {"query": ["Invalid query."]}),
    ({"messages": {"json": {"customer": {"name": ["Missing data for required field."]}}}},
     {"customer": {"name": ["Missing data for required field."]}}),
    ({"messages": {"files": {"upload": ["too big"]}}}, {"files": {"upload": ["too big"]}}),
    ({"messages": {"ticket": ["not found"]}}, {"ticket": ["not found"]}),
    ({"message": "plain"}, {}),
    ({"messages": "oops"}, {}),
    ({}, {}),
    ("a string", {"request": ["a string"]}),
    (None, {"request": ["None"]}),
])
def test_field_errors_flattens_locations(data, expected):
    assert field_errors(data) == expected


# -- a tiny app on the shared plumbing --------------------------------------------------------------------

class ThingIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1))
    price = Money(required=True)
    qty = fields.Integer(load_default=1, validate=validate.Range(min=1))


class ThingOut(Schema):
    id = fields.Integer()
    name = fields.String()
    price = Money()
    qty = fields.Integer()


class ThingQuery(Schema):
    site = fields.String(required=True)


def make_app(checks=None, extra_metrics=None, max_request_bytes=None):
    blp = Blueprint("things", __name__, url_prefix="/api/v1/things", description="test things")
    stored = []

    @blp.route("")
    class Things(MethodView):
        @blp.arguments(ThingIn)
        @blp.response(201, ThingOut)
        def post(self, body):
            thing = {"id": len(stored) + 1, **body}
            stored.append(thing)
            return thing

        @blp.arguments(ThingQuery, location="query")
        @blp.response(200, ThingOut(many=True))
        def get(self, query):
            return stored

    @blp.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    app = create_base_app(
        "things", title="Things", readiness_checks=checks if checks is not None else {"db": lambda: None},
        blueprints=[blp], extra_metrics=extra_metrics, max_request_bytes=max_request_bytes,
    )
    app.stored = stored
    return app


@pytest.fixture
def client():
    return make_app().test_client()


def test_valid_post_is_created(client):
    response = client.post("/api/v1/things", json={"name": "pump", "price": "12.50"})
    assert response.status_code == 201
    assert response.get_json() == {"id": 1, "name": "pump", "price": "12.50", "qty": 1}


def test_missing_field_is_400_with_field_errors(client):
    response = client.post("/api/v1/things", json={"price": "12.50"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["errors"] == {"name": ["Missing data for required field."]}


def test_several_bad_fields_are_all_reported(client):
    response = client.post("/api/v1/things", json={"name": "", "price": 12.5, "qty": 0, "colour": "red"})
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert set(errors) == {"name", "price", "qty", "colour"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())


def test_non_json_body_is_400(client):
    response = client.post("/api/v1/things", data="name=pump", content_type="text/plain")
    assert response.status_code == 400
    assert response.is_json
    assert list(response.get_json()["errors"]) == ["body"]


def test_invalid_json_is_400(client):
    response = client.post("/api/v1/things", data='{"name": "pump",', content_type="application/json")
    assert response.status_code == 400
    assert list(response.get_json()["errors"]) == ["body"]


def test_json_array_body_is_400(client):
    response = client.post("/api/v1/things", json=[1, 2])
    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_empty_body_is_400_naming_the_fields(client):
    response = client.post("/api/v1/things", content_type="application/json")
    assert response.status_code == 400
    assert {"name", "price"} <= set(response.get_json()["errors"])


def test_bad_query_is_400(client):
    response = client.get("/api/v1/things")
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"site": ["Missing data for required field."]}


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["errors"]


def test_wrong_method_is_json_405(client):
    response = client.delete("/api/v1/things")
    assert response.status_code == 405
    assert response.is_json and response.get_json()["errors"]


def test_unexpected_error_is_500_without_details(client):
    response = client.get("/api/v1/things/boom")
    assert response.status_code == 500
    assert response.is_json
    assert "secret internal detail" not in response.get_data(as_text=True)


def test_bad_input_never_writes():
    app = make_app()
    app.test_client().post("/api/v1/things", json={"name": "x", "price": "1"})
    assert app.stored == []


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "service": "things"}


def make_ready_app(required, reported=None):
    blp = Blueprint("nothing", __name__, url_prefix="/api/v1/nothing")
    return create_base_app("things", title="Things", readiness_checks=required, reported_checks=reported,
                           blueprints=[blp])


def test_readyz_ok():
    client = make_app(checks={"database": lambda: None, "broker": lambda: None}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"ready": True, "checks": {"database": "ok", "broker": "ok"},
                                   "required": ["broker", "database"]}


def test_readyz_503_when_a_required_check_fails_without_echoing_the_error(caplog):
    def database():
        raise ConnectionRefusedError("db at 10.0.0.5 refused: password=s3cret")

    client = make_ready_app({"database": database}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {"ready": False, "checks": {"database": "unavailable"}, "required": ["database"]}
    assert "s3cret" not in response.get_data(as_text=True) and "10.0.0.5" not in response.get_data(as_text=True)
    assert "ConnectionRefusedError" in caplog.text  # the reason goes to the log instead


def test_a_broker_outage_is_reported_but_keeps_the_web_tier_ready():
    def broker():
        raise ConnectionRefusedError("broker down")

    client = make_ready_app({"database": lambda: None}, {"broker": broker}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"ready": True, "checks": {"database": "ok", "broker": "unavailable"},
                                   "required": ["database"]}


def test_metrics_is_prometheus_text():
    client = make_app(extra_metrics=lambda: b"# TYPE things_extra gauge\nthings_extra 7.0\n").test_client()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert "# HELP" in text and "# TYPE" in text
    assert "things_extra 7.0" in text


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Things"
    assert "/api/v1/things" in document["paths"]
    assert {"post", "get"} <= set(document["paths"]["/api/v1/things"])


# -- request size ------------------------------------------------------------------------------------------

def body_of(size: int) -> bytes:
    """A valid thing, padded with spaces to exactly ``size`` bytes."""
    body = b'{"name": "pump", "price": "12.50"}'
    return body + b" " * (size - len(body))


def assert_too_large(response):
    assert response.status_code == 413
    assert response.is_json
    errors = response.get_json()["errors"]
    assert list(errors) == ["body"] and errors["body"] and all(isinstance(m, str) for m in errors["body"])


def test_a_body_over_the_limit_is_413_naming_the_body_and_stores_nothing():
    app = make_app(max_request_bytes=200)
    response = app.test_client().post("/api/v1/things", data=body_of(201), content_type="application/json")
    assert_too_large(response)
    assert "200 bytes" in response.get_json()["errors"]["body"][0]
    assert app.stored == []


def test_a_body_at_the_limit_is_accepted():
    app = make_app(max_request_bytes=200)
    response = app.test_client().post("/api/v1/things", data=body_of(200), content_type="application/json")
    assert response.status_code == 201


def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit():
    app = make_app(max_request_bytes=200)
    # wsgi.input_terminated: the server (gunicorn) has de-chunked the body and marks where it ends.
    response = app.test_client().post(
        "/api/v1/things", input_stream=io.BytesIO(body_of(5000)), content_type="application/json",
        headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert_too_large(response)
    assert app.stored == []


def test_a_chunked_body_at_the_limit_is_accepted():
    app = make_app(max_request_bytes=200)
    response = app.test_client().post(
        "/api/v1/things", input_stream=io.BytesIO(body_of(200)), content_type="application/json",
        headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 201


def test_the_limit_comes_from_max_request_bytes(monkeypatch):
    monkeypatch.setenv("MAX_REQUEST_BYTES", "100")
    client = make_app().test_client()
    assert_too_large(client.post("/api/v1/things", data=body_of(101), content_type="application/json"))


def test_the_default_limit_is_one_mebibyte(monkeypatch):
    monkeypatch.delenv("MAX_REQUEST_BYTES", raising=False)
    client = make_app().test_client()
    assert DEFAULT_MAX_REQUEST_BYTES == 8 * 1024 * 1024
    assert_too_large(client.post("/api/v1/things", data=body_of(DEFAULT_MAX_REQUEST_BYTES + 1),
                                 content_type="application/json"))
    response = client.post("/api/v1/things", data=body_of(DEFAULT_MAX_REQUEST_BYTES), content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize("raw", ["lots", "0", "-5"])
def test_a_bad_max_request_bytes_is_refused_at_start_up(monkeypatch, raw):
    monkeypatch.setenv("MAX_REQUEST_BYTES", raw)
    with pytest.raises(ConfigError, match="MAX_REQUEST_BYTES"):
        make_app()
