"""Exports the JSON Schema of every event a service publishes, from its marshmallow schemas.

``python -m aftersales_shared.export_schemas <out_dir> <service> [...]`` writes
``<out_dir>/<Type>.v<version>.schema.json`` for each entry of ``<service>.entrypoints.events.PUBLISHED``.
Dealers get these files; the services never read them.
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .fields import DecimalString, Money, Timestamp

_REF = "#/components/schemas/"


def _replace_refs(node):
    if isinstance(node, dict):
        return {k: (v.replace(_REF, "#/$defs/") if k == "$ref" else _replace_refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_refs(item) for item in node]
    return node


def json_schema(event_type: str, schema_class, version: int = 1) -> dict:
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
    spec = APISpec(title="events", version="1", openapi_version="3.1.0", plugins=[plugin])
    plugin.map_to_openapi_type(Money, "string", None)
    plugin.map_to_openapi_type(DecimalString, "string", None)
    plugin.map_to_openapi_type(Timestamp, "string", "date-time")
    spec.components.schema(event_type, schema=schema_class)
    components = _replace_refs(spec.to_dict()["components"]["schemas"])
    document = components.pop(event_type)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"aftersales/{event_type}.v{version}.schema.json",
        "title": f"{event_type} v{version} data",
        **document,
        **({"$defs": components} if components else {}),
    }


def published_schemas(service: str) -> dict[str, object]:
    return importlib.import_module(f"{service}.entrypoints.events").PUBLISHED


def export(out_dir: Path, services: list[str]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for service in services:
        for event_type, schema_class in published_schemas(service).items():
            path = out_dir / f"{event_type}.v1.schema.json"
            path.write_text(json.dumps(json_schema(event_type, schema_class), indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: python -m aftersales_shared.export_schemas <out_dir> <service> [<service> ...]")
    for written_path in export(Path(sys.argv[1]), sys.argv[2:]):
        print(written_path)
