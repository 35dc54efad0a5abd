"""`make bench`: the platform's performance benchmark, and the whole-flow load driver (``bench.flow``)."""
