"""``partners``, ``statements``, ``reliability``: thin wrappers over the services' HTTP APIs, as data.

Each subcommand is one ``Endpoint`` row: adding an endpoint a service has grown is adding a row here.
Path parameters become positional arguments, query parameters ``--options``, and a request body is
either built from ``--options`` (``fields``) or given whole as JSON (``--body`` / ``--file``).
Before calling, the CLI checks the running service documents the operation in its OpenAPI; when it
does not (an older service), it says so instead of showing a bare 404.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass

from .http import Client, OpsError

_PATH_PARAM = re.compile(r"{([^}]+)}")


@dataclass(frozen=True)
class Endpoint:
    command: str
    service: str
    method: str
    path: str  # OpenAPI template, e.g. /api/v1/partners/{partner_id}/secrets
    help: str
    query: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()  # body fields from options; a trailing "*" makes a repeatable list option
    raw_body: bool = False  # the body is a JSON document: --body '<json>' or --file <path|->
    ok: tuple[int, ...] = (200, 201, 202, 204)

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


GROUPS: dict[str, tuple[str, list[Endpoint]]] = {
    "partners": ("Dealers allowed to post events for their sites (intake).", [
        Endpoint("add", "intake", "POST", "/api/v1/partners",
                 "register a dealer; prints its secret, shown this once",
                 fields=("partner_id", "name", "sites*", "event_types*")),
        Endpoint("rotate", "intake", "POST", "/api/v1/partners/{partner_id}/secrets",
                 "issue a new secret; the previous one keeps working until retired"),
        Endpoint("retire-previous", "intake", "DELETE", "/api/v1/partners/{partner_id}/secrets/previous",
                 "stop accepting the previous secret"),
        Endpoint("list", "intake", "GET", "/api/v1/partners", "registered dealers"),
        Endpoint("show", "intake", "GET", "/api/v1/partners/{partner_id}", "one dealer"),
    ]),
    "statements": ("Monthly statements per payee and period (billing).", [
        Endpoint("list", "billing", "GET", "/api/v1/statements", "every payee's statement of a month",
                 query=("period",)),
        Endpoint("show", "billing", "GET", "/api/v1/statements/{payee}/{period}",
                 "one payee's statement of a month (YYYY-MM)"),
        Endpoint("close", "billing", "POST", "/api/v1/periods/{period}/close",
                 "freeze a month; later jobs land in the next open month"),
        Endpoint("statistics", "billing", "GET", "/api/v1/statistics",
                 "fees and repair ratios per site and category of a month", query=("period",)),
        Endpoint("late", "billing", "GET", "/api/v1/late-documents",
                 "statements (due the 8th) and statistics (due the 12th) not yet issued", query=("as_of",)),
        Endpoint("awaiting-price", "billing", "GET", "/api/v1/awaiting-price",
                 "jobs held until inventory publishes a price they need"),
        Endpoint("settlements", "billing", "GET", "/api/v1/settlements", "a ticket's settlements",
                 query=("ticket_id",)),
        Endpoint("fee-schedule", "billing", "GET", "/api/v1/fee-schedule", "the prices billing applies now"),
    ]),
    "reliability": ("Field reliability and the analyst's own data (fracas).", [
        Endpoint("weibull", "fracas", "GET", "/api/v1/reliability/weibull",
                 "Weibull fit of a model's time to first failure in the field", query=("model", "as_of")),
        Endpoint("fit", "fracas", "POST", "/api/v1/reliability/weibull",
                 'Weibull fit of your own data: {"failures": [...], "suspensions": [...]}', raw_body=True),
        Endpoint("growth", "fracas", "POST", "/api/v1/reliability/growth",
                 'Crow-AMSAA growth: {"failure_times": [...], "end_time": T} or {"intervals": [...]}',
                 raw_body=True),
        Endpoint("mtbf", "fracas", "POST", "/api/v1/reliability/mtbf",
                 'MTBF with chi-square bounds: {"total_time", "failures", "confidence", "sides", "test"}',
                 raw_body=True),
        Endpoint("failures", "fracas", "GET", "/api/v1/failures", "failure records of a ticket",
                 query=("ticket_id",)),
    ]),
}


def add_group_parsers(commands, parent: argparse.ArgumentParser) -> None:
    for group, (description, endpoints) in GROUPS.items():
        rows = "\n".join(f"  {e.command:<16} {e.method} {e.path} ({e.service})" for e in endpoints)
        parser = commands.add_parser(
            group, parents=[parent], help=description, description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=f"Each subcommand calls one endpoint:\n{rows}\n\nA service that does not offer an endpoint "
                   f"yet (not in its OpenAPI) gets a plain 'not available' message, exit 1.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for endpoint in endpoints:
            sub = actions.add_parser(endpoint.command, parents=[parent], help=endpoint.help,
                                     description=f"{endpoint.help}. Calls {endpoint.method} {endpoint.path} on "
                                                 f"{endpoint.service}.")
            for name in endpoint.path_params:
                sub.add_argument(name)
            for name in endpoint.query:
                sub.add_argument(f"--{name.replace('_', '-')}", dest=name)
            for name in endpoint.fields:
                many = name.endswith("*")
                name = name.rstrip("*")
                option = f"--{name.replace('_', '-').rstrip('s') if many else name.replace('_', '-')}"
                sub.add_argument(option, dest=name, action="append" if many else "store",
                                 required=not many, help="repeatable" if many else None)
            if endpoint.raw_body:
                body = sub.add_mutually_exclusive_group(required=True)
                body.add_argument("--body", help="the request body as JSON text")
                body.add_argument("--file", help="a file holding the JSON body ('-' reads stdin)")
            sub.set_defaults(endpoint=endpoint)


def request_body(endpoint: Endpoint, args: argparse.Namespace):
    if endpoint.raw_body:
        text = args.body if args.body is not None else (
            sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read())
        try:
            return json.loads(text)
        except ValueError as exc:
            raise OpsError(f"the body is not JSON: {exc}") from exc
    if endpoint.fields:
        return {name.rstrip("*"): getattr(args, name.rstrip("*")) or [] if name.endswith("*")
                else getattr(args, name) for name in endpoint.fields}
    return None


def call(client: Client, endpoint: Endpoint, args: argparse.Namespace):
    client.require(endpoint.service, endpoint.method, endpoint.path, f"{args.command} {endpoint.command}")
    path = endpoint.path
    for name in endpoint.path_params:
        path = path.replace("{" + name + "}", str(getattr(args, name)))
    params = {name: getattr(args, name) for name in endpoint.query if getattr(args, name) is not None}
    response = client.request(endpoint.service, endpoint.method, path, params=params or None,
                              json=request_body(endpoint, args), ok=endpoint.ok)
    return response.json() if response.content else {"status": response.status_code}
