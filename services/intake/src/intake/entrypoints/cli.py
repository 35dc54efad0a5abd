"""``python -m intake partners register|rotate|retire``: the gateway's registration without the HTTP API.

A new secret is written to stdout, once, for the operator to hand to the dealer; never to a log.
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from ..bootstrap import Intake, bootstrap
from ..domain.partners import PARTNER_EVENT_TYPES, Partner
from ..service_layer import partners as gateway


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m intake partners")
    commands = root.add_subparsers(dest="action", required=True)
    register = commands.add_parser("register", help="register a dealer; prints its first secret")
    register.add_argument("partner_id")
    register.add_argument("--name", required=True)
    register.add_argument("--site", action="append", required=True, help="a site it may post for (repeatable)")
    register.add_argument("--type", action="append", choices=PARTNER_EVENT_TYPES, required=True,
                          help="an event type it may post (repeatable)")
    rotate = commands.add_parser("rotate", help="issue a new secret; the previous one works until retired")
    rotate.add_argument("partner_id")
    retire = commands.add_parser("retire", help="retire the previous secret: only the newest works")
    retire.add_argument("partner_id")
    return root


def main(argv: list[str], intake: Intake | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = parser().parse_args(argv)
    intake = intake or bootstrap()
    now = intake.rules.clock()
    try:
        if args.action == "register":
            partner = Partner(args.partner_id, args.name, tuple(dict.fromkeys(args.site)),
                              tuple(dict.fromkeys(args.type)))
            print(gateway.register(partner, intake.uow_factory(), now), file=out)
        elif args.action == "rotate":
            print(gateway.rotate(args.partner_id, intake.uow_factory(), now), file=out)
        else:
            gateway.retire_previous(args.partner_id, intake.uow_factory(), now)
            print(f"previous secret of {args.partner_id} retired", file=err)
    except gateway.PartnerExists:
        print(f"partner {args.partner_id} is registered already", file=err)
        return 1
    except gateway.PartnerNotFound:
        print(f"no partner {args.partner_id}", file=err)
        return 1
    except gateway.SecretsConflict as conflict:
        print(str(conflict), file=err)
        return 1
    return 0
