"""/api/documents: upload (multipart, one or more files), list, show, delete."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel

from index.storage_errors import DataDirectoryUnwritable
from ingestion.service import IngestOutcome, IngestStatus
from policy.formats import supported_formats_text
from policykb.assembly import PolicyKB
from webui.dependencies import Offset, get_kb
from webui.errors import ErrorBody, InvalidInput, NotFound, error_responses
from webui.public_paths import public_record, viewer_is_staff
from webui.roles import require_staff

router = APIRouter(tags=["documents"])

MAX_FILES_PER_UPLOAD = 50
# The original is served with the media type of the format it was read as, not one guessed from the uploaded name.
ORIGINAL_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "txt": "text/plain",
    "md": "text/markdown",
}


class UploadResults(BaseModel):
    """One outcome per uploaded file (stored, unchanged or rejected, with the reason)."""

    results: list[dict[str, Any]]


def _outcome_json(outcome: IngestOutcome) -> dict[str, Any]:
    return {**asdict(outcome), "status": outcome.status.value, "ok": outcome.ok}


async def _read_limited(upload: UploadFile, max_bytes: int) -> bytes | None:
    """The upload's bytes, or None once it passes ``max_bytes`` (reading stops there)."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(1024 * 1024):
        size += len(chunk)
        if size > max_bytes:
            return None
        parts.append(chunk)
    return b"".join(parts)


@router.post(
    "/api/documents",
    summary="上传政策文件（可多个）并入库（仅工作人员）",
    dependencies=[Depends(require_staff)],
    responses={
        200: {"model": UploadResults, "description": "至少一个文件已入库"},
        **error_responses(400, 401, 403),
        422: {"model": ErrorBody | UploadResults, "description": "请求不合法，或没有一个文件能入库（results 逐个说明原因）"},
    },
)
async def upload_documents(
    kb: Annotated[PolicyKB, Depends(get_kb)],
    files: Annotated[list[UploadFile], File(description=f"{supported_formats_text()} 文件")],
) -> JSONResponse:
    if not files:
        raise InvalidInput("请至少选择一个文件")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise InvalidInput(f"一次最多上传 {MAX_FILES_PER_UPLOAD} 个文件")
    results = []
    for position, upload in enumerate(files):
        name = upload.filename or "未命名文件"
        data = await _read_limited(upload, kb.settings.max_upload_bytes)
        if data is None:
            outcome = IngestOutcome(name, IngestStatus.REJECTED, reason=f"文件超过大小上限 {kb.settings.max_upload_mb} MB")
        else:
            try:
                outcome = await run_in_threadpool(kb.ingestion.ingest_bytes, name, data)
            except DataDirectoryUnwritable as error:  # the files before this one are stored; this and the rest are not
                results.append(_outcome_json(IngestOutcome(name, IngestStatus.REJECTED, reason=str(error))))
                results.extend(
                    _outcome_json(IngestOutcome(later.filename or "未命名文件", IngestStatus.REJECTED, reason=f"未处理：{error}"))
                    for later in files[position + 1 :]
                )
                return JSONResponse({"detail": str(error), "results": results}, status_code=error.status_code)
        results.append(_outcome_json(outcome))
    status = 200 if any(r["ok"] for r in results) else 422
    return JSONResponse({"results": results}, status_code=status)


@router.get("/api/documents", summary="已入库文档列表", responses=error_responses(422))
async def list_documents(
    request: Request,
    kb: Annotated[PolicyKB, Depends(get_kb)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    documents = await run_in_threadpool(kb.store.list_documents, limit, offset)
    summaries = [d.summary() for d in documents]
    if not viewer_is_staff(request):
        summaries = [public_record(summary) for summary in summaries]
    return {"total": kb.store.count_documents(), "documents": summaries}


@router.get("/api/documents/{doc_id}", summary="文档全文、元数据与分段", responses=error_responses(404, 422))
async def show_document(request: Request, kb: Annotated[PolicyKB, Depends(get_kb)], doc_id: str) -> dict[str, Any]:
    document = await run_in_threadpool(kb.store.get_document, doc_id)
    if document is None:
        raise NotFound(f"没有 ID 为 {doc_id} 的文档")
    chunks = await run_in_threadpool(kb.store.get_chunks, doc_id)
    evidence = {name: asdict(span) for name, span in document.metadata.evidence.items()}
    summary = document.summary() if viewer_is_staff(request) else public_record(document.summary())
    return {
        **summary,
        "text": document.text,
        "evidence": evidence,
        "chunks": [
            {"chunk_id": c.chunk_id, "section": c.section, "char_start": c.char_start, "char_end": c.char_end}
            for c in chunks
        ],
    }


@router.get(
    "/api/documents/{doc_id}/original",
    summary="下载原始文件",
    response_class=FileResponse,
    responses={
        200: {"description": "上传时的原始文件", "content": {media_type: {} for media_type in ORIGINAL_MEDIA_TYPES.values()}},
        **error_responses(404, 422),
    },
)
async def download_original(kb: Annotated[PolicyKB, Depends(get_kb)], doc_id: str) -> FileResponse:
    document = await run_in_threadpool(kb.store.get_document, doc_id)
    if document is None or not document.original_file:
        raise NotFound(f"没有 ID 为 {doc_id} 的原始文件")
    path = kb.settings.originals_dir / document.original_file
    if not path.is_file():
        raise NotFound("原始文件已不在数据目录中")
    filename = document.path.rsplit("/", 1)[-1]
    return FileResponse(path, filename=filename, media_type=ORIGINAL_MEDIA_TYPES.get(document.source_format))


@router.delete(
    "/api/documents/{doc_id}",
    summary="删除文档（仅工作人员）",
    dependencies=[Depends(require_staff)],
    responses=error_responses(401, 403, 404, 422),
)
async def delete_document(kb: Annotated[PolicyKB, Depends(get_kb)], doc_id: str) -> dict[str, Any]:
    if not await run_in_threadpool(kb.store.delete_document, doc_id):
        raise NotFound(f"没有 ID 为 {doc_id} 的文档")
    return {"deleted": doc_id}
