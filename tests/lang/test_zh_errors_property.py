"""Property: whatever the files quote, a message of the catalogue is translated with its quoted
values carried over unchanged, after its location as written."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.messages import FIELD, FRAGMENTS, MESSAGES, NAMES, NUMBERS, translate_line

# what a file may quote: ids, names, values, Chinese too; quoted as the messages quote them
QUOTED = st.text(st.sampled_from("abcxyz_-.019 城网三十档()[]"), min_size=1, max_size=12).map(lambda t: f"'{t}'")
NUMBER = st.integers(0, 10**7).map(lambda n: f"{n:,}")
NAME = st.text(st.sampled_from("abxyz_09城网区域"), min_size=1, max_size=10)  # a field's name: no spaces
TEMPLATES = sorted(MESSAGES)


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, str, str]:
    """(English line, its Chinese, the template): a template of the catalogue filled with drawn values."""
    template = draw(st.sampled_from(TEMPLATES))
    en_fields: dict[str, str] = {}
    zh_fields: dict[str, str] = {}
    for name in dict.fromkeys(FIELD.findall(template)):
        if name in FRAGMENTS:
            phrase, zh = draw(st.sampled_from(sorted(FRAGMENTS[name].items())))
            inner = {n: draw(NUMBER if n in NUMBERS else QUOTED) for n in FIELD.findall(phrase)}
            en_fields[name], zh_fields[name] = phrase.format(**inner), zh.format(**inner)
        else:
            kind = NUMBER if name in NUMBERS else NAME if name in NAMES else QUOTED
            en_fields[name] = zh_fields[name] = draw(kind)
    where = draw(st.sampled_from(["rules.yaml:3:7: ladders.城网: ", "clients.csv: ", "locks.csv: row 12, column quota: "]))
    zh_where = where.replace("row 12, column quota", "第 12 行，列 quota")
    return where + template.format(**en_fields), zh_where + MESSAGES[template].format(**zh_fields), template


@settings(max_examples=400, deadline=None)
@given(messages())
def test_a_message_keeps_its_location_and_values_whatever_they_are(message: tuple[str, str, str]) -> None:
    english, chinese, _template = message
    assert translate_line(english) == chinese
