"""The API documentation page (/docs), served whole by the app: Swagger UI's files come from the installed
``fastapi-offline`` package (a Swagger UI recent enough for OpenAPI 3.1), never from a CDN, so the page works on an
air-gapped intranet.

The page has no inline script: Swagger UI is started by ``static/api_docs.js``, so the strict Content-Security-Policy
of every other page applies, except that Swagger UI sets inline styles on its elements.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/api-docs-assets"
_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"

router = APIRouter()

_PAGE = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>PolicyKB 政策通 API 文档</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="/static/api_docs.js"></script>
</body>
</html>
"""


@router.get("/docs", include_in_schema=False)
def api_docs() -> HTMLResponse:
    return HTMLResponse(_PAGE)


def swagger_assets() -> StaticFiles:
    """Swagger UI's own files (script, styles, icons), to be mounted at :data:`ASSETS_PATH`."""
    return StaticFiles(directory=_ASSETS_DIR)
