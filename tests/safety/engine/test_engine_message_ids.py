"""Messages posted to durable-rules never collide on the engine's 32-bit message index."""

from __future__ import annotations

from allocator.engine.durable import CHUNK, Rule, all_matches, first_match
from allocator.inputs.conditions import Compare


def _fnv1a_32(text: str) -> int:
    """durable-rules' fnv1Hash32 (src/rules/state.c): FNV-1a over the bytes, 32 bits."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def test_the_ids_of_one_batch_have_distinct_engine_hashes() -> None:
    assert len({_fnv1a_32(str(slot)) for slot in range(CHUNK)}) == CHUNK


def test_two_thousand_clients_that_only_the_catch_all_takes() -> None:
    # Seen before the fix: MessageObservedException on the second batch (--engine exact on the demo)
    rules = [Rule("one", Compare("violations", "gte", 1)), Rule("three", Compare("violations", "gte", 3))]
    facts = [{"violations": 0}] * 2000 + [{"violations": 3}]
    assert all_matches("message-ids", rules, facts) == [[]] * 2000 + [["one", "three"]]
    assert first_match("message-ids", rules, facts) == [None] * 2000 + ["one"]
