import sys

from aftersales_shared.cli import service_main

from .bootstrap import build_runtime
from .entrypoints.cli import CLERK_COMMANDS, clerk_main


def _clerk(command: str):
    return lambda rest: clerk_main([command, *rest])


if __name__ == "__main__":
    sys.exit(service_main("billing", build_runtime, own={
        command: (f"the settlement clerk's {command} (see `{command} --help`)", _clerk(command))
        for command in CLERK_COMMANDS}))
