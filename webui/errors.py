"""The web app's errors and the one module that renders every error: JSON for the API, the HTML page for pages.

Any :class:`policy.errors.PolicyKBError` (this module's :class:`ApiError`, the push subsystem's ``PushError``, the
index's ``StoreError``, the accounts' errors…) answers with its ``status_code`` and ``as_json()`` body;
:class:`webui.roles.AccessDenied` on a page shows the Chinese 401/403 page instead.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from index.storage_errors import classify_write_error
from policy.errors import PolicyKBError
from webui.rendering import render
from webui.roles import AccessDenied
from webui.validation_messages import validation_message


class ErrorBody(BaseModel):
    """The JSON body of every error answer of the API (4xx): one sentence a person can act on."""

    detail: str = Field(description="原因与处理办法（中文）")


_ERROR_DESCRIPTIONS = {
    400: "请求体无法解析（不是 UTF-8 编码的 JSON，或表单格式错误）",
    401: "未登录，或 API 令牌无效、已吊销",
    403: "当前角色无权执行此操作，或跨站请求被拒绝（CSRF 防护）",
    404: "资源不存在",
    422: "请求参数或请求体不合法",
    429: "请求过于频繁（响应头 Retry-After 给出等待秒数）",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer, each with the :class:`ErrorBody` shape.

    Declaring 422 also replaces FastAPI's default ``HTTPValidationError`` schema, which is not what
    :func:`install_error_handlers` sends.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for code in status_codes:
        responses[code] = {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[code]}
        if code == 429:
            responses[code]["headers"] = {"Retry-After": {"description": "建议等待的秒数", "schema": {"type": "integer"}}}
    return responses


class ApiError(PolicyKBError):
    """A request the API refuses: 400 unless a subclass says otherwise."""


class NotFound(ApiError):
    status_code = 404


class InvalidInput(ApiError):
    status_code = 422


class PayloadTooLarge(ApiError):
    status_code = 413


_UNPARSABLE_BODY = "请求体无法解析：JSON 应为 UTF-8 编码，上传文件应为格式正确的 multipart 表单"
def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PolicyKBError)
    async def policykb_error(_: Request, error: PolicyKBError) -> JSONResponse:
        return JSONResponse(error.as_json(), status_code=error.status_code)

    @app.exception_handler(AccessDenied)
    async def access_denied(request: Request, error: AccessDenied) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(error.as_json(), status_code=error.status_code)
        return render(request, "denied.html", {"message": error.message}, status_code=error.status_code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        # FastAPI answers a body it cannot decode (bytes that are not UTF-8, a broken multipart form) with a 400
        # in English; say it in Chinese like every other rejection. Other statuses keep FastAPI's own answer.
        if error.status_code == 400:
            return JSONResponse({"detail": _UNPARSABLE_BODY}, status_code=400, headers=error.headers)
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(error.errors())}, status_code=422)

    @app.exception_handler(sqlite3.Error)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def storage_error(request: Request, error: Exception) -> JSONResponse:
        # Any write that hits a full or read-only data directory (accounts, push, audit…) answers clearly.
        clear = classify_write_error(getattr(error, "orig", None) or error, request.app.state.kb.settings.data_dir)
        if clear is None:
            raise error
        return JSONResponse(clear.as_json(), status_code=clear.status_code)
