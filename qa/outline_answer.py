"""Overview answers from a document's structure: 「这个条例主要管哪些事」 is answered by its purpose article and its
chapters (or a notice's top-level parts), one line each, every line cited — not by the one passage that happens to
rank first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index.types import PolicyStore
from qa.answer_composer import source_name
from qa.question_intent import Intent, question_intent
from qa.types import AnswerDraft, Passage, Quote

# Headings start a line (Markdown texts mark them with #); the span is the heading itself.
_CHAPTER = re.compile(r"^[ \t\u3000#]*(?P<h>第[一二三四五六七八九十百零〇]+章[ \t\u3000]*[^\n]{1,40}?)[ \t\u3000]*$", re.M)
_PART = re.compile(r"^[ \t\u3000#]*(?P<h>[一二三四五六七八九十]+、[ \t\u3000]*[^\n。；;：:]{2,40})", re.M)
_PURPOSE = re.compile(r"(?:第一条[ \t\u3000]*)?为了?[^。\n]{2,200}?(?:制定|特制定|制订)本[^。\n]{0,8}。")
# A list question about a document's parts rather than about the items of one measure.
_PARTS_QUESTION = re.compile(r"哪几大?块|几大块|几大部分|哪几部分|几部分|哪些方面|哪几个方面|几章|哪几章|主要(有|包括|包含)哪些")
_MIN_PARTS = 2
_MAX_PARTS = 12


@dataclass(frozen=True)
class _Span:
    text: str
    start: int
    end: int


def document_outline(text: str) -> list[_Span]:
    """The chapter headings (第X章 …) of ``text``, else its top-level parts (一、…), as exact spans; [] when it has
    fewer than two."""
    chapters = [_Span(m.group("h"), *m.span("h")) for m in _CHAPTER.finditer(text)]
    if len(chapters) >= _MIN_PARTS:
        return _first_run(chapters)
    parts = [_Span(m.group("h"), *m.span("h")) for m in _PART.finditer(text)]
    return _first_run(parts) if len(parts) >= _MIN_PARTS else []


def _first_run(spans: list[_Span]) -> list[_Span]:
    """Headings once each, in order: a table of contents repeats the chapters before the body does."""
    seen: set[str] = set()
    unique = []
    for span in spans:
        if span.text in seen:
            continue
        seen.add(span.text)
        unique.append(span)
    return unique


def asks_for_outline(question: str) -> bool:
    return question_intent(question) is Intent.OVERVIEW or bool(_PARTS_QUESTION.search(question))


class OutlineAnswers:
    """Composes the overview answer for the best document of an overview question (None when it has no structure).

    >>> OutlineAnswers(store).compose("电子商务法主要有哪些方面的规定？", passages).text
    '《中华人民共和国电子商务法》的主要内容：\\n立法目的（第一条）：为了保障电子商务各方主体的合法权益……\\n共七章：\\n第一章 总则\\n…'
    """

    def __init__(self, store: PolicyStore) -> None:
        self.store = store

    def compose(self, question: str, passages: list[Passage]) -> AnswerDraft | None:
        if not passages or not asks_for_outline(question):
            return None
        best = passages[0]
        document = self.store.get_document(best.doc_id)
        if document is None:
            return None
        outline = document_outline(document.text)
        purpose = _PURPOSE.search(document.text[:3000])
        if not outline and purpose is None:
            return None
        quotes: list[Quote] = []
        lines = [f"{source_name(best)}的主要内容："]
        if purpose is not None:
            sentence = _Span(purpose.group(0), *purpose.span())
            quotes.append(_quote(best, sentence, "第一条" if sentence.text.startswith("第一条") else ""))
            lines.append(f"目的：{sentence.text.removeprefix('第一条').strip()}")
        if outline:
            shown = outline[:_MAX_PARTS]
            unit = "章" if shown[0].text.startswith("第") else "个部分"
            # Counts in Chinese numerals: they are the answer's own, not figures a quote must state.
            more = f"（以下列出前{_chinese(len(shown))}项）" if len(outline) > len(shown) else ""
            lines.append(f"共{_chinese(len(outline))}{unit}{more}：")
            lines.extend(span.text for span in shown)
            quotes.extend(_quote(best, span, span.text) for span in shown)
        return AnswerDraft("\n".join(lines), quotes)


def _chinese(number: int) -> str:
    """1–99 in Chinese numerals (十二, 二十, 三十五)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    return (f"{digits[tens] if tens > 1 else ''}十" if tens else "") + (digits[ones] if ones or not tens else "")


def _quote(passage: Passage, span: _Span, section: str) -> Quote:
    """A quote of ``span`` of the document, carried by a passage narrowed to it (citations point at that line)."""
    narrowed = replace(passage, text=span.text, char_start=span.start, char_end=span.end, section=section)
    return Quote(passage=narrowed, text=span.text, char_start=span.start, char_end=span.end, score=passage.score)
