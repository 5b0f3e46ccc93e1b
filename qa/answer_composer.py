"""The extractive answer generator: the sentences that answer the question, introduced by their source.

    根据《广州市创业担保贷款实施办法》（穗人社规字〔2020〕1号）第十二条：……

No language model: the answer body is verbatim text of the cited passage, so it cannot state an amount, date or
condition the passage does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from qa.sentence_selector import SentenceSelector, numbering
from qa.types import AnswerDraft, AnswerMode, Passage, Quote

_ARTICLE = re.compile(r"第[一二三四五六七八九十百千零〇两\d]+条")
_SPACES = re.compile(r"\s+")
# Shown after a list answer that had to stop before the list's end: a partial list of conditions must not look whole.
MORE_ITEMS = "……（条目较多，以上为前几项，其余请查看原文）"
_STREAM_PIECE = re.compile(r".+?(?:[，,、：:；;。！？!?]+|$)", re.S)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPIDEMIC = re.compile(r"疫情|肺炎|新冠|防疫|抗疫")


def source_name(passage: Passage) -> str:
    """《标题》（文号） — the title falls back to the file name."""
    title = passage.title or passage.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    number = f"（{passage.doc_number}）" if passage.doc_number else ""
    return f"《{title}》{number}"


def section_label(passage: Passage, quote_text: str = "") -> str:
    """Where in the document: 第X条 when the quote sits in an article, else the innermost short heading."""
    article = _ARTICLE.match(quote_text.strip())
    if article:
        return article.group(0)
    headings = [part.strip() for part in passage.section.split(">") if part.strip()]
    for heading in reversed(headings):
        found = _ARTICLE.match(heading)
        if found:
            return found.group(0)
    if headings and len(headings[-1]) <= 24:
        return f"“{headings[-1]}”部分"
    return ""


def cited_source(passage: Passage) -> str:
    """《标题》（文号，发文机关或地区，发布日期） — when and where the cited policy applies, in one bracket."""
    title = passage.title or passage.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    details = [d for d in (passage.doc_number, passage.issuer or passage.region, chinese_date(passage.date)) if d]
    return f"《{title}》" + (f"（{'，'.join(details)}）" if details else "")


def validity_note(passage: Passage) -> str:
    """How the cited policy stands today, said in the answer itself: 「2020年疫情期间措施，已于2020年6月30日到期」."""
    ended = chinese_date(passage.expiry_date)
    if passage.status == "已失效":
        if ended and _EPIDEMIC.search(passage.title or "") and passage.date:
            return f"（{passage.date[:4]}年疫情期间措施，已于{ended}到期）"
        return f"（该政策已于{ended}到期，仅供参考）" if ended else "（该政策已失效，仅供参考）"
    if passage.status == "时效不确定":
        return "（阶段性措施，截止时间未定，请向发文机关确认是否仍在执行）"
    if passage.status == "已被修订":
        return "（该版本已被修订，请以现行版本为准）"
    if passage.status == "尚未施行":
        return "（该政策尚未施行）"
    return f"（有效期至{ended}）" if ended else ""


def expiry_notice(passage: Passage) -> str:
    """Said before an answer taken from a policy no longer in force (the question named it)."""
    if passage.status == "已被修订":
        return "该版本已被修订，以下为修订前的规定，仅供参考，请以现行版本为准"
    ended = chinese_date(passage.expiry_date)
    when = f"已于{ended}失效" if ended else "已失效"
    return f"该政策{when}，以下为其失效前的规定，仅供参考，不能作为现行依据"


def chinese_date(iso: str | None) -> str:
    """2020-06-30 → 2020年6月30日 ("" for none)."""
    if not iso or not _ISO_DATE.fullmatch(iso):
        return ""
    year, month, day = iso.split("-")
    return f"{year}年{int(month)}月{int(day)}日"


def attribution(quote: Quote) -> str:
    passage = quote.passage
    # An interpretation or a news report explains a policy; it is named as such, never as the policy itself.
    kind = f"（{passage.kind}，非政策原文）" if passage.kind != "政策文件" else ""
    return f"根据{cited_source(passage)}{section_label(passage, quote.answer_text)}{kind}{validity_note(passage)}："


def quote_for_display(text: str) -> str:
    """The text on one line, whitespace collapsed, except that a list item ("（二）…", "2.…") that starts a line in
    the text starts one here too: a list answer reads one item per line."""
    shown: list[str] = []
    for line in filter(None, (_SPACES.sub(" ", line).strip() for line in text.split("\n"))):
        if shown and numbering(line) in (None, "article"):
            shown[-1] += f" {line}"
        else:
            shown.append(line)
    return "\n".join(shown)


class ExtractiveAnswerGenerator:
    """Deterministic answers made of the selected sentences (see :class:`qa.sentence_selector.SentenceSelector`).

    >>> generator = ExtractiveAnswerGenerator(selector)
    >>> generator.compose("创业担保贷款额度是多少", passages).text
    '根据《…》第十条：个人创业担保贷款最高额度为30万元。'
    """

    mode = AnswerMode.EXTRACTIVE

    def __init__(self, selector: SentenceSelector) -> None:
        self.selector = selector

    def compose(self, question: str, passages: list[Passage]) -> AnswerDraft:
        if not passages:
            return AnswerDraft("", [])
        quotes = self.selector.select(question, passages)
        if not quotes:
            return AnswerDraft("", [])
        main = quotes[0]
        body = quote_for_display(main.answer_text)
        label = _ARTICLE.match(body)
        if label and label.group(0) == section_label(main.passage, main.answer_text):
            body = body[label.end() :].lstrip()  # "第九条：机关……", not "第九条：第九条 机关……"
        if main.more_items:
            body += f"\n{MORE_ITEMS}"
        return AnswerDraft(attribution(main) + body, quotes)

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """The composed answer in clause-sized pieces (extractive answers are ready at once)."""
        text = self.compose(question, passages).text
        yield from split_for_stream(text)


def split_for_stream(text: str) -> list[str]:
    """Clause-sized pieces whose concatenation is ``text``."""
    return [match.group(0) for match in _STREAM_PIECE.finditer(text) if match.group(0)]
