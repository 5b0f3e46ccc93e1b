"""The generative answer generator: a language model writes the answer from numbered sources, and it is checked.

The model (any OpenAI-compatible chat endpoint, see :mod:`qa.chat_completions`) gets the best passages as numbered
sources ``[1]``…``[n]`` (prompt: ``qa/prompts/answer.jinja2``) and must mark each sentence with the sources it rests
on. Its reply is then held to those sources:

- markers that point at no source are removed and the answer says so; a sentence without a marker is attributed
  to the source that holds most of its wording (small models often forget markers), and the answer says so;
- an answer with a sentence whose wording is mostly absent from its cited sources, or that states a figure
  (amount, date, time limit…) they do not contain, is replaced by the extractive answer, which says why;
- a model that is down, refuses the key, or does not answer within ``timeout_s`` also yields the extractive answer.

Instruction-like sentences in documents ("忽略之前的指令…") are data: they are masked before the model sees the
sources and do not count as evidence (:func:`qa.grounding.mask_instructions`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from qa.answer_composer import ExtractiveAnswerGenerator, section_label, source_name
from qa.chat_completions import ChatCompletionsClient, Message, ModelUnavailable
from qa.citation_check import unsupported_figures
from qa.grounding import instruction_spans, mask_instructions, split_reply, support
from qa.types import AnswerDraft, AnswerMode, Passage, Quote

logger = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"

MODEL_UNAVAILABLE = "生成式模型暂不可用，以下为原文摘录答复"
NOT_ANSWERED = "生成式模型未能从资料中给出答复，以下为原文摘录答复"
SOURCES_COMPLETED = "部分出处标注由系统按原文比对补全"
UNSUPPORTED_FIGURES = "生成的答复含有出处中没有的数字（{figures}），以下为原文摘录答复"
UNSUPPORTED_WORDING = "生成的答复有出处中没有的内容，以下为原文摘录答复"


# A reply saying the sources do not answer the question (as the prompt asks the model to say then).
NOT_COVERED_PHRASES = ("没有找到相关规定", "资料中没有", "资料没有涉及", "无法回答")


def _with_markers(text: str, citations: list[int]) -> str:
    """``text`` with ``[k]`` markers before its final punctuation: "……支付款项[1]。"."""
    markers = "".join(f"[{k}]" for k in citations)
    stripped = text.rstrip("。！？!?；;，,：:")
    return f"{stripped}{markers}{text[len(stripped):] or '。'}"


def _whole_passage_quote(passage: Passage) -> Quote:
    return Quote(passage, passage.text, passage.char_start, passage.char_start + len(passage.text), passage.score)


def removed_markers_notice(numbers: tuple[int, ...]) -> str:
    return f"已删除 {len(numbers)} 处没有对应出处的引用标记（{'、'.join(f'[{n}]' for n in numbers)}）"


@dataclass(frozen=True)
class Source:
    """A passage as the model sees it: its number, where it comes from, and its text (instructions masked)."""

    number: int
    passage: Passage
    label: str
    text: str

    @property
    def evidence(self) -> str:
        """What an answer may rest on: the masked text and where it comes from (title, 文号, article)."""
        return f"{self.label}\n{self.text}"


def _prompt_safe(text: str) -> str:
    """Text that cannot open or close a ``<资料>`` block of the prompt."""
    return text.replace("<", "＜").replace(">", "＞")


def build_sources(passages: list[Passage]) -> list[Source]:
    """Number the passages 1…n; mask instruction-like sentences of their text and metadata."""
    sources = []
    for number, passage in enumerate(passages, start=1):
        if instruction_spans(passage.text):
            logger.warning("Passage %s of document %s holds instruction-like text; it is masked", passage.chunk_id, passage.doc_id)
        label = mask_instructions(f"{source_name(passage)}{section_label(passage, passage.text)}")
        sources.append(Source(number, passage, _prompt_safe(label.replace('"', "“")), mask_instructions(passage.text)))
    return sources


class AnswerPrompt:
    """Renders the system and user messages from ``qa/prompts/answer.jinja2``."""

    def __init__(self, template_dir: Path = PROMPTS_DIR, template_name: str = "answer.jinja2") -> None:
        environment = Environment(loader=FileSystemLoader(str(template_dir)), undefined=StrictUndefined, autoescape=False)
        self.template = environment.get_template(template_name)

    def messages(self, question: str, sources: list[Source]) -> list[Message]:
        module: Any = self.template.module  # the template's macros are its attributes, unknown to the type checker
        shown = [Source(s.number, s.passage, s.label, _prompt_safe(s.text)) for s in sources]
        return [
            {"role": "system", "content": str(module.system_message()).strip()},
            {"role": "user", "content": str(module.example_user_message()).strip()},
            {"role": "assistant", "content": str(module.example_reply()).strip()},
            {"role": "user", "content": str(module.user_message(_prompt_safe(question), shown)).strip()},
        ]


class GenerativeAnswerGenerator:
    """Answers written by a language model from numbered sources, checked against them, extractive as fallback.

    :param client: the chat-completions endpoint.
    :param fallback: the extractive generator used when the model fails or its answer does not hold.
    :param max_sources: passages given to the model (the best ones).
    :param max_tokens: longest answer the model may write, in tokens.
    :param min_sentence_support: least share of a sentence's wording found in its cited sources (0 turns the check off).

    >>> generator = GenerativeAnswerGenerator(ChatCompletionsClient("http://127.0.0.1:8080/v1", "qwen"), extractive)
    >>> generator.compose("大型企业应当在多少日内付款？", passages).text
    '大型企业从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起60日内支付款项[1]。'
    """

    mode = AnswerMode.GENERATIVE

    def __init__(
        self,
        client: ChatCompletionsClient,
        fallback: ExtractiveAnswerGenerator,
        *,
        max_sources: int = 3,
        max_tokens: int = 300,
        min_sentence_support: float = 0.5,
        prompt: AnswerPrompt | None = None,
    ) -> None:
        if max_sources <= 0:
            raise ValueError(f"max_sources must be greater than 0, got {max_sources}")
        if max_tokens <= 0:
            raise ValueError(f"max_tokens must be greater than 0, got {max_tokens}")
        if not 0.0 <= min_sentence_support <= 1.0:
            raise ValueError(f"min_sentence_support must be within [0, 1], got {min_sentence_support}")
        self.client = client
        self.fallback = fallback
        self.max_sources = max_sources
        self.max_tokens = max_tokens
        self.min_sentence_support = min_sentence_support
        self._prompt = prompt

    @cached_property
    def prompt(self) -> AnswerPrompt:
        return self._prompt or AnswerPrompt()

    def compose(self, question: str, passages: list[Passage]) -> AnswerDraft:
        return self._generate(question, passages, on_piece=None)

    def compose_streaming(self, question: str, passages: list[Passage], on_piece: Callable[[str], None]) -> AnswerDraft:
        return self._generate(question, passages, on_piece=on_piece)

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """The model's raw text as it arrives (nothing when it is unavailable); :meth:`compose` is the checked answer."""
        if not passages:
            return
        sources = build_sources(passages[: self.max_sources])
        try:
            yield from self.client.stream(self.prompt.messages(question, sources), max_tokens=self.max_tokens)
        except ModelUnavailable as error:
            logger.warning("Generative answer unavailable: %s", error)

    def _generate(self, question: str, passages: list[Passage], on_piece: Callable[[str], None] | None) -> AnswerDraft:
        if not passages:
            return AnswerDraft("", [])
        sources = build_sources(passages[: self.max_sources])
        messages = self.prompt.messages(question, sources)
        try:
            if on_piece is None:
                reply = self.client.complete(messages, max_tokens=self.max_tokens)
            else:
                pieces = []
                for piece in self.client.stream(messages, max_tokens=self.max_tokens):
                    pieces.append(piece)
                    on_piece(piece)
                reply = "".join(pieces)
        except ModelUnavailable as error:
            logger.warning("Generative answer unavailable, answering extractively: %s", error)
            return self._fallback(question, passages, MODEL_UNAVAILABLE)
        return self.check(question, passages, sources, reply)

    def check(self, question: str, passages: list[Passage], sources: list[Source], reply: str) -> AnswerDraft:
        """Hold the model's ``reply`` to ``sources``: the checked draft, or the extractive one with the reason.

        Each sentence must rest on the sources it marks: enough of its wording (``min_sentence_support``) and every
        figure it states must be in them. A sentence the model left unmarked is attributed to the source that holds
        most of its wording, if that source supports it; the answer then says its sources were completed.
        """
        sentences = split_reply(reply)
        if not sentences or any(phrase in reply for phrase in NOT_COVERED_PHRASES):
            logger.info("The model found no answer in the sources; answering extractively")
            return self._fallback(question, passages, NOT_ANSWERED)
        if support("".join(sentence.text for sentence in sentences), question) >= 1.0:
            logger.info("The model only restated the question: %r", reply)
            return self._fallback(question, passages, NOT_ANSWERED)
        invalid: list[int] = []
        order: list[int] = []  # source numbers in order of first citation: citation k is sources[order[k-1] - 1]
        inferred = False
        parts: list[str] = []
        for sentence in sentences:
            marked = [n for n in sentence.marked if 1 <= n <= len(sources)]
            invalid += [n for n in sentence.marked if not 1 <= n <= len(sources) and n not in invalid]
            if not marked:
                best = max(sources, key=lambda source: support(sentence.text, source.evidence))
                marked, inferred = [best.number], True
            evidence = "\n".join(sources[n - 1].evidence for n in marked)
            score = support(sentence.text, evidence)
            if score < self.min_sentence_support:
                logger.info("Generated sentence %r has support %.2f in sources %s", sentence.text, score, marked)
                return self._fallback(question, passages, UNSUPPORTED_WORDING)
            figures = unsupported_figures(sentence.text, [evidence])
            if figures:
                logger.info("Generated sentence %r states figures its sources %s do not: %s", sentence.text, marked, figures)
                return self._fallback(question, passages, UNSUPPORTED_FIGURES.format(figures="、".join(dict.fromkeys(figures))))
            order += [n for n in marked if n not in order]
            parts.append(sentence.lead + _with_markers(sentence.text, [order.index(n) + 1 for n in marked]))
        quotes = [_whole_passage_quote(sources[n - 1].passage) for n in order]
        notices = ([removed_markers_notice(tuple(invalid))] if invalid else []) + ([SOURCES_COMPLETED] if inferred else [])
        return AnswerDraft("".join(parts), quotes, "；".join(notices))

    def _fallback(self, question: str, passages: list[Passage], notice: str) -> AnswerDraft:
        """The extractive answer with ``notice`` (its selector never quotes an instruction-like sentence)."""
        draft = self.fallback.compose(question, passages)
        return AnswerDraft(draft.text, draft.quotes, notice) if draft.text else draft

    def close(self) -> None:
        self.client.close()
