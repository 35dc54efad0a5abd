"""Runs schemathesis against one service's OpenAPI document, in process over WSGI, and says what it found.

The same engine as the ``schemathesis run`` command line: examples, boundary values (coverage), random
valid and invalid data (fuzzing) and request chains inferred from Location headers (stateful). Seeded and
bounded so that a run repeats exactly and stays quick.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import schemathesis
from flask import Flask
from schemathesis.engine import Status, events, from_schema

SEED = 20261122
MAX_EXAMPLES = 20
# Chains of requests (create, then read what the Location header points at) cost the most per example.
STATEFUL_EXAMPLES, STATEFUL_STEPS = 8, 5

# Sound for every operation: a server error, an answer the document does not describe, a request that
# breaks the document yet is accepted.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "negative_data_rejection")
# A request the document allows is accepted, or refused for a reason that is no fault of the data: the
# thing asked about does not exist (404), conflicts with what exists (409), or cannot be worked out (422).
ACCEPTANCE = {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "422"]}}
# Refusing a request that breaks the document: the usual 4xx, and 413 for a body past the size limit.
REJECTION = {"negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "406", "409",
                                                               "413", "415", "422", "428", "429"]}}


def config(rules_beyond_the_document: dict[str, str]) -> schemathesis.Config:
    """``rules_beyond_the_document``: operation label -> the rule no OpenAPI schema can state (a purchase
    date not in the future, each part once), for which a request the document allows may still be a 400."""
    checks = {"enabled": False, **{name: {"enabled": True} for name in CHECKS},
              **{name: {"enabled": True, **options} for name, options in {**ACCEPTANCE, **REJECTION}.items()}}
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "workers": 1,
        "cache": {"enabled": False},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {
            **{phase: {"enabled": True} for phase in ("examples", "coverage", "fuzzing")},
            "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS,
                         "generation": {"max-examples": STATEFUL_EXAMPLES}},
        },
        "checks": checks,
        "operations": [
            {"include-name": label, "checks": {name: {"enabled": False} for name in ACCEPTANCE}}
            for label in rules_beyond_the_document
        ],
    })


@dataclass
class Findings:
    service: str
    database: str
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # operation label -> status code -> how many answers
    answers: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def requests(self) -> int:
        return sum(sum(counts.values()) for counts in self.answers.values())

    def accepted(self, label: str) -> int:
        return sum(n for status, n in self.answers[label].items() if 200 <= status < 300)

    def summary(self) -> str:
        lines = [f"{self.service} on {self.database}: {self.requests} requests in {self.seconds:.1f}s, "
                 f"{len(self.failures)} failures, {len(self.errors)} errors"]
        lines += [f"  {label}: {dict(sorted(counts.items()))}" for label, counts in sorted(self.answers.items())]
        return "\n".join(lines)


def fuzz(service: str, database: str, app: Flask, rules_beyond_the_document: dict[str, str]) -> Findings:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config(rules_beyond_the_document))
    findings = Findings(service, database)
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(findings, event)
        elif isinstance(event, events.NonFatalError):
            findings.errors.append(f"{event.label}: {event.value!r}\n    {event.info.message}"[:2000])
        elif isinstance(event, events.FatalError):
            findings.errors.append(f"engine: {event.exception!r}")
    findings.seconds = time.monotonic() - started
    findings.failures = list(dict.fromkeys(findings.failures))
    return findings


def _record(findings: Findings, event: events.ScenarioFinished) -> None:
    recorder = event.recorder
    for case_id, interaction in recorder.interactions.items():
        if interaction.response is not None:
            case = recorder.cases[case_id].value
            findings.answers[case.operation.label][interaction.response.status_code] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status is Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                findings.failures.append(
                    f"{failure.operation} [{event.phase.value}] {check.name}: {failure.title}\n"
                    f"    {failure.message}\n    {check.failure_info.code_sample}")
