"""What an enterprise sees: its inbox of pushed policies and the policies its profile matches, explained."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session, sessionmaker

from push_rules.enterprises import load_enterprise
from push_rules.errors import NotFound
from push_rules.models import EligibilityRule, InboxMessage, Match, PolicyVersion, PushRecord, utcnow
from push_rules.rule_engine import ConditionState, Outcome, evaluate_profile, explain_states

_LOOKUP_BATCH = 500


class EnterpriseInbox:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def messages(self, enterprise_id: int, *, unread_only: bool = False, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Newest first, with the count of unread ones. :raises NotFound: no such enterprise."""
        with self.sessions() as session:
            load_enterprise(session, enterprise_id)
            query = (
                select(InboxMessage, PolicyVersion.doc_id, PolicyVersion.content_hash, PushRecord.reasons)
                .join(PushRecord, PushRecord.id == InboxMessage.push_record_id)
                .join(PolicyVersion, PolicyVersion.id == PushRecord.policy_version_id)
                .where(InboxMessage.enterprise_id == enterprise_id)
            )
            if unread_only:
                query = query.where(InboxMessage.read_at.is_(None))
            rows = session.execute(query.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(limit).offset(offset)).all()
            unread = session.scalar(select(func.count()).where(InboxMessage.enterprise_id == enterprise_id, InboxMessage.read_at.is_(None)))
            return {
                "unread": unread,
                "messages": [
                    {
                        "id": m.id,
                        "policy_id": doc_id,
                        "doc_id": doc_id,
                        "version": version,
                        "reasons": reasons,
                        "title": m.title,
                        "body": m.body,
                        "read": m.read_at is not None,
                        "created_at": m.created_at,
                    }
                    for m, doc_id, version, reasons in rows
                ],
            }

    def mark_read(self, message_id: int, read: bool = True) -> None:
        with self.sessions() as session:
            message = session.get(InboxMessage, message_id)
            if message is None:
                raise NotFound(f"消息 {message_id} 不存在")
            message.read_at = utcnow() if read else None
            session.commit()

    def matches(self, enterprise_id: int, as_of: date | None = None) -> list[dict[str, Any]]:
        """The policy versions the profile is eligible or nearly eligible for, published first, each condition explained.

        ``as_of``: evaluated afresh on that day (an audit: years since establishment, rules in force then) instead of
        read from the stored matches.
        """
        if as_of is not None:
            return self._matches_as_of(enterprise_id, as_of)
        with self.sessions() as session:
            enterprise = load_enterprise(session, enterprise_id)
            version_ids = list(session.scalars(select(EligibilityRule.policy_version_id).distinct()))
            rows: list[Row[Match, PolicyVersion, EligibilityRule]] = []
            for start in range(0, len(version_ids), _LOOKUP_BATCH):  # primary-key lookups (version, enterprise)
                rows += session.execute(
                    select(Match, PolicyVersion, EligibilityRule)
                    .join(PolicyVersion, PolicyVersion.id == Match.policy_version_id)
                    .join(EligibilityRule, (EligibilityRule.policy_version_id == Match.policy_version_id) & (EligibilityRule.revision == Match.rule_revision))
                    .where(Match.policy_version_id.in_(version_ids[start : start + _LOOKUP_BATCH]), Match.enterprise_id == enterprise_id)
                ).all()
            rows.sort(key=lambda r: (r[1].published_at is None, -(r[1].published_at.timestamp() if r[1].published_at else 0), -r[1].id))
            out = []
            for match, version, rule in rows:
                conditions = explain_states(rule.rule, enterprise, match.condition_states)
                out.append(
                    {
                        "policy_id": version.doc_id,
                        "version": version.content_hash,
                        "title": version.title,
                        "issuer": version.issuer,
                        "published": version.published_at is not None,
                        "outcome": match.outcome,
                        "outcome_label": Outcome(match.outcome).label,
                        "conditions": [c.as_dict() for c in conditions],
                        "missing_information": [c.detail for c in conditions if c.state is ConditionState.UNKNOWN],
                        "computed_at": match.computed_at,
                    }
                )
            return out

    def _matches_as_of(self, enterprise_id: int, as_of: date) -> list[dict[str, Any]]:
        with self.sessions() as session:
            enterprise = load_enterprise(session, enterprise_id)
            latest = (
                select(EligibilityRule.policy_version_id, func.max(EligibilityRule.revision).label("revision"))
                .where(EligibilityRule.created_at < datetime.combine(as_of + timedelta(days=1), time.min))
                .group_by(EligibilityRule.policy_version_id)
                .subquery()
            )
            rows = session.execute(
                select(EligibilityRule, PolicyVersion)
                .join(latest, (latest.c.policy_version_id == EligibilityRule.policy_version_id) & (latest.c.revision == EligibilityRule.revision))
                .join(PolicyVersion, PolicyVersion.id == EligibilityRule.policy_version_id)
            ).all()
            out = []
            for rule, version in rows:
                evaluation = evaluate_profile(rule.rule, enterprise, as_of)
                if evaluation.outcome is Outcome.INELIGIBLE:
                    continue
                out.append(
                    {
                        "policy_id": version.doc_id,
                        "version": version.content_hash,
                        "title": version.title,
                        "issuer": version.issuer,
                        "published": version.published_at is not None and version.published_at.date() <= as_of,
                        "outcome": evaluation.outcome.value,
                        "outcome_label": evaluation.outcome.label,
                        "conditions": [c.as_dict() for c in evaluation.conditions],
                        "missing_information": evaluation.missing_information(),
                        "computed_at": as_of,
                    }
                )
            out.sort(key=lambda m: (not m["published"], m["policy_id"]))
            return out
