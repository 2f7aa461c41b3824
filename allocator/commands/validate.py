"""`allocator validate`: check rule and scenario files, each read once, all problems at once."""

from __future__ import annotations

import sys
from pathlib import Path

from allocator.engine.analysis import analyse
from allocator.errors import AllocatorError, RuleFileError, SheetError
from allocator.escape import terminal, terminal_lines
from allocator.inputs.allocation_rules import compile_allocation
from allocator.inputs.models import AllocationFile, TieringFile
from allocator.inputs.rule_files import Source, Sources, checked_model, display_path, kind_of, read_source
from allocator.inputs.scenarios import load_scenario
from allocator.inputs.tiering_rules import TieringRules, compile_tiering
from allocator.messages import scenario_lang, translate


def validate(files: list[Path], strict: bool = False, lang: str | None = None) -> int:
    """Check each file (tiering files first, so allocation files are checked against them); the
    problems in `lang` (--lang), else in zh when a scenario among the files says `lang: zh`.

    Tiering files are also analysed as decision tables (gaps, rules that can never fire,
    impossible conditions): warnings, printed under the file's ok line; exit 1 with --strict.
    """
    errors: list[str] = []
    ok: list[str] = []
    warnings = 0
    sources: dict[Path, Source | RuleFileError] = {}
    for f in files:
        try:
            sources[f] = read_source(f)
        except RuleFileError as exc:  # reported in its turn, below
            sources[f] = exc
    kinds = {f: kind_of(s) if isinstance(s, Source) else None for f, s in sources.items()}
    loaded: dict[Path, TieringRules] = {}
    known: Sources = {f.resolve(): s for f, s in sources.items() if isinstance(s, Source)}
    for f in sorted(files, key=lambda f: kinds[f] != "tiering"):
        try:
            lines, found = _check(f, sources[f], kinds[f], loaded, known)
            ok.extend(lines)
            warnings += found
        except AllocatorError as exc:
            errors.append(str(exc))
    for line in ok:
        print(terminal(line))
    if errors:
        speaks = lang or next((said for f in files if (said := scenario_lang(f)) == "zh"), None)
        print(terminal_lines(translate("\n".join(errors), speaks)), file=sys.stderr)
        return 2
    return 1 if strict and warnings else 0


def _check(
    f: Path, source: Source | RuleFileError, kind: str | None, loaded: dict[Path, TieringRules], known: Sources
) -> tuple[list[str], int]:
    """One file's ok line and warning lines, and how many warnings; raise on its problems."""
    if isinstance(source, RuleFileError):
        raise source
    if kind == "tiering":
        tiering = loaded[f] = compile_tiering(checked_model(source, TieringFile, "tiering"))
        head = (
            f"{display_path(f)}: ok (tiering: {len(tiering.ladders)} ladders, "
            f"{len(tiering.placement)} placement rules, {len(tiering.adjust)} adjustments)"
        )
        found = rule_warnings(tiering)
        return [head, *found], len(found)
    if kind == "allocation" and (partner := _partner(f, loaded)) is not None:
        a = compile_allocation(checked_model(source, AllocationFile, "allocation"), partner)
        skipped = f", {len(a.not_allocated)} plans not allocated" if a.not_allocated else ""
        return [f"{display_path(f)}: ok (allocation: {len(a.products)} products{skipped}, checked against {partner.file})"], 0
    if kind == "allocation":
        alone = checked_model(source, AllocationFile, "allocation")
        if alone.problems:
            raise RuleFileError("\n".join(p.render() for p in sorted(alone.problems)))
        return [f"{display_path(f)}: ok (allocation; give its tiering file too to check tiers and fields)"], 0
    if kind == "scenario":
        s = load_scenario(f, known=known)
        assert s.clients is not None
        shown = s.clients.display or display_path(s.snapshot)
        if s.manual.problems:
            raise SheetError("\n".join(s.manual.problems))
        n = len(s.variants) - 1
        hand = ""
        if s.manual.assignments or s.manual.locks:
            hand = (
                f", {len(s.manual.assignments)} assignments and {len(s.manual.locks)} locks read"
                " (budgets and caps are checked when it runs)"
            )
        lines = [f"{display_path(f)}: ok (scenario '{s.spec.name}': {n} variants, snapshot checked{hand})"]
        lines.extend(w.render(shown) for w in s.clients.warnings)
        return lines, len(s.clients.warnings)
    checked_model(source, TieringFile, "tiering")  # raises: the kind is missing or unknown
    raise AssertionError(f"{f}: kind {kind!r} accepted")


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


def rule_warnings(tiering: TieringRules, max_cells: int = 50_000) -> list[str]:
    """The decision-table findings of a tiering file, as located warning lines."""
    findings = analyse(tiering, max_cells)
    if not findings:
        return []
    doc = tiering.source
    assert doc is not None
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
