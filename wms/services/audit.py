"""The audit log: one line per security-relevant act, written in the act's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.models import AuditLog
from wms.models.common import utcnow

AUDIT = AuditLog.__table__


def _values(actor: str, action: str, target: str, detail: str) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor": actor[:60],
        "action": action[:40],
        "target": target[:120],
        "detail": detail[:300],
    }


def record(session: Session, actor: str, action: str, target: str, detail: str = "") -> None:
    """Add an audit line to the caller's (sync) transaction: it commits or rolls back with it."""
    session.execute(insert(AUDIT).values(**_values(actor, action, target, detail)))


@reads
def recent(session: Session, actions: tuple[str, ...], limit: int = 100) -> list[dict[str, Any]]:
    """The latest audit lines of the given actions, newest first."""
    rows = session.execute(
        select(AUDIT).where(AUDIT.c.action.in_(actions)).order_by(AUDIT.c.id.desc()).limit(limit)
    )
    return [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "actor": r.actor,
            "action": r.action,
            "target": r.target,
            "detail": r.detail,
        }
        for r in rows
    ]
