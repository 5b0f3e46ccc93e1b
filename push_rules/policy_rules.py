"""A policy's eligibility rule: read it, have one suggested from the text, save a new revision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from push_rules.models import EligibilityRule, PolicyVersion
from push_rules.policy_versions import PolicyVersions
from push_rules.rule_engine import describe_condition
from push_rules.rule_suggester import RuleSuggester
from push_rules.rules_schema import RuleValidator, iter_leaves


class PolicyRules:
    def __init__(self, sessions: sessionmaker[Session], versions: PolicyVersions) -> None:
        self.sessions = sessions
        self.versions = versions
        self.validator = RuleValidator()
        self.suggester = RuleSuggester()

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
        """Conditions read from the document's text, each with its evidence sentence; nothing is saved."""
        document = self.versions.document(policy_id)
        suggestion = self.suggester.suggest(document.text, region_hint=document.metadata.region)
        rule = self.validator.validate(suggestion.rule) if suggestion.conditions else None
        return {
            "policy_id": policy_id,
            "rules": rule,
            "conditions": [
                {"condition": describe_condition(leaf), "evidence": ev} for leaf, ev in zip(iter_leaves(rule), suggestion.evidence)
            ]
            if rule
            else [],
            "note": "以下条件由系统从申报条件/支持对象/适用范围等段落中提取，请工作人员逐条核对后保存。" if rule else "未能从文本中识别出申报条件，请手动编写规则。",
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


def _rule_out(policy_id: str, version: PolicyVersion, rule: EligibilityRule | None) -> dict[str, Any]:
    return {
        "policy_id": policy_id,
        "version": version.content_hash,
        "published": version.published_at is not None,
        "revision": rule.revision if rule else None,
        "rules": rule.rule if rule else None,
        "conditions": [describe_condition(leaf) for leaf in iter_leaves(rule.rule)] if rule else [],
    }
