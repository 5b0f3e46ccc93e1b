"""政策库: search with metadata filters (GET /library) and the document page (GET /documents/{doc_id}).

A citation or search hit links to ``/documents/<id>?hl=<start>-<end>#cited``: the page shows the full text with
that span highlighted and scrolled to, beside the metadata, the article outline and the original file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from index.types import PolicyDocument, SearchFilters
from ingestion.outline import document_outline
from policy.tags import POLICY_TAGS
from policy.types import current_status
from webui.rendering import render
from webui.search_filters import STATUSES, UNKNOWN_STATUS

router = APIRouter(include_in_schema=False)

TAG_LABELS = {slug: label for slug, (label, _keywords) in POLICY_TAGS.items()}
MAX_QUERY_CHARS = 500
HITS_PER_DOCUMENT = 3
MAX_HITS = 15


@dataclass(frozen=True)
class Piece:
    """A run of text shown as is, highlighted, or an empty anchor an outline entry links to."""

    text: str = ""
    mark: bool = False
    anchor: str = ""
    first_mark: bool = False


def highlight(text: str, terms: list[str]) -> list[Piece]:
    """``text`` cut into plain and highlighted pieces: every occurrence of a term (longest first) is marked."""
    terms = sorted({t for t in terms if len(t) >= 2 or (t.isascii() and t.isalnum() and len(t) >= 2)}, key=len, reverse=True)
    marked = [False] * len(text)
    for term in terms:
        start = text.find(term)
        while start >= 0:
            for i in range(start, start + len(term)):
                marked[i] = True
            start = text.find(term, start + len(term))
    pieces: list[Piece] = []
    for i, char in enumerate(text):
        if pieces and pieces[-1].mark == marked[i]:
            pieces[-1] = Piece(pieces[-1].text + char, marked[i])
        else:
            pieces.append(Piece(char, marked[i]))
    return pieces


def _date(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}应为日期（YYYY-MM-DD）")
        return None


def _matches(document: PolicyDocument, filters: SearchFilters) -> bool:
    meta = document.metadata
    doc_date = meta.publish_date or meta.written_date
    return (
        (not filters.region or (meta.region or "").startswith(filters.region))
        and (not filters.issuer or filters.issuer in (meta.issuer or ""))
        and (not filters.status or current_status(meta).value == filters.status)
        and (not filters.tag or filters.tag in meta.tags)
        and (not filters.date_from or (doc_date is not None and doc_date >= filters.date_from))
        and (not filters.date_to or (doc_date is not None and doc_date <= filters.date_to))
    )


@router.get("/library", response_class=HTMLResponse)
async def library(
    request: Request,
    q: Annotated[str, Query(max_length=2000)] = "",
    region: str = "",
    issuer: str = "",
    tag: str = "",
    status: str = "",
    date_from: str = "",
    date_to: str = "",
) -> HTMLResponse:
    kb = request.app.state.kb
    query = q.strip()
    errors: list[str] = []
    if len(query) > MAX_QUERY_CHARS:
        errors.append(f"检索内容过长（{len(query)} 字），请控制在 {MAX_QUERY_CHARS} 字以内")
    if status and status not in STATUSES:
        errors.append(UNKNOWN_STATUS)
    if tag and tag not in TAG_LABELS:
        errors.append("未知的政策类型")
    filters = SearchFilters(
        region=region.strip() or None,
        issuer=issuer.strip() or None,
        status=status if status in STATUSES else None,
        tag=tag if tag in TAG_LABELS else None,
        date_from=_date(date_from, "起始日期", errors),
        date_to=_date(date_to, "截止日期", errors),
    )
    hits: list[dict[str, Any]] = []
    documents: list[PolicyDocument] = []
    if not errors and query:
        found = await run_in_threadpool(kb.searcher.search, query, top_k=40, filters=filters)
        terms = kb.tokenizer.tokenize(query)
        per_document: dict[str, int] = {}
        for hit in found:  # a few passages per document, so one long law does not fill the page
            per_document[hit.doc_id] = per_document.get(hit.doc_id, 0) + 1
            if per_document[hit.doc_id] <= HITS_PER_DOCUMENT and len(hits) < MAX_HITS:
                hits.append({"hit": hit, "pieces": highlight(hit.text, terms)})
    elif not errors:
        listed = await run_in_threadpool(kb.store.list_documents, 500, 0)
        documents = [d for d in listed if _matches(d, filters)]
    context = {
        "query": query,
        "form": {"region": region, "issuer": issuer, "tag": tag, "status": status, "date_from": date_from, "date_to": date_to},
        "filtered": not filters.is_empty(),
        "errors": errors,
        "hits": hits,
        "documents": documents,
        "total": kb.store.count_documents(),
        "statuses": STATUSES,
        "tags": TAG_LABELS,
    }
    return render(request, "library.html", context, status_code=422 if errors else 200)


def _outline(document: PolicyDocument) -> list[dict[str, Any]]:
    """Every 编/章/节/条 (or 一、/（一） heading) of the text, with its depth and the anchor where it starts."""
    return [
        {
            "label": entry.label if entry.label.endswith("条") or not entry.title else f"{entry.label} {entry.title}",
            "depth": entry.level,
            "start": entry.offset,
            "anchor": f"at-{entry.offset}",
        }
        for entry in document_outline(document.text)
    ]


def _pieces(text: str, anchors: list[int], span: tuple[int, int] | None) -> list[Piece]:
    cuts = sorted({0, len(text), *anchors, *(span or ())})
    anchor_set = set(anchors)
    pieces: list[Piece] = []
    first = True
    for start, end in pairwise(cuts):
        if start in anchor_set:
            pieces.append(Piece(anchor=f"at-{start}"))
        marked = span is not None and span[0] <= start and end <= span[1]
        pieces.append(Piece(text[start:end], mark=marked, first_mark=marked and first))
        first = first and not marked
    return pieces


def _span(value: str, length: int) -> tuple[int, int] | None:
    start, _, end = value.partition("-")
    if not (start.isdigit() and end.isdigit()):
        return None
    begin, finish = int(start), int(end)
    return (begin, finish) if 0 <= begin < finish <= length else None


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
async def document_page(request: Request, doc_id: str, hl: str = "") -> HTMLResponse:
    kb = request.app.state.kb
    document = await run_in_threadpool(kb.store.get_document, doc_id)
    if document is None:
        return render(request, "not_found.html", {"message": f"没有找到 ID 为 {doc_id} 的政策文件，它可能已被删除。"}, status_code=404)
    chunks = await run_in_threadpool(kb.store.get_chunks, doc_id)
    outline = _outline(document)
    span = _span(hl, len(document.text))
    cited_section = next((c.section for c in chunks if span and c.char_start <= span[0] < c.char_end), None)
    context = {
        "document": document,
        "summary": document.summary(),
        "outline": outline,
        "pieces": _pieces(document.text, [e["start"] for e in outline], span),
        "span": span,
        "cited_section": cited_section,
        "tags": TAG_LABELS,
        "file_name": document.path.rsplit("/", 1)[-1],
    }
    return render(request, "document.html", context)
