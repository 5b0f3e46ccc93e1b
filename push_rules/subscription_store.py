"""An enterprise's subscriptions as stored: add, list, delete. Matching them is :mod:`push_rules.subscriptions`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from push_rules.enterprises import load_enterprise
from push_rules.errors import NotFound, ValidationFailed
from push_rules.models import Subscription
from push_rules.subscriptions import SubscriptionKind, normalize_subscription_value


class SubscriptionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, enterprise_id: int, kind: str, value: str) -> dict[str, Any]:
        """The enterprise's subscription of ``kind`` to ``value``, created unless it exists.

        :raises ValidationFailed: unknown kind or invalid value.
        :raises NotFound: no such enterprise.
        """
        try:
            sub_kind = SubscriptionKind.from_str(kind)
            normalized = normalize_subscription_value(sub_kind, value)
        except ValueError as error:
            raise ValidationFailed([str(error)]) from None
        with self.sessions() as session:
            load_enterprise(session, enterprise_id)
            found = session.scalar(
                select(Subscription).where(Subscription.enterprise_id == enterprise_id, Subscription.kind == sub_kind.value, Subscription.value == normalized)
            )
            if found is None:
                found = Subscription(enterprise_id=enterprise_id, kind=sub_kind.value, value=normalized, source="api")
                session.add(found)
                session.commit()
            return _subscription_out(found)

    def of_enterprise(self, enterprise_id: int) -> list[dict[str, Any]]:
        with self.sessions() as session:
            load_enterprise(session, enterprise_id)
            subs = session.scalars(select(Subscription).where(Subscription.enterprise_id == enterprise_id).order_by(Subscription.id))
            return [_subscription_out(s) for s in subs]

    def delete(self, subscription_id: int) -> None:
        with self.sessions() as session:
            sub = session.get(Subscription, subscription_id)
            if sub is None:
                raise NotFound(f"订阅 {subscription_id} 不存在")
            session.delete(sub)
            session.commit()


def _subscription_out(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "enterprise_id": sub.enterprise_id, "kind": sub.kind, "kind_label": SubscriptionKind(sub.kind).label, "value": sub.value, "source": sub.source}
