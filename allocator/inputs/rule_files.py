"""Reading one rule or scenario file: safe YAML, the right kind, the pydantic model, all problems."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from allocator.errors import RuleFileError
from allocator.inputs.conditions import did_you_mean, limited_suggestions
from allocator.inputs.located import pydantic_problems
from allocator.inputs.models import MODELS
from allocator.inputs.safe_yaml import Document, Problem, YamlError, load_yaml_bytes, read_yaml_bytes

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A file's document, its model (None when the model did not validate) and its problems."""

    path: Path
    doc: Document
    model: M | None
    problems: list[Problem]
    sha256: str


def display_path(path: Path) -> str:
    """The path as the user would write it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop, in Python 3.11
        return os.path.normpath(path)


@dataclass(frozen=True)
class Source:
    """One file parsed: its path, its document (values with their positions) and its sha256."""

    path: Path
    doc: Document
    sha256: str


Sources = dict[Path, Source]  # files already parsed in this command, by resolved path


def read_source(path: Path, display: str | None = None, known: Sources | None = None) -> Source:
    """Read and parse one YAML file; YAML problems raise. `display` names it in messages; a file
    in `known` (parsed earlier in the same command) is not read again."""
    if known and (found := known.get(path.resolve())) is not None:
        return found
    name = display if display is not None else display_path(path)
    try:
        raw = read_yaml_bytes(path, name)
        doc = load_yaml_bytes(raw, name)
    except YamlError as exc:
        raise RuleFileError(_render(exc.problems)) from None
    return Source(path, doc, hashlib.sha256(raw).hexdigest())  # of the bytes parsed


def read_model(path: Path, model: type[M], kind: str) -> Loaded[M]:
    """Load `path` as a `kind` file; YAML problems raise at once, model problems are returned."""
    return checked_model(read_source(path), model, kind)


@limited_suggestions()
def checked_model(source: Source, model: type[M], kind: str) -> Loaded[M]:
    """A parsed file as a `kind` file: a wrong or missing kind raises, model problems are returned."""
    doc = source.doc
    data = doc.data
    if not isinstance(data, dict):
        raise RuleFileError(_render([doc.problem((), f"expected a {kind} file (a mapping with 'kind: {kind}')")]))
    found = data.get("kind")
    if found != kind:
        if "kind" not in data:
            msg = f"missing required key 'kind' (one of {', '.join(MODELS)})"
        elif isinstance(found, str) and found in MODELS:
            msg = f"this is {_a(found)} file, but {_a(kind)} file is needed here"
        else:
            shown = f"'{found}'" if isinstance(found, str) else repr(found)
            msg = f"{shown} is not one of {', '.join(MODELS)}{did_you_mean(str(found), MODELS)}"
        where = ("kind",) if "kind" in data else ()
        raise RuleFileError(_render([doc.problem(where, msg)]))
    return model_of(source.path, doc, model, source.sha256)


def model_of(path: Path, doc: Document, model: type[M], sha: str) -> Loaded[M]:
    """Validate a loaded document against its model; problems are returned, not raised."""
    try:
        return Loaded(path, doc, model.model_validate(doc.data), [], sha)
    except ValidationError as exc:
        return Loaded(path, doc, None, pydantic_problems(exc, doc, model), sha)


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def kind_of(source: Source) -> str | None:
    """The `kind:` a parsed file declares, if it declares one."""
    data = source.doc.data
    return data.get("kind") if isinstance(data, dict) and isinstance(data.get("kind"), str) else None


def _render(problems: list[Problem]) -> str:
    return "\n".join(p.render() for p in sorted(problems))


def raise_problems(problems: list[Problem]) -> None:
    """Raise one RuleFileError carrying every problem, sorted by file position."""
    if problems:
        unique = sorted(set(problems))
        raise RuleFileError(_render(unique))
