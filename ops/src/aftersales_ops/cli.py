"""``aftersales``: the operations team's command line for the after-sales platform."""
from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

from . import trace, wrapped
from .config import SERVICES, Settings, parse_url_overrides
from .demo.organisation import build
from .demo.seed import Seeder
from .http import Client, OpsError
from .output import Output

DESCRIPTION = """\
One command line for the after-sales platform's operators.

Finds the services the way `make run` starts them (ports 8001-8005 on 127.0.0.1; <SERVICE>_URL,
<SERVICE>_PORT or --url service=URL elsewhere) and the broker at AMQP_URL. Every command prints a
table or text for people, one JSON document with --json. Exit 0 when done, 1 when something needs an
operator's attention (the message says what), 2 for a usage mistake."""

EXAMPLES = """\
examples:
  aftersales status                         ready? backlog, parked, outbox lag per service
  aftersales dlq list                       parked messages of every service
  aftersales dlq replay --service billing --type RepairCompleted
  aftersales outbox status --json
  aftersales trace 5b0c...                  a ticket's story across all five services
  aftersales demo seed --seed 7             a demo organisation with months of history
  aftersales reliability weibull --model WM-700"""


def _common() -> argparse.ArgumentParser:
    """Options every (sub)command takes, wherever they are written on the line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="one JSON document on stdout")
    common.add_argument("--url", action="append", default=argparse.SUPPRESS, metavar="SERVICE=URL",
                        help="where a service listens (repeatable), e.g. billing=http://10.0.0.4:8004")
    common.add_argument("--timeout", type=float, default=argparse.SUPPRESS, metavar="SECONDS",
                        help="per HTTP request (default 10)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="aftersales", description=DESCRIPTION, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter, parents=[common])
    parser.set_defaults(json=False, url=[], timeout=10.0)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dlq = commands.add_parser("dlq", parents=[common], help="dead-lettered (parked) messages: list, show, replay",
                              description="Messages a service's consumer parked after its retries, or could not "
                                          "read. Look first (list/show take nothing away), fix the cause, then "
                                          "replay: chosen messages go back to the service's queue with a fresh "
                                          "attempt count; the others stay parked, in order.")
    dlq.add_argument("action", choices=["list", "show", "replay"],
                     help="list: one line each; show: headers and body; replay: send back to the queue")
    dlq.add_argument("--service", action="append", choices=SERVICES, default=[],
                     help="only this service (repeatable); default every service")
    dlq.add_argument("--region", default="", help="the regional queue <service>.events.<region> (when split)")
    dlq.add_argument("--id", action="append", default=[], help="only this message id (repeatable)")
    dlq.add_argument("--type", action="append", default=[], help="only this event type (repeatable)")
    dlq.add_argument("--all", action="store_true", help="replay: every parked message (else --id or --type is needed)")
    dlq.add_argument("--limit", type=int, default=100, help="at most this many per service (default 100)")

    outbox = commands.add_parser("outbox", parents=[common], help="events each service has not published yet",
                                 description="Per service: events written to its outbox and not yet published, "
                                             "the oldest one's time, the lag (its age) and when the relay last "
                                             "published; read from each service's GET /api/v1/outbox.")
    outbox.add_argument("action", choices=["status"])

    unroutable = commands.add_parser("unroutable", parents=[common], help="published messages no queue was bound for",
                                     description="Messages the exchange could route nowhere (a type or region "
                                                 "nobody consumes), held in the unroutable queue. Listing takes "
                                                 "nothing away.")
    unroutable.add_argument("action", choices=["list"])
    unroutable.add_argument("--limit", type=int, default=100)

    commands.add_parser("status", parents=[common], help="the platform at a glance: ready, backlog, parked, lag",
                        description="Per service: whether it is ready (GET /readyz), its queue's backlog, how "
                                    "many messages it has parked, and its outbox lag; then the unroutable "
                                    "count. Exit 1 when anything needs a look.")

    tracer = commands.add_parser("trace", parents=[common], help="one ticket's whole story across the services",
                                 description="Every event of the ticket's flow (from each service's "
                                             "GET /api/v1/events?correlation_id=<ticket>) once, in causal order, "
                                             "with its time, source, cause and consumers; then the state changes "
                                             "of the ticket, its work orders, settlements and failure records.")
    tracer.add_argument("ticket", help="the ticket id (its correlation id)")

    demo = commands.add_parser("demo", parents=[common], help="a demo organisation with history",
                               description="Loads a realistic organisation through the public APIs and the bus.")
    demo_actions = demo.add_subparsers(dest="action", required=True, metavar="ACTION")
    seed = demo_actions.add_parser(
        "seed", parents=[common], help="regions, service points, dealers, engineers, stock, installed base, tickets",
        description="Five regions with service points, dealers (partner keys), engineers with skills, parts "
                    "received into stock, an installed base bought over the past months, and tickets taken "
                    "through dispatch to settlements and failure records. Seeded: the same --seed gives the "
                    "same organisation, and seeding it again adds nothing. Parts the running services do not "
                    "offer yet (partners, parts catalogue) are skipped and named in the result.")
    seed.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    seed.add_argument("--tickets", type=int, default=150, help="service calls taken to completion (default 150)")
    seed.add_argument("--sites-per-city", type=int, default=4, help="service points per city, 16 cities (default 4)")
    seed.add_argument("--units-per-site", type=int, default=12, help="installed units per service point (default 12)")
    seed.add_argument("--months", type=int, default=18, help="how far back units were bought (default 18)")
    seed.add_argument("--parts-per-category", type=int, default=2,
                      help="spare parts a site stocks per category it serves (default 2; 0: every part)")
    seed.add_argument("--workers", type=int, default=8, help="requests in flight at once (default 8)")
    seed.add_argument("--wait", type=float, default=120.0, help="seconds to wait for each asynchronous step")
    seed.add_argument("--show-secrets", action="store_true",
                      help="include the dealers' new secrets in the output (shown by intake only once)")

    wrapped.add_group_parsers(commands, common)
    return parser


def main(argv: list[str] | None = None, out: Output | None = None, environ: dict | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = out or Output(as_json=args.json)
    out.as_json = args.json
    try:
        settings = Settings.from_env(environ, overrides=parse_url_overrides(args.url), timeout=args.timeout)
        return COMMANDS[args.command](args, Client(settings), out)
    except ValueError as exc:
        out.note(f"aftersales: {exc}")
        return 2
    except OpsError as exc:
        out.note(f"aftersales: {exc}")
        return 1


def _broker():
    """The broker tools, imported when a command needs them: the HTTP commands start faster without pika."""
    from . import broker

    return broker


def _unreachable_broker(exc: Exception) -> OpsError:
    return OpsError(f"the broker is not reachable at AMQP_URL ({type(exc).__name__})")


def run_dlq(args, client: Client, out: Output) -> int:
    import pika.exceptions

    try:
        return _run_dlq(args, client, out, _broker())
    except pika.exceptions.AMQPConnectionError as exc:
        raise _unreachable_broker(exc) from exc


def _run_dlq(args, client: Client, out: Output, broker) -> int:
    services = args.service or list(SERVICES)
    settings = client.settings.messaging
    if args.action == "replay":
        if not (args.id or args.type or args.all):
            raise ValueError("dlq replay needs --id, --type or --all (replaying everything is a choice to make)")
        replayed = {service: broker.replay(service, settings, region=args.region, limit=args.limit, ids=args.id,
                                           types=args.type) for service in services}
        out.emit({"replayed": replayed}, table=(("service", "replayed"), replayed.items()))
        return 0
    parked = {}
    with out.progress("reading dead-letter queues", len(services)) as step:
        for service in services:
            try:
                parked[service] = broker.parked(service, settings, region=args.region, limit=args.limit,
                                                ids=args.id, types=args.type)
            except OpsError as exc:
                if args.service:  # asked for by name: that is the answer
                    raise
                out.note(f"aftersales: {exc}")  # one service without queues hides nothing of the others
            step.advance()
    if args.action == "show":
        out.emit({s: [m.detail() for m in found] for s, found in parked.items()},
                 text="\n".join(_shown(service, m.detail()) for service, found in parked.items() for m in found)
                 or "nothing parked")
        return 0
    rows = [(service, m.message_id, m.type, m.routing_key, m.attempts, (m.failed_at or "")[:19],
             (m.error or m.reason or "")[:70])
            for service, found in parked.items() for m in found]
    out.emit({s: [m.summary() for m in found] for s, found in parked.items()},
             table=(("service", "message id", "type", "routing key", "attempts", "failed at", "why"), rows),
             title=f"{len(rows)} parked message(s)")
    return 0


def _shown(service: str, detail: dict) -> str:
    return f"--- {service} {detail['type']} {detail['message_id']}\n" + json.dumps(detail, indent=2, default=str)


def run_outbox(args, client: Client, out: Output) -> int:
    def status(service: str) -> dict:
        try:
            return {"service": service, **client.get(service, "/api/v1/outbox")}
        except OpsError as exc:
            return {"service": service, "error": str(exc)}

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        found = list(pool.map(status, SERVICES))
    rows = [(s["service"], s.get("pending", "?"), s.get("oldest_pending_at") or "-",
             f"{s['lag_seconds']:.1f}s" if "lag_seconds" in s else "?", s.get("last_published_at") or "-",
             ", ".join(f"{t} {n}" for t, n in (s.get("pending_by_type") or {}).items()) or s.get("error", ""))
            for s in found]
    out.emit({"services": found}, table=(("service", "pending", "oldest pending", "lag", "last published",
                                         "pending by type"), rows))
    return 1 if any("error" in s for s in found) else 0


def run_unroutable(args, client: Client, out: Output) -> int:
    import pika.exceptions

    try:
        found = _broker().unroutable(client.settings.messaging, args.limit)
    except pika.exceptions.AMQPConnectionError as exc:
        raise _unreachable_broker(exc) from exc
    rows = [(m["message_id"], m["type"], m["routing_key"], m["source"], m["correlation_id"], m["time"]) for m in found]
    out.emit({"messages": found}, table=(("message id", "type", "routing key", "source", "correlation", "time"), rows),
             title=f"{len(found)} unroutable message(s)")
    return 0


def run_status(args, client: Client, out: Output) -> int:
    settings = client.settings.messaging

    def one(service: str) -> dict:
        found = {"service": service}
        try:
            client.request(service, "GET", "/readyz", ok=(200,))
            found["ready"] = True
        except OpsError:
            found["ready"] = False
        try:
            outbox = client.get(service, "/api/v1/outbox")
            found.update(outbox_pending=outbox["pending"], outbox_lag_seconds=outbox["lag_seconds"])
        except OpsError:
            found.update(outbox_pending=None, outbox_lag_seconds=None)
        queues = _broker().topology(service, settings)
        found["queued"] = _depth(settings, queues.queue_name)
        found["parked"] = _depth(settings, queues.dlq_name)
        return found

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        services = list(pool.map(one, SERVICES))
    unroutable = _depth(settings, settings.unroutable_exchange)
    rows = [(s["service"], "yes" if s["ready"] else "NO", _shown_count(s["queued"]), _shown_count(s["parked"]),
             _shown_count(s["outbox_pending"]),
             "?" if s["outbox_lag_seconds"] is None else f"{s['outbox_lag_seconds']:.1f}s") for s in services]
    out.emit({"services": services, "unroutable": unroutable},
             table=(("service", "ready", "queued", "parked", "outbox pending", "outbox lag"), rows),
             title=f"unroutable messages: {_shown_count(unroutable)}")
    trouble = any(not s["ready"] or s["parked"] or s["outbox_pending"] is None for s in services) or bool(unroutable)
    return 1 if trouble else 0


def _depth(settings, queue: str) -> int | None:
    import pika.exceptions

    try:
        return _broker().depth(settings, queue)
    except pika.exceptions.AMQPError:
        return None


def _shown_count(value) -> str:
    return "?" if value is None else str(value)


def run_trace(args, client: Client, out: Output) -> int:
    found = trace.collect(client, args.ticket)
    out.emit(found, text=trace.render(found))
    return 0 if found["events"] or found["ticket"] else 1


def run_demo(args, client: Client, out: Output) -> int:
    org = build(args.seed, sites_per_city=args.sites_per_city, tickets=args.tickets,
                units_per_site=args.units_per_site, months=args.months,
                parts_per_category=args.parts_per_category or None)
    out.note(f"seeding {len(org.sites)} service points in {len(org.regions)} regions, {len(org.engineers)} "
             f"engineers, {len(org.installed_base)} installed units, {len(org.jobs)} tickets (seed {args.seed})")
    result = Seeder(client, out, workers=args.workers, wait_seconds=args.wait).run(org)
    document = result.document(show_secrets=args.show_secrets)
    rows = list(result.counts.items()) + [(f"skipped {what}", why) for what, why in result.skipped.items()]
    out.emit(document, table=(("what", "count"), rows), title=f"demo organisation seeded in {result.seconds:.1f}s")
    return 0


def run_wrapped(args, client: Client, out: Output) -> int:
    answer = wrapped.call(client, args.endpoint, args)
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):
        columns = list(answer[0])[:8]
        out.emit(answer, table=(columns, [[_cell(row.get(c)) for c in columns] for row in answer]))
    else:
        out.emit(answer, text=_pretty(answer))
    return 0


def _cell(value) -> str:
    return value if isinstance(value, str) else _pretty(value)


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


COMMANDS = {"status": run_status, "dlq": run_dlq, "outbox": run_outbox, "unroutable": run_unroutable, "trace": run_trace,
            "demo": run_demo, **{group: run_wrapped for group in wrapped.GROUPS}}


if __name__ == "__main__":
    sys.exit(main())
