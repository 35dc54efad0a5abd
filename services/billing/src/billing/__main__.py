import sys

from aftersales_shared.cli import service_main

from .bootstrap import build_runtime
from .entrypoints.cli import CLERK_COMMANDS, clerk_main

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in CLERK_COMMANDS:
        sys.exit(clerk_main(sys.argv[1:]))
    sys.exit(service_main("billing", build_runtime))
