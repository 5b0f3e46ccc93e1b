"""Who may call which push endpoint (:func:`push_rules.api.build_push_router`), checked before the endpoint runs.

- Admins: everything; adding to the qualification catalogue (``POST /api/qualifications``) is theirs alone.
- Staff: everything else.
- Any signed-in user: reading the qualification catalogue.
- An enterprise user: only its own enterprise — its profile (read, change), matches, subscriptions and inbox.
  Another enterprise's id, or a subscription or message that is not its own, is a 403, so ids cannot be guessed.
- Anonymous: only the rule schema.

The push router stays free of web concerns; the app includes it with ``dependencies=[Depends(authorize_push)]``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from push_rules.errors import PushError
from webui.roles import AccessDenied, Identity, NotSignedIn, current_identity

PUBLIC_PATHS = {"/api/rules/schema"}
ADMIN_ONLY = {("POST", "/api/qualifications")}
SIGNED_IN = {("GET", "/api/qualifications")}
NOT_YOURS = "无权访问其他企业的数据。"
STAFF_ONLY = "此操作仅供工作人员使用。"
ADMIN_ONLY_MESSAGE = "此操作仅供管理员使用。"


async def _body_enterprise_id(request: Request) -> object:
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return payload.get("enterprise_id") if isinstance(payload, dict) else None


def _same(enterprise_id: object, own: int | None) -> bool:
    try:
        return own is not None and int(str(enterprise_id)) == own
    except ValueError:
        return False


async def authorize_push(request: Request, identity: Annotated[Identity, Depends(current_identity)]) -> None:
    path, method = request.url.path, request.method
    if (method, path) in ADMIN_ONLY:
        if not identity.signed_in:
            raise NotSignedIn("请先登录。")
        if not identity.is_admin:
            raise AccessDenied(ADMIN_ONLY_MESSAGE)
        return
    if path in PUBLIC_PATHS or identity.is_staff:
        return
    if not identity.signed_in:
        raise NotSignedIn("请先登录。")
    if (method, path) in SIGNED_IN:
        return
    if not identity.is_enterprise:
        raise AccessDenied(STAFF_ONLY)
    own = identity.enterprise_id
    params = request.path_params
    push = request.app.state.kb.push
    if "enterprise_id" in params:
        if method == "DELETE" or not _same(params["enterprise_id"], own):
            raise AccessDenied(STAFF_ONLY if method == "DELETE" and _same(params["enterprise_id"], own) else NOT_YOURS)
    elif path in ("/api/subscriptions", "/api/inbox") and method == "GET":
        if not _same(request.query_params.get("enterprise_id"), own):
            raise AccessDenied(NOT_YOURS)
    elif path == "/api/subscriptions" and method == "POST":
        if not _same(await _body_enterprise_id(request), own):
            raise AccessDenied(NOT_YOURS)
    elif "subscription_id" in params:
        try:
            mine = await run_in_threadpool(push.list_subscriptions, own) if own is not None else []
        except PushError:
            mine = []
        if not any(str(s.get("id")) == str(params["subscription_id"]) for s in _items(mine)):
            raise AccessDenied(NOT_YOURS)
    elif "message_id" in params:
        box = await run_in_threadpool(push.inbox, own, limit=500) if own is not None else {"messages": []}
        if not any(str(m["id"]) == str(params["message_id"]) for m in box["messages"]):
            raise AccessDenied(NOT_YOURS)
    else:
        raise AccessDenied(STAFF_ONLY)


def _items(subscriptions: object) -> list[dict[str, Any]]:
    if isinstance(subscriptions, dict):
        return list(subscriptions.get("subscriptions", []))
    return list(subscriptions) if isinstance(subscriptions, list) else []
