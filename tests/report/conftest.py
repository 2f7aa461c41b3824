"""Report tests: an HTML reader for the summary tables, the CSV they must equal, and headless Chromium.

Chromium is found on PATH or, when missing and we are root, installed once per session with apt-get;
so are Debian's CJK fonts (fonts-noto-cjk), which the Chinese report needs to be measured as a reader
sees it; if that is impossible the browser tests fail with the reason (they never skip silently).
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from subprocess import PIPE

import pytest

from allocator.outputs.tables import write_csv
from allocator.pipeline.run import RunResult, run_scenario

ROOT = Path(__file__).parents[2]
TINY = ROOT / "tests" / "cli" / "fixtures" / "tiny" / "scenario.yaml"
MOVES = Path(__file__).parent / "fixtures" / "moves" / "scenario.yaml"
DEMO = ROOT / "scenarios" / "demo.yaml"

INSTALL = "apt-get update -qq && apt-get install -y -qq chromium"
INSTALL_FONTS = "apt-get update -qq && apt-get install -y -qq fonts-noto-cjk"
CJK_FONT = "Noto Sans CJK SC"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT = 60


def find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def ensure_chromium() -> tuple[str, float | None]:
    """Chromium's path and, when this call installed it, how long the install took (seconds)."""
    found = find_chromium()
    if found:
        return found, None
    seconds = _install("Chromium", "chromium", INSTALL)
    found = find_chromium()
    if found is None:
        pytest.fail(f"`{INSTALL}` succeeded but no chromium is on PATH", pytrace=False)
    return found, seconds


def has_cjk_font() -> bool:
    """Whether fontconfig knows the Noto Sans CJK SC font (of fonts-noto-cjk)."""
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60)
    return CJK_FONT in listed.stdout


def ensure_cjk_fonts() -> float | None:
    """Install fonts-noto-cjk when no CJK font is there; how long it took, or None if it was there."""
    if has_cjk_font():
        return None
    seconds = _install("the CJK fonts", "fonts-noto-cjk", INSTALL_FONTS)
    if not has_cjk_font():
        pytest.fail(f"`{INSTALL_FONTS}` succeeded but fontconfig lists no {CJK_FONT}", pytrace=False)
    return seconds


def _install(what: str, package: str, command: str) -> float:
    """Run an apt-get install command as root; fail the test with the reason when that is impossible."""
    if os.geteuid() != 0:
        pytest.fail(
            f"the browser tests need {what}: install the Debian package `{package}` "
            f"(as root: {command}); this session is not root, so it cannot install it",
            pytrace=False,
        )
    start = time.monotonic()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        proc = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=1800, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"installing {what} timed out after 30 minutes: {command}", pytrace=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        pytest.fail(
            f"could not install {what} with `{command}` (exit {proc.returncode}):\n" + "\n".join(tail),
            pytrace=False,
        )
    return time.monotonic() - start


@dataclass(frozen=True)
class Chromium:
    """Runs headless Chromium on a page; one retry when it crashes or hangs."""

    path: str
    installed_in: float | None

    def run(self, page: Path, *args: str, expect: Path | None = None) -> str:
        """Chromium's stdout for `page` (a file), after `expect` (if given) was written."""
        problems: list[str] = []
        for _attempt in range(2):
            if expect is not None:
                expect.unlink(missing_ok=True)
            with tempfile.TemporaryDirectory(prefix="chromium-profile-", ignore_cleanup_errors=True) as profile:
                cmd = [self.path, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
                # its own process group, so a hang ends with every helper process it started
                with subprocess.Popen(cmd, stdout=PIPE, stderr=PIPE, text=True, start_new_session=True) as proc:
                    try:
                        out, err = proc.communicate(timeout=TIMEOUT)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.communicate()
                        problems.append(f"timed out after {TIMEOUT} s")
                        continue
            done = expect.is_file() and expect.stat().st_size > 0 if expect is not None else bool(out.strip())
            if proc.returncode == 0 and done:
                return out
            problems.append(f"exit {proc.returncode}: {err.strip()[-2000:]}")
        pytest.fail(f"chromium failed twice on {page}:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def chromium(pytestconfig: pytest.Config) -> Iterator[Chromium]:
    path, seconds = ensure_chromium()
    fonts = ensure_cjk_fonts()
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    if seconds is not None and reporter is not None:
        reporter.write_line(f"installed chromium ({path}) in {seconds:.0f} s")
    if fonts is not None and reporter is not None:
        reporter.write_line(f"installed fonts-noto-cjk in {fonts:.0f} s")
    yield Chromium(path, seconds)


@dataclass
class Cell:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""


@dataclass
class Table:
    attrs: dict[str, str | None]
    caption: str = ""
    rows: list[list[Cell]] = field(default_factory=list)


class Page(HTMLParser):
    """Every table of a page (cells with attributes and text; text inside SVG ignored) and every tag."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[Table] = []
        self._cell: Cell | None = None
        self._in_caption = False
        self._svg_depth = 0
        self._in_title = False
        self.titles: list[str] = []  # <title> texts inside SVG: chart names and each mark's value
        self.untitled_svgs = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "svg":
            self._svg_depth += 1
            self.untitled_svgs += 1
        elif tag == "title" and self._svg_depth:
            self._in_title = True
            self.titles.append("")
            if self.tags[-2][0] == "svg":
                self.untitled_svgs -= 1
        elif tag == "table":
            self._open.append(Table(a))
            self.tables.append(self._open[-1])
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._open:
            self._open[-1].rows.append([])
        elif tag in ("td", "th") and self._open:
            self._cell = Cell(tag, a)
            self._open[-1].rows[-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg_depth -= 1
        elif tag == "title":
            self._in_title = False
        elif tag == "table" and self._open:
            self._open.pop()
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._svg_depth:
            if self._in_title:
                self.titles[-1] += data
            return
        if self._in_caption and self._open:
            self._open[-1].caption += data
        elif self._cell is not None:
            self._cell.text += data

    def table(self, cls: str) -> list[Table]:
        return [t for t in self.tables if cls in (t.attrs.get("class") or "").split()]

    def summaries(self) -> dict[str, list[list[str | None]]]:
        """Per `data-variant`: the header (`data-col` of each th) and each row's `data-value`s."""
        out: dict[str, list[list[str | None]]] = {}
        for t in self.tables:
            variant = t.attrs.get("data-variant")
            if variant is not None:
                header, *rows = t.rows
                out[variant] = [[c.attrs.get("data-col") for c in header]]
                out[variant] += [[c.attrs.get("data-value") for c in row] for row in rows]
        return out


@pytest.fixture(scope="session")
def read_page() -> Callable[[str], Page]:
    return Page


@pytest.fixture(scope="session")
def tiny() -> RunResult:
    return run_scenario(TINY)


@pytest.fixture(scope="session")
def moves() -> RunResult:
    """Previous tiers (kept, moved up and down, new) and a variant that moves a threshold."""
    return run_scenario(MOVES)


@pytest.fixture(scope="session")
def demo() -> RunResult:
    return run_scenario(DEMO)


@pytest.fixture
def csv_summaries(tmp_path: Path) -> Callable[[RunResult], dict[str, list[list[str]]]]:
    """Each variant's summary as `write_csv` writes it to summary.csv, read back cell by cell."""

    def read(result: RunResult) -> dict[str, list[list[str]]]:
        out = {}
        for i, variant in enumerate(result.variants):
            path = tmp_path / f"summary-{i}.csv"
            write_csv(variant.summary, path)
            with path.open(newline="", encoding="utf-8") as f:
                out[variant.name] = list(csv.reader(f))
        return out

    return read
