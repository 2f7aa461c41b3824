"""Terminal output with hostile ids: control characters (C0, DEL, C1), bidi overrides and rich
markup from input files are shown literally, as visible escapes, in `validate`, `run`, `explain`
and every error message; nothing reaches the terminal that it would act on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.escape import html, json_text, terminal, terminal_lines

SHOPS = Path(__file__).parents[2] / "diff" / "fixtures" / "shops"

OSC52 = "\x1b]52;c;aGk=\x07"  # writes the clipboard
CLEAR = "\x1b[2J"


# the snapshot's warning for the id with an escape sequence, itself escaped
WARNING = "clients.csv: row 6, column client_id: warning: client id 's05\\x1b[31m' has invisible characters in it"

def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shops scenario with escape sequences and rich markup in its name, a product id,
    a rule id and a client id (YAML double-quoted escapes: `\\e` is ESC, `\\a` BEL)."""
    shutil.copytree(SHOPS, tmp_path, dirs_exist_ok=True)
    _edit(tmp_path / "scenario.yaml", "name: shops", 'name: "shops \\e]52;c;aGk=\\a [bold red]loud[/]"')
    _edit(tmp_path / "allocation.yaml", "- id: soft", '- id: "soft\\e[2J[bold]:smile:"')
    _edit(tmp_path / "tiering.yaml", "- id: city-b", '- id: "city-b\\u202e[red]x\\x9b"')
    _edit(tmp_path / "clients.csv", "s05,", "s05\x1b[31m,")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_ok_lines_and_warnings(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "tiering.yaml", "allocation.yaml", "scenario.yaml"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == (
        "tiering.yaml: ok (tiering: 2 ladders, 3 placement rules, 1 adjustments)\n"
        "tiering.yaml:14:3: ladders.city: warning: no placement rule covers clients where volume < 250 "
        "on ladder city; they get the default tier C\n"
        "tiering.yaml:15:3: ladders.village: warning: no placement rule covers clients where volume < 300 "
        "on ladder village; they get the default tier C\n"
        "allocation.yaml: ok (allocation: 2 products, checked against tiering.yaml)\n"
        "scenario.yaml: ok (scenario 'shops \\x1b]52;c;aGk=\\x07 [bold red]loud[/]': 0 variants, snapshot checked)\n"
        f"{WARNING}\n"
    )


def test_validate_error_messages(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(hostile / "tiering.yaml", "    tier: B\n", "    tir: B\n")
    _edit(hostile / "allocation.yaml", "    supply: 40", "    suply: 40")
    code = main(["validate", "tiering.yaml", "allocation.yaml"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "tiering.yaml:20:5: placement[1] (id=city-b\\u202e[red]x\\x9b).tier: missing required key 'tier'\n"
        "tiering.yaml:22:5: placement[1] (id=city-b\\u202e[red]x\\x9b).tir: unknown key; did you mean 'tier'?\n"
        "allocation.yaml:4:5: products[0] (id=soft\\x1b[2J[bold]:smile:).supply: missing required key 'supply'\n"
        "allocation.yaml:5:5: products[0] (id=soft\\x1b[2J[bold]:smile:).suply: unknown key; "
        "did you mean 'supply'?\n"
    )


def test_run_tables(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "scenario.yaml", "--out", "out"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, f"{WARNING}\n")
    assert out == RUN_TABLE


RUN_TABLE = """\
shops \\x1b]52;c;aGk=\\x07 [bold red]loud[/] · period 2026Q1 · seed 1 · 10 clients
base
product                  ┃ ladder      ┃ tier ┃ clients ┃ ordered ┃ entitled ┃ allocated ┃   fill ┃ stock-out ┃ full fill ┃ coverage ┃ note
━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━
soft\\x1b[2J[bold]:smile: │ city        │ A    │       2 │      11 │       10 │        10 │  90.9% │      0.0% │     50.0% │   100.0% │
soft\\x1b[2J[bold]:smile: │ city        │ B    │       1 │       4 │        3 │         3 │  75.0% │      0.0% │      0.0% │   100.0% │
soft\\x1b[2J[bold]:smile: │ city        │ C    │       3 │       6 │        3 │         3 │  50.0% │      0.0% │     33.3% │   100.0% │
soft\\x1b[2J[bold]:smile: │ village     │ A    │       1 │       5 │        5 │         5 │ 100.0% │      0.0% │    100.0% │   100.0% │
soft\\x1b[2J[bold]:smile: │ village     │ B    │       1 │       4 │        0 │         0 │   0.0% │    100.0% │      0.0% │     0.0% │
soft\\x1b[2J[bold]:smile: │ village     │ C    │       2 │       3 │        1 │         1 │  33.3% │      0.0% │      0.0% │    50.0% │
soft\\x1b[2J[bold]:smile: │ unallocated │      │         │         │          │        18 │        │           │           │          │ supply 40, available 40
hard                     │ city        │ A    │       2 │       - │        8 │         8 │      - │         - │         - │   100.0% │
hard                     │ city        │ B    │       1 │       - │        2 │         2 │      - │         - │         - │   100.0% │
hard                     │ city        │ C    │       3 │       - │        3 │         3 │      - │         - │         - │   100.0% │
hard                     │ village     │ A    │       1 │       - │        4 │         4 │      - │         - │         - │   100.0% │
hard                     │ village     │ B    │       1 │       - │        2 │         2 │      - │         - │         - │   100.0% │
hard                     │ village     │ C    │       2 │       - │        2 │         2 │      - │         - │         - │   100.0% │
hard                     │ unallocated │      │         │         │          │         9 │        │           │           │          │ supply 30, available 30
base: products, every tier
product                  ┃ clients ┃ ordered ┃ allocated ┃  fill ┃ full fill ┃ coverage ┃   gap ┃ top 10% ┃  Gini
━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━╇━━━━━━
soft\\x1b[2J[bold]:smile: │      10 │      33 │        22 │ 66.7% │     33.3% │    80.0% │ 33.3% │   22.7% │ 0.482
hard                     │      10 │       - │        21 │     - │         - │   100.0% │     - │   19.1% │ 0.319
wrote out/ (tiers.csv, quotas.csv, summary.csv, manifest.json, report.html)
"""


@pytest.fixture
def with_variant(hostile: Path) -> Path:
    """The hostile scenario with a variant and a tier_amounts product, so that `run` prints all three tables."""
    variant = '  - name: "less \\e[2J[bold]x"\n    supply_factor: {"soft\\e[2J[bold]:smile:": 0.5}\n'
    (hostile / "scenario.yaml").write_text((hostile / "scenario.yaml").read_text() + "variants:\n" + variant)
    amounts = '  - id: "hard[i]\\u202e"\n    supply: 30\n    policy: tier_amounts\n    target: at_most\n'
    amounts += "    ladder_split: {city: 0.5, village: 0.5}\n"
    _edit(hostile / "allocation.yaml", "  - id: hard\n    supply: 30\n", amounts)
    return hostile


def test_run_tier_amounts_and_variant_tables(with_variant: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "scenario.yaml", "--out", "out"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, f"{WARNING}\n")
    assert out[out.index("base: tier amounts") :] == AMOUNTS_AND_VARIANTS


AMOUNTS_AND_VARIANTS = """\
base: tier amounts (cartons per shop)
ladder  ┃ tier ┃ shops ┃ hard[i]\\u202e
━━━━━━━━╇━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━
city    │ A    │     2 │             3
city    │ B    │     1 │             3
city    │ C    │     3 │             2
village │ A    │     1 │             5
village │ B    │     1 │             4
village │ C    │     2 │             3
────────┼──────┼───────┼──────────────
total   │      │       │            30
supply  │      │       │            30
left    │      │       │             0
base: products, every tier
product                  ┃ clients ┃ ordered ┃ allocated ┃  fill ┃ full fill ┃ coverage ┃   gap ┃ top 10% ┃  Gini
━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━╇━━━━━━
soft\\x1b[2J[bold]:smile: │      10 │      33 │        22 │ 66.7% │     33.3% │    80.0% │ 33.3% │   22.7% │ 0.482
hard[i]\\u202e            │      10 │       - │        30 │     - │         - │   100.0% │     - │   16.7% │ 0.153
variants compared: allocated (fill rate)
product                  ┃ ladder  ┃ tier ┃       base ┃ less \\x1b[2J[bold]x
━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━
soft\\x1b[2J[bold]:smile: │ city    │ A    │ 10 (90.9%) │           9 (81.8%)
soft\\x1b[2J[bold]:smile: │ city    │ B    │  3 (75.0%) │           3 (75.0%)
soft\\x1b[2J[bold]:smile: │ city    │ C    │  3 (50.0%) │           3 (50.0%)
soft\\x1b[2J[bold]:smile: │ village │ A    │ 5 (100.0%) │           4 (80.0%)
soft\\x1b[2J[bold]:smile: │ village │ B    │   0 (0.0%) │            0 (0.0%)
soft\\x1b[2J[bold]:smile: │ village │ C    │  1 (33.3%) │           1 (33.3%)
─────────────────────────┼─────────┼──────┼────────────┼────────────────────
soft\\x1b[2J[bold]:smile: │ total   │      │   22 of 40 │            20 of 20
hard[i]\\u202e            │ total   │      │   30 of 30 │            30 of 30
wrote out/ (tiers.csv, quotas.csv, summary.csv, manifest.json, comparison.csv, report.html)
"""


def test_explain_text(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "s05\x1b[31m", "scenario.yaml"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        lines[0]
        == "Client s05\\x1b[31m · shops \\x1b]52;c;aGk=\\x07 [bold red]loud[/] (scenario.yaml) · period 2026Q1 · seed 1"
    )
    assert lines[19] == "  city-b\\u202e[red]x\\x9b [ladder city] → tier B: no match"
    assert lines[36] == "Product soft\\x1b[2J[bold]:smile: (policy per_tier, rounding webster)"
    assert terminal_lines(out) == out  # nothing else in the whole text either


def test_explain_json_escapes_every_control_and_reordering_character(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["explain", "s05\x1b[31m", "scenario.yaml", "--json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert terminal_lines(out) == out
    data = json.loads(out)  # still the exact ids, once decoded
    assert data["client_id"] == "s05\x1b[31m"
    assert data["scenario"] == "shops \x1b]52;c;aGk=\x07 [bold red]loud[/]"
    assert data["placement"]["rules"][1]["id"] == "city-b\u202e[red]x\x9b"
    assert '"id": "city-b\\u202e[red]x\\u009b",' in [line.strip() for line in out.splitlines()]


def test_an_unknown_client_message(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "s05\x1b[32m", "scenario.yaml"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == "unknown client 's05\\x1b[32m' in clients.csv; did you mean 's05\\x1b[31m'?\n"
    code = main(["explain", OSC52, "scenario.yaml"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == "unknown client '\\x1b]52;c;aGk=\\x07': not in clients.csv (10 clients)\n"


def test_a_usage_error_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "x.yaml", "--" + CLEAR])
    out, err = capsys.readouterr()
    assert (exc.value.code, out) == (2, "")
    assert err.splitlines()[-1] == "allocator: error: unrecognized arguments: --\\x1b[2J"


def test_an_internal_error_message(
    hostile: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import allocator.commands.validate

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError(CLEAR + "\u202e")

    monkeypatch.setattr(allocator.commands.validate, "validate", broken)
    code = main(["validate", "tiering.yaml"])
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    assert err == (
        "allocator: internal error: RuntimeError: \\x1b[2J\\u202e\n"
        "this is a bug in allocator; run again with --debug for the traceback and report it\n"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain · λ ≈ 中文", "plain · λ ≈ 中文"),
        ("\x00\x07\x08\t\n\r\x1b\x7f", "\\x00\\x07\\x08\\t\\n\\r\\x1b\\x7f"),
        ("\x80\x9b\x9f\xa0", "\\x80\\x9b\\x9f\xa0"),
        ("\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"),
        ("\u2066\u2067\u2068\u2069\u200e\u200f\u061c", "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c"),
        ("\u2028\u2029", "\\u2028\\u2029"),
        ("back\\slash", "back\\slash"),
    ],
)
def test_terminal_escapes(text: str, shown: str) -> None:
    assert terminal(text) == shown
    assert terminal_lines(text) == shown.replace("\\n", "\n")


def test_json_and_html_escapes() -> None:
    assert json_text(json.dumps({"id": "a\x1b\x9b\u202e\x7f"}, ensure_ascii=False)) == (
        '{"id": "a\\u001b\\u009b\\u202e\\u007f"}'
    )
    assert html('<a title="x">&\x1b') == "&lt;a title=&quot;x&quot;&gt;&amp;\\x1b"


def test_run_progress_on_a_terminal(
    hostile: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spinner's steps name the snapshot file: shown escaped, never read as markup. The spinner
    is replaced by a recorder, so that the test does not depend on when rich redraws."""
    from rich.console import Console
    from rich.text import Text

    (hostile / "clients.csv").rename(hostile / "clients[bold]\x1b[2J.csv")
    _edit(hostile / "scenario.yaml", "snapshot: clients.csv", 'snapshot: "clients[bold]\\e[2J.csv"')
    shown: list[str] = []

    class Recorder:
        def __enter__(self) -> Recorder:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def update(self, step: object) -> None:  # what rich would display for it
            shown.append(step.plain if isinstance(step, Text) else Text.from_markup(str(step)).plain)

    monkeypatch.setattr(Console, "status", lambda self, *args, **kwargs: Recorder())
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert main(["run", "scenario.yaml", "--out", "out"]) == 0
    assert shown[0] == "reading and checking clients[bold]\\x1b[2J.csv"
    assert all(terminal(step) == step for step in shown)
