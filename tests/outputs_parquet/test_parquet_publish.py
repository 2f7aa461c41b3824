"""`approve` and `publish` of a run that wrote Parquet: the folder is checked against the
manifest's sha256 of quotas.parquet and tiers.parquet, and the notice is the one the same run
with CSV outputs gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.cli import main
from allocator.outputs.tables import sha256_file
from tests.batch.test_approval import clock
from tests.batch.test_publish import SEGMENTED

__all__ = ["clock"]

LEDGER = "ledger.sqlite"


def _published(root: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """The segmented scenario of the publish tests in `root`, batched with `fmt` outputs, approved
    and published: the notice's folder."""
    root.mkdir()
    for name, text in SEGMENTED.items():
        (root / name).write_text(text, encoding="utf-8")
    with (root / "scenario.yaml").open("a", encoding="utf-8") as f:
        f.write(f"outputs: {{format: {fmt}}}\n")
    ledger = str(root / LEDGER)
    assert main(["batch", str(root / "scenario.yaml"), "--out", str(root / "out"), "--ledger", ledger]) == 0
    assert main(["approve", "1", "--ledger", ledger, "--by", "zhang"]) == 0
    assert main(["publish", "1", "--ledger", ledger, "--out", str(root / "notice")]) == 0
    capsys.readouterr()
    return root / "notice"


def test_publish_of_a_parquet_run_gives_the_notice_of_the_csv_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    parquet = _published(tmp_path / "parquet", "parquet", capsys)
    csv = _published(tmp_path / "csv", "csv", capsys)
    assert sorted(p.name for p in (tmp_path / "parquet" / "out").iterdir()) == [
        "manifest.json", "quotas.parquet", "report.html", "summary.csv", "tier_amounts.csv", "tiers.parquet",
        "timings.json",
    ]  # fmt: skip
    assert (parquet / "notice.csv").read_text(encoding="utf-8") == (csv / "notice.csv").read_text(encoding="utf-8")
    assert (parquet / "notice.csv").read_text(encoding="utf-8") == (
        "product,segment,ladder,tier,quota_per_shop,quota_min,quota_max,shops,shops_allocated\n"
        "p1,east,shops,A,,2,5,2,2\n"
        "p1,east,shops,B,4,4,4,1,1\n"
        "p1,west,shops,A,3,3,3,1,1\n"
        "p1,west,shops,B,1,1,1,1,1\n"
        "p1,west,shops,C,0,0,0,1,0\n"
        "p2,,shops,A,,1,2,4,4\n"
        "p2,,shops,B,1,1,1,2,2\n"
        "p2,,shops,C,0,0,0,1,0\n"
    )


def test_a_changed_quotas_parquet_is_refused_with_both_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _published(tmp_path / "run", "parquet", capsys)
    quotas = Path("run/out/quotas.parquet")
    recorded = sha256_file(quotas)
    quotas.write_bytes(quotas.read_bytes()[:-9] + b"\x00PAR1PAR1")
    assert main(["publish", "1", "--ledger", f"run/{LEDGER}", "--out", "run/again"]) == 2
    assert capsys.readouterr().err == (
        "run 1 (run/scenario.yaml, period 2026W10) cannot be published: its output folder run/out is not as the "
        "run left it:\n"
        f"run/out/quotas.parquet: sha256 {sha256_file(quotas)}, but the manifest says {recorded}\n"
    )
    assert not Path("run/again").exists()
