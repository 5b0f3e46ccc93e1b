"""The last guard before an answer is shown: every quote is real text, every stated fact is in a quote.

A "fact" is any figure the answer states: an amount, a percentage, a date, a count or a time limit (anything
with a digit or a Chinese numeral followed by a unit). Figures in the attribution (文号, 第X条) come from the
document's metadata and are not checked; figures of a cited document's title, 文号 and section count as supported,
and citation markers ``[n]`` of generated answers are not figures. Whatever the answer mode, a draft that fails is
not shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qa.types import AnswerDraft

_FIGURE = re.compile(
    r"\d+(?:[.,]\d+)*\s*(?:万元|亿元|千元|元|%|％|倍|个百分点|年|月|日|天|个工作日|个月|小时|人|家|户|万|亿)?"
    r"|[零〇一二三四五六七八九十百千万两]+(?:万元|亿元|元|倍|个工作日|个月|年|月|日|天|小时)"
)
_ATTRIBUTION = re.compile(r"^根据《[^》]*》(?:（[^）]*）)?[^：]{0,80}：")  # section and validity note
_SPACES = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class CitationReport:
    ok: bool
    unsupported: tuple[str, ...] = ()  # figures stated in the answer but found in no quote
    bad_quotes: tuple[str, ...] = ()  # quotes that are not the text at their offsets


def _squash(text: str) -> str:
    return _SPACES.sub("", text)


def stated_figures(text: str) -> list[str]:
    """The figures ``text`` states (amounts, percentages, dates, counts, time limits); ``[n]`` markers are not figures."""
    return [match.group(0) for match in _FIGURE.finditer(_MARKER.sub("", text))]


def unsupported_figures(text: str, evidence: Iterable[str]) -> list[str]:
    """The figures ``text`` states that none of the ``evidence`` texts contains (whitespace ignored)."""
    joined = "\n".join(_squash(part) for part in evidence)
    return [figure for figure in stated_figures(text) if _squash(figure) not in joined]


class CitationChecker:
    """Checks a draft against its quotes.

    >>> CitationChecker().check(draft).ok
    True
    """

    def check(self, draft: AnswerDraft) -> CitationReport:
        bad_quotes = []
        for quote in draft.quotes:
            passage = quote.passage
            offset = quote.char_start - passage.char_start
            if passage.text[offset : offset + (quote.char_end - quote.char_start)] != quote.text:
                bad_quotes.append(quote.text)
        evidence = [quote.text for quote in draft.quotes]
        evidence += [
            part for quote in draft.quotes for part in (quote.passage.title, quote.passage.doc_number, quote.passage.section) if part
        ]
        body = _ATTRIBUTION.sub("", draft.text, count=1)
        unsupported = unsupported_figures(body, evidence)
        return CitationReport(not unsupported and not bad_quotes, tuple(unsupported), tuple(bad_quotes))
