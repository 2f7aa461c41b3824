"""The output folder of a partitioned run: one run folder per partition under partitions/, and at
the top partitions.csv, manifest.json (each partition folder's manifests by sha256), report.html
(an index of the partitions' reports) and timings.json.

A partition's folder is written by the task that ran it, with the same atomic exchange as any run
(`write_outputs`), inside the staging folder of the whole run; the whole run is then exchanged
with the previous outputs at once, so `--out` holds every partition or none.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from allocator import __version__
from allocator.errors import OutputError
from allocator.escape import html
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import BASE, Scenario, snapshot_named
from allocator.outputs.atomic import clean_leftovers
from allocator.outputs.folders import HINT, check_output_target, foreign_entries, guard_output_folder, os_errors
from allocator.outputs.run_folder import variant_folder, write_outputs
from allocator.outputs.tables import sha256_file, write_csv, write_json
from allocator.pipeline.run import RunResult

PARTITIONS = "partitions"
TOP_FILES = frozenset({"partitions.csv", "manifest.json", "report.html", "timings.json"})


@dataclass(frozen=True)
class ProductLine:
    """One product of one variant in one partition: its supply there and what was allocated."""

    variant: str
    product: str
    supply: int
    reserve: int
    allocated: int
    unallocated: int


@dataclass(frozen=True)
class PartitionDone:
    """What a partition's task hands back: small, so that it travels from any worker."""

    value: str
    folder: str
    clients: int
    snapshot_sha256: str
    manifests: dict[str, str]  # path in the partition folder -> sha256 of that manifest.json
    products: tuple[ProductLine, ...]
    summary: pl.DataFrame | None = None  # the base's summary, for the terminal
    alerts: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


def write_partition(result: RunResult, folder: Path) -> dict[str, str]:
    """Write one partition's run into `folder` (replacing what an earlier attempt left there);
    the sha256 of each of its manifests, by path inside the folder."""
    clean_leftovers(folder)  # a killed attempt's half-written temporary: this task's own name only
    write_outputs(result, folder)
    names = [variant_folder(Path(), v.name) / "manifest.json" for v in result.variants]
    return {str(name): sha256_file(folder / name) for name in names}


def products_of(result: RunResult) -> tuple[ProductLine, ...]:
    """Every variant's products with their supply and allocation, for partitions.csv."""
    return tuple(
        ProductLine(v.name, p.product, p.supply, p.reserve, p.allocated, p.unallocated)
        for v in result.variants
        for p in v.products
    )


def check_returned(folder: Path, done: Sequence[PartitionDone]) -> None:
    """Every partition's manifests are in the staging folder with the sha256 its task returned:
    a task that wrote elsewhere (storage the driver does not share) or was overtaken is caught here."""
    for d in done:
        for name, digest in d.manifests.items():
            path = folder / PARTITIONS / d.folder / name
            found = sha256_file(path) if path.is_file() else None
            if found != digest:
                why = "is missing" if found is None else "differs from what its task wrote"
                raise OutputError(
                    f"{display_path(folder)}: partition '{d.value}': {PARTITIONS}/{d.folder}/{name} {why}; "
                    "the workers must write to storage this machine shares (see docs/distributed.md)"
                )


def write_top(folder: Path, scenario: Scenario, done: Sequence[PartitionDone], timings: dict[str, float]) -> None:
    """partitions.csv, manifest.json, report.html and timings.json at the top of the staging folder."""
    write_csv(partitions_table(done), folder / "partitions.csv", bom=scenario.spec.outputs.csv_bom)
    (folder / "report.html").write_text(index_page(scenario, done), encoding="utf-8")
    data = top_manifest(scenario, done)
    data["outputs"] = {name: sha256_file(folder / name) for name in ("partitions.csv", "report.html")}
    write_json(data, folder / "manifest.json")
    write_json({k: round(v, 3) for k, v in timings.items()}, folder / "timings.json")


def partitions_table(done: Sequence[PartitionDone]) -> pl.DataFrame:
    """partitions.csv: one line per variant, partition and product, in the partitions' order."""
    rows = [
        {"variant": line.variant, "partition": d.value, "folder": f"{PARTITIONS}/{d.folder}", "clients": d.clients,
         "product": line.product, "supply": line.supply, "reserve": line.reserve, "allocated": line.allocated, "unallocated": line.unallocated}
        for d in done for line in d.products
    ]  # fmt: skip
    schema = {"variant": pl.String, "partition": pl.String, "folder": pl.String, "clients": pl.Int64,
              "product": pl.String, "supply": pl.Int64, "reserve": pl.Int64, "allocated": pl.Int64, "unallocated": pl.Int64}  # fmt: skip
    table = pl.DataFrame(rows, schema=schema)
    order = {name: i for i, name in enumerate(dict.fromkeys(table["variant"].to_list()))}
    return (
        table.with_columns(pl.col("variant").replace_strict(order, return_dtype=pl.Int64).alias("_v"))
        .sort("_v", maintain_order=True)
        .drop("_v")
    )


def top_manifest(scenario: Scenario, done: Sequence[PartitionDone]) -> dict[str, object]:
    """What the whole run was made from, and each partition folder's manifests by sha256."""
    part = scenario.spec.partition
    assert part is not None and scenario.clients is not None
    return {
        "tool": "allocator",
        "version": __version__,
        "scenario": {"file": Path(scenario.file).name, "name": scenario.spec.name, "sha256": scenario.sha256},
        "period": scenario.spec.period,
        "seed": scenario.spec.seed,
        "inputs": {
            "snapshot": {
                **snapshot_named(scenario.spec),
                "sha256": scenario.clients.sha256,
                "rows": scenario.clients.clients.height,
            },
            "tiering": {"file": scenario.spec.tiering, "sha256": scenario.tiering.sha256},
            "allocation": {"file": scenario.spec.allocation, "sha256": scenario.allocation.sha256},
        },
        "partition": part.model_dump(),
        "partitions": [
            {"partition": d.value, "folder": f"{PARTITIONS}/{d.folder}", "clients": d.clients, "manifests": d.manifests}
            for d in done
        ],
    }


def index_page(scenario: Scenario, done: Sequence[PartitionDone]) -> str:
    """report.html at the top: each partition with its clients, its products and a link to its report."""
    part = scenario.spec.partition
    assert part is not None
    products = list(dict.fromkeys(line.product for d in done for line in d.products if line.variant == BASE))
    head = "".join(f"<th>{html(p)}</th>" for p in products)
    rows = []
    for d in done:
        base = {line.product: line for line in d.products if line.variant == BASE}
        cells = "".join(
            f"<td>{base[p].allocated} / {base[p].supply}</td>" if p in base else "<td></td>" for p in products
        )
        link = f'<a href="{html(f"{PARTITIONS}/{d.folder}/report.html")}">{html(d.value)}</a>'
        rows.append(f"<tr><td>{link}</td><td>{d.clients}</td>{cells}</tr>")
    title = html(f"{scenario.spec.name} · {part.by}: {len(done)} partitions")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>\n<h1>{title}</h1>\n"
        f"<p>period {html(scenario.spec.period)} · seed {scenario.spec.seed} · allocated / supply of each product</p>\n"
        f"<table><thead><tr><th>{html(part.by)}</th><th>clients</th>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>\n</body></html>\n"
    )


def is_partitioned_folder(folder: Path) -> bool:
    """Whether `folder` holds a partitioned run's outputs (a top manifest listing partitions)."""
    manifest = folder / "manifest.json"
    try:
        if manifest.is_symlink() or not manifest.is_file() or manifest.stat().st_size > 1 << 24:
            return False
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tool") == "allocator" and isinstance(data.get("partitions"), list)


def partitioned_foreign_entries(folder: Path) -> list[str]:
    """The entries of a partitioned run's folder that no partitioned run writes, sorted."""
    foreign = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name in TOP_FILES and entry.is_file(follow_symlinks=False):
            continue
        if entry.name != PARTITIONS or not entry.is_dir(follow_symlinks=False):
            foreign.append(entry.name)
            continue
        for sub in sorted(os.scandir(entry.path), key=lambda e: e.name):
            path = Path(sub.path)
            if not sub.is_dir(follow_symlinks=False) or not (path / "manifest.json").is_file():
                foreign.append(f"{PARTITIONS}/{sub.name}")
            else:
                foreign += [f"{PARTITIONS}/{sub.name}/{name}" for name in foreign_entries(path)]
    return foreign


def guard_run_folder(out: Path, inputs: Sequence[tuple[str, Path]], ledger: Path | None) -> None:
    """`guard_output_folder`, also accepting a folder that a partitioned run wrote: the same
    refusals (it is or holds the working directory, the home directory, an input or the
    ledger; it holds a file allocator did not write), with partitions/ as one more kind of run."""
    target = out.resolve()
    if not is_partitioned_folder(target):
        guard_output_folder(out, inputs, ledger)
        return
    shown = display_path(out)
    with os_errors(shown, "cannot write the outputs"):
        check_output_target(out)
        named = [("the working directory", Path.cwd()), ("your home directory", Path.home()), *inputs]
        named += [("the ledger", ledger)] if ledger is not None else []
        holds = [what if what.endswith("directory") else f"{what} {display_path(p)}"
                 for what, p in named if p.resolve() == target or target in p.resolve().parents]  # fmt: skip
        foreign = partitioned_foreign_entries(target)
    if foreign:
        listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        holds.append(f"files that allocator did not write ({listed})")
    if holds:
        raise OutputError(
            f"{shown}: refusing to replace this folder with the outputs: it contains {', '.join(holds)}; {HINT}"
        )


__all__ = [
    "PARTITIONS", "PartitionDone", "ProductLine", "check_returned", "guard_run_folder", "index_page",
    "is_partitioned_folder", "partitioned_foreign_entries", "partitions_table", "products_of", "top_manifest",
    "write_partition", "write_top",
]  # fmt: skip
