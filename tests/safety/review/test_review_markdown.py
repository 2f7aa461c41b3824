"""`diff`'s Markdown with hostile ids: every string from an input file renders literally, so a
client id or rule id can never add a heading, an image, a link, HTML or a table row to the
pull-request comment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from allocator.escape import markdown, markdown_code
from tests.diffing import diff

SHOPS = Path(__file__).parents[2] / "diff" / "fixtures" / "shops"

EVIL_CLIENT = "s05\n## LGTM - no client affected\n<img src=x onerror=alert(1)>"
EVIL_RULE = "city-b|`x`\r\n## LGTM *[ok](https://evil.example)*"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shops rules with a hostile rule id, clients with a hostile client id, before/ and after/."""
    shutil.copytree(SHOPS, tmp_path, dirs_exist_ok=True)
    _edit(tmp_path / "clients.csv", "s05,", '"' + EVIL_CLIENT + '",')
    _edit(tmp_path / "tiering.yaml", "- id: city-b", '- id: "city-b|`x`\\r\\n## LGTM *[ok](https://evil.example)*"')
    for side in ("before", "after"):
        (tmp_path / side).mkdir()
        for name in ("tiering.yaml", "allocation.yaml"):
            shutil.copy(tmp_path / name, tmp_path / side / name)
    _edit(tmp_path / "after" / "tiering.yaml", "volume: {gte: 250}", "volume: {gte: 100}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_whole_markdown_of_a_diff_with_hostile_ids(hostile: Path) -> None:
    md, changed = diff("before", "after", Path("clients.csv"), None)
    assert changed
    assert (
        md
        == """\
## Allocator diff: 1 client changes tier, 2 units move between tiers, 2 more units allocated

- before: tiering `before/tiering.yaml`, allocation `before/allocation.yaml`
- after: tiering `after/tiering.yaml`, allocation `after/allocation.yaml`
- snapshot `clients.csv` (10 clients), no scenario: seed 0, period none (they only break ties)

### Rule changes

Tiering:
- ``city-b|`x`\\r\\n## LGTM *[ok](https://evil.example)*.when.volume.gte: 250 → 100``

Allocation: no change.

### Tier migration

Ladder city (rows: tier before, columns: tier after):

| before \\ after | A | B | C | total |
| :-- | --: | --: | --: | --: |
| A | 2 | · | · | 2 |
| B | · | 1 | · | 1 |
| C | · | 1 | 2 | 3 |
| total | 2 | 2 | 2 | 6 |

No client changes tier on village (4 clients).

### Quotas by product and tier

| product | ladder | tier | clients | entitled | allocated | Δ allocated | fill rate |
| :-- | :-- | :-- | --: | --: | --: | --: | --: |
| soft | city | B | 1 → 2 | 3 → 5 | 3 → 5 | +2 | 75.0% → 83.3% |
| soft | city | C | 3 → 2 | 3 → 2 | 3 → 2 | -1 | 50.0% |
| soft | all |  | 10 | 22 → 23 | 22 → 23 | +1 | 66.7% → 69.7% |
| hard | city | B | 1 → 2 | 2 → 4 | 2 → 4 | +2 | — |
| hard | city | C | 3 → 2 | 3 → 2 | 3 → 2 | -1 | — |
| hard | all |  | 10 | 21 → 22 | 21 → 22 | +1 | — |

8 product/tier rows without change not shown.

### Metrics by product

| product | clients | allocated | fill rate | full fill | coverage | gap | top 10 % | Gini |
| :-- | --: | --: | --: | --: | --: | --: | --: | --: |
| soft | 10 | 22 → 23 | 66.7% → 69.7% | 33.3% → 44.4% | 80.0% | 33.3% → 30.3% | 22.7% → 21.7% | 0.482 → 0.465 |
| hard | 10 | 21 → 22 | — | — | 100.0% | — | 19.1% → 18.2% | 0.319 → 0.300 |

### Gainers (1 client; by units gained, then tier change, then id)

| client | ladder | tier | placed by | soft | hard |
| :-- | :-- | :-- | :-- | --: | --: |
"""
        + r"""| s05\\n\#\# LGTM - no client affected\\n\<img src=x onerror=alert\(1\)\> | city | C → B | default → city-b\|\`x\`\\r\\n\#\# LGTM \*\[ok\]\(https\://evil.example\)\* | 1 → 2 | 1 → 2 |
"""
    )
    _renders_as_plain_text(md, headings=6, rows=5 + 7 + 3 + 2)


def _renders_as_plain_text(md: str, headings: int, rows: int) -> None:
    """A CommonMark + tables renderer finds exactly our headings and table rows, and no HTML, link or image."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    flat = [t for tok in tokens for t in [tok, *(tok.children or [])]]
    kinds = {t.type for t in flat}
    assert not kinds & {"html_inline", "html_block", "link_open", "image", "em_open", "strong_open"}
    assert sum(t.type == "heading_open" for t in flat) == headings
    assert sum(t.type == "tr_open" for t in flat) == rows


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain-id_1", "plain-id\\_1"),
        ("a|b", "a\\|b"),
        ("<img src=x>", "\\<img src=x\\>"),
        ("&amp;", "\\&amp;"),
        ("[x](y)", "\\[x\\]\\(y\\)"),
        ("*b* _i_ ~s~ `c`", "\\*b\\* \\_i\\_ \\~s\\~ \\`c\\`"),
        ("#1 $x$ a:b c@d !e", "\\#1 \\$x\\$ a\\:b c\\@d \\!e"),
        ("www.evil.example", "www\\.evil.example"),
        ("back\\slash", "back\\\\slash"),
        ("line\nbreak\r\x1b[2J\u202e", "line\\\\nbreak\\\\r\\\\x1b\\[2J\\\\u202e"),
    ],
)
def test_markdown_text_escapes(text: str, shown: str) -> None:
    assert markdown(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("city-b", "`city-b`"),
        ("a`b", "``a`b``"),
        ("`a``", "``` `a`` ```"),
        (" a ", "`  a  `"),
        ("x\n## LGTM", "`x\\n## LGTM`"),
    ],
)
def test_markdown_code_spans(text: str, shown: str) -> None:
    assert markdown_code(text) == shown
