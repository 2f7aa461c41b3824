"""Where a run's assignments and locks come from: the files the scenario names (or the command
line's `--assignments` / `--locks`), or the scenario's own `locks:` list."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from allocator.inputs.manual import Assignment, Known, Lock, Manual, crossed, read_assignments, read_locks, yaml_locks
from allocator.inputs.models import ScenarioFile
from allocator.inputs.rule_files import display_path
from allocator.inputs.safe_yaml import Document


class ManualFiles(NamedTuple):
    """The assignments and locks files to read (None: none, or the scenario's `locks:` list)."""

    assignments: Path | None
    locks: Path | None


def read_manual(doc: Document, spec: ScenarioFile, files: ManualFiles, known: Known) -> Manual:
    """The run's assignments and locks, each checked against the rules and the snapshot; the
    problems of their rows are kept, to be reported with the checks the run makes."""
    assignments: tuple[Assignment, ...] = ()
    locks: tuple[Lock, ...] = ()
    problems: list[str] = []
    if files.assignments is not None:
        assignments, found = read_assignments(files.assignments, display_path(files.assignments), known)
        problems += found
    locks_file = None
    if files.locks is not None:
        locks, found = read_locks(files.locks, display_path(files.locks), known)
        locks_file = display_path(files.locks)
        problems += found
    elif isinstance(spec.locks, list):
        locks, found = yaml_locks(doc, spec.locks, known)
        locks_file = doc.file
        problems += found
    problems += crossed(assignments, locks)
    shown = display_path(files.assignments) if files.assignments else None
    return Manual(assignments, locks, shown, locks_file, tuple(problems))
