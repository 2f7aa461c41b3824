"""User-error messages in Chinese: one catalogue of English templates with named fields, each with
its Chinese template, and the language a command speaks.

A message is matched against the English templates whole; the named fields (file names, rows,
columns, keys and values quoted from files) are carried over as they are and only the sentence
around them is translated. A message no template matches is shown in English, as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from allocator.errors import AllocatorError
from allocator.inputs.rule_files import read_source

MAX_SCENARIO_BYTES = 1 << 20  # a scenario is a short YAML file; a larger one is not peeked at


def scenario_lang(path: Path | None, sha256: str | None = None) -> str | None:
    """The `lang` a scenario file sets ("en" or "zh"), or None when it sets none or cannot be
    read (its own errors are reported by the command); with `sha256`, only if the file still has it."""
    if path is None:
        return None
    try:
        if not path.is_file() or path.stat().st_size > MAX_SCENARIO_BYTES:
            return None
        if sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
            return None
        data = read_source(path).doc.data
    except (AllocatorError, OSError, ValueError):
        return None
    lang = data.get("lang") if isinstance(data, dict) else None
    return lang if lang in ("en", "zh") else None
