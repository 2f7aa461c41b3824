"""Reading rule and scenario files: YAML 1.1 readings, nesting bounds, file kinds, encodings.

Every case goes through `allocator.cli.main` and asserts the exit code and the whole message.
Cases that hung before the fix run in a child process, with a generous timeout that only turns a
hang into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from allocator.cli import main
from tests.safety.inputs.files import ALLOCATION, SCENARIO, TIERING

OK_TIERING = "tiering.yaml: ok (tiering: 1 ladders, 2 placement rules, 0 adjustments)"


def _validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], files: dict[str, str | bytes]
) -> tuple[int, str, str]:
    for name, content in files.items():
        target = tmp_path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    monkeypatch.chdir(tmp_path)
    code = main(["validate", *files])
    out, err = capsys.readouterr()
    return code, out, err


def _in_child(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`allocator ARGS` in a child process; the timeout only turns a hang into a failure."""
    return subprocess.run(
        [sys.executable, "-m", "allocator", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


# --- YAML 1.1 readings ---------------------------------------------------------------------


def test_a_leading_zero_is_refused_not_read_as_octal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    allocation = ALLOCATION.replace("supply: 8", "supply: 0100")
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"allocation.yaml": allocation})
    assert (code, err) == (
        2,
        "allocation.yaml:5:13: products[0] (id=p1).supply: '0100' has a leading zero, which marks an octal number "
        "in YAML 1.1; write 100, or quote it for text\n",
    )


def test_sexagesimal_is_text_so_the_type_error_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    allocation = ALLOCATION.replace("supply: 8", "supply: 1:20")
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"allocation.yaml": allocation})
    assert (code, err) == (2, "allocation.yaml:5:13: products[0] (id=p1).supply: expected a whole number, got '1:20'\n")


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("yes", "true"),
        ("Yes", "true"),
        ("on", "true"),
        ("y", "true"),
        ("no", "false"),
        ("OFF", "false"),
        ("n", "false"),
    ],
)
def test_yaml_11_booleans_as_tier_names_and_keys_are_refused(
    word: str,
    value: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiering = TIERING.replace("shops: [A, B, C]", f"{word}: [{word}, B, C]").replace("tier: A", f"tier: {word}")
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": tiering})
    why = f'{word} was read as {value} (a boolean); write "{word}" in quotes for the text'
    # the refused key drops its whole entry, so its list is not read (nor reported) a second time
    assert (code, err) == (
        2,
        f"tiering.yaml:6:3: ladders: {why}\ntiering.yaml:8:49: placement[0] (id=big).tier: {why}\n",
    )


def test_quoted_yaml_11_booleans_are_the_text_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tiering = TIERING.replace("shops: [A, B, C]", "'yes': ['yes', 'no', B]").replace("tier: A", "tier: 'yes'")
    code, out, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": tiering})
    assert (code, out.splitlines()[0], err) == (0, OK_TIERING, "")


def test_a_yaml_11_boolean_where_a_boolean_is_expected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tiering = TIERING.replace("{type: number, min: 0}", "{type: number, min: 0, optional: yes}")
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": tiering})
    assert (code, err) == (
        2,
        "tiering.yaml:4:44: fields.volume.optional: 'yes' is read as true by YAML 1.1 tools; write true, "
        "or quote it ('yes') for text\n",
    )


@pytest.mark.parametrize("number", ["5e-2", "5E-2", "0.5e-1", "+0.05", "5.0e-2"])
def test_exponent_floats_are_numbers(
    number: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tiering = TIERING.replace("volume: {gte: 50}", f"volume: {{gte: {number}}}")
    code, out, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": tiering})
    assert (code, out.splitlines()[0], err) == (0, OK_TIERING, "")


@pytest.mark.parametrize("version", ["true", "1.0", "'1'"])
def test_version_must_be_exactly_the_integer_1(
    version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tiering = TIERING.replace("version: 1", f"version: {version}")
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": tiering})
    shown = {"true": "true (a boolean)", "1.0": "1.0", "'1'": "'1'"}[version]
    assert (code, err) == (2, f"tiering.yaml:2:10: version: {shown} is not one of 1\n")


def test_exclude_must_be_exactly_true(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    allocation = ALLOCATION + "    eligible:\n      - {id: small, when: {volume: {lt: 10}}, exclude: 1}\n"
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"allocation.yaml": allocation})
    assert (code, err) == (
        2,
        "allocation.yaml:8:56: products[0] (id=p1).eligible[0] (id=small).exclude: 1 is not one of True\n",
    )


@pytest.mark.parametrize(
    ("tagged", "shown"),
    [("!!int 1:20", "'1:20' is not a valid !!int"), ("!!bool maybe", "'maybe' is not a valid !!bool")],
)
def test_explicit_tags_use_the_same_yaml_12_forms(
    tagged: str, shown: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    allocation = ALLOCATION.replace("supply: 8", f"supply: {tagged}")
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"allocation.yaml": allocation})
    assert (code, err) == (2, f"allocation.yaml:5:13: products[0] (id=p1).supply: {shown}\n")


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_cr_and_crlf_line_endings_keep_their_line_numbers(
    newline: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tiering = TIERING.replace("{gte: 50}", "{gte: 50, gt: x}").replace("\n", newline)
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": tiering})
    assert (code, err) == (2, "tiering.yaml:9:44: placement[1] (id=mid).when.volume.gt: expected a number, got 'x'\n")


# --- nesting, bounded while the file is composed -----------------------------------------


def _deep_flow(n: int) -> str:
    return "[" * n + "]" * n


def _deep_block(n: int) -> str:
    return "\n" + "".join(" " * (i + 1) + "k:\n" for i in range(n)) + " " * (n + 1) + "x: 1\n"


@pytest.mark.parametrize(
    ("kind", "deep", "where"),
    [
        ("tiering", _deep_flow(5000), "3:46"),
        ("allocation", "{a: " * 3000 + "1" + "}" * 3000, "3:139"),
        ("scenario", _deep_block(1000), "35:33"),
        ("tiering", "\n" + "".join(" " * (i + 1) + "-\n" for i in range(1000)) + " " * 1001 + "x\n", "36:34"),
    ],
)
def test_deep_nesting_is_refused_while_reading(
    kind: str,
    deep: str,
    where: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = f"kind: {kind}\nversion: 1\ndescription: {deep}\n"
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {f"{kind}.yaml": text})
    assert (code, err) == (2, f"{kind}.yaml:{where}: nested deeper than 32 levels; refusing\n")


# --- what the path names -------------------------------------------------------------------


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "tiering.yaml")
    done = _in_child(tmp_path, "validate", "tiering.yaml")
    assert (done.returncode, done.stderr) == (2, "tiering.yaml: is a named pipe (FIFO), not a regular file\n")


def test_a_fifo_named_by_a_scenario_is_refused_without_blocking(tmp_path: Path) -> None:
    for name, text in (("tiering.yaml", TIERING), ("allocation.yaml", ALLOCATION), ("scenario.yaml", SCENARIO)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    os.mkfifo(tmp_path / "clients.csv")
    done = _in_child(tmp_path, "run", "scenario.yaml", "--out", "out")
    assert (done.returncode, done.stderr) == (
        2,
        "scenario.yaml:4:11: snapshot: is a named pipe (FIFO), not a regular file: clients.csv\n",
    )


def test_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    done = _in_child(tmp_path, "validate", "/dev/zero")
    assert (done.returncode, done.stderr) == (2, "/dev/zero: is a character device, not a regular file\n")


def test_a_symlink_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "a.yaml"])
    assert (code, capsys.readouterr().err) == (2, "a.yaml: is a symbolic link that loops\n")


def test_a_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rules.yaml").mkdir()
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "rules.yaml"])
    assert (code, capsys.readouterr().err) == (2, "rules.yaml: is a directory, not a file\n")


def test_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tiering.yaml").write_text(TIERING, encoding="utf-8")
    real_open = os.open

    def refuse(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("tiering.yaml"):  # root may read anything: the refusal is simulated
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "tiering.yaml"])
    assert (code, capsys.readouterr().err) == (2, "tiering.yaml: permission denied\n")


def test_a_file_that_grows_past_the_limit_after_its_size_was_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tiering.yaml").write_text(TIERING + "#" * 1_000_001, encoding="utf-8")
    real_fstat = os.fstat

    class Small:
        def __init__(self, st: os.stat_result) -> None:
            self.st_mode, self.st_size = st.st_mode, 0  # as /proc files report

    monkeypatch.setattr(os, "fstat", lambda fd: Small(real_fstat(fd)))
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "tiering.yaml"])
    assert (code, capsys.readouterr().err) == (
        2,
        "tiering.yaml: the file has more than 1000000 bytes; rule and scenario files are limited to 1000000\n",
    )


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b"\xff\xfek\x00i\x00",
            "tiering.yaml:1:1: UTF-16 or UTF-32 text (it starts with a byte-order mark); save the file as UTF-8",
        ),
        (
            b"kind: tiering\nversion: 1\ndescription: a\x00b\n",
            "tiering.yaml:3:15: not valid YAML: the character U+0000 is not allowed in YAML text",
        ),
        (
            b"kind: tiering\rversion: 1\rdescription: \xd6\xd0\r",
            "tiering.yaml:3: not UTF-8 text (byte 0xd6 at offset 38)",
        ),
    ],
)
def test_encodings_give_one_located_line(
    raw: bytes, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": raw})
    assert (code, err) == (2, message + "\n")


def test_a_utf8_byte_order_mark_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _validate(tmp_path, monkeypatch, capsys, {"tiering.yaml": b"\xef\xbb\xbf" + TIERING.encode()})
    assert (code, out.splitlines()[0], err) == (0, OK_TIERING, "")
