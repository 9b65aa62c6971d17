"""The stored secrets as a whole: does the key open them (at start), re-seal them (rotation)."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wms.db import Database, long_running, reads
from wms.secret_box import ENV_KEY, ENV_KEY_FILE, NO_KEY, PREFIX, SecretKeyError, keyring, new_key

COLUMNS = ("secret", "app_key", "access_token", "shop_cipher", "previous_secret")
# The columns as stored, without `Sealed`'s processing: what is on disk, sealed or not.
_RAW = sa.table("channel", sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in COLUMNS))


@reads
def key_problem(s: Session) -> str | None:
    """One sentence when the key cannot open the stored secrets (or is missing); else None."""
    for row in s.execute(sa.select(_RAW)).mappings():
        for column in COLUMNS:
            value = row[column] or ""
            if not value.startswith(PREFIX):
                continue
            if not keyring.has_key():
                return NO_KEY
            try:
                keyring.open(value)
            except SecretKeyError as exc:
                return str(exc)
    return None


async def refuse_without_key(db: Database) -> None:
    """At start: refuse to run (one sentence, non-zero exit) when secrets cannot be opened."""
    try:
        problem = await db.run(key_problem)
    except SecretKeyError as exc:  # a malformed key or an unreadable key file
        problem = str(exc)
    if problem:
        raise SystemExit(f"wms: {problem}.")


@long_running
def rotate_key(s: Session) -> int:
    """Seal every stored secret again with the first key listed; the count of values."""
    done = 0
    for row in s.execute(sa.select(_RAW)).mappings().all():
        values = {c: keyring.reseal(row[c] or "") for c in COLUMNS}
        s.execute(_RAW.update().where(_RAW.c.id == row["id"]).values(**values))
        done += sum(1 for c in COLUMNS if values[c])
    return done


def ensure_run_key() -> None:
    """A run whose databases are its own and thrown away (a bench): without an operator's
    key, a key of the run's own, which the servers it starts inherit."""
    if os.environ.get(ENV_KEY) or os.environ.get(ENV_KEY_FILE):
        return
    os.environ[ENV_KEY] = new_key()
    keyring.set(None)


def ensure_demo_key(var: Path) -> None:
    """`wms demo` without a key: make one under var/ (the demo's, never a site's)."""
    if os.environ.get(ENV_KEY) or os.environ.get(ENV_KEY_FILE):
        return
    path = var / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# the demo's secret key (made by wms demo)\n{new_key()}\n")
        path.chmod(0o600)
    os.environ[ENV_KEY_FILE] = str(path)
    keyring.set(None)
