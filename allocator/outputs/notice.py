"""The notice to retailers (公示): what an approved run gives each tier, as printable HTML and CSV.

`publish` reads the run's output folder, and only after checking it: every output file against
the sha256 its manifest gives, the manifest against the sha256 the ledger recorded, and the
manifest's inputs against the ledger's row. From quotas.csv (or quotas.parquet) it counts, per product, segment and
tier, the shops and what they got: one number when every shop got the same, else the range.

notice.html is one self-contained page (inline CSS with a print layout, no scripts, nothing
loaded from anywhere, every string escaped); notice.csv has the same rows under stable English
column ids; notice.json says which run the folder shows, so that a later notice may replace it.
Every label comes from allocator/labels.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from allocator import __version__
from allocator.errors import OutputError
from allocator.escape import html
from allocator.inputs.product_rules import AllocationRules
from allocator.inputs.product_terms import ProductTerms
from allocator.inputs.rule_files import display_path
from allocator.labels import LABELS, label
from allocator.outputs.atomic import write_atomically
from allocator.outputs.ledger_schema import RunRow
from allocator.outputs.run_files import scan_text
from allocator.outputs.tables import sha256_file, write_csv, write_json
from allocator.pipeline.segments import OUTSIDE

MANIFEST_LIMIT = 64 << 20  # bytes: a manifest of 10,000 plans is a few MB
COLUMNS = ("product", "segment", "ladder", "tier", "quota_per_shop", "quota_min", "quota_max", "shops",
           "shops_allocated")  # fmt: skip


def method_facts(allocation: AllocationRules, terms: Mapping[str, ProductTerms]) -> dict[str, dict[str, Any]]:
    """Per product, the method the notice shows (policy, rounding, target, window, segments), for
    the manifest's `methods` key: `"methods": method_facts(s.allocation, s.variants[variant.name])`."""
    facts: dict[str, dict[str, Any]] = {}
    for p in allocation.products:
        spec, own = p.spec, terms.get(p.id)
        seg = spec.segments
        facts[p.id] = {
            "name": spec.name,
            "policy": spec.policy,
            "rounding": own.rounding if own is not None else spec.rounding,
            "target": spec.target if spec.policy == "tier_amounts" else None,
            "window": {lad: list(tiers) for lad, tiers in p.window.items()},
            "segments": None if seg is None else {"by": seg.by, "values": seg.values, "weights": seg.weights},
        }
    return facts


@dataclass(frozen=True)
class RunFolder:
    """A run's output folder, checked: its manifest and where its files are."""

    path: Path
    manifest: dict[str, Any]
    manifest_sha256: str


def _at(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _read_manifest(path: Path, head: str) -> tuple[dict[str, Any], str]:
    shown = display_path(path)
    try:
        if path.is_symlink() or not path.is_file():
            raise OutputError(f"{head}: {shown} is missing")
        if path.stat().st_size > MANIFEST_LIMIT:
            raise OutputError(f"{head}: {shown} is larger than {MANIFEST_LIMIT} bytes; no run writes that")
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{head}: {shown}: cannot read it: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError):
        raise OutputError(f"{head}: {shown} is not the JSON a run writes") from None
    if not isinstance(data, dict) or data.get("tool") != "allocator":
        raise OutputError(f"{head}: {shown} is not a manifest that allocator wrote")
    return data, sha256_file(path)


def verify_run_folder(row: RunRow, refusal: str) -> RunFolder:
    """The run's output folder, refused (every mismatch at once, each with both hashes) unless it
    holds exactly what the run wrote. `refusal` is what is refused: "cannot be published"."""
    folder = Path(row.out_dir)
    head = f"{row.named} {refusal}: its output folder {display_path(folder)} is not as the run left it"
    manifest, digest = _read_manifest(folder / "manifest.json", head)
    problems: list[str] = []
    shown = display_path(folder / "manifest.json")
    if row.manifest_sha256 is not None and digest != row.manifest_sha256:
        problems.append(f"{shown}: sha256 {digest}, but the ledger recorded {row.manifest_sha256}")
    expected = {
        "scenario sha256": (("scenario", "sha256"), row.scenario_sha256),
        "period": (("period",), row.period),
        "seed": (("seed",), row.seed),
        "snapshot sha256": (("inputs", "snapshot", "sha256"), row.snapshot_sha256),
        "tiering sha256": (("inputs", "tiering", "sha256"), row.tiering_sha256),
        "allocation sha256": (("inputs", "allocation", "sha256"), row.allocation_sha256),
    }
    for what, (keys, recorded) in expected.items():
        if (given := _at(manifest, *keys)) != recorded:
            problems.append(f"{shown}: {what} {given}, but the ledger recorded {recorded}")
    outputs = manifest.get("outputs")
    outputs = outputs if isinstance(outputs, dict) else {}
    for stem in ("quotas", "summary"):
        if not {f"{stem}.csv", f"{stem}.parquet"} & set(outputs):
            problems.append(f"{shown}: lists no {stem}.csv")
    for name, recorded in sorted(outputs.items()):
        if not isinstance(name, str) or Path(name).name != name or name.startswith(".") or "\\" in name:
            problems.append(f"{shown}: lists {name!r}, which is not a file of the folder")  # never a path to follow
            continue
        problems.extend(_file_problem(folder / name, recorded))
    if problems:
        raise OutputError("\n".join([f"{head}:", *problems]))
    return RunFolder(folder, manifest, digest)


def _file_problem(path: Path, recorded: object) -> list[str]:
    shown = display_path(path)
    try:
        if path.is_symlink() or not path.is_file():
            return [f"{shown}: missing, but the manifest gives its sha256 {recorded}"]
        digest = sha256_file(path)
    except OSError as exc:
        return [f"{shown}: cannot read it: {exc.strerror}"]
    return [] if digest == recorded else [f"{shown}: sha256 {digest}, but the manifest says {recorded}"]


def _key(name: str) -> pl.Expr:
    """A key column as text, an empty cell as "" (the summary and quotas then join on it)."""
    return pl.col(name).fill_null("").alias(name)


KEYS = ["product", "segment", "ladder", "tier"]


def notice_table(folder: RunFolder) -> pl.DataFrame:
    """The notice's rows: per product, segment, ladder and tier (in the summary's order) the quota
    when every shop got the same (else empty), the smallest and largest, the shops, those with > 0."""
    quotas = _scan(folder, "quotas")
    segment = _key("segment") if "segment" in quotas.collect_schema().names() else pl.lit("").alias("segment")
    shops = (
        quotas.filter(pl.col("excluded_by").fill_null("") != OUTSIDE)  # not one of the product's segments
        .select(_key("product"), segment, _key("ladder"), _key("tier"), pl.col("quota").cast(pl.Int64))
        .group_by(KEYS)
        .agg(
            pl.col("quota").min().alias("quota_min"),
            pl.col("quota").max().alias("quota_max"),
            pl.len().cast(pl.Int64).alias("shops"),
            (pl.col("quota") > 0).sum().cast(pl.Int64).alias("shops_allocated"),
        )
        .collect()
    )
    order = _summary_order(_scan(folder, "summary"))
    shops = shops.join(order, on=KEYS, how="left").sort("_order", *KEYS, nulls_last=True)
    per_shop = pl.when(pl.col("quota_min") == pl.col("quota_max")).then(pl.col("quota_min"))
    return shops.select(*KEYS, per_shop.alias("quota_per_shop"), *COLUMNS[5:])


def _scan(folder: RunFolder, stem: str) -> pl.LazyFrame:
    """One of the run's tables, every column as text: the file its manifest lists and
    `verify_run_folder` checked (CSV, or Parquet when the run wrote that)."""
    outputs = folder.manifest.get("outputs")
    return scan_text(folder.path, stem, listed=set(outputs) if isinstance(outputs, dict) and outputs else None)


def _summary_order(lines: pl.LazyFrame) -> pl.DataFrame:
    """Where each (product, segment, ladder, tier) first appears among the summary's tier lines."""
    names = lines.collect_schema().names()
    segment = _key("segment") if "segment" in names else pl.lit("").alias("segment")
    keys = lines.filter(pl.col("line") == "tier").select(_key("product"), segment, _key("ladder"), _key("tier"))
    return keys.unique(maintain_order=True).with_row_index("_order").collect()


@dataclass(frozen=True)
class NoticeRun:
    """What the notice's head says about the run: from the ledger and from the run's manifest."""

    row: RunRow
    approved: tuple[str, str] | None  # (by, at)
    published_at: str


def _cell(value: object) -> str:
    return "" if value is None else html(value)


def _named(key: str, value: object, lang: str) -> str:
    """The label of a value (policy_weighted), or the value itself when it has none (a newer manifest)."""
    return label(key, lang) if key in LABELS else str(value)


def _method(facts: object, lang: str) -> list[tuple[str, str]]:
    """The (label, text) lines of a product's method, window and segments."""
    if not isinstance(facts, dict):
        return [(label("method", lang), html(label("not_recorded", lang)))]
    policy = str(facts.get("policy"))
    lines = [(label("method", lang), f"{html(_named('policy_' + policy, policy, lang))} (<code>{html(policy)}</code>)")]
    if policy == "tier_amounts" and facts.get("target"):
        target = str(facts["target"])
        lines.append((label("target", lang), html(_named("target_" + target, target, lang))))
    else:
        lines.append((label("rounding", lang), f"<code>{html(facts.get('rounding'))}</code>"))
    window = facts.get("window")
    shown = []
    for ladder, given in (window if isinstance(window, dict) else {}).items():
        tiers = [str(t) for t in given] if isinstance(given, list) else [str(given)]
        span = ", ".join(tiers) if len(tiers) <= 4 else f"{tiers[0]}–{tiers[-1]} ({len(tiers)})"
        shown.append(f"{html(ladder)}: {html(span)}")
    lines.append((label("window", lang), "; ".join(shown)))
    lines.append((label("segments", lang), _segments(facts.get("segments"), lang)))
    return lines


def _segments(seg: object, lang: str) -> str:
    if not isinstance(seg, dict):
        return html(label("one_pool", lang))
    values = seg.get("values")
    chosen = label("all_values", lang) if values == "all" else ", ".join(
        " / ".join(map(str, v)) if isinstance(v, list) else str(v) for v in _listed(values)
    )  # fmt: skip
    text = f"{label('by_field', lang)} {' + '.join(map(str, _listed(seg.get('by'))))}: {chosen}"
    weights = seg.get("weights")
    if isinstance(weights, dict):
        text += f"; {label('weights', lang)} " + ", ".join(f"{k} {_number(v)}" for k, v in weights.items())
    elif weights in ("clients", "orders"):
        text += f"; {label('weights', lang)} {label('weights_' + weights, lang)}"
    return html(text)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _number(value: object) -> str:
    """4 for 4.0, 0.5 for 0.5: a weight as it was written."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _product_section(product: dict[str, Any], facts: object, rows: pl.DataFrame, lang: str) -> str:
    pid = str(product.get("product"))
    name = facts.get("name") if isinstance(facts, dict) else None
    lines = _method(facts, lang)
    reserve = f"{product.get('reserve')}" + (f" ({product['reserve_owner']})" if product.get("reserve_owner") else "")
    lines += [(label("supply", lang), html(product.get("supply"))), (label("reserve", lang), html(reserve)),
              (label("allocated", lang), html(product.get("allocated")))]  # fmt: skip
    facts_html = "".join(f"<dt>{html(k)}</dt><dd>{v}</dd>" for k, v in lines)
    title = html(pid) + (f" <span class='muted'>{html(name)}</span>" if name else "")
    mine = rows.filter(pl.col("product") == pid)
    segmented = bool((mine["segment"] != "").any())
    heads = ["segment"] * segmented + ["ladder", "tier", "quota_per_shop", "shops_allocated", "shops"]
    head = "".join(f'<th scope="col"{" class=n" if i >= len(heads) - 3 else ""}>{html(label(h, lang))}</th>'
                   for i, h in enumerate(heads))  # fmt: skip
    body = []
    for r in mine.iter_rows(named=True):
        amount = r["quota_per_shop"] if r["quota_per_shop"] is not None else f"{r['quota_min']}–{r['quota_max']}"
        cells = [r["segment"]] * segmented + [r["ladder"], r["tier"]]
        body.append("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in cells)
                    + "".join(f"<td class=n>{_cell(c)}</td>" for c in (amount, r["shops_allocated"], r["shops"]))
                    + "</tr>")  # fmt: skip
    table = (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>" if body
             else f"<p class=muted>{html(label('no_shops', lang))}</p>")  # fmt: skip
    return f'<section class="product"><h2>{title}</h2><dl>{facts_html}</dl>{table}</section>'


CSS = """
*{box-sizing:border-box}body{margin:0;color:#1f2937;background:#fff;font:14px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","Microsoft YaHei",sans-serif}main{max-width:960px;margin:0 auto;
padding:28px 36px 48px}h1{font-size:26px;margin:0 0 10px;color:#111827}h2{font-size:18px;margin:32px 0 8px;
padding-bottom:4px;border-bottom:1px solid #e5e7eb;color:#111827}dl{display:grid;grid-template-columns:max-content 1fr;
gap:2px 14px;margin:8px 0 12px}dt{color:#6b7280}dd{margin:0}code{font:12px ui-monospace,Menlo,Consolas,monospace}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0 8px}th,td{padding:3px 10px;
border-bottom:1px solid #e5e7eb;text-align:left}thead th{font-size:12px;color:#6b7280;border-bottom:1.5px solid #9ca3af}
.n{text-align:right}.muted{color:#6b7280}table.hashes td{font:11px ui-monospace,Menlo,Consolas,monospace}
footer{margin-top:36px;padding-top:8px;border-top:1px solid #e5e7eb;color:#6b7280;font-size:12px}
@media print{main{max-width:none;padding:0}section.product{break-inside:avoid-page}h2{break-after:avoid}}
@page{size:A4;margin:14mm}
"""


def _hashes(run: NoticeRun, folder: RunFolder, lang: str) -> str:
    row, manifest = run.row, folder.manifest
    files = [
        (label("scenario", lang), str(_at(manifest, "scenario", "file")), row.scenario_sha256),
        (label("snapshot", lang), str(_at(manifest, "inputs", "snapshot", "file")), row.snapshot_sha256),
        (label("tiering", lang), str(_at(manifest, "inputs", "tiering", "file")), row.tiering_sha256),
        (label("allocation", lang), str(_at(manifest, "inputs", "allocation", "file")), row.allocation_sha256),
        (label("manifest", lang), "manifest.json", folder.manifest_sha256),
        *(("", name, str(digest)) for name, digest in sorted((manifest.get("outputs") or {}).items())),
    ]
    head = '<th scope="col"></th>' + "".join(f'<th scope="col">{html(label(k, lang))}</th>' for k in ("file", "sha256"))
    body = "".join(f"<tr><td>{html(w)}</td><td>{html(f)}</td><td>{html(d)}</td></tr>" for w, f, d in files)
    return f'<section><h2>{html(label("hashes", lang))}</h2><table class="hashes"><thead><tr>{head}</tr></thead>' \
           f"<tbody>{body}</tbody></table></section>"  # fmt: skip


def render_notice(run: NoticeRun, folder: RunFolder, rows: pl.DataFrame, lang: str = "en") -> str:
    """The notice as one self-contained HTML page (no scripts, nothing loaded), every string escaped."""
    m, row = folder.manifest, run.row
    name = _at(m, "scenario", "name")
    approved = run.approved or ("", "")
    head = [(label("run", lang), row.id), (label("scenario", lang), f"{name} ({_at(m, 'scenario', 'file')})"),
            (label("period", lang), row.period), (label("approved_by", lang), approved[0]),
            (label("approved_at", lang), approved[1]), (label("published_at", lang), run.published_at)]  # fmt: skip
    methods = m.get("methods")
    facts: dict[str, Any] = methods if isinstance(methods, dict) else {}
    products = [p for p in m.get("products") or [] if isinstance(p, dict)]
    title = f"{label('notice_title', lang)} · {name} · {row.period}"
    return (
        f'<!DOCTYPE html>\n<html lang="{html("zh-CN" if lang == "zh" else lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html(title)}</title>'
        f"<style>{CSS}</style></head><body><main>\n<header><h1>{html(label('notice_title', lang))}</h1><dl>"
        + "".join(f"<dt>{html(k)}</dt><dd>{html(v)}</dd>" for k, v in head)
        + "</dl></header>\n"
        + "\n".join(_product_section(p, facts.get(str(p.get("product"))), rows, lang) for p in products)
        + "\n" + _hashes(run, folder, lang)
        + f"\n<footer>allocator {html(__version__)}</footer>\n</main></body></html>\n"
    )  # fmt: skip


def write_notice(
    target: Path,
    run: NoticeRun,
    folder: RunFolder,
    record: Callable[[], AbstractContextManager[object]],
    lang: str = "en",
) -> None:
    """Write notice.html, notice.csv and notice.json into `target` atomically, inside `record`
    (the ledger's transaction of the publication)."""
    rows = notice_table(folder)
    page = render_notice(run, folder, rows, lang)

    def fill(tmp: Path) -> None:
        (tmp / "notice.html").write_text(page, encoding="utf-8")
        write_csv(rows, tmp / "notice.csv")
        files = {n: sha256_file(tmp / n) for n in ("notice.csv", "notice.html")}
        stamp = {"tool": "allocator", "kind": "notice", "run": run.row.id, "published": run.published_at}
        write_json({**stamp, "files": files}, tmp / "notice.json")

    write_atomically(target, fill, record)
