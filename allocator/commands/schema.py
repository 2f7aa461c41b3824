"""`allocator schema`: one JSON Schema per file kind, for editors."""

from __future__ import annotations

import json
from pathlib import Path

from allocator.errors import OutputError
from allocator.inputs.models import MODELS
from allocator.inputs.rule_files import display_path
from allocator.outputs.folders import os_errors


def schema(out: Path) -> int:
    """Write one JSON Schema per file kind (tiering, allocation, scenario) into `out`."""
    what = "cannot write the schemas there"
    if out.exists() and not out.is_dir():
        raise OutputError(f"{display_path(out)}: {what}: it is a file, not a folder")
    with os_errors(display_path(out), what):
        out.mkdir(parents=True, exist_ok=True)
        for kind, model in MODELS.items():
            target = out / f"{kind}.schema.json"
            body = model.model_json_schema()
            body["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            target.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            print(f"wrote {display_path(target)}")
    return 0
