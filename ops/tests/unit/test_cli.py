"""The command line: help that reads well, JSON on request, wrapped endpoints that say when they are missing."""
import io
import json

import pytest

from aftersales_ops import cli, wrapped
from aftersales_ops.http import Client, NotAvailable
from aftersales_ops.output import Output


class FakeClient(Client):
    """Answers GETs from a dict of path → body; records every request."""

    def __init__(self, answers: dict, operations: set):
        from aftersales_ops.config import Settings
        super().__init__(Settings.from_env({}))
        self.answers, self.sent = answers, []
        self._openapi = {service: operations for service in ("intake", "dispatch", "inventory", "billing", "fracas")}

    def request(self, service, method, path, *, params=None, json=None, headers=None, ok=(200,)):
        self.sent.append((service, method, path, params, json))

        class Response:
            content = b"{}"

            def json(inner):
                return self.answers.get(path, {})
        return Response()

    def get(self, service, path, params=None, ok=(200,)):
        self.sent.append((service, "GET", path, params, None))
        return self.answers[path] if path in self.answers else {}


def run(argv, client) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    output = Output(stdout=out, stderr=err, progress=False)
    original = cli.Client
    cli.Client = lambda settings: client
    try:
        code = cli.main(argv, output)
    finally:
        cli.Client = original
    return code, out.getvalue(), err.getvalue()


def test_help_names_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for command in ("dlq", "outbox", "unroutable", "trace", "demo", "partners", "statements", "reliability"):
        assert command in text


def test_outbox_status_as_json_lists_every_service():
    status = {"pending": 2, "oldest_pending_at": "2026-11-20T10:00:00+00:00", "lag_seconds": 3.5,
              "pending_by_type": {"TicketCreated": 2}, "last_published_at": None}
    client = FakeClient({"/api/v1/outbox": status}, set())
    code, out, _ = run(["outbox", "status", "--json"], client)
    assert code == 0
    found = json.loads(out)["services"]
    assert len(found) == 5 and all(s["pending"] == 2 for s in found)


def test_a_wrapped_endpoint_the_service_lacks_is_named_not_a_bare_404():
    client = FakeClient({}, {("GET", "/api/v1/settlements")})
    code, out, err = run(["statements", "list", "--period", "2026-10"], client)
    assert code == 1 and out == ""
    assert "GET /api/v1/statements" in err and "not available" in err
    assert not [sent for sent in client.sent if sent[2] == "/api/v1/statements"]


def test_a_wrapped_endpoint_fills_path_query_and_body():
    client = FakeClient({"/api/v1/partners": {"partner_id": "d1", "secret": "s"}},
                        {("POST", "/api/v1/partners"), ("POST", "/api/v1/partners/{}/secrets"),
                         ("GET", "/api/v1/reliability/weibull")})
    code, out, _ = run(["partners", "add", "--partner-id", "d1", "--name", "Dealer", "--site", "SH-01",
                        "--site", "SH-02", "--event-type", "TicketCreated", "--json"], client)
    assert code == 0 and json.loads(out)["secret"] == "s"
    assert client.sent[-1] == ("intake", "POST", "/api/v1/partners", None, {
        "partner_id": "d1", "name": "Dealer", "sites": ["SH-01", "SH-02"], "event_types": ["TicketCreated"]})
    run(["partners", "rotate", "d1"], client)
    assert client.sent[-1][:3] == ("intake", "POST", "/api/v1/partners/d1/secrets")
    run(["reliability", "weibull", "--model", "WM-700", "--as-of", "2026-11-01"], client)
    assert client.sent[-1][3] == {"model": "WM-700", "as_of": "2026-11-01"}


def test_every_wrapped_subcommand_documents_its_endpoint(capsys):
    for group, (_, endpoints) in wrapped.GROUPS.items():
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args([group, "--help"])
        text = capsys.readouterr().out
        for endpoint in endpoints:
            assert f"{endpoint.method} {endpoint.path}" in text


def test_replaying_everything_must_be_asked_for():
    code, _, err = run(["dlq", "replay"], FakeClient({}, set()))
    assert code == 2 and "--all" in err


def test_require_matches_templates_whatever_the_parameter_names():
    client = FakeClient({}, {("GET", "/api/v1/statements/{}")})
    client.require("billing", "GET", "/api/v1/statements/{statement_id}", "statements show")
    with pytest.raises(NotAvailable):
        client.require("billing", "GET", "/api/v1/statements/{statement_id}/pdf", "statements pdf")
