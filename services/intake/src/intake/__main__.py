import sys

from aftersales_shared.cli import service_main

from .bootstrap import build_runtime


def _partners(rest: list[str]) -> int:
    from .entrypoints.cli import main

    return main(rest)


if __name__ == "__main__":
    sys.exit(service_main("intake", build_runtime, own={
        "partners": ("register, rotate or retire a dealer's secrets (see `partners --help`)", _partners)}))
