"""Multi-turn query rewriting: a follow-up question searches for the policy discussed before.

"那申请条件呢？" after a question about 创业担保贷款 becomes "创业担保贷款 … 那申请条件呢？", and the documents
the previous answer cited are searched first. A question is a follow-up when it points back (那/那么/它/该政策/
这个…) or says nothing about its topic (only words like 条件、材料、多少).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from haystack import component

from qa.conversation import Turn
from qa.term_weights import TermWeights

_POINTS_BACK = re.compile(
    r"^(?:那|那么|那个|还有|另外|此外|再问|然后|它|其|该|这个|这项|这些|上述|上面|刚才|前面)"
    r"|(?:该政策|这个政策|这项政策|此政策|该文件|这个文件|上述政策|该办法|这个办法|它的|其中)"
)
# Words that name an aspect of a policy rather than a policy: a question made only of these needs a topic.
_ASPECT_WORDS = frozenset(
    "申请 条件 申请条件 材料 资料 流程 程序 手续 时间 期限 截止 时候 金额 额度 标准 多少 比例 部门 电话 联系 咨询 地址 "
    "对象 范围 要求 办理 怎么办 规定 内容 具体 呢 政策 文件 办法 适用 哪里 补贴 补助 奖励 有效期 期 办 报 申报 提交 需要 准备 "
    "什么 哪些 如何 怎么 怎样 能否 是否 可以 多久 几 谁 条 第".split()
)
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_SHORT_QUESTION_CHARS = 10
_TOPIC_WEIGHT = 0.7
_MAX_PRIOR_CHARS = 120  # a long conversation's chain of follow-ups is cut to its latest part


@dataclass(frozen=True)
class RewrittenQuery:
    query: str
    preferred_doc_ids: tuple[str, ...]
    follow_up: bool


class FollowUpRewriter:
    """Adds the previous topic to follow-up questions.

    >>> rewriter.rewrite("那申请条件呢？", [Turn("创业担保贷款额度是多少", "创业担保贷款额度是多少", "…", False, ("d1",), ("广州市创业担保贷款办法",))])
    RewrittenQuery(query='广州市创业担保贷款办法 创业担保贷款额度是多少 那申请条件呢？', preferred_doc_ids=('d1',), follow_up=True)
    """

    def __init__(self, term_weights: TermWeights) -> None:
        self.term_weights = term_weights

    def is_follow_up(self, query: str) -> bool:
        if _POINTS_BACK.search(query.strip()):
            return True
        tokens = [t for t in self.term_weights.tokenizer.tokenize(query) if t not in self.term_weights.question_words]
        topical = [t for t in tokens if t not in _ASPECT_WORDS]
        if not topical:
            return True
        # In a chat, a short question ("最长能租多久？", "政府补多少钱？") goes on with the topic unless it names a
        # specific one of its own: a rare word of two characters or more (断缴, 居住证).
        if len(_CHINESE.findall(query)) <= _SHORT_QUESTION_CHARS:
            weights = self.term_weights.key_terms(self.term_weights.normalize(query)).weights
            return not any(len(term) >= 2 and weight >= _TOPIC_WEIGHT for term, weight in weights.items() if term in topical)
        return False

    def rewrite(self, query: str, history: list[Turn]) -> RewrittenQuery:
        # A turn refused for want of the asked figure still found its policy: its citation carries the topic.
        previous = next((turn for turn in reversed(history) if not turn.refused or turn.doc_ids), None)
        if previous is None or not self.is_follow_up(query):
            return RewrittenQuery(query, (), False)
        topic = previous.titles[0] if previous.titles else ""
        # The previous search query already carries its own topic when it was itself a follow-up.
        prior = previous.search_query[-_MAX_PRIOR_CHARS:]
        parts = [part for part in ("" if topic in prior else topic, prior) if part]
        return RewrittenQuery(" ".join([*parts, query]), previous.doc_ids[:1], True)


@component
class QueryRewriterComponent:
    """Haystack wrapper: ``query`` and ``history`` in; the ``query`` to search and the ``preferred_doc_ids`` out."""

    def __init__(self, rewriter: FollowUpRewriter) -> None:
        self.rewriter = rewriter

    @component.output_types(query=str, preferred_doc_ids=list[str], follow_up=bool)
    def run(self, query: str, history: list[Turn] | None = None) -> dict[str, Any]:
        rewritten = self.rewriter.rewrite(query, history or [])
        return {"query": rewritten.query, "preferred_doc_ids": list(rewritten.preferred_doc_ids), "follow_up": rewritten.follow_up}
