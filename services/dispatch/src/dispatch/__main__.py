import sys

from aftersales_shared.cli import service_main

from .bootstrap import build_runtime


def main(argv: list[str]) -> int:
    return service_main("dispatch", build_runtime, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
