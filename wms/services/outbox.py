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

Stock pushes go out in bulk: a pass takes up to ``batch`` rows and hands each channel's
levels to ``pushes.plan_stock_pushes``, which packs them into as few calls as the channel's
API allows (one Shopify mutation per 250, one Woo batch per 100 or per parent product, one
TikTok call per product, one list for the own shop). A failed call reschedules every row it
carried; an item the channel refuses by name fails that row alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from sqlalchemy import bindparam, exists, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session, aliased

from wms.channels import delivery, tiktok_api
from wms.channels.config import Listing
from wms.channels.errors import ChannelApiError, ChannelUnavailable
from wms.channels.pushes import (
    ATOMIC_BATCHES,
    OutboundRequest,
    StockBatch,
    StockLevel,
    plan_stock_pushes,
    stock_item_failures,
)
from wms.db import Database
from wms.models import Outbox
from wms.models.common import UtcDateTime, utcnow
from wms.services import channels, orders

log = logging.getLogger("wms.outbox")
_in_worker: ContextVar[bool] = ContextVar("in_outbox_worker", default=False)
LEASE = timedelta(seconds=60)
ORPHAN_CHECK_S = 1.0  # how often a running worker looks for leases of workers that died
# PostgreSQL advisory locks are (class, object) pairs: the class names ours ("WMS").
LOCK_CLASS = 0x574D53
ROW_BATCH = 64  # rows of kinds delivered one by one, per pass
KEEPALIVE_S = 4.0
# A pass claims no sooner than this after the one before: under load, changes wait that
# long and go out together, each product's quantity coalesced and each channel's levels
# in few calls. Back to back, a spike's passes carried a few rows each, and the worker
# spent as much CPU per order as the API (flat-out intake bench, 2 cores). A lone change
# after a quiet spell still goes at once.
GATHER_S = 0.25
# A kept-alive connection the other side closed as we reused it: httpx's own errors, and
# aiohttp's under the transport (which reports them as other httpx errors).
STALE_CONNECTION = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)
MAX_BACKOFF_S = 300.0

Deliver = Callable[["OutboxWorker", dict[str, Any], str], Awaitable[None]]
# All of a pass's rows of one kind at once -> what went wrong per row id ("" = delivered).
BulkDeliver = Callable[["OutboxWorker", list[Outbox]], Awaitable[dict[int, str]]]


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


async def deliver_stock_pushes(worker: OutboxWorker, rows: list[Outbox]) -> dict[int, str]:
    """Bulk handler for a pass's ``stock_push`` rows: per channel, as few calls as it allows.

    Returns what went wrong per row id ("" = sent). A failed call fails all its rows; an item
    the channel refused by name (Shopify userErrors, a Woo batch item error) fails that row
    alone. Shopify applies none of a refused mutation, so its other items go again at once.
    """
    by_channel: dict[str, list[Outbox]] = {}
    for row in rows:
        by_channel.setdefault(str(row.payload.get("channel", "")), []).append(row)
    outcomes = await asyncio.gather(
        *(_deliver_channel_stock(worker, code, group) for code, group in by_channel.items())
    )
    return {row_id: error for outcome in outcomes for row_id, error in outcome.items()}


async def _deliver_channel_stock(
    worker: OutboxWorker, code: str, rows: list[Outbox]
) -> dict[int, str]:
    errors: dict[str, str] = {}
    levels: list[StockLevel] = []
    for row in rows:
        p = row.payload
        try:
            listing = Listing(code, p["sku"], p["product_ref"], p.get("variant_ref") or "")
            levels.append(StockLevel(listing, int(p["quantity"]), row.event_id))
        except (KeyError, TypeError, ValueError) as exc:
            errors[row.event_id] = f"bad stock_push payload: {exc!r}"
    try:
        _, config = await channels.config_for(worker.db, code)
        plan = plan_stock_pushes(config, levels)
    except Exception as exc:  # unknown channel, bad config: retried like any failure
        log.warning("stock pushes to %s not sent: %s", code, exc)
        return {row.id: errors.get(row.event_id) or _describe(exc) for row in rows}  # type: ignore[misc]
    errors.update(plan.rejected)
    for failures in await asyncio.gather(
        *(_send_stock_batch(worker, batch) for batch in plan.batches)
    ):
        errors.update(failures)
    return {row.id: errors.get(row.event_id, "") for row in rows}  # type: ignore[misc]


async def _send_stock_batch(
    worker: OutboxWorker, batch: StockBatch, *, again: bool = True
) -> dict[str, str]:
    """Send one bulk request; returns event id -> error for the levels that did not land."""
    try:
        client, slots = worker.channel_http(batch.levels[0].listing.channel)
        async with slots:
            try:
                response = await delivery.deliver(batch.request, client)
            except ChannelUnavailable as exc:
                if not _stale_connection(exc):
                    raise
                # A kept-alive connection the server had just closed: the call never got
                # there. Setting absolute quantities again is harmless, so go at once.
                response = await delivery.deliver(batch.request, client)
        failures = stock_item_failures(batch, response.content)
    except Exception as exc:  # the call failed as a whole: every row it carried goes again
        error = _describe(exc)
        log.warning("stock push %s (%d rows) failed: %s", _where(batch), len(batch.levels), error)
        return dict.fromkeys(batch.event_ids, error)
    if failures:
        log.warning(
            "stock push %s: %d of %d items refused",
            _where(batch),
            len(failures),
            len(batch.levels),
        )
    rest = [level for level in batch.levels if level.event_id not in failures]
    if failures and rest and batch.kind in ATOMIC_BATCHES:
        if not again:
            applied_none = "not applied: the channel refused another item of the call"
            return {**dict.fromkeys(batch.event_ids, applied_none), **failures}
        _, config = await channels.config_for(worker.db, rest[0].listing.channel)
        for retry in plan_stock_pushes(config, rest).batches:
            failures.update(await _send_stock_batch(worker, retry, again=False))
    return failures


def _stale_connection(exc: BaseException) -> bool:
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, STALE_CONNECTION):
            return True
        cause = cause.__cause__
    return False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _where(batch: StockBatch) -> str:
    return batch.request.url.partition("?")[0]  # TikTok's query carries the signature


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


class LeaseOwner:
    """A worker's owner id and the lock that says it is alive while its process lives."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.id = random.randint(1, 2**31 - 1)
        self._held = False
        self._fd: int | None = None
        self._conn: AsyncConnection | None = None
        url = getattr(db, "url", "")  # (unit tests hand the worker no database)
        path = make_url(url).database if url.startswith("sqlite") else None
        self._folder = path if path and path != ":memory:" else None

    def _file(self, owner: int) -> str:
        return f"{self._folder}-lease-{owner}"

    async def hold(self) -> None:
        """Take the owner lock (once): from now on our leases count as a live worker's."""
        if self._held:
            return
        if not self.db.is_sqlite:
            self._conn = await self.db.engine.connect()
            await self._conn.execute(
                text("SELECT pg_advisory_lock(:c, :o)"), {"c": LOCK_CLASS, "o": self.id}
            )
            await self._conn.commit()  # the lock is the session's: it outlives the transaction
        elif self._folder is not None:
            self._fd = os.open(self._file(self.id), os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._held = True

    async def release(self) -> None:
        if self._conn is not None:
            # Closed for good, not handed back to the pool: the lock is the session's, and a
            # pooled session would keep it (and this owner alive) after we stop.
            with contextlib.suppress(Exception):  # a dropped connection has let go already
                await self._conn.invalidate()
                await self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._file(self.id))
            os.close(self._fd)
            self._fd = None
        self._held = False

    def dead_on_sqlite(self, owners: set[int]) -> set[int]:
        """The owners among `owners` whose lock file nobody holds (their process is gone)."""
        if self._folder is None:  # a database in memory lives in this process alone
            return owners
        dead = set()
        for owner in owners:
            try:
                fd = os.open(self._file(owner), os.O_RDWR)
            except FileNotFoundError:
                dead.add(owner)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # held: that worker is alive
            finally:
                os.close(fd)  # also lets go of the lock, if we took it
            dead.add(owner)
            with contextlib.suppress(OSError):
                os.unlink(self._file(owner))
        return dead
async def deliver_statement_fetch(worker: OutboxWorker, payload: dict[str, Any], _: str) -> None:
    from wms.services import statements  # it imports this module's errors

    await statements.deliver(worker, payload)


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
        from wms.services import affiliates  # it imports this module's errors

        self.handlers: dict[str, Deliver] = {
            "order_fetch": deliver_order_fetch,
            "statement_fetch": deliver_statement_fetch,
            **affiliates.outbox_handlers(),
            **(handlers or {}),
        }
        # A kind given a per-row handler is delivered row by row, even stock pushes.
        self.bulk_handlers: dict[str, BulkDeliver] = {
            kind: deliver
            for kind, deliver in {
                "stock_push": deliver_stock_pushes,
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
        owners = await self.db.read_run(_lease_owners, self.owner.id)
        if not owners:
            return 0
        if self.db.is_sqlite:
            dead = self.owner.dead_on_sqlite(owners)
            if not dead:
                return 0
            released = await self.db.run_long(_release_leases, dead)
        else:
            released = await self.db.run_long(_release_dead_on_postgres, owners)
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
        return await self.db.read_run(_anything_due)

    async def _claim(self) -> list[Outbox]:
        await self.owner.hold()
        return await self.db.run_long(
            _claim,
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
            return dict.fromkeys((row.id for row in rows), _describe(exc))  # type: ignore[misc]

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
            return _describe(exc)
        return ""

    async def _settle(self, results: list[tuple[Outbox, str]]) -> None:
        """Record a pass's outcomes in one transaction: the write lock is shared with intake."""
        await self.db.run_long(_settle, results)


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


# Built once and run in one thread hop: an idle worker asks this four times a second, and
# the async session's round trips made each ask cost about 5 ms of CPU.
_DUE = (
    select(Outbox.id)
    .where(Outbox.status.in_(("pending", "sending")), Outbox.next_attempt_at <= bindparam("now"))
    .limit(1)
)


def _anything_due(s: Session) -> bool:
    return s.connection().execute(_DUE, {"now": utcnow()}).first() is not None


_BUSY = aliased(Outbox)
_BEFORE = aliased(Outbox)
# Built once: the worker claims after every pass. A row waits while another row of its key
# is out on a lease (absolute quantities must arrive in order).
_CLAIM = (
    select(Outbox)
    .where(
        Outbox.next_attempt_at <= bindparam("now"),
        Outbox.status.in_(("pending", "sending")),
        ~exists().where(
            _BUSY.dedupe_key == Outbox.dedupe_key,
            _BUSY.status == "sending",
            _BUSY.next_attempt_at > bindparam("now"),
            _BUSY.id != Outbox.id,
        ),
        # A row that follows another waits, unclaimed and unfailed, until that one is told.
        ~exists().where(
            _BEFORE.event_id == Outbox.after_event,
            _BEFORE.status.in_(("pending", "sending")),
        ),
    )
    .order_by(Outbox.id)
    .limit(bindparam("batch"))
)
# PostgreSQL: several workers, each takes rows nobody else holds.
_CLAIM_LOCKED = _CLAIM.with_for_update(skip_locked=True, of=Outbox)


def _claim(
    s: Session,
    batch: int,
    skip_locked: bool,
    bulk_kinds: frozenset[str] = frozenset(),
    row_batch: int = ROW_BATCH,
    owner: int = 0,
) -> list[Outbox]:
    if batch <= 0:
        return []
    query = _CLAIM_LOCKED if skip_locked else _CLAIM
    now = utcnow()
    # One row per key per pass, oldest first: absolute quantities must arrive in order.
    # Kinds delivered row by row take at most `row_batch` places: a pass waits for all its
    # calls, and many slow single calls would hold a pass's stock pushes back.
    claimed: list[Outbox] = []
    seen: set[str] = set()
    singles = 0
    for row in s.execute(query, {"now": now, "batch": batch}).scalars():
        if row.dedupe_key in seen:
            continue
        seen.add(row.dedupe_key)
        if row.kind not in bulk_kinds:
            if singles >= row_batch:
                continue
            singles += 1
        claimed.append(row)
    if claimed:
        s.execute(
            update(Outbox)
            .where(Outbox.id.in_([row.id for row in claimed]))
            .values(status="sending", next_attempt_at=now + LEASE, lease_owner=owner)
        )
    s.expunge_all()
    return claimed


# Built once: a running worker asks every ORPHAN_CHECK_S.
_LEASED = (
    select(Outbox.lease_owner)
    .where(
        Outbox.status == "sending",
        Outbox.next_attempt_at > bindparam("now"),
        Outbox.lease_owner != bindparam("me"),
    )
    .distinct()
)


def _lease_owners(s: Session, me: int) -> set[int]:
    """Owners, other than us, of leases still running."""
    return set(s.connection().execute(_LEASED, {"now": utcnow(), "me": me}).scalars())


def _release_leases(s: Session, owners: set[int]) -> int:
    now = utcnow()
    result = s.execute(
        update(Outbox)
        .where(
            Outbox.status == "sending",
            Outbox.next_attempt_at > now,
            Outbox.lease_owner.in_(sorted(owners)),
        )
        .values(next_attempt_at=now)
    )
    return result.rowcount


def _release_dead_on_postgres(s: Session, owners: set[int]) -> int:
    """Release the leases of owners whose advisory lock is free: their session is gone.

    The transaction-scoped try-lock is let go at our commit, so a worker starting with a
    recycled id could not be mistaken for dead for longer than this transaction.
    """
    conn = s.connection()
    dead = {
        owner
        for owner in sorted(owners)
        if conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:c, :o)"), {"c": LOCK_CLASS, "o": owner}
        ).scalar()
    }
    return _release_leases(s, dead) if dead else 0


def _settle(s: Session, results: list[tuple[Outbox, str]]) -> None:
    now = utcnow()
    sent = [row.id for row, error in results if not error]
    if sent:
        s.execute(
            update(Outbox)
            .where(Outbox.id.in_(sent))
            .values(status="sent", sent_at=now, attempts=Outbox.attempts + 1)
        )
    failed = [(row, error) for row, error in results if error]
    if not failed:
        return
    # A newer pending row for the same key carries the newer state: a failed stock push is
    # moot (absolute quantities); other kinds keep the lease shape and retry after it.
    newer = set(
        s.execute(
            select(Outbox.dedupe_key).where(
                Outbox.dedupe_key.in_({row.dedupe_key for row, _ in failed}),
                Outbox.status == "pending",
                Outbox.id.not_in([row.id for row, _ in failed]),
            )
        ).scalars()
    )
    s.execute(
        update(Outbox.__table__)
        .where(Outbox.__table__.c.id == bindparam("row_id"))
        .values(
            status=bindparam("new_status"),
            attempts=bindparam("new_attempts"),
            last_error=bindparam("error"),
            next_attempt_at=bindparam("retry_at", type_=UtcDateTime()),
        ),
        [
            {
                "row_id": row.id,
                "new_status": _failed_status(row, row.dedupe_key in newer),
                "new_attempts": row.attempts + 1,
                "error": error[:500],
                "retry_at": now + timedelta(seconds=backoff_s(row.attempts + 1)),
            }
            for row, error in failed
        ],
    )


def _failed_status(row: Outbox, has_newer: bool) -> str:
    if not has_newer:
        return "pending"
    return "superseded" if row.kind == "stock_push" else "sending"
