"""Policy versions: one row per (document, content hash), and the eligibility rule in force for a version."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from index.types import PolicyDocument
from push_rules.errors import NotFound
from push_rules.models import EligibilityRule, PolicyVersion
from push_rules.regions import RegionTable

DocumentLookup = Callable[[str], PolicyDocument | None]


class PolicyVersions:
    """Reads documents through ``lookup`` (any policy store's ``get_document``) and keeps their versions' rows."""

    def __init__(self, lookup: DocumentLookup) -> None:
        self.lookup = lookup

    def document(self, policy_id: str) -> PolicyDocument:
        """:raises NotFound: the store has no such document."""
        document = self.lookup(policy_id)
        if document is None:
            raise NotFound(f"政策文件 {policy_id} 不存在")
        return document

    @staticmethod
    def ensure(session: Session, document: PolicyDocument) -> PolicyVersion:
        """The row of the document's current version (created if new), its title, issuer, region and tags refreshed."""
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

    @staticmethod
    def latest_rule(session: Session, version: PolicyVersion) -> EligibilityRule | None:
        """The version's latest rule revision; a version without one inherits its document's latest earlier rule."""
        rule = session.scalar(
            select(EligibilityRule).where(EligibilityRule.policy_version_id == version.id).order_by(EligibilityRule.revision.desc()).limit(1)
        )
        if rule is not None:
            return rule
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
