"""The arithmetic of `derive:`: `+ - * /`, parentheses, column names and numbers, nothing else.

Parsed into our own small AST (never `eval`); evaluated column-wise with polars. Division by
zero gives null, and null propagates, so a derived value is either a number or missing. A step
whose result is not finite (1e308 * 10, or a divisor as small as 1e-320) is missing as well:
the rule engine cannot compare infinity, and no threshold means anything next to it.

Column names are Python identifiers (`str.isidentifier`), so `条均价` works; numbers are decimal,
with an optional exponent (`1e5`, `2.5E-3`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

MAX_LENGTH = 500
MAX_EXPRESSION_DEPTH = 50

_TOKEN = re.compile(r"\s*(?:(?P<num>(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)|(?P<op>[-+*/()]))")
_SPACE = re.compile(r"\s*")


class ExpressionError(ValueError):
    """A syntax error at a 1-based character position inside the expression."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Col:
    name: str
    position: int


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


Expr = Num | Col | Neg | BinOp


def _name_end(text: str, start: int) -> int:
    """Where the identifier starting at `start` ends (start itself when none starts there)."""
    if not text[start].isidentifier():
        return start
    end = start + 1
    while end < len(text) and ("a" + text[end]).isidentifier():  # a character that may continue a name
        end += 1
    return end


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if pos == len(text):
            break
        end = _name_end(text, pos)
        if end > pos:
            tokens.append(("name", text[pos:end], pos + 1))
            pos = end
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExpressionError(f"unexpected character '{text[pos]}'", pos + 1)
        kind = m.lastgroup or ""
        word = m.group(kind)
        if kind == "num" and not math.isfinite(float(word)):
            shown = word if len(word) <= 20 else word[:20] + "..."
            raise ExpressionError(f"the number {shown} is too large", pos + 1)
        tokens.append((kind, word, pos + 1))
        pos = m.end()
    tokens.append(("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expr(self) -> Expr:
        node = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            node = BinOp(op, node, self.term())
        return node

    def term(self) -> Expr:
        node = self.factor()
        while self.peek()[1] in ("*", "/") and self.peek()[0] == "op":
            op = self.take()[1]
            node = BinOp(op, node, self.factor())
        return node

    def factor(self) -> Expr:
        kind, text, pos = self.take()
        self.depth += 1
        if self.depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(f"nested deeper than {MAX_EXPRESSION_DEPTH} levels", pos)
        try:
            if kind == "num":
                return Num(float(text))
            if kind == "name":
                return Col(text, pos)
            if text == "-":
                return Neg(self.factor())
            if text == "(":
                inner = self.expr()
                k, t, p = self.take()
                if t != ")":
                    raise ExpressionError(f"expected ')' {_found(k, t)}", p)
                return inner
            raise ExpressionError(f"expected a number, a column name or '(' {_found(kind, text)}", pos)
        finally:
            self.depth -= 1


def _found(kind: str, text: str) -> str:
    return "but the expression ends" if kind == "end" else f"but found '{text}'"


def parse_expression(text: str) -> Expr:
    """Parse one `derive:` expression; raise ExpressionError with a position on bad syntax."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    parser = _Parser(text)
    node = parser.expr()
    kind, tok, pos = parser.peek()
    if kind != "end":
        raise ExpressionError(f"unexpected '{tok}' after a complete expression", pos)
    return node


def columns_of(node: Expr) -> list[Col]:
    """Column references in reading order."""
    if isinstance(node, Col):
        return [node]
    if isinstance(node, Neg):
        return columns_of(node.operand)
    if isinstance(node, BinOp):
        return columns_of(node.left) + columns_of(node.right)
    return []


def to_polars(node: Expr) -> pl.Expr:
    """A polars expression computing `node` as Float64, null where a divisor is zero or a step is not finite."""
    if isinstance(node, Num):
        return pl.lit(node.value, dtype=pl.Float64)
    if isinstance(node, Col):
        return _finite(pl.col(node.name).cast(pl.Float64))
    if isinstance(node, Neg):
        return -to_polars(node.operand)
    left, right = to_polars(node.left), to_polars(node.right)
    if node.op == "+":
        return _finite(left + right)
    if node.op == "-":
        return _finite(left - right)
    if node.op == "*":
        return _finite(left * right)
    return _finite(pl.when(right == 0).then(None).otherwise(left / right))


def _finite(value: pl.Expr) -> pl.Expr:
    return pl.when(value.is_finite()).then(value).otherwise(None)


def evaluate_row(node: Expr, row: Mapping[str, float | int | None]) -> float | None:
    """The same arithmetic on one row, for `explain` and tests."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Col):
        v = row.get(node.name)
        return None if v is None or not math.isfinite(float(v)) else float(v)
    if isinstance(node, Neg):
        inner = evaluate_row(node.operand, row)
        return None if inner is None else -inner
    a, b = evaluate_row(node.left, row), evaluate_row(node.right, row)
    if a is None or b is None:
        return None
    if node.op == "+":
        out = a + b
    elif node.op == "-":
        out = a - b
    elif node.op == "*":
        out = a * b
    elif b == 0:
        return None
    else:
        try:
            out = a / b
        except OverflowError:  # Python raises where polars gives inf: the same missing value
            return None
    return out if math.isfinite(out) else None
