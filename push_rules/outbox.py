"""The durable outbox: deliveries written with their push record, claimed by workers with a lease.

A worker claims a due entry by a conditional UPDATE (works alike on SQLite and PostgreSQL, no row locks held
while sending), counts the attempt at claim time, sends, then records the result. If the worker dies after
claiming, the lease runs out and another worker retries; the receiver de-duplicates by the delivery id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from push_rules.models import DeliveryAttempt, OutboxEntry, utcnow


class OutboxStatus:
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True)
class ClaimedDelivery:
    outbox_id: int
    push_record_id: int
    channel: str
    attempt: int


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Delay after the ``attempt``-th failed attempt: base × 2^(attempt-1), at most ``cap``."""
    return min(cap, base * (2 ** max(0, attempt - 1)))


class Outbox:
    def __init__(self, sessions: sessionmaker[Session], *, max_attempts: int, backoff_base: float, backoff_cap: float, lease_seconds: float) -> None:
        self.sessions = sessions
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.lease_seconds = lease_seconds

    def claim_due(self, limit: int, now: datetime | None = None) -> list[ClaimedDelivery]:
        now = now or utcnow()
        claimed: list[ClaimedDelivery] = []
        with self.sessions() as session:
            candidates = session.execute(
                select(OutboxEntry.id, OutboxEntry.push_record_id, OutboxEntry.channel, OutboxEntry.attempts)
                .where(
                    OutboxEntry.status == OutboxStatus.PENDING,
                    OutboxEntry.next_attempt_at <= now,
                    or_(OutboxEntry.locked_until.is_(None), OutboxEntry.locked_until < now),
                )
                .order_by(OutboxEntry.next_attempt_at, OutboxEntry.id)
                .limit(limit)
            ).all()
            for entry_id, record_id, channel, attempts in candidates:
                result = session.execute(
                    update(OutboxEntry)
                    .where(
                        and_(
                            OutboxEntry.id == entry_id,
                            OutboxEntry.status == OutboxStatus.PENDING,
                            OutboxEntry.attempts == attempts,
                            or_(OutboxEntry.locked_until.is_(None), OutboxEntry.locked_until < now),
                        )
                    )
                    .values(attempts=attempts + 1, locked_until=now + timedelta(seconds=self.lease_seconds))
                )
                session.commit()
                if result.rowcount == 1:  # type: ignore[attr-defined]  # SQLAlchemy types execute() as Result; an UPDATE's is a CursorResult
                    claimed.append(ClaimedDelivery(entry_id, record_id, channel, attempts + 1))
        return claimed

    def record_success(self, delivery: ClaimedDelivery, status_code: int | None = None) -> None:
        with self.sessions.begin() as session:
            now = utcnow()
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id == delivery.outbox_id)
                .values(status=OutboxStatus.DONE, delivered_at=now, locked_until=None, last_error=None)
            )
            session.add(DeliveryAttempt(outbox_id=delivery.outbox_id, attempt=delivery.attempt, channel=delivery.channel, ok=True, status_code=status_code, at=now))

    def record_failure(self, delivery: ClaimedDelivery, error: str, status_code: int | None = None, *, permanent: bool = False) -> str:
        """Record a failed attempt; returns the new status (pending for a retry, dead when attempts are spent or
        the failure is ``permanent``, e.g. a webhook URL the policy refuses)."""
        with self.sessions.begin() as session:
            now = utcnow()
            dead = permanent or delivery.attempt >= self.max_attempts
            values: dict[str, object] = {"locked_until": None, "last_error": error}
            if dead:
                values["status"] = OutboxStatus.DEAD
            else:
                values["next_attempt_at"] = now + timedelta(seconds=backoff_seconds(delivery.attempt, self.backoff_base, self.backoff_cap))
            session.execute(update(OutboxEntry).where(OutboxEntry.id == delivery.outbox_id).values(**values))
            session.add(DeliveryAttempt(outbox_id=delivery.outbox_id, attempt=delivery.attempt, channel=delivery.channel, ok=False, status_code=status_code, error=error, at=now))
            return OutboxStatus.DEAD if dead else OutboxStatus.PENDING
