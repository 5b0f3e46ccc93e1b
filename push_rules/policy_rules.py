"""A policy's eligibility rule: read it, have one suggested from the text, save a new revision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from push_rules.models import EligibilityRule, PolicyVersion
from push_rules.policy_versions import PolicyVersions
from push_rules.qualification_store import QualificationStore
from push_rules.rule_engine import describe_condition
from push_rules.rule_suggester import RuleSuggester, SuggestedCondition
from push_rules.rules_schema import RuleValidator, iter_leaves


class PolicyRules:
    def __init__(self, sessions: sessionmaker[Session], versions: PolicyVersions, qualifications: QualificationStore) -> None:
        self.sessions = sessions
        self.versions = versions
        self.qualifications = qualifications
        self.suggester = RuleSuggester()

    @property
    def validator(self) -> RuleValidator:
        """A validator over the current qualification catalogue (admins may have added entries)."""
        return RuleValidator(self.qualifications.refresh())

    def get(self, policy_id: str) -> dict[str, Any]:
        """The rule in force for the document's current version (``rules`` None when it has none).

        :raises NotFound: no such document.
        """
        document = self.versions.document(policy_id)
        with self.sessions() as session:
            version = self.versions.ensure(session, document)
            rule = self.versions.latest_rule(session, version)
            session.commit()
            return _rule_out(policy_id, version, rule)

    def suggest(self, policy_id: str) -> dict[str, Any]:
        """A rule read from the document's eligibility clauses, each condition with its evidence sentence and a
        confidence; ``needs_review`` when the suggestion is unsure, ``measures`` one rule per measure of an omnibus
        document. Nothing is saved."""
        document = self.versions.document(policy_id)
        meta = document.metadata
        catalog = self.qualifications.refresh()
        suggestion = self.suggester.suggest(document.text, meta.region, title=meta.title, issuer=meta.issuer, qualifications=catalog)
        validator = RuleValidator(catalog)
        rule = validator.validate(suggestion.rule)
        jurisdiction = suggestion.jurisdiction
        return {
            "policy_id": policy_id,
            "rules": rule,
            "conditions": _suggested_conditions(iter_leaves(rule), suggestion.leaf_conditions()),
            "needs_review": suggestion.needs_review,
            "review_reasons": suggestion.reasons,
            "no_conditions": suggestion.no_conditions,
            "note": suggestion.note,
            "jurisdiction": {
                "region_code": jurisdiction.region.code if jurisdiction and jurisdiction.region else None,
                "region_name": jurisdiction.label if jurisdiction else None,
                "national": bool(jurisdiction and jurisdiction.national),
                "source": jurisdiction.source if jurisdiction else "none",
            },
            "measures": [
                {"heading": m.heading, "rules": (measure_rule := validator.validate(m.rule)),
                 "conditions": _suggested_conditions(iter_leaves(measure_rule), m.conditions)}
                for m in suggestion.measures
            ],
        }

    def save(self, policy_id: str, rule: Any, *, suggested: bool = False) -> dict[str, Any]:
        """Validate ``rule`` and store it as the version's next revision; its ``published`` says whether to rematch.

        :raises ValidationFailed: the rule is invalid (nothing is written).
        :raises NotFound: no such document.
        """
        normalized = self.validator.validate(rule)
        document = self.versions.document(policy_id)
        with self.sessions() as session:
            version = self.versions.ensure(session, document)
            current = session.scalar(select(func.max(EligibilityRule.revision)).where(EligibilityRule.policy_version_id == version.id)) or 0
            saved = EligibilityRule(policy_version_id=version.id, revision=current + 1, rule=normalized, suggested=suggested)
            session.add(saved)
            session.commit()
            return _rule_out(policy_id, version, saved)


def _suggested_conditions(leaves: list[dict[str, Any]], conditions: list[SuggestedCondition]) -> list[dict[str, Any]]:
    return [
        {
            "condition": describe_condition(leaf),
            "evidence": c.evidence,
            "confidence": round(c.confidence, 2),
            "source": c.source,
            "source_label": c.source_label,
            "negated": c.negated,
            "rule": leaf,
        }
        for leaf, c in zip(leaves, conditions, strict=False)
    ]


def _rule_out(policy_id: str, version: PolicyVersion, rule: EligibilityRule | None) -> dict[str, Any]:
    return {
        "policy_id": policy_id,
        "version": version.content_hash,
        "published": version.published_at is not None,
        "revision": rule.revision if rule else None,
        "rules": rule.rule if rule else None,
        "conditions": [describe_condition(leaf) for leaf in iter_leaves(rule.rule)] if rule else [],
    }
