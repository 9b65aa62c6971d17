"""The tracking poller: asks each carrier about its due parcels, in batches, off any transaction.

Each carrier adapter's ``track(numbers)`` is called outside any transaction and off the
event loop, in batches per carrier, backing off on failures, stopping at a final state or
after ``MAX_AGE``; the answers go through wms.services.tracking's one rule, a few parcels a
transaction.

The pass is background work: its writes are ``@background`` (on SQLite each waits until no
other write wants the writer, so a scan or a webhook never queues behind a batch), and what
it reads and parses runs off the event loop or a page at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.carriers import registry
from wms.db import Database, background, reads
from wms.domain.tracking import FINAL, Tracker
from wms.models.common import utcnow
from wms.models.tracking import ParcelTracking
from wms.services.tracking import flag_late, record_many, tracked

log = logging.getLogger(__name__)

BATCH = 100  # tracking numbers per carrier call (karrio batches per carrier too)
# Parcels written per transaction. The floor's writes go before any batch that has not
# begun; one that arrives while a batch writes waits for it (about 1 ms a parcel): few
# enough for that, enough that a pass is not a transaction a parcel.
WRITE_BATCH = 5
# Due parcels read at a time: a page is read on the server's event loop (a read of the
# whole due list, tens of thousands of rows, held the loop for a tenth of a second).
DUE_PAGE = 1000
POLL_EVERY = timedelta(minutes=30)  # a parcel in transit is asked about this often
MAX_BACKOFF = timedelta(hours=6)
MAX_AGE = timedelta(days=30)  # after this long the poller stops asking


Due = tuple[str, str, datetime]  # carrier, tracking number, handed over at
Key = tuple[datetime, int]  # where a page of due parcels ended: (next_poll_at, parcel_id)


@reads
def _due(s: Session, now: datetime, after: Key | None, limit: int) -> list[tuple[Due, Key]]:
    """Due parcels in the order they fell due, from just after ``after`` on."""
    t = ParcelTracking
    query = select(t.carrier, t.tracking, t.handed_over_at, t.next_poll_at, t.parcel_id).where(
        t.next_poll_at.is_not(None), t.next_poll_at <= now
    )
    if after is not None:
        at, parcel = after
        query = query.where(
            (t.next_poll_at > at) | ((t.next_poll_at == at) & (t.parcel_id > parcel))
        )
    rows = s.execute(query.order_by(t.next_poll_at, t.parcel_id).limit(limit)).all()
    return [
        ((r.carrier, r.tracking, r.handed_over_at), (r.next_poll_at, r.parcel_id)) for r in rows
    ]


async def _all_due(db: Database, now: datetime, limit: int) -> list[Due]:
    due: list[Due] = []
    after: Key | None = None
    while len(due) < limit:
        page = await db.run(_due, now, after, min(DUE_PAGE, limit - len(due)))
        due += [d for d, _ in page]
        if len(page) < DUE_PAGE:
            break
        after = page[-1][1]
    return due


def _reschedule(
    rows: Iterable[ParcelTracking], now: datetime, failed: bool, every: timedelta
) -> None:
    for row in rows:
        if row.status in FINAL:
            row.next_poll_at = None
            continue
        if row.handed_over_at < now - MAX_AGE:
            row.next_poll_at = None  # too old to ask about: an exception for a person
            continue
        if failed:
            row.poll_failures += 1
            row.next_poll_at = now + min(every * 2**row.poll_failures, MAX_BACKOFF)
        else:
            row.poll_failures, row.next_poll_at = 0, now + every


@background
def _failed(s: Session, numbers: Sequence[str], now: datetime, every: timedelta) -> None:
    """A carrier batch that could not be asked: each parcel asked again later, backing off."""
    _reschedule(tracked(s, numbers).values(), now, True, every)


@background
def _apply(
    s: Session,
    trackers: Sequence[Tracker],
    numbers: Sequence[str],
    now: datetime,
    every: timedelta,
) -> dict[str, int]:
    """One carrier batch's answers and its reschedule in one transaction (not one a parcel)."""
    rows = tracked(s, numbers)  # read once: for the events and for the schedule
    done = record_many(s, [t for t in trackers if t.tracking in rows and t.events], "poll", rows)
    new_events = sum(d["new_events"] for d in done)
    delivered = sum(int(d["order_delivered"]) for d in done)
    _reschedule(rows.values(), now, False, every)
    return {"new_events": new_events, "delivered_orders": delivered}


async def poll_pass(
    db: Database, limit: int = 10_000, now: datetime | None = None
) -> dict[str, int]:
    """Ask each carrier about its due parcels, in batches, outside any transaction.

    ``now``: the pass's clock (the server's own; a bench asks as if later).
    """
    now = now or utcnow()
    late = await db.run(flag_late, now, registry.current().silence)
    due = await _all_due(db, now, limit)
    by_carrier: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for carrier, tracking, since in due:
        by_carrier[carrier].append((tracking, since))
    counts = {"asked": 0, "failed": 0, "new_events": 0, "delivered_orders": 0, "late": late}
    for carrier, parcels in by_carrier.items():
        adapter = registry.current().tracker_for(carrier)
        every = registry.current().poll_every.get(carrier, POLL_EVERY)
        for i in range(0, len(parcels), BATCH):
            batch = parcels[i : i + BATCH]
            numbers = [t for t, _ in batch]
            try:
                if adapter is None:
                    raise LookupError(f"carrier {carrier} is no longer configured")
                trackers = await asyncio.to_thread(adapter.track, numbers, dict(batch))
            except Exception:  # a carrier down is a retry later, never a stopped poller
                log.exception("tracking %d parcels of %s failed", len(numbers), carrier)
                counts["failed"] += len(numbers)
                await db.run(_failed, numbers, now, every)
                continue
            counts["asked"] += len(numbers)
            answered = {t.tracking: t for t in trackers}
            for j in range(0, len(numbers), WRITE_BATCH):
                part = numbers[j : j + WRITE_BATCH]
                mine = [answered[n] for n in part if n in answered]
                done = await db.run(_apply, mine, part, now, every)
                counts["new_events"] += done["new_events"]
                counts["delivered_orders"] += done["delivered_orders"]
    return counts


class Poller:
    """Runs ``poll_pass`` every ``every_s`` seconds until stopped (in the server's workers).

    Without ``every_s`` the pause is the site's ``tracking_poll_seconds``, read again before
    each pause, so an edited ``carriers.json`` changes it without a restart.
    """

    def __init__(self, db: Database, every_s: float | None = None) -> None:
        self.db, self._every_s = db, every_s
        self._stop = asyncio.Event()

    @property
    def every_s(self) -> float:
        return self._every_s if self._every_s is not None else registry.current().poll_seconds

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await poll_pass(self.db)
            except Exception:  # the next pass tries again
                log.exception("tracking poll pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every_s)
