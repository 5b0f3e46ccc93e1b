"""One policy held twice (the plain text and its web page): answers cite the plain text and name the policy once."""

from __future__ import annotations

from index.copy_collapse import SquashedText
from index.document_copies import COPY_THRESHOLD, CopyDetector, fingerprint, fingerprint_containment
from tests.conftest import LIBRARY

FAQ_TEXT = "guangzhou/doc_16.txt"
FAQ_PAGE = "guangzhou_html/15_创业担保贷款常见问题_2025.html"


def _doc_id(kb, path: str) -> str:
    return next(d.doc_id for d in kb.store.list_documents(limit=100) if d.path.endswith(path))


def test_a_web_page_and_its_text_are_copies_and_the_text_is_preferred(qa_kb) -> None:
    detector = CopyDetector(qa_kb.store)
    text, page = _doc_id(qa_kb, FAQ_TEXT), _doc_id(qa_kb, FAQ_PAGE)
    other = _doc_id(qa_kb, "guangzhou/doc_17.txt")  # another Guangzhou employment page, not a copy
    assert detector.are_copies(text, page) and detector.are_copies(page, text)
    assert not detector.are_copies(text, other)
    assert detector.preferred([page, text]) == text


def test_two_versions_of_one_law_are_not_copies_though_they_share_nearly_all_their_text(tmp_path) -> None:
    # 生物安全法 2020 and its 2024 amendment share almost every shingle; their signature dates tell them apart.
    from datetime import date

    from index.sqlite_store import SqlitePolicyStore
    from index.types import PolicyDocument
    from policy.types import PolicyMetadata

    texts = {day: (LIBRARY / f"laws/行政法/生物安全法({day}).md").read_text(encoding="utf-8") for day in ("2020-10-17", "2024-04-26")}
    assert fingerprint_containment(*(fingerprint(text) for text in texts.values())) >= COPY_THRESHOLD
    store = SqlitePolicyStore(tmp_path / "index.sqlite3")
    documents = {
        "v2020": (texts["2020-10-17"], date(2020, 10, 17)),
        "v2024": (texts["2024-04-26"], date(2024, 4, 26)),
        "v2024-page": (texts["2024-04-26"], None),  # the same version saved elsewhere, its date not read
    }
    for doc_id, (text, signed) in documents.items():
        store.replace_document(
            PolicyDocument(doc_id, f"{doc_id}.md", doc_id, "md", text, PolicyMetadata(title="生物安全法", written_date=signed)), []
        )
    detector = CopyDetector(store)
    assert not detector.are_copies("v2020", "v2024")
    assert detector.are_copies("v2024", "v2024-page")
    store.close()


def test_answer_cites_the_plain_text_and_never_offers_its_web_page(qa_kb, answerer) -> None:
    page = _doc_id(qa_kb, FAQ_PAGE)
    questions = ("创业担保贷款最高可以申请多少额度？", "创业担保贷款每次最长可以申请多长时间？", "创业担保贷款有哪些申请条件？")
    for question in questions:
        reply = answerer.ask(question, record=False)
        assert not reply.refused, question
        assert reply.citations[0].path.endswith(FAQ_TEXT), (question, reply.citations[0].path)
        assert page not in {c.doc_id for c in reply.citations} | {r.doc_id for r in reply.related}, question


def test_refusal_offers_each_related_policy_once(qa_kb, answerer) -> None:
    reply = answerer.ask("创业担保贷款的还款宽限期是几个月？可以展期几次？", record=False)
    assert reply.refused
    offered = [r.doc_id for r in reply.related]
    assert _doc_id(qa_kb, FAQ_TEXT) in offered
    assert _doc_id(qa_kb, FAQ_PAGE) not in offered


def test_locate_finds_a_passage_in_a_copy_despite_spacing_and_an_extra_edge_line() -> None:
    original = (LIBRARY / FAQ_TEXT).read_text(encoding="utf-8")
    passage = original[original.index("二、创业担保贷款最高") : original.index("三、创业担保贷款每次")]
    # The copy breaks lines differently and the passage as the page chunked it starts with a navigation line.
    copy = "首页 > 政策解读\n" + original.replace("。", "。\n  ")
    start, end = SquashedText(copy).locate("当前位置：首页 > 政策解读 > 常见问题\n" + passage)
    assert "".join(copy[start:end].split()) == "".join(passage.split())
    not_there = "个人创业担保贷款额度最高80万元，小微企业创业担保贷款最高900万元，由经办银行审核确定。"
    assert SquashedText(copy).locate(not_there) is None


def test_the_print_cache_is_safe_to_share_between_server_threads(qa_kb) -> None:
    # The server answers on several threads with one detector; a cache of one print makes every call evict another.
    import sys
    import threading

    detector = CopyDetector(qa_kb.store, capacity=1)
    text, page, other = (_doc_id(qa_kb, path) for path in (FAQ_TEXT, FAQ_PAGE, "guangzhou/doc_17.txt"))
    errors: list[BaseException] = []

    def ask_repeatedly() -> None:
        try:
            for _ in range(150):
                assert detector.are_copies(text, page) and not detector.are_copies(text, other)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=ask_repeatedly) for _ in range(6)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so that interleavings happen
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    assert errors == []


def test_search_shows_a_policy_held_twice_once_from_its_text_and_names_the_web_page(qa_kb) -> None:
    query = "创业担保贷款最高可以申请多少额度"
    retrieved = [document.meta["path"] for document in qa_kb.searcher.search_documents(query, top_k=20)]
    assert any(path.endswith(FAQ_PAGE) for path in retrieved)  # both copies are retrieved …
    hits = qa_kb.searcher.search(query, top_k=10)
    assert not any(hit.path.endswith(FAQ_PAGE) for hit in hits)  # … and the page is folded into the text's hits
    assert hits[0].path.endswith(FAQ_TEXT)
    assert [copy.path for copy in hits[0].copies] == [next(path for path in retrieved if path.endswith(FAQ_PAGE))]
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert len({hit.chunk_id for hit in hits}) == len(hits)
    for hit in hits:
        assert qa_kb.store.get_document(hit.doc_id).text[hit.char_start : hit.char_end] == hit.text
