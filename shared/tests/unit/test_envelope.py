import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
import os

import pytest

from aftersales_shared.envelope import (
    CONTENT_TYPE,
    EXCHANGE,
    Envelope,
    InvalidMessage,
    caused_by,
    new_envelope,
    parse_envelope,
    validate_data,
)
from marshmallow import Schema, fields

CONTRACT_DIR = Path(os.environ.get("CONTRACT_DIR") or Path(__file__).resolve().parents[3].parent / "shared" / "contract")
SKIP_NO_CONTRACT = "contract directory ../shared/contract not found; conformance runs where it exists (CI)"


def make(**overrides) -> Envelope:
    values = dict(
        type="TicketCreated",
        data={"ticket_id": "T-1", "amount": "120.00"},
        source="intake",
        subject="T-1",
        region="east",
        site="SH-01",
        time=datetime(2026, 11, 22, 9, 30, 0, 123456, tzinfo=timezone.utc),
    )
    values.update(overrides)
    return new_envelope(**values)


def valid_dict(**overrides) -> dict:
    body = make().to_dict()
    body.update(overrides)
    return body


def errors_of(body) -> dict:
    with pytest.raises(InvalidMessage) as caught:
        parse_envelope(body)
    return caught.value.errors


# -- building and round trip -------------------------------------------------------------------------

def test_new_envelope_defaults():
    envelope = new_envelope(type="TicketCreated", data={}, source="intake", subject="T-9", region="east", site="SH-01")
    assert uuid.UUID(envelope.id).version == 4
    assert envelope.version == 1
    assert envelope.correlation_id == "T-9"
    assert envelope.causation_id is None
    assert envelope.time.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - envelope.time) < timedelta(seconds=5)


def test_ids_are_unique():
    assert len({make().id for _ in range(100)}) == 100


@pytest.mark.parametrize("as_type", [str, bytes, dict])
def test_round_trip(as_type):
    envelope = make(causation_id=str(uuid.uuid4()), correlation_id="T-1", version=2)
    text = envelope.to_json()
    body = {str: text, bytes: text.encode("utf-8"), dict: json.loads(text)}[as_type]
    assert parse_envelope(body) == envelope


def test_round_trip_keeps_unicode_and_nested_data():
    envelope = make(data={"description": "屏幕不亮 – écran", "parts": [{"part_no": "P-1", "qty": 2}], "x": None})
    assert parse_envelope(envelope.to_json().encode("utf-8")) == envelope
    assert "屏幕" in envelope.to_json()  # ensure_ascii=False: UTF-8 on the wire, not \u escapes


def test_wire_form():
    body = json.loads(make().to_json())
    assert list(body) == ["id", "type", "version", "source", "time", "subject", "correlation_id",
                          "causation_id", "region", "site", "data"]
    assert body["time"] == "2026-11-22T09:30:00.123456Z"
    assert body["causation_id"] is None
    assert isinstance(body["version"], int)


def test_time_with_offset_is_normalised_to_utc():
    envelope = parse_envelope(valid_dict(time="2026-11-22T17:30:00+08:00"))
    assert envelope.time == datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    assert envelope.time.utcoffset() == timedelta(0)


def test_routing_key():
    assert make(type="RepairCompleted", region="east", site="SH-01").routing_key == "RepairCompleted.east.SH-01"


def test_amqp_properties_follow_the_contract():
    envelope = make()
    assert envelope.amqp_properties("intake") == {
        "message_id": envelope.id,
        "type": "TicketCreated",
        "delivery_mode": 2,
        "content_type": "application/json",
        "app_id": "intake",
    }
    assert CONTENT_TYPE == "application/json"
    assert EXCHANGE == "aftersales.events"


def test_caused_by_keeps_the_flow_together():
    cause = make(correlation_id="T-1")
    follow = caused_by(cause, type="PartReserved", data={}, source="inventory", subject="T-1")
    assert follow.causation_id == cause.id
    assert follow.correlation_id == cause.correlation_id
    assert (follow.region, follow.site) == (cause.region, cause.site)
    assert follow.id != cause.id


def test_with_data_replaces_only_data():
    envelope = make()
    changed = envelope.with_data({"b": 2})
    assert changed.data == {"b": 2} and changed.id == envelope.id and envelope.data != {"b": 2}


def test_naive_time_cannot_be_serialised():
    with pytest.raises(ValueError):
        make(time=datetime(2026, 1, 1, 9, 0)).to_json()


# -- parse errors -------------------------------------------------------------------------------------

def test_non_json_body():
    errors = errors_of(b"this is not json{")
    assert list(errors) == ["body"] and "Not JSON" in errors["body"][0]


def test_non_utf8_body():
    errors = errors_of(b"\xff\xfe\x00garbage")
    assert list(errors) == ["body"] and "UTF-8" in errors["body"][0]


@pytest.mark.parametrize("body", ["[1, 2]", "42", '"text"', "null", b"[]"])
def test_non_object_json(body):
    errors = errors_of(body)
    assert list(errors) == ["body"] and "object" in errors["body"][0]


def test_missing_fields_are_each_named():
    errors = errors_of({})
    required = {"id", "type", "version", "source", "time", "subject", "correlation_id",
                "causation_id", "region", "site", "data"}
    assert set(errors) == required
    assert all("Missing" in messages[0] for messages in errors.values())


@pytest.mark.parametrize("field", ["subject", "data", "time"])
def test_one_missing_field_is_named(field):
    body = valid_dict()
    del body[field]
    assert list(errors_of(body)) == [field]


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1234", "", 42])
def test_bad_uuid(bad_id):
    assert list(errors_of(valid_dict(id=bad_id))) == ["id"]


@pytest.mark.parametrize("source", ["crm", "Intake", "partner/", "partner/a b", "partner/x/y", ""])
def test_bad_source(source):
    assert list(errors_of(valid_dict(source=source))) == ["source"]


@pytest.mark.parametrize("source", ["intake", "dispatch", "inventory", "billing", "fracas", "partner/dealer_7-A"])
def test_good_sources(source):
    assert parse_envelope(valid_dict(source=source)).source == source


@pytest.mark.parametrize("time", ["2026-11-22T09:30:00", "2026-11-22", "yesterday", 1763803800])
def test_naive_or_bad_time(time):
    errors = errors_of(valid_dict(time=time))
    assert list(errors) == ["time"]


@pytest.mark.parametrize("field,value", [
    ("type", "ticketCreated"), ("type", "Ticket_Created"), ("type", "Ticket1"),
    ("version", 0), ("version", "1"), ("version", True), ("version", 1.5),
    ("region", "east asia"), ("region", ""), ("site", "x" * 33), ("site", "SH/01"),
    ("subject", ""), ("correlation_id", ""), ("causation_id", 5),
    ("data", [1]), ("data", None), ("data", "x"),
])
def test_invalid_field_values_are_named(field, value):
    assert list(errors_of(valid_dict(**{field: value}))) == [field]


def test_unknown_field_is_refused():
    errors = errors_of(valid_dict(extra="x"))
    assert list(errors) == ["extra"]


def test_invalid_message_is_a_value_error_with_json_text():
    with pytest.raises(ValueError) as caught:
        parse_envelope({"id": "x"})
    assert json.loads(str(caught.value))["id"]


class _Data(Schema):
    ticket_id = fields.String(required=True)
    qty = fields.Integer(required=True)


def test_validate_data_reports_under_data():
    with pytest.raises(InvalidMessage) as caught:
        validate_data(make(data={"ticket_id": "T-1"}), _Data())
    assert caught.value.errors == {"data": {"qty": ["Missing data for required field."]}}


def test_validate_data_ignores_unknown_fields():
    assert validate_data(make(data={"ticket_id": "T-1", "qty": 2, "new_field": 1}), _Data()) == {"ticket_id": "T-1", "qty": 2}


# -- conformance with the contract's JSON schema -------------------------------------------------------

@pytest.fixture(scope="module")
def envelope_validator():
    if not (CONTRACT_DIR / "events" / "envelope.schema.json").is_file():
        pytest.skip(SKIP_NO_CONTRACT)
    from jsonschema import Draft202012Validator

    schema = json.loads((CONTRACT_DIR / "events" / "envelope.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_format_checker_really_checks(envelope_validator):
    # Without rfc3339-validator installed, "date-time" would silently pass anything.
    assert list(envelope_validator.iter_errors(valid_dict(time="not a time")))
    assert list(envelope_validator.iter_errors(valid_dict(id="not-a-uuid")))


@pytest.mark.parametrize("overrides", [
    {},
    {"causation_id": str(uuid.uuid4())},
    {"source": "partner/dealer-7", "version": 3, "data": {}},
    {"type": "PartReserved", "time": datetime(2026, 1, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=8)))},
    {"data": {"nested": {"list": [1, "two", None]}, "text": "你好"}},
])
def test_produced_json_conforms_to_the_contract(envelope_validator, overrides):
    body = json.loads(make(**overrides).to_json())
    errors = sorted(error.message for error in envelope_validator.iter_errors(body))
    assert errors == []


@pytest.mark.parametrize("overrides", [
    {"id": "nope"}, {"type": "lower"}, {"version": 0}, {"version": True}, {"source": "crm"},
    {"time": "2026-11-22T09:30:00"}, {"subject": ""}, {"correlation_id": ""}, {"causation_id": 3},
    {"region": "a b"}, {"site": ""}, {"data": []}, {"extra": 1},
])
def test_parser_and_contract_refuse_the_same_envelopes(envelope_validator, overrides):
    body = valid_dict(**overrides)
    assert list(envelope_validator.iter_errors(body)), "the contract accepts it"
    with pytest.raises(InvalidMessage):
        parse_envelope(body)


@pytest.mark.parametrize("field", ["id", "type", "version", "source", "time", "subject", "correlation_id",
                                   "causation_id", "region", "site", "data"])
def test_parser_and_contract_require_the_same_fields(envelope_validator, field):
    body = valid_dict()
    del body[field]
    assert list(envelope_validator.iter_errors(body))
    assert field in errors_of(body)


def test_the_fast_reading_of_an_envelope_agrees_with_its_schema():
    from aftersales_shared.envelope import _SCHEMA, _load_well_formed

    valid = new_envelope(type="TicketCreated", data={"ticket_id": "T-1"}, source="partner/acme-1", subject="T-1",
                         region="east", site="SH-01", causation_id="c-1").to_dict()
    assert _load_well_formed(valid) == _SCHEMA.load(valid)
    assert _load_well_formed({**valid, "causation_id": None}) == _SCHEMA.load({**valid, "causation_id": None})
    broken = [
        {**valid, "extra": 1}, {k: v for k, v in valid.items() if k != "site"}, {**valid, "version": True},
        {**valid, "version": 0}, {**valid, "version": "1"}, {**valid, "id": "not-a-uuid"},
        {**valid, "time": "2026-11-22T09:30:00"}, {**valid, "type": "ticketCreated"}, {**valid, "source": "crm"},
        {**valid, "site": "SH 01"}, {**valid, "region": ""}, {**valid, "subject": ""}, {**valid, "data": []},
        {**valid, "causation_id": 5}, {**valid, "correlation_id": None},
    ]
    for body in broken:
        assert _load_well_formed(body) is None, body
        with pytest.raises(InvalidMessage):
            parse_envelope(body)
