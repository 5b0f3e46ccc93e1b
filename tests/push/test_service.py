"""PushService on a real SQLite database with real policy texts: profiles, rules, matching, publishing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from push_rules.errors import NotFound, ValidationFailed
from push_rules.models import Enterprise, InboxMessage, OutboxEntry, PushRecord
from push_rules.rule_engine import Outcome, evaluate_profile
from push_rules.rules_schema import RuleValidator
from push_rules.service import PushService
from tests.push.conftest import DocumentLibrary, corpus_document, enterprise_payload

TIELING_SME = "ncp/4262b3f6696f3694938c678b119a1350.txt"  # 铁岭市 支持中小企业发展政策措施 (2020)
HOHHOT_DIGITAL = "hohhot/呼和浩特市数字政府建设实施方案.txt"

SME_RULE = {
    "all": [
        {"op": "region_within", "value": "150100"},
        {"op": "in", "field": "size", "value": ["medium", "small", "micro"]},
        {"op": "years_since", "min": 1},
        {"any": [{"op": "has_qualification", "value": ["high_tech", "tech_sme"]}, {"op": "industry_prefix", "value": ["C39", "I65"]}]},
    ]
}


@pytest.fixture()
def sme_policy(library: DocumentLibrary) -> str:
    library.add(corpus_document(TIELING_SME, "sme-2020", title="支持中小企业发展政策措施", issuer="呼和浩特市人民政府", region="内蒙古自治区呼和浩特市", tags=["enterprise_support"]))
    return "sme-2020"


def count(service: PushService, model: Any) -> int:
    with service.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_enterprise_is_validated_and_size_derived(service: PushService) -> None:
    created = service.create_enterprise(enterprise_payload(industry_code="6513", employees=45, annual_revenue=800))
    assert created["industry_code"] == "I6513"
    assert created["size"] == "small" and created["size_label"] == "小型"
    assert created["region_name"] == "内蒙古自治区呼和浩特市新城区"
    changed = service.update_enterprise(created["id"], {"employees": 350, "annual_revenue": 12000}, partial=True)
    assert changed["size"] == "large"


def test_size_is_to_be_completed_without_industry(service: PushService) -> None:
    created = service.create_enterprise(enterprise_payload(industry_code=None, employees=45, annual_revenue=800))
    assert created["size"] is None and created["size_label"] == "待完善"
    evaluation = evaluate_profile(RuleValidator().validate({"op": "in", "field": "size", "value": ["small", "micro"]}), _row(service, created["id"]))
    assert evaluation.outcome is Outcome.INCOMPLETE
    assert evaluation.missing_information() == ["企业规模待完善：未填写所属行业，无法测算企业规模（划分标准按行业而定），请补充所属行业"]


def _row(service: PushService, enterprise_id: int) -> Enterprise:
    with service.sessions() as session:
        row = session.get(Enterprise, enterprise_id)
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credit_code": "914403001922038217"}, "校验位错误"),
        ({"industry_code": "9999"}, "行业大类“99”不在"),
        ({"region_code": "159999"}, "行政区划代码“159999”不存在"),
        ({"employees": -3}, "从业人员不能为负数"),
        ({"annual_revenue": 5e12}, "营业收入5e+12万元超出合理范围"),
        ({"employees": "很多"}, "从业人员应为整数"),
        ({"established_on": "2999-01-01"}, "成立日期不能晚于今天"),
        ({"qualifications": ["世界五百强"]}, "未知的企业资质"),
        ({"webhook_url": "ftp://127.0.0.1/x"}, "只支持 http 或 https"),
        ({"webhook_url": "http://10.1.2.3/hook"}, "不在允许列表中"),
        ({"email": "not-an-address"}, "不是有效的电子邮箱地址"),
        ({"favourite_colour": "red"}, "favourite_colour不是允许的字段"),
    ],
)
def test_bad_enterprise_input_is_rejected_and_nothing_saved(service: PushService, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_enterprise(enterprise_payload(**overrides))
    assert message in caught.value.detail
    assert count(service, Enterprise) == 0


def test_duplicate_credit_code_is_rejected(service: PushService) -> None:
    payload = enterprise_payload()
    service.create_enterprise(payload)
    with pytest.raises(ValidationFailed, match="已存在"):
        service.create_enterprise(payload)


def test_public_host_policy_without_allowlist(make_service: Any) -> None:
    open_service = make_service(webhook_allowlist=[])
    with pytest.raises(ValidationFailed, match="内网或保留地址"):
        open_service.create_enterprise(enterprise_payload(webhook_url="http://127.0.0.1:9/hook"))


def test_malformed_rule_is_not_saved(service: PushService, sme_policy: str) -> None:
    with pytest.raises(ValidationFailed, match="未知字段“profit”"):
        service.save_rules(sme_policy, {"all": [{"op": "range", "field": "profit", "min": 1}]})
    assert service.get_rules(sme_policy)["rules"] is None
    with pytest.raises(NotFound, match="政策文件 nope 不存在"):
        service.save_rules("nope", SME_RULE)


def test_publish_matches_with_explanations_and_pushes_once(service: PushService, sme_policy: str) -> None:
    eligible = service.create_enterprise(enterprise_payload(name="青城软件"))
    incomplete = service.create_enterprise(enterprise_payload(name="信息不全公司", qualifications=None, industry_code="C3311", annual_revenue=None))
    elsewhere = service.create_enterprise(enterprise_payload(name="广州公司", region_code="440106"))
    saved = service.save_rules(sme_policy, SME_RULE)
    assert saved["conditions"][0] == "注册地位于内蒙古自治区呼和浩特市"

    summary = service.publish(sme_policy)
    assert (summary.eligible, summary.incomplete, summary.pushes_created) == (1, 1, 2)

    matches = service.enterprise_matches(eligible["id"])
    assert matches[0]["outcome_label"] == "符合条件"
    assert [c["state"] for c in matches[0]["conditions"]] == ["满足"] * 5
    todo = service.enterprise_matches(incomplete["id"])[0]
    assert todo["outcome"] == "incomplete"
    assert "未填写企业资质情况，请完善企业信息" in todo["missing_information"]
    assert any("无法测算企业规模" in m for m in todo["missing_information"])
    assert service.enterprise_matches(elsewhere["id"]) == []

    inbox = service.inbox(eligible["id"])
    assert inbox["unread"] == 1
    body = inbox["messages"][0]["body"]
    assert "贵企业符合该政策的申报条件" in body and "注册地位于内蒙古自治区呼和浩特市：满足" in body

    # publishing again, re-matching, or changing the rule never pushes the same version twice
    service.publish(sme_policy)
    service.match_policy(sme_policy)
    service.save_rules(sme_policy, SME_RULE)
    assert count(service, PushRecord) == 2 and count(service, InboxMessage) == 2


def test_profile_change_recomputes_matches(service: PushService, library: DocumentLibrary, sme_policy: str) -> None:
    service.save_rules(sme_policy, SME_RULE)
    service.publish(sme_policy)
    late = service.create_enterprise(enterprise_payload(region_code="440106"))
    assert service.enterprise_matches(late["id"]) == []
    assert service.eligible_policies(late["id"])["counts"] == {"eligible": 0, "incomplete": 0}
    service.update_enterprise(late["id"], {"region_code": "150105"}, partial=True)
    assert service.enterprise_matches(late["id"])[0]["outcome"] == "eligible"
    # a policy published before the profile qualified is its 政策体检, not a push (issue 21)
    assert service.inbox(late["id"])["unread"] == 0
    checkup = service.eligible_policies(late["id"])
    assert [p["policy_id"] for p in checkup["eligible"]] == [sme_policy] and checkup["incomplete"] == []
    assert checkup["eligible"][0]["conditions"][0]["condition"] == "注册地位于内蒙古自治区呼和浩特市"
    # pushes stay for what is published afterwards: a new version reaches it
    from dataclasses import replace

    library.add(replace(library.docs[sme_policy], content_hash="e" * 64, text=library.docs[sme_policy].text + "\n（修订）"))
    service.publish(sme_policy)
    assert service.inbox(late["id"])["unread"] == 1


def test_checkup_lists_published_policies_in_force_eligible_first(service: PushService, library: DocumentLibrary, sme_policy: str) -> None:
    from dataclasses import replace
    from datetime import date

    service.save_rules(sme_policy, SME_RULE)
    service.publish(sme_policy)
    expired = library.add(replace(library.docs[sme_policy], doc_id="expired", metadata=replace(library.docs[sme_policy].metadata, expiry_date=date(2021, 1, 1))))
    service.save_rules(expired.doc_id, SME_RULE)
    service.publish(expired.doc_id)
    draft = library.add(replace(library.docs[sme_policy], doc_id="draft"))
    service.save_rules(draft.doc_id, {"op": "region_within", "value": "150100"})
    complete = service.create_enterprise(enterprise_payload())
    partial = service.create_enterprise(enterprise_payload(qualifications=None, industry_code="C3311"))
    assert [p["policy_id"] for p in service.eligible_policies(complete["id"])["eligible"]] == [sme_policy]
    unsure = service.eligible_policies(partial["id"])
    assert unsure["eligible"] == [] and [p["policy_id"] for p in unsure["incomplete"]] == [sme_policy]
    assert unsure["incomplete"][0]["missing_information"] == ["未填写企业资质情况，请完善企业信息"]
    # as of a day the expired policy was still in force
    audit = service.eligible_policies(complete["id"], as_of=date(2020, 6, 1))
    assert audit["as_of"] == "2020-06-01" and {p["policy_id"] for p in audit["eligible"]} == {sme_policy, "expired"}
    with pytest.raises(NotFound):
        service.eligible_policies(999)


def test_new_document_version_inherits_rule_and_is_pushed_again(service: PushService, library: DocumentLibrary, sme_policy: str) -> None:
    company = service.create_enterprise(enterprise_payload())
    service.save_rules(sme_policy, SME_RULE)
    service.publish(sme_policy)
    from dataclasses import replace

    library.add(replace(library.docs[sme_policy], content_hash="f" * 64, text=library.docs[sme_policy].text + "\n（修订）"))
    assert service.get_rules(sme_policy)["rules"] is not None
    assert service.publish(sme_policy).pushes_created == 1
    assert service.inbox(company["id"])["unread"] == 2


def test_keyword_subscription_matches_by_text(service: PushService, library: DocumentLibrary) -> None:
    library.add(corpus_document(HOHHOT_DIGITAL, "hohhot-digital", title="呼和浩特市数字政府建设实施方案", issuer="呼和浩特市人民政府", region="内蒙古自治区呼和浩特市"))
    company = service.create_enterprise(enterprise_payload(interest_keywords=["数据要素"]))
    other = service.create_enterprise(enterprise_payload())
    service.add_subscription(other["id"], "keyword", "海洋捕捞")
    regional = service.create_enterprise(enterprise_payload())
    service.add_subscription(regional["id"], "region", "150000")
    issuer = service.create_enterprise(enterprise_payload())
    service.add_subscription(issuer["id"], "issuer", "呼和浩特市人民政府")

    summary = service.publish("hohhot-digital")  # no rule: subscriptions only
    assert summary.subscribed == 3
    assert "与贵企业订阅的关键词“数据要素”相关" in service.inbox(company["id"])["messages"][0]["body"]
    assert service.inbox(other["id"])["messages"] == []
    assert "地区“内蒙古自治区”" in service.inbox(regional["id"])["messages"][0]["body"]
    with pytest.raises(ValidationFailed, match="订阅类型“mood”无效"):
        service.add_subscription(company["id"], "mood", "x")


def test_inbox_read_state_and_order(service: PushService, library: DocumentLibrary, sme_policy: str) -> None:
    library.add(corpus_document(HOHHOT_DIGITAL, "hohhot-digital", title="呼和浩特市数字政府建设实施方案", region="内蒙古自治区呼和浩特市"))
    company = service.create_enterprise(enterprise_payload())
    service.add_subscription(company["id"], "region", "150100")
    service.save_rules(sme_policy, SME_RULE)
    service.publish(sme_policy)
    service.publish("hohhot-digital")
    inbox = service.inbox(company["id"])
    assert [m["title"] for m in inbox["messages"]] == ["政策推送：《呼和浩特市数字政府建设实施方案》", "政策推送：《支持中小企业发展政策措施》"]
    service.mark_read(inbox["messages"][0]["id"])
    assert service.inbox(company["id"])["unread"] == 1
    assert len(service.inbox(company["id"], unread_only=True)["messages"]) == 1
    assert count(service, OutboxEntry) == 0  # no webhook or e-mail configured


def test_migration_0002_adds_ownership_to_an_existing_database(tmp_path: Any) -> None:
    from alembic import command
    from sqlalchemy import text

    from push_rules.db import alembic_config, create_push_engine, migrate

    engine = create_push_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO push_enterprises (credit_code, name, interest_topics, interest_keywords, created_at, updated_at) "
            "VALUES ('91150102MA0000011X', '旧企业', '[]', '[]', '2026-01-01', '2026-01-01')"
        ))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, ownership FROM push_enterprises")).one() == ("旧企业", None)
        assert conn.execute(text("SELECT count(*) FROM push_qualifications")).scalar() == 0
    engine.dispose()
