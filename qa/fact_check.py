"""The answer-type check: a value question is answered only from a passage that states such a value.

「罚款是多少」 answered with an on-topic article that names no amount misleads worse than a refusal. Between the
relevance gate and the composer, this step keeps the gated passages that state the kind of fact the question asks
for (:func:`qa.question_intent.states_fact`); when the gate found the policy but none of its passages states it,
the decision becomes :attr:`RefusalReason.FACT_NOT_STATED` with that policy, and the reply says the policy does
not state it instead of quoting an unrelated article.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import component

from qa.question_intent import VALUE_INTENTS, question_intent, states_fact
from qa.refusal import GateDecision, distinct_documents
from qa.types import AnswerDraft, RefusalReason


@component
class FactTypeCheck:
    """Keeps the passages that can answer the question's kind of value; see the module docstring."""

    @component.output_types(decision=GateDecision)
    def run(self, question: str, decision: GateDecision) -> dict[str, Any]:
        if decision.refusal_reason is not None or not decision.passages:
            return {"decision": decision}
        intent = question_intent(question)
        if intent not in VALUE_INTENTS:
            return {"decision": decision}
        stating = [p for p in decision.passages if states_fact(intent, p.text)]
        if stating:
            return {"decision": replace(decision, passages=stating)}
        # The policy found comes first among the related ones, each policy once.
        related = distinct_documents([decision.passages[0], *decision.related], len(decision.related) + 1)
        return {"decision": GateDecision([], RefusalReason.FACT_NOT_STATED, related)}


def answer_states_fact(question: str, draft: AnswerDraft) -> bool:
    """Whether the composed answer states the kind of value the question asks for (always, for other questions).

    The passage check above lets through an on-topic passage whose figures stand elsewhere; what the reader sees is
    the answer and its quote, so they must state it.
    """
    intent = question_intent(question)
    if intent not in VALUE_INTENTS or not draft.quotes:
        return True
    return any(states_fact(intent, quote.text) for quote in draft.quotes)
