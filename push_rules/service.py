"""PushService: the push subsystem's one entry point for the API, the CLI and the worker.

A facade: each topic lives in its own module (:mod:`push_rules.enterprises`, :mod:`push_rules.policy_rules`,
:mod:`push_rules.publishing`, :mod:`push_rules.subscription_store`, :mod:`push_rules.inbox`,
:mod:`push_rules.delivery.dispatcher`); this class builds them once and joins the steps that span two of them
(a profile write re-matches that enterprise, a rule saved for a published policy re-matches the policy).

Built from :class:`PushSettings` and a document lookup (``Callable[[str], PolicyDocument | None]``), so it works
with any policy store::

    service = PushService(PushSettings(data_dir=Path("data")), store.get_document)
    service.save_rules("doc-1", {"all": [{"op": "region_within", "value": "150100"}]})
    service.publish("doc-1")          # matches + push records + inbox + outbox, in one transaction
    service.deliver_due()             # what the worker does: webhooks and e-mails from the outbox
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from index.types import PolicyDocument
from push_rules.checkup import PolicyCheckup
from push_rules.db import create_push_engine, migrate, session_factory
from push_rules.delivery.dispatcher import DeliveryDispatcher, DeliveryStats
from push_rules.enterprises import EnterpriseRegistry
from push_rules.inbox import EnterpriseInbox
from push_rules.outbox import Outbox
from push_rules.policy_audience import PolicyAudience
from push_rules.policy_rules import PolicyRules
from push_rules.policy_versions import DocumentLookup, PolicyVersions
from push_rules.profile_columns import ProfileSnapshotCache
from push_rules.publishing import MatchSummary, Publisher
from push_rules.push_records import PushWriter
from push_rules.qualification_store import QualificationStore
from push_rules.settings import PushSettings
from push_rules.subscription_store import SubscriptionStore
from push_rules.subscriptions import SubscriptionMatcher
from push_rules.tokenizer import Tokenize, default_tokenize
from push_rules.webhook_policy import WebhookUrlPolicy


class PushService:
    def __init__(self, settings: PushSettings, lookup: DocumentLookup, *, tokenize: Tokenize | None = None, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_push_engine(settings.effective_database_url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        webhook_policy = WebhookUrlPolicy(settings.webhook_allowlist)
        self.qualifications = QualificationStore(self.sessions)
        self.enterprises = EnterpriseRegistry(self.sessions, webhook_policy, self.qualifications)
        versions = PolicyVersions(lookup)
        self.rules = PolicyRules(self.sessions, versions, self.qualifications)
        self.snapshots = ProfileSnapshotCache(self.engine)
        self.publisher = Publisher(
            self.engine, self.sessions, versions, self.snapshots,
            SubscriptionMatcher(tokenize or default_tokenize()), PushWriter(self.sessions, settings),
        )
        self.checkup = PolicyCheckup(self.sessions, versions)
        self.audience = PolicyAudience(self.sessions, versions, self.snapshots)
        self.subscriptions = SubscriptionStore(self.sessions)
        self.enterprise_inbox = EnterpriseInbox(self.sessions)
        outbox = Outbox(
            self.sessions,
            max_attempts=settings.webhook_max_attempts,
            backoff_base=settings.webhook_backoff_base_seconds,
            backoff_cap=settings.webhook_backoff_max_seconds,
            lease_seconds=settings.worker_lease_seconds,
        )
        self.dispatcher = DeliveryDispatcher(self.sessions, settings, outbox, webhook_policy)

    # enterprises: a profile write re-matches the enterprise against every rule (its 政策体检); pushes are only
    # for policies published later

    def create_enterprise(self, data: dict[str, Any]) -> dict[str, Any]:
        enterprise_id = self.enterprises.create(data)
        self.publisher.recompute_enterprise(enterprise_id)
        return self.enterprises.get(enterprise_id, include_secret=True)

    def update_enterprise(self, enterprise_id: int, data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
        self.enterprises.update(enterprise_id, data, partial=partial)
        self.publisher.recompute_enterprise(enterprise_id)
        return self.enterprises.get(enterprise_id, include_secret=True)

    def delete_enterprise(self, enterprise_id: int) -> None:
        self.enterprises.delete(enterprise_id)

    def get_enterprise(self, enterprise_id: int, *, include_secret: bool = False) -> dict[str, Any]:
        return self.enterprises.get(enterprise_id, include_secret=include_secret)

    def list_enterprises(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        return self.enterprises.page(limit, offset)

    # the qualification catalogue: built-in entries plus those admins added

    def list_qualifications(self) -> list[dict[str, Any]]:
        return self.qualifications.list()

    def add_qualification(self, slug: str, label: str, aliases: list[str] | None = None) -> dict[str, Any]:
        return self.qualifications.add(slug, label, aliases or [])

    # rules: a rule saved for a published policy re-matches the policy

    def get_rules(self, policy_id: str) -> dict[str, Any]:
        return self.rules.get(policy_id)

    def suggest_rules(self, policy_id: str) -> dict[str, Any]:
        return self.rules.suggest(policy_id)

    def save_rules(self, policy_id: str, rule: Any, *, suggested: bool = False) -> dict[str, Any]:
        out = self.rules.save(policy_id, rule, suggested=suggested)
        if out["published"]:
            out["match"] = self.match_policy(policy_id).as_dict()
        return out

    # a policy's audience, for staff

    def policy_matches(self, policy_id: str, *, include_excluded: bool = False, as_of: date | None = None) -> dict[str, Any]:
        return self.audience.report(policy_id, include_excluded=include_excluded, as_of=as_of)

    def preview_rules(self, policy_id: str, rule: Any) -> dict[str, Any]:
        """The counts an unsaved rule would give (validated first; :raises ValidationFailed:, NotFound)."""
        self.rules.versions.document(policy_id)
        return self.audience.preview(self.rules.validator.validate(rule))

    def policy_matches_csv(self, policy_id: str, *, include_excluded: bool = True, as_of: date | None = None) -> str:
        return self.audience.csv(policy_id, include_excluded=include_excluded, as_of=as_of)

    # matching and publishing

    def publish(self, policy_id: str) -> MatchSummary:
        return self.publisher.publish(policy_id)

    def match_policy(self, policy_id: str, *, document: PolicyDocument | None = None, today: date | None = None) -> MatchSummary:
        return self.publisher.match_policy(policy_id, document=document, today=today)

    def recompute_enterprise(self, enterprise_id: int, today: date | None = None) -> int:
        return self.publisher.recompute_enterprise(enterprise_id, today)

    # what an enterprise sees and subscribes to

    def eligible_policies(self, enterprise_id: int, as_of: date | None = None) -> dict[str, Any]:
        """政策体检: the published policies in force the enterprise qualifies for (eligible first, then incomplete)."""
        return self.checkup.run(enterprise_id, as_of)

    def enterprise_matches(self, enterprise_id: int, as_of: date | None = None) -> list[dict[str, Any]]:
        return self.enterprise_inbox.matches(enterprise_id, as_of)

    def inbox(self, enterprise_id: int, *, unread_only: bool = False, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self.enterprise_inbox.messages(enterprise_id, unread_only=unread_only, limit=limit, offset=offset)

    def mark_read(self, message_id: int, read: bool = True) -> None:
        self.enterprise_inbox.mark_read(message_id, read)

    def add_subscription(self, enterprise_id: int, kind: str, value: str) -> dict[str, Any]:
        return self.subscriptions.add(enterprise_id, kind, value)

    def list_subscriptions(self, enterprise_id: int) -> list[dict[str, Any]]:
        return self.subscriptions.of_enterprise(enterprise_id)

    def delete_subscription(self, subscription_id: int) -> None:
        self.subscriptions.delete(subscription_id)

    # delivery

    def deliver_due(self, limit: int | None = None) -> DeliveryStats:
        """Send what the outbox has due (one worker pass)."""
        return self.dispatcher.deliver_due(limit)

    def outbox_summary(self) -> dict[str, int]:
        return self.dispatcher.summary()

    def close(self) -> None:
        self.dispatcher.close()
        self.engine.dispose()
