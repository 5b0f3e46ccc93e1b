"""Components that need no index: normalisation, sentence splitting, the citation check, the conversation store."""

from __future__ import annotations

from qa.answer_composer import split_for_stream
from qa.citation_check import CitationChecker
from qa.conversation import ConversationStore, Turn
from qa.query_normalizer import QueryNormalizer
from qa.sentence_selector import split_sentences
from qa.types import AnswerDraft, Passage, Quote


def test_normalizer_expands_abbreviations_only_as_whole_words() -> None:
    normalizer = QueryNormalizer()
    assert normalizer.normalize("高企認定需要哪些條件？") == "高新技术企业认定需要哪些条件?"
    assert normalizer.normalize("小巨人企业有什么奖励") == "专精特新“小巨人”企业有什么奖励"
    assert normalizer.normalize("如何提高企业效益") == "如何提高企业效益"
    assert normalizer.normalize("社保补贴") == "社保（社会保险）补贴"


def test_normalizer_leaves_out_markup_but_not_comparisons() -> None:
    normalizer = QueryNormalizer()
    assert normalizer.normalize("<script>alert(1)</script>创业担保贷款额度") == "创业担保贷款额度"
    assert normalizer.normalize("<b>稳岗返还</b>标准<style>p{}</style>") == "稳岗返还 标准"
    assert normalizer.normalize("<SCRIPT src=x>未闭合的标签") == "未闭合的标签"
    assert normalizer.normalize("营业收入<2000万元且人数>100的企业") == "营业收入<2000万元且人数>100的企业"


def test_sentences_keep_their_offsets() -> None:
    text = "第九条 机关应当在30日内支付款项；合同另有约定的，从其约定。\n大型企业应当在60日内支付。"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["第九条 机关应当在30日内支付款项；", "合同另有约定的，从其约定。", "大型企业应当在60日内支付。"]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def _passage(text: str) -> Passage:
    return Passage("c", "d", "办法", "a.txt", "第九条", text, 100, 100 + len(text), None, None, "现行有效", 0.9, 0.1, 0.9, 0.9)


def test_citation_check_rejects_figures_not_in_the_quotes() -> None:
    passage = _passage("应当自交付之日起30日内支付款项。")
    quote = Quote(passage, passage.text, 100, 100 + len(passage.text), 1.0)
    checker = CitationChecker()
    assert checker.check(AnswerDraft("根据《办法》第九条：应当自交付之日起30日内支付款项。", [quote])).ok
    report = checker.check(AnswerDraft("根据《办法》第九条：应当在45日内支付，最高50万元。", [quote]))
    assert not report.ok and set(report.unsupported) == {"45日", "50万元"}


def test_stream_pieces_rebuild_the_answer() -> None:
    text = "根据《办法》第九条：应当自交付之日起30日内支付款项；合同另有约定的，从其约定。"
    pieces = split_for_stream(text)
    assert len(pieces) > 2 and "".join(pieces) == text


def test_conversation_store_is_bounded(tmp_path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3", max_turns=2, max_conversations=2)
    first = store.open(None)
    assert first.is_new
    for number in range(3):
        store.append(first.conversation_id, Turn(f"问{number}", f"问{number}", "答", False, ("d",), ("t",)))
    assert [t.question for t in store.open(first.conversation_id).turns] == ["问1", "问2"]
    for _ in range(2):
        store.append(store.open(None).conversation_id, Turn("问", "问", "答", False))
    assert store.count() == 2 and store.open(first.conversation_id).is_new
