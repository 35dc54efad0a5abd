"""The JSON Schemas handed to dealers are exported from the services' own marshmallow schemas and agree
with the published contract wherever that contract is available."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from aftersales_shared.export_schemas import json_schema, published_schemas
from aftersales_shared.testing.contract import MISSING, contract_dir

ROOT = Path(__file__).resolve().parents[2]
EXPORTED = ROOT / "docs" / "events"
PUBLISHERS = ("intake", "dispatch", "inventory", "billing", "fracas")
PUBLISHED = [(service, event_type, schema) for service in PUBLISHERS
             for event_type, schema in published_schemas(service).items()]


@pytest.mark.parametrize("service,event_type,schema", PUBLISHED, ids=[p[1] for p in PUBLISHED])
def test_exported_schema_is_current(service, event_type, schema):
    path = EXPORTED / f"{event_type}.v1.schema.json"
    assert path.is_file(), f"{path} missing: run `make schemas`"
    assert json.loads(path.read_text()) == json_schema(event_type, schema), f"{path} is stale: run `make schemas`"


def _contract_schema(event_type: str) -> dict | None:
    directory = contract_dir()
    if directory is None:
        pytest.skip(MISSING)
    path = directory / "events" / f"{event_type}.v1.schema.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _compare(ours: dict, theirs: dict, where: str) -> list[str]:
    problems = [f"{where}: required field {name!r} not required by our schema"
                for name in theirs.get("required", []) if name not in ours.get("required", [])]
    for name, spec in theirs.get("properties", {}).items():
        mine = ours.get("properties", {}).get(name)
        if mine is None:
            problems.append(f"{where}: contract field {name!r} missing from our schema")
            continue
        if "enum" in spec and sorted(mine.get("enum", [])) != sorted(spec["enum"]):
            problems.append(f"{where}.{name}: enum {mine.get('enum')} differs from the contract's {spec['enum']}")
        if spec.get("type") == "object":
            problems += _compare(mine, spec, f"{where}.{name}")
        if spec.get("type") == "array" and isinstance(spec.get("items"), dict):
            problems += _compare(mine.get("items", {}), spec["items"], f"{where}.{name}[]")
    return problems


@pytest.mark.parametrize("service,event_type,schema", PUBLISHED, ids=[p[1] for p in PUBLISHED])
def test_our_schema_agrees_with_the_contract(service, event_type, schema):
    theirs = _contract_schema(event_type)
    if theirs is None:
        assert event_type not in {"TicketCreated", "PartReserved", "RepairCompleted", "SettlementPosted"}
        return
    problems = _compare(json_schema(event_type, schema), theirs, event_type)
    assert not problems, "\n".join(problems)


def test_every_contract_event_has_a_publisher():
    if contract_dir() is None:
        pytest.skip(MISSING)
    published = {event_type for _, event_type, _ in PUBLISHED}
    contract_types = {p.name.split(".")[0] for p in (contract_dir() / "events").glob("*.v*.schema.json")}
    assert contract_types <= published
