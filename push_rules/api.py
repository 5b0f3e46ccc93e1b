"""HTTP API of the push subsystem: ``build_push_router(service)`` returns a prefix-free APIRouter.

Request bodies are read as JSON objects and validated by the pydantic models of :mod:`push_rules.profile`
and below. Endpoints raise :class:`push_rules.errors.PushError`; the app that includes the router renders it
(:mod:`webui.errors`), so every rejection is an HTTP 422 whose ``detail`` is Chinese (and ``errors`` lists each
problem), and missing things are 404 with a Chinese ``detail``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from push_rules.errors import ValidationFailed
from push_rules.profile import EnterpriseInput
from push_rules.rules_schema import RULE_JSON_SCHEMA, parse_rule_text
from push_rules.service import PushService
from push_rules.validation import json_object, parse_model

# Ids are 32-bit INTEGER columns (PostgreSQL): a larger number names nothing, and SQLite cannot even compare it
# (OverflowError, a 500), so it is rejected as invalid input.
MAX_ID = 2**31 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
MAX_OFFSET = 2**63 - 1  # SQL's 64-bit OFFSET
AsOf = Annotated[date | None, Query(description="评估日期（YYYY-MM-DD），用于审计：按该日的规则、政策效力和企业成立年限计算；默认今天")]


class SubscriptionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_id: int = Field(ge=1, le=MAX_ID)
    kind: str
    value: str


class RulesInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: Any = None
    rules_yaml: str | None = None


class QualificationInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    slug: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=40)
    aliases: list[str] = Field(default_factory=list, max_length=20)


class ReadInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    read: bool = True


class PushErrorBody(BaseModel):
    """The JSON body of a rejected push request."""

    detail: str = Field(description="原因（中文）；多个问题以“；”连接")
    errors: list[str] | None = Field(None, description="逐条列出的问题（请求体或规则不合法时）")


_ERROR_DESCRIPTIONS = {
    400: "请求体无法解析（不是 UTF-8 编码的 JSON）",
    404: "企业、订阅、消息或政策文件不存在",
    422: "请求参数、请求体或规则不合法",
}


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI of a body the handler reads as ``Any`` and validates itself (for Chinese messages): its model's schema."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _errors(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of the rejections a push endpoint answers with."""
    return {code: {"model": PushErrorBody, "description": _ERROR_DESCRIPTIONS[code]} for code in status_codes}


def _rule_of(payload: Any) -> Any:
    """The rule a rules request carries: its ``rules`` JSON object or its ``rules_yaml`` text, exactly one of them.

    :raises ValidationFailed: when the body is not a rules request, or has both or neither.
    """
    data = parse_model(RulesInput, payload)
    if (data.rules is None) == (data.rules_yaml is None):
        raise ValidationFailed("请提供 rules（JSON 对象）或 rules_yaml（YAML 文本）之一", field="rules")
    return data.rules if data.rules is not None else parse_rule_text(data.rules_yaml or "")


def build_push_router(service: PushService, on_enterprise_deleted: Callable[[int], object] | None = None) -> APIRouter:
    """The push API over ``service``; ``on_enterprise_deleted(id)`` runs right after an enterprise is deleted (the
    app unlinks the enterprise's user accounts, which live in another database)."""
    router = APIRouter(tags=["push"], default_response_class=JSONResponse)

    @router.get("/api/enterprises", responses=_errors(422))
    async def list_enterprises(limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Any:
        return await run_in_threadpool(service.list_enterprises, limit, offset)

    @router.post("/api/enterprises", status_code=201, responses=_errors(400, 422), openapi_extra=_json_body(EnterpriseInput))
    async def create_enterprise(payload: Any = Body(...)) -> Any:
        return await run_in_threadpool(service.create_enterprise, json_object(payload))

    @router.get("/api/enterprises/{enterprise_id}", responses=_errors(404, 422))
    async def get_enterprise(enterprise_id: PathId) -> Any:
        return await run_in_threadpool(service.get_enterprise, enterprise_id)

    @router.put("/api/enterprises/{enterprise_id}", responses=_errors(400, 404, 422), openapi_extra=_json_body(EnterpriseInput))
    async def replace_enterprise(enterprise_id: PathId, payload: Any = Body(...)) -> Any:
        return await run_in_threadpool(service.update_enterprise, enterprise_id, json_object(payload))

    @router.patch("/api/enterprises/{enterprise_id}", responses=_errors(400, 404, 422))
    async def patch_enterprise(enterprise_id: PathId, payload: Any = Body(...)) -> Any:
        return await run_in_threadpool(service.update_enterprise, enterprise_id, json_object(payload), partial=True)

    @router.delete("/api/enterprises/{enterprise_id}", status_code=204, responses=_errors(404, 422))
    async def delete_enterprise(enterprise_id: PathId) -> Response:
        def run() -> None:
            service.delete_enterprise(enterprise_id)
            if on_enterprise_deleted is not None:
                on_enterprise_deleted(enterprise_id)

        await run_in_threadpool(run)
        return Response(status_code=204)

    @router.get("/api/enterprises/{enterprise_id}/matches", responses=_errors(404, 422))
    async def enterprise_matches(enterprise_id: PathId, as_of: AsOf = None) -> Any:
        return await run_in_threadpool(service.enterprise_matches, enterprise_id, as_of)

    @router.get("/api/enterprises/{enterprise_id}/eligible-policies", responses=_errors(404, 422))
    async def eligible_policies(enterprise_id: PathId, as_of: AsOf = None) -> Any:
        return await run_in_threadpool(service.eligible_policies, enterprise_id, as_of)

    @router.get("/api/subscriptions", responses=_errors(404, 422))
    async def list_subscriptions(enterprise_id: QueryId) -> Any:
        return await run_in_threadpool(service.list_subscriptions, enterprise_id)

    @router.post("/api/subscriptions", status_code=201, responses=_errors(400, 404, 422), openapi_extra=_json_body(SubscriptionInput))
    async def add_subscription(payload: Any = Body(...)) -> Any:
        def run() -> Any:
            data = parse_model(SubscriptionInput, payload)
            return service.add_subscription(data.enterprise_id, data.kind, data.value)

        return await run_in_threadpool(run)

    @router.delete("/api/subscriptions/{subscription_id}", status_code=204, responses=_errors(404, 422))
    async def delete_subscription(subscription_id: PathId) -> Response:
        await run_in_threadpool(service.delete_subscription, subscription_id)
        return Response(status_code=204)

    @router.get("/api/inbox", responses=_errors(404, 422))
    async def inbox(enterprise_id: QueryId, unread: bool = False, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Any:
        return await run_in_threadpool(service.inbox, enterprise_id, unread_only=unread, limit=limit, offset=offset)

    @router.post("/api/inbox/{message_id}/read", responses=_errors(400, 404, 422))
    async def mark_read(message_id: PathId, payload: Any = Body(default_factory=dict)) -> Any:
        def run() -> Any:
            data = parse_model(ReadInput, payload or {})
            service.mark_read(message_id, data.read)
            return {"id": message_id, "read": data.read}

        return await run_in_threadpool(run)

    @router.get("/api/qualifications")
    async def list_qualifications() -> Any:
        return await run_in_threadpool(service.list_qualifications)

    @router.post("/api/qualifications", status_code=201, responses=_errors(400, 422), openapi_extra=_json_body(QualificationInput))
    async def add_qualification(payload: Any = Body(...)) -> Any:
        def run() -> Any:
            data = parse_model(QualificationInput, payload)
            return service.add_qualification(data.slug, data.label, data.aliases)

        return await run_in_threadpool(run)

    @router.get("/api/rules/schema")
    async def rule_schema() -> Any:
        return RULE_JSON_SCHEMA

    @router.get("/api/policies/{policy_id}/rules", responses=_errors(404, 422))
    async def get_rules(policy_id: str) -> Any:
        return await run_in_threadpool(service.get_rules, policy_id)

    @router.post("/api/policies/{policy_id}/rules/suggest", responses=_errors(404, 422))
    async def suggest_rules(policy_id: str) -> Any:
        return await run_in_threadpool(service.suggest_rules, policy_id)

    @router.post("/api/policies/{policy_id}/rules/preview", responses=_errors(400, 404, 422), openapi_extra=_json_body(RulesInput))
    async def preview_rules(policy_id: str, payload: Any = Body(...)) -> Any:
        def run() -> Any:
            return service.preview_rules(policy_id, _rule_of(payload))

        return await run_in_threadpool(run)

    @router.put("/api/policies/{policy_id}/rules", responses=_errors(400, 404, 422), openapi_extra=_json_body(RulesInput))
    async def save_rules(policy_id: str, payload: Any = Body(...)) -> Any:
        def run() -> Any:
            return service.save_rules(policy_id, _rule_of(payload))

        return await run_in_threadpool(run)

    @router.get("/api/policies/{policy_id}/matches", responses=_errors(404, 422))
    async def policy_matches(
        policy_id: str,
        include_excluded: bool = Query(False, description="也列出被排除的企业及排除它们的条件"),
        format: str = Query("json", pattern="^(json|csv)$", description="json 或 csv（CSV 含全部企业）"),
        as_of: AsOf = None,
    ) -> Any:
        if format == "csv":
            text = await run_in_threadpool(lambda: service.policy_matches_csv(policy_id, include_excluded=include_excluded, as_of=as_of))
            headers = {"Content-Disposition": f'attachment; filename="policy-{quote(policy_id)}-matches.csv"'}
            return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
        return await run_in_threadpool(lambda: service.policy_matches(policy_id, include_excluded=include_excluded, as_of=as_of))

    @router.post("/api/policies/{policy_id}/publish", responses=_errors(404, 422))
    async def publish(policy_id: str) -> Any:
        return (await run_in_threadpool(service.publish, policy_id)).as_dict()

    @router.post("/api/policies/{policy_id}/match", responses=_errors(404, 422))
    async def match(policy_id: str, as_of: AsOf = None) -> Any:
        return (await run_in_threadpool(lambda: service.match_policy(policy_id, today=as_of))).as_dict()

    return router
