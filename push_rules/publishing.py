"""Matching and publishing: a policy version against all profiles, a profile against all rules, and the pushes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from itertools import islice, repeat
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from index.types import PolicyDocument
from push_rules.errors import ValidationFailed
from push_rules.matcher import RuleMatches, match_columns
from push_rules.models import EligibilityRule, Enterprise, Match, PolicyVersion, utcnow
from push_rules.policy_versions import PolicyVersions
from push_rules.profile_columns import ProfileSnapshotCache
from push_rules.push_records import PushWriter
from push_rules.rule_engine import Outcome, evaluate_profile
from push_rules.subscriptions import SubscriptionMatcher


@dataclass
class MatchSummary:
    policy_id: str
    version_id: int
    evaluated: int
    eligible: int
    incomplete: int
    pushes_created: int = 0
    subscribed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Publisher:
    def __init__(
        self,
        engine: Engine,
        sessions: sessionmaker[Session],
        versions: PolicyVersions,
        snapshots: ProfileSnapshotCache,
        subscription_matcher: SubscriptionMatcher,
        pushes: PushWriter,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.versions = versions
        self.snapshots = snapshots
        self.subscription_matcher = subscription_matcher
        self.pushes = pushes

    def publish(self, policy_id: str) -> MatchSummary:
        """Publish the document's current version: match it, then push it to every qualifying or subscribed enterprise."""
        document = self.versions.document(policy_id)
        with self.sessions() as session:
            version = self.versions.ensure(session, document)
            if version.published_at is None:
                version.published_at = utcnow()
            self.versions.latest_rule(session, version)
            session.commit()
        return self.match_policy(policy_id, document=document)

    def match_policy(self, policy_id: str, *, document: PolicyDocument | None = None, today: date | None = None) -> MatchSummary:
        """Recompute the matches of the document's current version; when it is published, push to new matches.

        :raises ValidationFailed: the version is unpublished and has no rule.
        """
        started = time.perf_counter()
        document = document or self.versions.document(policy_id)
        with self.sessions() as session:
            version = self.versions.ensure(session, document)
            rule = self.versions.latest_rule(session, version)
            session.commit()
            version_id, published = version.id, version.published_at is not None
            rule_body, revision = (rule.rule, rule.revision) if rule else (None, 0)
        if rule_body is None and not published:
            raise ValidationFailed("该政策尚未设置申报条件规则，请先保存规则或发布后按订阅推送")
        eligible_ids: list[int] = []
        incomplete_ids: list[int] = []
        evaluated = 0
        if rule_body is not None:
            result = match_columns(rule_body, self.snapshots.current(), today)
            evaluated = result.evaluated
            self._store_matches(version_id, revision, result)
            ids = result.enterprise_ids
            eligible_ids = ids[result.eligible].tolist()
            incomplete_ids = ids[~result.eligible].tolist()
        summary = MatchSummary(policy_id, version_id, evaluated, len(eligible_ids), len(incomplete_ids))
        if published:
            targets: dict[int, list[str]] = {eid: [Outcome.ELIGIBLE.value] for eid in eligible_ids}
            targets.update({eid: [Outcome.INCOMPLETE.value] for eid in incomplete_ids})
            with self.sessions() as session:
                version = session.get_one(PolicyVersion, version_id)
                facts = self.subscription_matcher.facts(version, document.text)
                subscribed = self.subscription_matcher.match(session, facts)
            summary.subscribed = len(subscribed)
            for eid, reasons in subscribed.items():
                targets.setdefault(eid, []).extend(reasons)
            summary.pushes_created = self.pushes.create(version_id, targets, rule_body)
        summary.seconds = round(time.perf_counter() - started, 4)
        return summary

    def _store_matches(self, version_id: int, revision: int, result: RuleMatches) -> None:
        """Replace a version's matches: plain driver ``executemany`` over a generator of tuples, no per-row objects."""
        columns = ("policy_version_id", "enterprise_id", "outcome", "condition_states", "rule_revision", "computed_at")
        sqlite = self.engine.dialect.name == "sqlite"
        marker = "?" if sqlite else "%s"
        statement = f"INSERT INTO {Match.__tablename__} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
        now = utcnow()
        stamp: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
        outcomes = (Outcome.ELIGIBLE.value, Outcome.INCOMPLETE.value)
        rows = zip(
            repeat(version_id),
            result.enterprise_ids.tolist(),
            (outcomes[0] if ok else outcomes[1] for ok in result.eligible.tolist()),
            result.condition_states,
            repeat(revision),
            repeat(stamp),
        )
        with self.engine.begin() as conn:
            conn.execute(delete(Match).where(Match.policy_version_id == version_id))
            while batch := list(islice(rows, 50_000)):
                conn.exec_driver_sql(statement, batch)

    def recompute_enterprise(self, enterprise_id: int, today: date | None = None) -> int:
        """Re-evaluate one profile against every version with a rule and store its matches; returns how many it
        matches (eligible or incomplete).

        Nothing is pushed: pushes are for newly published policies; the policies already published that a new or
        changed profile qualifies for are its 政策体检 (:mod:`push_rules.checkup`).
        """
        with self.sessions() as session:
            enterprise = session.get(Enterprise, enterprise_id)
            if enterprise is None:
                return 0
            latest = (
                select(EligibilityRule.policy_version_id, func.max(EligibilityRule.revision).label("revision"))
                .group_by(EligibilityRule.policy_version_id)
                .subquery()
            )
            rules = session.scalars(
                select(EligibilityRule)
                .join(latest, (latest.c.policy_version_id == EligibilityRule.policy_version_id) & (latest.c.revision == EligibilityRule.revision))
            ).all()
            matched = 0
            for rule in rules:
                evaluation = evaluate_profile(rule.rule, enterprise, today)
                match = session.get(Match, (rule.policy_version_id, enterprise_id))
                if evaluation.outcome is Outcome.INELIGIBLE:
                    if match is not None:
                        session.delete(match)
                    continue
                if match is None:
                    match = Match(policy_version_id=rule.policy_version_id, enterprise_id=enterprise_id)
                    session.add(match)
                match.outcome = evaluation.outcome.value
                match.condition_states = evaluation.states
                match.rule_revision = rule.revision
                match.computed_at = utcnow()
                matched += 1
            session.commit()
        return matched
