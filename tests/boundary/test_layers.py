"""Each service's layers depend inwards only: the service layer and the domain never import the wire
format (entrypoints); the domain imports no framework. Bootstrap, the composition root, plugs the wire
format in, so a change of schema cannot reach the rules, and the rules can be tested without it."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
FRAMEWORKS = {"flask", "flask_smorest", "marshmallow", "webargs", "sqlalchemy", "alembic", "kombu", "pika"}


def imported_modules(path: Path, package: str) -> set[str]:
    """Absolute names of everything ``path`` (a module of ``package``) imports."""
    here = path.relative_to(ROOT / "services" / package.split(".")[0] / "src").with_suffix("").parts
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            modules |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return modules


def _modules_of(layer: str):
    for service in SERVICES:
        for path in sorted((ROOT / "services" / service / "src" / service / layer).glob("*.py")):
            yield service, path, imported_modules(path, service)


def test_service_layers_and_domains_never_import_the_wire_format():
    crossing = [f"{path.relative_to(ROOT)} imports {module}"
                for layer in ("service_layer", "domain")
                for service, path, modules in _modules_of(layer)
                for module in sorted(modules) if module.startswith(f"{service}.entrypoints")]
    assert crossing == []


def test_domains_import_no_framework():
    found = [f"{path.relative_to(ROOT)} imports {module}"
             for service, path, modules in _modules_of("domain")
             for module in sorted(modules) if module.split(".")[0] in FRAMEWORKS]
    assert found == []


def test_the_check_sees_relative_imports():
    path = ROOT / "services" / "intake" / "src" / "intake" / "service_layer" / "handlers.py"
    assert "intake.domain.events.TicketCreated" in imported_modules(path, "intake")
    assert "aftersales_shared.outgoing.EventWriter" in imported_modules(path, "intake")
