"""Suggested eligibility rules, saved unedited, against hand-labelled rules: the verdicts they produce.

For every labelled document (``tests/push/data/suggestion_labels.json``) the text gets the metadata an upload
would (``ingestion``'s extractor: title, issuer, region), the push service suggests a rule, the rule is saved as
suggested and matched over the synthetic profiles (``tests/push/data/suggestion_profiles.json``) by the real
matcher; the labelled rule, run through the same rule engine, gives the true verdict of each (policy, profile).

Printed per part (``dev``, and ``heldout``: a third of the documents never tuned on):

* verdict agreement: share of (policy, profile) pairs whose outcome (eligible / incomplete / ineligible) is right;
* eligible precision: of the pairs the suggestion makes eligible, the share that really are;
* push precision: of the pushes (eligible or incomplete), the share going to enterprises that really qualify or
  may (true verdict eligible or incomplete);
* atom precision/recall: the conditions (``region:440106``, ``size:small``, ``revenue_min:2000`` …) of the
  suggested rule against the labelled one's.

Run: ``.venv/bin/python bench/push_suggest_eval.py [--verbose]`` (``--verbose`` lists the dev documents' errors only,
so the held-out part stays unseen while tuning; ``--verbose-heldout`` lists those too).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from index.types import PolicyDocument  # noqa: E402
from ingestion.metadata import PolicyMetadataExtractor  # noqa: E402
from push_rules.models import Enterprise, Match, PolicyVersion  # noqa: E402
from push_rules.rule_engine import Outcome, evaluate_profile  # noqa: E402
from push_rules.rule_ops import RULE_OPS  # noqa: E402
from push_rules.rules_schema import RuleValidator, iter_leaves, leaf_negations  # noqa: E402
from push_rules.service import PushService  # noqa: E402
from push_rules.settings import PushSettings  # noqa: E402

DATA = ROOT / "tests" / "push" / "data"
LABELS = DATA / "suggestion_labels.json"
PROFILES = DATA / "suggestion_profiles.json"
PARTS = ("dev", "heldout")
_ATOM_NAMES = {"region": "region", "size": "size", "qualifications": "qual", "industry": "industry", "established_on": "years",
               "annual_revenue": "revenue", "employees": "employees", "ownership": "ownership", "enterprise": "all"}


def library_root() -> Path:
    for candidate in (ROOT.parent / "shared" / "corpus" / "library", Path("/work/shared/corpus/library")):
        if candidate.exists():
            return candidate
    raise SystemExit("corpus library not found")


def rule_atoms(rule: dict[str, Any] | None) -> set[str]:
    """Flat facts of a rule's conditions: ``region:440106``, ``size:small``, ``revenue_min:2000``, ``not:ownership:state`` …"""
    if not rule:
        return set()
    out: set[str] = set()
    for leaf, negated in zip(iter_leaves(rule), leaf_negations(rule), strict=True):
        op = RULE_OPS[leaf["op"]]
        name = ("not:" if negated else "") + _ATOM_NAMES.get(leaf.get("field") or op.implied_field or "", leaf.get("field", ""))
        if not op.takes_value:
            out.add(name)
        elif op.bounds:
            out |= {f"{name}_{bound}:{leaf[bound]:g}" for bound in ("min", "max") if bound in leaf}
        else:
            out |= {f"{name}:{v}" for v in leaf["value"]}
    return out


@dataclass
class PartFigures:
    documents: int = 0
    pairs: int = 0
    agree: int = 0
    suggested_eligible: int = 0
    eligible_right: int = 0
    pushes: int = 0
    pushes_right: int = 0
    true_eligible: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    no_suggestion: int = 0
    needs_review: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @staticmethod
    def _share(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "pairs": self.pairs,
            "verdict_agreement": self._share(self.agree, self.pairs),
            "eligible_precision": self._share(self.eligible_right, self.suggested_eligible),
            "eligible_recall": self._share(self.eligible_right, self.true_eligible),
            "push_precision": self._share(self.pushes_right, self.pushes),
            "pushes": self.pushes,
            "suggested_eligible": self.suggested_eligible,
            "atom_precision": self._share(self.tp, self.tp + self.fp),
            "atom_recall": self._share(self.tp, self.tp + self.fn),
            "atoms": (self.tp, self.fp, self.fn),
            "no_suggestion": self.no_suggestion,
            "needs_review": self.needs_review,
        }


def _document(doc_id: str, relative: str, extractor: PolicyMetadataExtractor) -> PolicyDocument:
    text = (library_root() / relative).read_text(encoding="utf-8")
    metadata = extractor.extract(text, file_name=relative.rsplit("/", 1)[-1], today=date(2026, 1, 1))
    return PolicyDocument(
        doc_id=doc_id, path=relative, content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_format="txt", text=text, metadata=metadata,
    )


def evaluate(verbose: bool = False, verbose_heldout: bool = False) -> dict[str, dict[str, Any]]:
    """Figures per part (``dev``, ``heldout``, ``all``), suggested rules saved unedited."""
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    profiles = json.loads(PROFILES.read_text(encoding="utf-8"))["profiles"]
    extractor = PolicyMetadataExtractor()
    documents = {f"doc{i}": _document(f"doc{i}", item["path"], extractor) for i, item in enumerate(labels["documents"])}
    figures = {part: PartFigures() for part in (*PARTS, "all")}
    today = date.today()
    with tempfile.TemporaryDirectory(prefix="push-suggest-eval-") as tmp:
        service = PushService(PushSettings(data_dir=Path(tmp)), documents.get, tokenize=lambda text: list(text))
        try:
            for extra in labels.get("extra_qualifications", []):
                service.add_qualification(extra["slug"], extra["label"], extra.get("aliases", []))
            for profile in profiles:
                service.create_enterprise(profile)
            with service.sessions() as session:
                enterprises = session.scalars(select(Enterprise).order_by(Enterprise.id)).all()
            validator = RuleValidator(service.qualifications.catalog)
            for i, item in enumerate(labels["documents"]):
                doc_id = f"doc{i}"
                gold_rule = validator.validate(item["rule"])
                suggestion = service.suggest_rules(doc_id)
                rule = suggestion.get("rules")
                outcomes: dict[int, str] = {}
                if rule is not None:
                    saved = service.save_rules(doc_id, rule, suggested=True)["rules"]
                    service.match_policy(doc_id)
                    with service.sessions() as session:
                        version_id = session.scalar(select(PolicyVersion.id).where(PolicyVersion.doc_id == doc_id))
                        outcomes = dict(session.execute(select(Match.enterprise_id, Match.outcome).where(Match.policy_version_id == version_id)).all())
                else:
                    saved = None
                predicted, gold = rule_atoms(saved), rule_atoms(gold_rule)
                errors: list[str] = []
                for part in (item["part"], "all"):
                    f = figures[part]
                    f.documents += 1
                    f.no_suggestion += rule is None
                    f.needs_review += bool(suggestion.get("needs_review"))
                    f.tp += len(predicted & gold)
                    f.fp += len(predicted - gold)
                    f.fn += len(gold - predicted)
                    for enterprise in enterprises:
                        truth = evaluate_profile(gold_rule, enterprise, today).outcome.value
                        got = outcomes.get(enterprise.id, Outcome.INELIGIBLE.value)
                        f.pairs += 1
                        f.agree += got == truth
                        f.confusion[(truth, got)] += 1
                        f.true_eligible += truth == Outcome.ELIGIBLE.value
                        if got == Outcome.ELIGIBLE.value:
                            f.suggested_eligible += 1
                            f.eligible_right += truth == Outcome.ELIGIBLE.value
                        if got != Outcome.INELIGIBLE.value:
                            f.pushes += 1
                            f.pushes_right += truth != Outcome.INELIGIBLE.value
                        if part != "all" and got != truth:
                            errors.append(f"{enterprise.id}:{truth[:3]}->{got[:3]}")
                show = verbose if item["part"] == "dev" else verbose_heldout
                if show and (errors or predicted != gold):
                    print(f"[{item['part']}] {item['path'][:70]}\n    +{sorted(predicted & gold)}\n    FP {sorted(predicted - gold)}\n"
                          f"    FN {sorted(gold - predicted)}\n    verdict errors {len(errors)}: {' '.join(errors[:12])}")
        finally:
            service.close()
    return {part: f.as_dict() for part, f in figures.items()}


def _line(part: str, f: dict[str, Any]) -> str:
    tp, fp, fn = f["atoms"]
    return (
        f"{part:8} documents {f['documents']:3}  pairs {f['pairs']:5}  verdict agreement {f['verdict_agreement']:.3f}  "
        f"eligible precision {f['eligible_precision']:.3f} ({f['suggested_eligible']} eligible)  "
        f"push precision {f['push_precision']:.3f} ({f['pushes']} pushes)  eligible recall {f['eligible_recall']:.3f}  "
        f"atoms P {f['atom_precision']:.3f} R {f['atom_recall']:.3f} (tp {tp} fp {fp} fn {fn})  "
        f"no suggestion {f['no_suggestion']}  needs review {f['needs_review']}"
    )


if __name__ == "__main__":
    results = evaluate(verbose="--verbose" in sys.argv, verbose_heldout="--verbose-heldout" in sys.argv)
    for part in (*PARTS, "all"):
        print(_line(part, results[part]))
