"""Data shapes of the question-answering pipeline: passages, drafts, citations, answers, and the generator protocol.

An :class:`AnswerGenerator` turns ranked passages into an :class:`AnswerDraft` (answer text plus the exact spans it
rests on). The extractive generator is the default; a generative (LLM) one plugs in behind the same protocol and
is chosen in ``policykb.assembly`` by the ``answer_mode`` setting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from policy.labels import LabelledEnum


class AnswerMode(LabelledEnum, unknown="未知的答复方式“{value}”"):
    EXTRACTIVE = "extractive"
    GENERATIVE = "generative"


class RefusalReason(str, Enum):
    NOT_IN_LIBRARY = "not_in_library"  # nothing relevant enough was found
    ONLY_EXPIRED = "only_expired"  # the only relevant policies are no longer in force
    FACT_NOT_STATED = "fact_not_stated"  # the policy was found but states no value of the kind asked for


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its document's metadata and the relevance the reranker gave it."""

    chunk_id: str
    doc_id: str
    title: str | None
    path: str
    section: str
    text: str
    char_start: int  # into the document text
    char_end: int
    doc_number: str | None
    issuer: str | None
    status: str  # 现行有效 / 尚未施行 / 已失效 / 时效不确定 / 已被修订
    score: float  # relevance in [0, 1] from the reranker
    retrieval_score: float  # fused retrieval score
    coverage: float  # weighted share of the question's key terms found in the passage (with its title/section)
    dense: float  # cosine similarity of the question to the passage (0 when the dense retriever did not see it)
    region: str | None = None  # where the policy applies (the document's region)
    date: str | None = None  # ISO publish (else written) date
    expiry_date: str | None = None  # ISO date the policy ends, when stated
    kind: str = "政策文件"  # 政策文件 / 政策解读 / 新闻报道: only a 政策文件 is the policy itself

    @property
    def expired(self) -> bool:
        """No longer a current basis for an answer: ended, or replaced by a newer version of the same law."""
        return self.status in ("已失效", "已被修订")

    def __deepcopy__(self, memo: dict[int, Any]) -> Passage:
        # Immutable, so a copy can be the passage itself; the pipeline deep-copies every list of passages it
        # hands a component (index.retrieval.Ranking says what that costs).
        return self


@dataclass(frozen=True)
class Quote:
    """A span of one passage's document that an answer rests on: ``document.text[char_start:char_end] == text``.

    ``answer_start``/``answer_end`` (document offsets, inside the quote) mark the sentences the answer states;
    the rest of the quote is their immediate context (the remainder of the same item), shown with the citation.
    """

    passage: Passage
    text: str
    char_start: int
    char_end: int
    score: float
    answer_start: int = -1
    answer_end: int = -1
    more_items: bool = False  # the answer stops inside a numbered list whose items go on after the quote

    @property
    def answer_text(self) -> str:
        if self.answer_start < 0:
            return self.text
        return self.text[self.answer_start - self.char_start : self.answer_end - self.char_start]


@dataclass(frozen=True)
class AnswerDraft:
    """What a generator produced: the answer text and the quotes it is built from (first = main source).

    ``notice`` tells the reader how the answer was made when that is not the configured way (e.g. the model was
    unavailable and the answer is extractive instead); empty otherwise.
    """

    text: str
    quotes: list[Quote]
    notice: str = ""


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str | None
    doc_number: str | None
    issuer: str | None
    section: str
    quote: str
    char_start: int
    char_end: int
    score: float
    status: str
    path: str


@dataclass(frozen=True)
class RelatedPolicy:
    """A policy near the question that is not cited: offered with a refusal, or next to an answer.

    ``excerpt`` is the policy's text nearest to the question, verbatim (``document.text[char_start:char_end]``,
    whitespace collapsed): shown for reference, never as an answer — it did not pass the relevance gate.
    """

    doc_id: str
    title: str | None
    doc_number: str | None
    issuer: str | None
    status: str
    section: str
    score: float
    excerpt: str = ""
    excerpt_section: str = ""  # where the excerpt stands: 第X条, or the heading it sits under
    char_start: int | None = None
    char_end: int | None = None


@dataclass
class Answer:
    """The pipeline's reply to one question (the JSON of ``POST /api/ask``)."""

    question: str
    answer: str
    citations: list[Citation]
    refused: bool
    conversation_id: str
    related: list[RelatedPolicy] = field(default_factory=list)
    refusal_reason: str | None = None
    search_query: str = ""  # the query actually searched (after normalisation and follow-up rewriting)
    relevance: float = 0.0  # relevance (0–1) of the best usable passage; refused below the refusal threshold
    mode: str = AnswerMode.EXTRACTIVE.value
    notice: str = ""  # how the answer was made when not as configured (generative mode fell back, markers removed)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class AnswerGenerator(Protocol):
    """Turns ranked, relevant passages into an answer draft.

    Implementations never state an amount, date or condition that is not in one of the returned quotes;
    :class:`qa.citation_check.CitationChecker` enforces that after them.
    """

    mode: AnswerMode

    def compose(self, question: str, passages: list[Passage]) -> AnswerDraft:
        """:param question: the normalised question (follow-ups already rewritten).
        :param passages: relevant passages, best first, none expired.
        :returns: the draft; its ``quotes`` are spans of the given passages.
        """

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """The answer text in pieces as it is produced.

        Extractive: their concatenation equals ``compose(...).text``. Generative: the model's text as it arrives,
        which ``compose`` then checks and may revise.
        """


@runtime_checkable
class StreamingAnswerGenerator(AnswerGenerator, Protocol):
    """A generator whose text arrives piece by piece (a language model): the pipeline forwards the pieces live."""

    def compose_streaming(self, question: str, passages: list[Passage], on_piece: Callable[[str], None]) -> AnswerDraft:
        """Like :meth:`compose`, calling ``on_piece`` with each piece of raw text as it arrives.

        The pieces are a draft: the returned draft (checked, markers renumbered, or a fallback) is what to show.
        """
