"""What a question in ordinary words asks for, and the answer-type check on real documents."""

from __future__ import annotations

import re

import pytest

from qa.question_intent import Intent, heading_fits, question_intent, states_fact


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("开个小饭馆办营业执照要带啥", Intent.MATERIALS),
        ("社保断缴了怎么补交", Intent.PROCEDURE),
        ("去哪里办失业登记", Intent.PROCEDURE),
        ("什么样的公司可以申请这个补贴", Intent.CONDITIONS),
        ("失业金能领几个月", Intent.DURATION),
        ("营业执照办完要多久", Intent.DURATION),
        ("新规定什么时候开始实施", Intent.DATE),
        ("每个月能领多少钱", Intent.AMOUNT),
        ("不交社保罚多少", Intent.AMOUNT),
        ("一共出了几项措施", Intent.COUNT),
        ("有哪些优惠政策", Intent.LIST),
        ("补贴分哪几类", Intent.LIST),
        ("这个条例主要管哪些事", Intent.OVERVIEW),
        ("试用期可以不交社保吗", Intent.YESNO),
        ("咨询电话是多少", Intent.CONTACT),
        ("稳岗返还", Intent.FACT),
    ],
)
def test_ordinary_wording_is_read_as_its_intent(question: str, intent: Intent) -> None:
    assert question_intent(question) is intent


def test_a_value_question_needs_a_text_that_states_such_a_value() -> None:
    assert states_fact(Intent.AMOUNT, "按当地最低工资标准的90%发放失业保险金")
    assert states_fact(Intent.AMOUNT, "给予一次性2000万元奖励")
    assert not states_fact(Intent.AMOUNT, "对负有责任的领导人员和直接责任人员依法给予处分")
    assert states_fact(Intent.DURATION, "自受理之日起20个工作日内办结")
    assert not states_fact(Intent.DURATION, "申请人向所在地人力资源社会保障部门提出申请")
    assert states_fact(Intent.CONTACT, "咨询电话：020-12345678")
    # Intents that ask for no value are answered by any relevant text.
    assert states_fact(Intent.PROCEDURE, "申请人向所在地人力资源社会保障部门提出申请")


def test_headings_that_answer_an_intent() -> None:
    assert heading_fits(Intent.MATERIALS, "三、申报材料")
    assert heading_fits(Intent.PROCEDURE, "（四）申请程序")
    assert heading_fits(Intent.CONDITIONS, "二、申报条件")
    assert not heading_fits(Intent.PROCEDURE, "二、申报条件")
    assert not heading_fits(Intent.FACT, "二、申报条件")


def test_a_policy_found_that_states_no_such_amount_says_so_with_its_citation(answerer) -> None:
    # 保障中小企业款项支付条例 punishes the managers of state-owned firms that delay payment with 处分, and names no
    # fine: quoting its article as if it answered "how much" would mislead.
    reply = answerer.ask("国有大企业拖欠中小企业货款，负责的管理人员会被罚款多少钱？")
    assert reply.refused and reply.refusal_reason == "fact_not_stated"
    assert "保障中小企业款项支付条例" in reply.answer and "没有写明具体的金额或标准" in reply.answer
    assert reply.citations and "保障中小企业款项支付条例" in (reply.citations[0].title or "")
    assert reply.citations[0].quote


def test_an_amount_question_whose_policy_states_it_is_still_answered(answerer) -> None:
    reply = answerer.ask("创业担保贷款最高能贷多少钱？")
    assert not reply.refused
    assert "30万元" in reply.answer


def test_an_overview_question_gets_the_purpose_and_every_chapter_each_cited(qa_kb, answerer) -> None:
    reply = answerer.ask("中小企业促进法主要管哪些事？")
    assert not reply.refused
    text = qa_kb.store.get_document(reply.citations[0].doc_id).text
    chapters = [line.strip("# ").strip() for line in text.splitlines() if re.match(r"^#*\s*第[一二三四五六七八九十]+章", line)]
    assert len(chapters) >= 5
    assert "目的：为了" in reply.answer
    for chapter in chapters:
        assert chapter in reply.answer
    # Every line is a quote of the document at its offsets.
    assert len(reply.citations) == len(chapters) + 1
    for citation in reply.citations:
        assert text[citation.char_start : citation.char_end] == citation.quote


def test_a_short_follow_up_keeps_the_policy_of_the_previous_turn(answerer) -> None:
    first = answerer.ask("广州创业担保贷款个人最多能贷多少？")
    assert not first.refused and "30万元" in first.answer
    follow_up = answerer.ask("能贷几年？", conversation_id=first.conversation_id)
    assert not follow_up.refused
    assert follow_up.citations[0].doc_id == first.citations[0].doc_id
    assert "3年" in follow_up.answer


def test_a_not_stated_reply_lists_each_related_policy_once(answerer) -> None:
    reply = answerer.ask("国有大企业拖欠中小企业货款，负责的管理人员会被罚款多少钱？")
    assert reply.refusal_reason == "fact_not_stated"
    shown = [reply.citations[0].doc_id, *(policy.doc_id for policy in reply.related)]
    assert len(shown) == len(set(shown))


def test_a_question_naming_an_expired_policy_is_answered_saying_first_that_it_has_expired(answerer) -> None:
    reply = answerer.ask("广州进一步加强特困人员救助供养工作的通知里，特困人员的认定条件是什么？")
    assert not reply.refused
    assert re.match(r"（该政策已于\d{4}年\d{1,2}月\d{1,2}日失效", reply.answer)
    assert reply.citations[0].status == "已失效"
    # The same topic asked without naming the policy is still not answered from it.
    assert answerer.ask("广州市特困人员救助供养的对象范围是什么？").refusal_reason == "only_expired"
