"""The contract's vocabulary, the code pattern, the tolerant event reader and the contract-shaped test events
each exist once, in the plumbing library, and every service uses that one: a second copy is how two services
come to disagree about what a valid site or outcome is."""
from __future__ import annotations

import ast
from pathlib import Path

from aftersales_shared import vocabulary

ROOT = Path(__file__).resolve().parents[2]
SERVICE_SOURCES = sorted((ROOT / "services").glob("*/src/**/*.py"))
SERVICE_TESTS = sorted((ROOT / "services").glob("*/tests/**/*.py"))
# Where the one definition of each lives.
HOMES = {"vocabulary.py", "boundary.py"}
SHARED_SOURCES = [p for p in (ROOT / "shared" / "src").rglob("*.py") if p.name not in HOMES]
WORD_LISTS = {name: frozenset(value) for name, value in vars(vocabulary).items()
              if isinstance(value, tuple) and len(value) > 1}
PATTERNS = {name: value for name, value in vars(vocabulary).items() if name.endswith("_PATTERN")}
CORE_EVENTS = {"TicketCreated", "PartReserved", "PartReservationFailed", "EngineerAssigned", "RepairCompleted",
               "SettlementPosted"}


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def copies_of_the_vocabulary(path: Path, source: str | None = None) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source if source is not None else path.read_text())):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) > 1 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            words = frozenset(e.value for e in node.elts)
            found += [f"{_where(path, node)}: a copy of vocabulary.{name}"
                      for name, listed in WORD_LISTS.items() if words == listed]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"{_where(path, node)}: a copy of vocabulary.{name}"
                      for name, pattern in PATTERNS.items() if node.value == pattern]
        elif isinstance(node, ast.ClassDef) and node.name == "Meta" and any(_excludes_unknown(s) for s in node.body):
            found.append(f"{_where(path, node)}: a tolerant reader of its own; derive from boundary.EventReader")
    return found


def _excludes_unknown(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Assign) and any(getattr(t, "id", None) == "unknown" for t in statement.targets)
            and "EXCLUDE" in ast.unparse(statement.value).upper())


def test_no_module_keeps_its_own_copy_of_the_contracts_words():
    assert SERVICE_SOURCES and SHARED_SOURCES
    copies = [copy for path in SERVICE_SOURCES + SHARED_SOURCES for copy in copies_of_the_vocabulary(path)]
    assert copies == []


def test_the_check_finds_a_copy():
    source = ('CHANNELS = ("web", "dealer", "hotline", "walk_in", "mail_in")\n'
              'SITE = r"^[A-Za-z0-9-]{1,32}$"\n'
              'class Reader:\n    class Meta:\n        unknown = EXCLUDE\n')
    assert len(copies_of_the_vocabulary(ROOT / "sample.py", source)) == 3


def test_service_tests_take_contract_events_from_the_shared_builders():
    assert SERVICE_TESTS
    built_here = [
        _where(path, node) for path in SERVICE_TESTS for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "new_envelope"
        and any(k.arg == "type" and isinstance(k.value, ast.Constant) and k.value.value in CORE_EVENTS
                for k in node.keywords)
    ]
    assert built_here == [], "build contract events with aftersales_shared.testing.events"
