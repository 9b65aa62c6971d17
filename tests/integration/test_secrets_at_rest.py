"""Channel secrets are sealed with the operator's key at rest; the key rotates without downtime."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.support import api
from tests.support.api import problem
from tests.support.databases import new_database, new_empty_database
from wms import migrate
from wms.db import Database
from wms.loopback import ThreadServer
from wms.secret_box import PREFIX, Keyring, keyring, new_key

SUITE_KEY = os.environ["WMS_SECRET_KEY"]
SHOP = {
    "code": "tiktok-fr",
    "kind": "tiktok",
    "secret": "fr-app-secret-must-never-be-on-disk-71c",
    "app_key": "ck_fr_consumer_key_must_never_be_on_disk",
    "access_token": "TTP_fr_token_must_never_be_on_disk",
    "shop_id": "7495000000000000077",
    "shop_cipher": "ROW_fr_cipher_must_never_be_on_disk",
    "currency": "EUR",
}
PLAIN = (SHOP["secret"], SHOP["access_token"], SHOP["shop_cipher"], SHOP["app_key"])
DEMO_WOO_KEY = "ck_demo00000000000000000000000000000000001"  # WooCommerce's consumer key


def _execute(s: Session, sql: str, params: dict[str, Any]) -> list[Any]:
    result = s.execute(text(sql), params)
    return list(result.all()) if result.returns_rows else []


def _sql(url: str, sql: str, **params: Any) -> list[Any]:
    async def go() -> list[Any]:
        db = Database(url)
        try:
            return await db.run(_execute, sql, params)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _wms(url: str, *args: str, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WMS_SECRET_KEY")}
    env["WMS_DATABASE_URL"] = url
    if key is not None:
        env["WMS_SECRET_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "wms.cli", *args], env=env, capture_output=True, text=True
    )


def _on_disk(url: str) -> bytes:
    """Every byte SQLite keeps for the database: the file and its write-ahead log."""
    path = Path(str(make_url(url).database))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_a_secret_added_through_the_api_is_in_no_answer_and_not_in_the_database_file(
    db_folder: Path,
) -> None:
    url = new_database("sqlite", db_folder)
    with ThreadServer(url) as srv, api.client(srv.url, api.login(srv.url, "admin")) as admin:
        created = admin.post("/api/v1/admin/channels/", json=SHOP)
        assert created.status_code == 201, created.text
        listed = admin.get("/api/v1/admin/channels/")
        assert created.json()["secret_fingerprint"].startswith("sha256:")
        assert created.json()["app_key_fingerprint"].startswith("sha256:")
        assert "app_key" not in created.json()
        for answer in (created.text, listed.text):
            assert not any(secret in answer for secret in PLAIN)
        # The shop works with what was stored: the secret opens where it is needed.
        assert admin.get("/api/v1/admin/channels/").status_code == 200
    disk = _on_disk(url)
    assert b"fernet:" in disk
    for secret in (*PLAIN, "demo-tiktok-app-secret", "demo-woo-webhook-secret", DEMO_WOO_KEY):
        assert secret.encode() not in disk, f"{secret} is readable in the database file"


@pytest.fixture()
def loaded(db_folder: Path) -> str:
    return new_database("sqlite", db_folder)


def test_without_the_key_the_server_refuses_to_start_in_one_sentence(loaded: str) -> None:
    for key in (None, new_key()):  # no key, then a key that opens nothing stored
        done = _wms(loaded, "serve", "--port", "1", key=key)
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("wms: "), done.stderr
        assert "WMS_SECRET_KEY" in lines[0] or "does not open" in lines[0]
        assert "Traceback" not in done.stderr


def test_a_rotated_key_re_seals_every_secret_while_the_old_one_still_opens_them(
    loaded: str,
) -> None:
    before = _sql(
        loaded, "SELECT code, secret, access_token, app_key FROM channel WHERE secret != ''"
    )
    assert before and all(str(row.secret).startswith(PREFIX) for row in before)
    assert any(str(row.app_key).startswith(PREFIX) for row in before)
    newer = new_key()
    # Listed after the new key, the old one still opens everything: the server keeps going.
    assert _wms(loaded, "check", key=f"{newer},{SUITE_KEY}").returncode == 0
    rotated = _wms(loaded, "secrets", "rotate-key", key=f"{newer},{SUITE_KEY}")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-sealed" in rotated.stdout
    after = {
        r.code: r for r in _sql(loaded, "SELECT code, secret, access_token, app_key FROM channel")
    }
    only_new, only_old = Keyring(), Keyring()
    only_new.set([newer])
    only_old.set([SUITE_KEY])
    for row in before:
        assert only_new.open(after[row.code].secret) == keyring.open(row.secret)
        assert only_new.open(after[row.code].access_token) == keyring.open(row.access_token)
        assert only_new.open(after[row.code].app_key) == keyring.open(row.app_key)
    # Now the old key may go: the new one alone starts the server, the old one alone does not.
    assert _wms(loaded, "check", key=newer).returncode == 0
    refused = _wms(loaded, "check", key=SUITE_KEY)
    assert refused.returncode != 0 and "does not open" in refused.stderr


def test_a_key_is_made_by_the_command_and_rotation_without_one_is_refused(loaded: str) -> None:
    made = _wms(loaded, "secrets", "new-key", key=None)
    assert made.returncode == 0
    Keyring().set([made.stdout.strip()])  # a valid Fernet key, or this raises
    refused = _wms(loaded, "secrets", "rotate-key", key=None)
    assert refused.returncode != 0 and "WMS_SECRET_KEY" in refused.stderr


def test_the_migration_seals_the_plain_secrets_an_older_schema_kept(
    backend: str, db_folder: Path
) -> None:
    url = new_empty_database(backend, db_folder)
    command.downgrade(migrate.alembic_config(url), "0004i")
    _sql(
        url,
        "INSERT INTO channel (code, kind, name, secret, app_key, api_base_url, access_token,"
        " shop_id, shop_cipher, location_id, warehouse_id, buffer, fee_pct, fee_fixed,"
        " currency, active, previous_secret) VALUES ('old', 'woocommerce', 'Old', 'plain-s3cret',"
        " 'ck_plain', '', 'plain-t0ken', '', '', '', '', 0, 0, 0, 'USD', :yes, '')",
        yes=True,
    )
    migrate.upgrade(url)
    (row,) = _sql(url, "SELECT secret, access_token, shop_cipher, app_key FROM channel")
    assert row.secret.startswith(PREFIX) and row.access_token.startswith(PREFIX)
    assert row.app_key.startswith(PREFIX) and keyring.open(row.app_key) == "ck_plain"
    assert row.shop_cipher == ""  # "not set" stays visible as such
    assert keyring.open(row.secret) == "plain-s3cret"
    assert keyring.open(row.access_token) == "plain-t0ken"
    # Back down: the older schema gets its plain values again.
    command.downgrade(migrate.alembic_config(url), "0004i")
    (row,) = _sql(url, "SELECT secret, app_key FROM channel")
    assert row.secret == "plain-s3cret" and row.app_key == "ck_plain"
    migrate.upgrade(url)


def test_without_a_key_a_new_secret_is_refused_and_nothing_is_stored(
    loaded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ThreadServer(loaded) as srv, api.client(srv.url, api.login(srv.url, "admin")) as admin:
        count = _sql(loaded, "SELECT count(*) FROM channel")
        monkeypatch.setattr(keyring, "_box", None)  # as if the server had no key
        monkeypatch.setattr(keyring, "_loaded", True)
        problem(admin.post("/api/v1/admin/channels/", json=SHOP), 409, "no_secret_key")
        problem(
            admin.patch("/api/v1/admin/channels/woo-main", json={"secret": "x"}),
            409,
            "no_secret_key",
        )
        assert _sql(loaded, "SELECT count(*) FROM channel") == count
