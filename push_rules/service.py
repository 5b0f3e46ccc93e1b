"""PushService: the push subsystem's one entry point for the API, the CLI and the worker.

Built once from :class:`PushSettings` and a document lookup (``Callable[[str], PolicyDocument | None]``), so it
works with any policy store::

    service = PushService(PushSettings(data_dir=Path("data")), store.get_document)
    service.save_rules("doc-1", {"all": [{"op": "region_within", "value": "150100"}]})
    service.publish("doc-1")          # matches + push records + inbox + outbox, in one transaction
    service.deliver_due()             # what the worker does: webhooks and e-mails from the outbox
"""

from __future__ import annotations

import secrets
from itertools import islice, repeat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from index.types import PolicyDocument
from push_rules.db import create_push_engine, migrate, session_factory
from push_rules.delivery.email import EmailSender
from push_rules.delivery.message import PushMessage
from push_rules.delivery.webhook import DeliveryResult, WebhookSender
from push_rules.errors import NotFound, ValidationFailed
from push_rules.matcher import ProfileSnapshotCache, RuleMatches, match_columns
from push_rules.models import (
    Counter,
    EligibilityRule,
    Enterprise,
    InboxMessage,
    Match,
    OutboxEntry,
    PolicyVersion,
    PushRecord,
    Subscription,
    utcnow,
)
from push_rules.outbox import ClaimedDelivery, Outbox, OutboxStatus
from push_rules.profile import EnterpriseInput
from push_rules.regions import RegionTable
from push_rules.rule_engine import Outcome, describe_condition, evaluate_profile, explain_states
from push_rules.rule_suggester import RuleSuggester
from push_rules.rules_schema import RuleValidator, iter_leaves
from push_rules.settings import PushSettings
from push_rules.subscriptions import SubscriptionKind, SubscriptionMatcher, normalize_subscription_value
from push_rules.tokenizer import Tokenize, default_tokenize
from push_rules.validation import parse_model
from push_rules.webhook_policy import WebhookUrlPolicy

DocumentLookup = Callable[[str], PolicyDocument | None]
_CHUNK = 500


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


@dataclass
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


class PushService:
    def __init__(self, settings: PushSettings, lookup: DocumentLookup, *, tokenize: Tokenize | None = None, engine: Engine | None = None) -> None:
        self.settings = settings
        self.lookup = lookup
        self.engine = engine or create_push_engine(settings.effective_database_url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self._ensure_counter()
        self.tokenize = tokenize or default_tokenize()
        self.validator = RuleValidator()
        self.suggester = RuleSuggester()
        self.snapshots = ProfileSnapshotCache(self.engine)
        self.subscription_matcher = SubscriptionMatcher(self.tokenize)
        self.webhook_policy = WebhookUrlPolicy(settings.webhook_allowlist)
        self.outbox = Outbox(
            self.sessions,
            max_attempts=settings.webhook_max_attempts,
            backoff_base=settings.webhook_backoff_base_seconds,
            backoff_cap=settings.webhook_backoff_max_seconds,
            lease_seconds=settings.worker_lease_seconds,
        )
        self._webhook: WebhookSender | None = None

    # ------------------------------------------------------------------ enterprises

    def _ensure_counter(self) -> None:
        with self.sessions() as session:
            if session.get(Counter, "profiles") is None:
                session.add(Counter(name="profiles", value=0))
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()

    def _bump_profiles(self, session: Session) -> None:
        session.execute(update(Counter).where(Counter.name == "profiles").values(value=Counter.value + 1))

    def _validated_profile(self, data: dict[str, Any]) -> dict[str, Any]:
        profile = parse_model(EnterpriseInput, data)
        columns = profile.to_columns()
        if profile.webhook_url:
            problem = self.webhook_policy.check(profile.webhook_url)
            if problem:
                raise ValidationFailed(f"Webhook 地址：{problem}")
            columns["webhook_secret"] = profile.webhook_secret or secrets.token_hex(24)
        return columns

    def create_enterprise(self, data: dict[str, Any]) -> dict[str, Any]:
        columns = self._validated_profile(data)
        with self.sessions() as session:
            if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == columns["credit_code"])) is not None:
                raise ValidationFailed(f"统一社会信用代码 {columns['credit_code']} 的企业已存在")
            enterprise = Enterprise(**columns)
            session.add(enterprise)
            try:
                session.flush()
                self._sync_interest_subscriptions(session, enterprise)
                self._bump_profiles(session)
                session.commit()
            except IntegrityError:
                session.rollback()
                raise ValidationFailed(f"统一社会信用代码 {columns['credit_code']} 的企业已存在") from None
            enterprise_id = enterprise.id
        self.recompute_enterprise(enterprise_id)
        return self.get_enterprise(enterprise_id, include_secret=True)

    def update_enterprise(self, enterprise_id: int, data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
        with self.sessions() as session:
            enterprise = self._enterprise(session, enterprise_id)
            if partial:
                merged = {k: v for k, v in self._as_input(enterprise).items()}
                merged.update(data)
                data = merged
            columns = self._validated_profile(data)
            if columns["credit_code"] != enterprise.credit_code and session.scalar(
                select(Enterprise.id).where(Enterprise.credit_code == columns["credit_code"])
            ):
                raise ValidationFailed(f"统一社会信用代码 {columns['credit_code']} 的企业已存在")
            if columns.get("webhook_url") and not data.get("webhook_secret") and enterprise.webhook_secret:
                columns["webhook_secret"] = enterprise.webhook_secret
            for key, value in columns.items():
                setattr(enterprise, key, value)
            enterprise.updated_at = utcnow()
            self._sync_interest_subscriptions(session, enterprise)
            self._bump_profiles(session)
            session.commit()
        self.recompute_enterprise(enterprise_id)
        return self.get_enterprise(enterprise_id, include_secret=True)

    def delete_enterprise(self, enterprise_id: int) -> None:
        with self.sessions() as session:
            enterprise = self._enterprise(session, enterprise_id)
            session.delete(enterprise)
            self._bump_profiles(session)
            session.commit()

    def get_enterprise(self, enterprise_id: int, *, include_secret: bool = False) -> dict[str, Any]:
        with self.sessions() as session:
            return self._enterprise_out(self._enterprise(session, enterprise_id), include_secret)

    def list_enterprises(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.scalars(select(Enterprise).order_by(Enterprise.id).limit(limit).offset(offset))
            return [self._enterprise_out(e, False) for e in rows]

    def _enterprise(self, session: Session, enterprise_id: int) -> Enterprise:
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound(f"企业 {enterprise_id} 不存在")
        return enterprise

    @staticmethod
    def _as_input(enterprise: Enterprise) -> dict[str, Any]:
        fields = EnterpriseInput.model_fields
        data = {name: getattr(enterprise, name) for name in fields}
        if data.get("established_on"):
            data["established_on"] = data["established_on"].isoformat()
        return {k: v for k, v in data.items() if v is not None}

    @staticmethod
    def _enterprise_out(enterprise: Enterprise, include_secret: bool) -> dict[str, Any]:
        region = RegionTable.default().get(enterprise.region_code) if enterprise.region_code else None
        out = {name: getattr(enterprise, name) for name in EnterpriseInput.model_fields if name != "webhook_secret"}
        out.update(
            id=enterprise.id,
            size=enterprise.size,
            size_label=None if enterprise.size is None else {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}[enterprise.size],
            region_name=region.full_name if region else None,
        )
        if include_secret:
            out["webhook_secret"] = enterprise.webhook_secret
        return out

    def _sync_interest_subscriptions(self, session: Session, enterprise: Enterprise) -> None:
        """Mirror the profile's interests as subscriptions (source ``profile``) so publishing sees them too."""
        wanted = {("topic", v) for v in enterprise.interest_topics or []} | {("keyword", v) for v in enterprise.interest_keywords or []}
        existing = {
            (s.kind, s.value): s for s in session.scalars(select(Subscription).where(Subscription.enterprise_id == enterprise.id))
        }
        for key, sub in existing.items():
            if sub.source == "profile" and key not in wanted:
                session.delete(sub)
        for kind, value in wanted - set(existing):
            session.add(Subscription(enterprise_id=enterprise.id, kind=kind, value=value, source="profile"))

    # ------------------------------------------------------------------ policy versions and rules

    def _document(self, policy_id: str) -> PolicyDocument:
        document = self.lookup(policy_id)
        if document is None:
            raise NotFound(f"政策文件 {policy_id} 不存在")
        return document

    def _ensure_version(self, session: Session, document: PolicyDocument) -> PolicyVersion:
        version = session.scalar(
            select(PolicyVersion).where(PolicyVersion.doc_id == document.doc_id, PolicyVersion.content_hash == document.content_hash)
        )
        meta = document.metadata
        region = RegionTable.default().resolve_name(meta.region) if meta.region else None
        if version is None:
            version = PolicyVersion(doc_id=document.doc_id, content_hash=document.content_hash)
            session.add(version)
        version.title = meta.title or document.path
        version.issuer = meta.issuer
        version.region_name = meta.region
        version.region_code = region.code if region else None
        version.tags = list(meta.tags)
        session.flush()
        return version

    def _latest_rule(self, session: Session, version: PolicyVersion) -> EligibilityRule | None:
        rule = session.scalar(
            select(EligibilityRule).where(EligibilityRule.policy_version_id == version.id).order_by(EligibilityRule.revision.desc()).limit(1)
        )
        if rule is not None:
            return rule
        # a new version of a document inherits the rule of its latest earlier version
        earlier = session.scalar(
            select(EligibilityRule)
            .join(PolicyVersion, PolicyVersion.id == EligibilityRule.policy_version_id)
            .where(PolicyVersion.doc_id == version.doc_id, PolicyVersion.id != version.id)
            .order_by(EligibilityRule.created_at.desc(), EligibilityRule.id.desc())
            .limit(1)
        )
        if earlier is None:
            return None
        inherited = EligibilityRule(policy_version_id=version.id, revision=1, rule=earlier.rule, suggested=earlier.suggested)
        session.add(inherited)
        session.flush()
        return inherited

    def get_rules(self, policy_id: str) -> dict[str, Any]:
        document = self._document(policy_id)
        with self.sessions() as session:
            version = self._ensure_version(session, document)
            rule = self._latest_rule(session, version)
            session.commit()
            return self._rule_out(policy_id, version, rule)

    @staticmethod
    def _rule_out(policy_id: str, version: PolicyVersion, rule: EligibilityRule | None) -> dict[str, Any]:
        return {
            "policy_id": policy_id,
            "version": version.content_hash,
            "published": version.published_at is not None,
            "revision": rule.revision if rule else None,
            "rules": rule.rule if rule else None,
            "conditions": [describe_condition(leaf) for leaf in iter_leaves(rule.rule)] if rule else [],
        }

    def suggest_rules(self, policy_id: str) -> dict[str, Any]:
        document = self._document(policy_id)
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

    def save_rules(self, policy_id: str, rule: Any, *, suggested: bool = False) -> dict[str, Any]:
        normalized = self.validator.validate(rule)  # raises before anything is written
        document = self._document(policy_id)
        with self.sessions() as session:
            version = self._ensure_version(session, document)
            current = session.scalar(select(func.max(EligibilityRule.revision)).where(EligibilityRule.policy_version_id == version.id)) or 0
            saved = EligibilityRule(policy_version_id=version.id, revision=current + 1, rule=normalized, suggested=suggested)
            session.add(saved)
            session.commit()
            published = version.published_at is not None
            out = self._rule_out(policy_id, version, saved)
        if published:
            out["match"] = self.match_policy(policy_id).as_dict()
        return out

    # ------------------------------------------------------------------ matching and publishing

    def publish(self, policy_id: str) -> MatchSummary:
        """Publish the document's current version: match it, then push it to every qualifying or subscribed enterprise."""
        document = self._document(policy_id)
        with self.sessions() as session:
            version = self._ensure_version(session, document)
            if version.published_at is None:
                version.published_at = utcnow()
            self._latest_rule(session, version)
            session.commit()
        return self.match_policy(policy_id, document=document)

    def match_policy(self, policy_id: str, *, document: PolicyDocument | None = None, today: date | None = None) -> MatchSummary:
        """Recompute the matches of the document's current version; when it is published, push to new matches."""
        started = time.perf_counter()
        document = document or self._document(policy_id)
        with self.sessions() as session:
            version = self._ensure_version(session, document)
            rule = self._latest_rule(session, version)
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
                version = session.get(PolicyVersion, version_id)
                facts = self.subscription_matcher.facts(version, document.text)  # type: ignore[arg-type]
                subscribed = self.subscription_matcher.match(session, facts)
            summary.subscribed = len(subscribed)
            for eid, reasons in subscribed.items():
                targets.setdefault(eid, []).extend(reasons)
            summary.pushes_created = self._create_pushes(version_id, targets, rule_body)
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
        """Re-evaluate one profile against every published version with a rule; returns pushes created."""
        with self.sessions() as session:
            enterprise = session.get(Enterprise, enterprise_id)
            if enterprise is None:
                return 0
            latest = (
                select(EligibilityRule.policy_version_id, func.max(EligibilityRule.revision).label("revision"))
                .group_by(EligibilityRule.policy_version_id)
                .subquery()
            )
            rules = session.execute(
                select(EligibilityRule, PolicyVersion.published_at)
                .join(latest, (latest.c.policy_version_id == EligibilityRule.policy_version_id) & (latest.c.revision == EligibilityRule.revision))
                .join(PolicyVersion, PolicyVersion.id == EligibilityRule.policy_version_id)
            ).all()
            to_push: dict[int, tuple[dict[str, Any], list[str]]] = {}
            for rule, published_at in rules:
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
                if published_at is not None:
                    to_push[rule.policy_version_id] = (rule.rule, [evaluation.outcome.value])
            session.commit()
        created = 0
        for version_id, (rule_body, reasons) in to_push.items():
            created += self._create_pushes(version_id, {enterprise_id: reasons}, rule_body)
        return created

    # ------------------------------------------------------------------ push records, inbox, outbox

    def _create_pushes(self, version_id: int, targets: dict[int, list[str]], rule: dict[str, Any] | None) -> int:
        """Create the push record, inbox message and outbox entries of every target without one, atomically.

        The unique (enterprise, version) key makes this idempotent; a concurrent publisher's insert makes this
        transaction fail and it is retried, then skips what the other one wrote.
        """
        if not targets:
            return 0
        for _attempt in range(3):
            try:
                return self._create_pushes_once(version_id, targets, rule)
            except IntegrityError:
                continue
        return self._create_pushes_once(version_id, targets, rule)

    def _create_pushes_once(self, version_id: int, targets: dict[int, list[str]], rule: dict[str, Any] | None) -> int:
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
                records = []
                for enterprise in enterprises:
                    title, body = self._compose(version, enterprise, targets[enterprise.id], rule)
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

    def _compose(self, version: PolicyVersion, enterprise: Enterprise, reasons: list[str], rule: dict[str, Any] | None) -> tuple[str, str]:
        title = f"政策推送：《{version.title}》"
        lines = [f"政策：《{version.title}》" + (f"（{version.issuer}）" if version.issuer else "")]
        url = f"{self.settings.public_base_url.rstrip('/')}/documents/{version.doc_id}"
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
                shown = RegionTable.default().get(value).full_name if kind == "region" and RegionTable.default().get(value) else value  # type: ignore[union-attr]
                lines.append(f"推送原因：与贵企业订阅的{label}“{shown}”相关。")
        lines.append(f"查看原文：{url}")
        return title, "\n".join(lines)

    # ------------------------------------------------------------------ matches, subscriptions, inbox

    def enterprise_matches(self, enterprise_id: int) -> list[dict[str, Any]]:
        with self.sessions() as session:
            enterprise = self._enterprise(session, enterprise_id)
            version_ids = list(session.scalars(select(EligibilityRule.policy_version_id).distinct()))
            rows = []
            for start in range(0, len(version_ids), 500):  # primary-key lookups (version, enterprise)
                rows += session.execute(
                    select(Match, PolicyVersion, EligibilityRule)
                    .join(PolicyVersion, PolicyVersion.id == Match.policy_version_id)
                    .join(EligibilityRule, (EligibilityRule.policy_version_id == Match.policy_version_id) & (EligibilityRule.revision == Match.rule_revision))
                    .where(Match.policy_version_id.in_(version_ids[start : start + 500]), Match.enterprise_id == enterprise_id)
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
                        "missing_information": [c.detail for c in conditions if c.state.value == "?"],
                        "computed_at": match.computed_at,
                    }
                )
            return out

    def add_subscription(self, enterprise_id: int, kind: str, value: str) -> dict[str, Any]:
        errors = []
        try:
            sub_kind = SubscriptionKind.from_str(kind)
            normalized = normalize_subscription_value(sub_kind, value)
        except ValueError as error:
            errors.append(str(error))
        if errors:
            raise ValidationFailed(errors)
        with self.sessions() as session:
            self._enterprise(session, enterprise_id)
            found = session.scalar(
                select(Subscription).where(Subscription.enterprise_id == enterprise_id, Subscription.kind == sub_kind.value, Subscription.value == normalized)
            )
            if found is None:
                found = Subscription(enterprise_id=enterprise_id, kind=sub_kind.value, value=normalized, source="api")
                session.add(found)
                session.commit()
            return self._subscription_out(found)

    def list_subscriptions(self, enterprise_id: int) -> list[dict[str, Any]]:
        with self.sessions() as session:
            self._enterprise(session, enterprise_id)
            subs = session.scalars(select(Subscription).where(Subscription.enterprise_id == enterprise_id).order_by(Subscription.id))
            return [self._subscription_out(s) for s in subs]

    def delete_subscription(self, subscription_id: int) -> None:
        with self.sessions() as session:
            sub = session.get(Subscription, subscription_id)
            if sub is None:
                raise NotFound(f"订阅 {subscription_id} 不存在")
            session.delete(sub)
            session.commit()

    @staticmethod
    def _subscription_out(sub: Subscription) -> dict[str, Any]:
        return {"id": sub.id, "enterprise_id": sub.enterprise_id, "kind": sub.kind, "kind_label": SubscriptionKind(sub.kind).label, "value": sub.value, "source": sub.source}

    def inbox(self, enterprise_id: int, *, unread_only: bool = False, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        with self.sessions() as session:
            self._enterprise(session, enterprise_id)
            query = select(InboxMessage).where(InboxMessage.enterprise_id == enterprise_id)
            if unread_only:
                query = query.where(InboxMessage.read_at.is_(None))
            messages = session.scalars(query.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(limit).offset(offset)).all()
            unread = session.scalar(select(func.count()).where(InboxMessage.enterprise_id == enterprise_id, InboxMessage.read_at.is_(None)))
            return {
                "unread": unread,
                "messages": [
                    {"id": m.id, "title": m.title, "body": m.body, "read": m.read_at is not None, "created_at": m.created_at} for m in messages
                ],
            }

    def mark_read(self, message_id: int, read: bool = True) -> None:
        with self.sessions() as session:
            message = session.get(InboxMessage, message_id)
            if message is None:
                raise NotFound(f"消息 {message_id} 不存在")
            message.read_at = utcnow() if read else None
            session.commit()

    # ------------------------------------------------------------------ delivery

    def _message(self, session: Session, push_record_id: int) -> tuple[PushMessage, Enterprise]:
        record = session.get(PushRecord, push_record_id)
        assert record is not None
        enterprise = session.get(Enterprise, record.enterprise_id)
        version = session.get(PolicyVersion, record.policy_version_id)
        assert enterprise is not None and version is not None
        url = f"{self.settings.public_base_url.rstrip('/')}/documents/{version.doc_id}"
        message = PushMessage(
            record.id, enterprise.id, enterprise.name, enterprise.credit_code, version.doc_id, version.content_hash,
            version.title, version.issuer, list(record.reasons), record.title, record.body, url, record.created_at,
        )
        return message, enterprise

    def deliver_due(self, limit: int | None = None) -> DeliveryStats:
        """Send what the outbox has due (one worker pass)."""
        stats = DeliveryStats()
        for delivery in self.outbox.claim_due(limit or self.settings.worker_batch_size):
            result = self._send(delivery)
            if result.ok:
                self.outbox.record_success(delivery, result.status_code)
                stats.delivered += 1
            else:
                status = self.outbox.record_failure(delivery, result.error or "未知错误", result.status_code)
                stats.failed += 1
                stats.dead += status == OutboxStatus.DEAD
                stats.errors.append(result.error or "")
        return stats

    def _send(self, delivery: ClaimedDelivery) -> DeliveryResult:
        with self.sessions() as session:
            message, enterprise = self._message(session, delivery.push_record_id)
        if delivery.channel == "webhook":
            if not enterprise.webhook_url or not enterprise.webhook_secret:
                return DeliveryResult(False, None, "企业已删除 Webhook 地址")
            if self._webhook is None:
                self._webhook = WebhookSender(self.webhook_policy, self.settings.webhook_timeout_seconds)
            return self._webhook.send(enterprise.webhook_url, enterprise.webhook_secret, message)
        if delivery.channel == "email":
            if not self.settings.smtp_host:
                return DeliveryResult(False, None, "未配置 SMTP 服务器（smtp_host）")
            if not enterprise.email:
                return DeliveryResult(False, None, "企业已删除电子邮箱")
            sender = EmailSender(
                self.settings.smtp_host, self.settings.smtp_port, self.settings.smtp_sender,
                self.settings.smtp_user, self.settings.smtp_password, self.settings.smtp_starttls,
            )
            return sender.send(enterprise.email, message)
        return DeliveryResult(False, None, f"未知的推送渠道 {delivery.channel}")

    def outbox_summary(self) -> dict[str, int]:
        with self.sessions() as session:
            rows = session.execute(select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)).all()
            return {status: count for status, count in rows}

    def close(self) -> None:
        if self._webhook is not None:
            self._webhook.close()
        self.engine.dispose()

