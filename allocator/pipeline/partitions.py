"""Independent partitions of a scenario: the values of one field, each with its own supply.

A partitioned scenario is many scenarios: one per value of `partition.by`, each holding only the
clients with that value. Every product's supply (in the base and in each variant) is split first
between the partitions, in whole units that add up exactly (Hamilton: largest remainder, ties to
the partition first in order); then each partition is a complete run of the scenario on its own
clients with its own supplies, so reserve, eligibility, caps, floors, segments and budgets all
apply within the partition, as if its clients were alone. Nothing here writes or runs anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import polars as pl

from allocator.apportionment.methods import apportion
from allocator.errors import ScenarioError
from allocator.inputs.folder_names import folder_clashes, slug
from allocator.inputs.models import Partition
from allocator.inputs.partition_rules import declared_fields
from allocator.inputs.product_terms import ProductTerms
from allocator.inputs.scenarios import Scenario
from allocator.inputs.snapshot_cells import ID

Supplies = dict[str, dict[str, int]]  # variant -> product -> units


@dataclass(frozen=True)
class PartitionPlan:
    """One partition: its value of the field, its folder under partitions/, its clients and supplies."""

    value: str
    folder: str  # slug(value): partitions/<folder>/
    clients: int
    supplies: Supplies


def spec_of(scenario: Scenario) -> Partition:
    """The scenario's `partition:` (a partitioned scenario only)."""
    part = scenario.spec.partition
    if part is None:
        raise ValueError(f"{scenario.file}: the scenario has no partition")
    return part


def partition_values(scenario: Scenario) -> list[tuple[str, int]]:
    """The partitions in order, with their client counts: a category field's values as the rule
    files declare them, a text field's sorted; only values some client has."""
    part = spec_of(scenario)
    assert scenario.clients is not None
    column = scenario.clients.clients[part.by].cast(pl.String)
    empty = int(column.is_null().sum()) + int((column == "").sum())
    if empty:
        raise ScenarioError(f"{scenario.file}: partition.by: {empty} clients have no {part.by}; every client needs one")
    counts = dict(column.value_counts().iter_rows())
    declared = declared_fields(scenario.tiering, scenario.allocation)[part.by].values
    order = [v for v in declared if v in counts] if declared else sorted(counts)
    order += sorted(set(counts) - set(order))  # a value the rules do not list (a text field): after them
    return [(value, int(counts[value])) for value in order]


def plan_partitions(scenario: Scenario) -> list[PartitionPlan]:
    """Every partition of a loaded scenario with its share of each product's supply, per variant."""
    part = spec_of(scenario)
    found = partition_values(scenario)
    values = [v for v, _ in found]
    _check_folders(scenario, values)
    shares = _shares(scenario, part, found)
    per_partition: list[Supplies] = [{} for _ in values]
    for variant, terms in scenario.variants.items():
        for pid, t in terms.items():
            weights = shares[pid]
            if not any(weights):  # nobody ordered anything: equal shares, so no unit is lost
                weights = [Fraction(1)] * len(values)
            units = apportion(weights, t.supply, method="hamilton")
            for i, n in enumerate(units):
                per_partition[i].setdefault(variant, {})[pid] = n
    return [
        PartitionPlan(value, slug(value, "partition"), clients, supplies)
        for (value, clients), supplies in zip(found, per_partition, strict=True)
    ]


def _shares(scenario: Scenario, part: Partition, found: Sequence[tuple[str, int]]) -> dict[str, list[Fraction]]:
    """Each product's weight per partition: its clients, its orders of the product, or the fixed weights."""
    products = list(scenario.variants[next(iter(scenario.variants))])
    if part.split == "clients":
        return {pid: [Fraction(n) for _, n in found] for pid in products}
    if part.split == "ordered":
        assert scenario.clients is not None
        table = scenario.clients.clients
        key = table[part.by].cast(pl.String)
        out = {}
        for p in scenario.allocation.products:
            column = p.spec.order_column
            assert column is not None  # checked with the scenario (partition_rules)
            sums = dict(table.select(key.alias("_p"), pl.col(column).fill_null(0)).group_by("_p").sum().iter_rows())
            out[p.id] = [Fraction(int(sums.get(v) or 0)) for v, _ in found]
        return out
    missing = [v for v, _ in found if v not in part.split]
    if missing:
        shown = ", ".join(f"'{v}'" for v in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ScenarioError(
            f"{scenario.file}: partition.split: no weight for {shown}, which clients of the snapshot have as "
            f"{part.by}; give every partition a weight (0 for none)"
        )
    weights = [Fraction(str(part.split[v])) for v, _ in found]
    return {pid: weights for pid in products}


def _check_folders(scenario: Scenario, values: Sequence[str]) -> None:
    """Refuse two values whose folders under partitions/ would be one (`folder_clashes`)."""
    clashes = folder_clashes(values)
    if clashes:
        raise ScenarioError(
            "\n".join(
                f"{scenario.file}: partition.by: the values '{a}' and '{b}' of {spec_of(scenario).by} would share the "
                f"output folder partitions/{folder}; they must differ in more than case and punctuation"
                for a, b, folder in clashes
            )
        )


def partition_scenario(scenario: Scenario, plan: PartitionPlan) -> Scenario:
    """The scenario of one partition: only its clients (and their assignments and locks), its
    supplies in the base and every variant; the snapshot's warnings stay with the whole run."""
    field = spec_of(scenario).by
    assert scenario.clients is not None
    snap = scenario.clients
    mask = snap.clients[field].cast(pl.String) == plan.value
    clients = snap.clients.filter(mask)
    kept = snap.kept.filter(mask) if snap.kept is not None else None
    ids = frozenset(clients[ID].to_list())
    manual = replace(
        scenario.manual,
        assignments=tuple(a for a in scenario.manual.assignments if a.client_id in ids),
        locks=tuple(lk for lk in scenario.manual.locks if lk.client_id in ids),
        problems=(),  # the whole scenario's, reported once before any partition runs
    )
    variants = {name: _supplied(terms, plan.supplies[name]) for name, terms in scenario.variants.items()}
    return replace(
        scenario, clients=snap._replace(clients=clients, kept=kept, warnings=()), variants=variants, manual=manual
    )


def _supplied(terms: Mapping[str, ProductTerms], supplies: Mapping[str, int]) -> dict[str, ProductTerms]:
    return {pid: replace(t, supply=supplies[pid]) for pid, t in terms.items()}


__all__ = ["PartitionPlan", "Supplies", "partition_scenario", "partition_values", "plan_partitions", "spec_of"]
