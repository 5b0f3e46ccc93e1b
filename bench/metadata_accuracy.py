"""Accuracy of ``PolicyMetadataExtractor`` against the library manifest, or against the hand-labelled set.

    .venv/bin/python bench/metadata_accuracy.py [--json] [--library PATH] [--show-misses FIELD] [--show-extra FIELD]
    .venv/bin/python bench/metadata_accuracy.py --labelled [--json] [--show-misses all]

``--labelled`` scores title, issuer, doc_number, dates, the status as of 2026-12-01 and the document kind on the
labelled set (``bench/metadata_labelled.py``), its dev and held-out halves apart.

For each field (title, issuer, doc_number, date, region) the accuracy is the share of files with a manifest
value where the extracted value equals it, after normalising brackets and whitespace; for title a looser
"one contains the other" figure is given too; ``date`` matches when the manifest date equals the extracted
written or publish date. ``extra`` counts files where the extractor gives a value and the manifest has null
(the manifest guesses nothing, so these are not errors by themselves: spot-check them with ``--show-extra``).
``formats/`` is skipped (DOCX/PDF need the readers).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from bench.metadata_labelled import measure_labelled, outline_coverage, print_labelled  # noqa: E402
from ingestion.metadata import PolicyMetadataExtractor, normalize_doc_number  # noqa: E402
from policy.types import PolicyMetadata  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LIBRARY = Path(os.environ.get("POLICYKB_LIBRARY", REPO.parent / "shared" / "corpus" / "library"))
_MAX_BYTES = 50 * 1024 * 1024
FIELDS = ("title", "issuer", "doc_number", "date", "region")


@dataclass
class FieldScore:
    total: int = 0  # files whose manifest has a value
    correct: int = 0
    loose: int = 0  # title only: one contains the other
    extra: int = 0  # we give a value, the manifest has null
    missing: int = 0  # the manifest has a value, we give none
    findable: int = 0  # the manifest value occurs in the text at all
    findable_correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {
            "total": self.total,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "missing": self.missing,
            "extra": self.extra,
        }
        if self.loose:
            out["loose_accuracy"] = round(self.loose / self.total, 4) if self.total else 0.0
        out["findable"] = self.findable
        out["accuracy_where_findable"] = round(self.findable_correct / self.findable, 4) if self.findable else 0.0
        return out


@dataclass
class AccuracyReport:
    overall: dict[str, FieldScore] = field(default_factory=lambda: {f: FieldScore() for f in FIELDS})
    by_source: dict[str, dict[str, FieldScore]] = field(default_factory=dict)
    files: int = 0
    seconds: float = 0.0  # wall-clock time of extract() alone (reading the files not included)
    cpu_seconds: float = 0.0  # process CPU time of extract(): steadier than wall time on a shared machine
    misses: dict[str, list[tuple[str, object, object]]] = field(default_factory=lambda: defaultdict(list))
    extras: dict[str, list[tuple[str, object]]] = field(default_factory=lambda: defaultdict(list))

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "extract_seconds": round(self.seconds, 2),
            "extract_cpu_seconds": round(self.cpu_seconds, 2),
            "overall": {f: s.as_dict() for f, s in self.overall.items()},
            "by_source": {src: {f: s.as_dict() for f, s in scores.items()} for src, scores in sorted(self.by_source.items())},
        }


# -- reading the files --------------------------------------------------------------------------------------


def _crude_html(raw: str) -> tuple[str, str | None]:
    """Text of an HTML page by stripping tags, and the title the page declares (ArticleTitle meta or <title>)."""
    hint = None
    meta = re.search(r'<meta\s+name="ArticleTitle"\s+content="([^"]*)"', raw, re.I)
    if meta:
        hint = html.unescape(meta.group(1))
    else:
        title = re.search(r"<title>(.*?)</title>", raw, re.I | re.S)
        if title:
            hint = html.unescape(title.group(1)).strip()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.I | re.S)
    body = re.sub(r"<br\s*/?>|</?(?:p|div|tr|li|h\d|table|section|article)\b[^>]*>", "\n", body, flags=re.I)
    body = re.sub(r"<[^>]+>", "", body)
    body = html.unescape(body)
    body = re.sub(r"[ \t\u3000\xa0]*\n\s*", "\n", body)
    return body.strip(), hint


def read_for_metadata(path: Path) -> tuple[str, str | None]:
    """(text, title_hint) as an uploader's reader would give them; the project's reader when it exists."""
    try:
        from ingestion.readers import read_document  # type: ignore[attr-defined]
    except ImportError:
        read_document = None
    if read_document is not None and path.parent.name == "guangzhou_html":
        try:
            extracted = read_document(path, max_bytes=_MAX_BYTES)
            return extracted.text, extracted.title_hint
        except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the benchmark; it is reported
            print(f"read_document failed on {path}: {exc!r}; using the crude tag strip", file=sys.stderr)
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        return _crude_html(raw)
    if path.parent.name == "guangzhou_html" and raw.startswith("Title:"):  # Jina-reader Markdown
        return raw, raw.split("\n", 1)[0][len("Title:") :].strip()
    return raw, None


# -- comparing ------------------------------------------------------------------------------------------------

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "[", "】": "]", "—": "-", "–": "-", "－": "-", "〈": "<", "〉": ">", "：": ":", "，": ","})


def _norm(s: str) -> str:
    return re.sub(r"[\s\u200b-\u200d\ufeff]", "", s).translate(_BRACKETS)


def _values(meta: PolicyMetadata) -> dict[str, object]:
    return {
        "title": meta.title,
        "issuer": meta.issuer,
        "doc_number": meta.doc_number,
        "date": meta.written_date or meta.publish_date,
        "region": meta.region,
    }


def _in_text(name: str, expected: str, text: str) -> bool:
    """Whether the manifest value is printed in the text at all (the ceiling for a text-only extractor)."""
    if name == "date":
        y, m, d = expected.split("-")
        spellings = (f"{y}年{int(m)}月{int(d)}日", f"{y}年{m}月{d}日", expected, f"{y}.{m}.{d}", f"{y}年{int(m)}月{int(d)}")
        return any(sp in text for sp in spellings)
    if name == "region":
        return True  # a region is derived, never printed as such
    flat = _norm(text)
    return _norm(normalize_doc_number(expected) if name == "doc_number" else expected) in (
        _norm(normalize_doc_number(flat)) if name == "doc_number" else flat
    )


def _matches(name: str, expected: str, meta: PolicyMetadata) -> tuple[bool, bool]:
    """(exact, loose) for one field."""
    if name == "date":
        got = {d.isoformat() for d in (meta.written_date, meta.publish_date) if d}
        return expected in got, expected in got
    value = _values(meta)[name]
    if value is None:
        return False, False
    if name == "doc_number":
        a, b = _norm(normalize_doc_number(expected)), _norm(normalize_doc_number(str(value)))
        return a == b, a == b
    a, b = _norm(expected), _norm(str(value))
    exact = a == b
    return exact, exact or (len(a) >= 4 and len(b) >= 4 and (a in b or b in a))


def measure(
    rows: Iterable[dict[str, object]], library: Path, extractor: PolicyMetadataExtractor | None = None
) -> AccuracyReport:
    """Run the extractor over manifest ``rows`` (``formats/`` rows are skipped) and score it."""
    extractor = extractor or PolicyMetadataExtractor()
    report = AccuracyReport()
    for row in rows:
        rel = str(row["path"])
        if rel.startswith("formats/"):
            continue
        folder = rel.split("/", 1)[0]
        path = library / rel
        text, hint = read_for_metadata(path)
        wall, cpu = time.perf_counter(), time.process_time()
        meta = extractor.extract(text, title_hint=hint, file_name=path.name)
        report.seconds += time.perf_counter() - wall
        report.cpu_seconds += time.process_time() - cpu
        report.files += 1
        scores = report.by_source.setdefault(folder, {f: FieldScore() for f in FIELDS})
        findable = {name: bool(row.get(name)) and _in_text(name, str(row.get(name)), text) for name in FIELDS}
        for name in FIELDS:
            expected = row.get(name)
            got = _values(meta)[name]
            for score in (report.overall[name], scores[name]):
                if expected:
                    score.total += 1
                    exact, loose = _matches(name, str(expected), meta)
                    score.correct += exact
                    if findable[name]:
                        score.findable += 1
                        score.findable_correct += exact
                    if name == "title":
                        score.loose += loose
                    score.missing += got is None
                elif got is not None:
                    score.extra += 1
            if expected and not _matches(name, str(expected), meta)[0]:
                report.misses[name].append((rel, expected, got))
            elif not expected and got is not None:
                report.extras[name].append((rel, got))
    return report


def load_manifest(library: Path) -> list[dict[str, object]]:
    with (library / "manifest.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), None)
        cpu = model or cpu
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def _print_report(report: AccuracyReport) -> None:
    print(f"machine: {machine()}")
    per_file = 1000 * report.cpu_seconds / max(report.files, 1)
    print(
        f"files: {report.files}; extract() took {report.cpu_seconds:.1f} s CPU ({per_file:.2f} ms/file), "
        f"{report.seconds:.1f} s wall (load average {os.getloadavg()[0]:.1f})"
    )
    header = f"{'source':<15}" + "".join(f"{f:>22}" for f in FIELDS)
    print(header)

    def line(label: str, scores: dict[str, FieldScore]) -> str:
        cells = []
        for f in FIELDS:
            s = scores[f]
            if not s.total:
                cells.append(f"{'-':>16} +{s.extra:<4}")
                continue
            extra = f"+{s.extra}"
            cells.append(f"{100 * s.accuracy:5.1f}% of {s.total:<5}{extra:>5}")
        return f"{label:<15}" + "".join(f"{c:>22}" for c in cells)

    print(line("ALL", report.overall))
    for src in sorted(report.by_source):
        print(line(src, report.by_source[src]))
    t = report.overall["title"]
    print(f"title, one contains the other: {100 * t.loose / max(t.total, 1):.1f}%")
    print("where the manifest value is printed in the text at all (the ceiling for reading text):")
    for f in FIELDS[:4]:
        cells = [
            f"{src} {100 * sc[f].findable_correct / sc[f].findable:.1f}% of {sc[f].findable}"
            for src, sc in sorted(report.by_source.items())
            if sc[f].findable
        ]
        o = report.overall[f]
        print(f"  {f:<11} ALL {100 * o.findable_correct / max(o.findable, 1):.1f}% of {o.findable}; " + "; ".join(cells))
    print("(+N: files where the extractor gives a value and the manifest has null)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--source", help="only this source folder (ncp, laws, …)")
    parser.add_argument("--show-misses", metavar="FIELD", help="list files where FIELD differs from the manifest")
    parser.add_argument("--show-extra", metavar="FIELD", help="list files where FIELD is set and the manifest has null")
    parser.add_argument("--limit", type=int, default=40, help="how many to list")
    parser.add_argument("--labelled", action="store_true", help="score the hand-labelled set instead of the manifest")
    args = parser.parse_args(argv)

    if args.labelled:
        scores, cpu = measure_labelled(args.library, read_for_metadata)
        in_outline, articles = outline_coverage(args.library)
        if args.json:
            figures = {k: s.as_dict() for k, s in scores.items()}
            print(json.dumps({"machine": machine(), **figures, "outline_articles": {"found": in_outline, "of": articles}}, ensure_ascii=False, indent=1))
        else:
            print_labelled(scores, cpu, show_misses=bool(args.show_misses))
            print(f"outline: {in_outline} of {articles} articles of the labelled laws ({100 * in_outline / max(articles, 1):.1f}%)")
        return 0

    rows = load_manifest(args.library)
    if args.source:
        rows = [r for r in rows if str(r["path"]).split("/", 1)[0] == args.source]
    report = measure(rows, args.library)
    if args.json:
        print(json.dumps({"machine": machine(), **report.as_dict()}, ensure_ascii=False, indent=1))
    else:
        _print_report(report)
    if args.show_misses:
        for rel, expected, got in report.misses[args.show_misses][: args.limit]:
            print(f"MISS {rel}\n     manifest: {expected}\n     ours:     {got}")
    if args.show_extra:
        for rel, got in report.extras[args.show_extra][: args.limit]:
            print(f"EXTRA {rel}: {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
