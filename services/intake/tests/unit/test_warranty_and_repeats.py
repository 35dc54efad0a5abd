"""Warranty verdicts with their reasons, DOA, repeat calls inside and outside each window, known units."""
from dataclasses import replace
from datetime import date, timedelta

import pytest

from intake.domain.policies import IN_WARRANTY, OUT_OF_WARRANTY, WARRANTY_UNKNOWN, WarrantyTerms
from intake.domain.tickets import Fault, Product
from intake.service_layer import handlers

from samples import ACCEPTED_AT, ticket_command

TERMS = WarrantyTerms(12, {"television": 24}, {"phone": frozenset({"liquid_damage"})})
TODAY = date(2026, 3, 10)


def test_in_term_with_proof():
    warranty = TERMS.decide("television", date(2025, 3, 11), TODAY, "invoice")
    assert (warranty.status, warranty.expires_on) == (IN_WARRANTY, date(2027, 3, 11))
    assert "invoice" in warranty.reason


def test_expired():
    warranty = TERMS.decide("washer", date(2025, 3, 9), TODAY, "receipt")
    assert (warranty.status, warranty.reason) == (OUT_OF_WARRANTY, "term ended on 2026-03-09")


def test_the_expiry_day_is_no_longer_covered():
    assert TERMS.decide("washer", date(2025, 3, 10), TODAY).status == OUT_OF_WARRANTY
    assert TERMS.decide("washer", date(2025, 3, 11), TODAY).status == IN_WARRANTY


def test_no_proof_is_unknown_whatever_the_date():
    warranty = TERMS.decide("washer", date(2026, 1, 1), TODAY, "none")
    assert (warranty.status, warranty.reason) == (WARRANTY_UNKNOWN, "no proof of purchase seen")
    assert TERMS.decide("washer", None, TODAY).status == WARRANTY_UNKNOWN


def test_a_purchase_date_without_a_proof_field_counts_as_proof_seen():
    warranty = TERMS.decide("washer", date(2026, 1, 1), TODAY)
    assert warranty.status == IN_WARRANTY and "purchase date given" in warranty.reason


def test_voided_by_a_condition_the_category_names():
    voided = TERMS.decide("washer", date(2026, 1, 1), TODAY, "invoice", ("physical_damage",))
    assert (voided.status, voided.reason) == (OUT_OF_WARRANTY, "voided by physical_damage")
    # A phone's policy names only liquid damage: a scratch does not void it.
    assert TERMS.decide("phone", date(2026, 1, 1), TODAY, "invoice", ("physical_damage",)).status == IN_WARRANTY
    assert TERMS.decide("phone", date(2026, 1, 1), TODAY, "invoice", ("liquid_damage",)).status == OUT_OF_WARRANTY


def test_doa_is_flagged(uow_factory, rules, events):
    fault = Fault("Dead out of the box", first_open_failure=True)
    assert handlers.create_ticket(ticket_command(fault=fault), uow_factory(), rules, events).doa is True
    other = replace(ticket_command().product, serial="SN-2")
    assert handlers.create_ticket(ticket_command(product=other), uow_factory(), rules, events).doa is False


@pytest.fixture
def call_at(uow_factory, rules, events):
    def call(after: timedelta, kind: str = "hardware", serial: str = "SN-0001"):
        at = replace(rules, clock=lambda: ACCEPTED_AT + after)
        fault = Fault("Again", first_open_failure=False, kind=kind)
        product = replace(ticket_command().product, serial=serial)
        return handlers.create_ticket(ticket_command(fault=fault, product=product), uow_factory(), at, events)
    return call


@pytest.mark.parametrize("kind, after, repeat", [
    ("software", timedelta(hours=71, minutes=59), True),
    ("software", timedelta(hours=72, minutes=1), False),
    ("hardware", timedelta(days=6, hours=23), True),
    ("hardware", timedelta(days=7, minutes=1), False),
])
def test_a_repeat_call_inside_the_window_is_linked(call_at, store, kind, after, repeat):
    first = call_at(timedelta(0))
    again = call_at(after, kind)
    assert again.repeat_of == (first.id if repeat else None)
    assert store.outbox[-1].data["repeat_of"] == again.repeat_of


def test_another_unit_is_no_repeat(call_at):
    call_at(timedelta(0))
    assert call_at(timedelta(hours=1), serial="SN-OTHER").repeat_of is None


def test_a_known_serial_brings_back_purchase_date_and_batch(uow_factory, rules, events):
    handlers.create_ticket(ticket_command(), uow_factory(), rules, events)
    bare = replace(ticket_command().product, purchase_date=None, batch=None)
    again = handlers.create_ticket(ticket_command(product=bare), uow_factory(), rules, events)
    assert (again.product.purchase_date, again.product.batch) == (date(2025, 6, 1), "B2405")
    assert again.warranty.status == IN_WARRANTY


def test_the_ticket_remembers_the_unit_for_its_owner(uow_factory, rules, events, store):
    ticket = handlers.create_ticket(ticket_command(), uow_factory(), rules, events)
    unit = store.rows.units["SN-0001"]
    assert (unit.model, unit.category, unit.customer_id, unit.last_ticket_id) == (
        "TV-55X", "television", ticket.customer.customer_id, ticket.id)


def test_product_model_is_kept_on_the_ticket(uow_factory, rules, events):
    product = Product("TV-65Z", "SN-9", "television", date(2025, 1, 1), None, "invoice")
    ticket = handlers.create_ticket(ticket_command(product=product), uow_factory(), rules, events)
    assert ticket.product.proof_of_purchase == "invoice"
