"""The one way outbox rows are written: in the caller's transaction, waking the worker on commit."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from wms.db import outbox_written
from wms.models.outbox import PENDING, Outbox
from wms.services.sql import dialect_name, upsert_on

OUTBOX = Outbox.__table__

# What a row does when a pending row with its dedupe key is already waiting:
# "insert" — nothing special (its key is its own); "keep" — the waiting row stands (one
# fetch however many notifications ask for it); "replace" — the waiting row takes the new
# payload (coalescing: a channel hears the latest stock level, once).
OnPending = Literal["insert", "keep", "replace"]

# Every row gets the same columns: one executemany, whatever each caller filled in.
_DEFAULTS: dict[str, Any] = {
    "channel_id": None,
    "status": "pending",
    "attempts": 0,
    "last_error": "",
}


def add(s: Session, rows: Sequence[dict[str, Any]], *, on_pending: OnPending = "insert") -> int:
    """Write `rows` (outbox columns; `kind`, `dedupe_key`, `payload` at least) to the outbox.

    Core statements on the caller's transaction: the rows commit (or roll back) with the
    change they announce, and the commit wakes the outbox worker (`wms.db.outbox_written`).
    Returns the number of rows given.
    """
    if not rows:
        return 0
    values = [{**_DEFAULTS, "event_id": uuid.uuid4().hex, **row} for row in rows]
    s.connection().execute(_statement(dialect_name(s), on_pending), values)
    outbox_written(s)
    return len(values)


@functools.cache
def _statement(dialect: str, on_pending: OnPending) -> Any:
    """The insert for each way, built once per dialect (a spike writes thousands)."""
    if on_pending == "insert":
        return insert(OUTBOX)
    stmt = upsert_on(dialect, OUTBOX)
    if on_pending == "keep":
        return stmt.on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=PENDING)
    return stmt.on_conflict_do_update(
        index_elements=["dedupe_key"],
        index_where=PENDING,
        set_={"payload": stmt.excluded.payload, "event_id": stmt.excluded.event_id},
    )
