"""No text overflows its box in the report, in English and in Chinese, as headless Chromium lays it out.

A copy of the report gets one measuring script (the report itself has none): every element that
holds text and is laid out as a box (not inline, not a scroll box, whose scrolling is on purpose)
must have scrollWidth <= clientWidth, and every SVG <text> must lie inside its chart's viewBox. Chromium runs the script and --dump-dom
returns what it found, as JSON in an attribute of <body>.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from allocator.outputs.report import render_report
from allocator.pipeline.run import run_scenario

ZH = Path(__file__).parent / "fixtures" / "zh" / "scenario.yaml"  # lang: zh, 三十档 … 一档, districts
DEMO = Path(__file__).parents[2] / "scenarios" / "demo.yaml"
TOBACCO = Path(__file__).parents[2] / "scenarios" / "tobacco-30.yaml"
SLACK = 1  # pixels: sub-pixel rounding

MEASURE = """<script>
addEventListener("load", () => {
  const found = [];
  const where = (el) => (el.id ? "#" + el.id : el.tagName.toLowerCase())
    + (el.closest("section") ? " in #" + el.closest("section").id : "");
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || el.tagName === "SCRIPT" || !el.textContent.trim()) continue;
    const style = getComputedStyle(el);
    // inline boxes have no width of their own (their block is measured); a scroll box scrolls on purpose
    if (style.display === "inline" || ["auto", "scroll"].includes(style.overflowX)) continue;
    if (el.scrollWidth > el.clientWidth + SLACK_PX) {
      found.push({at: where(el), text: el.textContent.trim().slice(0, 60),
                  scroll: el.scrollWidth, client: el.clientWidth});
    }
  }
  for (const t of document.querySelectorAll("svg text")) {
    const svg = t.ownerSVGElement, vb = svg.viewBox.baseVal, b = t.getBBox();
    if (b.x < -SLACK_PX || b.y < -SLACK_PX || b.x + b.width > vb.width + SLACK_PX
        || b.y + b.height > vb.height + SLACK_PX) {
      found.push({at: "svg text in " + svg.getAttribute("aria-label"), text: t.textContent,
                  box: [b.x, b.y, b.width, b.height].map(Math.round), viewBox: [vb.width, vb.height]});
    }
  }
  document.body.setAttribute("data-overflow", JSON.stringify(found));
});
</script>""".replace("SLACK_PX", str(SLACK))


def overflows(chromium: Any, page: str, folder: Path, width: int) -> list[dict[str, Any]]:
    """What overflows in `page` (report HTML) at a window `width` pixels wide."""
    measured = folder / f"measured-{width}.html"
    measured.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium.run(measured, "--dump-dom", f"--window-size={width},2000", "--virtual-time-budget=5000")
    found = re.search(r'<body data-overflow="([^"]*)"', dom)
    assert found, "the measuring script did not run"
    result: list[dict[str, Any]] = json.loads(html.unescape(found.group(1)))
    return result


@pytest.fixture(scope="module")
def reports() -> dict[str, str]:
    """The zh fixture in Chinese and in English, the demo and the 30-tier city in English."""
    zh = run_scenario(ZH)
    spec = zh.scenario.spec.model_copy(update={"lang": "en"})  # the same run, its report in English
    en = dataclasses.replace(zh, scenario=dataclasses.replace(zh.scenario, spec=spec))
    return {
        "zh": render_report(zh),
        "zh fixture in en": render_report(en),
        "demo": render_report(run_scenario(DEMO)),
        "tobacco-30": render_report(run_scenario(TOBACCO)),
    }


@pytest.mark.parametrize("name", ["zh", "zh fixture in en", "demo", "tobacco-30"])
@pytest.mark.parametrize("width", [1280, 820])
def test_no_text_overflows_its_box(
    chromium: Any, reports: dict[str, str], name: str, width: int, tmp_path: Path
) -> None:
    assert overflows(chromium, reports[name], tmp_path, width) == []
