"""The qualification catalogue of one push database: the built-in qualifications plus those admins added.

Added ones are rows of ``push_qualifications``; :meth:`QualificationStore.catalog` re-reads them when another
process may have added one, so every process validates profiles and rules against the same list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from push_rules.errors import ValidationFailed
from push_rules.models import QualificationEntry
from push_rules.qualifications import Qualification, QualificationCatalog, QualificationRefused


class QualificationStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._catalog = QualificationCatalog()
        self.refresh()

    def refresh(self) -> QualificationCatalog:
        """The catalogue, with any qualification stored since the last read added."""
        with self.sessions() as session:
            rows = session.scalars(select(QualificationEntry).order_by(QualificationEntry.created_at, QualificationEntry.slug)).all()
            self._catalog.load(Qualification(r.slug, r.label, tuple(r.aliases or ()), builtin=False) for r in rows)
        return self._catalog

    @property
    def catalog(self) -> QualificationCatalog:
        return self._catalog

    def list(self) -> list[dict[str, Any]]:
        return [q.as_dict() for q in self.refresh().entries()]

    def add(self, slug: str, label: str, aliases: Iterable[str]) -> dict[str, Any]:
        """Store a new qualification. :raises ValidationFailed: a bad slug, a taken name or a full catalogue (nothing saved)."""
        catalog = self.refresh()
        try:
            qualification = catalog.check_new(slug, label, aliases)
        except QualificationRefused as error:
            raise ValidationFailed(str(error), field=error.field) from None
        with self.sessions() as session:
            session.add(QualificationEntry(slug=qualification.slug, label=qualification.label, aliases=list(qualification.aliases)))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                raise ValidationFailed(f"资质“{qualification.label}”已存在", field="label") from None
        catalog.load([qualification])
        return qualification.as_dict()
