"""Enterprise profiles: create, update, delete and read them; a profile's interests are mirrored as subscriptions.

Every profile write moves the ``profiles`` counter, which tells each process's matching snapshot
(:class:`push_rules.profile_columns.ProfileSnapshotCache`) to reload.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from push_rules.enterprise_size import EnterpriseSize
from push_rules.errors import NotFound, ValidationFailed
from push_rules.models import Counter, Enterprise, Subscription, utcnow
from push_rules.ownership import Ownership
from push_rules.profile import EnterpriseInput
from push_rules.qualification_store import QualificationStore
from push_rules.qualifications import qualification_label
from push_rules.regions import RegionTable
from push_rules.validation import parse_model
from push_rules.webhook_policy import WebhookUrlPolicy

PROFILES_COUNTER = "profiles"
UNKNOWN_SIZE_LABEL = "待完善"  # size cannot be computed: industry or an indicator missing


def load_enterprise(session: Session, enterprise_id: int) -> Enterprise:
    """The enterprise row; :class:`NotFound` when there is none."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"企业 {enterprise_id} 不存在")
    return enterprise


class EnterpriseRegistry:
    """The enterprise profiles of the push database.

    >>> registry = EnterpriseRegistry(sessions, WebhookUrlPolicy([]))
    >>> enterprise_id = registry.create({"credit_code": "...", "name": "示例科技有限公司", "region_code": "150102"})
    """

    def __init__(self, sessions: sessionmaker[Session], webhook_policy: WebhookUrlPolicy, qualifications: QualificationStore | None = None) -> None:
        self.sessions = sessions
        self.webhook_policy = webhook_policy
        self.qualifications = qualifications or QualificationStore(sessions)
        self._ensure_counter()

    def _ensure_counter(self) -> None:
        with self.sessions() as session:
            if session.get(Counter, PROFILES_COUNTER) is None:
                session.add(Counter(name=PROFILES_COUNTER, value=0))
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()

    @staticmethod
    def _bump_profiles(session: Session) -> None:
        session.execute(update(Counter).where(Counter.name == PROFILES_COUNTER).values(value=Counter.value + 1))

    def _validated_profile(self, data: dict[str, Any]) -> dict[str, Any]:
        profile = parse_model(EnterpriseInput, data, {"qualifications": self.qualifications.refresh()})
        columns = profile.to_columns()
        if profile.webhook_url:
            problem = self.webhook_policy.check(profile.webhook_url)
            if problem:
                raise ValidationFailed(f"Webhook 地址：{problem}", field="webhook_url")
            columns["webhook_secret"] = profile.webhook_secret or secrets.token_hex(24)
        return columns

    def create(self, data: dict[str, Any]) -> int:
        """Validate and store a new profile; returns its id.

        :raises ValidationFailed: the profile is invalid or its credit code is taken.
        """
        columns = self._validated_profile(data)
        with self.sessions() as session:
            if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == columns["credit_code"])) is not None:
                raise ValidationFailed(f"统一社会信用代码 {columns['credit_code']} 的企业已存在", field="credit_code")
            enterprise = Enterprise(**columns)
            session.add(enterprise)
            try:
                session.flush()
                _sync_interest_subscriptions(session, enterprise)
                self._bump_profiles(session)
                session.commit()
            except IntegrityError:
                session.rollback()
                raise ValidationFailed(f"统一社会信用代码 {columns['credit_code']} 的企业已存在", field="credit_code") from None
            return enterprise.id

    def update(self, enterprise_id: int, data: dict[str, Any], *, partial: bool = False) -> None:
        """Replace a profile (``partial``: only the fields given).

        :raises NotFound: no such enterprise.
        :raises ValidationFailed: the resulting profile is invalid or its credit code is another's.
        """
        with self.sessions() as session:
            enterprise = load_enterprise(session, enterprise_id)
            if partial:
                merged = dict(_as_input(enterprise))
                merged.update(data)
                data = merged
            columns = self._validated_profile(data)
            if columns["credit_code"] != enterprise.credit_code and session.scalar(
                select(Enterprise.id).where(Enterprise.credit_code == columns["credit_code"])
            ):
                raise ValidationFailed(f"统一社会信用代码 {columns['credit_code']} 的企业已存在", field="credit_code")
            if columns.get("webhook_url") and not data.get("webhook_secret") and enterprise.webhook_secret:
                columns["webhook_secret"] = enterprise.webhook_secret
            for key, value in columns.items():
                setattr(enterprise, key, value)
            enterprise.updated_at = utcnow()
            _sync_interest_subscriptions(session, enterprise)
            self._bump_profiles(session)
            session.commit()

    def delete(self, enterprise_id: int) -> None:
        with self.sessions() as session:
            session.delete(load_enterprise(session, enterprise_id))
            self._bump_profiles(session)
            session.commit()

    def get(self, enterprise_id: int, *, include_secret: bool = False) -> dict[str, Any]:
        with self.sessions() as session:
            return _enterprise_out(load_enterprise(session, enterprise_id), include_secret)

    def page(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Profiles in id order, without webhook secrets."""
        with self.sessions() as session:
            rows = session.scalars(select(Enterprise).order_by(Enterprise.id).limit(limit).offset(offset))
            return [_enterprise_out(e, False) for e in rows]


def _as_input(enterprise: Enterprise) -> dict[str, Any]:
    data = {name: getattr(enterprise, name) for name in EnterpriseInput.model_fields}
    if data.get("established_on"):
        data["established_on"] = data["established_on"].isoformat()
    return {k: v for k, v in data.items() if v is not None}


def _enterprise_out(enterprise: Enterprise, include_secret: bool) -> dict[str, Any]:
    region = RegionTable.default().get(enterprise.region_code) if enterprise.region_code else None
    out = {name: getattr(enterprise, name) for name in EnterpriseInput.model_fields if name != "webhook_secret"}
    out.update(
        id=enterprise.id,
        size=enterprise.size,
        size_label=UNKNOWN_SIZE_LABEL if enterprise.size is None else EnterpriseSize(enterprise.size).label,
        region_name=region.full_name if region else None,
        ownership_label=None if enterprise.ownership is None else Ownership(enterprise.ownership).label,
        qualification_labels=None if enterprise.qualifications is None else [qualification_label(q) for q in enterprise.qualifications],
    )
    if include_secret:
        out["webhook_secret"] = enterprise.webhook_secret
    return out


def _sync_interest_subscriptions(session: Session, enterprise: Enterprise) -> None:
    """Mirror the profile's interests as subscriptions (source ``profile``) so publishing sees them too."""
    wanted = {("topic", v) for v in enterprise.interest_topics or []} | {("keyword", v) for v in enterprise.interest_keywords or []}
    existing = {(s.kind, s.value): s for s in session.scalars(select(Subscription).where(Subscription.enterprise_id == enterprise.id))}
    for key, sub in existing.items():
        if sub.source == "profile" and key not in wanted:
            session.delete(sub)
    for kind, value in wanted - set(existing):
        session.add(Subscription(enterprise_id=enterprise.id, kind=kind, value=value, source="profile"))
