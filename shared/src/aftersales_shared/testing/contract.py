"""Conformance of emitted events with the published contract (the JSON Schemas outside this repo).

The contract lives beside the repo in ``../shared/contract`` (or ``CONTRACT_DIR``). Where it is absent
the conformance checks skip and say so; CI always has it.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import pytest

MISSING = "contract directory ../shared/contract not found (set CONTRACT_DIR); conformance runs where it exists, as in CI"


def _candidates():
    if os.environ.get("CONTRACT_DIR"):
        yield Path(os.environ["CONTRACT_DIR"])
    for start in (Path.cwd(), Path(__file__).resolve()):
        for folder in [start, *start.parents]:
            if (folder / "services").is_dir() and (folder / "shared").is_dir():
                yield folder.parent / "shared" / "contract"


@lru_cache(maxsize=1)
def contract_dir() -> Path | None:
    for candidate in _candidates():
        if (candidate / "events" / "envelope.schema.json").is_file():
            return candidate
    return None


def require_contract() -> Path:
    directory = contract_dir()
    if directory is None:
        pytest.skip(MISSING)
    return directory


@lru_cache(maxsize=None)
def _validator(name: str):
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads((require_contract() / "events" / name).read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def contract_errors(envelope: dict) -> list[str]:
    """Every way ``envelope`` breaks the contract: envelope schema, then its data schema if one is published."""
    errors = [f"envelope: {e.json_path}: {e.message}" for e in _validator("envelope.schema.json").iter_errors(envelope)]
    data_schema = f"{envelope.get('type')}.v{envelope.get('version')}.schema.json"
    if (require_contract() / "events" / data_schema).is_file():
        errors += [f"data: {e.json_path}: {e.message}" for e in _validator(data_schema).iter_errors(envelope.get("data"))]
    return errors


def published_types() -> set[str]:
    return {p.name.split(".")[0] for p in (require_contract() / "events").glob("*.v*.schema.json")}


def assert_conforms(envelope: dict) -> None:
    errors = contract_errors(envelope)
    assert not errors, f"{envelope.get('type')} breaks the contract:\n" + "\n".join(errors)
