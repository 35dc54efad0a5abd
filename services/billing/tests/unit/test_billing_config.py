import json

import pytest

from aftersales_shared.config import ConfigError

from billing.bootstrap import bootstrap, fee_schedule
from billing.config import Settings


def schedule_file(tmp_path, **changes):
    version = {"hourly_rate": "95.00", "minimum_call_out": "60.00", "warranty_labour": {"default": {"onsite": "50.00"}}}
    version.update(changes)
    data = {"currency": "USD", "versions": [version]}
    path = tmp_path / "fees.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_settings_from_the_environment():
    settings = Settings.from_env({"DATABASE_URL": "sqlite:////tmp/b.db", "FEE_SCHEDULE_PATH": "/etc/fees.json"})

    assert settings.database_url == "sqlite:////tmp/b.db"
    assert settings.fee_schedule_path == "/etc/fees.json"
    assert Settings.from_env({"FEE_SCHEDULE_PATH": ""}).fee_schedule_path is None


def test_without_an_override_the_packaged_schedule_is_in_force():
    assert fee_schedule(Settings()).currency == "CNY"
    assert [v.version for v in fee_schedule(Settings()).versions] == [1]


def test_fee_schedule_path_overrides_the_packaged_schedule(tmp_path):
    path = schedule_file(tmp_path)

    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", fee_schedule_path=path))

    assert container.rules.schedules.currency == "USD"
    assert str(container.rules.schedule.hourly_rate) == "95.00"
    container.runtime.dispose()


@pytest.mark.parametrize("changes, key", [
    ({"hourly_rate": 95.5}, "versions[0].hourly_rate"),
    ({"parts": {"PCB-100": {"cost": "100.00"}}}, "versions[0].parts"),
    ({"warranty_labour": {"tv": {"onsite": "1.00", "by_drone": "2.00"}}}, "versions[0].warranty_labour.tv.by_drone"),
])
def test_a_bad_schedule_file_stops_start_up_naming_the_file_and_the_key(tmp_path, changes, key):
    path = schedule_file(tmp_path, **changes)

    with pytest.raises(ConfigError) as refused:
        bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", fee_schedule_path=path))

    assert str(refused.value).startswith(f"FEE_SCHEDULE_PATH: {path}: {key}:")


def test_a_schedule_file_that_is_not_json_or_not_there_stops_start_up(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{currency: CNY", encoding="utf-8")

    with pytest.raises(ConfigError, match="broken.json: not valid JSON"):
        fee_schedule(Settings(fee_schedule_path=str(broken)))
    with pytest.raises(ConfigError, match="cannot read .*missing.json"):
        fee_schedule(Settings(fee_schedule_path=str(tmp_path / "missing.json")))
