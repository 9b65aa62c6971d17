"""Small events about floor work ("a pick in batch 7"), sent to the console after the commit.

A service notes an event inside its transaction (`note(session, "pick", batch=7)`); it is
handed to the sinks (the console's fan-out) only when that transaction commits, and dropped
if it rolls back, so a board never shows work that did not happen. The hook is SQLAlchemy's
session `after_commit`, the moment `Database` wakes the outbox worker too; a service does
not need to know whether anyone listens.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_KEY = "wms_events"
Sink = Callable[[dict[str, Any]], None]
_sinks: list[tuple[Sink, asyncio.AbstractEventLoop]] = []
_sinks_lock = threading.Lock()


def note(session: Session | AsyncSession, kind: str, **fields: Any) -> None:
    """Remember an event; it is published after this transaction commits."""
    s = session.sync_session if isinstance(session, AsyncSession) else session
    s.info.setdefault(_KEY, []).append({"kind": kind, **fields})


def subscribe(sink: Sink, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Call `sink(event)` on `loop` for every committed event; returns the unsubscribe."""
    entry = (sink, loop)
    with _sinks_lock:
        _sinks.append(entry)

    def unsubscribe() -> None:
        with _sinks_lock:
            if entry in _sinks:
                _sinks.remove(entry)

    return unsubscribe


def publish(events: list[dict[str, Any]]) -> None:
    """Hand events to every sink on its own loop (a transaction may commit in a thread)."""
    with _sinks_lock:
        sinks = list(_sinks)
    for sink, loop in sinks:
        for ev in events:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                _safe(sink, ev)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_safe, sink, ev)


def _safe(sink: Sink, ev: dict[str, Any]) -> None:
    # A broken board must never fail the pick that was already committed.
    try:
        sink(ev)
    except Exception:
        log.exception("console event sink failed")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if pending:
        publish(pending)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
