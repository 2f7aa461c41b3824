"""The output folder of a run: tiers, quotas, summaries and manifest per variant, the comparison,
the report and the timings, written atomically (all of it or nothing)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import polars as pl

from allocator import __version__
from allocator.errors import ScenarioError
from allocator.inputs.folder_names import folder_clashes, slug
from allocator.inputs.scenarios import BASE, Scenario, snapshot_named
from allocator.outputs.atomic import write_atomically
from allocator.outputs.notice import method_facts
from allocator.outputs.parquet import write_parquet, write_parquet_parts
from allocator.outputs.report import render_report
from allocator.outputs.tables import synced_sha256, write_csv, write_csv_parts, write_json
from allocator.outputs.workbook import variant_sheets, write_workbook
from allocator.pipeline.run import RunResult, VariantResult

WORKBOOK = "workbook.xlsx"


def check_variant_folders(scenario: Scenario) -> None:
    """Refuse variants whose names would share one folder under variants/ (`folder_clashes`)."""
    clashes = folder_clashes(name for name in scenario.variants if name != BASE)
    if clashes:
        raise ScenarioError(
            "\n".join(
                f"{scenario.file}: variants '{a}' and '{b}' would share the output folder variants/{folder}; "
                "give one of them another name"
                for a, b, folder in clashes
            )
        )


def variant_folder(root: Path, name: str) -> Path:
    """Where a variant's files go: the base in the folder itself, each variant under variants/."""
    return root if name == BASE else root / "variants" / slug(name)


def manifest(result: RunResult, variant: VariantResult) -> dict[str, object]:
    """What a variant's folder was made from: the tool, the inputs with their sha256, the products."""
    s = result.scenario
    assert s.clients is not None
    return {
        "tool": "allocator",
        "version": __version__,
        "scenario": {"file": Path(s.file).name, "name": s.spec.name, "sha256": s.sha256, "variant": variant.name},
        "period": s.spec.period,
        "seed": s.spec.seed,
        "inputs": {
            "snapshot": {**snapshot_named(s.spec), "sha256": s.clients.sha256, "rows": result.tiers.height},
            "tiering": {"file": s.spec.tiering, "sha256": s.tiering.sha256},
            "allocation": {"file": s.spec.allocation, "sha256": s.allocation.sha256},
        },
        "current_tier_from_ledger": result.previous,
        "products": [
            {
                "product": p.product,
                "supply": p.supply,
                "reserve": p.reserve,
                "reserve_owner": p.reserve_owner,
                "available": p.available,
                "allocated": p.allocated,
                "unallocated": p.unallocated,
            }
            for p in variant.products
        ],
        "methods": method_facts(s.allocation, s.variants[variant.name]),
        **_cycle(result),
    }


def _cycle(result: RunResult) -> dict[str, object]:
    """In a cycle: its id, this round, and each product's round supply and where it comes from."""
    spec = result.scenario.spec
    if spec.cycle is None or result.round_supplies is None:
        return {}
    keys = ("cycle_supply", "issued_before", "supply", "nominal", "drift", "overridden")
    supplies = {pid: {k: getattr(rs, k) for k in keys} for pid, rs in result.round_supplies.items()}
    return {"cycle": {"id": spec.cycle.id, "round": spec.round, "supplies": supplies}}


def write_outputs(
    result: RunResult, out: Path, record: Callable[[], AbstractContextManager[object]] | None = None
) -> None:
    """Write every file of the run into `out`, atomically: all of it or nothing.

    `record` is the ledger's transaction; the outputs are put in place only as it commits."""
    check_variant_folders(result.scenario)
    spec = result.scenario.spec
    bom, kept = spec.outputs.csv_bom, _kept(result)

    def fill(folder: Path) -> None:
        # Each variant's files are hashed (and synced to disk) on two threads while the next
        # variant, the comparison and the report are made: a million clients' quotas.csv is
        # 700 MB to read, hash and write back, which no longer waits for the report.
        with ThreadPoolExecutor(max_workers=2) as pool:
            hashed: dict[str, dict[str, Future[str]]] = {}
            for variant in result.variants:
                target = variant_folder(folder, variant.name)
                target.mkdir(parents=True, exist_ok=True)
                write_tables(result, variant, target)
                write_csv(variant.summary, target / "summary.csv", bom=bom)
                if variant.tier_amounts is not None:
                    write_csv(variant.tier_amounts, target / "tier_amounts.csv", bom=bom)
                if spec.outputs.xlsx:
                    title = spec.name if variant.name == BASE else f"{spec.name} · {variant.name}"
                    write_workbook(variant_sheets(result, variant, kept), target / WORKBOOK, title)
                written = sorted([*target.glob("*.csv"), *target.glob("*.parquet"), *target.glob(WORKBOOK)])
                hashed[variant.name] = {f.name: pool.submit(synced_sha256, f) for f in written}
            if len(result.variants) > 1:
                write_csv(result.comparison, folder / "comparison.csv", bom=bom)
            (folder / "report.html").write_text(render_report(result), encoding="utf-8")
            for variant in result.variants:
                data = manifest(result, variant)
                data["outputs"] = {name: found.result() for name, found in hashed[variant.name].items()}
                write_json(data, variant_folder(folder, variant.name) / "manifest.json")
        write_json({k: round(v, 3) for k, v in result.timings.items()}, folder / "timings.json")

    write_atomically(out, fill, record)


def write_tables(result: RunResult, variant: VariantResult, target: Path) -> None:
    """A variant's tiers and quotas, as the scenario's `outputs: {format: ...}` says: CSV or Parquet.

    quotas is written one product at a time (each part joined to the kept columns as it goes), so
    memory stays flat however many products there are."""
    outputs, kept = result.scenario.spec.outputs, _kept(result)
    tiers = variant.tiers if variant.tiers is not None else result.tiers
    if outputs.format == "parquet":
        write_parquet(tiers, target / "tiers.parquet")
        write_parquet_parts((with_kept(p.quotas, kept) for p in variant.products), target / "quotas.parquet")
        return
    write_csv(tiers, target / "tiers.csv", bom=outputs.csv_bom)
    write_csv_parts((with_kept(p.quotas, kept) for p in variant.products), target / "quotas.csv", bom=outputs.csv_bom)


def _kept(result: RunResult) -> pl.DataFrame | None:
    """client_id and the snapshot columns the scenario keeps (`outputs: {keep_columns: [...]}`)."""
    clients = result.scenario.clients
    return clients.kept if clients is not None else None


def with_kept(quotas: pl.DataFrame, kept: pl.DataFrame | None) -> pl.DataFrame:
    """quotas.csv's rows with the kept snapshot columns right after client_id (as text)."""
    if kept is None:
        return quotas
    clash = sorted(set(kept.columns[1:]) & set(quotas.columns))
    if clash:  # the scenario's check refuses these names; a column quotas.csv gained later is caught here
        raise ScenarioError(f"keep_columns: {', '.join(clash)} is a column of quotas.csv already; keep another")
    joined = quotas.join(kept, on="client_id", how="left", maintain_order="left")
    return joined.select("client_id", *kept.columns[1:], *quotas.columns[1:])


__all__ = [
    "WORKBOOK",
    "check_variant_folders",
    "manifest",
    "variant_folder",
    "with_kept",
    "write_outputs",
    "write_tables",
]
