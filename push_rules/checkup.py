"""政策体检: every published policy in force an enterprise qualifies for now, or would with more data.

Pushes go out when a policy is published; an enterprise that registers or changes its profile later finds the
policies already published here instead of in its inbox (no flood of old ones). Each policy's latest published
version is evaluated with its rule in force against the current profile, on ``as_of`` (today by default), and
explained condition by condition; incomplete ones say what to add::

    checkup = PolicyCheckup(sessions, versions)
    checkup.run(enterprise_id)   # {"eligible": [...], "incomplete": [...], "counts": {...}, "as_of": "2026-11-27"}
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from policy.types import ValidityStatus, current_status
from push_rules.enterprises import load_enterprise
from push_rules.models import EligibilityRule, PolicyVersion
from push_rules.policy_versions import PolicyVersions
from push_rules.rule_engine import ConditionState, Outcome, evaluate_profile


class PolicyCheckup:
    def __init__(self, sessions: sessionmaker[Session], versions: PolicyVersions) -> None:
        self.sessions = sessions
        self.versions = versions

    def run(self, enterprise_id: int, as_of: date | None = None) -> dict[str, Any]:
        """The enterprise's eligible policies (first) and incomplete ones, each with its explanation.

        :raises NotFound: no such enterprise.
        """
        as_of = as_of or date.today()
        with self.sessions() as session:
            enterprise = load_enterprise(session, enterprise_id)
            out: dict[str, list[dict[str, Any]]] = {Outcome.ELIGIBLE.value: [], Outcome.INCOMPLETE.value: []}
            for version, rule in self._published_rules(session):
                if not self._in_force(version.doc_id, as_of):
                    continue
                evaluation = evaluate_profile(rule.rule, enterprise, as_of)
                if evaluation.outcome is Outcome.INELIGIBLE:
                    continue
                out[evaluation.outcome.value].append(
                    {
                        "policy_id": version.doc_id,
                        "doc_id": version.doc_id,
                        "version": version.content_hash,
                        "title": version.title,
                        "issuer": version.issuer,
                        "published_at": version.published_at,
                        "outcome": evaluation.outcome.value,
                        "outcome_label": evaluation.outcome.label,
                        "conditions": [c.as_dict() for c in evaluation.conditions],
                        "missing_information": [c.detail for c in evaluation.conditions if c.state is ConditionState.UNKNOWN],
                        "rule_revision": rule.revision,
                    }
                )
        for items in out.values():
            items.sort(key=lambda item: item["published_at"], reverse=True)
        return {
            "enterprise_id": enterprise_id,
            "as_of": as_of.isoformat(),
            "eligible": out[Outcome.ELIGIBLE.value],
            "incomplete": out[Outcome.INCOMPLETE.value],
            "counts": {key: len(items) for key, items in out.items()},
        }

    @staticmethod
    def _published_rules(session: Session) -> list[tuple[PolicyVersion, EligibilityRule]]:
        """Each document's latest published version with its latest rule revision."""
        latest_version = (
            select(func.max(PolicyVersion.id)).where(PolicyVersion.published_at.is_not(None)).group_by(PolicyVersion.doc_id)
        )
        latest_rule = (
            select(EligibilityRule.policy_version_id, func.max(EligibilityRule.revision).label("revision"))
            .group_by(EligibilityRule.policy_version_id)
            .subquery()
        )
        rows = session.execute(
            select(PolicyVersion, EligibilityRule)
            .join(EligibilityRule, EligibilityRule.policy_version_id == PolicyVersion.id)
            .join(latest_rule, (latest_rule.c.policy_version_id == EligibilityRule.policy_version_id) & (latest_rule.c.revision == EligibilityRule.revision))
            .where(PolicyVersion.id.in_(latest_version))
        ).all()
        return [(version, rule) for version, rule in rows]

    def _in_force(self, doc_id: str, as_of: date) -> bool:
        document = self.versions.lookup(doc_id)
        return document is not None and current_status(document.metadata, as_of) is ValidityStatus.IN_FORCE
