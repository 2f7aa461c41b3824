"""`allocator explain`: why one client has its tier and its quotas, as text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from allocator.escape import json_text, terminal
from allocator.inputs.scenarios import load_scenario
from allocator.pipeline.run import run
from allocator.review.explain import explain_client
from allocator.review.explain_text import render_explain


def explain(client_id: str, scenario: Path, as_json: bool, variant: str | None = None) -> int:
    """Print why one client has its tier and quotas (text, or JSON with --json), in the base or,
    with `variant`, in that variant of the scenario."""
    data = explain_client(client_id, run(load_scenario(scenario)), variant)
    if as_json:
        text = json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    else:
        text = render_explain(data)
        if variant is not None:  # the first line says which run is explained: say which variant too
            first, rest = text.split("\n", 1)
            text = f"{first} · variant {terminal(data['variant'])}\n{rest}"
    sys.stdout.write(text)
    return 0
