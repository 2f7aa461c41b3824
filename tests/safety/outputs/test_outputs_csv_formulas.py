"""CSV cells that a spreadsheet would run as a formula are written as text (a leading quote)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from allocator.cli import main
from allocator.outputs.tables import write_csv, write_csv_parts


def test_text_cells_that_start_a_formula_get_a_leading_quote(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "id": ["=cmd|' /C calc'!A0", "@HYPERLINK(\"http://x\")", "+1", "-2", "\t=1", "\r=2", "  =3", " \u3000@4",
                   "plain", "a=b", "", None, "'=quoted already"],
            "n": [-1, -2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -13],
            "f": [-0.5] * 13,
        },
        schema={"id": pl.String, "n": pl.Int64, "f": pl.Float64},
    )  # fmt: skip
    write_csv(df, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_bytes().decode() == (
        "id,n,f\n"
        "'=cmd|' /C calc'!A0,-1,-0.5000\n"
        '"\'@HYPERLINK(""http://x"")",-2,-0.5000\n'
        "'+1,3,-0.5000\n"
        "'-2,4,-0.5000\n"
        "'\t=1,5,-0.5000\n"
        '"\'\r=2",6,-0.5000\n'
        "'  =3,7,-0.5000\n"
        "' \u3000@4,8,-0.5000\n"
        "plain,9,-0.5000\n"
        "a=b,10,-0.5000\n"
        ",11,-0.5000\n"
        ",12,-0.5000\n"
        "'=quoted already,-13,-0.5000\n"
    )


def test_categorical_and_enum_text_is_guarded_too(tmp_path: Path) -> None:
    df = pl.DataFrame({"tier": ["=A", "B"], "ladder": ["@x", "y"]}).with_columns(
        pl.col("tier").cast(pl.Categorical), pl.col("ladder").cast(pl.Enum(["@x", "y"]))
    )
    write_csv_parts([df, df], tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text() == "tier,ladder\n'=A,'@x\nB,y\n'=A,'@x\nB,y\n"


def test_parts_that_repeat_or_change_a_column_are_each_guarded(tmp_path: Path) -> None:
    # write_csv_parts guards a column once when the next part repeats it, and a one-value
    # column by its value: each shortcut must still give the bytes of the full guard
    ids = pl.Series("id", ["a", "b", "c"])
    parts = [
        pl.DataFrame({"id": ids, "product": ["p"] * 3, "note": ["x", "", None]}),
        pl.DataFrame({"id": ids, "product": ["=p"] * 3, "note": ["x", "", None]}),
        pl.DataFrame({"id": ["a", "=b", "c"], "product": [""] * 3, "note": ["@y", "", "x"]}),
        pl.DataFrame({"id": ["a", "=b", "c"], "product": ["q"] * 3, "note": ["@y", "", "x"]}),
    ]
    write_csv_parts(parts, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text() == (
        "id,product,note\n"
        "a,p,x\nb,p,\nc,p,\n"
        "a,'=p,x\nb,'=p,\nc,'=p,\n"
        "a,,'@y\n'=b,,\nc,,x\n"
        "a,q,'@y\n'=b,q,\nc,q,x\n"
    )


def test_hostile_client_ids_reach_tiers_and_quotas_as_text(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "clients.csv").write_text(
        "client_id,volume,order_p1\n\"=cmd|' /C calc'!A0\",150,5\n@HYPERLINK(1),10,1\n-3,60,1\n"
    )
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    assert Path("out/tiers.csv").read_text().splitlines() == [
        "client_id,ladder,previous_tier,placed_tier,tier,placed_by,adjustments,move_limit",
        "'-3,shops,,B,B,mid,,",
        "'=cmd|' /C calc'!A0,shops,,A,A,big,,",
        "'@HYPERLINK(1),shops,,C,C,,,",
    ]
    assert Path("out/quotas.csv").read_text().splitlines() == [
        "client_id,product,ladder,tier,ordered,entitled,excluded_by,quota,source",
        "'-3,p1,shops,B,1,1,,1,rules",
        "'=cmd|' /C calc'!A0,p1,shops,A,5,3,,3,rules",
        "'@HYPERLINK(1),p1,shops,C,1,1,,1,rules",
    ]
