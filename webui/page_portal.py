"""Enterprise portal (企业服务): profile form, subscriptions, and the inbox of pushed policies with explanations.

Every route depends on :func:`webui.roles.require_enterprise` and only ever touches the signed-in enterprise's
own records. The profile form is validated by :class:`push_rules.profile.EnterpriseInput` (the same rules as the
API); ``/portal/check`` and ``/portal/size`` give the inline feedback (credit code, region, industry, size).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from policy.tags import POLICY_TAGS
from push_rules.credit_code import normalize_credit_code, validate_credit_code
from push_rules.enterprise_size import EnterpriseSizeClassifier
from push_rules.errors import PushError
from push_rules.industry_codes import IndustryTable
from push_rules.qualifications import QUALIFICATIONS
from push_rules.regions import RegionTable
from push_rules.subscriptions import SubscriptionKind
from push_rules.validation import FIELD_LABELS
from webui.rendering import render
from webui.roles import Identity, remember, require_enterprise

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_enterprise)])
Enterprise = Annotated[Identity, Depends(require_enterprise)]

NO_QUALIFICATION = "none"
NUMBER_FIELDS = ("registered_capital", "employees", "annual_revenue", "total_assets")
TEXT_FIELDS = ("credit_code", "name", "region_code", "industry_code", "established_on", "email")
STATE_LABELS = {"Y": "满足", "N": "不满足", "?": "待完善"}
TOPIC_LABELS = {slug: label for slug, (label, _keywords) in POLICY_TAGS.items()}


@lru_cache(maxsize=1)
def region_options() -> list[tuple[str, str]]:
    table = RegionTable.default()
    text = resources.files("push_rules.data").joinpath("regions_gb2260.tsv").read_text(encoding="utf-8")
    codes = [line.split("\t")[0] for line in text.splitlines() if line and not line.startswith("#")]
    return [(code, region.full_name) for code in codes if (region := table.get(code)) is not None]


@lru_cache(maxsize=1)
def industry_options() -> list[tuple[str, str]]:
    table = IndustryTable.default()
    options: list[tuple[str, str]] = []
    for code in table.divisions():
        section = code[0]
        if not options or options[-1][0][0] != section:
            options.append((section, table.name(section) or section))
        options.append((code, table.name(code) or code))
    return options


def _field_errors(messages: list[str]) -> dict[str, str]:
    """Each message under the form field its label names; the rest under ``_``."""
    by_label = sorted(((label, name) for name, label in FIELD_LABELS.items()), key=lambda item: -len(item[0]))
    errors: dict[str, str] = {}
    for message in messages:
        name = next((n for label, n in by_label if message.startswith(label)), "_")
        errors[name] = f"{errors[name]}；{message}" if name in errors else message
    return errors


def _profile_from_form(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = str(form.get(name, "")).strip()
        if name == "region_code" or name == "industry_code":
            value = value.split(" ", 1)[0]  # "440106 广东省广州市天河区" from the picker
        if value or name in ("credit_code", "name"):
            data[name] = value
    for name in NUMBER_FIELDS:
        value = str(form.get(name, "")).strip()
        if value:
            try:
                data[name] = int(value) if name == "employees" else float(value)
            except ValueError:
                data[name] = value  # the model reports "应为数字"
    qualifications = [str(q) for q in form.getlist("qualifications")]
    if NO_QUALIFICATION in qualifications:
        data["qualifications"] = []
    elif qualifications:
        data["qualifications"] = qualifications
    data["interest_topics"] = [str(t) for t in form.getlist("interest_topics")]
    keywords = re.split(r"[,，、;；\s]+", str(form.get("interest_keywords", "")))
    data["interest_keywords"] = [k for k in keywords if k]
    return data


def _profile_context(request: Request, profile: dict[str, Any] | None, errors: dict[str, str], notice: str | None) -> dict[str, Any]:
    return {
        "profile": profile or {},
        "is_new": not (profile or {}).get("id"),
        "errors": errors,
        "notice": notice,
        "regions": region_options(),
        "industries": industry_options(),
        "qualifications": QUALIFICATIONS,
        "topics": TOPIC_LABELS,
        "no_qualification": NO_QUALIFICATION,
    }


async def _own_profile(request: Request, identity: Identity) -> dict[str, Any] | None:
    if identity.enterprise_id is None:
        return None
    try:
        return await run_in_threadpool(request.app.state.kb.push.get_enterprise, identity.enterprise_id)
    except PushError:
        return None


@router.get("/portal", response_class=HTMLResponse, response_model=None)
async def inbox(request: Request, identity: Enterprise) -> Response:
    push = request.app.state.kb.push
    profile = await _own_profile(request, identity)
    if profile is None:
        return RedirectResponse("/portal/profile", status_code=303)
    box = await run_in_threadpool(push.inbox, profile["id"])
    matches = {m["policy_id"]: m for m in await run_in_threadpool(push.enterprise_matches, profile["id"])}
    messages = []
    for message in box["messages"]:
        lines = [line for line in message["body"].splitlines() if not line.startswith("查看原文")]
        messages.append({**message, "match": matches.get(message["policy_id"]), "lines": lines})
    checkup = await run_in_threadpool(push.eligible_policies, profile["id"])
    context = {"profile": profile, "messages": messages, "unread": box["unread"], "state_labels": STATE_LABELS, "checkup": checkup}
    return render(request, "portal/inbox.html", context)


@router.post("/portal/inbox/{message_id}/read", response_model=None)
async def mark_read(request: Request, message_id: int, identity: Enterprise) -> Response:
    push = request.app.state.kb.push
    if identity.enterprise_id is not None:
        own = await run_in_threadpool(push.inbox, identity.enterprise_id, limit=500)
        if any(m["id"] == message_id for m in own["messages"]):
            await run_in_threadpool(push.mark_read, message_id, True)
    return RedirectResponse(f"/portal#message-{message_id}", status_code=303)


@router.get("/portal/profile", response_class=HTMLResponse)
async def profile_page(request: Request, identity: Enterprise) -> HTMLResponse:
    profile = await _own_profile(request, identity)
    notice = "企业信息已保存。" if request.query_params.get("notice") == "saved" else None
    context = _profile_context(request, profile, {}, notice)
    if notice and profile:
        context["checkup"] = await run_in_threadpool(request.app.state.kb.push.eligible_policies, profile["id"])
    return render(request, "portal/profile.html", context)


@router.post("/portal/profile", response_model=None)
async def save_profile(request: Request, identity: Enterprise) -> Response:
    push = request.app.state.kb.push
    form = await request.form()
    data = _profile_from_form(form)
    existing = await _own_profile(request, identity)
    try:
        if existing is None:
            saved = await run_in_threadpool(push.create_enterprise, data)
        else:
            data.update({k: existing[k] for k in ("webhook_url",) if existing.get(k)})
            saved = await run_in_threadpool(push.update_enterprise, existing["id"], data)
    except PushError as error:
        messages = getattr(error, "errors", None) or [error.message]
        shown = {**data, "id": existing["id"] if existing else None, "interest_keywords": data.get("interest_keywords", [])}
        return render(request, "portal/profile.html", _profile_context(request, shown, _field_errors(messages), None), status_code=error.status_code)
    response = RedirectResponse("/portal/profile?notice=saved", status_code=303)
    if existing is None:
        remember(request, Identity(identity.role, saved["id"]), replacing=identity.enterprise_id)
    return response


@router.get("/portal/check")
async def check_field(field: Annotated[str, Query(pattern="^(credit_code|region_code|industry_code)$")], value: str = "") -> dict[str, Any]:
    """Inline validation of one field: ``{"ok": bool, "message": "…"}`` (the message names the value when ok)."""
    value = value.strip()
    if field == "credit_code":
        problem = validate_credit_code(value)
        return {"ok": not problem, "message": problem or f"校验通过：{normalize_credit_code(value)}"}
    try:
        if field == "region_code":
            region = RegionTable.default().validate(value.split(" ", 1)[0])
            return {"ok": True, "message": region.full_name}
        industry = IndustryTable.default().normalize(value.split(" ", 1)[0])
        return {"ok": True, "message": " / ".join(industry.path)}
    except ValueError as error:
        return {"ok": False, "message": str(error)}


def _number(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


@router.get("/portal/size")
async def size_preview(industry_code: str = "", employees: str = "", annual_revenue: str = "", total_assets: str = "") -> dict[str, Any]:
    """The enterprise size the profile would get (统计上大中小微型企业划分办法 2017), for the form to show."""
    code = None
    if industry_code.strip():
        try:
            code = IndustryTable.default().normalize(industry_code.split(" ", 1)[0]).code
        except ValueError:
            code = None
    result = EnterpriseSizeClassifier.default().classify(
        code, employees=_number(employees), revenue=_number(annual_revenue), assets=_number(total_assets)
    )
    if result.size is None:
        if result.sector is None:
            return {"size": None, "message": "待完善：请先填写所属行业，企业规模按行业标准测算"}
        return {"size": None, "message": f"待完善：按“{result.sector.name}”标准测算，还需填写：{result.missing_labels}"}
    sector = result.sector.name if result.sector else ""
    return {"size": result.size.value, "message": f"{result.size.label}企业（按“{sector}”标准测算）"}


@router.get("/portal/subscriptions", response_class=HTMLResponse, response_model=None)
async def subscriptions(request: Request, identity: Enterprise) -> Response:
    profile = await _own_profile(request, identity)
    if profile is None:
        return RedirectResponse("/portal/profile", status_code=303)
    subs = await run_in_threadpool(request.app.state.kb.push.list_subscriptions, profile["id"])
    return render(request, "portal/subscriptions.html", {"subscriptions": subs, "kinds": SubscriptionKind, "error": None, "topics": TOPIC_LABELS, "profile": profile})


@router.post("/portal/subscriptions", response_model=None)
async def add_subscription(request: Request, identity: Enterprise) -> Response:
    push = request.app.state.kb.push
    profile = await _own_profile(request, identity)
    if profile is None:
        return RedirectResponse("/portal/profile", status_code=303)
    form = await request.form()
    kind, value = str(form.get("kind", "")), str(form.get("value", "")).split(" ", 1)[0] if form.get("kind") == "region" else str(form.get("value", ""))
    try:
        await run_in_threadpool(push.add_subscription, profile["id"], kind, value)
    except PushError as error:
        subs = await run_in_threadpool(push.list_subscriptions, profile["id"])
        context = {"subscriptions": subs, "kinds": SubscriptionKind, "error": error.message, "topics": TOPIC_LABELS, "profile": profile}
        return render(request, "portal/subscriptions.html", context, status_code=error.status_code)
    return RedirectResponse("/portal/subscriptions", status_code=303)


@router.post("/portal/subscriptions/{subscription_id}/delete", response_model=None)
async def delete_subscription(request: Request, subscription_id: int, identity: Enterprise) -> Response:
    push = request.app.state.kb.push
    if identity.enterprise_id is not None:
        own = await run_in_threadpool(push.list_subscriptions, identity.enterprise_id)
        if any(s["id"] == subscription_id for s in own):
            await run_in_threadpool(push.delete_subscription, subscription_id)
    return RedirectResponse("/portal/subscriptions", status_code=303)
