"""The metric names the platform's code really exports, found by asking the code, not by reading it.

Importing every module of the shared package and of each service registers their counters, gauges and
histograms with prometheus_client's default registry; the collectors that build their families at scrape
time (outbox lag, unroutable depth) are run once against throwaway inputs. The result is the set of
sample names a scrape can carry (``_total``, ``_bucket``, ``_sum``, ``_count`` included).
"""
from __future__ import annotations

import importlib
import pkgutil

SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
PACKAGES = ("aftersales_shared", *SERVICES)
# Series Prometheus itself adds to every scrape target.
PROMETHEUS_BUILTINS = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
             "summary": ("_sum", "_count", "_created"), "gauge": ("",), "info": ("_info",), "unknown": ("",)}


def _import_all(package_name: str) -> None:
    package = importlib.import_module(package_name)
    for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
        if ".testing" in module.name or module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)


def _scrape_time_families() -> list:
    from sqlalchemy import MetaData, create_engine

    from aftersales_shared.config import MessagingSettings
    from aftersales_shared.health import UnroutableCollector
    from aftersales_shared.metrics import OutboxLagCollector
    from aftersales_shared.tables import outbox_table

    metadata = MetaData()
    outbox = outbox_table(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    unroutable = UnroutableCollector(MessagingSettings())
    unroutable.depth = lambda: 0  # the family's name, without a broker
    try:
        return [*OutboxLagCollector("catalogue", engine, outbox).collect(), *unroutable.collect()]
    finally:
        engine.dispose()


def exported_metrics() -> set[str]:
    from prometheus_client import REGISTRY

    for package in PACKAGES:
        _import_all(package)
    names = set(PROMETHEUS_BUILTINS)
    for family in [*REGISTRY.collect(), *_scrape_time_families()]:
        names |= {family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names
