"""When the field data call for a problem: a production batch failing far more than its siblings, or a
failure group whose rate over the installed base is above a threshold. Both are one-sided exact Poisson
tests, so a handful of failures in a small batch is not mistaken for a signal and a real one in a big
batch is not missed for want of a fixed count."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scipy import stats


@dataclass(frozen=True)
class DetectionRules:
    alpha: float = 0.001  # family-wise significance of a batch anomaly (Bonferroni over the batches)
    rate_threshold: float = 0.02  # failures per installed unit of a group that warrants a problem
    rate_alpha: float = 0.01
    min_failures: int = 3  # never open on fewer, whatever the test says


@dataclass(frozen=True)
class Signal:
    model: str
    part_no: str | None
    failure_mode: str | None
    reason: str
    p_value: float


@dataclass(frozen=True)
class BatchStats:
    units: int
    failures: int
    # Failures by (part, mode), to name what the batch fails of.
    groups: Mapping[tuple[str | None, str | None], int] = field(default_factory=dict)


def batch_anomalies(model: str, batches: Mapping[str, BatchStats], rules: DetectionRules) -> list[Signal]:
    """For each batch: P(X >= its failures) for X ~ Poisson(its units * the failure rate of the other
    batches). Significant below alpha / number of batches."""
    total_units = sum(b.units for b in batches.values())
    total_failures = sum(b.failures for b in batches.values())
    signals = []
    for name, batch in sorted(batches.items()):
        other_units = total_units - batch.units
        if batch.failures < rules.min_failures or batch.units == 0 or other_units <= 0:
            continue
        # Half a failure where the siblings have none, so a clean history is not a rate of exactly zero.
        other_rate = max(total_failures - batch.failures, 0.5) / other_units
        p_value = float(stats.poisson.sf(batch.failures - 1, batch.units * other_rate))
        if p_value * len(batches) < rules.alpha:
            (part_no, mode), _ = max(batch.groups.items(), key=lambda item: item[1]) if batch.groups else ((None, None), 0)
            signals.append(Signal(model, part_no, mode, (
                f"batch {name}: {batch.failures} failures in {batch.units} units against "
                f"{other_rate:.4f} per unit in the other batches (p = {p_value:.2g})"), p_value))
    return signals


def rate_exceedances(model: str, installed_units: int, groups: Mapping[tuple[str | None, str | None], int],
                     rules: DetectionRules) -> list[Signal]:
    """A (part, mode) group whose failures are significantly more than ``rate_threshold`` per installed unit."""
    if installed_units <= 0:
        return []
    signals = []
    for (part_no, mode), failures in sorted(groups.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))):
        if failures < rules.min_failures:
            continue
        p_value = float(stats.poisson.sf(failures - 1, installed_units * rules.rate_threshold))
        if p_value < rules.rate_alpha:
            signals.append(Signal(model, part_no, mode, (
                f"{failures} failures of {part_no or 'any part'} / {mode or 'any mode'} in {installed_units} "
                f"installed units, above {rules.rate_threshold:.2%} (p = {p_value:.2g})"), p_value))
    return signals
