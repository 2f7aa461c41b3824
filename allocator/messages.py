"""User-error messages in Chinese: one catalogue of English templates with named fields, each with
its Chinese template, and the language a command speaks.

A message is matched against the English templates whole; the named fields (file names, rows,
columns, keys and values quoted from files) are carried over as they are and only the sentence
around them is translated. A message no template matches is shown in English, as it was.

pydantic's own messages (in a plan sheet's row, or a rule file's error of an unusual type) are
translated by their error type (message_catalogue.PYDANTIC); a type the catalogue does not list
stays English. Texts that SQLite, git or the operating system give (after "cannot open the run
ledger: ", "unknown git revision", "cannot write the outputs: " and the like) are carried over as
they are: they are another program's words, and the words around them are translated.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from allocator.errors import AllocatorError
from allocator.inputs.rule_files import read_source
from allocator.message_catalogue import FRAGMENTS, MESSAGES, PLACES, PYDANTIC, SUFFIXES

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


# the words of a location before the message: "row 4, column volume", "row 1"
LOCATION = re.compile(r"(?:(?<=^)|(?<=: ))row (?P<row>\d{1,3}(?:,\d{3})*(?!\d)|\d+)(?:, column (?P<column>(?:(?!: ).)+))?(?=: )")
FIELD = re.compile(r"\{(\w+)\}")
# what the messages say of a value instead of quoting it ("expected a mapping, got a list")
VALUE_WORDS = {"a list": "列表", "a mapping": "映射", "an empty list": "空列表", "nothing": "空值"}
_ANY = r"(?:(?!: ).)+?"  # a field: anything but the ": " that ends a location
_NUMBER = r"-?\d{1,3}(?:,\d{3})*(?!\d)|-?\d+"  # a field that is a count, a row, a line, a character or a limit
NUMBERS = frozenset({"n", "m", "row", "line", "size", "limit", "at", "offset", "run", "rival", "quota"})
NAMES = frozenset({"field"})  # a field's name: no spaces (so "no client has {field} {value}" splits one way)
WIDE = frozenset({"setting", "example", "detail", "where"})  # a field that may itself hold ": " (YAML written out)


def _phrases(field: str) -> str:
    """A fragment field's regex: one of its English phrases, their own fields as free text."""
    texts = (re.escape(en).replace(r"\{", "{").replace(r"\}", "}") for en in FRAGMENTS[field])
    return "(?:" + "|".join(FIELD.sub(lambda _: _ANY, t) for t in texts) + ")"


def _pattern(template: str, anchored_start: bool) -> re.Pattern[str]:
    parts, at = [], 0
    for m in FIELD.finditer(template):
        parts.append(re.escape(template[at : m.start()]))
        name = m.group(1)
        kind = _NUMBER if name in NUMBERS else ".+?" if name in WIDE else r"\S+?" if name in NAMES else _ANY
        kind = _phrases(name) if name in FRAGMENTS else kind
        parts.append(f"(?P={name})" if f"(?P<{name}>" in "".join(parts) else f"(?P<{name}>{kind})")
        at = m.end()
    parts.append(re.escape(template[at:]))
    head = r"(?:^|(?<=: ))" if anchored_start else ""
    return re.compile(head + "".join(parts) + "$")


# the template with the most words of its own first ("unknown product key" before "unknown product
# {product}"), then the longest: a message matches the most specific of the templates that fit it
def _pydantic() -> dict[str, str]:
    """pydantic's templates by type, as written and with the first letter lower case (how the rule
    files' messages show a type they have no wording of their own for)."""
    out = {}
    for template, zh in PYDANTIC.values():
        for en in {template.replace("{expected_plural}", ending) for ending in ("", "s")}:  # 1 item, 2 items
            out[en] = out[en[0].lower() + en[1:]] = zh
    return out


Patterns = list[tuple[re.Pattern[str], str]]


@cache
def _messages() -> Patterns:
    """The message templates as regexes, compiled on the first message said in Chinese (some
    hundreds of them: compiling them at import cost every run, English ones too, most of a second)."""
    ordered = sorted({**_pydantic(), **MESSAGES}.items(), key=lambda kv: (-len(FIELD.sub("", kv[0])), -len(kv[0])))
    return [(_pattern(en, True), zh) for en, zh in ordered]


@cache
def _suffixes() -> Patterns:
    return [(_pattern(en, False), zh) for en, zh in SUFFIXES.items()]


def translate_line(line: str) -> str | None:
    """One line of a message in Chinese: its location and key path as written, its sentence (and
    its endings: did you mean, expected one of, more rows) translated; None if no template matches."""
    ends = ""
    while True:
        for pattern, zh in _suffixes():
            found = pattern.search(line)
            if found:
                ends = zh.format(**found.groupdict()) + ends
                line = line[: found.start()]
                break
        else:
            break
    for pattern, zh in _messages():
        found = pattern.search(line)
        if found:
            head = LOCATION.sub(_located, line[: found.start()])
            fields = {k: _fragment(k, VALUE_WORDS.get(v, v)) for k, v in found.groupdict().items()}
            if "where" in fields and fields["where"] is not None:
                fields["where"] = WHERE_ROW.sub(_located, fields["where"])
            if None in fields.values():
                continue  # a phrase inside it is not in the catalogue: try another template
            return head + zh.format(**fields) + ends
    return None


@cache
def _fragments() -> dict[str, Patterns]:
    return {field: [(_pattern(en, False), zh) for en, zh in t.items()] for field, t in FRAGMENTS.items()}


@cache
def _places_patterns() -> Patterns:
    return [
        (re.compile(FIELD.sub(lambda m: f"(?P<{m.group(1)}>.+?)", re.escape(en).replace(r"\{", "{").replace(r"\}", "}"))
                    + "(?:, |$)"), zh)
        for en, zh in PLACES.items()
    ]  # fmt: skip
_IS_HOLDS = re.compile(r"(?:it is (?P<is>.+?))?(?:(?: and |; it |^it )contains (?P<holds>.+))?")
_MORE = re.compile(r" and (?P<n>\d+) more$")  # "a, b, c and 4 more": the files left unnamed


def _places(value: str) -> str | None:
    """'it is A and contains B, C' in Chinese, each place of PLACES (None: a place not in it)."""
    found = _IS_HOLDS.fullmatch(value)
    if not value or found is None:
        return None
    said = []
    for key, joint, head in (("is", " and ", "它是"), ("holds", None, "其中有")):
        text, items = found.group(key), []
        while text:
            for pattern, zh in _places_patterns():
                item = pattern.match(text) if joint is None else pattern.fullmatch(text.split(joint)[0] + ", ")
                if item:
                    fields = {k: _MORE.sub(r"，另有 \g<n> 个", v) for k, v in item.groupdict().items()}
                    items.append(zh.format(**fields))
                    text = text[item.end() :] if joint is None else text[len(text.split(joint)[0]) + len(joint) :]
                    break
            else:
                return None
        if items:
            said.append(head + ("和" if joint else "、").join(items))
    return "；".join(said)


def _fragment(field: str, value: str) -> str | None:
    """A field's value, or its Chinese when the field is a phrase of FRAGMENTS (None: no such phrase)."""
    if field == "places":
        return _places(value) or value  # a place not in PLACES: carried over as written, as a quoted value
    if field not in FRAGMENTS:
        return value
    for pattern, zh in _fragments()[field]:
        found = pattern.fullmatch(value)
        if found:
            return zh.format(**found.groupdict())
    return None


WHERE_ROW = re.compile(r"(?:row|line) (?P<row>\d{1,3}(?:,\d{3})*(?!\d)|\d+)(?:, column (?P<column>[^\s)]+))?")


def _located(m: re.Match[str]) -> str:
    column = m.group("column")
    return f"第 {m.group('row')} 行" + (f"，列 {column}" if column else "")


def translate(text: str, lang: str | None) -> str:
    """A user-error message in `lang`: each line translated in zh (a line no template matches
    stays English); unchanged in en."""
    if lang != "zh":
        return text
    return "\n".join(translate_line(line) or line for line in text.split("\n"))


ARGUMENT = re.compile(r"argument (?P<arg>(?:(?!: ).)+): ")  # argparse's "argument --wait: " before its message


def translate_usage(message: str, lang: str | None) -> str:
    """An error of the command line's parser in `lang`: "argument --x: " as 参数 --x：, the rest
    as the catalogue says; unchanged in en, or when the catalogue has no template for it."""
    if lang != "zh":
        return message
    found = ARGUMENT.match(message)
    head, rest = (f"参数 {found.group('arg')}：", message[found.end() :]) if found else ("", message)
    translated = translate_line(rest)
    return message if translated is None else head + translated


def usage_error(message: str, lang: str | None) -> str:
    """The line the command line prints for a usage error of its parser, in `lang` (the last
    --lang given, None without one); an invalid --lang, whose language is not known, in English
    and then in Chinese."""
    if lang == "zh":
        return f"allocator: 错误：{translate_usage(message, 'zh')}"
    english = f"allocator: error: {message}"
    if lang not in (None, "en") and message.startswith("argument --lang: "):
        return f"{english}\nallocator: 错误：{translate_usage(message, 'zh')}"
    return english
