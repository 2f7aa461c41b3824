"""Variant and scenario folder names: readable in any script, distinct, never shared silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.inputs.folder_names import folder_clashes, slug

DEMO = Path(__file__).resolve().parents[3] / "scenarios"


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("Supply -20%", "supply-minus-20-pct"),
        ("supply +20%", "supply-plus-20-pct"),
        ("supply 20", "supply-20"),
        ("supply -2.5%", "supply-minus-2.5-pct"),
        ("lower city bars", "lower-city-bars"),
        ("供应减少", "供应减少"),
        ("阈值降低", "阈值降低"),
        ("城市", "城市"),
        ("Größere Läden", "größere-läden"),
        ("../../etc", "etc"),
        ("a/b\\c\x00d", "a-b-c-d"),
        ("...", "variant"),
        ("ＡＢＣ", "abc"),
        ("नमस्ते दुनिया", "नमस्ते-दुनिया"),
    ],
)
def test_slug_keeps_letters_of_every_script_and_signs(name: str, folder: str) -> None:
    assert slug(name) == folder


def test_slug_is_short_enough_for_a_folder_name_with_its_temporary() -> None:
    long = slug("供" * 200)
    assert long == "供" * 40 and len(long.encode()) == 120


def test_names_that_once_slugged_alike_now_get_distinct_folders() -> None:
    names = ["Supply -20%", "supply 20", "supply -10%", "supply +10%", "供应减少", "阈值降低"]
    assert len({slug(n) for n in names}) == len(names)
    assert folder_clashes(names) == []


def test_folder_clashes_name_both_variants_and_ignore_case() -> None:
    assert folder_clashes(["base", "Supply +10%", "SUPPLY +10 %", "供应!", "供应?", "x"]) == [
        ("Supply +10%", "SUPPLY +10 %", "supply-plus-10-pct"),
        ("供应!", "供应?", "供应"),
    ]


def _scenario_with_variants(tmp: Path, names: list[str]) -> Path:
    text = (DEMO / "demo.yaml").read_text(encoding="utf-8")
    head = text.split("variants:")[0]
    head = head.replace("data/demo-clients.csv", str(DEMO / "data" / "demo-clients.csv"))
    head = head.replace("../rules/", str(DEMO.parent / "rules") + "/")
    body = "".join(f"  - name: {n!r}\n    supply_factor: {{zhonghua-soft: 0.5}}\n" for n in names)
    path = tmp / "s.yaml"
    path.write_text(head + "variants:\n" + body, encoding="utf-8")
    return path


def test_variants_in_chinese_get_their_own_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = _scenario_with_variants(tmp_path, ["供应减少", "阈值降低", "supply -10%", "supply +10%"])
    assert main(["run", str(scenario), "--out", "out"]) == 0
    assert sorted(p.name for p in Path("out/variants").iterdir()) == [
        "supply-minus-10-pct", "supply-plus-10-pct", "供应减少", "阈值降低"
    ]  # fmt: skip


def test_variants_whose_folders_would_clash_are_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = _scenario_with_variants(tmp_path, ["Supply +10%", "supply +10 %"])
    assert main(["run", str(scenario), "--out", "out"]) == 2
    assert capsys.readouterr().err == (
        "s.yaml:14:11: variants[1].name: variants 'Supply +10%' and 'supply +10 %' would share the output "
        "folder variants/supply-plus-10-pct; rename one\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "s.yaml"]


def test_scenarios_named_in_chinese_get_distinct_default_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = Path(__file__).resolve().parents[2] / "cli" / "fixtures" / "tiny"
    for name in ("城市", "乡村"):
        shutil.copytree(tiny, tmp_path / name)
        path = tmp_path / name / "scenario.yaml"
        path.write_text(path.read_text().replace("name: tiny", f"name: {name}"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "城市/scenario.yaml"]) == 0
    assert main(["run", "乡村/scenario.yaml"]) == 0
    assert sorted(p.name for p in Path("out").iterdir() if not p.name.startswith(".")) == ["乡村", "城市"]
