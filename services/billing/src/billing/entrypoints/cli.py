"""The settlement clerk's commands: ``python -m billing statement|close-period|statistics|late|deposit``."""
from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation

from ..adapters.documents import statement_csv, statement_pdf
from ..bootstrap import Billing, bootstrap
from ..domain.periods import is_period
from ..service_layer import statements as clerk

CLERK_COMMANDS = ("statement", "close-period", "statistics", "late", "deposit")


def _period(value: str) -> str:
    if not is_period(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a month (YYYY-MM)")
    return value


def _money(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"{value!r}: write the amount with at most two decimal places")
    return amount.quantize(Decimal("0.01"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m billing")
    commands = parser.add_subparsers(dest="command", required=True)
    statement = commands.add_parser("statement", help="export one payee's statement of one month")
    statement.add_argument("--payee", required=True)
    statement.add_argument("--period", required=True, type=_period)
    statement.add_argument("--format", choices=["json", "csv", "pdf"], default="json")
    statement.add_argument("--output", help="file to write (standard output when left out; required for pdf)")
    close = commands.add_parser("close-period", help="issue the month's statements and freeze it")
    close.add_argument("period", type=_period)
    stats = commands.add_parser("statistics", help="fees and repair ratios per site and category")
    stats.add_argument("period", type=_period)
    stats.add_argument("--issue", action="store_true", help="record them as issued (the due date counts)")
    stats.add_argument("--format", choices=["json", "csv"], default="json")
    late = commands.add_parser("late", help="statements and statistics past their due date")
    late.add_argument("--as-of", type=date.fromisoformat)
    deposit = commands.add_parser("deposit", help="record a parts deposit paid (or refunded, negative)")
    deposit.add_argument("--payee", required=True)
    deposit.add_argument("--amount", required=True, type=_money)
    deposit.add_argument("--description", required=True)
    return parser


def clerk_main(argv: list[str], billing: Billing | None = None, out=None) -> int:
    args = build_parser().parse_args(argv)
    billing = billing or bootstrap()
    out = out or sys.stdout
    try:
        return _run(args, billing, out)
    finally:
        billing.runtime.dispose()


def _run(args, billing: Billing, out) -> int:
    rules = billing.rules
    if args.command == "statement":
        with billing.uow_factory(read_only=True) as uow:
            body = clerk.statement_of(uow, rules, args.payee, args.period)
        if args.format == "pdf":
            if not args.output:
                print("--output is required for a PDF", file=sys.stderr)
                return 2
            with open(args.output, "wb") as target:
                target.write(statement_pdf(body))
            return 0
        text = statement_csv(body) if args.format == "csv" else json.dumps(body, indent=2) + "\n"
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as target:
                target.write(text)
        else:
            out.write(text)
        return 0
    if args.command == "close-period":
        with billing.uow_factory() as uow:
            try:
                issued = clerk.close_period(uow, rules, args.period)
            except (clerk.PeriodClosed, clerk.PeriodNotOver) as error:
                print(str(error), file=sys.stderr)
                return 1
        out.write(json.dumps({"period": args.period, "statements": [s["payee"] for s in issued]}) + "\n")
        return 0
    if args.command == "statistics":
        with billing.uow_factory(read_only=not args.issue) as uow:
            try:
                rows = clerk.issue_statistics(uow, rules, args.period) if args.issue else clerk.statistics_of(
                    uow, args.period)
            except clerk.PeriodNotOver as error:
                print(str(error), file=sys.stderr)
                return 1
        if args.format == "csv":
            writer = csv.writer(out, lineterminator="\r\n")
            if rows:
                writer.writerow(list(rows[0]))
            writer.writerows([list(row.values()) for row in rows])
        else:
            out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    if args.command == "late":
        with billing.uow_factory(read_only=True) as uow:
            late = clerk.late_list(uow, args.as_of or rules.clock().date())
        out.write(json.dumps(late, indent=2) + "\n")
        return 0
    with billing.uow_factory() as uow:
        deposit = clerk.record_deposit(uow, rules, args.payee, args.amount, args.description)
    out.write(json.dumps({"deposit_id": deposit.deposit_id, "period": deposit.period,
                          "amount": str(deposit.amount)}) + "\n")
    return 0
