"""The batch log carries no raw control or reordering characters from input files."""

from __future__ import annotations

import json

from allocator.outputs.joblog import log_line


def test_a_log_line_escapes_del_c1_and_bidi_and_decodes_to_the_same_text() -> None:
    # Seen before: the raw \x7f, \x9b and \u202e were written to stdout
    name = "shop\x7f\x9b[2J\u202eevil"
    line = log_line("loaded", scenario=name)
    assert line.endswith('"step": "loaded", "scenario": "shop\\u007f\\u009b[2J\\u202eevil"}\n')
    assert json.loads(line)["scenario"] == name
