"""Fuzz the command line's options: --out at existing files and folders, --wait, --engine, --ledger,
unknown options, diff sides and explain ids, all on the tiny scenario in a fresh workspace."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import FUZZ_SETTINGS, assert_safe, budget, invoke, outside, tree, workspace

USER_FILES = {"foreign/notes.txt": b"my own notes\n", "foreign/sub/keep.bin": b"\x00\x01keep", "afile.txt": b"a user's file\n"}
OUT_TARGETS = [
    "out", "out/nested/deeper", "empty", "prev", "foreign", "foreign/", "foreign/sub", "afile.txt", "afile.txt/sub",
    "tiny", "tiny/scenario.yaml", ".", "..", "", "-", "rules", "out/../foreign", "./out", "a b", "中文", "\ttab",
]
WAITS = ["0", "-1", "nan", "-nan", "inf", "-inf", "1e308", "1e-300", "0.01", "abc", "", "0x10", "1_0", "٣"]
ENGINES = ["grouped", "exact", "Exact", "", "durable", "grouped,exact"]
LEDGERS = ["ledger.sqlite", "out/ledger.sqlite", "foreign/notes.txt", "afile.txt", "empty", "tiny/scenario.yaml", ""]
RULE_SIDES = [
    "tiny/tiering.yaml", "tiny/allocation.yaml", "rules/tiering.yaml", "rules/allocation.yaml", "rules", "tiny",
    "empty", "git:HEAD:rules/tiering.yaml", "git:", "git::", "git:nope:x", "missing.yaml", "afile.txt",
    "foreign/sub/keep.bin", "tiny/scenario.yaml", "-",
]
SCENARIOS = ["tiny/scenario.yaml", "scenarios/demo.yaml", "tiny/tiering.yaml", "missing.yaml", "empty", "afile.txt", ""]
CLIENT_IDS = ["c1", "c6", "c7", "", " c1", "C1", "-", "--json", "中", "c1\x00", "'; drop table", "x" * 300]
UNKNOWN = ["--frobnicate", "-x", "--out=", "--engine=exact", "--wait=1", "--", "--debug", "--strict", "--json", "-h"]


def _setup(ws: Path) -> None:
    for rel, content in USER_FILES.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_bytes(content)
    (ws / "empty").mkdir()
    assert invoke(["run", "tiny/scenario.yaml", "--out", "prev"], ws).code == 0  # a previous run's outputs


option = st.one_of(
    st.tuples(st.just("--out"), st.sampled_from(OUT_TARGETS)),
    st.tuples(st.just("--wait"), st.sampled_from(WAITS) | st.floats().map(repr)),
    st.tuples(st.just("--engine"), st.sampled_from(ENGINES)),
    st.tuples(st.just("--ledger"), st.sampled_from(LEDGERS)),
    st.tuples(st.sampled_from(UNKNOWN)),
    st.tuples(st.text(max_size=6)),
)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    verb = draw(st.sampled_from(["run", "run", "batch", "validate", "diff", "explain", "schema", "nonsense"]))
    head: list[str] = ["--debug"] if draw(st.booleans()) and draw(st.booleans()) else []
    if verb in ("run", "batch"):
        args = [draw(st.sampled_from(SCENARIOS))]
        if draw(st.integers(0, 3)):
            args += ["--out", draw(st.sampled_from(OUT_TARGETS))]
    elif verb == "validate":
        args = draw(st.lists(st.sampled_from(SCENARIOS + RULE_SIDES), max_size=3))
    elif verb == "diff":
        args = ["--before", draw(st.sampled_from(RULE_SIDES)), "--after", draw(st.sampled_from(RULE_SIDES))]
        if draw(st.booleans()):
            args += ["--scenario", draw(st.sampled_from(SCENARIOS))]
        if draw(st.booleans()):
            args += ["--snapshot", draw(st.sampled_from(["tiny/clients.csv", "afile.txt", "missing.csv", "empty"]))]
    elif verb == "explain":
        args = [draw(st.sampled_from(CLIENT_IDS) | st.text(max_size=8)), draw(st.sampled_from(SCENARIOS))]
    elif verb == "schema":
        args = ["--out", draw(st.sampled_from(OUT_TARGETS))]
    else:
        args = []
    extra = [part for opt in draw(st.lists(option, max_size=3)) for part in opt]
    if verb in ("run", "batch", "schema"):
        args += [p for p in extra if p != "-h"]
    return [*head, verb, *args]


def _normal(ws: Path, target: str) -> str:
    """The path, relative to the workspace's parent, that the tree snapshots use."""
    return Path(os.path.relpath(os.path.normpath(ws / target), ws.parent)).as_posix()


def _last(argv: list[str], flag: str) -> str | None:
    values = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]
    values += [a.split("=", 1)[1] for a in argv if a.startswith(flag + "=")]
    return values[-1] if values else None


def _is_foreign(ws: Path, target: str) -> bool:
    """An existing file, or an existing folder holding anything but a previous run's outputs."""
    path = ws / target
    if not path.exists():
        return False
    return not path.is_dir() or (path.resolve() not in ((ws / "prev").resolve(), (ws / "empty").resolve()))


@settings(max_examples=budget(150), **FUZZ_SETTINGS)
@given(argv=command_lines())
@example(argv=["run", "tiny/scenario.yaml", "--out", "foreign"])
@example(argv=["run", "tiny/scenario.yaml", "--out", "."])
@example(argv=["run", "tiny/scenario.yaml", "--out", "tiny"])
@example(argv=["run", "tiny/scenario.yaml", "--out", "afile.txt"])
@example(argv=["batch", "tiny/scenario.yaml", "--out", "foreign"])
@example(argv=["run", "tiny/scenario.yaml", "--ledger", "foreign/notes.txt"])
@example(argv=["run", "tiny/scenario.yaml", "--wait", "nan"])
@example(argv=["run", "tiny/scenario.yaml", "--wait", "-1"])
@example(argv=["schema", "--out", "foreign"])
def test_random_command_lines(argv: list[str]) -> None:
    with workspace() as ws:
        _setup(ws)
        verb = next(a for a in argv if a != "--debug")
        out = _last(argv, "--out")
        if verb == "run" and out is None:
            out = "out"  # the default, out/<scenario name>, is inside it
        foreign = out is not None and _is_foreign(ws, out)
        ledger = _last(argv, "--ledger")
        new_ledger = bool(ledger) and not (ws / str(ledger)).exists()
        before = tree(ws.parent)
        outcome = invoke(argv, ws)
        after = tree(ws.parent)
        assert_safe(outcome)
        if _last(argv, "--out") is None and verb == "run" and outcome.code == 2:
            out = None
        if verb not in ("run", "batch", "schema") or out is None:
            assert after == before, f"{outcome}\nchanged: {_changes(before, after)}"
            return
        allowed = [_normal(ws, out)]
        if ledger and new_ledger:
            allowed.append(_normal(ws, ledger))
        if verb == "batch" and ledger is None:
            allowed.append(_normal(ws, os.path.join(out, "..", "ledger.sqlite")))
        if foreign and verb != "schema":
            # A user's folder or file given as --out: refused, and every byte of it kept.
            assert outcome.code == 2, str(outcome)
            allowed = allowed[1:]
        kept_before, kept_after = before, after
        for name in allowed:
            kept_before, kept_after = outside(kept_before, name), outside(kept_after, name)
            # the ledger's sqlite journals (-wal, -journal) and its lock (.lock) beside it
            kept_before = {k: v for k, v in kept_before.items() if not k.startswith((name + "-", name + "."))}
            kept_after = {k: v for k, v in kept_after.items() if not k.startswith((name + "-", name + "."))}
        if verb == "schema":  # schema files may be (re)written in the folder; the user's own files are kept
            kept_before = {k: v for k, v in kept_before.items() if not k.endswith(".schema.json")}
            kept_after = {k: v for k, v in kept_after.items() if not k.endswith(".schema.json")}
            kept_before = {k: v for k, v in kept_before.items() if k in kept_after or k not in after}
        assert kept_after == kept_before, f"{outcome}\nchanged: {_changes(kept_before, kept_after)}"


def _changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))[:20]
