"""Staff console (工作人员): upload, ingestion status, metadata review, eligibility rules, publish/retire, feedback.

Every route depends on :func:`webui.roles.require_staff`; others get a 403 page. Forms post here and redirect back
with a notice code (post/redirect/get), so a reload never repeats an action.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ingestion.metadata_edit import DocumentNotFound, InvalidMetadata, MetadataChanges, MetadataEditor
from policy.formats import supported_formats_text, supported_suffixes_text
from policy.types import ValidityStatus, current_status
from push_rules.errors import PushError
from push_rules.rule_ops import RULE_OPS
from push_rules.rules_schema import parse_rule_text
from webui.feedback import get_feedback_store
from webui.page_library import TAG_LABELS, Piece
from webui.rendering import render
from webui.roles import Identity, require_staff
from webui.rule_editor import editor_options, rule_editor_data
from webui.search_filters import STATUSES

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_staff)])
Staff = Annotated[Identity, Depends(require_staff)]

NOTICES = {
    "metadata": "元数据已保存。",
    "retired": "已将该政策标记为“已失效”。",
    "rules": "申报条件规则已保存。",
    "published": "已发布。",
}
METADATA_FIELDS = (
    ("title", "标题"), ("doc_number", "文号"), ("issuer", "发文机关"), ("region", "地区"),
    ("written_date", "成文日期"), ("publish_date", "发布日期"), ("effective_date", "施行日期"), ("expiry_date", "失效日期"),
)


def evidence_pieces(text: str, evidences: list[str]) -> list[Piece]:
    """``text`` with each suggested condition's evidence highlighted and preceded by an anchor ``ev-<n>``."""
    spans: list[tuple[int, int, int]] = []
    for number, evidence in enumerate(evidences, start=1):
        start = text.find(evidence) if evidence else -1
        if start >= 0 and not any(s < start + len(evidence) and start < e for s, e, _ in spans):
            spans.append((start, start + len(evidence), number))
    pieces: list[Piece] = []
    position = 0
    for start, end, number in sorted(spans):
        pieces += [Piece(text[position:start]), Piece(anchor=f"ev-{number}"), Piece(text[start:end], mark=True)]
        position = end
    pieces.append(Piece(text[position:]))
    return pieces


def _editor(request: Request) -> MetadataEditor:
    kb = request.app.state.kb
    return MetadataEditor(kb.store, kb.tokenizer, kb.embedder)


@router.get("/staff", response_class=HTMLResponse)
async def console(request: Request) -> HTMLResponse:
    kb = request.app.state.kb
    documents = await run_in_threadpool(kb.store.list_documents, 500, 0)
    counts = await run_in_threadpool(get_feedback_store(request).counts)
    context = {
        "documents": documents,
        "statuses": {d.doc_id: current_status(d.metadata).value for d in documents},
        "feedback_counts": counts,
        "max_upload_mb": kb.settings.max_upload_mb,
        "upload_formats": supported_formats_text(),
        "upload_accept": supported_suffixes_text(","),
    }
    return render(request, "staff/console.html", context)


async def _document_context(request: Request, doc_id: str) -> dict[str, Any] | None:
    kb = request.app.state.kb
    document = await run_in_threadpool(kb.store.get_document, doc_id)
    if document is None:
        return None
    rules = await run_in_threadpool(kb.push.get_rules, doc_id)
    suggestion = await run_in_threadpool(kb.push.suggest_rules, doc_id)
    evidence_texts = [c.get("evidence") or "" for c in suggestion["conditions"]]
    current_rule = rules["rules"] or suggestion["rules"]
    return {
        "document": document,
        "meta": document.metadata,
        "status": current_status(document.metadata).value,
        "evidence": {name: asdict(span) for name, span in document.metadata.evidence.items()},
        "fields": METADATA_FIELDS,
        "statuses": STATUSES,
        "tags": TAG_LABELS,
        "rules": rules,
        "suggestion": suggestion,
        "rule_text": json.dumps(current_rule, ensure_ascii=False, indent=2) if current_rule else "",
        "rule_ops": list(RULE_OPS.values()),
        "rule_editor": rule_editor_data(current_rule, suggestion, kb.push.list_qualifications(), doc_id, saved=rules["rules"] is not None),
        "editor_options": editor_options(),
        "source_pieces": evidence_pieces(document.text, evidence_texts),
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "published_summary": _published_summary(request.query_params.get("pushed", "")),
        "errors": [],
        "form_errors": {},
    }


def _published_summary(counts: str) -> str | None:
    parts = counts.split("-")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    eligible, incomplete, subscribed, created = parts
    return f"符合条件 {eligible} 家，信息待完善 {incomplete} 家，按订阅 {subscribed} 家；本次新推送 {created} 条。"


def _not_found(request: Request, doc_id: str) -> HTMLResponse:
    return render(request, "not_found.html", {"message": f"没有 ID 为 {doc_id} 的文档"}, status_code=404)


@router.get("/staff/documents/{doc_id}", response_class=HTMLResponse)
async def document_review(request: Request, doc_id: str) -> HTMLResponse:
    context = await _document_context(request, doc_id)
    return _not_found(request, doc_id) if context is None else render(request, "staff/document.html", context)


def _changes_from_form(form: Any) -> tuple[MetadataChanges, dict[str, str]]:
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name, label in METADATA_FIELDS[4:]:
        value = str(form.get(name, "")).strip()
        try:
            dates[name] = date.fromisoformat(value) if value else None
        except ValueError:
            errors[name] = f"{label}应为日期（YYYY-MM-DD）"
            dates[name] = None
    status_value = str(form.get("status", ValidityStatus.IN_FORCE.value))
    try:
        status = ValidityStatus(status_value)
    except ValueError:
        errors["status"] = "状态无效"
        status = ValidityStatus.IN_FORCE
    changes = MetadataChanges(
        title=str(form.get("title", "")),
        issuer=str(form.get("issuer", "")),
        doc_number=str(form.get("doc_number", "")),
        region=str(form.get("region", "")),
        status=status,
        tags=[str(t) for t in form.getlist("tags")],
        **dates,
    )
    return changes, errors


@router.post("/staff/documents/{doc_id}/metadata", response_model=None)
async def save_metadata(request: Request, doc_id: str) -> Response:
    form = await request.form()
    changes, form_errors = _changes_from_form(form)
    if not form_errors:
        try:
            await run_in_threadpool(_editor(request).apply, doc_id, changes)
            return RedirectResponse(f"/staff/documents/{doc_id}?notice=metadata", status_code=303)
        except DocumentNotFound:
            return _not_found(request, doc_id)
        except InvalidMetadata as invalid:
            form_errors["_"] = invalid.errors and "；".join(invalid.errors) or ""
    context = await _document_context(request, doc_id)
    if context is None:
        return _not_found(request, doc_id)
    context["form_errors"] = form_errors
    context["errors"] = list(form_errors.values())
    return render(request, "staff/document.html", context, status_code=422)


@router.post("/staff/documents/{doc_id}/retire", response_model=None)
async def retire(request: Request, doc_id: str) -> Response:
    try:
        await run_in_threadpool(_editor(request).retire, doc_id)
    except DocumentNotFound:
        return _not_found(request, doc_id)
    return RedirectResponse(f"/staff/documents/{doc_id}?notice=retired", status_code=303)


async def _push_failed(request: Request, doc_id: str, error: PushError, rule_text: str | None = None) -> Response:
    context = await _document_context(request, doc_id)
    if context is None:
        return _not_found(request, doc_id)
    context["errors"] = getattr(error, "errors", None) or [error.message]
    if rule_text is not None:
        context["rule_text"] = rule_text
    return render(request, "staff/document.html", context, status_code=error.status_code)


@router.post("/staff/documents/{doc_id}/rules", response_model=None)
async def save_rules(request: Request, doc_id: str) -> Response:
    kb = request.app.state.kb
    form = await request.form()
    text = str(form.get("rules", ""))
    try:
        rule = parse_rule_text(text)
        await run_in_threadpool(kb.push.save_rules, doc_id, rule, suggested=form.get("from_suggestion") == "1")
    except PushError as error:
        return await _push_failed(request, doc_id, error, text)
    return RedirectResponse(f"/staff/documents/{doc_id}?notice=rules#rules", status_code=303)


@router.post("/staff/documents/{doc_id}/publish", response_model=None)
async def publish(request: Request, doc_id: str) -> Response:
    kb = request.app.state.kb
    try:
        summary = await run_in_threadpool(kb.push.publish, doc_id)
    except PushError as error:
        return await _push_failed(request, doc_id, error)
    counts = f"{summary.eligible}-{summary.incomplete}-{summary.subscribed}-{summary.pushes_created}"
    return RedirectResponse(f"/staff/documents/{doc_id}?notice=published&pushed={counts}#publish", status_code=303)


@router.get("/staff/feedback", response_class=HTMLResponse)
async def feedback_list(request: Request) -> HTMLResponse:
    store = get_feedback_store(request)
    entries = await run_in_threadpool(store.list, 200, 0)
    kb = request.app.state.kb
    titles = {}
    doc_ids = sorted({d for e in entries for d in e.cited_doc_ids})
    if doc_ids:
        described = await run_in_threadpool(kb.store.describe_documents, doc_ids)
        titles = {doc_id: d.metadata.title or d.path for doc_id, d in described.items()}
    return render(request, "staff/feedback.html", {"entries": entries, "counts": store.counts(), "titles": titles})
