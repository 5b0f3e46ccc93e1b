"""The HTTP API, exercised through a FastAPI app that mounts ``build_push_router``."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from push_rules.api import build_push_router
from push_rules.service import PushService
from tests.push.conftest import DocumentLibrary, corpus_document, enterprise_payload
from tests.push.test_service import SME_RULE, TIELING_SME
from webui.errors import install_error_handlers


@pytest.fixture()
def client(service: PushService, library: DocumentLibrary) -> TestClient:
    library.add(corpus_document(TIELING_SME, "sme-2020", title="支持中小企业发展政策措施", region="内蒙古自治区呼和浩特市"))
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_push_router(service))
    return TestClient(app)


def test_enterprise_crud_and_validation(client: TestClient) -> None:
    response = client.post("/api/enterprises", json=enterprise_payload(credit_code="914403001922038217", employees=-1))
    assert response.status_code == 422
    body = response.json()
    assert "校验位错误" in body["detail"] and "从业人员不能为负数" in body["detail"] and len(body["errors"]) == 2
    assert client.get("/api/enterprises").json() == []

    created = client.post("/api/enterprises", json=enterprise_payload())
    assert created.status_code == 201
    enterprise_id = created.json()["id"]
    assert client.get(f"/api/enterprises/{enterprise_id}").json()["size_label"] == "小型"
    assert client.patch(f"/api/enterprises/{enterprise_id}", json={"employees": 5}).json()["size"] == "micro"
    assert client.get("/api/enterprises/999").json() == {"detail": "企业 999 不存在"}
    assert client.get("/api/enterprises/999").status_code == 404
    assert client.delete(f"/api/enterprises/{enterprise_id}").status_code == 204
    assert client.get(f"/api/enterprises/{enterprise_id}").status_code == 404


def test_rules_suggest_save_publish_matches_inbox(client: TestClient) -> None:
    enterprise_id = client.post("/api/enterprises", json=enterprise_payload()).json()["id"]
    suggested = client.post("/api/policies/sme-2020/rules/suggest").json()
    assert suggested["rules"] is not None and "请工作人员逐条核对" in suggested["note"]

    bad = client.put("/api/policies/sme-2020/rules", json={"rules": {"op": "range", "field": "profit", "min": 1}})
    assert bad.status_code == 422 and "未知字段“profit”" in bad.json()["detail"]
    bad_yaml = client.put("/api/policies/sme-2020/rules", json={"rules_yaml": "all: [ {op"})
    assert bad_yaml.status_code == 422 and "YAML" in bad_yaml.json()["detail"]
    assert client.put("/api/policies/sme-2020/rules", json={}).status_code == 422
    saved = client.put("/api/policies/sme-2020/rules", json={"rules": SME_RULE})
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    assert client.get("/api/policies/sme-2020/rules").json()["rules"]["all"][0]["value"] == ["150100"]
    assert client.get("/api/policies/missing/rules").status_code == 404

    published = client.post("/api/policies/sme-2020/publish").json()
    assert published["eligible"] == 1 and published["pushes_created"] == 1
    matches = client.get(f"/api/enterprises/{enterprise_id}/matches").json()
    assert matches[0]["conditions"][0] == {"condition": "注册地位于内蒙古自治区呼和浩特市", "state": "满足", "state_code": "Y", "detail": "企业注册地：内蒙古自治区呼和浩特市新城区"}

    inbox = client.get("/api/inbox", params={"enterprise_id": enterprise_id}).json()
    assert inbox["unread"] == 1
    assert inbox["messages"][0]["policy_id"] == inbox["messages"][0]["doc_id"] == "sme-2020" and len(inbox["messages"][0]["version"]) == 64
    message_id = inbox["messages"][0]["id"]
    assert client.post(f"/api/inbox/{message_id}/read", json={}).json() == {"id": message_id, "read": True}
    assert client.get("/api/inbox", params={"enterprise_id": enterprise_id, "unread": True}).json()["messages"] == []


def test_subscriptions_api(client: TestClient) -> None:
    enterprise_id = client.post("/api/enterprises", json=enterprise_payload(interest_keywords=["复工复产"])).json()["id"]
    created = client.post("/api/subscriptions", json={"enterprise_id": enterprise_id, "kind": "region", "value": "150100"})
    assert created.status_code == 201 and created.json()["kind_label"] == "地区"
    bad = client.post("/api/subscriptions", json={"enterprise_id": enterprise_id, "kind": "region", "value": "999999"})
    assert bad.status_code == 422 and "行政区划代码“999999”不存在" in bad.json()["detail"]
    listed = client.get("/api/subscriptions", params={"enterprise_id": enterprise_id}).json()
    assert {(s["kind"], s["value"], s["source"]) for s in listed} == {("keyword", "复工复产", "profile"), ("region", "150100", "api")}
    assert client.delete(f"/api/subscriptions/{created.json()['id']}").status_code == 204
    assert client.post("/api/subscriptions", json={"enterprise_id": 999, "kind": "keyword", "value": "x"}).status_code == 404


def test_rule_schema_is_served(client: TestClient) -> None:
    assert client.get("/api/rules/schema").json()["title"] == "PolicyKB eligibility rule"


def test_eligible_policies_of_a_new_enterprise(client: TestClient) -> None:
    assert client.put("/api/policies/sme-2020/rules", json={"rules": SME_RULE}).status_code == 200
    assert client.post("/api/policies/sme-2020/publish").json()["pushes_created"] == 0
    newcomer = client.post("/api/enterprises", json=enterprise_payload()).json()["id"]
    checkup = client.get(f"/api/enterprises/{newcomer}/eligible-policies").json()
    assert [p["policy_id"] for p in checkup["eligible"]] == ["sme-2020"] and checkup["counts"] == {"eligible": 1, "incomplete": 0}
    assert checkup["eligible"][0]["conditions"][0]["state"] == "满足"
    assert client.get("/api/inbox", params={"enterprise_id": newcomer}).json()["unread"] == 0  # no flood of old policies
    audit = client.get(f"/api/enterprises/{newcomer}/eligible-policies", params={"as_of": "2030-01-01"}).json()
    assert audit["as_of"] == "2030-01-01"
    assert client.get(f"/api/enterprises/{newcomer}/eligible-policies", params={"as_of": "明天"}).status_code == 422
    assert client.get("/api/enterprises/999/eligible-policies").status_code == 404


def test_bad_input_names_the_field_and_saves_nothing(client: TestClient) -> None:
    cases = [
        (enterprise_payload(credit_code="914403001922038217"), "credit_code", "统一社会信用代码"),
        (enterprise_payload(qualifications=["世界五百强"]), "qualifications", "未知的企业资质“世界五百强”"),
        (enterprise_payload(region_code="159999"), "region_code", "行政区划代码“159999”不存在"),
        (enterprise_payload(ownership="地主"), "ownership", "企业性质“地主”无效"),
    ]
    for payload, field, message in cases:
        response = client.post("/api/enterprises", json=payload)
        body = response.json()
        assert response.status_code == 422 and body["field"] == field, body
        assert body["problems"][0]["field"] == field and message in body["problems"][0]["message"]
    assert client.get("/api/enterprises").json() == []

    rules = [
        ({"all": [{"op": "has_qualification", "value": "世界五百强"}]}, "rules.all[0].value", "未知的企业资质“世界五百强”"),
        ({"all": [{"op": "region_within", "value": "159999"}]}, "rules.all[0].value", "行政区划代码“159999”不存在"),
        ({"op": "years_since", "field": "employees", "min": 1}, "rules", "不支持条件“years_since”"),
        ({"op": "all_enterprises", "value": "x"}, "rules", "不需要 value"),
    ]
    for rule, field, message in rules:
        response = client.put("/api/policies/sme-2020/rules", json={"rules": rule})
        body = response.json()
        assert response.status_code == 422 and body["problems"][0]["field"] == field and message in body["detail"], body
    assert client.get("/api/policies/sme-2020/rules").json()["rules"] is None


def test_qualification_catalogue_is_read_and_extended(client: TestClient) -> None:
    catalogue = client.get("/api/qualifications").json()
    assert {"slug": "little_giant", "label": "专精特新“小巨人”企业"} in [{k: q[k] for k in ("slug", "label")} for q in catalogue]
    added = client.post("/api/qualifications", json={"slug": "hk_macao_youth", "label": "港澳青年企业", "aliases": ["港澳青年创业企业"]})
    assert added.status_code == 201 and added.json()["builtin"] is False
    again = client.post("/api/qualifications", json={"slug": "time_honoured", "label": "专精特新“小巨人”企业"})
    assert again.status_code == 422 and again.json()["field"] == "label" and "已存在" in again.json()["detail"]
    bad = client.post("/api/qualifications", json={"slug": "老字号", "label": "老字号"})
    assert bad.status_code == 422 and bad.json()["field"] == "slug"
    assert any(q["slug"] == "hk_macao_youth" for q in client.get("/api/qualifications").json())

    created = client.post("/api/enterprises", json=enterprise_payload(qualifications=["港澳青年创业企业"], ownership="港澳台资")).json()
    assert created["qualifications"] == ["hk_macao_youth"] and created["qualification_labels"] == ["港澳青年企业"]
    assert created["ownership"] == "hmt" and created["ownership_label"] == "港澳台资"
    rule = {"all": [{"op": "has_qualification", "value": "港澳青年企业"}, {"op": "in", "field": "ownership", "value": ["外资", "港澳台资"]}]}
    assert client.put("/api/policies/sme-2020/rules", json={"rules": rule}).status_code == 200
    assert client.post("/api/policies/sme-2020/publish").json()["eligible"] == 1
    matches = client.get(f"/api/enterprises/{created['id']}/matches").json()
    assert [c["condition"] for c in matches[0]["conditions"]] == ["具有港澳青年企业资质", "企业性质为外资、港澳台资之一"]
    audit = client.get(f"/api/enterprises/{created['id']}/matches", params={"as_of": "2030-01-01"}).json()
    assert audit[0]["outcome"] == "eligible" and audit[0]["computed_at"] == "2030-01-01"


def test_policy_audience_for_staff(client: TestClient) -> None:
    assert client.get("/api/policies/sme-2020/matches").status_code == 404  # no rule yet
    eligible = client.post("/api/enterprises", json=enterprise_payload(name="青城软件")).json()["id"]
    incomplete = client.post("/api/enterprises", json=enterprise_payload(name="信息不全公司", qualifications=None, industry_code="C3311")).json()["id"]
    excluded = client.post("/api/enterprises", json=enterprise_payload(name="广州公司", region_code="440106")).json()["id"]
    assert client.put("/api/policies/sme-2020/rules", json={"rules": SME_RULE}).status_code == 200
    audience = client.get("/api/policies/sme-2020/matches").json()
    assert audience["counts"] == {"eligible": 1, "incomplete": 1, "ineligible": 1}
    assert [e["enterprise_id"] for e in audience["eligible"]] == [eligible] and "ineligible" not in audience
    assert audience["incomplete"][0]["enterprise_id"] == incomplete
    assert audience["incomplete"][0]["missing_information"] == ["未填写企业资质情况，请完善企业信息"]
    full = client.get("/api/policies/sme-2020/matches", params={"include_excluded": 1}).json()
    assert full["ineligible"][0]["enterprise_id"] == excluded
    assert full["ineligible"][0]["unmet_conditions"] == ["注册地位于内蒙古自治区呼和浩特市（企业注册地：广东省广州市天河区）"]
    exported = client.get("/api/policies/sme-2020/matches", params={"format": "csv", "include_excluded": 1})
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "结果,企业编号,企业名称,统一社会信用代码,注册地,不满足的条件,待完善的信息"
    assert [line.split(",")[0] for line in lines[1:]] == ["符合条件", "可能符合，需完善信息", "不符合条件"]
    assert client.get("/api/policies/sme-2020/matches", params={"as_of": "2000-01-01"}).status_code == 404  # no rule then


def test_rule_preview_counts_without_saving(client: TestClient) -> None:
    client.post("/api/enterprises", json=enterprise_payload(name="青城软件"))
    client.post("/api/enterprises", json=enterprise_payload(name="信息不全公司", qualifications=None, industry_code="C3311"))
    preview = client.post("/api/policies/sme-2020/rules/preview", json={"rules": SME_RULE}).json()
    assert preview["text"] == "这条规则下，1 家企业符合、1 家待完善"
    assert [s["name"] for s in preview["sample"]] == ["青城软件", "信息不全公司"]
    narrower = {"all": [*SME_RULE["all"], {"op": "range", "field": "employees", "max": 30}]}
    assert client.post("/api/policies/sme-2020/rules/preview", json={"rules": narrower}).json()["eligible"] == 0
    bad = client.post("/api/policies/sme-2020/rules/preview", json={"rules": {"op": "region_within", "value": "159999"}})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "rules.value"
    assert client.get("/api/policies/sme-2020/rules").json()["rules"] is None


@pytest.mark.parametrize("body", ["17", "[]", '[["name", "改名"]]', '"企业"'])
def test_a_profile_write_whose_body_is_not_an_object_is_refused_and_changes_nothing(client: TestClient, body: str) -> None:
    enterprise_id = client.post("/api/enterprises", json=enterprise_payload()).json()["id"]
    before = client.get(f"/api/enterprises/{enterprise_id}").json()
    headers = {"Content-Type": "application/json"}
    for method, path in [("POST", "/api/enterprises"), ("PUT", f"/api/enterprises/{enterprise_id}"), ("PATCH", f"/api/enterprises/{enterprise_id}")]:
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code == 422, (method, response.text)
        assert response.json()["detail"] == "请求体应为 JSON 对象"
    assert client.get(f"/api/enterprises/{enterprise_id}").json() == before
    assert len(client.get("/api/enterprises").json()) == 1
