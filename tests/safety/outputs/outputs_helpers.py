"""Helpers of the output-folder tests."""

from __future__ import annotations

from pathlib import Path


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), timings excepted, and every folder as b''."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.name == "timings.json":
            continue
        out[str(p.relative_to(folder))] = p.read_bytes() if p.is_file() else b"<dir>"
    return out
