import sys

from aftersales_shared.cli import service_main

from .bootstrap import build_runtime

if __name__ == "__main__":
    sys.exit(service_main("dispatch", build_runtime))
