"""Relational schema of the push subsystem (SQLAlchemy 2 ORM). Migrations live in ``push_rules/migrations``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


# Ids that authorisation compares (an enterprise user's enterprise, a subscription's or a message's owner) are
# never given out again after a delete: AUTOINCREMENT on SQLite (migration 0003), sequences on PostgreSQL.
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


class Enterprise(Base):
    __tablename__ = "push_enterprises"
    __table_args__ = NEVER_REUSED_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(5), index=True)
    established_on: Mapped[date | None] = mapped_column(Date)
    registered_capital: Mapped[float | None] = mapped_column(Float)  # 万元
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[float | None] = mapped_column(Float)  # 万元
    total_assets: Mapped[float | None] = mapped_column(Float)  # 万元
    size: Mapped[str | None] = mapped_column(String(8), index=True)  # computed, EnterpriseSize value
    qualifications: Mapped[list[str] | None] = mapped_column(JSON)  # None: not declared
    ownership: Mapped[str | None] = mapped_column(String(16))  # Ownership value
    interest_topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    interest_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class QualificationEntry(Base):
    """A qualification an admin added to the built-in catalogue (:mod:`push_rules.qualifications`)."""

    __tablename__ = "push_qualifications"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(40), unique=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PolicyVersion(Base):
    """One version of a policy document (doc_id + content hash), with what the push needs of its metadata."""

    __tablename__ = "push_policy_versions"
    __table_args__ = (UniqueConstraint("doc_id", "content_hash", name="uq_policy_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(200), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    issuer: Mapped[str | None] = mapped_column(Text)
    region_name: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(6))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EligibilityRule(Base):
    """The eligibility rule attached to a policy version; a save adds a new revision, the latest one is in force."""

    __tablename__ = "push_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("push_policy_versions.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    suggested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Match(Base):
    """Outcome of one policy version's rule for one enterprise (only eligible and incomplete ones are kept).

    ``condition_states`` has one character per rule leaf in document order: Y 满足, N 不满足, ? 信息不全.
    """

    __tablename__ = "push_matches"

    policy_version_id: Mapped[int] = mapped_column(ForeignKey("push_policy_versions.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("push_enterprises.id", ondelete="CASCADE"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(12))  # eligible | incomplete
    condition_states: Mapped[str] = mapped_column(String(200))
    rule_revision: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # clustered by (version, enterprise) on SQLite: a policy's matches are written as one sorted run, and an
    # enterprise's matches are read by primary-key lookups over the versions with rules (no second index to
    # maintain on millions of rows)
    __table_args__ = {"sqlite_with_rowid": False}


class Subscription(Base):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("push_enterprises.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # topic | keyword | issuer | region
    value: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(8), default="api")  # api | profile (mirrors the profile's interests)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "kind", "value", name="uq_subscription"),
        Index("ix_push_subscriptions_kind_value", "kind", "value"),
        NEVER_REUSED_IDS,
    )


class PushRecord(Base):
    """The one push of one policy version to one enterprise; the unique key makes pushing idempotent."""

    __tablename__ = "push_records"
    __table_args__ = (UniqueConstraint("enterprise_id", "policy_version_id", name="uq_push_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("push_enterprises.id", ondelete="CASCADE"), index=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("push_policy_versions.id", ondelete="CASCADE"))
    reasons: Mapped[list[str]] = mapped_column(JSON)  # "eligible" | "incomplete" | "subscription:<kind>:<value>"
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InboxMessage(Base):
    __tablename__ = "push_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push_record_id: Mapped[int] = mapped_column(ForeignKey("push_records.id", ondelete="CASCADE"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("push_enterprises.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_push_inbox_enterprise_created", "enterprise_id", "created_at"), NEVER_REUSED_IDS)


class OutboxEntry(Base):
    """A delivery still to make (webhook, email). Written in the same transaction as its push record."""

    __tablename__ = "push_outbox"
    __table_args__ = (
        UniqueConstraint("push_record_id", "channel", name="uq_outbox_once"),
        Index("ix_push_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push_record_id: Mapped[int] = mapped_column(ForeignKey("push_records.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # webhook | email
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | done | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class DeliveryAttempt(Base):
    __tablename__ = "push_delivery_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("push_outbox.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Counter(Base):
    """Named counters; ``profiles`` is bumped by every profile write so matchers know their snapshot is stale."""

    __tablename__ = "push_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
