"""Citations on Elasticsearch: the sentence of a chunk that matched a query best, from Elasticsearch's highlighter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")
_PRE_TAG, _POST_TAG = "\u0001", "\u0002"
_MARKED = re.compile(f"{_PRE_TAG}([^{_POST_TAG}]+){_POST_TAG}")

# The ``highlight`` part of a search request whose matches :func:`marked_terms` reads back.
HIGHLIGHT_REQUEST: dict[str, Any] = {
    "fields": {"body_tokens": {"number_of_fragments": 0}}, "pre_tags": [_PRE_TAG], "post_tags": [_POST_TAG],
}


@dataclass(frozen=True)
class PassageHighlight:
    """The sentence of a chunk that matched a query best, in document coordinates, for a citation."""

    chunk_id: str
    matched_terms: tuple[str, ...]
    char_start: int
    char_end: int
    text: str


def marked_terms(hit: dict[str, Any]) -> tuple[str, ...]:
    """The distinct tokens Elasticsearch marked in a hit searched with :data:`HIGHLIGHT_REQUEST`, in order."""
    marked = " ".join((hit.get("highlight") or {}).get("body_tokens") or [])
    return tuple(dict.fromkeys(_MARKED.findall(marked)))


def best_sentence(source: dict[str, Any], terms: tuple[str, ...]) -> PassageHighlight:
    """The sentence of the chunk ``source`` where ``terms`` cover the most characters (the whole chunk if none)."""
    text: str = source["text"]
    best = (0, 0, len(text))
    offset = 0
    for sentence in _SENTENCE_END.split(text):
        lowered = sentence.lower()
        matched = sum(lowered.count(term) * len(term) for term in terms)
        if matched > best[0]:
            best = (matched, offset, offset + len(sentence))
        offset += len(sentence)
    _, start, end = best
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    base = int(source["char_start"])
    return PassageHighlight(source["chunk_id"], terms, base + start, base + end, text[start:end])
