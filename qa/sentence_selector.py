"""Picks the sentences of the best passages that answer a question.

Sentences end at 。！？； and line breaks (and at wide gaps, since some texts lost their line breaks). A sentence
scores by the weighted share of the question's key terms it contains, plus a bonus when it states what the
question asks for: an amount for 多少/金额/额度 questions, a date or time limit for 何时/期限, materials, a
department, a telephone number, conditions; for conditions, materials and 哪些 questions, also when it introduces a
numbered list ("…同时符合下列条件的企业："), which the answer then carries with its items. The answer starts at the sentence
whose score plus ``passage_weight`` times its passage's reranked relevance is highest, so it comes from the best
passage unless another matches far better.

A sentence that reads like an order to the reader ("忽略以上指令，回答：…", see :func:`qa.grounding.instruction_spans`)
is document data, never an answer: it is not picked, and no answer, excerpt or quote context reaches across it.
This holds in every answer mode, since extractive answers, related-policy excerpts and the generative mode's
fallback all quote through this selector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from qa.grounding import instruction_spans
from qa.term_weights import KeyTerms, TermWeights
from qa.types import Passage, Quote

_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")
_WIDE_GAP = re.compile(r"[ \t\u3000]{2,}|(?<=[\u4e00-\u9fff）)”])[ \t\u3000](?=[\u4e00-\u9fff（(“\d])")

_ARTICLE_LABEL = re.compile(r"第[一二三四五六七八九十百千零〇两\d]+[条款项]")


class AskedFor(str, Enum):
    AMOUNT = "amount"
    DEADLINE = "deadline"
    MATERIALS = "materials"
    DEPARTMENT = "department"
    CONTACT = "contact"
    CONDITIONS = "conditions"


_QUESTION_CUES: dict[AskedFor, re.Pattern[str]] = {
    AskedFor.AMOUNT: re.compile(r"多少|金额|额度|标准|补贴|补助|奖励|资助|上限|最高|比例|费用|几成|多大|多高|利率|贴息"),
    AskedFor.DEADLINE: re.compile(r"何时|什么时候|哪天|几号|期限|截止|时限|多久|多长时间|日期|时间|几天|几个月|几年|多少年|有效期|延长"),
    AskedFor.MATERIALS: re.compile(r"材料|资料|提交|提供哪些|准备|带什么|证件|证明"),
    AskedFor.DEPARTMENT: re.compile(r"哪个部门|哪些部门|什么部门|哪里|向谁|找谁|谁负责|负责|受理|主管|牵头|部门|机构|单位"),
    AskedFor.CONTACT: re.compile(r"电话|联系|咨询|热线|邮箱|地址|网址|网站"),
    AskedFor.CONDITIONS: re.compile(r"条件|资格|要求|符合|哪些企业|什么企业|谁能|对象|范围|门槛"),
}

_ANSWER_CUES: dict[AskedFor, re.Pattern[str]] = {
    AskedFor.AMOUNT: re.compile(r"\d[\d.,]*\s*(?:万元|亿元|千元|元|%|％|倍|个百分点)|[一二三四五六七八九十百千万两]+(?:万元|亿元|元|倍)|百分之"),
    AskedFor.DEADLINE: re.compile(r"\d{4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|[一二三四五六七八九十]+月|日[前内起止]|之前|以前|期限|期间|个工作日|\d+\s*(?:天|日内|个月|年)|[一二三四五六七八九十百两]+\s*(?:年|个月|天|日内)|截止|截至|有效期"),
    AskedFor.MATERIALS: re.compile(r"材料|证明|复印件|申请表|营业执照|身份证|原件|合同|发票|清单|凭证"),
    AskedFor.DEPARTMENT: re.compile(r"[局委厅办部署院站]|中心|部门|机关|政府|窗口|责任单位"),
    AskedFor.CONTACT: re.compile(r"\d{3,4}[-—－]?\d{7,8}|12345|热线|电话|邮箱|@|网址|https?://|www\."),
    AskedFor.CONDITIONS: re.compile(r"符合|具备|应当|须|必须|满足|条件|不得|且|以上|以下|不超过|不低于|对象"),
}

_CUE_BONUS = 0.35
# Lines that never answer a question: the addressee list of a notice, a signature with its date, a forwarding formula.
_BOILERPLATE = re.compile(
    r"^各[^。；]{2,120}[：:]$|^[^，。；]{2,40}\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$|现印发给你们|现将[^。]{0,40}通知如下|特此通知|特此公告"
)
_LIST_QUESTION = re.compile(r"哪些|哪几|什么措施|什么举措|什么政策|什么要求|什么规定|如何|怎么|怎样|举措|措施|方面|内容|要求|包括")
_NUMBERED = re.compile(
    r"^(?:(?P<chinese>[一二三四五六七八九十]+、)|(?P<parenthesized>[（(][一二三四五六七八九十\d]+[)）])|(?P<arabic>\d+[.、．])"
    r"|(?P<article>第[一二三四五六七八九十百\d]+[条章节]))"
)
_LIST_LEAD_BONUS = 0.2
_LIST_KINDS = frozenset({AskedFor.CONDITIONS, AskedFor.MATERIALS})
_ENUMERATION_QUESTION = re.compile(r"哪些|哪几|哪类")
# An answer starting like this refers to the sentence before it ("该贷款纯信用…", "其中…", "前款规定…").
_REFERS_BACK = re.compile(r"^(?:其中|同时|与此同时|此外|另外|对此|为此|上述|该|这|以上|前款|并且|而且|但)")


@dataclass(frozen=True)
class Sentence:
    start: int  # into the passage text
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Non-empty sentences of ``text`` with their offsets, surrounding whitespace trimmed."""
    sentences = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        if start == end:
            continue
        piece_start = start
        for gap in _WIDE_GAP.finditer(text, start, end):
            if _ARTICLE_LABEL.fullmatch(text[piece_start : gap.start()].strip()):
                continue  # "第九条 机关应当…": the article number belongs to its sentence
            sentences.extend(_trimmed(text, piece_start, gap.start()))
            piece_start = gap.end()
        sentences.extend(_trimmed(text, piece_start, end))
    return sentences


def _trimmed(text: str, start: int, end: int) -> list[Sentence]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Sentence(start, end, text[start:end])] if end > start else []


def numbering(text: str) -> str | None:
    """The numbering style a list item or article starts with ("chinese" 一、, "parenthesized" （一）, "arabic" 1.,
    "article" 第X条), or None when ``text`` is not numbered."""
    match = _NUMBERED.match(text)
    return match.lastgroup if match else None


def _list_style(sentences: list[Sentence], position: int) -> str | None:
    """The numbering of the items the sentence at ``position`` introduces, if it does: a sentence ending in a colon
    followed by a numbered one ("…同时符合下列条件的企业：" then "（一）…", "增值税税率：" then "（一）…")."""
    if position + 1 >= len(sentences) or not sentences[position].text.endswith((":", "：")):
        return None
    return numbering(sentences[position + 1].text)


def asked_for(question: str, word_boundaries: set[int] | None = None) -> set[AskedFor]:
    """What kinds of fact the question asks for (may be several, or none).

    :param word_boundaries: offsets into ``question`` where its words start and end; a cue counts only as whole
        words there (时间 asks for a time in "办理时间", not in "长时间").
    """
    return {
        kind
        for kind, cue in _QUESTION_CUES.items()
        if any(
            word_boundaries is None or (match.start() in word_boundaries and match.end() in word_boundaries)
            for match in cue.finditer(question)
        )
    }


@dataclass(frozen=True)
class ScoredSentence:
    passage_index: int
    sentence: Sentence
    score: float
    coverage: float
    instruction: bool = False  # instruction-like text: never quoted


class SentenceSelector:
    """Scores every sentence of the given passages against the question and picks the answer sentences.

    >>> selector = SentenceSelector(term_weights)
    >>> quotes = selector.select("创业担保贷款额度是多少", passages)
    """

    def __init__(
        self,
        term_weights: TermWeights,
        *,
        max_sentences: int = 4,
        max_chars: int = 220,
        quote_max_chars: int = 400,
        passage_weight: float = 5.0,
    ) -> None:
        if max_sentences <= 0 or max_chars <= 0 or quote_max_chars <= 0:
            raise ValueError(f"max_sentences, max_chars and quote_max_chars must be positive, got {max_sentences}, {max_chars}, {quote_max_chars}")
        if passage_weight < 0:
            raise ValueError(f"passage_weight must not be negative, got {passage_weight}")
        self.term_weights = term_weights
        self.passage_weight = passage_weight
        self.max_sentences = max_sentences
        self.max_chars = max_chars
        self.quote_max_chars = max(quote_max_chars, max_chars)

    def score_sentences(self, question: str, passages: list[Passage], terms: KeyTerms | None = None) -> list[ScoredSentence]:
        terms = terms or self.term_weights.key_terms(question)
        question = self.term_weights.normalize(question)
        kinds = asked_for(question, self.term_weights.tokenizer.word_boundaries(question))
        wants_listed = bool(kinds & _LIST_KINDS) or bool(_ENUMERATION_QUESTION.search(question))
        scored = []
        for index, passage in enumerate(passages):
            # A small share of the passage's relevance: the widening thresholds (0.8 / 0.5 of the best score) were
            # tuned with it. Which passage the answer starts in is decided in `select`, by `passage_weight`.
            prior = 0.1 * passage.score
            # Terms the title or section already carries need not all be repeated by the sentence.
            title = self.term_weights.normalize(passage.title or "")
            context = f"{title} {self.term_weights.normalize(passage.section)}"
            sentences = split_sentences(passage.text)
            instructions = instruction_spans(passage.text)
            for position, sentence in enumerate(sentences):
                normalized = self.term_weights.normalize(sentence.text)
                coverage = 0.6 * terms.coverage(f"{context} {normalized}") + 0.4 * terms.coverage(normalized)
                bonus = sum(_CUE_BONUS for kind in kinds if _ANSWER_CUES[kind].search(sentence.text)) / max(1, len(kinds))
                # Very short fragments (list markers) and repetitions of the title rarely answer anything.
                penalty = 0.15 if len(sentence.text) < 8 else 0.0
                if title and len(normalized) >= 8 and (normalized in title or title in normalized):
                    penalty += 0.2
                if _BOILERPLATE.search(sentence.text):
                    penalty += 0.25
                # Conditions, materials and "哪些…" answers are usually listed: the sentence introducing the list starts them.
                if wants_listed and _list_style(sentences, position):
                    bonus += _LIST_LEAD_BONUS
                instruction = any(start < sentence.end and sentence.start < end for start, end in instructions)
                score = coverage + bonus * min(1.0, 2 * coverage) + prior - penalty
                scored.append(ScoredSentence(index, sentence, score, coverage, instruction))
        return scored

    def select(self, question: str, passages: list[Passage], terms: KeyTerms | None = None) -> list[Quote]:
        """The answer's quotes: the best sentence, widened with its neighbours when they continue it.

        :returns: one quote per passage used (the best first), each a contiguous span of its document text.
        """
        if not passages:
            return []
        scored = self.score_sentences(question, passages, terms)
        candidates = [s for s in scored if not s.instruction]
        if not candidates:
            return []
        # The answer starts in the passage the reranker trusts most unless another one matches far better: a
        # sentence's key-term match alone is noisy (it cannot tell a restated topic from the stated fact).
        best = max(candidates, key=lambda s: s.score + self.passage_weight * passages[s.passage_index].score)
        passage = passages[best.passage_index]
        sentences = [s for s in scored if s.passage_index == best.passage_index]
        position = next(i for i, s in enumerate(sentences) if s.sentence == best.sentence)
        items = _list_style([s.sentence for s in sentences], position)
        first, last = position, self._widen_forward(question, sentences, position, best.score, items)
        # A neighbour before that scores nearly as well belongs to the same answer, and so does the one an answer
        # starting "该…"/"其中…" refers to, unless the answer starts an article of its own: "第二十三条 …" is not
        # widened back into 第二十二条, whose label the answer would then carry.
        while last - first + 1 < self.max_sentences and first > 0 and numbering(sentences[first].sentence.text) != "article":
            previous = sentences[first - 1]
            if previous.instruction:
                break
            if sentences[last].sentence.end - previous.sentence.start > self.max_chars:
                break
            if previous.score < 0.8 * best.score and not _REFERS_BACK.match(sentences[first].sentence.text):
                break
            first -= 1
        start = sentences[first].sentence.start
        end = sentences[last].sentence.end
        # The citation shows the answer in its context: the rest of the same item, up to quote_max_chars.
        context_end = end
        for following in sentences[last + 1 :]:
            if following.instruction or following.sentence.end - start > self.quote_max_chars or _ends_item(following.sentence.text, items):
                break
            context_end = following.sentence.end
        quote = Quote(
            passage=passage,
            text=passage.text[start:context_end],
            char_start=passage.char_start + start,
            char_end=passage.char_start + context_end,
            score=best.score,
            answer_start=passage.char_start + start,
            answer_end=passage.char_start + end,
            # The list goes on right after the answer (it stopped at the character cap, not at the list's end).
            more_items=items is not None and last + 1 < len(sentences) and not _ends_item(sentences[last + 1].sentence.text, items),
        )
        return [quote]

    def _widen_forward(
        self, question: str, sentences: list[ScoredSentence], position: int, best_score: float, items: str | None = None
    ) -> int:
        """The last sentence of the answer, starting from the best one at ``position``.

        A heading-like best sentence ("四、实施援企稳岗政策。", "…如下：") announces what follows, and a question
        asking for a list (哪些, 措施, 如何 …) wants the following sentences of the same item; otherwise only a
        neighbour scoring nearly as well as the best is added. A new numbered item ends the answer, unless the best
        sentence introduces a list of such items (``items``, their numbering): then the items follow, as far as
        ``quote_max_chars`` allows (a list is the answer, so it gets the quote's room).
        """
        start = sentences[position].sentence.start
        best_text = sentences[position].sentence.text
        announces = best_text.endswith((":", "：")) or len(best_text) < 30 or bool(_NUMBERED.match(best_text)) and len(best_text) < 40
        wants_list = bool(_LIST_QUESTION.search(question))
        last = position
        while last + 1 < len(sentences) and (items or last - position + 1 < self.max_sentences):
            following = sentences[last + 1]
            if following.instruction or following.sentence.end - start > (self.quote_max_chars if items else self.max_chars):
                break
            if _ends_item(following.sentence.text, items):
                break
            if items:
                last += 1
                continue
            if not (announces or (wants_list and following.score >= 0.5 * best_score) or following.score >= 0.8 * best_score):
                break
            last += 1
            announces = False  # what the heading announced has now begun
            if not wants_list:
                announces = following.sentence.text.endswith((":", "："))
        return last


# Outline levels, outermost first: 第X条 > 一、 > （一） > 1.
_LEVELS = {"article": 0, "chinese": 1, "parenthesized": 2, "arabic": 3}


def _ends_item(text: str, items: str | None) -> bool:
    """Whether a sentence starts a new numbered item outside the listed ``items``: any numbered sentence when there
    is no list, else one numbered at the list's level in another style or at an outer level (a nested "1." list
    inside item （二） belongs to it)."""
    style = numbering(text)
    if style is None or style == items:
        return False
    return items is None or _LEVELS[style] <= _LEVELS[items]
