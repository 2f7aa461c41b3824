"""comparison.csv of a scenario with a segmented product: a `segment` column after `product`, one
row per segment, tier and variant, in the base's order (each line once, never doubled)."""

from __future__ import annotations

from tests.outputs_files.conftest import RunTo, csv_rows, sheet_rows

COMPARISON = """\
product,segment,ladder,tier,variant,clients,allocated,fill_rate,stockout_rate,full_fill_rate,coverage,tier_changed
中华,,shops,A,base,2,3,0.4286,0.0000,0.0000,1.0000,0
中华,,shops,A,less,2,3,0.4286,0.0000,0.0000,1.0000,0
中华,,shops,B,base,2,1,0.2500,0.0000,0.0000,0.5000,0
中华,,shops,B,less,2,1,0.2500,0.0000,0.0000,0.5000,0
中华,,shops,C,base,2,2,0.5000,0.0000,0.5000,1.0000,0
中华,,shops,C,less,2,2,0.5000,0.0000,0.5000,1.0000,0
p2,农村,shops,B,base,2,6,,,,1.0000,0
p2,农村,shops,B,less,2,2,,,,1.0000,0
p2,农村,shops,C,base,1,1,,,,1.0000,0
p2,农村,shops,C,less,1,1,,,,1.0000,0
p2,城区,shops,A,base,2,0,,,,0.0000,0
p2,城区,shops,A,less,2,0,,,,0.0000,0
p2,城区,shops,C,base,1,0,,,,0.0000,0
p2,城区,shops,C,less,1,0,,,,0.0000,0
"""


def test_a_segmented_product_has_one_comparison_row_per_segment_tier_and_variant(run_to: RunTo) -> None:
    out = run_to()
    assert (out / "comparison.csv").read_text(encoding="utf-8") == COMPARISON
    # the rows are the summary's tier lines, base and variant, segment by segment
    summary = [(r[0], r[2], r[4], r[8]) for r in csv_rows(out / "summary.csv")[1:] if r[1] == "tier"]
    base = [(r[0], r[1], r[3], r[6]) for r in csv_rows(out / "comparison.csv")[1:] if r[4] == "base"]
    assert base == summary
    assert sheet_rows(out / "workbook.xlsx", "comparison")[0][:4] == ("product", "segment", "ladder", "tier")


def test_without_segments_comparison_keeps_its_columns(run_to: RunTo) -> None:
    allocation = (run_to().parent / "allocation.yaml").read_text(encoding="utf-8")
    (run_to().parent / "allocation.yaml").write_text(allocation.replace("    segments: {by: [district]}\n", ""))
    out = run_to("plain")
    assert csv_rows(out / "comparison.csv")[0] == [
        "product", "ladder", "tier", "variant", "clients", "allocated", "fill_rate", "stockout_rate",
        "full_fill_rate", "coverage", "tier_changed",
    ]  # fmt: skip
    assert [r[:4] for r in csv_rows(out / "comparison.csv")[7:]] == [
        ["p2", "shops", "A", "base"], ["p2", "shops", "A", "less"], ["p2", "shops", "B", "base"],
        ["p2", "shops", "B", "less"], ["p2", "shops", "C", "base"], ["p2", "shops", "C", "less"],
    ]  # fmt: skip
