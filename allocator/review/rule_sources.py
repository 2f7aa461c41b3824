"""The rule files each side of `allocator diff` names, read once each.

A side is a tiering file, an allocation file, a folder of rule files (recognised by their
`kind:`; a folder with several files of one kind is resolved by the scenario's file name), or
`git:REV:PATH`, a file or folder at a git revision, PATH from the repository root (read with
`git cat-file` / `git ls-tree` into a temporary folder; errors name the source as written).
A kind a side does not give comes from the scenario, as the scenario already loaded it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from allocator.errors import AllocatorError
from allocator.escape import terminal
from allocator.inputs.allocation_rules import compile_allocation
from allocator.inputs.models import AllocationFile, TieringFile
from allocator.inputs.product_rules import AllocationRules
from allocator.inputs.rule_files import Source, checked_model, display_path, read_source
from allocator.inputs.safe_yaml import Document
from allocator.inputs.scenarios import Scenario
from allocator.inputs.tiering_rules import TieringRules, compile_tiering

KINDS = ("tiering", "allocation")

_REFUSED_NAME = (
    "a rule file's name must be a plain name "
    "(no '/', '\\', NUL or control characters, not '.' or '..', not starting with '-')"
)


@dataclass(frozen=True)
class RuleFile:
    """One rule file of a side, parsed once: where it was read, how the user named it, its document."""

    path: Path  # where it is read from (a temporary copy for git sources)
    label: str  # how the user named it
    source: Source
    from_scenario: bool = False

    @property
    def doc(self) -> Document:
        return self.source.doc


def _git(args: list[str], source: str) -> bytes:
    try:
        proc = subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise AllocatorError(f"{source}: git is not installed") from None
    if proc.returncode != 0:
        raise _GitFailed(proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


class _GitFailed(Exception):
    pass


def _plain_name(name: str) -> bool:
    """A tree entry name that is one ordinary file name on every system: nothing a crafted commit
    could use to write elsewhere (`../x`, `/abs`, `a/b`, `..`) or to confuse a reader or a tool."""
    return (
        bool(name)
        and name not in (".", "..")
        and not name.startswith("-")
        and not any(c in name for c in "/\\\0\ufffd")
        and terminal(name) == name
    )


def _commit_of(source: str, rev: str) -> str:
    """The full commit id REV names; REV is never read as an option (`-h`, `--output=...`)."""
    try:
        _git(["rev-parse", "--show-toplevel"], source)
    except _GitFailed:
        raise AllocatorError(f"{source}: the current directory is not inside a git repository") from None
    unknown = AllocatorError(f"{source}: unknown git revision '{terminal(rev)}'")
    if rev.startswith("-"):
        raise unknown
    try:
        out = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], source)
    except _GitFailed:
        raise unknown from None
    return out.decode("ascii").strip()


def _fetch_git(source: str, into: Path) -> tuple[Path, dict[Path, str]]:
    """Copy the file or folder `git:REV:PATH` names into `into`; its local path and each file's label.

    Every git argument starts with a full commit id, so nothing the user or a commit supplies is
    read as an option; every entry name is checked, and every target checked to lie in `into`.
    """
    rev, colon, raw_path = source.removeprefix("git:").partition(":")
    if not rev or not colon:
        raise AllocatorError(f"{source}: expected git:REV:PATH, e.g. git:HEAD~1:rules")
    path = raw_path.strip("/")
    if any(part in (".", "..") for part in path.split("/")):
        raise AllocatorError(f"{source}: PATH leads down from the repository root, without '.' or '..' parts")
    commit = _commit_of(source, rev)
    try:
        kind = _git(["cat-file", "-t", f"{commit}:{path}"], source).decode().strip()
    except _GitFailed:
        raise AllocatorError(f"{source}: no file or folder '{terminal(path)}' at revision {terminal(rev)}") from None
    into.mkdir(parents=True)
    if kind == "blob":
        target = _inside(into, path.rsplit("/", 1)[-1] if path else "rules.yaml", source)
        target.write_bytes(_git(["cat-file", "blob", f"{commit}:{path}"], source))
        return target, {target: source}
    labels: dict[Path, str] = {}
    for mode, sha, name in _tree_entries(_git(["ls-tree", "--full-tree", "-z", f"{commit}:{path}"], source), source):
        if mode == "120000" and name.endswith((".yaml", ".yml")):
            raise AllocatorError(
                f"{source}: {name} is a symbolic link in the commit; rule files are read from git only as regular files"
            )
        if mode in ("100644", "100755") and name.endswith((".yaml", ".yml")):
            target = _inside(into, name, source)
            target.write_bytes(_git(["cat-file", "blob", sha], source))
            labels[target] = f"git:{rev}:{path}/{name}" if path else f"git:{rev}:{name}"
    return into, labels


def _tree_entries(listing: bytes, source: str) -> list[tuple[str, str, str]]:
    """(mode, object id, name) of each entry of `git ls-tree -z`; refuses any name that is not plain."""
    out = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw = entry.partition(b"\t")
        name = raw.decode("utf-8", "replace")
        if not _plain_name(name):
            raise AllocatorError(f"{source}: refusing the file name '{terminal(name)}' in the commit: {_REFUSED_NAME}")
        mode, _, sha = meta.decode("ascii", "replace").split(" ")
        out.append((mode, sha, name))
    return out


def _inside(folder: Path, name: str, source: str) -> Path:
    """`folder / name`, checked (after resolving) to be a direct child of `folder`."""
    if not _plain_name(name):
        raise AllocatorError(f"{source}: refusing the file name '{terminal(name)}' in the commit: {_REFUSED_NAME}")
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise AllocatorError(f"{source}: refusing the file name '{terminal(name)}' in the commit: {_REFUSED_NAME}")
    return target


def rule_files(source: str, name: str, tmp: Path, spec: Scenario | None) -> dict[str, RuleFile]:
    """The rule files one side gives, by kind."""
    if source.startswith("git:"):
        local, labels = _fetch_git(source, tmp)
    else:
        local = Path(source)
        if not local.exists():
            raise AllocatorError(f"--{name} {source}: no such file or folder")
        labels = {}
    candidates = sorted(p for p in local.iterdir() if p.suffix in (".yaml", ".yml")) if local.is_dir() else [local]
    found: dict[str, list[RuleFile]] = {kind: [] for kind in KINDS}
    for path in candidates:
        label = labels.get(path, display_path(path))
        parsed = read_source(path, label, known=spec.sources if spec is not None and not labels else None)
        data = parsed.doc.data
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind in KINDS:
            found[str(kind)].append(RuleFile(path, label, parsed))
        elif not local.is_dir():
            what = (
                f"a {kind} file"
                if isinstance(kind, str)
                else "not a rule file (no 'kind: tiering' or 'kind: allocation')"
            )
            raise AllocatorError(f"--{name} {source}: {what}; give a tiering or allocation file, or a folder of them")
    out: dict[str, RuleFile] = {}
    for kind, options in found.items():
        if len(options) > 1 and spec is not None:
            wanted = getattr(spec, kind).file
            options = [f for f in options if f.path.name == Path(wanted).name] or options
        if len(options) > 1:
            names = ", ".join(f.path.name for f in options)
            raise AllocatorError(
                f"--{name} {source}: several {kind} files ({names}); give one file, "
                f"or --scenario whose {kind} file has one of these names"
            )
        if options:
            out[kind] = options[0]
    if not out:
        raise AllocatorError(f"--{name} {source}: no tiering or allocation file in this folder")
    return out


def complete(files: dict[str, RuleFile], name: str, source: str, spec: Scenario | None) -> dict[str, RuleFile]:
    """Both rule files of a side: the missing one from the scenario (as it was read), else an error."""
    out = dict(files)
    for kind in KINDS:
        if kind in out:
            continue
        if spec is None:
            raise AllocatorError(
                f"--{name} {source}: gives no {kind} file; give a folder holding both rule files, "
                f"or --scenario to supply the {kind} file"
            )
        rules: TieringRules | AllocationRules = getattr(spec, kind)
        assert rules.source is not None
        path = Path(rules.file)
        out[kind] = RuleFile(path, rules.file, Source(path, rules.source, rules.sha256), from_scenario=True)
    return {kind: out[kind] for kind in KINDS}


def load_side(files: dict[str, RuleFile], spec: Scenario | None) -> tuple[TieringRules, AllocationRules]:
    """Both rule files checked, from their parsed documents; the scenario's own rules are reused."""
    if spec is not None and files["tiering"].from_scenario and files["allocation"].from_scenario:
        return spec.tiering, spec.allocation
    tiering = load_tiering_side(files["tiering"], spec)
    allocation = files["allocation"]
    return tiering, compile_allocation(checked_model(allocation.source, AllocationFile, "allocation"), tiering)


def load_tiering_side(tiering: RuleFile, spec: Scenario | None = None) -> TieringRules:
    """A side's tiering file alone, checked."""
    if spec is not None and tiering.from_scenario:
        return spec.tiering
    return compile_tiering(checked_model(tiering.source, TieringFile, "tiering"))
