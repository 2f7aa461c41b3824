"""`diff --before git:REV:PATH` on hostile repositories: nothing is written outside its temporary
folder, odd tree entry names are refused by name, and REV or PATH is never taken as a git option."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.errors import AllocatorError
from tests.diffing import diff

SHOPS = Path(__file__).parents[2] / "diff" / "fixtures" / "shops"
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, input=data, check=True, capture_output=True, env={**ENV, "PATH": "/usr/bin:/bin"}
    )
    return proc.stdout.decode().strip()


def _blob(repo: Path, text: str) -> str:
    return _git(repo, "hash-object", "-w", "--stdin", data=text.encode())


def _tree(repo: Path, entries: list[tuple[bytes, str, str]]) -> str:
    """A tree object from raw (name, mode, sha) entries, bypassing mktree's name checks."""
    raw = b"".join(mode.encode() + b" " + name + b"\0" + bytes.fromhex(sha) for name, mode, sha in entries)
    return _git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=raw)


def _commit(repo: Path, rules_entries: list[tuple[bytes, str, str]], branch: str) -> None:
    rules = _tree(repo, rules_entries)
    top = _tree(repo, [(b"rules", "40000", rules)])
    commit = _git(repo, "commit-tree", top, "-m", "crafted")
    _git(repo, "update-ref", f"refs/heads/{branch}", commit)


@pytest.fixture
def crafted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose commits name rule files `../../x.yaml`, `/abs/x.yaml` and worse."""
    root = tmp_path / "work" / "repo"
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    tiering = _blob(root, (SHOPS / "tiering.yaml").read_text())
    allocation = _blob(root, (SHOPS / "allocation.yaml").read_text())
    good = [(b"allocation.yaml", "100644", allocation), (b"tiering.yaml", "100644", tiering)]
    _commit(root, good, "good")
    for branch, name in {
        "up": b"../../escaped-tiering.yaml",
        "abs": str(tmp_path / "abs-tiering.yaml").encode(),
        "dash": b"-tiering.yaml",
        "slash": b"sub/tiering.yaml",
        "dots": b"..",
        "newline": b"tier\ning.yaml",
        "escape": b"tier\x1b[2Jing.yaml",
        "bidi": "tier\u202eing.yaml".encode(),
        "backslash": b"..\\tiering.yaml",
    }.items():
        _commit(root, [(b"allocation.yaml", "100644", allocation), (name, "100644", tiering)], branch)
    shutil.copy(SHOPS / "clients.csv", root / "clients.csv")
    # diff's temporary folder two levels below tmp_path, so that `../../x` would land in tmp_path
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    shutil.copytree(SHOPS, root / "now", ignore=shutil.ignore_patterns("scenario.yaml", "clients.csv"))
    monkeypatch.chdir(root)
    return root


def _files_under(top: Path) -> list[str]:
    return sorted(str(p.relative_to(top)) for p in top.rglob("*") if ".git" not in p.parts)


@pytest.mark.parametrize(
    ("branch", "shown"),
    [
        ("up", "../../escaped-tiering.yaml"),
        ("abs", None),
        ("dash", "-tiering.yaml"),
        ("slash", "sub/tiering.yaml"),
        ("dots", ".."),
        ("newline", "tier\\ning.yaml"),
        ("escape", "tier\\x1b[2Jing.yaml"),
        ("bidi", "tier\\u202eing.yaml"),
        ("backslash", "..\\tiering.yaml"),
    ],
)
def test_a_hostile_entry_name_is_refused_and_nothing_is_written(
    crafted: Path, branch: str, shown: str | None, tmp_path: Path
) -> None:
    before = _files_under(tmp_path)
    with pytest.raises(AllocatorError) as exc:
        diff(f"git:{branch}:rules", "now", Path("clients.csv"), None)
    name = shown if shown is not None else str(tmp_path / "abs-tiering.yaml")
    assert str(exc.value) == (
        f"git:{branch}:rules: refusing the file name '{name}' in the commit: a rule file's name must be "
        "a plain name (no '/', '\\', NUL or control characters, not '.' or '..', not starting with '-')"
    )
    assert _files_under(tmp_path) == before


def test_a_good_commit_still_works(crafted: Path) -> None:
    md, changed = diff("git:good:rules", "now", Path("clients.csv"), None)
    assert not changed
    assert md.splitlines()[2] == (
        "- before: tiering `git:good:rules/tiering.yaml`, allocation `git:good:rules/allocation.yaml`"
    )


@pytest.mark.parametrize(
    "source",
    [
        "git:--output=/tmp/allocator-pwned:rules",
        "git:-h:rules",
        "git:--all:rules",
        "git:--exec-path:rules",
    ],
)
def test_a_revision_is_never_taken_as_a_git_option(
    crafted: Path, source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rev = source.split(":")[1]
    code = main(["diff", "--before", source, "--after", "now", "--snapshot", "clients.csv"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"{source}: unknown git revision '{rev}'\n")
    assert not Path("/tmp/allocator-pwned").exists()


@pytest.mark.parametrize("path", ["--help", "-rules", "rules\x1b[2J"])
def test_a_path_is_never_taken_as_a_git_option(crafted: Path, path: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diff", "--before", f"git:good:{path}", "--after", "now", "--snapshot", "clients.csv"])
    out, err = capsys.readouterr()
    shown = path.replace("\x1b", "\\x1b")
    assert (code, out, err) == (2, "", f"git:good:{shown}: no file or folder '{shown}' at revision good\n")


@pytest.mark.parametrize("path", ["../../etc", "rules/../../x", "./rules", "rules/."])
def test_a_path_never_leaves_the_repository_root(crafted: Path, path: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diff", "--before", f"git:good:{path}", "--after", "now", "--snapshot", "clients.csv"])
    out, err = capsys.readouterr()
    message = f"git:good:{path}: PATH leads down from the repository root, without '.' or '..' parts\n"
    assert (code, out, err) == (2, "", message)


def test_a_symbolic_link_in_the_commit_is_not_followed(crafted: Path) -> None:
    root = crafted
    link = _blob(root, "/etc/passwd")
    allocation = _blob(root, (SHOPS / "allocation.yaml").read_text())
    _commit(root, [(b"allocation.yaml", "100644", allocation), (b"tiering.yaml", "120000", link)], "link")
    with pytest.raises(AllocatorError) as exc:
        diff("git:link:rules", "now", Path("clients.csv"), None)
    assert str(exc.value) == (
        "git:link:rules: tiering.yaml is a symbolic link in the commit; rule files are read from git only as regular files"
    )
