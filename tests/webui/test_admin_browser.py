"""The admin pages in a real headless Chromium (Playwright): an admin creates a user through the form and sees it
listed, a duplicate user name gets a Chinese error with the typed values kept, and both admin pages pass axe.

Same requirements as tests/webui/test_browser.py (the Debian ``chromium``, the ``playwright`` package); the server
has an empty library, which these pages do not need. Screenshots go to ``tests/artifacts/webui/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import MODEL_DIR
from tests.helpers import RunningServer, cli_env, create_account

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.webui.test_browser import ARTIFACTS, CHROMIUM_ARGS, DESKTOP, _axe_violations, _chromium  # noqa: E402

PASSWORD = "admin-browser-password"


@pytest.fixture(scope="module")
def admin_page(tmp_path_factory) -> Iterator[object]:
    data_dir = tmp_path_factory.mktemp("admin-browser") / "data"
    create_account(data_dir, "root", "admin", PASSWORD)
    create_account(data_dir, "clerk", "staff", PASSWORD)
    server = RunningServer(cli_env(data_dir, MODEL_DIR))
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=server.url, viewport=DESKTOP, locale="zh-CN")
            context.set_default_timeout(60_000)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("用户名").fill("root")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录", exact=True).click()
            expect(page).to_have_url(re.compile(r"/staff$"))
            yield page
            browser.close()
    finally:
        server.stop()


def _submit_new_user(page, username: str, password: str, role: str) -> None:
    form = page.locator("#create-user")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("初始密码").fill(password)
    form.get_by_label("角色").select_option(label=role)
    form.get_by_role("button", name="创建用户").click()


def test_an_admin_creates_a_user_and_a_duplicate_name_gets_a_chinese_error(admin_page) -> None:
    page = admin_page
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="系统管理").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_role("heading", name="用户管理", exact=True)).to_be_visible()

    _submit_new_user(page, "zhang_san", "zhang-san-password", "工作人员")
    expect(page.locator("p.notice")).to_have_text("已创建用户“zhang_san”。")
    row = page.locator("#users tbody tr", has_text="zhang_san")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("工作人员")
    expect(row).to_contain_text("正常")
    _shot(page, "admin-users")

    _submit_new_user(page, "clerk", "another-password", "管理员")
    expect(page.get_by_role("alert")).to_contain_text("用户名“clerk”已存在")
    username = page.locator("#create-user").get_by_label("用户名")
    expect(username).to_have_value("clerk")
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#create-user").get_by_label("角色")).to_have_value("admin")
    expect(page.locator("#create-user").get_by_label("初始密码")).to_have_value("")  # never sent back
    expect(page.locator("#users tbody tr", has_text="clerk")).to_have_count(1)
    _shot(page, "admin-users-duplicate")


def test_the_admin_pages_pass_axe(admin_page) -> None:
    page = admin_page
    report: dict[str, dict] = {}
    problems = {}
    for path in ("/admin/users", "/admin/settings"):
        page.goto(path)
        violations = _axe_violations(page, report)
        if violations:
            problems[path] = violations
    _shot(page, "admin-settings")
    assert not problems, problems


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
