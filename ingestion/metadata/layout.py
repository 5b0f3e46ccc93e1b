"""Where values are read: spans of the text, the values found at them, and the text's first lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingestion.metadata.patterns import STRIP, WS


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Found:
    """A value and where it was read; ``span`` is None when the value is not a span of the text."""

    value: object
    span: Span | None = None


def span_of(text: str, value: str, start: int, end: int) -> Span | None:
    """Where ``value`` first occurs in ``text[start:end]``, or None."""
    at = text.find(value, start, end)
    return Span(at, at + len(value)) if at >= 0 and value else None


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str


def split_lines(text: str, limit: int, *, flat: bool) -> list[Line]:
    """Non-empty stripped lines of ``text[:limit]``; for single-line texts, the whitespace-separated segments."""
    pattern = rf"[^{WS}]+" if flat else r"[^\n]+"
    lines = []
    for m in re.finditer(pattern, text[:limit]):
        raw = m.group()
        lead = len(raw) - len(raw.lstrip(STRIP))
        body = raw.strip(STRIP)
        if body:
            lines.append(Line(m.start() + lead, m.start() + lead + len(body), body))
    return lines
