"""Errors that carry their HTTP status and a Chinese message, and the handlers that turn them into JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from index.types import StoreError


class ApiError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ApiError):
    status_code = 404


class InvalidInput(ApiError):
    status_code = 422


class PayloadTooLarge(ApiError):
    status_code = 413


_FIELD_NAMES = {"q": "检索内容", "top_k": "返回条数", "files": "文件", "question": "问题"}


def _validation_message(error: RequestValidationError) -> str:
    messages = []
    for item in error.errors():
        field = str(item.get("loc", ["", ""])[-1])
        name = _FIELD_NAMES.get(field, field)
        kind = item.get("type", "")
        if kind == "missing":
            messages.append(f"缺少{name}")
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            messages.append(f"{name}超出允许范围（{item.get('ctx', {})}）")
        elif kind.startswith(("int_", "float_")):
            messages.append(f"{name}应为数字")
        elif kind.startswith("date"):
            messages.append(f"{name}应为日期（YYYY-MM-DD）")
        else:
            messages.append(f"{name}不合法：{item.get('msg', '')}")
    return "；".join(messages) or "请求不合法"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.exception_handler(StoreError)
    async def store_error(_: Request, error: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(error)}, status_code=422)
