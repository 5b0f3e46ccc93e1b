"""How far better sentence choice could take answer accuracy, and how far only better ranking could.

    .venv/bin/python bench/answer_ceiling.py --data-dir bench/data/library [--limit N]

For each ncp_dev question (gold answers are extracts of one document) the pipeline runs as `/api/ask` does, and the
script counts where the gold answer is stated (same test as answer accuracy: contained, or 80 % of its character
bigrams): in the answer shown (the accuracy itself), in the best-ranked passage, in any passage the relevance gate
lets the answer step use, in any of the retrieved candidates. The gap between the first two is what choosing
sentences better within the best passage could gain; the gated passages bound any answer step that keeps today's
ranking and gate; the candidates bound a better reranker over the same retrieval.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402
from qa.evaluation import load_qa_items, states_answer  # noqa: E402

EVAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/library"))
    parser.add_argument("--limit", type=int, default=None, help="first N ncp_dev questions only")
    args = parser.parse_args()
    kb = PolicyKB(load_settings(data_dir=args.data_dir))
    print(f"machine: {describe_machine()}")
    print(f"index {args.data_dir}: {kb.store.count_documents()} documents, {kb.store.count_chunks()} chunks")
    answerer = kb.answerer
    answerer.warm_up()
    items = [item for item in load_qa_items(EVAL / "ncp_dev.jsonl")[: args.limit] if item.extractive_gold and item.answer]
    counts = dict.fromkeys(("answer shown", "best passage", "gated passages", "candidates"), 0)
    for item in items:
        result = answerer.pipeline.run(
            {"normalizer": {"question": item.question}, "rewriter": {"history": []}, "retriever": {"filters": None}},
            include_outputs_from={"copies", "gate"},
        )
        candidates = result["copies"]["passages"]
        gated = result["gate"]["decision"].passages
        draft = result["citation_check"]["draft"]
        gold = item.answer or ""
        counts["answer shown"] += bool(gated and draft.quotes) and states_answer(gold, f"{draft.text}\n{draft.quotes[0].text}")
        counts["best passage"] += bool(candidates) and states_answer(gold, candidates[0].text)
        counts["gated passages"] += any(states_answer(gold, passage.text) for passage in gated)
        counts["candidates"] += any(states_answer(gold, passage.text) for passage in candidates)
    print(f"ncp_dev, {len(items)} questions; {answerer.pipeline.get_component('retriever').top_k} candidates, gate {answerer.gate.threshold}")
    for name, count in counts.items():
        print(f"gold answer stated in the {name:<16} {count / len(items):.3f}  ({count})")
    kb.close()


if __name__ == "__main__":
    main()
