"""Throwaway databases: a loaded template per test worker, copied for each test module."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from wms import migrate
from wms.config import ROOT
from wms.db import Database
from wms.services import loader

DEMO = ROOT / "fixtures" / "demo"
# The suite's own key for channel secrets at rest (servers started as processes inherit it;
# tests/fuzz/run.py loads its database through here too).
os.environ.setdefault("WMS_SECRET_KEY", "dGVzdC1zdWl0ZS1rZXktbm90LWEtcmVhbC1vbmUtMDA=")
POSTGRES_URL = os.environ.get("WMS_TEST_POSTGRES_URL", "")  # admin URL, asyncpg driver
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def backends() -> list[str]:
    return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


async def _load(url: str) -> None:
    db = Database(url)
    try:
        await loader.load_warehouse(db, DEMO)
    finally:
        await db.dispose()


def sqlite_template(folder: Path) -> Path:
    path = folder / "template.sqlite"
    if not path.exists():
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        asyncio.run(_load(url))
    return path


def new_sqlite(folder: Path) -> str:
    template = sqlite_template(folder)
    target = folder / f"{uuid.uuid4().hex[:10]}.sqlite"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def _pg(name: str) -> str:
    return str(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))


async def _admin(sql: str) -> None:
    url = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_pg_template_ready = False


def new_postgres() -> str:
    global _pg_template_ready
    template = f"wms_tmpl_{WORKER}"
    if not _pg_template_ready:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        asyncio.run(_admin(f'CREATE DATABASE "{template}"'))
        migrate.upgrade(_pg(template))
        asyncio.run(_load(_pg(template)))
        _pg_template_ready = True
    name = f"wms_t_{WORKER}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return _pg(name)


def new_database(backend: str, folder: Path) -> str:
    return new_postgres() if backend == "postgres" else new_sqlite(folder)


async def _point_channels(url: str, base_urls: dict[str, str]) -> None:
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from wms.models import Channel

    db = Database(url)
    try:

        def point(s: Session) -> None:
            for kind, base in base_urls.items():
                s.execute(update(Channel).where(Channel.kind == kind).values(api_base_url=base))

        await db.run(point)
    finally:
        await db.dispose()


def point_channels_at(url: str, base_urls: dict[str, str]) -> None:
    """Send this database's channel pushes and fetches to the given (fake) channel APIs."""
    asyncio.run(_point_channels(url, base_urls))


def new_empty_database(backend: str, folder: Path) -> str:
    """A migrated database holding no warehouse yet (for loading sites into)."""
    name = f"wms_e_{WORKER}_{uuid.uuid4().hex[:8]}"
    if backend == "postgres":
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        url = _pg(name)
    else:
        url = f"sqlite+aiosqlite:///{folder / name}.sqlite"
    migrate.upgrade(url)
    return url
