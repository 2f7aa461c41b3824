"""Reading one rule or scenario file: safe YAML, the right kind, the pydantic model, all problems."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from allocator.errors import RuleFileError
from allocator.inputs.conditions import did_you_mean, limited_suggestions
from allocator.inputs.located import pydantic_problems
from allocator.inputs.models import MODELS
from allocator.inputs.safe_yaml import Document, PathT, Problem, YamlError, load_yaml_bytes, read_yaml_bytes

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
        raise RuleFileError(_render(with_text_places(exc))) from None
    return Source(path, doc, hashlib.sha256(raw).hexdigest())  # of the bytes parsed


_TEXT_KINDS = ("category", "tier", "text")  # field types whose conditions compare text
_COMBINATORS = ("all", "any", "not")


def with_text_places(exc: YamlError) -> list[Problem]:
    """The problems, a YAML 1.1 boolean word (`yes`) that stands where text is needed (a key, a
    tier, an id, a category value, a condition on a category field) told as such: it was read as
    a boolean, and quotes make it the text. Elsewhere the word keeps the message that names both
    readings. The file's kind (as far as it was read) says what each place needs."""
    data = exc.doc.data if exc.doc is not None else None
    kind = data.get("kind") if isinstance(data, dict) else None
    model = MODELS.get(kind) if isinstance(kind, str) else None
    out = []
    for problem in exc.problems:
        word = exc.words.get(problem)
        if word is not None and (word.key or (model is not None and _needs_text(model, data, word.path))):
            problem = replace(problem, message=word.as_text())
        out.append(problem)
    return out


def _needs_text(model: type[BaseModel], data: Any, path: PathT) -> bool:
    """Whether the value at `path` must be text: its types allow text and no boolean (a rule's
    `when` allows anything; there the field's declared type decides)."""
    if "when" in path:
        steps = path[path.index("when") + 1 :]
        field = next((s for s in steps if isinstance(s, str) and s not in _COMBINATORS), None)
        fields = data.get("fields") if isinstance(data, dict) else None
        spec = fields.get(field) if isinstance(fields, dict) and field is not None else None
        return isinstance(spec, dict) and spec.get("type") in _TEXT_KINDS
    kinds = {_kind(t) for t in _types_at(model, path)}
    return "text" in kinds and not kinds & {"boolean", "any"}


def _types_at(model: type[BaseModel], path: PathT) -> list[Any]:
    """The types a value at `path` of a `model` document may have."""
    current: list[Any] = [model]
    for step in path:
        found: list[Any] = []
        for t in (u for c in current for u in _alternatives(c)):
            if isinstance(t, type) and issubclass(t, BaseModel):
                if isinstance(step, str) and step in t.model_fields:
                    found.append(t.model_fields[step].annotation)
            elif get_origin(t) is list and isinstance(step, int):
                found.extend(get_args(t))
            elif get_origin(t) is dict and isinstance(step, str):
                found.append(get_args(t)[1])
        current = found
    return [u for c in current for u in _alternatives(c)]


def _alternatives(t: Any) -> list[Any]:
    """A union's members, an Annotated type's own type; any other type itself."""
    origin = get_origin(t)
    if origin in (Union, UnionType):
        return [u for a in get_args(t) for u in _alternatives(a)]
    if origin is Annotated:
        return _alternatives(get_args(t)[0])
    return [t]


def _kind(t: Any) -> str:
    """What a type takes of a plain word: any, boolean, text or other (numbers, lists, mappings)."""
    if t is Any or t is bool or t is str:
        return {Any: "any", bool: "boolean", str: "text"}[t]
    values = get_args(t) if get_origin(t) is Literal else ()
    if any(isinstance(v, bool) for v in values):
        return "boolean"
    return "text" if values and all(isinstance(v, str) for v in values) else "other"


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
