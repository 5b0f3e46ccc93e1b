"""Cross-tenant access after a delete (issue 23, item 1).

SQLite gave a new row the highest id plus one, so once the newest enterprise was deleted the next one got its id,
and the deleted enterprise's user (still linked to that id in the accounts database) read and changed the new
one. Now ids are never reused (push migration 0003) and deleting an enterprise unlinks its users in the same
request, so they can be linked again. Tried on the package's real server, with real accounts.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import text

from accounts.users import AccountStore
from push_rules.db import alembic_config, create_push_engine, migrate
from push_rules.service import PushService
from push_rules.settings import PushSettings
from tests.helpers import create_account
from tests.push.conftest import enterprise_payload
from tests.security.conftest import PASSWORD
from webui.enterprise_links import forget_deleted_enterprises

NOT_YOURS = "无权访问其他企业的数据。"


def _create_enterprise(secure, name: str) -> int:
    response = httpx.post(f"{secure.url}/api/enterprises", json=enterprise_payload(name=name), headers=secure.headers("staff"))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _linked_enterprise(secure, username: str) -> int | None:
    store = AccountStore.for_data_dir(secure.data_dir)
    try:
        user = store.get_by_username(username)
        assert user is not None
        return user.enterprise_id
    finally:
        store.close()


def test_the_user_of_a_deleted_enterprise_reaches_nothing_of_the_next_one(secure) -> None:
    deleted = _create_enterprise(secure, "呼和浩特市丁公司")
    secure.tokens["t10_ent_c"] = create_account(secure.data_dir, "t10_ent_c", "enterprise", PASSWORD, deleted)
    own = secure.headers("t10_ent_c")
    assert httpx.get(f"{secure.url}/api/enterprises/{deleted}", headers=own).status_code == 200
    assert httpx.delete(f"{secure.url}/api/enterprises/{deleted}", headers=secure.headers("staff")).status_code == 204
    assert _linked_enterprise(secure, "t10_ent_c") is None  # unlinked by the delete itself

    created = _create_enterprise(secure, "呼和浩特市戊公司")
    assert created > deleted  # the newest enterprise's id is not handed out again
    for enterprise_id in (deleted, created):
        for method, path, kwargs in (
            ("GET", f"/api/enterprises/{enterprise_id}", {}),
            ("GET", f"/api/inbox?enterprise_id={enterprise_id}", {}),
            ("PATCH", f"/api/enterprises/{enterprise_id}", {"json": {"email": "attacker@example.com"}}),
            ("GET", f"/api/subscriptions?enterprise_id={enterprise_id}", {}),
            ("POST", "/api/subscriptions", {"json": {"enterprise_id": enterprise_id, "kind": "keyword", "value": "补贴"}}),
        ):
            response = httpx.request(method, secure.url + path, headers=own, **kwargs)
            assert response.status_code == 403, f"{method} {path}: {response.status_code} {response.text}"
            assert response.json()["detail"] == NOT_YOURS
    profile = httpx.get(f"{secure.url}/api/enterprises/{created}", headers=secure.headers("staff")).json()
    assert profile["name"] == "呼和浩特市戊公司" and profile.get("email") != "attacker@example.com"


def test_a_user_whose_enterprise_was_deleted_is_linked_to_the_profile_it_creates_next(secure) -> None:
    first = _create_enterprise(secure, "呼和浩特市己公司")
    create_account(secure.data_dir, "t10_relink", "enterprise", PASSWORD, first)
    assert httpx.delete(f"{secure.url}/api/enterprises/{first}", headers=secure.headers("staff")).status_code == 204
    form = {k: v for k, v in enterprise_payload(name="呼和浩特市庚公司").items() if not isinstance(v, list)}
    with secure.client("t10_relink") as client:
        assert client.get("/portal", follow_redirects=False).headers["location"] == "/portal/profile"
        saved = client.post("/portal/profile", data=form, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        linked = _linked_enterprise(secure, "t10_relink")
        assert linked is not None and linked != first
        assert "庚公司" in client.get("/portal/profile").text
        assert client.get(f"/api/enterprises/{linked}").status_code == 200
        assert client.get(f"/api/enterprises/{first}").status_code == 403


def test_links_to_enterprises_deleted_before_the_fix_are_removed_at_start(tmp_path: Path) -> None:
    push = PushService(PushSettings(data_dir=tmp_path), lambda _doc_id: None, tokenize=str.split)
    accounts = AccountStore.for_data_dir(tmp_path)
    try:
        kept = push.create_enterprise(enterprise_payload(name="呼和浩特市辛公司"))["id"]
        gone = push.create_enterprise(enterprise_payload(name="呼和浩特市壬公司"))["id"]
        push.delete_enterprise(gone)  # as the old code did: the user stays linked to the deleted id
        create_account(tmp_path, "t10_kept", "enterprise", PASSWORD, kept)
        create_account(tmp_path, "t10_orphan", "enterprise", PASSWORD, gone)
        assert forget_deleted_enterprises(accounts, push) == 1
        assert accounts.get_by_username("t10_kept").enterprise_id == kept
        assert accounts.get_by_username("t10_orphan").enterprise_id is None
    finally:
        accounts.close()
        push.close()


def test_migration_0003_keeps_every_row_and_never_reuses_an_id(tmp_path: Path) -> None:
    engine = create_push_engine(f"sqlite:///{tmp_path / 'push.sqlite3'}")
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as db:
        for number in (1, 2, 3):
            db.execute(text(
                "INSERT INTO push_enterprises (credit_code, name, interest_topics, interest_keywords, created_at, updated_at) "
                f"VALUES ('9115010{number}MA0000011X', '企业{number}', '[]', '[]', '2026-01-01', '2026-01-01')"
            ))
            db.execute(text(f"INSERT INTO push_subscriptions (enterprise_id, kind, value, source, created_at) VALUES ({number}, 'keyword', '补贴', 'api', '2026-01-01')"))
    migrate(engine)
    with engine.begin() as db:
        # nothing cascaded away while the tables were rebuilt
        assert db.execute(text("SELECT id, name FROM push_enterprises ORDER BY id")).all() == [(1, "企业1"), (2, "企业2"), (3, "企业3")]
        assert db.execute(text("SELECT id, enterprise_id FROM push_subscriptions ORDER BY id")).all() == [(1, 1), (2, 2), (3, 3)]
        assert db.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.execute(text("DELETE FROM push_enterprises WHERE id = 3"))
        assert db.execute(text("SELECT count(*) FROM push_subscriptions")).scalar() == 2  # cascades work again
        db.execute(text(
            "INSERT INTO push_enterprises (credit_code, name, interest_topics, interest_keywords, created_at, updated_at) "
            "VALUES ('91150109MA0000011X', '新企业', '[]', '[]', '2026-01-01', '2026-01-01')"
        ))
        assert db.execute(text("SELECT id FROM push_enterprises WHERE name = '新企业'")).scalar() == 4
        for table in ("push_enterprises", "push_subscriptions", "push_inbox"):
            sql = db.execute(text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": table}).scalar()
            assert "AUTOINCREMENT" in sql, table
    engine.dispose()
