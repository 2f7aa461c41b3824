"""Turn pydantic's validation errors into located, readable problems.

pydantic reports a `loc` path for each error; we find that path in the YAML document to give
line and column, name the rule id, and rewrite the message in the file's own words, with
"did you mean" for unknown keys and values.
"""

from __future__ import annotations

import types
import typing
from collections import defaultdict
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from allocator.inputs.conditions import did_you_mean, show_value
from allocator.inputs.safe_yaml import Document, PathT, Problem

_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
}


def _inner_types(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for a in get_args(annotation) for t in _inner_types(a)]
    if origin is typing.Literal or annotation is type(None):
        return []
    return [annotation]


def _annotations_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[list[Any], list[FieldInfo]]:
    """The types a value at `loc` may have, and the model fields `loc` ends on (if it does)."""
    current: list[Any] = [model]
    fields: list[FieldInfo] = []
    for step in loc:
        nxt: list[Any] = []
        fields = []
        for ann in current:
            for t in _inner_types(ann):
                origin = get_origin(t)
                if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(step, str):
                    if step in t.model_fields:
                        nxt.append(t.model_fields[step].annotation)
                        fields.append(t.model_fields[step])
                elif origin is list and isinstance(step, int):
                    nxt.extend(get_args(t))
                elif origin is dict and isinstance(step, str):
                    nxt.append(get_args(t)[1])
        current = nxt
    return current, fields


def _model_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The keys allowed in the mapping at `loc`, when it is one of our models."""
    current, _ = _annotations_at(model, loc)
    for ann in current:
        for t in _inner_types(ann):
            if isinstance(t, type) and issubclass(t, BaseModel):
                return list(t.model_fields)
    return None


def _strip(doc: Document, loc: tuple[Any, ...], missing: bool) -> PathT:
    """Drop pydantic's union-branch labels (like 'int' or 'dict[str,int]') from a loc path."""
    path: list[str | int] = []
    for i, step in enumerate(loc):
        here = doc.get(tuple(path))
        present = (isinstance(here, dict) and step in here) or (
            isinstance(here, list) and isinstance(step, int) and 0 <= step < len(here)
        )
        if present or (missing and i == len(loc) - 1):
            path.append(step)
    return tuple(path)


def _message(err: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, bool]:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _model_keys(model, loc[:-1]) or []
        hint = did_you_mean(str(loc[-1]), allowed)
        if not hint and allowed:
            hint = "; expected one of " + ", ".join(allowed)
        return f"unknown key{hint}", True
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", False
    if kind == "literal_error":
        choices = [c.strip(" '") for c in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
        others = [c for c in choices if c != value]  # `version: '1'` is not a misspelling of 1
        hint = did_you_mean(str(value), others) if isinstance(value, str) else ""
        return f"{show_value(value)} is not one of {', '.join(choices)}{hint}", False
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": ("ge", "at least"),
            "greater_than": ("gt", "above"),
            "less_than_equal": ("le", "at most"),
            "less_than": ("lt", "below"),
        }[kind]
        bound = ctx.get(words[0])
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # a float field's bound 1000.0 reads as 1000
        return f"must be {words[1]} {bound}, got {show_value(value)}", False
    if kind == "finite_number":
        return f"must be a finite number, got {value}", False
    if kind in ("too_short", "string_too_short"):
        if isinstance(value, str):
            return "must not be empty", False
        return f"needs at least {ctx.get('min_length')} item(s)", False
    if kind == "string_too_long":
        return f"longer than {ctx.get('max_length')} characters", False
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        return f"expected a mapping, got {show_value(value)}", False
    if kind == "dict_type":
        # a mapping keyed by product id (or rule path) says so: `supply_factor: 0.8` is a common slip
        described = [f.description for f in _annotations_at(model, loc)[1] if f.description]
        form = f" ({described[0][0].lower()}{described[0][1:]})" if described else ""
        return f"expected a mapping{form}, got {show_value(value)}", False
    for key, word in _TYPE_WORDS.items():
        if kind.startswith(key + "_"):
            return f"expected {word}, got {show_value(value)}", False
    return f"{err['msg'][0].lower()}{err['msg'][1:]}", False


def pydantic_problems(exc: ValidationError, doc: Document, model: type[BaseModel]) -> list[Problem]:
    """One problem per bad value; alternatives of a union are merged into one message."""
    grouped: dict[tuple[PathT, str], list[tuple[str, bool]]] = defaultdict(list)
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _strip(doc, loc, err["type"] == "missing")
        msg, at_key = _message(err, model, loc)
        grouped[(path, "missing" if err["type"] == "missing" else "value")].append((msg, at_key))
    problems: list[Problem] = []
    for (path, _), messages in grouped.items():
        if len(messages) > 1:
            wants = sorted(
                {m.split(", got")[0].removeprefix("expected ") for m, _ in messages if m.startswith("expected ")}
            )
            value = doc.get(path)
            text = f"expected {' or '.join(wants)}, got {show_value(value)}" if wants else messages[0][0]
            problems.append(doc.problem(path, text))
        else:
            msg, at_key = messages[0]
            problems.append(doc.problem(path, msg, key=at_key))
    return problems
