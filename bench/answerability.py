"""Why a question is answered or refused: is its gold passage among the candidates, and how relevant does it look
next to the best passage of a question the library cannot answer?

    .venv/bin/python bench/answerability.py --data-dir bench/data/library [--without-glosses]

For each answerable set (colloquial_dev, colloquial_heldout, laws_dev, the first 300 of ncp_dev) it prints the share
of questions whose gold passage (a chunk of the gold document holding the gold answer) is among the answer pipeline's
candidates, per retrieval mode, and the share whose gold document is; then the medians of key-term coverage, dense
cosine and relevance of the gold passages found, beside those of the best passage of each unanswerable_dev question —
the refusal threshold can only separate what these medians separate. ``--without-glosses`` normalises questions with
the abbreviation rules of ``qa/data/synonyms.txt`` only, not its glosses (``canonical ~ alias`` lines: 老板 → 用人单位).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from index.evaluation import path_matches  # noqa: E402
from index.retrieval import RetrievalMode  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402
from qa.evaluation import QaItem, load_qa_items, squash  # noqa: E402
from qa.query_normalizer import QueryNormalizer, packaged_synonyms  # noqa: E402
from qa.types import Passage  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "corpus" / "eval"


def _is_gold(item: QaItem, path: str, text: str) -> bool:
    return any(path_matches(path, gold) for gold in item.gold_paths) and squash(item.answer) in squash(text)


class Probe:
    """The answer pipeline's first steps (normalise, retrieve, rerank) run one by one."""

    def __init__(self, kb: PolicyKB, normalizer: QueryNormalizer) -> None:
        self.kb = kb
        self.normalizer = normalizer
        self.ranker = kb.answerer.pipeline.get_component("ranker")

    def candidates(self, question: str, mode: RetrievalMode) -> list:
        query = self.normalizer.normalize(question)
        return self.kb.searcher.search_documents(query, top_k=self.kb.settings.qa_candidates, mode=mode)

    def ranked(self, question: str) -> list[Passage]:
        documents = self.candidates(question, RetrievalMode.HYBRID)
        return self.ranker.run(self.normalizer.normalize(question), documents)["passages"]


def _medians(rows: list[Passage]) -> str:
    if not rows:
        return "none found"
    return (f"coverage {statistics.median(p.coverage for p in rows):.2f}, dense {statistics.median(p.dense for p in rows):.3f}, "
            f"relevance {statistics.median(p.score for p in rows):.2f} (n={len(rows)})")


def report_answerable(probe: Probe, name: str, items: list[QaItem]) -> None:
    found = []
    for mode in RetrievalMode:
        passages = documents = 0
        for item in items:
            candidates = probe.candidates(item.question, mode)
            passages += any(_is_gold(item, d.meta.get("path", ""), d.content or "") for d in candidates)
            documents += any(any(path_matches(d.meta.get("path", ""), g) for g in item.gold_paths) for d in candidates)
        found.append(f"{mode.value} {passages / len(items):.3f} ({documents / len(items):.3f})")
    gold = [next((p for p in probe.ranked(item.question) if _is_gold(item, p.path, p.text)), None) for item in items]
    print(f"{name:<20} n={len(items):<4} gold passage (document) among candidates: {', '.join(found)}")
    print(f"{'':<20} gold passages: {_medians([p for p in gold if p is not None])}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/library"))
    parser.add_argument("--without-glosses", action="store_true", help="normalise without the `canonical ~ alias` rules")
    args = parser.parse_args()
    kb = PolicyKB(load_settings(data_dir=args.data_dir))
    rules = packaged_synonyms()
    if args.without_glosses:
        rules = {alias: rule for alias, rule in rules.items() if not rule.keep_alias}
    probe = Probe(kb, QueryNormalizer(rules))
    print(f"machine: {describe_machine()}")
    print(f"index {args.data_dir}: {kb.store.count_documents()} documents; {kb.settings.qa_candidates} candidates per question; "
          f"glosses {'off' if args.without_glosses else 'on'}; refusal threshold {kb.settings.qa_refusal_threshold}")
    sets = [
        ("colloquial_dev", load_qa_items(REPO / "eval" / "colloquial_dev.jsonl")),
        ("colloquial_heldout", load_qa_items(REPO / "eval" / "colloquial_heldout.jsonl")),
        ("laws_dev", load_qa_items(REPO / "eval" / "laws_dev.jsonl")),
        ("ncp_dev[:300]", load_qa_items(EVAL / "ncp_dev.jsonl")[:300]),
    ]
    for name, items in sets:
        report_answerable(probe, name, items)
    unanswerable = load_qa_items(REPO / "eval" / "unanswerable_dev.jsonl")
    best = [ranked[0] for ranked in (probe.ranked(item.question) for item in unanswerable) if ranked]
    print(f"{'unanswerable_dev':<20} n={len(unanswerable):<4} best passages: {_medians(best)}")
    kb.close()


if __name__ == "__main__":
    main()
