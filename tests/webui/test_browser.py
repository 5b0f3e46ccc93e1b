"""The web UI in a real headless Chromium (Playwright), against a real `policykb serve` with a small library.

Needs the Debian ``chromium`` package (``/usr/bin/chromium``, or set ``POLICYKB_CHROMIUM``) and the ``playwright``
Python package; the browser is never downloaded. Screenshots of every main page go to ``tests/artifacts/webui/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MODEL_DIR, REPO
from tests.helpers import RunningServer, cli_env, create_account

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

SAMPLE = REPO / "policies_sample"
LIBRARY_FILES = [
    SAMPLE / "laws" / "促进个体工商户发展条例(2022-10-01).md",
    SAMPLE / "guangzhou_html" / "17_天河港澳青年办法_穗天科工信规字2023-1号.html",
]
DOCX = SAMPLE / "formats" / "16_保障中小企业款项支付条例.docx"
ARTIFACTS = REPO / "tests" / "artifacts" / "webui"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps", "--lang=zh-CN",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CREDIT_CODE = "91110000802100433B"
PASSWORD = "browser-test-password"


def _chromium() -> str:
    path = os.environ.get("POLICYKB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Chromium is not installed (apt-get install chromium, or set POLICYKB_CHROMIUM)")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("webui") / "data"
    token = create_account(data_dir, "staff", "staff", PASSWORD)
    create_account(data_dir, "tianhe", "enterprise", PASSWORD)  # no enterprise yet: fills in the profile form
    create_account(data_dir, "latecomer", "enterprise", PASSWORD)  # registers after a policy is published
    running = RunningServer(cli_env(data_dir, MODEL_DIR))
    running.staff_headers = {"Authorization": f"Bearer {token}"}
    yield running
    running.stop()


@pytest.fixture(scope="module")
def library(server) -> dict[str, str]:
    """The small library, uploaded through the API: title -> doc_id."""
    files = [("files", (path.name, path.read_bytes(), "application/octet-stream")) for path in LIBRARY_FILES]
    response = httpx.post(server.url + "/api/documents", files=files, headers=server.staff_headers, timeout=300)
    assert response.status_code == 200, response.text
    return {r["title"]: r["doc_id"] for r in response.json()["results"]}


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _context(browser, server, viewport=DESKTOP):
    context = browser.new_context(base_url=server.url, viewport=viewport, locale="zh-CN")
    context.set_default_timeout(60_000)
    return context


def _login(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()


def _shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="module")
def staff(browser, server, library):
    context = _context(browser, server)
    page = context.new_page()
    _login(page, "staff")
    expect(page).to_have_url(re.compile(r"/staff$"))
    yield page
    context.close()


@pytest.fixture(scope="module")
def enterprise(browser, server, library):
    """An enterprise user who registered a profile through the form (inline validation checked on the way)."""
    context = _context(browser, server)
    page = context.new_page()
    _login(page, "tianhe")
    expect(page).to_have_url(re.compile(r"/portal/profile$"))
    page.get_by_label("企业名称").fill("广州天河测试科技有限公司")
    code = page.get_by_label("统一社会信用代码")
    code.fill(CREDIT_CODE[:-1] + "A")
    code.blur()
    expect(page.locator("#m-credit_code")).to_contain_text("校验位错误")
    expect(code).to_have_attribute("aria-invalid", "true")
    code.fill(CREDIT_CODE)
    code.blur()
    expect(page.locator("#m-credit_code")).to_contain_text("校验通过")
    region = page.get_by_label("注册地（行政区划）")
    region.fill("440106")
    region.blur()
    expect(page.locator("#m-region_code")).to_have_text("广东省广州市天河区")
    page.get_by_label("所属行业（国民经济行业分类）").fill("C39")
    page.get_by_label("成立日期").fill("2020-03-01")
    page.get_by_label("从业人员（人）").fill("50")
    page.get_by_label("上年营业收入（万元）").fill("3000")
    page.get_by_label("资产总额（万元）").fill("2000")
    expect(page.locator("#size-output")).to_contain_text("小型企业")
    page.get_by_label("高新技术企业").check()
    _shot(page, "portal-profile-form")
    page.get_by_role("button", name="保存并开始接收推送").click()
    expect(page.locator("p.notice")).to_contain_text("企业信息已保存")
    yield page
    context.close()


def test_chat_streams_a_cited_answer_whose_link_opens_the_article(browser, server, library) -> None:
    context = _context(browser, server)
    page = context.new_page()
    page.goto("/")
    _shot(page, "chat-empty")
    question = page.get_by_label("您的问题")
    question.fill("个体工商户可以享受哪些扶持政策？")
    question.press("Enter")
    turn = page.locator("article.turn").first
    citation = turn.locator(".citations a").first
    expect(citation).to_be_visible(timeout=90_000)
    expect(turn.locator(".answer-text")).to_have_attribute("aria-live", "polite")
    expect(turn.locator(".answer-text")).to_have_attribute("aria-busy", "false")
    expect(turn.locator(".answer-text")).to_contain_text("促进个体工商户发展条例")
    expect(citation).to_contain_text("《促进个体工商户发展条例》")
    quote = turn.locator(".citations blockquote").first.inner_text()

    # 👍 is stored for staff review
    turn.get_by_role("button", name="有帮助").click()
    expect(turn.get_by_role("status")).to_contain_text("感谢您的反馈")

    # a follow-up question stays in the same conversation
    conversation_id = page.locator("#conversation-id").input_value()
    assert conversation_id
    question.fill("那申请条件呢？")
    page.get_by_role("button", name="提问").click()
    expect(page.locator("article.turn")).to_have_count(2)
    expect(page.locator("article.turn").nth(1).locator(".feedback")).to_be_visible(timeout=90_000)
    assert page.locator("#conversation-id").input_value() == conversation_id
    _shot(page, "chat-answer")

    section = citation.inner_text().split("》")[-1].strip()
    citation.click()
    expect(page).to_have_url(re.compile(rf"/documents/{library['促进个体工商户发展条例']}\?hl=\d+-\d+#cited$"))
    cited = page.locator("mark#cited")
    expect(cited).to_be_visible()
    expect(cited).to_be_in_viewport()
    assert cited.inner_text().strip()[:20] in quote
    expect(page.locator(".cited-note")).to_contain_text(section)
    expect(page.get_by_role("link", name=re.compile("下载原文"))).to_be_visible()
    _shot(page, "document-cited", full_page=False)
    context.close()


def test_a_question_the_library_cannot_answer_is_refused_with_the_hotline(browser, server, library) -> None:
    context = _context(browser, server, viewport=PHONE)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("您的问题").fill("如何申请护照？")
    page.get_by_role("button", name="提问").click()
    turn = page.locator("article.turn.refused")
    expect(turn).to_be_visible(timeout=90_000)
    expect(turn.locator(".refused-title")).to_have_text("库中暂无依据")
    expect(turn.locator(".hotline")).to_contain_text("12345")
    expect(turn.locator(".related li").first).to_be_visible()
    expect(turn.locator(".related-note")).to_contain_text("不构成答复")
    expect(turn.locator(".related li blockquote.excerpt").first).not_to_be_empty()
    turn.get_by_role("button", name="没帮助").click()
    expect(turn.get_by_role("status")).to_contain_text("感谢")
    _shot(page, "chat-refused-phone")
    context.close()


def test_staff_uploads_a_docx_and_finds_it_by_search(staff) -> None:
    page = staff
    page.goto("/staff")
    page.get_by_label(re.compile("选择文件")).set_input_files(str(DOCX))
    page.get_by_role("button", name="上传并入库").click()
    result = page.locator("#upload-results li.ok")
    expect(result).to_contain_text("已入库", timeout=120_000)
    expect(result).to_contain_text("保障中小企业款项支付条例")
    expect(page.locator("#upload-results progress")).to_have_attribute("value", "100")
    _shot(page, "staff-upload")

    page.goto("/library")
    page.get_by_label(re.compile("检索内容")).fill("中小企业 款项支付 期限")
    page.get_by_label("效力状态").select_option("现行有效")
    page.get_by_role("button", name="检索").click()
    first = page.locator("li.hit").first
    expect(first.locator("h3")).to_contain_text("保障中小企业款项支付条例")
    expect(first.locator("mark").first).to_be_visible()
    _shot(page, "library-search")
    first.locator("h3 a").click()
    expect(page.locator("mark#cited")).to_be_visible()
    expect(page.get_by_role("navigation", name="条文目录")).to_contain_text("第四章 法律责任")
    original = page.get_by_role("link", name=re.compile("下载原文"))
    with page.expect_download() as download:
        original.click()
    assert download.value.suggested_filename.endswith(".docx")


def test_staff_corrects_metadata_and_retires_a_policy(staff) -> None:
    page = staff
    page.goto("/staff")
    page.get_by_role("link", name="保障中小企业款项支付条例").click()
    issuer = page.get_by_label("发文机关")
    issuer.fill("国务院")
    page.get_by_label("资金补贴").check()
    page.get_by_role("button", name="保存元数据").click()
    expect(page.get_by_role("status")).to_contain_text("元数据已保存")
    expect(page.get_by_label("发文机关")).to_have_value("国务院")
    _shot(page, "staff-document")
    page.get_by_role("button", name="标记为已失效").click()
    expect(page.get_by_role("status")).to_contain_text("已失效")
    page.get_by_role("link", name="查看公开页面").click()
    expect(page.locator(".meta-list")).to_contain_text("国务院")
    expect(page.locator(".meta-list")).to_contain_text("已失效")
    expect(page.locator(".meta-list")).to_contain_text("资金补贴")


def test_publishing_a_policy_pushes_it_to_the_qualifying_enterprise_with_an_explanation(staff, enterprise, library) -> None:
    doc_id = library["广州市天河区深化支持港澳青年创新创业高质量发展实施办法"]
    page = staff
    page.goto(f"/staff/documents/{doc_id}")
    suggested = page.locator(".suggested-conditions li")
    expect(suggested.first).to_contain_text("注册地位于广东省广州市天河区")
    page.get_by_role("link", name=re.compile("在原文中定位")).first.click()
    expect(page.locator(".source-text mark").first).to_be_in_viewport()
    assert "region_within" in page.get_by_label(re.compile("规则（JSON 或 YAML")).input_value()

    # the rule editor: rows instead of JSON, each suggested row accepted, a threshold edited, the count previewed
    rows = page.locator(".rule-row")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".row-evidence")).to_contain_text("天河区")
    preview = page.locator("#rule-preview")
    expect(preview).to_have_text("这条规则下，1 家企业符合、0 家待完善")
    page.get_by_role("button", name="采纳条件 1").click()
    expect(page.get_by_role("button", name="已采纳条件 1")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="添加条件").click()
    rows.nth(1).get_by_label("小型").check()
    rows.nth(1).get_by_label("微型").check()
    page.get_by_role("button", name="添加条件").click()
    rows.nth(2).get_by_label("条件 3：字段").select_option(label="从业人员")
    ceiling = rows.nth(2).get_by_label("从业人员不超过（人）")
    ceiling.fill("300")
    expect(preview).to_have_text("这条规则下，1 家企业符合、0 家待完善")
    ceiling.fill("30")
    expect(preview).to_have_text("这条规则下，0 家企业符合、0 家待完善")
    ceiling.fill("300")
    expect(preview).to_have_text("这条规则下，1 家企业符合、0 家待完善")
    expect(page.locator("#rule-preview-sample")).to_contain_text("广州天河测试科技有限公司")
    advanced = page.get_by_label(re.compile("规则（JSON 或 YAML")).input_value()
    assert '"max": 300' in advanced and '"small"' in advanced, advanced
    ceiling.blur()  # a focused field scrolls itself back into view after a full-page screenshot, eating the next click
    _shot(page, "staff-rules")
    page.get_by_role("button", name="保存规则").click()
    expect(page.get_by_role("status")).to_contain_text("规则已保存")
    expect(page.locator(".rule-row.accepted")).to_have_count(3)
    page.get_by_role("button", name="发布并推送").click()
    expect(page.get_by_role("status")).to_contain_text("符合条件 1 家")

    inbox = enterprise
    inbox.goto("/portal")
    message = inbox.locator("li.message").first
    expect(message).to_contain_text("天河区深化支持港澳青年创新创业")
    expect(message.locator(".outcome")).to_have_text("符合条件")
    rows = message.locator(".conditions-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="注册地位于广东省广州市天河区")).to_contain_text("满足")
    expect(rows.filter(has_text="企业规模")).to_contain_text("小型")
    expect(rows.filter(has_text="从业人员300人以下")).to_contain_text("满足")
    _shot(inbox, "portal-inbox")
    message.get_by_role("link", name="查看政策原文").click()
    expect(inbox).to_have_url(re.compile(rf"/documents/{doc_id}$"))

    page.goto("/staff/feedback")
    expect(page.locator(".feedback-table")).to_contain_text("个体工商户可以享受哪些扶持政策？")
    expect(page.locator(".feedback-table")).to_contain_text("如何申请护照？")
    _shot(page, "staff-feedback")


def test_an_enterprise_that_registers_later_sees_its_eligible_policies_at_once(browser, server, library) -> None:
    from push_rules.credit_code import make_credit_code

    # a policy in force, published through the API before this enterprise registers (the 天河 measures published by
    # the test above have expired by their own 有效期3年, so its checkup leaves them out)
    title = "促进个体工商户发展条例"
    doc_id = library[title]
    rule = {"all": [{"op": "region_within", "value": "440106"}, {"op": "in", "field": "size", "value": ["small", "micro"]}]}
    assert httpx.put(f"{server.url}/api/policies/{doc_id}/rules", json={"rules": rule}, headers=server.staff_headers).status_code == 200
    assert httpx.post(f"{server.url}/api/policies/{doc_id}/publish", headers=server.staff_headers, timeout=60).status_code == 200
    context = _context(browser, server)
    page = context.new_page()
    _login(page, "latecomer")
    expect(page).to_have_url(re.compile(r"/portal/profile$"))
    page.get_by_label("企业名称").fill("广州天河后来科技有限公司")
    page.get_by_label("统一社会信用代码").fill(make_credit_code("440106", "MA0000L8"))
    page.get_by_label("注册地（行政区划）").fill("440106")
    page.get_by_label("所属行业（国民经济行业分类）").fill("C39")
    page.get_by_label("从业人员（人）").fill("20")
    page.get_by_label("上年营业收入（万元）").fill("800")
    page.get_by_label("资产总额（万元）").fill("600")
    page.get_by_role("button", name="保存并开始接收推送").click()
    notice = page.locator("p.notice")
    expect(notice).to_contain_text("政策体检：1 项已发布政策您符合条件")
    notice.get_by_role("link", name="查看您可能符合的政策").click()
    section = page.locator("#eligible")
    expect(section.get_by_role("heading", name="您可能符合的政策")).to_be_visible()
    expect(section.locator(".checkup-item")).to_have_count(1)
    item = section.locator(".checkup-item").first
    expect(item).to_contain_text(title)
    expect(item.locator(".outcome")).to_contain_text("符合条件")
    expect(item.locator(".conditions-table tbody tr").filter(has_text="企业规模")).to_contain_text("小型")
    expect(page.locator("li.message")).to_have_count(0)  # published before it registered: no push, its checkup
    _shot(page, "portal-eligible")
    context.close()


def test_an_enterprise_user_cannot_open_the_staff_console(enterprise, server) -> None:
    page = enterprise
    for path in ("/staff", "/staff/feedback"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        expect(page.get_by_role("alert")).to_contain_text("仅供工作人员")
    expect(page.get_by_role("navigation", name="主导航")).not_to_contain_text("工作台")
    assert page.request.get(server.url + "/api/feedback").status == 403
    _shot(page, "staff-denied")


def _axe_violations(page, report: dict) -> list[dict]:
    """Serious and critical axe-core violations of the page; every finding goes into ``report`` for review."""
    # Evaluated through the DevTools protocol: the page's Content-Security-Policy forbids injected script tags.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document)")
    report[page.url] = {
        kind: [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in result[kind]]
        for kind in ("violations", "incomplete")
    }
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_every_main_page_passes_axe_and_works_at_phone_width(browser, server, library, staff, enterprise) -> None:
    doc_id = library["促进个体工商户发展条例"]
    pages = [
        (None, "/", "chat"), (None, "/library", "library"), (None, f"/documents/{doc_id}?hl=600-700", "document"),
        (None, "/login", "login"), (staff, "/staff", "staff-console"),
        (staff, f"/staff/documents/{library['广州市天河区深化支持港澳青年创新创业高质量发展实施办法']}", "staff-document-rules"),
        (staff, "/staff/feedback", "staff-feedback"), (enterprise, "/portal", "portal-inbox"),
        (enterprise, "/portal/profile", "portal-profile"), (enterprise, "/portal/subscriptions", "portal-subscriptions"),
    ]
    visitor = _context(browser, server).new_page()
    problems: dict[str, list[dict]] = {}
    report: dict[str, dict] = {}
    for owner, path, name in pages:
        page = owner or visitor
        page.set_viewport_size(DESKTOP)
        page.goto(path)
        violations = _axe_violations(page, report)
        if violations:
            problems[path] = violations
        page.set_viewport_size(PHONE)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways at phone width ({overflow}px)"
        _shot(page, f"phone-{name}", full_page=False)
        page.set_viewport_size(DESKTOP)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    assert not problems, problems

    # keyboard: the first Tab reaches the skip link, which moves focus to the main content; focus is visible
    visitor.goto("/")
    visitor.keyboard.press("Tab")
    expect(visitor.locator(".skip-link")).to_be_focused()
    outline = visitor.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    visitor.keyboard.press("Enter")
    assert visitor.evaluate("document.activeElement.id") == "main"

    # large-text mode makes the text bigger and is remembered
    before = visitor.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    visitor.get_by_role("button", name="大字模式").click()
    expect(visitor.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    visitor.goto("/library")
    after = visitor.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert after >= before * 1.2
    _shot(visitor, "library-large-text", full_page=False)
    visitor.context.close()
