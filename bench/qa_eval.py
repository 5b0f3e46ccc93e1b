"""Answer quality on the dev sets and the refusal threshold's calibration table.

    .venv/bin/python bench/qa_eval.py --data-dir bench/data/ncp [--limit N] [--include-expired] [--threshold T]
        [--passage-weight W] [--sets ncp_dev,natural_dev,...]

Scores ncp_dev (answer accuracy, citation accuracy, false refusals), guangzhou_dev (citation accuracy; only
meaningful when guangzhou/ is indexed), laws_dev (our 28 questions on laws and regulations, answered by one article
each: single-line news texts are most of ncp_dev, this set checks articles, headings and lists; only meaningful when
laws/ is indexed; laws_heldout: 20 more on other laws, written after it and only reported), colloquial_dev and
colloquial_heldout (30 each, on laws, worded as a shop owner or an employee would type them — 老板, 开除, 小时工 —
the held-out half on other laws and only reported), the unanswerable dev set
and the held-out set (refusal rate), then prints, for a range of thresholds, the refusal rate on unanswerable dev
questions and the false-refusal rate on the answerable ones. The held-out set is only reported, never used to choose
the threshold.

Natural questions (``eval/natural_dev.jsonl``, ``eval/natural_heldout.jsonl``: worded as people type them, over all
corpus folders, a quarter the library cannot answer; see ``eval/README.md``) print answer, citation (the gold
document or a copy of it among the first 3 citations), right article, false refusals, refusals by kind and the
answer rate and right-article rate per intent; ``natural_followups`` asks 2–3-turn conversations and scores
follow-up turns apart. natural_heldout is only reported, never used to tune anything. ``--sets`` runs only the named
sets (the threshold table needs ncp_dev and unanswerable_dev).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from index.evaluation import CopyMatcher  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402
from qa.evaluation import (  # noqa: E402
    AnswerReport,
    FollowupReport,
    NaturalReport,
    evaluate_answers,
    evaluate_followups,
    evaluate_natural,
    load_followups,
    load_qa_items,
    threshold_table,
)

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "corpus" / "eval"
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# (name, file, how it is scored): "answers" as ncp_dev, "natural" by evaluate_natural, "followups" turn by turn.
SETS = [
    ("ncp_dev", EVAL / "ncp_dev.jsonl", "answers"),
    ("guangzhou_dev", EVAL / "guangzhou_dev.jsonl", "answers"),
    ("laws_dev", REPO / "eval" / "laws_dev.jsonl", "answers"),
    ("laws_heldout", REPO / "eval" / "laws_heldout.jsonl", "answers"),
    ("colloquial_dev", REPO / "eval" / "colloquial_dev.jsonl", "answers"),
    ("colloquial_heldout", REPO / "eval" / "colloquial_heldout.jsonl", "answers"),
    ("unanswerable_dev", REPO / "eval" / "unanswerable_dev.jsonl", "answers"),
    ("unanswerable_heldout", REPO / "eval" / "unanswerable_heldout.jsonl", "answers"),
    ("natural_dev", REPO / "eval" / "natural_dev.jsonl", "natural"),
    ("natural_heldout", REPO / "eval" / "natural_heldout.jsonl", "natural"),
    ("natural_followups", REPO / "eval" / "natural_followups.jsonl", "followups"),
]
# Sets whose gold document may also be in the library as a web page, DOCX or PDF: also scored counting copies.
_COPIES_TOO = ("guangzhou_dev", "laws_dev", "laws_heldout", "colloquial_dev", "colloquial_heldout")


def _shown(value: float | None) -> str:
    return "  —  " if value is None else f"{value:.3f}"


def _print(name: str, report: AnswerReport) -> None:
    print(
        f"{name:<28} n={report.questions:<5} answer {_shown(report.answer_accuracy)} (strict {_shown(report.answer_accuracy_strict)})"
        f"  citation {_shown(report.citation_accuracy)}  false-refusal {_shown(report.false_refusal_rate)}"
        f"  refusal {_shown(report.refusal_rate)}  excerpt-states-answer {_shown(report.excerpt_answer_rate)}  p50 {report.latency_ms_p50:.0f} ms  p95 {report.latency_ms_p95:.0f} ms",
        flush=True,
    )


def _print_natural(name: str, report: NaturalReport) -> None:
    kinds = ", ".join(f"{kind} {rate:.3f} of {n}" for kind, (n, rate) in report.refusal_by_kind.items())
    print(
        f"{name:<28} n={report.questions:<5} answer {_shown(report.answer_rate)}  citation@3 {_shown(report.citation_rate)}"
        f"  right-article {_shown(report.right_article_rate)}  false-refusal {_shown(report.false_refusal_rate)}"
        f"  refusal {_shown(report.refusal_rate)} ({kinds})  p50 {report.latency_ms_p50:.0f} ms  p95 {report.latency_ms_p95:.0f} ms",
        flush=True,
    )
    for intent, score in report.by_intent.items():
        print(f"    {intent:<12} n={score.questions:<4} answer {_shown(score.answer_rate)}"
              f"  right-article {_shown(score.right_article_rate)} (of {score.with_section})")


def _print_followups(name: str, report: FollowupReport) -> None:
    print(
        f"{name:<28} conversations={report.conversations}  first turns: answer {_shown(report.first_answer_rate)}"
        f" citation@3 {_shown(report.first_citation_rate)}  follow-ups (n={report.later_turns}): answer"
        f" {_shown(report.later_answer_rate)} citation@3 {_shown(report.later_citation_rate)}"
        f" refused {_shown(report.later_refusal_rate)}",
        flush=True,
    )


def _untitled(kb: PolicyKB) -> int:
    """Documents whose title has no Chinese character: named by their file (POL_0037…, doc_16), so cited that way."""
    count = offset = 0
    while documents := kb.store.list_documents(limit=500, offset=offset):
        offset += len(documents)
        count += sum(not _CHINESE.search(document.metadata.title or "") for document in documents)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/ncp"))
    parser.add_argument("--limit", type=int, default=None, help="first N ncp_dev questions only")
    parser.add_argument("--include-expired", action="store_true", help="answer from expired policies too")
    parser.add_argument("--threshold", type=float, default=None, help="refusal threshold (default: the setting)")
    parser.add_argument("--passage-weight", type=float, default=None,
                        help="weight of the passage's relevance when choosing the answer sentence (default: the setting)")
    parser.add_argument("--sets", default=None,
                        help="comma-separated sets to run (default: all): " + ", ".join(name for name, _, _ in SETS))
    args = parser.parse_args()
    chosen = [name.strip() for name in args.sets.split(",") if name.strip()] if args.sets else [n for n, _, _ in SETS]
    unknown = sorted(set(chosen) - {name for name, _, _ in SETS})
    if unknown:
        parser.error(f"unknown set(s): {', '.join(unknown)}")
    overrides: dict[str, object] = {"data_dir": args.data_dir, "qa_include_expired": args.include_expired}
    if args.threshold is not None:
        overrides["qa_refusal_threshold"] = args.threshold
    if args.passage_weight is not None:
        overrides["qa_answer_passage_weight"] = args.passage_weight
    kb = PolicyKB(load_settings(**overrides))
    print(f"machine: {describe_machine()}")
    print(f"index {args.data_dir}: {kb.store.count_documents()} documents ({_untitled(kb)} titled without a Chinese "
          f"character, e.g. by a file id), {kb.store.count_chunks()} chunks; "
          f"threshold {kb.settings.qa_refusal_threshold}, passage weight {kb.settings.qa_answer_passage_weight}, "
          f"include_expired {args.include_expired}")
    kb.answerer.warm_up()
    reports: dict[str, AnswerReport] = {}
    sets = [(name, path, scoring) for name, path, scoring in SETS if name in chosen]
    for name, path, scoring in sets:
        if scoring == "answers":
            reports[name] = evaluate_answers(kb.answerer, load_qa_items(path)[: args.limit if name == "ncp_dev" else None])
            _print(name, reports[name])
    # The library may hold the gold document again as a web page, DOCX or PDF: citing such a copy is also right.
    matcher = CopyMatcher(kb.store).matches
    for name, path, _ in sets:
        if name in _COPIES_TOO:
            _print(f"{name} (copies too)", evaluate_answers(kb.answerer, load_qa_items(path), matcher))
    for name, path, scoring in sets:
        if scoring == "natural":
            _print_natural(name, evaluate_natural(kb.answerer, load_qa_items(path), matcher))
        elif scoring == "followups":
            _print_followups(name, evaluate_followups(kb.answerer, load_followups(path), matcher))
    if "ncp_dev" in reports and "unanswerable_dev" in reports:
        answerable = reports["ncp_dev"].relevance
        unanswerable = reports["unanswerable_dev"].relevance
        print("\nthreshold  refusal(unanswerable_dev)  false-refusal(ncp_dev)")
        for threshold, refused, false in threshold_table(answerable, unanswerable, [t / 1000 for t in range(300, 901, 25)]):
            print(f"{threshold:>9.3f}  {refused:>25.3f}  {false:>22.3f}")
    kb.close()


if __name__ == "__main__":
    main()
