"""Delivers outbox rows at least once, with backoff, in order per key; never drops one.

Rows are claimed by flipping `pending` to `sending` with a lease (next_attempt_at in the
future): a worker that dies leaves a lease that expires, and the row is tried again. On
PostgreSQL the claim uses FOR UPDATE SKIP LOCKED, so any number of workers may run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from wms.channels import tiktok_api
from wms.channels.config import Listing
from wms.channels.errors import ChannelApiError
from wms.channels.pushes import OutboundRequest, build_stock_push
from wms.db import Database
from wms.models import Outbox
from wms.models.common import utcnow
from wms.services import channels, orders

log = logging.getLogger("wms.outbox")
_in_worker: ContextVar[bool] = ContextVar("in_outbox_worker", default=False)
LEASE = timedelta(seconds=60)
MAX_BACKOFF_S = 300.0

Deliver = Callable[["OutboxWorker", dict[str, Any], str], Awaitable[None]]


class DeliveryError(Exception):
    """The other side did not take it; try again later."""


def backoff_s(attempts: int) -> float:
    return min(MAX_BACKOFF_S, 0.5 * 2 ** max(0, attempts - 1))


async def send_request(client: httpx.AsyncClient, request: OutboundRequest) -> None:
    try:
        response = await client.request(
            request.method, request.url, headers=request.headers, content=request.body or None
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{request.method} {request.url}: {exc!r}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"{request.method} {request.url}: HTTP {response.status_code}")


async def deliver_stock_push(worker: OutboxWorker, payload: dict[str, Any], event_id: str) -> None:
    _, config = await channels.config_for(worker.db, payload["channel"])
    listing = Listing(
        payload["channel"], payload["sku"], payload["product_ref"], payload["variant_ref"]
    )
    await send_request(
        worker.http, build_stock_push(config, listing, payload["quantity"], event_id)
    )


async def deliver_order_fetch(worker: OutboxWorker, payload: dict[str, Any], event_id: str) -> None:
    _, config = await channels.config_for(worker.db, payload["channel"])
    try:
        fetched = await tiktok_api.get_order_details(config, [payload["order_id"]], worker.http)
    except ChannelApiError as exc:
        raise DeliveryError(str(exc)) from exc
    if not fetched:
        raise DeliveryError(f"order {payload['order_id']} not returned by the channel yet")
    for order in fetched:
        await orders.intake(
            worker.db,
            payload["channel"],
            order,
            event_id=payload["event_id"],
            topic=payload.get("topic", ""),
        )


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient | None = None,
        *,
        batch: int = 64,
        poll_s: float = 0.25,
        handlers: dict[str, Deliver] | None = None,
    ) -> None:
        self.db = db
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))
        self.batch = batch
        self.poll_s = poll_s
        self.handlers: dict[str, Deliver] = {
            "stock_push": deliver_stock_push,
            "order_fetch": deliver_order_fetch,
            **(handlers or {}),
        }
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        # The worker's own commits (claims, settles, fetched orders) must not wake it:
        # it would spin. A pass that did work is followed by another pass anyway.
        if not _in_worker.get():
            self._wake.set()

    async def run(self) -> None:
        _in_worker.set(True)
        while not self._stopping:
            try:
                done = await self.run_once()
            except Exception:  # the worker must outlive a bad row or a database hiccup
                log.exception("outbox pass failed")
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
                self._wake.clear()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        rows = await self._claim()
        if rows:
            errors = await asyncio.gather(*(self._deliver(row) for row in rows))
            await self._settle(list(zip(rows, errors, strict=True)))
        return len(rows)

    async def _claim(self) -> list[Outbox]:
        return await self.db.run(_claim, self.batch, not self.db.is_sqlite)

    async def _deliver(self, row: Outbox) -> str:
        """Hand one row to its handler; returns "" or what went wrong."""
        handler = self.handlers.get(row.kind)
        if handler is None:
            return f"no handler for {row.kind}"
        try:
            await handler(self, row.payload, row.event_id)
        except Exception as exc:  # every failure is retried; the row is never dropped
            log.warning("outbox %s %s failed: %s", row.kind, row.event_id, exc)
            return f"{type(exc).__name__}: {exc}"[:500]
        return ""

    async def _settle(self, results: list[tuple[Outbox, str]]) -> None:
        """Record a pass's outcomes in one transaction: the write lock is shared with intake."""
        await self.db.run(_settle, results)


def _claim(s: Session, batch: int, skip_locked: bool) -> list[Outbox]:
    now = utcnow()
    busy = aliased(Outbox)
    in_flight = exists().where(
        and_(
            busy.dedupe_key == Outbox.dedupe_key,
            busy.status == "sending",
            busy.next_attempt_at > now,
            busy.id != Outbox.id,
        )
    )
    query = (
        select(Outbox)
        .where(
            Outbox.next_attempt_at <= now,
            Outbox.status.in_(("pending", "sending")),
            ~in_flight,
        )
        .order_by(Outbox.id)
        .limit(batch)
    )
    if skip_locked:  # PostgreSQL: several workers, each takes rows nobody else holds
        query = query.with_for_update(skip_locked=True, of=Outbox)
    # One row per key per pass, oldest first: absolute quantities must arrive in order.
    picked: dict[str, Outbox] = {}
    for row in s.execute(query).scalars():
        picked.setdefault(row.dedupe_key, row)
    claimed = list(picked.values())
    if claimed:
        s.execute(
            update(Outbox)
            .where(Outbox.id.in_([row.id for row in claimed]))
            .values(status="sending", next_attempt_at=now + LEASE)
        )
    s.expunge_all()
    return claimed


def _settle(s: Session, results: list[tuple[Outbox, str]]) -> None:
    now = utcnow()
    sent = [row.id for row, error in results if not error]
    if sent:
        s.execute(
            update(Outbox)
            .where(Outbox.id.in_(sent))
            .values(status="sent", sent_at=now, attempts=Outbox.attempts + 1)
        )
    for row, error in results:
        if not error:
            continue
        newer = s.execute(
            select(Outbox.id).where(
                Outbox.dedupe_key == row.dedupe_key,
                Outbox.status == "pending",
                Outbox.id != row.id,
            )
        ).first()
        # A newer pending row for the same key carries the newer state: this one is moot
        # for stock (absolute quantities); other kinds keep the lease shape and retry.
        if newer:
            status = "superseded" if row.kind == "stock_push" else "sending"
        else:
            status = "pending"
        s.execute(
            update(Outbox)
            .where(Outbox.id == row.id)
            .values(
                status=status,
                attempts=row.attempts + 1,
                last_error=error,
                next_attempt_at=now + timedelta(seconds=backoff_s(row.attempts + 1)),
            )
        )
