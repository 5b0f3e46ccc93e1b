"""Precision/recall of the rule suggester on the hand-labelled documents (tests/push/data/suggestion_labels.json).

Run: ``.venv/bin/python bench/push_suggest_eval.py [--verbose]``. Prints per-document and micro-averaged figures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from push_rules.rule_suggester import RuleSuggester  # noqa: E402

LABELS = ROOT / "tests" / "push" / "data" / "suggestion_labels.json"


def library_root() -> Path:
    for candidate in (ROOT.parent / "shared" / "corpus" / "library", Path("/work/shared/corpus/library")):
        if candidate.exists():
            return candidate
    raise SystemExit("corpus library not found")


def evaluate(verbose: bool = False) -> dict[str, float]:
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["documents"]
    suggester = RuleSuggester()
    tp = fp = fn = 0
    per_kind: dict[str, list[int]] = {}
    for item in labels:
        text = (library_root() / item["path"]).read_text(encoding="utf-8")
        predicted = suggester.suggest(text, region_hint=item.get("region")).atoms()
        gold = set(item["gold"])
        tp += len(predicted & gold)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
        for atom in predicted | gold:
            kind = atom.split(":")[0].split("_")[0]
            counts = per_kind.setdefault(kind, [0, 0, 0])
            counts[0] += atom in predicted and atom in gold
            counts[1] += atom in predicted and atom not in gold
            counts[2] += atom in gold and atom not in predicted
        if verbose:
            print(f"{item['path'][:60]:60}  +{sorted(predicted & gold)}\n{'':60}  FP {sorted(predicted - gold)}\n{'':60}  FN {sorted(gold - predicted)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    result = {"documents": len(labels), "tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall}
    if verbose:
        for kind, (k_tp, k_fp, k_fn) in sorted(per_kind.items()):
            p = k_tp / (k_tp + k_fp) if k_tp + k_fp else 1.0
            r = k_tp / (k_tp + k_fn) if k_tp + k_fn else 1.0
            print(f"  {kind:10} precision {p:.2f} recall {r:.2f} (tp {k_tp}, fp {k_fp}, fn {k_fn})")
    return result


if __name__ == "__main__":
    figures = evaluate(verbose="--verbose" in sys.argv)
    print(f"documents {figures['documents']}  atoms tp {figures['tp']} fp {figures['fp']} fn {figures['fn']}  "
          f"precision {figures['precision']:.3f}  recall {figures['recall']:.3f}")
