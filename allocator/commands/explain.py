"""`allocator explain`: why one client has its tier and its quotas, as text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from allocator.escape import json_text
from allocator.inputs.scenarios import load_scenario
from allocator.pipeline.run import run
from allocator.review.explain import explain_client
from allocator.review.explain_text import render_explain


def explain(client_id: str, scenario: Path, as_json: bool) -> int:
    """Print why one client has its tier and quotas (text, or JSON with --json)."""
    data = explain_client(client_id, run(load_scenario(scenario)))
    text = json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n" if as_json else render_explain(data)
    sys.stdout.write(text)
    return 0
