"""Turns files into indexed policy documents: read → metadata → chunks → tokens → embeddings → store.

Each document is written to the store in one transaction, so a file is either wholly searchable or absent.
Files are prepared in small groups so the embedding model sees full batches.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from index.embedder import PolicyEmbedder
from index.storage_errors import DataDirectoryUnwritable, classify_write_error
from index.tokenizer import PolicyTokenizer
from index.types import IndexedChunk, PolicyDocument, PolicyStore, StoreError
from ingestion.catalog import Catalog, CatalogEntry
from ingestion.chunker import PolicyChunker
from ingestion.metadata import PolicyMetadataExtractor
from ingestion.metadata.corrections import keep_corrections
from ingestion.metadata.versions import relink_stored_versions
from ingestion.readers import DocumentReader, read_document
from ingestion.types import Chunk, DocumentRejected
from policy.formats import SUPPORTED_SUFFIXES


class IngestStatus(str, Enum):
    INGESTED = "ingested"  # new document
    REPLACED = "replaced"  # same source, changed content: the old version was replaced
    UPDATED = "updated"  # same source, same bytes, metadata changed by the catalog
    UNCHANGED = "unchanged"  # same source, same bytes: nothing to do
    DUPLICATE = "duplicate"  # the same bytes are already in the library under another source
    REJECTED = "rejected"  # could not be read; nothing was indexed


@dataclass(frozen=True)
class IngestOutcome:
    path: str
    status: IngestStatus
    doc_id: str | None = None
    title: str | None = None
    chunks: int = 0
    reason: str | None = None  # why it was rejected (Chinese), or what it duplicates

    @property
    def ok(self) -> bool:
        return self.status != IngestStatus.REJECTED


@dataclass
class _Prepared:
    source: str
    document: PolicyDocument
    chunks: list[Chunk]
    passages: list[str]
    status: IngestStatus
    original_bytes: bytes
    suffix: str


def doc_id_for(source: str) -> str:
    """Stable document id of a source (a resolved path, or ``upload/<name>``)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def expand_paths(paths: Iterable[Path], recursive: bool) -> Iterator[Path]:
    """Files named directly, plus the supported files inside named folders (all levels with ``recursive``)."""
    for path in paths:
        if path.is_dir():
            candidates = path.rglob("*") if recursive else path.glob("*")
            yield from sorted(p for p in candidates if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            yield path


class IngestionService:
    """Ingests files into a :class:`PolicyStore`.

    >>> service.ingest_paths([Path("policies_sample")], recursive=True)
    """

    def __init__(
        self,
        store: PolicyStore,
        tokenizer: PolicyTokenizer,
        embedder: PolicyEmbedder,
        *,
        chunker: PolicyChunker,
        extractor: PolicyMetadataExtractor,
        max_bytes: int,
        originals_dir: Path,
        group_size: int = 16,
        reader: DocumentReader = read_document,
        upload_reader: DocumentReader | None = None,
    ) -> None:
        """:param reader: reads files named by path (``ingest_paths``).
        :param upload_reader: reads uploaded bytes (``ingest_bytes``), e.g. in a sandboxed process; ``reader`` when None."""
        self.store = store
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.chunker = chunker
        self.extractor = extractor
        self.max_bytes = max_bytes
        self.reader = reader
        self.upload_reader = upload_reader or reader
        self.originals_dir = originals_dir
        self.group_size = group_size

    def ingest_paths(
        self,
        paths: Iterable[Path],
        *,
        recursive: bool = False,
        on_outcome: Callable[[IngestOutcome], None] | None = None,
        catalog: Catalog | None = None,
    ) -> list[IngestOutcome]:
        """:param catalog: metadata for some of the files; its values replace the extracted ones, and an unchanged
            file whose stored metadata differs from them is updated (its other metadata, staff corrections
            included, is kept)."""
        files = list(expand_paths(paths, recursive))
        outcomes: list[IngestOutcome] = []
        halted: DataDirectoryUnwritable | None = None  # once the disk refuses writes, the rest is not attempted
        for start in range(0, len(files), self.group_size):
            group = files[start : start + self.group_size]
            if halted is None:
                group_outcomes, halted = self._ingest_group(
                    [(str(path.resolve()), path, None, catalog.entry_for(path) if catalog else None) for path in group]
                )
            else:
                group_outcomes = [IngestOutcome(str(path), IngestStatus.REJECTED, reason=f"未处理：{halted}") for path in group]
            for outcome in group_outcomes:
                outcomes.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
        self._link_versions(outcomes)
        return outcomes

    def ingest_bytes(self, name: str, data: bytes) -> IngestOutcome:
        """Ingest an uploaded file; its source is ``upload/<name>``, so a re-upload of that name replaces it.

        Raises :class:`DataDirectoryUnwritable` when the data directory refuses the write (nothing was kept).
        """
        safe_name = Path(name.replace("\\", "/")).name or "unnamed"
        outcomes, halted = self._ingest_group([(f"upload/{safe_name}", Path(safe_name), data, None)])
        if halted is not None:
            raise halted
        self._link_versions(outcomes)
        return outcomes[0]

    def _link_versions(self, outcomes: list[IngestOutcome]) -> None:
        """Older versions of the laws just written are marked 已被修订 (and a newest one put back in force)."""
        written = (IngestStatus.INGESTED, IngestStatus.REPLACED, IngestStatus.UPDATED)
        relink_stored_versions(self.store, [o.title for o in outcomes if o.status in written])

    def _ingest_group(
        self, sources: list[tuple[str, Path, bytes | None, CatalogEntry | None]]
    ) -> tuple[list[IngestOutcome], DataDirectoryUnwritable | None]:
        prepared: list[_Prepared | IngestOutcome] = []
        first_in_group: dict[str, str] = {}  # content hash -> source, for twins within this group
        for source in sources:
            item = self._prepare(*source)
            if isinstance(item, _Prepared):
                twin = first_in_group.setdefault(item.document.content_hash, item.source)
                if twin != item.source:
                    item = IngestOutcome(
                        str(source[1]), IngestStatus.DUPLICATE, doc_id_for(twin), item.document.metadata.title,
                        reason=f"内容与已入库文档相同：{twin}",
                    )
            prepared.append(item)
        passages = [p for item in prepared if isinstance(item, _Prepared) for p in item.passages]
        outcomes: list[IngestOutcome] = []
        try:
            vectors = iter(self.embedder.embed_passages(passages)) if passages else iter(())
            for item in prepared:
                if isinstance(item, IngestOutcome):
                    outcomes.append(item)
                    continue
                outcomes.append(self._write(item, [next(vectors) for _ in item.passages]))
        except DataDirectoryUnwritable as error:
            for item in prepared[len(outcomes) :]:
                outcomes.append(item if isinstance(item, IngestOutcome) else IngestOutcome(_shown(item.source), IngestStatus.REJECTED, reason=str(error)))
            return outcomes, error
        return outcomes, None

    def _prepare(self, source: str, path: Path, data: bytes | None, entry: CatalogEntry | None) -> _Prepared | IngestOutcome:
        display = path.name if data is not None else str(path)
        read = self.upload_reader if data is not None else self.reader
        kept = None  # the stored metadata, when only the catalog changes it
        try:
            if data is None:
                if not path.exists():
                    raise DocumentRejected(display, "文件不存在，请检查路径")
                size = path.stat().st_size
                if size > self.max_bytes:
                    raise DocumentRejected(display, f"文件大小 {size / 1048576:.1f} MB 超过上限 {self.max_bytes // 1048576} MB")
                data = path.read_bytes()
            content_hash = hashlib.sha256(data).hexdigest()
            doc_id = doc_id_for(source)
            existing = self.store.describe_documents([doc_id]).get(doc_id)  # metadata only: no need for the text
            if existing is not None and existing.content_hash == content_hash:
                if entry is None or entry.applied_to(existing.metadata) == existing.metadata:
                    return IngestOutcome(display, IngestStatus.UNCHANGED, doc_id, existing.metadata.title, existing.chunk_count)
                kept = existing.metadata
            twin = self.store.find_by_hash(content_hash)
            if twin is not None and twin.doc_id != doc_id:
                return IngestOutcome(
                    display, IngestStatus.DUPLICATE, twin.doc_id, twin.metadata.title, twin.chunk_count,
                    reason=f"内容与已入库文档相同：{twin.path}",
                )
            extracted = read(path, max_bytes=self.max_bytes, data=data)
        except DocumentRejected as rejected:
            return IngestOutcome(display, IngestStatus.REJECTED, reason=rejected.reason)
        except OSError as error:
            return IngestOutcome(display, IngestStatus.REJECTED, reason=f"无法读取文件：{error.strerror or error}")

        metadata = kept if kept is not None else self.extractor.extract(extracted.text, title_hint=extracted.title_hint, file_name=path.name)
        if kept is None and existing is not None and existing.metadata.corrected:
            metadata = keep_corrections(metadata, existing.metadata)
        if entry is not None:
            metadata = entry.applied_to(metadata)
        if not metadata.title:
            metadata.title = path.stem
        chunks = self.chunker.split(extracted.text)
        if not chunks:
            return IngestOutcome(display, IngestStatus.REJECTED, reason="文件中没有可检索的文字内容")
        document = PolicyDocument(
            doc_id=doc_id,
            path=source,
            content_hash=content_hash,
            source_format=extracted.source_format.value,
            text=extracted.text,
            metadata=metadata,
        )
        passages = [passage_text(metadata.title, chunk) for chunk in chunks]
        status = IngestStatus.UPDATED if kept is not None else IngestStatus.REPLACED if existing is not None else IngestStatus.INGESTED
        return _Prepared(source, document, chunks, passages, status, data, path.suffix.lower())

    def _write(self, item: _Prepared, vectors: list[np.ndarray]) -> IngestOutcome:
        document = item.document
        try:
            document.original_file = self._keep_original(item.original_bytes, document.content_hash, item.suffix)
        except OSError as error:
            unwritable = classify_write_error(error, self.originals_dir)
            if unwritable is None:
                raise
            raise unwritable from error
        title_tokens = self.tokenizer.tokenize(document.metadata.title or "")
        section_tokens: dict[str, list[str]] = {}
        indexed = []
        for ordinal, (chunk, vector) in enumerate(zip(item.chunks, vectors, strict=True)):
            if chunk.section not in section_tokens:
                section_tokens[chunk.section] = self.tokenizer.tokenize(chunk.section)
            indexed.append(
                IndexedChunk(
                    chunk_id=f"{document.doc_id}:{ordinal}",
                    doc_id=document.doc_id,
                    ordinal=ordinal,
                    text=chunk.text,
                    char_start=chunk.char_start,
                    char_end=chunk.char_end,
                    section=chunk.section,
                    tokens=self.tokenizer.tokenize(chunk.text),
                    embedding=vector,
                    heading_tokens=title_tokens + section_tokens[chunk.section],
                )
            )
        document.chunk_count = len(indexed)
        shown = _shown(item.source)
        try:
            self.store.replace_document(document, indexed)
        except DataDirectoryUnwritable:
            raise
        except StoreError as error:  # this document failed; the rest of the batch goes on, a re-run completes it
            return IngestOutcome(shown, IngestStatus.REJECTED, document.doc_id, document.metadata.title, reason=f"写入索引失败：{error}")
        return IngestOutcome(shown, item.status, document.doc_id, document.metadata.title, len(indexed))

    def _keep_original(self, data: bytes, content_hash: str, suffix: str) -> str:
        """Store the original bytes under a generated name (never the uploaded name); returns the relative path."""
        relative = Path(content_hash[:2]) / f"{content_hash}{suffix if suffix in SUPPORTED_SUFFIXES else ''}"
        target = self.originals_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".partial")
            try:
                partial.write_bytes(data)
                shutil.move(partial, target)
            except OSError:
                partial.unlink(missing_ok=True)  # a full disk must not keep half a file
                raise
        return str(relative)


def _shown(source: str) -> str:
    """How a source is named in outcomes: an upload by its file name, a file by its path."""
    return Path(source).name if source.startswith("upload/") else source


def passage_text(title: str | None, chunk: Chunk) -> str:
    """What the embedding model sees for a chunk: its document title and heading path give it context."""
    heading = " ".join(part for part in (title or "", chunk.section) if part)
    return f"{heading}\n{chunk.text}" if heading else chunk.text
