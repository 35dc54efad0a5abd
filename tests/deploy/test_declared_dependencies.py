"""Every third-party module a package imports at run time is declared in its pyproject.toml.

The images install packages without test extras, so a dependency that only the test virtualenv happens
to have would break a container that the tests never see.
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "shared": ROOT / "shared",
    **{name: ROOT / "services" / name for name in ("intake", "dispatch", "inventory", "billing", "fracas")},
    "ops": ROOT / "ops",
}
FIRST_PARTY = {"aftersales_shared", "aftersales_ops", "intake", "dispatch", "inventory", "billing", "fracas"}


def declared(project_dir: Path) -> set[str]:
    project = tomllib.loads((project_dir / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0] for requirement in project["dependencies"]}
    return {name.lower().replace("_", "-") for name in names}


def runtime_imports(project_dir: Path) -> set[str]:
    modules = set()
    for path in (project_dir / "src").rglob("*.py"):
        if "testing" in path.relative_to(project_dir / "src").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in FIRST_PARTY and m not in sys.stdlib_module_names}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_runtime_imports_are_declared(package):
    allowed = declared(PACKAGES[package])
    if package != "shared":
        allowed |= declared(PACKAGES["shared"])
    distributions = packages_distributions()
    missing = {
        module for module in runtime_imports(PACKAGES[package])
        if not {d.lower().replace("_", "-") for d in distributions.get(module, [module])} & allowed
    }
    assert not missing, f"{package} imports {sorted(missing)} without declaring them in pyproject.toml"
