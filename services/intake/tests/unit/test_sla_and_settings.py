from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from aftersales_shared.config import ConfigError

from intake.bootstrap import bootstrap
from intake.config import DEFAULT_RESOLVE_HOURS, Settings
from intake.domain.policies import IN_WARRANTY, OUT_OF_WARRANTY, SlaPolicy
from intake.domain.tickets import Product
from intake.service_layer import handlers

from fakes import FakeStore, FakeUnitOfWork
from samples import ACCEPTED_AT, ticket_command

POLICY = SlaPolicy(respond_hours=4, resolve_hours=DEFAULT_RESOLVE_HOURS)


@pytest.mark.parametrize("priority, resolve_hours", [("P1", 6), ("P2", 24), ("P3", 48), ("P4", 72)])
def test_deadlines_by_priority(priority, resolve_hours):
    sla = POLICY.deadlines(priority, ACCEPTED_AT)
    assert sla.respond_by == ACCEPTED_AT + timedelta(hours=4)
    assert sla.resolve_by == ACCEPTED_AT + timedelta(hours=resolve_hours)


def test_deadlines_stay_utc_aware_across_midnight_and_month_end():
    late = datetime(2026, 2, 28, 22, 15, tzinfo=timezone.utc)
    sla = POLICY.deadlines("P4", late)
    assert sla.respond_by == datetime(2026, 3, 1, 2, 15, tzinfo=timezone.utc)
    assert sla.resolve_by == datetime(2026, 3, 3, 22, 15, tzinfo=timezone.utc)
    assert sla.resolve_by.utcoffset() == timedelta(0)


def test_create_ticket_applies_the_priority_deadlines(uow_factory, rules, events):
    ticket = handlers.create_ticket(ticket_command(priority="P1"), uow_factory(), rules, events)
    assert ticket.sla.respond_by == ACCEPTED_AT + timedelta(hours=4)
    assert ticket.sla.resolve_by == ACCEPTED_AT + timedelta(hours=6)


def test_default_settings():
    settings = Settings.from_env({})
    assert settings.respond_hours == 4
    assert dict(settings.resolve_hours) == {"P1": 6, "P2": 24, "P3": 48, "P4": 72}
    assert settings.warranty_months == 12
    assert dict(settings.warranty_months_by_category) == {}


def test_configured_terms_reach_the_decisions(tmp_path, events):
    settings = Settings.from_env({
        "DATABASE_URL": f"sqlite:///{tmp_path}/intake.db",
        "SLA_RESOLVE_HOURS": "P1=4",
        "WARRANTY_MONTHS_BY_CATEGORY": "television=24",
    })
    assert dict(settings.resolve_hours) == {"P1": 4, "P2": 24, "P3": 48, "P4": 72}
    assert dict(settings.warranty_months_by_category) == {"television": 24}
    rules = bootstrap(settings, clock=lambda: ACCEPTED_AT).rules
    store = FakeStore()
    purchased = date(2024, 12, 1)  # 15 months before acceptance: past 12, within 24

    urgent = handlers.create_ticket(
        ticket_command(priority="P1", product=Product("TV-55X", "SN-1", "television", purchased)),
        FakeUnitOfWork(store), rules, events)
    washer = handlers.create_ticket(
        ticket_command(priority="P2", product=Product("WM-8", "SN-2", "washer", purchased)),
        FakeUnitOfWork(store), rules, events)

    assert urgent.sla.resolve_by == ACCEPTED_AT + timedelta(hours=4)
    assert urgent.sla.respond_by == ACCEPTED_AT + timedelta(hours=4)
    assert (urgent.warranty.status, urgent.warranty.expires_on) == (IN_WARRANTY, date(2026, 12, 1))
    assert washer.sla.resolve_by == ACCEPTED_AT + timedelta(hours=24)
    assert (washer.warranty.status, washer.warranty.expires_on) == (OUT_OF_WARRANTY, date(2025, 12, 1))


def test_configured_respond_hours_and_default_warranty_months():
    settings = Settings.from_env({"SLA_RESPOND_HOURS": "2", "WARRANTY_MONTHS": "18"})
    assert settings.respond_hours == 2
    assert settings.warranty_months == 18


def test_settings_are_read_only():
    settings = Settings.from_env({"SLA_RESOLVE_HOURS": "P1=4"})
    assert isinstance(settings.resolve_hours, MappingProxyType)
    with pytest.raises(TypeError):
        settings.resolve_hours["P1"] = 1


@pytest.mark.parametrize("variable, value", [
    ("SLA_RESOLVE_HOURS", "P1"),
    ("SLA_RESOLVE_HOURS", "P1=four"),
    ("SLA_RESOLVE_HOURS", "P1=-4"),
    ("SLA_RESOLVE_HOURS", "=4"),
    ("SLA_RESOLVE_HOURS", "P9=4"),
    ("WARRANTY_MONTHS_BY_CATEGORY", "television"),
    ("WARRANTY_MONTHS_BY_CATEGORY", "television=two years"),
    ("WARRANTY_MONTHS", "twelve"),
    ("WARRANTY_MONTHS", "-1"),
    ("SLA_RESPOND_HOURS", "0"),
])
def test_a_bad_setting_is_refused_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({variable: value})
    assert variable in str(refused.value)
