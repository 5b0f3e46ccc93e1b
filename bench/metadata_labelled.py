"""Metadata and validity against the hand-labelled set ``bench/metadata_labels.jsonl`` (issue 22).

Each row was labelled by reading the document: title, issuer (the full name of the organ with its jurisdiction),
doc_number, publish/effective/expiry dates, the status as of ``AS_OF`` and the kind (政策文件/政策解读/新闻报道);
``end`` says how a time-limited measure ends (event, unstated, fixed, relative). A value may be a list of accepted
values; ``"?"`` means the value exists but the text does not state it (not scored); ``null`` means the document has
none, so the extractor must give none. ``split`` is ``dev`` (tuned on) or ``heldout`` (never tuned on).

Versions of the same law are linked over the whole set before scoring, as the library links them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingestion.metadata import PolicyMetadataExtractor, normalize_doc_number
from ingestion.metadata.versions import VersionedDocument, link_versions
from ingestion.outline import document_outline
from policy.types import PolicyMetadata, current_status

LABELS = Path(__file__).resolve().parent / "metadata_labels.jsonl"
AS_OF = date(2026, 12, 1)
FIELDS = ("title", "issuer", "doc_number", "publish_date", "effective_date", "expiry_date", "status", "kind")
NOT_STATED = "?"


@dataclass
class SplitScore:
    correct: dict[str, int] = field(default_factory=lambda: {f: 0 for f in FIELDS})
    total: dict[str, int] = field(default_factory=lambda: {f: 0 for f in FIELDS})
    event_bound: int = 0
    event_uncertain: int = 0
    event_in_force: int = 0
    misses: list[tuple[str, str, object, object]] = field(default_factory=list)

    def accuracy(self, name: str) -> float:
        return self.correct[name] / self.total[name] if self.total[name] else 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f: {"accuracy": round(self.accuracy(f), 4), "of": self.total[f]} for f in FIELDS}
        out["event_bound"] = {
            "documents": self.event_bound,
            "marked_uncertain": round(self.event_uncertain / self.event_bound, 4) if self.event_bound else 0.0,
            "shown_in_force": self.event_in_force,
        }
        return out


def _norm(value: str) -> str:
    value = re.sub(r"[\s\u200b-\u200d\ufeff、，,]", "", value)
    return value.translate(str.maketrans("（）【】—–－：", "()[]---:"))


def _same(name: str, expected: object, got: object) -> bool:
    accepted = expected if isinstance(expected, list) else [expected]
    if got is None:
        return None in accepted
    if isinstance(got, date):
        got = got.isoformat()
    text = str(got)
    for value in accepted:
        if value is None:
            continue
        if name == "doc_number":
            if _norm(normalize_doc_number(str(value))) == _norm(normalize_doc_number(text)):
                return True
        elif _norm(str(value)) == _norm(text):
            return True
    return False


def _observed(meta: PolicyMetadata) -> dict[str, object]:
    kind = getattr(meta, "kind", None)
    return {
        "title": meta.title,
        "issuer": meta.issuer,
        "doc_number": meta.doc_number,
        "publish_date": meta.publish_date,
        "effective_date": meta.effective_date,
        "expiry_date": meta.expiry_date,
        "status": current_status(meta, AS_OF).value,
        "kind": getattr(kind, "value", kind),
    }


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def measure_labelled(
    library: Path,
    read: Callable[[Path], tuple[str, str | None]],
    rows: list[dict[str, Any]] | None = None,
    extractor: PolicyMetadataExtractor | None = None,
) -> tuple[dict[str, SplitScore], float]:
    """Scores per split (``dev``, ``heldout``) and the CPU seconds extraction took."""
    rows = rows if rows is not None else load_labels()
    extractor = extractor or PolicyMetadataExtractor()
    extracted: list[tuple[dict[str, Any], PolicyMetadata]] = []
    cpu = 0.0
    for row in rows:
        path = library / row["path"]
        text, hint = read(path)
        start = time.process_time()
        extracted.append((row, extractor.extract(text, title_hint=hint, file_name=path.name, today=AS_OF)))
        cpu += time.process_time() - start
    link_versions([VersionedDocument(row["path"], meta) for row, meta in extracted])
    scores = {"dev": SplitScore(), "heldout": SplitScore()}
    for row, meta in extracted:
        score = scores[row["split"]]
        observed = _observed(meta)
        for name in FIELDS:
            expected = row.get(name)
            if expected == NOT_STATED or (name == "status" and expected is None):
                continue
            score.total[name] += 1
            if _same(name, expected, observed[name]):
                score.correct[name] += 1
            else:
                score.misses.append((row["path"], name, expected, observed[name]))
        if row.get("end") in ("event", "unstated"):
            score.event_bound += 1
            score.event_uncertain += observed["status"] == "时效不确定"
            score.event_in_force += observed["status"] == "现行有效"
    return scores, cpu


_ARTICLE_LINE_RE = re.compile(r"^[ \t\u3000#]*第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?(?=[ \t\u3000　])", re.M)


def outline_coverage(library: Path, rows: list[dict[str, Any]] | None = None) -> tuple[int, int]:
    """(articles in the outline, articles printed at a line start) over the labelled laws."""
    rows = rows if rows is not None else load_labels()
    found = printed = 0
    for row in rows:
        if not row["path"].startswith("laws/"):
            continue
        text = (library / row["path"]).read_text(encoding="utf-8")
        labels = {m.group().strip(" \t\u3000#") for m in _ARTICLE_LINE_RE.finditer(text)}
        outline = {entry.label for entry in document_outline(text)}
        printed += len(labels)
        found += len(labels & outline)
    return found, printed


def print_labelled(scores: dict[str, SplitScore], cpu: float, show_misses: bool = False) -> None:
    files = sum(s.total["kind"] for s in scores.values())
    print(f"labelled set: {files} documents, status as of {AS_OF.isoformat()}; extract() took {cpu:.1f} s CPU")
    print(f"{'field':<16}" + "".join(f"{split:>18}" for split in scores))
    for name in FIELDS:
        cells = "".join(f"{100 * s.accuracy(name):8.1f}% of {s.total[name]:<4}" for s in scores.values())
        print(f"{name:<16}{cells}")
    cells = "".join(
        f"{100 * s.event_uncertain / max(s.event_bound, 1):8.1f}% of {s.event_bound:<4}" for s in scores.values()
    )
    print(f"{'event-bound→不确定':<14}{cells}")
    print("event-bound ends shown 现行有效: " + ", ".join(f"{k} {s.event_in_force}" for k, s in scores.items()))
    if show_misses:
        for split, score in scores.items():
            for path, name, expected, got in score.misses:
                print(f"MISS [{split}] {name:<14} {path}\n     labelled: {expected}\n     ours:     {got}")
