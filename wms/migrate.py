"""Schema upgrades through Alembic, callable from the CLI and the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database to `revision`; safe to run on every start."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str) -> None:
    # Alembic's env runs its own event loop, so keep it off ours.
    await asyncio.to_thread(upgrade, database_url)


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


async def unmigrated(database_url: str) -> str | None:
    """One sentence saying why this database cannot be used yet, or None when it can."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import create_async_engine

    url = make_url(database_url)
    advice = "run `wms db upgrade` first"
    local = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if local and not Path(str(url.database)).exists():
        return f"There is no database at {url.database} yet: {advice}."
    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(
                lambda c: set(MigrationContext.configure(c).get_current_heads())
            )
    except Exception as exc:  # noqa: BLE001  any failure to connect is the operator's to see
        return f"Cannot open the database {url.render_as_string()}: {exc}"
    finally:
        await engine.dispose()
    if not current:
        return f"The database has no tables yet: {advice}."
    if not heads <= current:
        script = ScriptDirectory.from_config(alembic_config(database_url))
        # A database upgraded by newer code knows revisions we do not: that is not "behind".
        known = {r.revision for r in script.walk_revisions()}
        if current <= known:
            return f"The database schema is older than this version of wms: {advice}."
    return None
