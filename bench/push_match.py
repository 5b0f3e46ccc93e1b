"""Benchmark of targeted-push matching: 100k synthetic enterprise profiles, 1 and 1,000 policies.

Run: ``.venv/bin/python bench/push_match.py [--enterprises 100000] [--policies 1000] [--database-url URL]``.
Prints the machine, then: profile load (snapshot), matching one newly published policy (evaluation + storing
its matches), recomputing all matches of N policies, publishing one policy with push records, and peak RSS.
The profiles are synthetic (benchmark only): regions weighted towards 呼和浩特 and the other sample cities,
industries by a rough share of registered enterprises, log-normal employees/revenue/assets, ~10 % of each
field missing, qualifications at realistic rates.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text, update  # noqa: E402

from index.types import PolicyDocument  # noqa: E402
from policy.types import PolicyMetadata  # noqa: E402
from push_rules.credit_code import make_credit_code  # noqa: E402
from push_rules.enterprise_size import EnterpriseSizeClassifier  # noqa: E402
from push_rules.matcher import match_columns  # noqa: E402
from push_rules.models import Counter, EligibilityRule, Enterprise, PolicyVersion  # noqa: E402
from push_rules.qualifications import QUALIFICATIONS  # noqa: E402
from push_rules.regions import RegionTable  # noqa: E402
from push_rules.rules_schema import RuleValidator  # noqa: E402
from push_rules.service import PushService  # noqa: E402
from push_rules.settings import PushSettings  # noqa: E402

INDUSTRIES = [  # (code, weight)
    ("F5211", 14), ("F5191", 10), ("F5123", 4), ("L7212", 9), ("L7281", 4), ("I6513", 5), ("I6531", 3), ("I6421", 2),
    ("C3911", 1), ("C3311", 2), ("C1310", 2), ("C2929", 2), ("C3499", 2), ("C2710", 1), ("M7320", 3), ("M7491", 3),
    ("H6210", 6), ("H6110", 2), ("E4811", 3), ("E5011", 2), ("G5430", 3), ("G5920", 1), ("K7010", 1), ("K7020", 2),
    ("A0111", 2), ("A0313", 2), ("O8010", 3), ("R8810", 1), ("P8391", 1), ("D4411", 1), ("B0610", 1), ("J6621", 1),
]
QUAL_RATES = {"high_tech": 0.06, "tech_sme": 0.08, "innovative_sme": 0.04, "srdi_sme": 0.02, "little_giant": 0.003, "gazelle": 0.005, "unicorn": 0.0002, "advanced_tech_service": 0.002, "enterprise_tech_center": 0.01, "agri_leading": 0.005, "listed": 0.002}


def regions_weighted() -> list[tuple[str, float]]:
    table = RegionTable.default()
    counties = [c for c in table._rows if not c.endswith("00")]  # noqa: SLF001 - benchmark only
    weights = []
    for code in counties:
        if code.startswith("1501"):
            weights.append((code, 40.0))  # 呼和浩特
        elif code.startswith("15"):
            weights.append((code, 6.0))  # rest of Inner Mongolia
        elif code.startswith(("4401", "1101", "3401", "3201")):
            weights.append((code, 4.0))
        else:
            weights.append((code, 0.2))
    return weights


def synthetic_profiles(n: int, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    regions = regions_weighted()
    region_codes, region_w = zip(*regions, strict=True)
    industry_codes, industry_w = zip(*INDUSTRIES, strict=True)
    classify = EnterpriseSizeClassifier.default().classify
    today = date.today()
    rows = []
    for i in range(n):
        industry = rng.choices(industry_codes, industry_w)[0]
        employees = int(rng.lognormvariate(2.3, 1.3))
        revenue = round(rng.lognormvariate(5.5, 1.9), 1)
        assets = round(revenue * rng.uniform(0.4, 3.0), 1)
        missing = lambda: rng.random() < 0.1  # noqa: E731
        row = {
            "credit_code": make_credit_code("150102", f"B{i:07d}"),
            "name": f"合成企业{i:06d}",
            "region_code": None if missing() else rng.choices(region_codes, region_w)[0],
            "industry_code": None if missing() else industry,
            "established_on": None if missing() else today - timedelta(days=int(rng.expovariate(1 / 2500)) + 1),
            "registered_capital": None if missing() else round(rng.lognormvariate(5, 1.5), 1),
            "employees": None if missing() else employees,
            "annual_revenue": None if missing() else revenue,
            "total_assets": None if missing() else assets,
            "qualifications": None if rng.random() < 0.3 else sorted(q for q, p in QUAL_RATES.items() if rng.random() < p * 3),
            "interest_topics": [],
            "interest_keywords": [],
        }
        size = classify(row["industry_code"], employees=row["employees"], revenue=row["annual_revenue"], assets=row["total_assets"]).size
        row["size"] = size.value if size else None
        rows.append(row)
    return rows


def synthetic_rule(rng: random.Random) -> dict:
    cities = ["150100", "150200", "150300", "150600", "150000", "440100", "110000", "150105", "150121"]
    conditions: list[dict] = [{"op": "region_within", "value": rng.choice(cities)}]
    if rng.random() < 0.7:
        conditions.append({"op": "in", "field": "size", "value": rng.choice([["medium", "small", "micro"], ["small", "micro"], ["micro"]])})
    if rng.random() < 0.5:
        conditions.append({"op": "years_since", "min": rng.choice([1, 2, 3, 5])})
    if rng.random() < 0.4:
        conditions.append({"op": "range", "field": rng.choice(["annual_revenue", "employees"]), "min": rng.choice([10, 50, 100, 500])})
    if rng.random() < 0.5:
        conditions.append({"any": [{"op": "has_qualification", "value": rng.sample(list(QUALIFICATIONS), 2)}, {"op": "industry_prefix", "value": rng.choice([["C"], ["I65", "M"], ["F52", "H"], ["A"]])}]})
    return {"all": conditions}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}")
    workdir = Path(tempfile.mkdtemp(prefix="push-bench-"))
    corpus = [p for p in sorted((ROOT.parent / "shared" / "corpus" / "library" / "ncp").glob("*.txt"))[:50]] or [ROOT / "README.md"]
    documents: dict[str, PolicyDocument] = {}

    def lookup(doc_id: str) -> PolicyDocument | None:
        return documents.get(doc_id)

    service = PushService(PushSettings(data_dir=workdir, database_url=args.database_url), lookup, tokenize=lambda t: list(set(t)))
    print(f"database: {service.engine.url.render_as_string(hide_password=True)}")

    started = time.perf_counter()
    rows = synthetic_profiles(args.enterprises)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    with service.sessions.begin() as session:
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Enterprise), rows[start : start + 10_000])
        session.execute(update(Counter).where(Counter.name == "profiles").values(value=Counter.value + 1))
    print(f"profiles: {len(rows):,} generated in {generated:.1f} s, inserted in {time.perf_counter() - started:.1f} s")
    del rows

    started = time.perf_counter()
    columns = service.snapshots.current()
    print(f"snapshot load (cold, once per profile change): {time.perf_counter() - started:.3f} s, {sum(a.nbytes for a in [columns.ids, columns.region, columns.industry_section, columns.industry_digits, columns.industry_level, columns.size, columns.established, columns.qual_bits, columns.qual_known, *columns.numeric.values()]) / 1e6:.1f} MB of arrays")

    rng = random.Random(1)
    validator = RuleValidator()
    rules = [validator.validate(synthetic_rule(rng)) for _ in range(args.policies)]
    for i in range(args.policies):
        text_ = corpus[i % len(corpus)].read_text(encoding="utf-8")
        documents[f"bench-{i}"] = PolicyDocument(f"bench-{i}", f"bench/{i}", hashlib.sha256(f"{i}".encode()).hexdigest(), "txt", text_, PolicyMetadata(title=f"基准政策{i}", region="内蒙古自治区呼和浩特市"))

    # one newly published policy (rule saved, then publish computes + stores its matches and pushes)
    service.save_rules("bench-0", rules[0])
    started = time.perf_counter()
    match_columns(rules[0], service.snapshots.current())
    eval_s = time.perf_counter() - started
    started = time.perf_counter()
    summary = service.match_policy("bench-0")
    match_s = time.perf_counter() - started
    print(f"one policy vs {args.enterprises:,} profiles: evaluation {eval_s * 1000:.1f} ms; evaluation + storing {summary.eligible + summary.incomplete:,} matches {match_s:.3f} s "
          f"(eligible {summary.eligible:,}, incomplete {summary.incomplete:,})")

    started = time.perf_counter()
    published = service.publish("bench-0")
    print(f"publish bench-0 (match again + {published.pushes_created:,} push records with explanations + inbox): {time.perf_counter() - started:.2f} s")

    # 1,000 policies: rules saved directly (as after a bulk import), then every match recomputed
    with service.sessions.begin() as session:
        for i in range(1, args.policies):
            version = PolicyVersion(doc_id=f"bench-{i}", content_hash=documents[f"bench-{i}"].content_hash, title=f"基准政策{i}", tags=[])
            session.add(version)
            session.flush()
            session.add(EligibilityRule(policy_version_id=version.id, revision=1, rule=rules[i]))
    started = time.perf_counter()
    total_matches = 0
    eval_total = 0.0
    for i in range(args.policies):
        summary = service.match_policy(f"bench-{i}", document=documents[f"bench-{i}"])
        total_matches += summary.eligible + summary.incomplete
    all_s = time.perf_counter() - started
    print(f"recompute all: {args.policies:,} policies x {args.enterprises:,} profiles in {all_s:.1f} s "
          f"({all_s / args.policies * 1000:.1f} ms per policy), {total_matches:,} match rows stored")
    started = time.perf_counter()
    for rule in rules:
        match_columns(rule, columns)
    eval_total = time.perf_counter() - started
    print(f"  of which pure evaluation (numpy, no storage): {eval_total:.1f} s")
    with service.engine.connect() as conn:
        stored = conn.execute(text("select count(*) from push_matches")).scalar()
    print(f"push_matches rows: {stored:,}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    service.close()


if __name__ == "__main__":
    main()
