"""Fuzz the three file kinds (tiering, allocation, scenario) through `validate` and `run`.

Pure noise (random bytes, random YAML structures) and mutations of the real files in rules/,
scenarios/ and the tiny CLI fixture. Every example must keep the harness's safety contract.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import (
    FUZZ_SETTINGS,
    assert_nothing_written_outside,
    assert_safe,
    budget,
    invoke,
    template,
    tree,
    workspace,
)
from tests.fuzz.hostile import ENCODINGS, dump, encode, mutated, text_mutated, yaml_structures

# Each real file, its kind and the scenario that reads it.
FILES: dict[str, tuple[str, str]] = {
    "rules/tiering.yaml": ("tiering", "scenarios/demo.yaml"),
    "rules/allocation.yaml": ("allocation", "scenarios/demo.yaml"),
    "rules/online-retail-tiering.yaml": ("tiering", "scenarios/online-retail.yaml"),
    "rules/online-retail-allocation.yaml": ("allocation", "scenarios/online-retail.yaml"),
    "rules/tobacco-30-tiering.yaml": ("tiering", "scenarios/tobacco-30.yaml"),
    "rules/tobacco-30-allocation.yaml": ("allocation", "scenarios/tobacco-30.yaml"),
    "scenarios/demo.yaml": ("scenario", "scenarios/demo.yaml"),
    "scenarios/online-retail.yaml": ("scenario", "scenarios/online-retail.yaml"),
    "scenarios/tobacco-30.yaml": ("scenario", "scenarios/tobacco-30.yaml"),
    "tiny/tiering.yaml": ("tiering", "tiny/scenario.yaml"),
    "tiny/allocation.yaml": ("allocation", "tiny/scenario.yaml"),
    "tiny/scenario.yaml": ("scenario", "tiny/scenario.yaml"),
}
TINY_OF_KIND = {"tiering": "tiny/tiering.yaml", "allocation": "tiny/allocation.yaml", "scenario": "tiny/scenario.yaml"}
# tobacco-30's tier-amount plans are only validated here: a run takes seconds even on its full snapshot.
RUNNABLE = {"scenarios/demo.yaml", "scenarios/online-retail.yaml", "tiny/scenario.yaml"}


def _original(rel: str) -> str:
    return (template() / rel).read_text(encoding="utf-8")


def check_file(rel: str, content: bytes) -> None:
    """Write `content` as the workspace's `rel`, validate it and its scenario, and run that when it validates."""
    _, scenario = FILES[rel]
    with workspace() as ws:
        (ws / rel).write_bytes(content)
        before = tree(ws)
        for argv in (["validate", rel], ["validate", scenario]):
            outcome = invoke(argv, ws)
            assert_safe(outcome)
            assert_nothing_written_outside(before, tree(ws), None)
        if outcome.code == 0 and scenario in RUNNABLE:
            outcome = invoke(["run", scenario, "--out", "out"], ws)
            assert_safe(outcome)
            assert_nothing_written_outside(before, tree(ws), "out")
            if outcome.code == 0:
                assert (ws / "out" / "manifest.json").is_file(), str(outcome)
            else:
                assert not (ws / "out").exists(), str(outcome)


@pytest.mark.parametrize("kind", ["tiering", "allocation", "scenario"])
@settings(max_examples=budget(60), **FUZZ_SETTINGS)
@given(content=st.binary(max_size=3000))
def test_random_bytes(kind: str, content: bytes) -> None:
    check_file(TINY_OF_KIND[kind], content)


@pytest.mark.parametrize("kind", ["tiering", "allocation", "scenario"])
@settings(max_examples=budget(80), **FUZZ_SETTINGS)
@given(body=yaml_structures, header=st.booleans())
def test_random_yaml_structures(kind: str, body: Any, header: bool) -> None:
    if header:  # past the kind check, into the models
        body = {"kind": kind, "version": 1, **body} if isinstance(body, dict) else {"kind": kind, "version": 1, "x": body}
    check_file(TINY_OF_KIND[kind], dump(body).encode("utf-8"))


@settings(max_examples=budget(400), **FUZZ_SETTINGS)
@given(data=st.data(), rel=st.sampled_from(sorted(FILES)))
def test_structural_mutations_of_the_real_files(data: st.DataObject, rel: str) -> None:
    document = yaml.safe_load(_original(rel))
    text = dump(data.draw(mutated(document), label="document"))
    encoding = data.draw(st.sampled_from(["utf-8"] * 6 + ENCODINGS), label="encoding")
    check_file(rel, encode(text, encoding))


@settings(max_examples=budget(200), **FUZZ_SETTINGS)
@given(data=st.data(), rel=st.sampled_from(sorted(FILES)))
def test_text_mutations_of_the_real_files(data: st.DataObject, rel: str) -> None:
    text = data.draw(text_mutated(_original(rel)), label="text")
    check_file(rel, text.encode("utf-8", errors="surrogatepass"))


POLICY_LIST = b"kind: allocation\nversion: 1\nproducts:\n  - id: p1\n    supply: 8\n    order_column: order_p1\n    policy: [per_tier]\n    per_client: {A: 3, B: 2, C: 1}\n"
POLICY_MAP = POLICY_LIST.replace(b"[per_tier]", b"{per_tier: 1}")


@settings(**{**FUZZ_SETTINGS, "phases": [Phase.explicit]})
@given(rel=st.sampled_from(sorted(FILES)), content=st.binary())
# validate tiny/scenario.yaml was exit 3, TypeError: unhashable type: 'list' in
# allocation_rules._check_policy_keys (found mutating rules/tobacco-30-allocation.yaml).
@example(rel="tiny/allocation.yaml", content=POLICY_LIST)
@example(rel="tiny/allocation.yaml", content=POLICY_MAP)
def test_pinned_rule_files(rel: str, content: bytes) -> None:
    """Every rule-file failure the fuzz found, as a regression test (explicit examples only)."""
    check_file(rel, content)


def test_the_real_files_run_cleanly() -> None:
    """The harness itself: unmutated, every runnable scenario validates and runs with exit 0."""
    for scenario in sorted(RUNNABLE):
        with workspace() as ws:
            assert invoke(["validate", scenario], ws).code == 0
            outcome = invoke(["run", scenario, "--out", "out"], ws)
            assert outcome.code == 0, str(outcome)
            assert (ws / "out" / "manifest.json").is_file()
