"""What a rule change does to real clients: the computation behind `allocator diff`.

Each side (`--before`, `--after`) names rule files as `allocator.review.rule_sources` reads them: a file,
a folder, or `git:REV:PATH`. With a scenario, the scenario supplies every rule file a side does
not give, the snapshot (unless one is given), the period, the seed and its `supply:` overrides;
a folder holding several files of one kind is resolved by the scenario's file name. Without a
scenario each side must give both rule files, and the seed is 0 and the period "none" (they only
break ties, the same way on both sides). Both sides run on the same snapshot, each as a one-off
scenario through `run`, so a diff shows exactly what `allocator run` would. Every file is read
once: the snapshot is parsed once and checked for each side's rules. `impact_markdown` renders.

Without a scenario, sides that give tiering files only are compared on their tiers alone (the
reviewer of a tiering-only pull request still sees the migration); quotas need an allocation file.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from allocator.errors import AllocatorError
from allocator.inputs.models import SnapshotSpec
from allocator.inputs.product_rules import AllocationRules, ProductRules
from allocator.inputs.reading import file_problem
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import (
    NO_PERIOD,
    Scenario,
    load_scenario,
    one_off_scenario,
    snapshot_columns,
    snapshot_spec,
)
from allocator.inputs.snapshots import ParsedSnapshot, check_snapshot, parse_snapshot
from allocator.inputs.tiering_rules import TieringRules
from allocator.pipeline.run import run
from allocator.pipeline.tiering import tier_clients
from allocator.review.rule_diff import file_changes
from allocator.review.rule_sources import KINDS, RuleFile, complete, load_side, load_tiering_side, rule_files

TOP = 20
ZERO_CELL = "·"
NEEDS_ALLOCATION = (
    "Quotas need an allocation file: give --before and --after a folder holding both rule files, "
    "or --scenario to supply the allocation file."
)
QUOTA_COLUMNS = {
    "client_id": pl.String,
    "product": pl.String,
    "ladder": pl.String,
    "tier": pl.String,
    "ordered": pl.Int64,
    "entitled": pl.Int64,
    "quota": pl.Int64,
}


@dataclass(frozen=True)
class Side:
    files: dict[str, RuleFile]
    tiering: TieringRules
    allocation: AllocationRules | None  # None: tiers only (no allocation file on either side)
    tiers: pl.DataFrame  # client_id, ladder, tier, placed_by
    quotas: pl.DataFrame  # client_id, product, ladder, tier, ordered, entitled, quota
    products: list[dict[str, Any]] = field(default_factory=list)  # summary.csv's product lines


@dataclass(frozen=True)
class Movers:
    """The clients a change touches, in three groups: gainers and losers (their quotas, added up
    over the products, went up or down; with tiers only: a better or a worse tier on the same
    ladder) and the others (tier, placing rule or quotas changed, nothing gained or lost in all).
    Each group keeps its TOP first rows and counts the rest."""

    gainers: list[dict[str, Any]]  # client_id, ladder(_after), tier(_after), placed_by(_after), net, steps
    losers: list[dict[str, Any]]
    others: list[dict[str, Any]]
    counts: tuple[int, int, int]  # gainers, losers, others in all
    products: list[str]
    quotas: dict[tuple[str, str], tuple[int | None, int | None]]  # (client, product): before, after

    @property
    def total(self) -> int:
        """How many clients the change touches in all."""
        return sum(self.counts)


@dataclass(frozen=True)
class Impact:
    """What a rule change does on one snapshot: both sides, the rule changes and the differences."""

    before: Side
    after: Side
    changes: dict[str, list[str]]  # per file kind, one line per changed value
    snapshot: str  # as the user named it
    clients: int
    scenario: str | None
    spec: Scenario | None
    tiers: pl.DataFrame  # both sides' tiers joined, with `moved`
    groups: list[dict[str, Any]]  # per product, ladder and tier, both sides (see _tier_groups)
    tier_moves: int
    quota_moves: int  # (client, product) pairs whose quota changes
    units_moved: int
    net: int  # units allocated after minus before
    movers: Movers
    client_quotas: pl.DataFrame  # client_id, product, quota, quota_after: every client and product

    @property
    def tiers_only(self) -> bool:
        return self.before.allocation is None

    @property
    def changed(self) -> bool:
        return bool(any(self.changes.values()) or self.tier_moves or self.quota_moves)


def impact(before: str, after: str, snapshot: Path | None, scenario: Path | None) -> Impact:
    """Compare two rule versions on one snapshot; every file is read once."""
    spec = load_scenario(scenario, read_clients=False) if scenario is not None else None
    snap = snapshot if snapshot is not None else spec.snapshot if spec is not None else None
    if snap is None:
        raise AllocatorError("diff needs a snapshot: give --snapshot, or --scenario whose snapshot is used")
    if why := file_problem(snap):  # a FIFO or device would block or never end
        raise AllocatorError(f"{display_path(snap)}: {why}")
    written = snapshot_spec(spec.spec) if spec is not None and snapshot is None else SnapshotSpec(path=str(snap))
    with tempfile.TemporaryDirectory(prefix="allocator-diff-") as tmp:
        given = {
            name: rule_files(text, name, Path(tmp) / name, spec)
            for name, text in (("before", before), ("after", after))
        }
        if spec is None and not any("allocation" in files for files in given.values()):
            parsed = parse_snapshot(
                snap, display_path(snap), sheet=written.sheet, id_column=written.id_column,
                encoding=written.encoding, declare_as=written.path,
            )  # fmt: skip
            sides = {name: _tiers_only(files, parsed) for name, files in given.items()}
            changes = {"tiering": file_changes(given["before"]["tiering"], given["after"]["tiering"])}
        else:
            files = {
                name: complete(given[name], name, text, spec) for name, text in (("before", before), ("after", after))
            }
            loaded = {name: load_side(f, spec) for name, f in files.items()}
            parsed = parse_snapshot(
                snap, display_path(snap), sheet=written.sheet, id_column=written.id_column,
                encoding=written.encoding, declare_as=written.path,
            )  # fmt: skip
            sides = _run_sides(files, loaded, snap, parsed, spec)
            changes = {kind: file_changes(files["before"][kind], files["after"][kind]) for kind in KINDS}
    return _compared(sides["before"], sides["after"], changes, display_path(snap), scenario, spec)


def _compared(
    b: Side, a: Side, changes: dict[str, list[str]], snap: str, scenario: Path | None, spec: Scenario | None
) -> Impact:
    t = b.tiers.join(a.tiers, on="client_id", how="full", coalesce=True, suffix="_after")
    moved_tier = (t["ladder"] != t["ladder_after"]) | (t["tier"] != t["tier_after"])
    qb = b.quotas.select("client_id", "product", "quota")
    qa = a.quotas.select("client_id", "product", pl.col("quota").alias("quota_after"))
    q = qb.join(qa, on=["client_id", "product"], how="full", coalesce=True).fill_null(0)
    groups = _tier_groups(b, a)
    net = sum((r["allocated_after"] or 0) - (r["allocated"] or 0) for r in groups)
    t = t.with_columns(moved_tier.alias("moved"))
    shown = display_path(scenario) if scenario is not None else None
    quota_moves = q.filter(pl.col("quota") != pl.col("quota_after")).height
    return Impact(
        b, a, changes, snap, t.height, shown, spec, t, groups, int(moved_tier.sum()), quota_moves,
        _units_moved(groups), net, _movers(b, a, t, q), q,
    )  # fmt: skip


def _tiers_only(files: dict[str, RuleFile], parsed: ParsedSnapshot) -> Side:
    """A side with a tiering file alone: its tiers on the snapshot, as `allocator run` places them."""
    tiering = load_tiering_side(files["tiering"])
    clients = check_snapshot(parsed, snapshot_columns(tiering, None)).clients
    _, tiers = tier_clients(tiering, clients)
    quotas = pl.DataFrame(schema=QUOTA_COLUMNS)
    return Side(files, tiering, None, tiers.select("client_id", "ladder", "tier", "placed_by"), quotas)


def _run_sides(
    files: dict[str, dict[str, RuleFile]],
    loaded: dict[str, tuple[TieringRules, AllocationRules]],
    snap: Path,
    parsed: ParsedSnapshot,
    spec: Scenario | None,
) -> dict[str, Side]:
    """Run each side as a one-off scenario: the same run as `allocator run`, base variant only."""
    out = {}
    for name, (t, a) in loaded.items():
        overrides = spec.spec.supply if spec is not None else {}
        period = spec.spec.period if spec is not None else NO_PERIOD
        seed = spec.spec.seed if spec is not None else 0
        side = one_off_scenario(f"diff {name}", t, a, snap, parsed, period=period, seed=seed, supply=overrides)
        result = run(side)
        base = result.variants[0]
        cols = ["client_id", "product", "ladder", "tier", "segment", "ordered", "entitled", "quota"]
        quotas = pl.concat([_with_segment(p.quotas).select(cols) for p in base.products])
        lines = base.summary.filter(pl.col("line") == "product").to_dicts()
        tiers = result.tiers.select("client_id", "ladder", "tier", "placed_by")
        out[name] = Side(files[name], t, a, tiers, quotas, lines)
    return out


def _movers(b: Side, a: Side, t: pl.DataFrame, q: pl.DataFrame) -> Movers:
    """Gainers, losers and the other clients whose tier, placing rule or quotas change."""
    delta = q.group_by("client_id").agg(
        (pl.col("quota_after") - pl.col("quota")).sum().alias("net"),
        (pl.col("quota") - pl.col("quota_after")).abs().sum().alias("dq"),
    )
    t = t.join(delta, on="client_id", how="left").with_columns(pl.col("net", "dq").fill_null(0))
    hit = t.filter(pl.col("moved") | (pl.col("dq") > 0) | pl.col("placed_by").ne_missing(pl.col("placed_by_after")))
    products = list(dict.fromkeys([p.id for p in _products(b)] + [p.id for p in _products(a)]))
    rank_b = b.tiering.ladder_table.frame("ladder", "tier", "rank")
    rank_a = a.tiering.ladder_table.frame("ladder_after", "tier_after", "rank_after")
    ranked = hit.join(rank_b, on=["ladder", "tier"], how="left").join(
        rank_a, on=["ladder_after", "tier_after"], how="left"
    )
    same_ladder = pl.col("ladder") == pl.col("ladder_after")
    up = (pl.col("rank") - pl.col("rank_after")).fill_null(0)  # steps towards the better tier
    steps = (pl.col("rank") - pl.col("rank_after")).abs().fill_null(1).alias("steps")  # other ladder: one step
    ranked = ranked.with_columns(steps, pl.when(same_ladder).then(up).otherwise(0).alias("up"))
    by = pl.col("net") if b.allocation is not None else pl.col("up")  # tiers only: moved up or down
    gain, loss = by > 0, by < 0
    size = pl.col("net").abs() if b.allocation is not None else pl.col("steps")
    groups = [ranked.filter(gain), ranked.filter(loss), ranked.filter(~gain & ~loss)]
    keys = (["_size", "steps", "client_id"], [True, True, False])
    ordered = [g.with_columns(size.alias("_size")).sort(keys[0], descending=keys[1]).head(TOP) for g in groups[:2]]
    ordered.append(groups[2].sort(["dq", "steps", "client_id"], descending=[True, True, False]).head(TOP))
    ids = [cid for g in ordered for cid in g["client_id"].to_list()]
    quotas: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    for name, side in (("b", b), ("a", a)):
        for cid, pid, quota in (
            side.quotas.filter(pl.col("client_id").is_in(ids)).select("client_id", "product", "quota").rows()
        ):
            old = quotas.get((cid, pid), (None, None))
            quotas[(cid, pid)] = (quota, old[1]) if name == "b" else (old[0], quota)
    gainers, losers, others = (g.to_dicts() for g in ordered)
    counts = (groups[0].height, groups[1].height, groups[2].height)
    return Movers(gainers, losers, others, counts, products, quotas)


CLIENT_COLUMNS = ["client_id", "ladder_before", "ladder_after", "tier_before", "tier_after", "placed_by_before",
                  "placed_by_after"]  # fmt: skip
QUOTA_LIST_COLUMNS = ["product", "quota_before", "quota_after", "change"]  # with quotas, after CLIENT_COLUMNS


def client_list(found: Impact) -> pl.DataFrame:
    """Every client of the snapshot: its ladder, tier and placing rule on both sides and, with
    quotas, one row per product with its quota before and after and the change; by client id,
    then product in the rule files' order."""
    t = found.tiers.select(
        "client_id", pl.col("ladder").alias("ladder_before"), "ladder_after", pl.col("tier").alias("tier_before"),
        "tier_after", pl.col("placed_by").alias("placed_by_before"), "placed_by_after",
    )  # fmt: skip
    assert t.columns == CLIENT_COLUMNS
    if found.tiers_only:
        return t.sort("client_id")
    rank = pl.DataFrame({"product": found.movers.products, "_p": range(len(found.movers.products))})
    q = found.client_quotas.join(rank, on="product", how="left").select(
        "client_id", "product", pl.col("quota").alias("quota_before"), "quota_after",
        (pl.col("quota_after") - pl.col("quota")).alias("change"), "_p",
    )  # fmt: skip
    return t.join(q, on="client_id", how="left").sort("client_id", "_p").select(*CLIENT_COLUMNS, *QUOTA_LIST_COLUMNS)


def _products(side: Side) -> list[ProductRules]:
    return list(side.allocation.products) if side.allocation is not None else []


def _with_segment(quotas: pl.DataFrame) -> pl.DataFrame:
    """Quotas with a segment column ('' for a product without segments)."""
    return quotas if "segment" in quotas.columns else quotas.with_columns(pl.lit("").alias("segment"))


def _tier_groups(b: Side, a: Side) -> list[dict[str, Any]]:
    """Per product, ladder, tier and segment: clients, entitled, allocated and fill rate on both sides."""
    keys = ["product", "ladder", "tier", "segment"]

    def stats(side: Side, suffix: str) -> pl.DataFrame:
        return _with_segment(side.quotas).group_by(keys).agg(
            pl.len().alias("clients" + suffix),
            pl.col("entitled").sum().alias("entitled" + suffix),
            pl.col("quota").sum().alias("allocated" + suffix),
            pl.when(pl.col("ordered").null_count() == 0).then(pl.col("ordered").sum()).alias("ordered" + suffix),
        )

    rows = stats(b, "").join(stats(a, "_after"), on=keys, how="full", coalesce=True).to_dicts()
    for side, suffix in ((b, ""), (a, "_after")):
        orders = {p.id: p.spec.order_column for p in _products(side)}
        for r in rows:
            if r["product"] in orders and r["clients" + suffix] is None:  # no client in this tier on this side
                r.update({k + suffix: 0 for k in ("clients", "entitled", "allocated")})
                r["ordered" + suffix] = 0 if orders[r["product"]] else None
    products = [p.id for p in _products(b)] + [p.id for p in _products(a)]
    ladders = {k: list(v) for k, v in b.tiering.ladders.items()}
    ladders.update({k: list(v) for k, v in a.tiering.ladders.items() if k not in ladders})
    lad_order = list(ladders)

    def key(r: dict[str, Any]) -> tuple[int, int, str, int, str]:
        tiers = ladders.get(r["ladder"], [])
        return (
            products.index(r["product"]),
            lad_order.index(r["ladder"]) if r["ladder"] in ladders else 99,
            r["segment"],
            tiers.index(r["tier"]) if r["tier"] in tiers else len(tiers),
            r["tier"],
        )

    return sorted(rows, key=key)


def _units_moved(groups: list[dict[str, Any]]) -> int:
    """Units that leave one tier for another: per product, the smaller of the units gained and lost."""
    gained: dict[str, int] = {}
    lost: dict[str, int] = {}
    for r in groups:
        d = (r["allocated_after"] or 0) - (r["allocated"] or 0)
        gained[r["product"]] = gained.get(r["product"], 0) + max(d, 0)
        lost[r["product"]] = lost.get(r["product"], 0) + max(-d, 0)
    return sum(min(gained[p], lost[p]) for p in gained)
