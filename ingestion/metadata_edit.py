"""Staff corrections of a document's extracted metadata, and retiring a policy (marking it 已失效).

The text and chunks stay as they are: the document is saved again with its existing chunks. A corrected field loses
its evidence span (it was no longer read from the text); the chunks' heading tokens are rebuilt from the new title
and, when the title changed, the passages are embedded again, because the embedding model sees the title too::

    editor = MetadataEditor(kb.store, kb.tokenizer, kb.embedder)
    editor.apply("0d10eabe6c213bdc", MetadataChanges(issuer="广州市天河区人民政府", tags=["subsidy"]))
    editor.retire("0d10eabe6c213bdc")
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

from index.embedder import PolicyEmbedder
from index.tokenizer import PolicyTokenizer
from index.types import PolicyDocument, PolicyStore
from ingestion.metadata import corrected_value_problems
from ingestion.service import passage_text
from ingestion.types import Chunk
from policy.types import PolicyMetadata, ValidityStatus

EDITABLE_FIELDS = (
    "title", "issuer", "doc_number", "region", "written_date", "publish_date", "effective_date", "expiry_date", "status", "tags",
)


class DocumentNotFound(LookupError):
    def __init__(self, doc_id: str) -> None:
        super().__init__(f"没有 ID 为 {doc_id} 的文档")
        self.doc_id = doc_id


class InvalidMetadata(ValueError):
    """Corrections that cannot be saved; ``errors`` are Chinese sentences, one per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass
class MetadataChanges:
    """The complete corrected metadata, as a staff member submitted it (empty text means "unknown")."""

    title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    region: str | None = None
    written_date: date | None = None
    publish_date: date | None = None
    effective_date: date | None = None
    expiry_date: date | None = None
    status: ValidityStatus = ValidityStatus.IN_FORCE
    tags: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        errors = [] if (self.title or "").strip() else ["标题不能为空"]
        return errors + corrected_value_problems(dataclasses.asdict(self))


class MetadataEditor:
    def __init__(self, store: PolicyStore, tokenizer: PolicyTokenizer, embedder: PolicyEmbedder | None = None) -> None:
        self.store = store
        self.tokenizer = tokenizer
        self.embedder = embedder

    def _document(self, doc_id: str) -> PolicyDocument:
        document = self.store.get_document(doc_id)
        if document is None:
            raise DocumentNotFound(doc_id)
        return document

    def apply(self, doc_id: str, changes: MetadataChanges) -> PolicyDocument:
        """Save ``changes`` as the document's metadata.

        :returns: the saved document.
        :raises DocumentNotFound: no such document.
        :raises InvalidMetadata: the changes are inconsistent; nothing was saved.
        """
        problems = changes.problems()
        if problems:
            raise InvalidMetadata(problems)
        document = self._document(doc_id)
        old = document.metadata
        values = {name: getattr(changes, name) for name in EDITABLE_FIELDS}
        values["title"] = (values["title"] or "").strip()
        for name in ("issuer", "doc_number", "region"):
            values[name] = (values[name] or "").strip() or None
        corrected = {name for name, value in values.items() if getattr(old, name) != value}
        evidence = {name: span for name, span in old.evidence.items() if name not in corrected}
        kept = sorted(set(old.corrected) | corrected)  # a re-ingest of the file keeps these values
        document.metadata = dataclasses.replace(old, **values, evidence=evidence, corrected=kept)
        self._save(document, retitled="title" in corrected)
        return document

    def retire(self, doc_id: str, on: date | None = None) -> PolicyDocument:
        """Mark the policy 已失效 from ``on`` (today by default); it stays in the library, shown as expired."""
        document = self._document(doc_id)
        on = on or date.today()
        expiry = document.metadata.expiry_date if document.metadata.expiry_date and document.metadata.expiry_date <= on else on
        evidence = {k: v for k, v in document.metadata.evidence.items() if k not in ("status", "expiry_date")}
        kept = sorted(set(document.metadata.corrected) | {"status", "expiry_date"})
        document.metadata = dataclasses.replace(
            document.metadata, status=ValidityStatus.EXPIRED, expiry_date=expiry, evidence=evidence, corrected=kept
        )
        self._save(document, retitled=False)
        return document

    def _save(self, document: PolicyDocument, *, retitled: bool) -> None:
        chunks = self.store.get_chunks(document.doc_id)
        title = document.metadata.title
        title_tokens = self.tokenizer.tokenize(title or "")
        vectors = None
        if retitled and self.embedder is not None and chunks:
            passages = [passage_text(title, Chunk(c.text, c.char_start, c.char_end, tuple(c.section.split(" > ")) if c.section else ())) for c in chunks]
            vectors = list(self.embedder.embed_passages(passages))
        rebuilt = []
        for index, chunk in enumerate(chunks):
            rebuilt.append(
                dataclasses.replace(
                    chunk,
                    heading_tokens=title_tokens + self.tokenizer.tokenize(chunk.section),
                    embedding=vectors[index] if vectors is not None else chunk.embedding,
                )
            )
        self.store.replace_document(document, rebuilt)


def metadata_from_document(metadata: PolicyMetadata) -> MetadataChanges:
    """The form's starting values: the document's current metadata."""
    return MetadataChanges(**{name: getattr(metadata, name) for name in EDITABLE_FIELDS})
