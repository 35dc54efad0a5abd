"""The boundary every service is built from: field types that refuse what a database cannot store, a
tolerant event reader, and bad-input answers that name the field wherever in the request it was."""
import json

import pytest
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields

from aftersales_shared import vocabulary
from aftersales_shared.boundary import (
    ERROR, Blueprint, Boolean, Choice, Code, EventReader, Integer, Money, Text, Timestamp,
)
from aftersales_shared.web import create_base_app


def load(field, value):
    """What ``field`` makes of ``value`` on the wire; a refusal comes back as its messages."""
    schema = Schema.from_dict({"value": field})()
    try:
        return schema.load({"value": value})["value"]
    except ValidationError as exc:
        return exc.messages["value"]


# -- text ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a\x00b", "\x00", "a\ud800", "\udfff", "x\udc00\ud800y"])
def test_text_refuses_what_no_database_stores(value):
    assert load(Text(100), value) == ["Must not contain NUL characters or unpaired surrogates."]


@pytest.mark.parametrize("value", ["plain", "", "电视机 \U0001f4fa", "tab\tand newline\n", "😍"])
def test_text_takes_any_other_text(value):
    assert load(Text(100), value) == value


def test_text_is_bounded_to_its_column():
    assert load(Text(5), "12345") == "12345"
    assert load(Text(5), "123456") == ["Longer than maximum length 5."]
    assert load(Text(5, min_length=2), "1") == ["Length must be between 2 and 5."]


def test_text_refuses_what_is_no_text():
    assert load(Text(5), 12) == ["Not a valid string."]


def test_a_code_is_a_region_or_site_code():
    assert load(Code(), "SH-01") == "SH-01"
    for bad in ("SH 01", "S" * 33, "", "SH\x0001", "上海"):
        assert load(Code(), bad) == [vocabulary.CODE_MESSAGE], bad


# -- numbers and truth --------------------------------------------------------------------------------------

def test_an_integer_is_given_as_one_in_a_body():
    assert load(Integer(1, 10), 3) == 3
    for bad in ("3", 3.5, 3.0, True, None):
        assert load(Integer(1, 10), bad), bad
    assert load(Integer(1, 10), 11) == ["Must be greater than or equal to 1 and less than or equal to 10."]


def test_a_query_integer_may_arrive_as_text():
    assert load(Integer(1, 1000, strict=False), "68") == 68
    assert load(Integer(1, 1000, strict=False), "6.5") == ["Not a valid integer."]


def test_an_integer_never_goes_past_a_4_byte_column():
    assert load(Integer(), 2**31 - 1) == 2**31 - 1
    assert load(Integer(), 2**31) != 2**31
    assert load(Integer(), -(2**31) - 1) != -(2**31) - 1
    with pytest.raises(ValueError):
        Integer(0, 2**31)


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", [], 1.0])
def test_a_boolean_is_true_or_false_and_nothing_else(value):
    assert load(Boolean(), value) == ["Not a valid boolean."]


def test_true_and_false_are_booleans():
    assert (load(Boolean(), True), load(Boolean(), False)) == (True, False)


# -- money and time -----------------------------------------------------------------------------------------

def test_money_documents_the_contracts_pattern():
    assert Money().metadata["pattern"] == vocabulary.MONEY_PATTERN


def test_money_can_be_bounded_to_its_column_and_refuse_a_negative_amount():
    cost = Money(integer_digits=10, signed=False)
    assert str(load(cost, "9999999999.99")) == "9999999999.99"
    for bad in ("10000000000.00", "-1.00", "1.5", 1.5):
        assert load(cost, bad) == [
            'Must be a decimal string with two places, not negative, at most 10 digits before the point, '
            'e.g. "120.00".'], bad
    assert str(load(Money(integer_digits=3), "-999.99")) == "-999.99"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_that_leaves_the_calendar_in_utc_is_refused(value):
    assert load(Timestamp(), value) == [
        "Must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T09:30:00Z."]


def test_a_choice_is_one_of_its_words():
    assert load(Choice(vocabulary.PRIORITIES), "P2") == "P2"
    assert load(Choice(vocabulary.PRIORITIES), "P5")


# -- the tolerant reader ------------------------------------------------------------------------------------

class _Reader(EventReader):
    ticket_id = Text(64, min_length=1, required=True)
    nested = fields.Nested(type("Nested", (EventReader,), {"kept": fields.String()}))


def test_an_event_reader_keeps_its_fields_and_lets_the_rest_pass():
    loaded = _Reader().load({"ticket_id": "T-1", "added_later": 1, "nested": {"kept": "x", "new": "y"}})
    assert loaded == {"ticket_id": "T-1", "nested": {"kept": "x"}}


def test_an_event_reader_is_strict_on_what_it_keeps():
    with pytest.raises(ValidationError) as refused:
        _Reader().load({"ticket_id": "T\x00"})
    assert "ticket_id" in refused.value.messages


# -- the blueprint ------------------------------------------------------------------------------------------

class _PartPath(Schema):
    part_no = Text(10, min_length=1, required=True)


class _Units(Schema):
    serial = Text(10, min_length=1, required=True)
    purchase_date = fields.Date(required=True)


def _client():
    blp = Blueprint("parts", __name__, url_prefix="/api/v1/parts")

    @blp.route("/<part_no>")
    class Part(MethodView):
        @blp.arguments(_PartPath, location="path")
        @blp.response(200, _PartPath)
        @blp.alt_response(404, schema=ERROR, description="No such part")
        def get(self, path, part_no):
            return path

        @blp.arguments(_PartPath, location="path")
        @blp.arguments(_Units(many=True))
        @blp.response(201, _PartPath)
        def post(self, path, units, part_no):
            return path

    app = create_base_app("parts", title="Parts", readiness_checks={}, blueprints=[blp])
    return app.test_client()


def test_a_bad_path_parameter_is_400_naming_it_beside_the_other_fields():
    client = _client()
    assert client.get("/api/v1/parts/P-1").json == {"part_no": "P-1"}

    response = client.get("/api/v1/parts/P%00")

    assert response.status_code == 400
    assert list(response.json["errors"]) == ["part_no"]


def test_errors_of_list_items_and_of_the_whole_list_are_reported_together():
    # Item positions are numbers and field names are text: unsortable side by side until both are text.
    response = _client().post("/api/v1/parts/P-1", data=json.dumps([{"serial": "A"}, 7]),
                              content_type="application/json")

    assert response.status_code == 400
    assert set(response.json["errors"]) == {"0", "1"}


def test_the_document_describes_path_parameters_and_error_answers():
    doc = _client().get("/api/v1/openapi.json").json
    operation = doc["paths"]["/api/v1/parts/{part_no}"]["get"]
    [parameter] = operation["parameters"]
    assert (parameter["in"], parameter["schema"]["maxLength"]) == ("path", 10)
    assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert doc["components"]["schemas"]["_Units"]["properties"]["serial"]["pattern"] == "^[^\\x00]*$"
