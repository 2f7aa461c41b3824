"""The rule side of `allocator diff`: which rule files each side names, and how they differ.

A side is a tiering file, an allocation file, a folder of rule files (recognised by their
`kind:`; a folder with several files of one kind is resolved by the scenario's file name), or
`git:REV:PATH`, a file or folder at a git revision, PATH from the repository root (read with
`git cat-file` / `git ls-tree` into a temporary folder; errors name the source as written).

Rule files are compared as YAML data, not as text.
A list whose items all carry an `id` (placement, adjust, products, eligible) is compared by id,
not by position: editing one rule shows one line, and moving a rule shows as an order change
(first-hit placement depends on it). The lists directly under the top level drop their section
name from the path (`city-a.when.volume.gte`, `zhonghua-soft.per_client.A`); nested ones keep it
(`zhonghua-soft.eligible.no-repeat-offenders.when.violations.gte`).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allocator.allocation_rules import AllocationRules
from allocator.errors import AllocatorError, RuleFileError
from allocator.escape import terminal
from allocator.files import display_path
from allocator.scenarios import Scenario, load_rules
from allocator.tiering_rules import TieringRules, load_tiering
from allocator.yamlio import YamlError, load_yaml_file

KINDS = ("tiering", "allocation")
ABSENT = "(none)"
_PLAIN = re.compile(r"[A-Za-z_\u00c0-\uffff][\w\-./ \u00c0-\uffff]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~"}


def rule_changes(before: Any, after: Any) -> list[str]:
    """One line per change: `key.path: old → new`, rules added or removed, order changes."""
    out: list[str] = []
    _compare(before, after, (), out)
    return out


def show(value: Any) -> str:
    """A value as inline YAML: `600`, `[A, B]`, `{gte: 600}`, `"True"` for text that looks like another type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and value.lower() not in _RESERVED and not value.endswith(" ")
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{show(str(k))}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _label(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _ids(items: Any) -> list[str] | None:
    """The ids of a list of rules, or None when it is not a list of uniquely identified mappings."""
    if not isinstance(items, list):
        return None
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return [str(i) for i in ids]


def _compare(a: Any, b: Any, path: tuple[str, ...], out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            sub = (*path, str(key))
            if key not in b:
                out.append(f"{_label(sub)}: {show(a[key])} → {ABSENT}")
            elif key not in a:
                out.append(f"{_label(sub)}: {ABSENT} → {show(b[key])}")
            else:
                _compare(a[key], b[key], sub, out)
        return
    ids_a, ids_b = _ids(a), _ids(b)
    if ids_a is not None and ids_b is not None and (ids_a or ids_b):
        _compare_rules(a, b, ids_a, ids_b, path, out)
        return
    if a != b or (type(a) is not type(b) and not (_number(a) and _number(b))):
        out.append(f"{_label(path)}: {show(a)} → {show(b)}")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _compare_rules(
    a: list[dict[str, Any]],
    b: list[dict[str, Any]],
    ids_a: list[str],
    ids_b: list[str],
    path: tuple[str, ...],
    out: list[str],
) -> None:
    section = _label(path)
    prefix = path[:-1] if len(path) == 1 else path  # top-level lists: the rule id alone names the rule
    by_a = dict(zip(ids_a, a, strict=True))
    by_b = dict(zip(ids_b, b, strict=True))
    for rid in ids_a:
        if rid not in by_b:
            out.append(f"{section}: removed {rid}: {show(_without_id(by_a[rid]))}")
    for n, rid in enumerate(ids_b):
        if rid not in by_a:
            where = "first" if n == 0 else f"after {ids_b[n - 1]}"
            out.append(f"{section}: added {rid} ({where}): {show(_without_id(by_b[rid]))}")
    common_a = [i for i in ids_a if i in by_b]
    common_b = [i for i in ids_b if i in by_a]
    if common_a != common_b:
        out.append(f"{section} order: {', '.join(common_a)} → {', '.join(common_b)}")
    for rid in common_b:
        _compare(_without_id(by_a[rid]), _without_id(by_b[rid]), (*prefix, rid), out)


def _without_id(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "id"}


@dataclass(frozen=True)
class RuleFile:
    path: Path  # where it is read from (a temporary copy for git sources)
    label: str  # how the user named it
    from_scenario: bool = False


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


_REFUSED_NAME = (
    "a rule file's name must be a plain name "
    "(no '/', '\\', NUL or control characters, not '.' or '..', not starting with '-')"
)


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
        try:
            data = load_yaml_file(path, label).data
        except YamlError as exc:
            raise RuleFileError(str(exc)) from None
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind in KINDS:
            found[str(kind)].append(RuleFile(path, label))
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
    """Both rule files of a side: the missing one from the scenario, else an error."""
    out = dict(files)
    for kind in KINDS:
        if kind in out:
            continue
        if spec is None:
            raise AllocatorError(
                f"--{name} {source}: gives no {kind} file; give a folder holding both rule files, "
                f"or --scenario to supply the {kind} file"
            )
        path = Path(getattr(spec, kind).file)
        out[kind] = RuleFile(path, display_path(path), from_scenario=True)
    return {kind: out[kind] for kind in KINDS}


def load_side(files: dict[str, RuleFile]) -> tuple[TieringRules, AllocationRules]:
    """Both rule files checked; errors name git sources as the user wrote them."""
    try:
        return load_rules(files["tiering"].path, files["allocation"].path)
    except AllocatorError as exc:
        raise _relabelled(exc, files.values()) from None


def load_tiering_side(tiering: RuleFile) -> TieringRules:
    """A side's tiering file alone, checked; errors name git sources as the user wrote them."""
    try:
        return load_tiering(tiering.path)
    except AllocatorError as exc:
        raise _relabelled(exc, [tiering]) from None


def _relabelled(exc: AllocatorError, files: Iterable[RuleFile]) -> AllocatorError:
    message = str(exc)
    for f in files:
        message = message.replace(display_path(f.path), f.label)
    return type(exc)(message)


def file_changes(before: RuleFile, after: RuleFile) -> list[str]:
    if before.path.resolve() == after.path.resolve():
        return []
    return rule_changes(load_yaml_file(before.path).data, load_yaml_file(after.path).data)
