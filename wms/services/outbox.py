"""Delivers outbox rows at least once, with backoff, in order per key; never drops one.

Rows are claimed by flipping `pending` to `sending` with a lease (next_attempt_at in the
future) marked with the worker's owner id. A worker holds a lock for its whole life (a
PostgreSQL advisory lock on a connection of its own; on SQLite a flock on a file beside
the database), which the operating system or PostgreSQL drops the moment its process dies.
At start, and every ORPHAN_CHECK_S after, a worker releases the leases of owners whose
lock is free: after a kill -9 the rows caught mid-send go again within a second or two of
the restart, not after the lease. A live worker's leases are never touched; the lease's
expiry stays as the last resort (a worker hung but alive). On PostgreSQL the claim uses
FOR UPDATE SKIP LOCKED, so any number of workers may run.

The worker knows no row kind: each kind's handler is registered by the module that owns
it (`outbox_handlers`, all imported by `outbox_kinds`). Kinds registered as bulk (stock
pushes, `stock_pushes`) get a pass's rows at once; the others go row by row. Its
transactions are in `outbox_sql`, its owner lock in `outbox_lease`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextvars import ContextVar

import httpx
from httpx_aiohttp import AiohttpTransport

from wms.db import Database
from wms.models import Outbox
from wms.services import outbox_kinds
from wms.services.outbox_handlers import BulkDeliver, Deliver, describe
from wms.services.outbox_lease import LeaseOwner
from wms.services.outbox_sql import (
    anything_due,
    claim,
    lease_owners,
    release_dead_on_postgres,
    release_leases,
    settle,
)

log = logging.getLogger("wms.outbox")
_in_worker: ContextVar[bool] = ContextVar("in_outbox_worker", default=False)
ORPHAN_CHECK_S = 1.0  # how often a running worker looks for leases of workers that died
KEEPALIVE_S = 4.0
# A pass claims no sooner than this after the one before: under load, changes wait that
# long and go out together, each product's quantity coalesced and each channel's levels
# in few calls. Back to back, a spike's passes carried a few rows each, and the worker
# spent as much CPU per order as the API (flat-out intake bench, 2 cores). A lone change
# after a quiet spell still goes at once.
GATHER_S = 0.25


class OutboxWorker:
    """Claims due rows, delivers them, records the outcome; ``run`` loops until ``stop``.

    Kinds in ``bulk_handlers`` (stock pushes) are handed over all at once per pass, the others
    row by row; at most ``concurrency`` row calls and ``per_channel`` bulk calls per channel
    are in flight. Each channel's stock calls get a client of their own: httpx's pool scans
    all its connections for every request, so small pools cost far less CPU per call than
    one big one (measured on loopback: 2 ms against 4.7 ms a call at 16 in flight).

    A worker in its own process is not woken by the API's commits: it looks for due rows with
    a cheap read every ``poll_s`` and takes the write lock only when there is something to
    claim. A pass's outcomes are recorded as soon as it ends.
    """

    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient | None = None,
        *,
        batch: int = 2000,
        concurrency: int = 16,
        per_channel: int = 4,
        poll_s: float = 0.25,
        gather_s: float = GATHER_S,
        handlers: dict[str, Deliver] | None = None,
        bulk_handlers: dict[str, BulkDeliver] | None = None,
    ) -> None:
        self.db = db
        self._given_http = http is not None  # a client given is used for every call
        self.http = http or _client(concurrency)
        self.batch = batch
        self.poll_s = poll_s
        self.gather_s = gather_s
        self.slots = asyncio.Semaphore(concurrency)
        self.per_channel = per_channel
        self._channel_http: dict[str, tuple[httpx.AsyncClient, asyncio.Semaphore]] = {}
        # Every kind's handler as its owner module registered it (outbox_kinds), unless given.
        self.handlers: dict[str, Deliver] = {**outbox_kinds.handlers(), **(handlers or {})}
        # A kind given a per-row handler is delivered row by row, even stock pushes.
        self.bulk_handlers: dict[str, BulkDeliver] = {
            kind: deliver
            for kind, deliver in {
                **outbox_kinds.bulk_handlers(),
                **(bulk_handlers or {}),
            }.items()
            if kind not in (handlers or {})
        }
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self.owner = LeaseOwner(db)
        self._orphans_checked = 0.0  # monotonic time of the last look for dead owners

    def wake(self) -> None:
        # The worker's own commits (claims, settles, fetched orders) must not wake it:
        # it would spin. A pass that did work is followed by another pass anyway.
        if not _in_worker.get():
            self._wake.set()

    async def run(self) -> None:
        _in_worker.set(True)
        try:
            await self.owner.hold()
            await self.release_orphans()  # rows a killed worker had out go again now
            await self._loop()
        finally:
            await self._close_channel_clients()
            await self.owner.release()

    async def release_orphans(self) -> int:
        """Make due again the rows leased by workers that are gone; returns how many."""
        self._orphans_checked = time.monotonic()
        owners = await self.db.run(lease_owners, self.owner.id)
        if not owners:
            return 0
        if self.db.is_sqlite:
            dead = self.owner.dead_on_sqlite(owners)
            if not dead:
                return 0
            released = await self.db.run(release_leases, dead)
        else:
            released = await self.db.run(release_dead_on_postgres, owners)
        if released:
            log.warning("released %d outbox rows leased by workers that are gone", released)
        return released

    async def _loop(self) -> None:
        next_claim = 0.0  # the monotonic time the next pass may claim at
        while not self._stopped.is_set():
            try:
                if time.monotonic() - self._orphans_checked >= ORPHAN_CHECK_S:
                    await self.release_orphans()
                if await self._anything_due():
                    await self._gather(next_claim)
                    next_claim = time.monotonic() + self.gather_s
                    if await self.run_once():
                        continue
            except Exception:  # the worker must outlive a bad row or a database hiccup
                log.exception("outbox pass failed")
                # Rows it had claimed keep their lease and are tried again when it ends.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()

    async def _gather(self, until: float) -> None:
        """Let changes gather until `until` (a stop cuts it short)."""
        delay = until - time.monotonic()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def channel_http(self, code: str) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """The client and the in-flight limit for one channel's bulk calls."""
        if code not in self._channel_http:
            client = self.http if self._given_http else _client(self.per_channel)
            self._channel_http[code] = (client, asyncio.Semaphore(self.per_channel))
        return self._channel_http[code]

    async def aclose(self) -> None:
        """Close the HTTP clients (``run`` closes the per-channel ones when it ends)."""
        await self._close_channel_clients()
        await self.http.aclose()
        await self.owner.release()

    async def _close_channel_clients(self) -> None:
        clients = {id(c): c for c, _ in self._channel_http.values() if c is not self.http}
        self._channel_http.clear()
        for client in clients.values():
            await client.aclose()

    async def run_once(self) -> int:
        """One pass: claim, deliver, settle. Returns how many rows it handled."""
        rows = await self._claim()
        if rows:
            await self._settle(await self._deliver_all(rows))
        return len(rows)

    async def _anything_due(self) -> bool:
        """A read, so an idle worker polling another process's commits holds no write lock."""
        return await self.db.run(anything_due)

    async def _claim(self) -> list[Outbox]:
        await self.owner.hold()
        return await self.db.run(
            claim,
            self.batch,
            not self.db.is_sqlite,
            frozenset(self.bulk_handlers),
            owner=self.owner.id,
        )

    async def _deliver_all(self, rows: list[Outbox]) -> list[tuple[Outbox, str]]:
        """Deliver a pass: bulk kinds at once, the others row by row, all concurrently."""
        bulk: dict[str, list[Outbox]] = {}
        single: list[Outbox] = []
        for row in rows:
            if row.kind in self.bulk_handlers:
                bulk.setdefault(row.kind, []).append(row)
            else:
                single.append(row)
        outcomes = await asyncio.gather(
            *(self._deliver_bulk(kind, group) for kind, group in bulk.items()),
            *(self._deliver(row) for row in single),
        )
        errors: dict[int, str] = {}
        for outcome in outcomes[: len(bulk)]:
            errors.update(outcome)  # type: ignore[arg-type]
        for row, error in zip(single, outcomes[len(bulk) :], strict=True):
            errors[row.id] = error  # type: ignore[index]
        return [(row, errors.get(row.id, "not delivered")) for row in rows]  # type: ignore[arg-type]

    async def _deliver_bulk(self, kind: str, rows: list[Outbox]) -> dict[int, str]:
        try:
            return await self.bulk_handlers[kind](self, rows)
        except Exception as exc:  # every failure is retried; the rows are never dropped
            log.warning("outbox %s bulk of %d failed: %s", kind, len(rows), exc)
            return dict.fromkeys((row.id for row in rows), describe(exc))  # type: ignore[misc]

    async def _deliver(self, row: Outbox) -> str:
        """Hand one row to its handler; returns "" or what went wrong."""
        handler = self.handlers.get(row.kind)
        if handler is None:
            return f"no handler for {row.kind}"
        try:
            async with self.slots:
                await handler(self, row.payload, row.event_id)
        except Exception as exc:  # every failure is retried; the row is never dropped
            log.warning("outbox %s %s failed: %s", row.kind, row.event_id, exc)
            return describe(exc)
        return ""

    async def _settle(self, results: list[tuple[Outbox, str]]) -> None:
        """Record a pass's outcomes in one transaction: the write lock is shared with intake."""
        await self.db.run(settle, results)


def _client(connections: int) -> httpx.AsyncClient:
    """httpx's interface over aiohttp's connections, for the worker's many small calls.

    A stock push cost 1.4 ms of CPU through httpx's own transport and 0.65 ms through
    aiohttp's (4 in flight against the bench sink); a spike sends thousands of them, on
    the cores the intake needs.
    """
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        # Drop an idle connection before a server with a 5 s keep-alive (uvicorn's
        # default) closes it under us: the race shows up as a ReadError on a POST.
        keepalive_expiry=KEEPALIVE_S,
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(5.0, connect=2.0),
        transport=AiohttpTransport(limits=limits),
    )
