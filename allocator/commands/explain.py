"""`allocator explain`: why one client has its tier and its quotas, as text or JSON.

The text speaks `lang` (the command line's --lang, else the scenario's `lang`); the JSON keeps its
English keys and values (the `explanation` sentence included) in every language: it is for programs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from allocator.escape import json_text, terminal
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import NOTHING_GIVEN, Given, load_scenario
from allocator.labels import phrase
from allocator.outputs.ledger_cycle import cycle_issued
from allocator.outputs.ledger_schema import read_only
from allocator.pipeline.run import run
from allocator.review.explain import explain_client
from allocator.review.explain_text import render_explain


def explain(
    client_id: str,
    scenario: Path,
    as_json: bool,
    variant: str | None = None,
    ledger: Path | None = None,
    given: Given = NOTHING_GIVEN,
    lang: str | None = None,
) -> int:
    """Print why one client has its tier and quotas (text, or JSON with --json), in the base or,
    with `variant`, in that variant of the scenario. In a cycle, `ledger` gives the rounds already
    approved (read-only), from which this round's supply and rotation follow. `lang` (None: the
    scenario's `lang`) is the language of the text; the command line turns the error messages."""
    loaded = load_scenario(scenario, **given._asdict())
    lang = lang or loaded.spec.lang
    issued = None
    if ledger is not None and loaded.spec.cycle is not None:
        with read_only(ledger) as conn:
            issued = cycle_issued(conn, display_path(scenario), loaded.spec.cycle.id)
    data = explain_client(client_id, run(loaded, issued=issued), variant)
    if as_json:
        text = json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    else:
        text = render_explain(data, lang)
        if variant is not None:  # the first line says which run is explained: say which variant too
            first, rest = text.split("\n", 1)
            text = first + phrase(" · variant {variant}", lang, variant=terminal(data["variant"])) + f"\n{rest}"
    sys.stdout.write(text)
    return 0
