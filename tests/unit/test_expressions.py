"""The `derive:` language: parsing, positions of syntax errors, null on division by zero."""

from __future__ import annotations

import polars as pl
import pytest

from allocator.inputs.expressions import (
    BinOp,
    Col,
    ExpressionError,
    Neg,
    Num,
    evaluate_row,
    parse_expression,
    to_polars,
)


def test_precedence_and_parentheses() -> None:
    assert parse_expression("a + b * 2") == BinOp("+", Col("a", 1), BinOp("*", Col("b", 5), Num(2.0)))
    assert parse_expression("(a + b) / -c") == BinOp("/", BinOp("+", Col("a", 2), Col("b", 6)), Neg(Col("c", 12)))
    assert parse_expression("a - b - c") == BinOp("-", BinOp("-", Col("a", 1), Col("b", 5)), Col("c", 9))


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("amount / ", "expected a number, a column name or '(' but the expression ends", 10),
        ("amount // volume", "expected a number, a column name or '(' but found '/'", 9),
        ("(amount / volume", "expected ')' but the expression ends", 17),
        ("amount volume", "unexpected 'volume' after a complete expression", 8),
        ("amount ** 2", "expected a number, a column name or '(' but found '*'", 9),
        ("__import__('os')", "unexpected character '''", 12),
        ("amount % 3", "unexpected character '%'", 8),
        ("", "expected a number, a column name or '(' but the expression ends", 1),
        ("a" * 501, "longer than 500 characters", 501),
        ("(" * 60 + "a" + ")" * 60, "nested deeper than 50 levels", 51),
    ],
)
def test_syntax_errors_give_the_position(text: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError) as exc:
        parse_expression(text)
    assert (str(exc.value), exc.value.position) == (message, position)


def test_division_by_zero_gives_null_and_null_propagates() -> None:
    df = pl.DataFrame({"amount": [100.0, 5.0, None, 0.0], "volume": [4, 0, 2, 0]})
    expr = parse_expression("amount / volume + 1")
    assert df.select(to_polars(expr).alias("x"))["x"].to_list() == [26.0, None, None, None]
    rows = [{"amount": a, "volume": v} for a, v in zip(df["amount"], df["volume"], strict=True)]
    assert [evaluate_row(expr, r) for r in rows] == [26.0, None, None, None]


def test_negative_and_mixed_arithmetic_match_between_row_and_column() -> None:
    expr = parse_expression("-(a - 3) * 2 / b")
    df = pl.DataFrame({"a": [1, 10, 3], "b": [4.0, -2.0, 0.5]})
    assert df.select(to_polars(expr).alias("x"))["x"].to_list() == [1.0, 7.0, 0.0]
    assert [evaluate_row(expr, {"a": a, "b": b}) for a, b in df.iter_rows()] == [1.0, 7.0, 0.0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e5", Num(100000.0)),
        ("2.5E-3 * a", BinOp("*", Num(0.0025), Col("a", 10))),
        ("条均价 / 销量", BinOp("/", Col("条均价", 1), Col("销量", 7))),
        ("a\u0301b", Col("a\u0301b", 1)),  # a combining mark may continue an identifier
    ],
)
def test_exponent_literals_and_unicode_identifiers(text: str, expected: object) -> None:
    assert parse_expression(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("volume * 1" + "0" * 309, "the number 10000000000000000000... is too large", 10),
        ("2 * 1e400", "the number 1e400 is too large", 5),
        ("٣ + a", "unexpected character '٣'", 1),
    ],
)
def test_literals_that_overflow_and_non_identifiers_are_located(text: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError) as exc:
        parse_expression(text)
    assert (str(exc.value), exc.value.position) == (message, position)


def test_a_step_that_is_not_finite_gives_null_column_wise_and_row_wise() -> None:
    expr = parse_expression("a / b * 2 - a * a")
    df = pl.DataFrame({"a": [1.0, 1.0, 1e200, 3.0], "b": [1e-320, 2.0, 1.0, 0.0]})
    # 1 / 1e-320 overflows; 1e200 * 1e200 overflows; division by zero as before
    assert df.select(to_polars(expr).alias("x"))["x"].to_list() == [None, 0.0, None, None]
    assert [evaluate_row(expr, {"a": a, "b": b}) for a, b in df.iter_rows()] == [None, 0.0, None, None]
