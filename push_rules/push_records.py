"""Pushing a policy version to enterprises: one push record, inbox message and outbox entries per enterprise.

The message explains why the enterprise gets it: the rule's conditions checked against its profile, and the
subscriptions the policy matched.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from push_rules.models import Enterprise, InboxMessage, OutboxEntry, PolicyVersion, PushRecord, utcnow
from push_rules.outbox import OutboxStatus
from push_rules.regions import RegionTable
from push_rules.rule_engine import Outcome, evaluate_profile
from push_rules.settings import PushSettings
from push_rules.subscriptions import SubscriptionKind

_CHUNK = 500


def document_url(settings: PushSettings, doc_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/documents/{doc_id}"


class PushWriter:
    def __init__(self, sessions: sessionmaker[Session], settings: PushSettings) -> None:
        self.sessions = sessions
        self.settings = settings

    def create(self, version_id: int, targets: dict[int, list[str]], rule: dict[str, Any] | None) -> int:
        """Create the push record, inbox message and outbox entries of every target without one, atomically.

        ``targets`` maps enterprise ids to their reasons (an outcome or ``subscription:<kind>:<value>``). The
        unique (enterprise, version) key makes this idempotent; a concurrent publisher's insert makes this
        transaction fail and it is retried, then skips what the other one wrote. Returns the records created.
        """
        if not targets:
            return 0
        for _attempt in range(3):
            try:
                return self._create_once(version_id, targets, rule)
            except IntegrityError:
                continue
        return self._create_once(version_id, targets, rule)

    def _create_once(self, version_id: int, targets: dict[int, list[str]], rule: dict[str, Any] | None) -> int:
        created = 0
        email_enabled = bool(self.settings.smtp_host)
        with self.sessions.begin() as session:
            version = session.get(PolicyVersion, version_id)
            assert version is not None
            existing = set(session.scalars(select(PushRecord.enterprise_id).where(PushRecord.policy_version_id == version_id)))
            pending = sorted(set(targets) - existing)
            for start in range(0, len(pending), _CHUNK):
                chunk = pending[start : start + _CHUNK]
                enterprises = session.scalars(select(Enterprise).where(Enterprise.id.in_(chunk))).all()
                records: list[dict[str, Any]] = []
                for enterprise in enterprises:
                    title, body = self.compose(version, enterprise, targets[enterprise.id], rule)
                    records.append({"enterprise_id": enterprise.id, "policy_version_id": version_id, "reasons": targets[enterprise.id], "title": title, "body": body})
                if not records:
                    continue
                inserted = session.execute(insert(PushRecord).returning(PushRecord.id, PushRecord.enterprise_id), records).all()
                by_enterprise = {e.id: e for e in enterprises}
                record_by_enterprise = {eid: rid for rid, eid in inserted}
                inbox, outbox = [], []
                for record in records:
                    eid = record["enterprise_id"]
                    rid = record_by_enterprise[eid]
                    inbox.append({"push_record_id": rid, "enterprise_id": eid, "title": record["title"], "body": record["body"]})
                    enterprise = by_enterprise[eid]
                    if enterprise.webhook_url:
                        outbox.append({"push_record_id": rid, "channel": "webhook"})
                    if enterprise.email and email_enabled:
                        outbox.append({"push_record_id": rid, "channel": "email"})
                session.execute(insert(InboxMessage), inbox)
                if outbox:
                    now = utcnow()
                    session.execute(insert(OutboxEntry), [dict(o, status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now) for o in outbox])
                created += len(records)
        return created

    def compose(self, version: PolicyVersion, enterprise: Enterprise, reasons: list[str], rule: dict[str, Any] | None) -> tuple[str, str]:
        """The title and body of the message telling ``enterprise`` about ``version``."""
        title = f"政策推送：《{version.title}》"
        lines = [f"政策：《{version.title}》" + (f"（{version.issuer}）" if version.issuer else "")]
        if rule is not None and (Outcome.ELIGIBLE.value in reasons or Outcome.INCOMPLETE.value in reasons):
            evaluation = evaluate_profile(rule, enterprise)
            if evaluation.outcome is Outcome.ELIGIBLE:
                lines.append("推送原因：根据贵企业登记的信息，贵企业符合该政策的申报条件。")
            else:
                lines.append("推送原因：贵企业可能符合该政策的申报条件，但部分信息不全，完善后即可确认。")
            lines.append("条件核对：")
            for i, condition in enumerate(evaluation.conditions, 1):
                lines.append(f"{i}. {condition.condition}：{condition.state.label}（{condition.detail}）")
            missing = evaluation.missing_information()
            if missing:
                lines.append("请补充：" + "；".join(missing))
        for reason in reasons:
            if reason.startswith("subscription:"):
                _, kind, value = reason.split(":", 2)
                label = SubscriptionKind(kind).label
                region = RegionTable.default().get(value) if kind == SubscriptionKind.REGION.value else None
                shown = region.full_name if region else value
                lines.append(f"推送原因：与贵企业订阅的{label}“{shown}”相关。")
        lines.append(f"查看原文：{document_url(self.settings, version.doc_id)}")
        return title, "\n".join(lines)
