"""Scenario files: which snapshot and rule files to run, the period and seed, and variants."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from allocator.errors import RuleFileError
from allocator.inputs.allocation_rules import (
    compile_allocation,
    load_allocation,
    reserve_owner_problems,
    resolve_table,
)
from allocator.inputs.conditions import did_you_mean, limited_suggestions
from allocator.inputs.cycles import cycle_problems
from allocator.inputs.folder_names import folder_clashes
from allocator.inputs.manual import Assignment, Known, Lock, Manual
from allocator.inputs.manual_files import ManualFiles, read_manual
from allocator.inputs.models import (
    MAX_QUANTITY,
    AllocationFile,
    FieldSpec,
    ScenarioFile,
    SnapshotSpec,
    TieringFile,
    Variant,
)
from allocator.inputs.partition_rules import declared_fields, partition_problems
from allocator.inputs.periods import PeriodError, parse_period
from allocator.inputs.product_rules import AllocationRules
from allocator.inputs.product_terms import ProductTerms, owners_of, terms_of, with_reserve
from allocator.inputs.reading import file_problem
from allocator.inputs.rule_files import (
    Loaded,
    Source,
    Sources,
    checked_model,
    display_path,
    model_of,
    raise_problems,
    read_source,
)
from allocator.inputs.safe_yaml import Document, Problem
from allocator.inputs.snapshot_cells import ID, Column, keep_problems
from allocator.inputs.snapshots import ParsedSnapshot, Snapshot, check_snapshot, parse_snapshot
from allocator.inputs.tiering_rules import TieringRules, compile_tiering, load_tiering

BASE = "base"


class Given(NamedTuple):
    """What the command line gives in place of the scenario's own: files and the round."""

    assignments: Path | None = None
    locks: Path | None = None
    round_name: str | None = None


NOTHING_GIVEN = Given()


@dataclass(frozen=True)
class Scenario:
    file: str
    sha256: str
    spec: ScenarioFile
    snapshot: Path
    tiering: TieringRules
    allocation: AllocationRules
    variants: dict[str, dict[str, ProductTerms]]  # "base" first, then each variant by name
    variant_tiering: dict[str, TieringRules] = field(default_factory=dict)  # variants with thresholds
    clients: Snapshot | None = None  # the checked snapshot; None only when loaded without it
    sources: Sources = field(default_factory=dict, compare=False, repr=False)  # its YAML files as parsed
    manual: Manual = field(default_factory=Manual)  # managers' assignments and locked quotas

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return self.manual.assignments

    @property
    def locks(self) -> tuple[Lock, ...]:
        return self.manual.locks

    def columns(self) -> dict[str, Column]:
        """The snapshot columns the rules read, with their checks."""
        return snapshot_columns(self.tiering, self.allocation)


def snapshot_columns(tiering: TieringRules, allocation: AllocationRules | None) -> dict[str, Column]:
    """Every snapshot column the rule files read: declared fields and order columns."""
    own = allocation.fields if allocation is not None else {}
    cols: dict[str, Column] = {}
    for name, spec in {**tiering.fields, **own}.items():
        allowed: tuple[str, ...] = ()
        if spec.type == "category":
            allowed = tuple(spec.values or ())
        elif spec.type == "tier":
            allowed = tiering.all_tiers()
        cols[name] = Column(name, spec, allowed)
    for p in allocation.products if allocation is not None else ():
        order = p.spec.order_column
        if order and order not in cols:
            cols[order] = Column(order, FieldSpec(type="integer", min=0))
    return cols


def load_rules(tiering: Path, allocation: Path) -> tuple[TieringRules, AllocationRules]:
    """Both rule files, checked against each other; every file's problems in one error."""
    t = load_tiering(tiering)
    return t, load_allocation(allocation, t)


NO_PERIOD = "none"  # a one-off run outside any review sequence (diff's sides); a ledger refuses it


@limited_suggestions()
def load_scenario(
    path: Path,
    *,
    read_clients: bool = True,
    progress: Callable[[str], None] | None = None,
    known: Sources | None = None,
    assignments: Path | None = None,
    locks: Path | None = None,
    round_name: str | None = None,
    round_required: bool = True,
) -> Scenario:
    """Read a scenario and everything it names, each file once: the rule files and (unless
    `read_clients` is false) the snapshot, checked against the rules, and the assignments and
    locks against both. Raise one error listing every problem found. `progress` is told when the
    snapshot is read (the long part); files in `known` were parsed earlier in the same command
    and are not read again. `assignments` and `locks` replace the files the scenario names;
    `round_name` (--round) chooses the cycle's round instead of the scenario's `round:`; a
    cycle's scenario names its round unless `round_required` is false (`allocator cycle`)."""
    sources: Sources = dict(known or {})
    loaded = checked_model(_read(path, sources), ScenarioFile, "scenario")
    spec, paths = _checked_spec(loaded)
    doc = loaded.doc
    tiering_file = checked_model(_read(paths["tiering"], sources), TieringFile, "tiering")
    tiering = compile_tiering(tiering_file)
    allocation_file = checked_model(_read(paths["allocation"], sources), AllocationFile, "allocation")
    allocation = compile_allocation(allocation_file, tiering)
    variants = _variants(doc, spec, (tiering, allocation))
    problems = cycle_problems(doc, spec, [p.id for p in allocation.products], round_name, round_required)
    problems += partition_problems(doc, spec, declared_fields(tiering, allocation), allocation)
    if round_name is not None:
        spec = spec.model_copy(update={"round": round_name})
    variant_tiering = {}
    for i, variant in enumerate(spec.variants):
        if variant.thresholds:
            changed = _with_thresholds(doc, i, variant, tiering_file, problems)
            if changed is not None:
                variant_tiering[variant.name] = changed
    raise_problems(problems)
    snapshot = paths["snapshot"]
    clients = None
    if read_clients:
        if progress is not None:
            progress(f"reading and checking {display_path(snapshot)}")
        written, keep = snapshot_spec(spec), spec.outputs.keep_columns
        parsed = parse_snapshot(
            snapshot, display_path(snapshot), sheet=written.sheet, id_column=written.id_column,
            encoding=written.encoding, declare_as=written.path,
        )  # fmt: skip
        wrong = keep_problems(parsed.header, parsed.id_column, keep)
        raise_problems([doc.problem(("outputs", "keep_columns", i), msg) for i, msg in wrong])
        clients = check_snapshot(parsed, snapshot_columns(tiering, allocation), keep)
    mine = {p.resolve(): sources[p.resolve()] for p in (path, paths["tiering"], paths["allocation"])}
    manual = Manual()
    if clients is not None:
        given = ManualFiles(assignments or paths.get("assignments"), locks or paths.get("locks"))
        manual = read_manual(doc, spec, given, _known(variants, clients))
    return Scenario(
        doc.file, loaded.sha256, spec, snapshot, tiering, allocation, variants, variant_tiering, clients, mine, manual
    )


def _known(variants: Mapping[str, Mapping[str, ProductTerms]], clients: Snapshot) -> Known:
    """The names assignments and locks may use: each product's owners (base or any variant), the clients."""
    owners: dict[str, set[str]] = {}
    for terms in variants.values():
        for pid, t in terms.items():
            owners.setdefault(pid, set()).update(owners_of(t.reserve_spec))
    return Known({pid: frozenset(o) for pid, o in owners.items()}, lambda: clients.clients[ID].to_list())


def snapshot_spec(spec: ScenarioFile) -> SnapshotSpec:
    """The scenario's snapshot as a SnapshotSpec: `snapshot: data/x.csv` is {path: data/x.csv}."""
    return spec.snapshot if isinstance(spec.snapshot, SnapshotSpec) else SnapshotSpec(path=spec.snapshot)


def snapshot_named(spec: ScenarioFile) -> dict[str, str]:
    """The snapshot as the scenario names it, for a manifest: the path as written, and the sheet
    and the id column when they are given."""
    given = snapshot_spec(spec)
    named = {"sheet": given.sheet, "id_column": given.id_column if given.id_column != ID else None}
    return {"file": given.path, **{key: value for key, value in named.items() if value is not None}}


def _checked_spec(loaded: Loaded[ScenarioFile]) -> tuple[ScenarioFile, dict[str, Path]]:
    """The scenario's model and the paths it names (relative to its folder); raise on any problem."""
    doc, problems = loaded.doc, list(loaded.problems)
    base = Path(loaded.path).parent
    paths: dict[str, Path] = {}
    for key in ("snapshot", "tiering", "allocation", "assignments", "locks"):
        value = doc.data.get(key)
        at: tuple[str, ...] = (key,)
        if key == "snapshot" and isinstance(value, dict):  # {path: ..., sheet: ..., id_column: ...}
            problems.extend(_snapshot_options(doc, value))
            value, at = value.get("path"), (key, "path")
        if isinstance(value, str):
            target = base / value
            why = file_problem(target)  # a FIFO named as the snapshot would hang its reader
            if why:
                problems.append(doc.problem(at, f"{why}: {display_path(target)}"))
            paths[key] = target
    spec = loaded.model
    if spec is not None and spec.period != NO_PERIOD:
        try:
            parse_period(spec.period)  # the ledger orders runs by period: refuse what it cannot order
        except PeriodError as exc:
            problems.append(doc.problem(("period",), str(exc)))
    raise_problems(problems)
    assert spec is not None
    return spec, paths


def _snapshot_options(doc: Document, given: dict[str, Any]) -> list[Problem]:
    """A sheet only for an xlsx snapshot, an encoding only for a CSV one; an id column that can
    name a header (not empty)."""
    problems = []
    path, sheet, ids = given.get("path"), given.get("sheet"), given.get("id_column")
    if isinstance(path, str) and isinstance(sheet, str) and Path(path).suffix.lower() != ".xlsx":
        msg = f"a sheet applies only to an .xlsx snapshot, and {Path(path).name} is not one"
        problems.append(doc.problem(("snapshot", "sheet"), msg))
    encoding = given.get("encoding")
    if isinstance(path, str) and encoding not in (None, "utf-8") and Path(path).suffix.lower() not in (".csv", ".txt"):
        msg = f"an encoding applies only to a CSV snapshot, and {Path(path).name} is not one"
        problems.append(doc.problem(("snapshot", "encoding"), msg))
    if isinstance(sheet, str) and not sheet.strip():
        problems.append(doc.problem(("snapshot", "sheet"), "the sheet name is empty; name a sheet, or leave sheet out"))
    if isinstance(ids, str) and not ids.strip():
        msg = "the id column is empty; name the header of the column that holds client ids"
        problems.append(doc.problem(("snapshot", "id_column"), msg))
    return problems


def _read(path: Path, sources: Sources) -> Source:
    """One file of the scenario, parsed once and remembered in `sources`."""
    source = read_source(path, known=sources)
    sources[path.resolve()] = source
    return source


def _with_thresholds(
    doc: Document, i: int, variant: Variant, tiering: Loaded[TieringFile], problems: list[Problem]
) -> TieringRules | None:
    """The tiering rules with this variant's thresholds in place: `rule-id.when.field.op: value`.

    Only values that exist in the rule file can be overridden, with a value of the same kind, so a
    variant can move a threshold but never change what a rule reads.
    """
    data = copy.deepcopy(tiering.doc.data)
    rules = {
        r["id"]: r
        for section in ("placement", "adjust")
        for r in data.get(section) or []
        if isinstance(r, dict) and isinstance(r.get("id"), str)
    }
    ok = True
    for key, value in variant.thresholds.items():
        found = _set_threshold(rules, key, value)
        if found is not None:
            msg, on_key = found
            problems.append(doc.problem(("variants", i, "thresholds", key), msg, key=on_key))
            ok = False
    if not ok:
        return None
    name = f"{tiering.doc.file} with variant '{variant.name}'"
    changed = Document(name, data, tiering.doc.marks, tiering.doc.key_marks)
    try:
        return compile_tiering(model_of(tiering.path, changed, TieringFile, tiering.sha256))
    except RuleFileError as exc:
        problems.append(
            doc.problem(
                ("variants", i, "thresholds"),
                "the thresholds make the rules invalid: " + "; ".join(str(exc).splitlines()),
            )
        )
        return None


def _set_threshold(rules: dict[str, Any], key: str, value: object) -> tuple[str, bool] | None:
    """Put `value` at `key` (RULE_ID.when...OPERATOR) in the rules; or (the problem, whether it is
    the key's) when the path names no threshold or the value's kind differs."""
    rid, _, rest = key.partition(".")
    if rid not in rules:
        hint = did_you_mean(rid, rules) or "; rule ids are " + ", ".join(rules)
        return f"unknown rule id '{rid}'{hint}", True
    node: Any = rules[rid]
    steps = rest.split(".") if rest else []
    for step in steps[:-1]:
        node = node.get(step) if isinstance(node, dict) else None
    last = steps[-1] if steps else ""
    if not steps or steps[0] != "when" or not isinstance(node, dict) or last not in node:
        return f"rule '{rid}' has no value at '{rest}'; write the path of a threshold, like {rid}.when.volume.gte", True
    if isinstance(node[last], dict):
        return f"'{key}' is a condition, not a threshold; write the path down to its operator, like {key}.gte", True
    if _kind(node[last]) != _kind(value):
        return f"replaces {node[last]!r} with {value!r}; a threshold keeps its kind (a number, text or a list)", False
    node[last] = value
    return None


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "list" if isinstance(value, list) else "text"


def _variants(
    doc: Document, spec: ScenarioFile, scenario_rules: tuple[TieringRules, AllocationRules]
) -> dict[str, dict[str, ProductTerms]]:
    """ProductTerms per product for the base and each variant; raise listing every bad reference."""
    tiering, allocation = scenario_rules
    problems: list[Problem] = []
    products = {p.id: p for p in allocation.products}
    base = {pid: terms_of(p) for pid, p in products.items()}
    segments_of = {pid: p.spec.segments.model_dump() if p.spec.segments else None for pid, p in products.items()}
    for pid, supply in spec.supply.items():
        if pid not in products:
            problems.append(doc.problem(("supply", pid), _unknown(pid, products), key=True))
        else:
            base[pid] = replace(base[pid], supply=supply)
    out = {BASE: base}
    for i, variant in enumerate(spec.variants):
        if variant.name in out:
            problems.append(doc.problem(("variants", i, "name"), f"variant name '{variant.name}' is used twice"))
            continue
        out[variant.name] = _apply(doc, i, variant, base, (tiering, segments_of), problems)
    index = {v.name: i for i, v in enumerate(spec.variants)}
    for earlier, later, folder in folder_clashes(v.name for v in spec.variants):
        if earlier == later:  # reported above as a name used twice
            continue
        msg = f"variants '{earlier}' and '{later}' would share the output folder variants/{folder}; rename one"
        problems.append(doc.problem(("variants", index[later], "name"), msg))
    raise_problems(problems)
    return out


def _unknown(pid: str, products: Mapping[str, object]) -> str:
    return f"unknown product '{pid}'" + (did_you_mean(pid, products) or "; products are " + ", ".join(products))


def _apply(
    doc: Document,
    i: int,
    variant: Variant,
    base: dict[str, ProductTerms],
    rules: tuple[TieringRules, Mapping[str, dict[str, Any] | None]],
    problems: list[Problem],
) -> dict[str, ProductTerms]:
    tiering, segments_of = rules
    terms = dict(base)
    for key in ("supply", "supply_factor", "per_client", "rounding", "reserve"):
        for pid in getattr(variant, key):
            if pid not in base:
                problems.append(doc.problem(("variants", i, key, pid), _unknown(pid, base), key=True))
    for pid, s in base.items():
        if pid in variant.supply:
            s = replace(s, supply=variant.supply[pid])
        if pid in variant.supply_factor:
            supply = int(s.supply * Fraction(str(variant.supply_factor[pid])))
            if supply > MAX_QUANTITY:
                msg = f"makes the supply {supply}, above the largest supply allowed ({MAX_QUANTITY})"
                problems.append(doc.problem(("variants", i, "supply_factor", pid), msg))
            s = replace(s, supply=supply)
        if pid in variant.rounding:
            s = replace(s, rounding=variant.rounding[pid])
        if pid in variant.per_client:
            path = ("variants", i, "per_client", pid)
            table = resolve_table(doc, doc.get(path), path, tiering, problems, whole=True)
            if table is not None:
                s = replace(s, entitlement={lad: {t: int(v) for t, v in row.items()} for lad, row in table.items()})
        if pid in variant.reserve:
            given = doc.get(("variants", i, "reserve", pid))
            if isinstance(given, dict):
                path = ("variants", i, "reserve", pid)
                problems.extend(reserve_owner_problems(doc, given, segments_of.get(pid), path))
            s = with_reserve(s, variant.reserve[pid])
        terms[pid] = s
    return terms


def one_off_scenario(
    name: str,
    tiering: TieringRules,
    allocation: AllocationRules,
    snapshot: Path,
    parsed: ParsedSnapshot,
    *,
    period: str = NO_PERIOD,
    seed: int = 0,
    supply: Mapping[str, int] | None = None,
) -> Scenario:
    """A scenario made in memory from rules already loaded and a snapshot already parsed (each
    side of a diff): the base variant only, with `supply` overriding the products it names."""
    given = supply or {}
    terms = {p.id: terms_of(p) for p in allocation.products}
    terms = {pid: replace(t, supply=given[pid]) if pid in given else t for pid, t in terms.items()}
    spec = ScenarioFile.model_validate(
        {
            "kind": "scenario", "version": 1, "name": name, "snapshot": str(snapshot), "tiering": tiering.file,
            "allocation": allocation.file, "period": period, "seed": seed,
            "supply": {pid: given[pid] for pid in terms if pid in given},
        }
    )  # fmt: skip
    clients = check_snapshot(parsed, snapshot_columns(tiering, allocation))
    return Scenario(name, "", spec, snapshot, tiering, allocation, {BASE: terms}, {}, clients)
