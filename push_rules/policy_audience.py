"""A policy's audience for staff: which enterprises its rule makes eligible, incomplete or excluded, and why.

Evaluated afresh over all profiles (the columnar snapshot, so 100k profiles take milliseconds) with the rule in
force for the document's current version (or the one saved by ``as_of``). Each excluded enterprise lists the
conditions it does not meet; each incomplete one what it should add. Answers JSON or CSV::

    audience = PolicyAudience(sessions, versions, snapshots)
    audience.report("doc-1", include_excluded=True)   # {"counts": {...}, "eligible": [...], ...}
    audience.csv("doc-1")                             # one row per enterprise
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from push_rules.errors import NotFound
from push_rules.matcher import verdicts
from push_rules.models import EligibilityRule, Enterprise
from push_rules.policy_versions import PolicyVersions
from push_rules.profile_columns import ProfileSnapshotCache
from push_rules.regions import RegionTable
from push_rules.rule_engine import ConditionState, Outcome, evaluate_leaf
from push_rules.rules_schema import iter_leaves, leaf_negations

MAX_LISTED = 2000  # enterprises listed per outcome in JSON; counts are always complete, CSV lists all
_OUTCOME_ORDER = (Outcome.ELIGIBLE, Outcome.INCOMPLETE, Outcome.INELIGIBLE)
_CSV_HEADER = ["结果", "企业编号", "企业名称", "统一社会信用代码", "注册地", "不满足的条件", "待完善的信息"]


@dataclass(frozen=True)
class _Evaluated:
    rule: dict[str, Any]
    info: dict[str, Any]
    ids: np.ndarray
    outcome: np.ndarray  # index into _OUTCOME_ORDER per profile
    codes: np.ndarray
    today: date


class PolicyAudience:
    def __init__(self, sessions: sessionmaker[Session], versions: PolicyVersions, snapshots: ProfileSnapshotCache) -> None:
        self.sessions = sessions
        self.versions = versions
        self.snapshots = snapshots

    def report(self, policy_id: str, *, include_excluded: bool = False, as_of: date | None = None, limit: int = MAX_LISTED) -> dict[str, Any]:
        """Counts per outcome and the enterprises of each (excluded ones only when asked), with their reasons.

        :raises NotFound: no such document, or it has no rule yet.
        """
        evaluated = self._evaluate(policy_id, as_of)
        out: dict[str, Any] = {**evaluated.info, "counts": {o.value: int((evaluated.outcome == k).sum()) for k, o in enumerate(_OUTCOME_ORDER)}}
        for k, outcome in enumerate(_OUTCOME_ORDER):
            if outcome is Outcome.INELIGIBLE and not include_excluded:
                continue
            out[outcome.value] = self._rows(evaluated, np.flatnonzero(evaluated.outcome == k)[:limit])
        out["rules"] = evaluated.rule
        return out

    def preview(self, rule: dict[str, Any], *, sample: int = 5) -> dict[str, Any]:
        """How many enterprises a (validated, unsaved) rule makes eligible and incomplete, with a few of them, for the
        staff's rule editor: 这条规则下，N 家企业符合、M 家待完善."""
        today = date.today()
        cols = self.snapshots.current()
        result = verdicts(rule, cols, today)
        outcome = np.where(result.met, 0, np.where(result.failed, 2, 1))
        evaluated = _Evaluated(rule, {}, cols.ids, outcome, result.codes, today)
        eligible, incomplete = int((outcome == 0).sum()), int((outcome == 1).sum())
        return {
            "eligible": eligible,
            "incomplete": incomplete,
            "ineligible": int((outcome == 2).sum()),
            "text": f"这条规则下，{eligible} 家企业符合、{incomplete} 家待完善",
            "sample": [
                {"enterprise_id": r["enterprise_id"], "name": r["name"], "outcome": r["outcome"], "outcome_label": r["outcome_label"], "missing_information": r["missing_information"]}
                for r in self._rows(evaluated, np.concatenate([np.flatnonzero(outcome == 0)[:sample], np.flatnonzero(outcome == 1)[:sample]]))
            ],
        }

    def csv(self, policy_id: str, *, include_excluded: bool = True, as_of: date | None = None) -> str:
        """Every enterprise the rule reaches (and, by default, those it excludes) as CSV, UTF-8 with a BOM so that
        spreadsheet programs read the Chinese."""
        evaluated = self._evaluate(policy_id, as_of)
        keep = evaluated.outcome != 2 if not include_excluded else np.ones(len(evaluated.outcome), dtype=bool)
        order = np.argsort(evaluated.outcome, kind="stable")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_CSV_HEADER)
        for row in self._rows(evaluated, order[keep[order]]):
            writer.writerow([
                row["outcome_label"], row["enterprise_id"], row["name"], row["credit_code"], row["region_name"] or "",
                "；".join(row["unmet_conditions"]), "；".join(row["missing_information"]),
            ])
        return "\ufeff" + buffer.getvalue()

    def _evaluate(self, policy_id: str, as_of: date | None) -> _Evaluated:
        today = as_of or date.today()
        document = self.versions.document(policy_id)
        with self.sessions() as session:
            version = self.versions.ensure(session, document)
            query = select(EligibilityRule).where(EligibilityRule.policy_version_id == version.id)
            if as_of is not None:
                query = query.where(EligibilityRule.created_at < datetime.combine(as_of + timedelta(days=1), time.min))
            rule = session.scalar(query.order_by(EligibilityRule.revision.desc()).limit(1))
            if rule is None and as_of is None:
                rule = self.versions.latest_rule(session, version)
            session.commit()
            if rule is None:
                raise NotFound(f"政策文件 {policy_id} 尚未设置申报条件规则" + (f"（截至{as_of.isoformat()}）" if as_of else ""))
            info = {"policy_id": policy_id, "version": version.content_hash, "title": version.title, "revision": rule.revision,
                    "published": version.published_at is not None, "as_of": today.isoformat()}
            body = rule.rule
        cols = self.snapshots.current()
        result = verdicts(body, cols, today)
        outcome = np.where(result.met, 0, np.where(result.failed, 2, 1))
        return _Evaluated(body, info, cols.ids, outcome, result.codes, today)

    def _rows(self, evaluated: _Evaluated, indices: np.ndarray) -> list[dict[str, Any]]:
        """The listed enterprises (positions in the snapshot) with what excluded them or what they should add."""
        leaves = iter_leaves(evaluated.rule)
        negated = leaf_negations(evaluated.rule)
        ids = [int(evaluated.ids[i]) for i in indices]
        regions = RegionTable.default()
        rows = []
        with self.sessions() as session:
            enterprises: dict[int, Enterprise] = {}
            for start in range(0, len(ids), 500):
                enterprises.update({e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids[start : start + 500])))})
            for i, enterprise_id in zip(indices.tolist(), ids, strict=True):
                enterprise = enterprises.get(enterprise_id)
                if enterprise is None:
                    continue
                kind = _OUTCOME_ORDER[int(evaluated.outcome[i])]
                unmet, missing = [], []
                for j, leaf in enumerate(leaves):
                    code = chr(evaluated.codes[i, j])
                    shown = {"Y": "N", "N": "Y"}.get(code, code) if negated[j] else code
                    if shown == "Y":
                        continue
                    explanation = evaluate_leaf(leaf, enterprise, evaluated.today)
                    condition = f"不满足：{explanation.condition}" if negated[j] else explanation.condition
                    if shown == "N" and kind is Outcome.INELIGIBLE:
                        unmet.append(f"{condition}（{explanation.detail}）")
                    elif shown == ConditionState.UNKNOWN.value and kind is not Outcome.INELIGIBLE:
                        missing.append(explanation.detail)
                region = regions.get(enterprise.region_code) if enterprise.region_code else None
                rows.append({
                    "enterprise_id": enterprise_id, "name": enterprise.name, "credit_code": enterprise.credit_code,
                    "region_name": region.full_name if region else None, "outcome": kind.value, "outcome_label": kind.label,
                    "unmet_conditions": unmet, "missing_information": missing,
                })
        return rows
