"""One worker pass over the outbox: claim what is due, send it by webhook or e-mail, record the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from push_rules.delivery.email import EmailSender
from push_rules.delivery.message import PushMessage
from push_rules.delivery.webhook import DeliveryResult, WebhookSender
from push_rules.models import Enterprise, OutboxEntry, PolicyVersion, PushRecord
from push_rules.outbox import ClaimedDelivery, Outbox, OutboxStatus
from push_rules.push_records import document_url
from push_rules.settings import PushSettings
from push_rules.webhook_policy import WebhookUrlPolicy


@dataclass
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


class DeliveryDispatcher:
    def __init__(self, sessions: sessionmaker[Session], settings: PushSettings, outbox: Outbox, webhook_policy: WebhookUrlPolicy) -> None:
        self.sessions = sessions
        self.settings = settings
        self.outbox = outbox
        self.webhook_policy = webhook_policy
        self._webhook: WebhookSender | None = None

    def deliver_due(self, limit: int | None = None) -> DeliveryStats:
        """Send what the outbox has due, at most ``limit`` (default: the worker batch size)."""
        stats = DeliveryStats()
        for delivery in self.outbox.claim_due(limit or self.settings.worker_batch_size):
            result = self._send(delivery)
            if result.ok:
                self.outbox.record_success(delivery, result.status_code)
                stats.delivered += 1
            else:
                status = self.outbox.record_failure(delivery, result.error or "未知错误", result.status_code, permanent=result.permanent)
                stats.failed += 1
                stats.dead += status == OutboxStatus.DEAD
                stats.errors.append(result.error or "")
        return stats

    def _message(self, session: Session, push_record_id: int) -> tuple[PushMessage, Enterprise]:
        record = session.get(PushRecord, push_record_id)
        assert record is not None
        enterprise = session.get(Enterprise, record.enterprise_id)
        version = session.get(PolicyVersion, record.policy_version_id)
        assert enterprise is not None and version is not None
        message = PushMessage(
            record.id, enterprise.id, enterprise.name, enterprise.credit_code, version.doc_id, version.content_hash,
            version.title, version.issuer, list(record.reasons), record.title, record.body,
            document_url(self.settings, version.doc_id), record.created_at,
        )
        return message, enterprise

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

    def summary(self) -> dict[str, int]:
        """Outbox entries by status."""
        with self.sessions() as session:
            rows = session.execute(select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)).all()
            return {status: count for status, count in rows}

    def close(self) -> None:
        if self._webhook is not None:
            self._webhook.close()
            self._webhook = None
