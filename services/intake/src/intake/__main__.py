import sys

from aftersales_shared.cli import service_main

from .bootstrap import build_runtime

if __name__ == "__main__":
    if sys.argv[1:2] == ["partners"]:
        from .entrypoints.cli import main

        sys.exit(main(sys.argv[2:]))
    sys.exit(service_main("intake", build_runtime))
