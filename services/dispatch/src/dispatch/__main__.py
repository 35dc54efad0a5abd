import sys

from aftersales_shared.cli import service_main
from aftersales_shared.logs import configure_logging

from .bootstrap import build_runtime


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command in ("consumer", "worker", "declare") and len(argv) == 1:
        runtime = build_runtime()
        if len(runtime.regions) > 1:
            from .entrypoints import regional
            configure_logging("dispatch", command)
            try:
                return regional.declare(runtime) if command == "declare" else \
                    regional.consume(runtime, with_relay=command == "worker")
            finally:
                runtime.dispose()
        runtime.dispose()
    return service_main("dispatch", build_runtime, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
