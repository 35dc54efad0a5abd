"""Structured logs carry the correlation id of what is being handled, and never a password."""
import io
import json
import logging

from marshmallow import Schema, fields

from aftersales_shared.bus import EventBus
from aftersales_shared.envelope import new_envelope
from aftersales_shared.logs import JsonFormatter, TextFormatter, configure_logging, correlated, mask_credentials
from aftersales_shared.testing.fakes import InMemoryUnitOfWork
from aftersales_shared.web import Blueprint, create_base_app


def capture(formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("test.logs")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream


def test_a_json_line_per_record_with_the_correlation_id_and_masked_credentials():
    logger, stream = capture(JsonFormatter("billing", "worker"))
    with correlated("T-42"):
        logger.info("cannot reach amqp://billing:s3cret@rabbit:5672/%2F")
    logger.info("outside any ticket")
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["correlation_id"] == "T-42" and first["service"] == "billing" and first["role"] == "worker"
    assert first["level"] == "INFO" and first["time"].endswith("Z")
    assert "s3cret" not in first["message"] and "amqp://billing:***@rabbit" in first["message"]
    assert second["correlation_id"] is None


def test_text_lines_show_the_correlation_id_too():
    logger, stream = capture(TextFormatter("intake", "web"))
    with correlated("T-7"):
        logger.warning("postgresql://intake:pw@db/intake unreachable")
    line = stream.getvalue()
    assert "[T-7]" in line and "pw@" not in line and "intake:***@db" in line


def test_masking_leaves_urls_without_passwords_alone():
    assert mask_credentials("http://example.com/a:b@c") == "http://example.com/a:b@c"
    assert mask_credentials("see https://host/path") == "see https://host/path"


class Data(Schema):
    n = fields.Integer(required=True)


def test_handlers_run_under_their_event_s_correlation_id(caplog):
    seen = []

    def handler(event, uow):
        from aftersales_shared.logs import correlation
        seen.append(correlation.get())
        logging.getLogger("test.handler").info("handling")

    bus = EventBus(lambda: InMemoryUnitOfWork(), {"Thing": handler}, {"Thing": Data()})
    event = new_envelope(type="Thing", data={"n": 1}, source="intake", subject="T-9", region="east", site="SH-01")
    with caplog.at_level(logging.INFO):
        bus.handle(event)
    assert seen == ["T-9"]


def test_each_request_gets_a_correlation_id_and_is_timed():
    blp = Blueprint("nothing", __name__, url_prefix="/api/v1/nothing")
    app = create_base_app("things", title="Things", readiness_checks={}, blueprints=[blp])
    client = app.test_client()
    offered = client.get("/healthz", headers={"X-Correlation-Id": "T-123"})
    assert offered.headers["X-Correlation-Id"] == "T-123"
    fresh = client.get("/healthz", headers={"X-Correlation-Id": "bad id with spaces"})
    assert fresh.headers["X-Correlation-Id"] not in ("", "bad id with spaces")
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'http_request_duration_seconds_count{method="GET",route="/healthz",service="things",status="200"}' in metrics


def test_configuring_twice_keeps_one_handler():
    root = logging.getLogger()
    before = len(root.handlers)
    configure_logging("intake", "web", fmt="json")
    configure_logging("intake", "web", fmt="text")
    assert len([h for h in root.handlers if h.get_name() == "aftersales"]) == 1
    assert len(root.handlers) <= before + 1
    root.removeHandler(next(h for h in root.handlers if h.get_name() == "aftersales"))
