"""What each subcommand does, with its terminal output; cli.py only parses and dispatches."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from allocator.allocation_rules import load_allocation
from allocator.errors import AllocatorError, RuleFileError
from allocator.escape import json_text, terminal, terminal_lines
from allocator.files import display_path, kind_of, read_model
from allocator.models import AllocationFile, TieringFile
from allocator.runner import RunResult, VariantResult, slug
from allocator.scenarios import load_scenario
from allocator.snapshots import read_snapshot
from allocator.tiering import Mode
from allocator.tiering_rules import TieringRules, load_tiering


def emit(*items: object) -> None:
    """Print with rich: styled on a terminal; plain, wide, without trailing blanks elsewhere.

    Text is printed as Text, never as rich markup, with control characters escaped: a name like
    `[bold red]` or `\x1b]52;...` from an input file shows as written and does nothing.
    """
    items = tuple(Text(terminal_lines(i)) if isinstance(i, str) else i for i in items)
    if sys.stdout.isatty():
        Console().print(*items)
        return
    con = Console(width=200, no_color=True, highlight=False, soft_wrap=True)
    with con.capture() as cap:
        for item in items:
            con.print(item)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in cap.get().splitlines()))


def validate(files: list[Path], strict: bool = False) -> int:
    """Check each file (tiering files first, so allocation files are checked against them).

    Tiering files are also analysed as decision tables (gaps, rules that can never fire,
    impossible conditions): warnings, printed under the file's ok line; exit 1 with --strict.
    """
    errors: list[str] = []
    ok: list[str] = []
    warnings = 0
    kinds = {f: kind_of(f) for f in files}
    loaded: dict[Path, TieringRules] = {}
    for f in sorted(files, key=lambda f: kinds[f] != "tiering"):
        try:
            kind = kinds[f]
            if kind == "tiering":
                tiering = loaded[f] = load_tiering(f)
                ok.append(
                    f"{display_path(f)}: ok (tiering: {len(tiering.ladders)} ladders, "
                    f"{len(tiering.placement)} placement rules, {len(tiering.adjust)} adjustments)"
                )
                found = rule_warnings(f, tiering)
                warnings += len(found)
                ok.extend(found)
            elif kind == "allocation" and (partner := _partner(f, loaded)) is not None:
                a = load_allocation(f, partner)
                ok.append(
                    f"{display_path(f)}: ok (allocation: {len(a.products)} products, checked against {partner.file})"
                )
            elif kind == "allocation":
                alone = read_model(f, AllocationFile, "allocation")
                if alone.problems:
                    raise RuleFileError("\n".join(p.render() for p in sorted(alone.problems)))
                ok.append(f"{display_path(f)}: ok (allocation; give its tiering file too to check tiers and fields)")
            elif kind == "scenario":
                s = load_scenario(f)
                shown = display_path(s.snapshot)
                checked = read_snapshot(s.snapshot, shown, s.columns())
                n = len(s.variants) - 1
                ok.append(f"{display_path(f)}: ok (scenario '{s.spec.name}': {n} variants, snapshot checked)")
                ok.extend(w.render(shown) for w in checked.warnings)
                warnings += len(checked.warnings)
            else:
                read_model(f, TieringFile, "tiering")
        except AllocatorError as exc:
            errors.append(str(exc))
    for line in ok:
        print(terminal(line))
    if errors:
        print(terminal_lines("\n".join(errors)), file=sys.stderr)
        return 2
    return 1 if strict and warnings else 0


def _partner(allocation: Path, tierings: dict[Path, TieringRules]) -> TieringRules | None:
    """The tiering file an allocation file goes with: the only one given, or the one named alike
    (`x-allocation.yaml` with `x-tiering.yaml`, `allocation.yaml` with `tiering.yaml`)."""
    if len(tierings) == 1:
        return next(iter(tierings.values()))
    stem = allocation.name.replace("allocation", "")
    for path, rules in tierings.items():
        if path.parent.resolve() == allocation.parent.resolve() and path.name.replace("tiering", "") == stem:
            return rules
    return None


def rule_warnings(path: Path, tiering: TieringRules, max_cells: int = 50_000) -> list[str]:
    """The decision-table findings of a tiering file, as located warning lines."""
    from allocator.analysis import analyse
    from allocator.yamlio import load_yaml_file

    findings = analyse(tiering, max_cells)
    if not findings:
        return []
    doc = load_yaml_file(path, display_path(path))
    where = {
        rule.get("id"): (section, i)
        for section in ("placement", "adjust")
        for i, rule in enumerate(doc.data.get(section) or [])
        if isinstance(rule, dict)
    }
    lines = []
    for f in findings:
        at = where.get(f.rule_id) if f.rule_id else None
        problem = doc.problem(at if at else ("ladders", f.ladder), "warning: " + f.message, key=at is None)
        lines.append(problem.render())
    return lines


def run(
    scenario: Path, out: Path | None, engine: Mode = "grouped", ledger: Path | None = None, wait: float = 0.0
) -> int:
    """Run a scenario under the run lock, write its outputs, print the per-tier table."""
    from allocator.batch import execute, quiet

    target = out if out is not None else Path("out") / slug(load_scenario(scenario).spec.name, "scenario")
    if sys.stderr.isatty():  # a spinner with the current step; nothing when output is redirected
        with Console(stderr=True).status("starting") as status:
            result = execute(
                scenario,
                target,
                ledger=ledger,
                wait=wait,
                mode=engine,
                log=quiet,
                progress=lambda step: status.update(Text(terminal(step))),  # file names, never markup
            )
    else:
        result = execute(scenario, target, ledger=ledger, wait=wait, mode=engine, log=quiet)
    for warning in result.warnings:
        print(terminal(warning), file=sys.stderr)
    print_run(result, target)
    return 0


def batch(scenario: Path, out: Path, ledger: Path | None, wait: float, engine: Mode) -> int:
    """An unattended run: JSON log lines on stdout, a ledger record, no tables."""
    from allocator.batch import execute, json_log

    book = ledger if ledger is not None else out.resolve().parent / "ledger.sqlite"
    log = json_log()
    execute(scenario, out, ledger=book, wait=wait, mode=engine, log=log)
    log("done", exit=0)
    return 0


def diff(before: str, after: str, snapshot: Path | None, scenario: Path | None) -> int:
    """Print the Markdown impact of a rule change; exit 1 when anything differs, 0 when nothing does."""
    from allocator.diff import diff as rule_diff

    markdown, changed = rule_diff(before, after, snapshot, scenario)
    sys.stdout.write(markdown)
    return 1 if changed else 0


def explain(client_id: str, scenario: Path, as_json: bool) -> int:
    """Print why one client has its tier and quotas (text, or JSON with --json)."""
    import json

    from allocator.explain import explain as explain_client
    from allocator.explain import render_explain

    data = explain_client(client_id, scenario)
    text = json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n" if as_json else render_explain(data)
    sys.stdout.write(text)
    return 0


def print_run(result: RunResult, target: Path) -> None:
    """The base's per-tier table (tier amounts as one column per product), then the variants compared."""
    s = result.scenario
    base = result.variants[0]
    items: list[object] = [
        f"{s.spec.name} · period {s.spec.period} · seed {s.spec.seed} · {result.tiers.height} clients"
    ]
    by_amounts = {p.product for p in base.products if p.tier_amounts is not None}
    rows = base.summary.filter(~pl.col("product").is_in(list(by_amounts)))
    if rows.height:
        table = Table(title="base", title_justify="left", show_edge=False, pad_edge=False)
        for col in (
            "product",
            "ladder",
            "tier",
            "clients",
            "ordered",
            "entitled",
            "allocated",
            "fill",
            "stock-out",
            "note",
        ):
            table.add_column(col, justify="left" if col in ("product", "ladder", "tier", "note") else "right")
        for row in rows.iter_rows(named=True):
            if row["line"] == "tier":
                table.add_row(*_cells(row["product"], row["ladder"], row["tier"], *_nums(row), ""))
            else:
                cells = ("", "", "", "", str(row["allocated"]), "", "", row["note"])
                table.add_row(*_cells(row["product"], row["line"], *cells), style="dim")
        items.append(table)
    if base.tier_amounts is not None:
        items.append(_amounts_table(base))
    if len(result.variants) > 1:
        items.append(_comparison_table(result))
    files = "tiers.csv, quotas.csv, summary.csv, manifest.json"
    files += ", comparison.csv, report.html" if len(result.variants) > 1 else ", report.html"
    items.append(f"wrote {display_path(target)}/ ({files})")
    emit(*items)


def _cells(*values: object) -> list[Text]:
    """Table cells as literal text: ids and notes from input files are never read as rich markup."""
    return [Text(terminal(str(v) if v is not None else "")) for v in values]


def _amounts_table(variant: VariantResult) -> Table:
    """Tier amounts: one row per tier, one column per product (the amount each shop may get)."""
    amounts = variant.tier_amounts
    assert amounts is not None
    products = list(dict.fromkeys(amounts["product"].to_list()))
    table = Table(title="base: tier amounts (cartons per shop)", title_justify="left", show_edge=False, pad_edge=False)
    for i, col in enumerate(_cells("ladder", "tier", "shops", *products)):
        table.add_column(col, justify="left" if i < 2 else "right")
    wide = amounts.pivot(on="product", index=["ladder", "tier", "customers"], values="amount", maintain_order=True)
    for row in wide.iter_rows(named=True):
        table.add_row(*_cells(row["ladder"], row["tier"], row["customers"], *(row[p] for p in products)))
    results = {p.product: p for p in variant.products}
    table.add_section()
    table.add_row(*_cells("total", "", "", *(results[p].allocated for p in products)))
    table.add_row(*_cells("supply", "", "", *(results[p].available for p in products)))
    table.add_row(*_cells("left", "", "", *(results[p].unallocated for p in products)))
    return table


def _differs(rows: pl.DataFrame, names: list[str]) -> bool:
    return any(rows[n].to_list() != rows[names[0]].to_list() for n in names[1:])


def _comparison_table(result: RunResult) -> Table:
    """Allocated (fill rate) per product and tier, base and each variant side by side."""
    names = [v.name for v in result.variants]
    table = Table(
        title="variants compared: allocated (fill rate)", title_justify="left", show_edge=False, pad_edge=False
    )
    for i, col in enumerate(_cells("product", "ladder", "tier", *names)):
        table.add_column(col, justify="left" if i < 3 else "right")
    comp = result.comparison
    wide = comp.with_columns(
        pl.format(
            "{} ({})", pl.col("allocated"), pl.col("fill_rate").mul(100).round(1).cast(pl.String).fill_null("-") + "%"
        )
        .str.replace(r"\(-%\)", "")
        .str.strip_chars()
        .alias("cell")
    ).pivot(on="variant", index=["product", "ladder", "tier"], values="cell", maintain_order=True)
    products = wide["product"].unique(maintain_order=True).to_list()
    changed = [p for p in products if _differs(wide.filter(pl.col("product") == p), names)]
    for row in wide.filter(pl.col("product").is_in(changed)).iter_rows(named=True):
        table.add_row(*_cells(row["product"], row["ladder"], row["tier"], *(row[n] or "" for n in names)))
    table.add_section()
    for p in result.variants[0].products:
        totals = []
        for v in result.variants:
            got = next(x for x in v.products if x.product == p.product)
            totals.append(f"{got.allocated} of {got.available}")
        table.add_row(*_cells(p.product, "total", "", *totals))
    return table


def schema(out: Path) -> int:
    """Write one JSON Schema per file kind (tiering, allocation, scenario) into `out`."""
    import json

    from allocator.errors import OutputError
    from allocator.folders import os_errors
    from allocator.models import MODELS

    what = "cannot write the schemas there"
    if out.exists() and not out.is_dir():
        raise OutputError(f"{display_path(out)}: {what}: it is a file, not a folder")
    with os_errors(display_path(out), what):
        out.mkdir(parents=True, exist_ok=True)
        for kind, model in MODELS.items():
            target = out / f"{kind}.schema.json"
            body = model.model_json_schema()
            body["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            target.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            print(f"wrote {display_path(target)}")
    return 0


def _nums(row: dict[str, object]) -> list[str]:
    def pct(x: object) -> str:
        return f"{float(x) * 100:.1f}%" if isinstance(x, float) else "-"

    def num(x: object) -> str:
        return str(x) if x is not None else "-"

    return [
        num(row["clients"]),
        num(row["ordered"]),
        num(row["entitled"]),
        num(row["allocated"]),
        pct(row["fill_rate"]),
        pct(row["stockout_rate"]),
    ]


__all__ = ["pl", "run", "validate"]
