"""Extractive answers on real documents: the right article, the sentence that states the fact, honest refusals."""

from __future__ import annotations

import re

import pytest

from index.document_copies import squashed
from qa.answer_composer import MORE_ITEMS, ExtractiveAnswerGenerator
from qa.pipeline import QuestionRejected
from qa.query_normalizer import QueryNormalizer
from qa.sentence_selector import AskedFor, SentenceSelector, asked_for
from qa.types import Passage
from tests.conftest import LIBRARY


def _document_text(kb, doc_id: str) -> str:
    return kb.store.get_document(doc_id).text


def test_article_question_is_answered_from_that_article(qa_kb, answerer) -> None:
    reply = answerer.ask("机关、事业单位从中小企业采购货物，应当在多少日内支付款项？")
    assert not reply.refused
    top = reply.citations[0]
    assert "保障中小企业款项支付条例" in top.title
    assert "第九条" in top.section
    assert re.match(r"根据《保障中小企业款项支付条例》(（[^）]+）)?第九条：机关、事业单位", reply.answer)
    assert "30日内支付款项" in reply.answer
    # The quote is exactly the document's text at the cited offsets.
    assert _document_text(qa_kb, top.doc_id)[top.char_start : top.char_end] == top.quote


def test_amount_question_gets_the_sentence_that_states_the_amount(answerer) -> None:
    reply = answerer.ask("创业担保贷款最高可以申请多少额度？")
    assert not reply.refused
    assert "30万元" in reply.answer
    top = reply.citations[0]
    assert top.path.endswith("guangzhou/doc_16.txt")  # 创业担保贷款常见问题 (its text carries no title)
    # The stating sentence, not the whole page.
    assert len(top.quote) < 200 and "贷款利率" not in top.quote


def test_deadline_question_gets_the_time_limit(answerer) -> None:
    reply = answerer.ask("个人创业担保贷款每次期限最长是多久？")
    assert not reply.refused
    assert "3年" in reply.answer


def test_abbreviations_are_normalised_before_search(answerer) -> None:
    reply = answerer.ask("中小企業促進法裡，國家對中小企業的融資有什麼支持？")  # Traditional characters
    assert not reply.refused
    assert "中小企业促进法" in reply.citations[0].title


def test_question_outside_the_library_is_refused_with_hints(answerer) -> None:
    reply = answerer.ask("深圳市南山区领航人才计划的申报条件是什么？")
    assert reply.refused and reply.refusal_reason == "not_in_library"
    assert reply.citations == []
    assert "12345" in reply.answer and "没有找到" in reply.answer
    assert reply.related  # the nearest policies are still offered


def test_a_refusal_quotes_the_nearest_article_of_each_related_policy(qa_kb, answerer) -> None:
    # Worded as a shop owner would: below the relevance gate, yet the article that answers it is the nearest text of
    # a related law, shown for reference.
    reply = answerer.ask("我开了个小厂，大公司欠我钱一直拖着不还怎么办？")
    assert reply.refused and "仅供参考，不构成答复" in reply.answer
    law = next(p for p in reply.related if p.title == "中华人民共和国中小企业促进法")
    assert law.excerpt_section == "第五十三条" and "不得违约拖欠中小企业" in law.excerpt
    for policy in reply.related:
        assert policy.excerpt, policy
        assert squashed(_document_text(qa_kb, policy.doc_id)[policy.char_start : policy.char_end]) == squashed(policy.excerpt)


def test_only_expired_policy_matches_says_so(answerer) -> None:
    reply = answerer.ask("广州市特困人员救助供养的对象范围是什么？")
    assert reply.refused and reply.refusal_reason == "only_expired"
    assert "已失效" in reply.answer and "特困人员救助供养" in reply.answer
    assert reply.related[0].status == "已失效"


def test_follow_up_question_resolves_to_the_previous_policy(answerer) -> None:
    first = answerer.ask("创业担保贷款的贴息比例是多少？")
    assert not first.refused and "50%" in first.answer
    follow_up = answerer.ask("那申请条件呢？", conversation_id=first.conversation_id)
    assert follow_up.conversation_id == first.conversation_id
    assert not follow_up.refused
    assert "创业担保贷款" in follow_up.search_query
    assert follow_up.citations[0].doc_id == first.citations[0].doc_id
    assert "条件" in follow_up.answer


def test_unknown_conversation_id_starts_a_new_conversation(answerer) -> None:
    reply = answerer.ask("那申请条件呢？", conversation_id="no-such-conversation")
    assert reply.conversation_id != "no-such-conversation"
    assert reply.search_query == "那申请条件呢?"  # nothing to resolve against


@pytest.mark.parametrize(("question", "message"), [("   ", "不能为空"), ("补贴" * 200, "过长")])
def test_bad_questions_are_rejected_in_chinese(answerer, question, message) -> None:
    with pytest.raises(QuestionRejected, match=message):
        answerer.ask(question)


def test_another_citys_policy_does_not_answer_a_question_about_this_city(answerer) -> None:
    asked_elsewhere = answerer.ask("广州市数字政府建设的主要目标是什么？")  # only Hohhot's plan is in this library
    assert asked_elsewhere.refused and asked_elsewhere.refusal_reason == "not_in_library"
    assert "没有找到" in asked_elsewhere.answer and asked_elsewhere.citations == []
    asked_here = answerer.ask("呼和浩特市数字政府建设的主要目标是什么？")
    assert not asked_here.refused and "呼和浩特" in asked_here.citations[0].title


@pytest.mark.parametrize(
    ("question", "stated"),
    [
        ("创业担保贷款申请对象有哪几类？", "个人借款人和小微企业借款人"),
        ("创业担保贷款的贴息利率是多少？", "50%给予财政贴息"),
    ],
)
def test_faq_answer_states_the_reply_not_only_the_repeated_question(answerer, question, stated) -> None:
    # guangzhou/doc_16 is a FAQ page: its question lines match the question best, the lines after them answer it.
    reply = answerer.ask(question)
    assert not reply.refused
    assert reply.citations[0].path.endswith("guangzhou/doc_16.txt")
    assert stated in reply.answer


def _chunk_passage(path: str, start_marker: str, length: int, title: str, relevance: float, section: str = "") -> Passage:
    """A passage cut from a real library file, as the reranker hands it to the sentence selector."""
    document = (LIBRARY / path).read_text(encoding="utf-8")
    start = document.index(start_marker)
    text = document[start : start + length]
    return Passage(f"{path}#{start}", path, title, path, section, text, start, start + length, None, None, "现行有效",
                   relevance, 0.0, relevance, 0.89)


def test_answer_comes_from_the_passage_the_reranker_trusts_unless_another_matches_far_better(qa_kb) -> None:
    question = "郑州针对发热旅客采取怎样的措施？"
    passages = [
        # The right passage (a Henan press conference): its sentence names 郑州机场 in the clause before.
        _chunk_passage("ncp/b11ff834b9083dd183f0438afe904cf4.txt", "在旅客安全出行方面", 400, "河南省新冠肺炎疫情防控工作第十四场新闻发布会召开", 0.99),
        # A civil-aviation briefing whose sentence repeats 针对 … 发热 … 旅客 … 措施-like words but is about aircraft.
        _chunk_passage("ncp/fdeb3858efad3552953b9e3dc45a39a3.txt", "李健表示，根据以上统计数据", 366, "继续深化细化防控措施", 0.85),
    ]
    chosen = SentenceSelector(qa_kb.term_weights).select(question, passages)[0]
    assert chosen.passage.doc_id.endswith("b11ff834b9083dd183f0438afe904cf4.txt")
    assert "设置专门的隔离场所和转运车辆" in chosen.text
    # Sentence match alone (no weight on the passage's relevance) picks the aircraft sentence.
    match_only = SentenceSelector(qa_kb.term_weights, passage_weight=0.0).select(question, passages)[0]
    assert match_only.passage.doc_id.endswith("fdeb3858efad3552953b9e3dc45a39a3.txt")


def test_conditions_question_gets_the_article_that_lists_them_with_its_items(qa_kb) -> None:
    # 第九十三条 introduces (一)…(五); item (五) "…认定管理办法规定的其他条件" repeats more of the question's words.
    path = "laws/行政法规/企业所得税法实施条例(2019-04-23).md"
    passage = _chunk_passage(path, "第九十三条", 330, "中华人民共和国企业所得税法实施条例", 0.95)
    selector = SentenceSelector(qa_kb.term_weights)
    chosen = selector.select("高新技术企业认定需要什么条件？", [passage])[0]
    assert chosen.answer_text.startswith("第九十三条") and "同时符合下列条件的企业：" in chosen.answer_text
    assert "第九十四条" not in chosen.text
    # The composed answer shows one item per line, as the article does.
    answer = ExtractiveAnswerGenerator(selector).compose("高新技术企业认定需要什么条件？", [passage]).text
    assert answer.startswith("根据《中华人民共和国企业所得税法实施条例》第九十三条：企业所得税法第二十八条第二款所称")
    for item in ("(一)产品(服务)属于", "(四)科技人员占企业职工总数", "(五)高新技术企业认定管理办法"):
        assert f"：\n{item}" in answer or f"；\n{item}" in answer


def test_a_heading_that_ends_in_a_colon_is_answered_with_the_items_it_introduces(qa_kb) -> None:
    passage = _chunk_passage("laws/经济法/增值税法(2024-12-25).md", "第十条 增值税税率", 400, "中华人民共和国增值税法", 0.95)
    chosen = SentenceSelector(qa_kb.term_weights).select("增值税的税率有哪些？", [passage])[0]
    assert chosen.answer_text.startswith("第十条 增值税税率：")
    # All five items, with the "1.…4." goods nested in item （二）.
    for stated in ("税率为百分之十三", "1.农产品、食用植物油、食用盐", "税率为百分之六", "（五）境内单位和个人跨境销售"):
        assert stated in chosen.answer_text
    assert not chosen.more_items


def test_a_list_longer_than_the_quote_says_that_more_items_follow(qa_kb) -> None:
    # 第一百零六条 lists the regulator's powers in about 700 characters.
    passage = _chunk_passage("laws/经济法/期货和衍生品法(2022-04-20).md", "第一百零六条", 900, "中华人民共和国期货和衍生品法", 0.95)
    selector = SentenceSelector(qa_kb.term_weights)
    question = "期货监督管理机构可以采取哪些措施？"
    chosen = selector.select(question, [passage])[0]
    assert chosen.answer_text.startswith("第一百零六条 国务院期货监督管理机构依法履行职责，有权采取下列措施：")
    assert "（一）" in chosen.answer_text and "第一百零七条" not in chosen.text
    assert chosen.more_items and len(chosen.answer_text) <= selector.quote_max_chars
    assert ExtractiveAnswerGenerator(selector).compose(question, [passage]).text.endswith(f"\n{MORE_ITEMS}")
    # A list that fits (增值税法 第二十四条, nine items) carries no such note.
    whole = _chunk_passage("laws/经济法/增值税法(2024-12-25).md", "第二十四条 下列项目免征增值税", 900, "中华人民共和国增值税法", 0.95)
    complete = selector.select("哪些项目可以免征增值税？", [whole])[0]
    assert "（九）纪念馆、博物馆" in complete.answer_text and not complete.more_items


def test_a_cue_inside_a_longer_word_does_not_say_what_is_asked(qa_kb) -> None:
    # 时间 asks for a time in "办理时间", not in "长时间": read as a deadline question, the 5天 sentence won.
    passage = _chunk_passage(
        "ncp/e14e6349e7583c1fbdc68973406bc4fa.txt", "（三）对长时间超负荷工作", 110,
        "沈阳市人民政府办公室关于印发沈阳市保障防控新冠肺炎疫情一线医务人员及其家属若干措施的通知", 0.97,
    )
    chosen = SentenceSelector(qa_kb.term_weights).select("沈阳市对长时间超负荷工作的一线医务人员有何政策？", [passage])[0]
    assert chosen.answer_text.startswith("（三）对长时间超负荷工作的一线医务人员，要强制休息")
    boundaries = qa_kb.tokenizer.word_boundaries
    assert AskedFor.DEADLINE not in asked_for("对长时间超负荷工作的人员有何政策", boundaries("对长时间超负荷工作的人员有何政策"))
    assert AskedFor.DEADLINE in asked_for("污水处理费的办理时间", boundaries("污水处理费的办理时间"))


def test_an_answer_is_not_widened_back_into_the_previous_article(qa_kb) -> None:
    # 第二十三条 states the 扶持政策; the two articles before it also score well but would carry their own labels.
    passage = _chunk_passage("laws/行政法规/促进个体工商户发展条例(2022-10-01).md", "第二十一条", 230, "促进个体工商户发展条例", 0.95)
    chosen = SentenceSelector(qa_kb.term_weights).select("个体工商户享受哪些扶持政策？", [passage])[0]
    assert chosen.answer_text.startswith("第二十三条")
    assert "第二十二条" not in chosen.text


def test_a_compound_the_text_states_in_parts_still_counts(qa_kb) -> None:
    # jieba yields 拖欠款项 with its parts; the regulations say "拖欠…款项", the parts apart.
    question = "中小企业投诉被拖欠款项后，对方可以打击报复吗？"
    terms = qa_kb.term_weights.key_terms(question)
    assert {part for part, _ in terms.parts["拖欠款项"]} >= {"拖欠", "款项"}
    text = qa_kb.term_weights.normalize("不得违约拖欠中小企业的货物、工程、服务款项")
    whole_terms_only = sum(weight for term, weight in terms.weights.items() if term in text) / terms.total
    assert terms.coverage(text) > whole_terms_only
    # Parts that the text lacks add nothing: "拖欠" alone covers only half of 拖欠款项.
    assert terms.coverage(qa_kb.term_weights.normalize("拖欠")) < terms.coverage(qa_kb.term_weights.normalize("拖欠 款项"))


def test_how_long_is_a_question_word_not_a_term(qa_kb) -> None:
    weights = qa_kb.term_weights.key_terms("领取营业执照后多长时间内要办理税务登记？").weights
    assert "多长时间" not in weights and "长时间" not in weights
    assert {"营业执照", "税务", "登记"} <= set(weights)


def test_a_colloquial_word_is_covered_by_the_term_the_law_uses(qa_kb) -> None:
    # The normaliser glosses 老板 and 加班 with the statute's terms; a text saying 用人单位 … 延长工作时间 covers them.
    question = QueryNormalizer().normalize("老板让员工加班，要给多少加班费？")
    assert "老板（用人单位）" in question and "加班（延长工作时间）" in question
    terms = qa_kb.term_weights.key_terms(question)
    assert terms.alternatives["老板"] == ("用人单位",) and "用人单位" not in terms.weights
    statute = qa_kb.term_weights.normalize("用人单位安排劳动者延长工作时间的，支付不低于工资的百分之一百五十的工资报酬")
    colloquial = qa_kb.term_weights.normalize("老板安排员工加班的，支付不低于工资的百分之一百五十的工资报酬")
    assert terms.coverage(statute) == terms.coverage(colloquial) > 0.5


def test_chance_pairs_jieba_guesses_in_colloquial_questions_are_cut_into_words(qa_kb) -> None:
    # jieba's HMM joins 店当 (奶茶店|当) and 能休 (能|休); no text holds them, so they would count as missing terms.
    weights = qa_kb.term_weights.key_terms("我在奶茶店当小时工，一年能休几天？").weights
    assert "店当" not in weights and "能休" not in weights
    assert {"奶茶", "小时工", "休"} <= set(weights)
    # A guess the library holds stays a term: 日内 ("60日内支付") is one of jieba's guesses too.
    assert "日内" in qa_kb.term_weights.key_terms("机关采购货物后应当在多少日内支付款项？").weights


def test_which_question_prefers_the_article_that_lists_the_answers(qa_kb) -> None:
    # The reranker puts a COVID-era tax notice's 研发支出加计扣除 item a little above 企业所得税法 第三十条, which
    # introduces the list of deductible expenses; "哪些" asks for that list.
    question = "企业哪些支出可以加计扣除？"
    notice = _chunk_passage("ncp/d898435a903c3865ab91e76966d31909.txt", "（三）疫情防控研发支出税前加计扣除", 361,
                            "疫情防控期间税费优惠政策和征管服务措施汇编", 0.992, "企业所得税 > （三）疫情防控研发支出税前加计扣除")
    law = _chunk_passage("laws/经济法/企业所得税法(2018-12-29).md", "第三十条", 334, "中华人民共和国企业所得税法", 0.980,
                         "第四章 税收优惠")
    chosen = SentenceSelector(qa_kb.term_weights).select(question, [notice, law])[0]
    assert chosen.passage.title == "中华人民共和国企业所得税法"
    assert chosen.answer_text.startswith("第三十条 企业的下列支出") and "研究开发费用" in chosen.answer_text


def test_an_answer_that_refers_back_carries_the_sentence_it_refers_to(qa_kb) -> None:
    # "该贷款纯信用…最高可贷500万元" states the amount, but "该贷款" is the 减税抗疫贷 of the sentence before it.
    passage = _chunk_passage(
        "ncp/164d698e7df03dfabde87e732dacf20d.txt", "【新华网】", 400, "成都推出减税抗疫贷支持小微企业渡难关", 0.95,
    )
    chosen = SentenceSelector(qa_kb.term_weights).select("成都推出的减税抗疫贷最多贷多少？", [passage])[0]
    assert chosen.answer_text.startswith("据了解，减税抗疫贷以纳税企业的实缴税额")
    assert "单户最高可贷500万元" in chosen.answer_text and "四川铭维医药" not in chosen.answer_text
