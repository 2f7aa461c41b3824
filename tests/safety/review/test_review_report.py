"""report.html with hostile names: the page has exactly the structure of the same run with plain
names (every tag, every attribute name, in order), no raw control or reordering character, and
each hostile name reads, once parsed, exactly as the terminal shows it."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from allocator.outputs.report import render_report
from allocator.pipeline.run import run_scenario

SHOPS = Path(__file__).parents[2] / "diff" / "fixtures" / "shops"
NAME = '</title><script>alert(1)</script>\x1b]52;c;aGk=\x07 "quoted" & \u202eco'
VARIANT = "\"><img src=x onerror=alert(1)>\x9b'"
PRODUCT = "soft<svg onload=alert(1)>\x1b[2J"
LADDER = "ci<b>ty\u2066"  # a category value: the ladder's name


class Page(HTMLParser):
    """Every start tag with its attribute names, and the text of the elements we check."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.texts: dict[str, list[str]] = {}
        self.attributes: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(name for name, _ in attrs)))
        self.attributes.extend(value or "" for _, value in attrs)
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts.setdefault(self._open[-1], []).append(data)


def _run(folder: Path, name: str, variant: str, product: str, ladder: str) -> str:
    shutil.copytree(SHOPS, folder)

    def edit(file: str, old: str, new: str) -> None:
        text = (folder / file).read_text(encoding="utf-8")
        assert old in text
        (folder / file).write_text(text.replace(old, new), encoding="utf-8")

    def quoted(s: str) -> str:  # a YAML double-quoted scalar
        return '"' + s.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'

    edit("scenario.yaml", "name: shops", f"name: {quoted(name)}")
    # the variant halves `hard`, whose id is the same on both runs: the same ties, broken the same way
    extra = f"variants:\n  - name: {quoted(variant)}\n    supply_factor: {{hard: 0.5}}\n"
    (folder / "scenario.yaml").write_text((folder / "scenario.yaml").read_text() + extra, encoding="utf-8")
    edit("allocation.yaml", "- id: soft", f"- id: {quoted(product)}")
    edit("tiering.yaml", "values: [city, village]", f"values: [{quoted(ladder)}, village]")
    edit("tiering.yaml", "  city: [A, B, C]", f"  {quoted(ladder)}: [A, B, C]")
    edit("tiering.yaml", "market: city,", f"market: {quoted(ladder)},")
    csv = (folder / "clients.csv").read_text(encoding="utf-8").replace(",city,", "," + ladder.replace('"', '""') + ",")
    (folder / "clients.csv").write_text(csv, encoding="utf-8")
    return render_report(run_scenario(folder / "scenario.yaml"))


@pytest.fixture
def pages(tmp_path: Path) -> tuple[str, str]:
    hostile = _run(tmp_path / "hostile", NAME, VARIANT, PRODUCT, LADDER)
    plain = _run(tmp_path / "plain", "shops", "half", "soft", "city")
    return hostile, plain


def _parsed(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def test_the_page_structure_is_that_of_plain_names(pages: tuple[str, str]) -> None:
    hostile, plain = pages
    assert _parsed(hostile).tags == _parsed(plain).tags


def test_no_raw_control_or_reordering_character(pages: tuple[str, str]) -> None:
    hostile, _ = pages
    assert (
        re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]", hostile)
        == []
    )


def test_hostile_names_read_as_written_with_visible_escapes(pages: tuple[str, str]) -> None:
    page = _parsed(pages[0])
    name = '</title><script>alert(1)</script>\\x1b]52;c;aGk=\\x07 "quoted" & \\u202eco'
    assert page.texts["title"][0] == f"{name} · allocation report"
    assert page.texts["h1"] == [name]
    assert "soft<svg onload=alert(1)>\\x1b[2J" in page.texts["h2"]
    assert "\"><img src=x onerror=alert(1)>\\x9b'" in page.texts["caption"]
    svg_titles = set(page.texts["title"][1:])
    assert "Fill rate per tier and variant, soft<svg onload=alert(1)>\\x1b[2J" in svg_titles
    assert "Clients per tier, ladder ci<b>ty\\u2066" in svg_titles
    # attributes: the summary table's data-variant, the chart's aria-label
    assert "\"><img src=x onerror=alert(1)>\\x9b'" in page.attributes
    assert "Fill rate per tier and variant, soft<svg onload=alert(1)>\\x1b[2J" in page.attributes
