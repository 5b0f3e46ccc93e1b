"""Honest refusal: answer only from relevant, valid policies; otherwise say so and point to who can help.

The gate keeps the passages whose relevance reaches ``threshold`` (calibrated on dev data, see
``bench/qa_eval.py``). Expired policies (已失效, 已被修订) are not used for answers unless ``include_expired`` or the
question names the policy (then the answer says first that it has expired); when only expired policies are relevant,
the reply says that instead of answering from them. A policy found that does not state the value asked for gets its
own reply (:mod:`qa.fact_check`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Any

from haystack import component

from qa.answer_composer import quote_for_display, section_label, source_name
from qa.types import Passage, Quote, RefusalReason, RelatedPolicy

# Words that frame a title rather than name the policy; a question naming it needs this many characters of the rest.
_TITLE_FRAME = re.compile(r"关于|印发|转发|的通知|通知|的意见|若干|措施|办法|方案|规定|实施|政策")
_NAMED_CHARS = 8
_DOCUMENT_WORD = re.compile(r"《|通知|办法|条例|意见|规定|方案|措施|细则|决定|文件|政策")
HOTLINE_HINT = "建议拨打 12345 政务服务便民热线，或向{department}咨询"


@dataclass(frozen=True)
class GateDecision:
    passages: list[Passage]  # relevant, usable passages, best first (empty when refused)
    refusal_reason: RefusalReason | None
    related: list[Passage]  # nearest passages of distinct documents, for "related policies"


def distinct_documents(passages: list[Passage], limit: int, exclude: set[str] | None = None) -> list[Passage]:
    seen = set(exclude or ())
    chosen = []
    for passage in passages:
        if passage.doc_id in seen:
            continue
        seen.add(passage.doc_id)
        chosen.append(passage)
        if len(chosen) == limit:
            break
    return chosen


def related_policy(passage: Passage, excerpt: Quote | None = None) -> RelatedPolicy:
    """The policy of ``passage``; with ``excerpt``, the quote the answer step would take from it (the sentences
    nearest to the question and the rest of their item), and where it stands."""
    policy = RelatedPolicy(
        doc_id=passage.doc_id, title=passage.title, doc_number=passage.doc_number, issuer=passage.issuer,
        status=passage.status, section=passage.section, score=round(passage.score, 4),
    )
    if excerpt is None:
        return policy
    return replace(
        policy, excerpt=quote_for_display(excerpt.text), excerpt_section=section_label(passage, excerpt.answer_text),
        char_start=excerpt.char_start, char_end=excerpt.char_end,
    )


def _department(related: list[Passage]) -> str:
    issuers = [p.issuer for p in related if p.issuer]
    return f"主管部门（如{issuers[0]}）" if issuers else "相关主管部门"


def refusal_message(reason: RefusalReason, related: list[Passage], asked: str = "") -> str:
    """The Chinese text shown instead of an answer.

    :param asked: what the question asked for (「金额或标准」), named when the policy found does not state it.
    """
    hint = HOTLINE_HINT.format(department=_department(related))
    if reason == RefusalReason.FACT_NOT_STATED and related:
        what = f"具体的{asked}" if asked else "这一问题的具体规定"
        return (
            f"{source_name(related[0])}与该问题相关，但其中没有写明{what}，无法据此给出准确答复。"
            f"下面引用的是其中与问题最接近的条文，仅供参考。{hint}。"
        )
    if reason == RefusalReason.ONLY_EXPIRED:
        expired = next((p for p in related if p.expired), related[0] if related else None)
        name = source_name(expired) if expired else "相关政策"
        return (
            f"知识库中与该问题最相关的是{name}，但该政策{expired.status if expired else '已失效'}，不能作为现行依据，因此不据此作答。"
            f"请以现行有效的政策为准，{hint}确认最新规定。"
        )
    nearby = "下面列出的政策及其中与问题最接近的条文可能相关，仅供参考，不构成答复。" if related else ""
    return f"抱歉，知识库中没有找到能够回答这个问题的政策依据，无法给出可靠答复。{hint}。{nearby}"


def names_policy(question: str, title: str | None) -> bool:
    """Whether ``question`` names the policy titled ``title``: they share a run of ``_NAMED_CHARS`` characters or more
    of its name (「特困人员救助供养工作的通知里…」), the usual 关于/印发/通知 words aside, and say it is a document
    (通知, 办法, 《…》…): a question on the topic alone is not about that policy."""
    if not question or not title or not _DOCUMENT_WORD.search(question):
        return False
    name = _TITLE_FRAME.sub("", title)
    match = SequenceMatcher(None, question, name, autojunk=False).find_longest_match(0, len(question), 0, len(name))
    return match.size >= min(_NAMED_CHARS, len(name))


@component
class RelevanceGate:
    """Decides whether to answer, and from which passages.

    >>> RelevanceGate(threshold=0.5).run(passages)["decision"].refusal_reason
    """

    def __init__(self, threshold: float, *, include_expired: bool = False, max_passages: int = 5, related_count: int = 3) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {threshold}")
        self.threshold = threshold
        self.include_expired = include_expired
        self.max_passages = max_passages
        self.related_count = related_count

    @component.output_types(decision=GateDecision)
    def run(self, passages: list[Passage], question: str = "") -> dict[str, Any]:
        """:param question: the question as asked; one that names an expired policy is answered from it (the
            answer then says first that the policy has expired), any other is not answered from expired ones."""
        relevant = [p for p in passages if p.score >= self.threshold]
        usable = [p for p in relevant if self.include_expired or not p.expired]
        if usable:
            return {"decision": GateDecision(usable[: self.max_passages], None, passages)}
        named = [p for p in relevant if names_policy(question, p.title)]
        if named:
            return {"decision": GateDecision(named[: self.max_passages], None, passages)}
        if relevant:  # only expired policies match
            expired_first = relevant + [p for p in passages if p not in relevant]
            return {"decision": GateDecision([], RefusalReason.ONLY_EXPIRED, distinct_documents(expired_first, self.related_count))}
        return {"decision": GateDecision([], RefusalReason.NOT_IN_LIBRARY, distinct_documents(passages, self.related_count))}
