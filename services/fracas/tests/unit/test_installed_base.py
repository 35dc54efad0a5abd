from datetime import date, datetime, timezone

from fakes import FakeStore, FakeUnitOfWork
from fracas.domain.installed_base import InstalledUnit
from fracas.service_layer.commands import RegisterInstalledBase
from fracas.service_layer.handlers import register_installed_base

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def test_registering_units_adds_them():
    store = FakeStore()
    units = (InstalledUnit("A", "WM-100", "washer", date(2024, 1, 1), "B1"),
             InstalledUnit("B", "WM-100", "washer", date(2024, 2, 1)))

    registered = register_installed_base(RegisterInstalledBase(units), FakeUnitOfWork(store), NOW)

    assert registered == 2
    assert store.units == {"A": units[0], "B": units[1]}
    assert store.commits == 1


def test_registering_a_known_serial_again_updates_it():
    store = FakeStore()
    register_installed_base(
        RegisterInstalledBase((InstalledUnit("A", "WM-100", "washer", date(2024, 1, 1)),)), FakeUnitOfWork(store), NOW
    )

    corrected = InstalledUnit("A", "WM-110", "washer", date(2024, 1, 3), "B2")
    register_installed_base(RegisterInstalledBase((corrected,)), FakeUnitOfWork(store), NOW)

    assert store.units == {"A": corrected}
