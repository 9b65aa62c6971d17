"""kill -9 in the middle of a webhook spike and of pickers' scans, then a restart.

What must hold afterwards: every acknowledged order exists once, every retried call gets its
first answer, reserved never exceeds stock, the pushes the dead server had out are delivered
within 2 s of the restart, `wms check` is clean. On SQLite the one server is killed and
started again; on PostgreSQL one of two server processes is killed, the other serves on.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.fakes.payloads import make_shopify_order, make_woo_order
from tests.fakes.webhooks import signed_webhook
from tests.support import api
from tests.support.databases import point_channels_at
from tests.support.peek import Peek
from tests.support.waiting import wait_until
from wms.domain.orders import ChannelKind
from wms.loopback import ProcessServer
from wms.models import Outbox
from wms.services.check import violations
from wms.services.outbox_lease import LOCK_CLASS

SKU = "SKU-0260"
SPIKE = 40  # orders per channel (shopify, woo, own): 120 webhooks at once
KILL_AFTER = 30  # answered webhooks before the kill
FLOOR_SKUS = ("SKU-0002", "SKU-0003", "SKU-0004", "SKU-0005")
SHIP_TO = {"name": "A B", "line1": "1 St", "city": "X", "postal_code": "1", "country": "GB"}


@pytest.fixture(scope="module")
def servers(backend: str, database_url: str, fake_channels) -> Iterator[list[ProcessServer]]:
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    procs = [ProcessServer(database_url) for _ in range(2 if backend == "postgres" else 1)]
    try:
        for proc in procs:
            proc.start()
        yield procs
    finally:
        fake_channels.fast_again()
        for proc in procs:
            proc.stop()


@dataclass
class Call:
    """One floor call as a terminal's journal keeps it: its key, and every answer it got."""

    path: str
    body: dict[str, Any]
    token: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    answers: list[tuple[int, Any]] = field(default_factory=list)
    lost: int = 0  # times the connection died under it


@dataclass
class Crash:
    """Where the clients send to, and the moment the killed server was replaced."""

    urls: list[str]
    back: asyncio.Event = field(default_factory=asyncio.Event)
    answered_webhooks: int = 0
    under_way: asyncio.Event = field(default_factory=asyncio.Event)  # the scans start
    killed: asyncio.Event = field(default_factory=asyncio.Event)


def _webhooks(fake) -> list[tuple[str, str, dict[str, str], bytes]]:
    """(channel, external id, headers, body) of the spike, interleaved by channel."""
    out = []
    for i in range(SPIKE):
        qty = 1 + i % 2
        own = {
            "order_id": f"CRASH-OWN-{uuid.uuid4().hex[:8]}",
            "currency": "USD",
            "lines": [{"sku": SKU, "qty": qty, "unit_price": "19.90"}],
            "ship_to": SHIP_TO,
        }
        shop_id, woo_id = (10**9 + uuid.uuid4().int % 10**9 for _ in range(2))
        for code, external, payload in (
            ("shopify-main", str(shop_id), make_shopify_order(shop_id, {SKU: qty})),
            ("woo-main", str(woo_id), make_woo_order(woo_id, {SKU: qty})),
            ("own-main", own["order_id"], own),
        ):
            headers, body = signed_webhook(fake.config(code), payload)
            out.append((code, external, headers, body))
    return out


def _floor_orders(url: str, pickers: list[httpx.Client]) -> list[dict[str, Any]]:
    """One order of four lines per picker, each in its own released wave, claimed, totes bound."""
    batches = []
    with (
        api.client(url, api.INTEGRATION_TOKEN) as integ,
        api.client(url, api.login(url, "supervisor")) as sup,
    ):
        for picker in pickers:
            body = {
                "order_id": f"CRASH-FLOOR-{uuid.uuid4().hex[:8]}",
                "currency": "USD",
                "lines": [{"sku": s, "qty": 1, "unit_price": "9.90"} for s in FLOOR_SKUS],
                "ship_to": SHIP_TO,
            }
            r = integ.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
            assert r.status_code == 201, r.text
            wave = {"order_ids": [r.json()["id"]], "cart_totes": 1}
            assert sup.post("/api/v1/waves/", json=wave, headers=api.idem()).status_code == 201
            batch = picker.post("/api/v1/picking/next", headers=api.idem()).json()
            slot = batch["slots"][0]["slot"]
            tote = {"slot": slot, "tote": f"T{batch['id'] % 10000:04d}{slot:02d}"}
            r = picker.post(
                f"/api/v1/picking/batches/{batch['id']}/totes", json=tote, headers=api.idem()
            )
            assert r.status_code == 200, r.text
            batches.append(r.json())
    return batches


async def _send(crash: Crash, n: int, call: Call, client: httpx.AsyncClient) -> Any:
    """Send until answered, as the journal does: same key, after a crash on a live server."""
    while True:
        url = crash.urls[n % len(crash.urls)]
        try:
            r = await client.post(
                url + call.path,
                json=call.body,
                headers={"Authorization": f"Bearer {call.token}", "Idempotency-Key": call.key},
            )
        except httpx.TransportError:
            call.lost += 1
            await asyncio.wait_for(crash.back.wait(), 60)
            continue
        if r.status_code == 409 and r.json().get("code") == "request_in_progress":
            raise AssertionError(f"{call.path}: still 'in progress' after the restart")
        call.answers.append((r.status_code, r.json()))
        return r.json()


async def _walk(crash: Crash, n: int, batch: dict[str, Any], token: str, calls: list[Call]) -> None:
    """A picker confirming every stop of the batch, one scan after the other."""
    await asyncio.wait_for(crash.under_way.wait(), 60)
    async with httpx.AsyncClient(timeout=30) as client:
        while batch["next_task_id"] is not None:
            stop = next(s for s in batch["stops"] if s["task_id"] == batch["next_task_id"])
            body = {
                "location": stop["location"],
                "item": stop["barcodes"][0],
                "qty": stop["qty"] - stop["picked"],
                "tote": stop["tote"],
            }
            call = Call(f"/api/v1/picking/tasks/{stop['task_id']}/confirm", body, token)
            calls.append(call)
            batch = await _send(crash, n, call, client)
            assert call.answers[-1][0] == 200, call.answers[-1]


async def _spike(
    crash: Crash, hooks: list[tuple[str, str, dict[str, str], bytes]]
) -> list[int | None]:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=60)) as client:

        async def one(n: int, code: str, headers: dict[str, str], body: bytes) -> int | None:
            url = crash.urls[n % len(crash.urls)]
            try:
                r = await client.post(f"{url}/webhooks/{code}", content=body, headers=headers)
            except httpx.TransportError:
                return None  # not acknowledged: the channel sends it again later
            crash.answered_webhooks += 1
            if crash.answered_webhooks >= KILL_AFTER // 2:
                crash.under_way.set()
            if crash.answered_webhooks >= KILL_AFTER:
                crash.killed.set()
            return r.status_code

        return await asyncio.gather(*(one(n, c, h, b) for n, (c, _, h, b) in enumerate(hooks)))


def _live_owners(s: Session) -> set[int]:
    """The owner ids whose worker holds its lock: alive (PostgreSQL's advisory locks).

    pg_locks shows the whole cluster, where the suite's other process runs servers of its
    own on other databases: only this database's locks are this test's workers'.
    """
    query = text(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = :c"
        " AND granted AND database = (SELECT oid FROM pg_database"
        " WHERE datname = current_database())"
    )
    return set(s.execute(query, {"c": LOCK_CLASS}).scalars())


def _caught(s: Session, postgres: bool) -> set[int]:
    """Rows not yet delivered at the kill, less those out on a live worker's lease."""
    rows = s.execute(
        select(Outbox.id, Outbox.status, Outbox.lease_owner).where(
            Outbox.status.in_(("pending", "sending"))
        )
    ).all()
    live = _live_owners(s) if postgres else set()
    return {i for i, status, owner in rows if status == "pending" or owner not in live}


def _unsent(s: Session, ids: set[int]) -> set[int]:
    rows = s.execute(select(Outbox.id, Outbox.status).where(Outbox.id.in_(sorted(ids))))
    return {i for i, status in rows if status not in ("sent", "superseded")}


def _states(s: Session, ids: set[int]) -> list[tuple[Any, ...]]:
    query = select(Outbox.id, Outbox.kind, Outbox.status, Outbox.attempts, Outbox.last_error)
    return [tuple(r) for r in s.execute(query.where(Outbox.id.in_(sorted(ids))))]


def _outstanding(s: Session) -> int:
    return len(s.execute(select(Outbox.id).where(Outbox.status.in_(("pending", "sending")))).all())


def _wait(what: str, timeout_s: float, test) -> float:
    """When `test` came true (the test fails naming `what` if it does not)."""
    wait_until(test, what, timeout_s, every=0.05)
    return time.monotonic()


def test_a_kill_in_the_middle_of_a_spike_and_of_scans_loses_and_doubles_nothing(
    servers, backend, database_url, fake_channels
):
    urls = [s.url for s in servers]
    tokens = [api.login(urls[0], who) for who in ("picker", "picker2")]
    pickers = [api.client(urls[0], t) for t in tokens]
    batches = _floor_orders(urls[0], pickers)
    hooks = _webhooks(fake_channels)
    calls: list[Call] = []
    crash = Crash(list(urls))
    peek = Peek(database_url)
    restarted: dict[str, Any] = {}

    async def kill_and_restart() -> None:
        await asyncio.wait_for(crash.killed.wait(), 60)
        victim, postgres = servers[0], len(servers) > 1
        await asyncio.to_thread(victim.kill)
        if postgres:  # PostgreSQL has seen the dead session go: one worker's lock is left
            await asyncio.to_thread(
                _wait, "the dead worker's lock freed", 10, lambda: len(peek.read(_live_owners)) == 1
            )
        caught = restarted["caught"] = await asyncio.to_thread(peek.read, _caught, postgres)
        if postgres:
            crash.urls = [s.url for s in servers[1:]]  # the balancer drops the dead one
        else:
            await asyncio.to_thread(victim.start)
        up = time.monotonic()
        crash.back.set()
        # What was waiting or out at the kill goes at once, not after the dead one's lease
        # (tests/e2e/test_crash_outbox_leases.py catches pushes on the wire for certain).
        done = await asyncio.to_thread(
            _wait, "pushes waiting at the kill", 10, lambda: not peek.read(_unsent, caught)
        )
        restarted["after_s"] = done - up
        if postgres:
            await asyncio.to_thread(victim.start)
            crash.urls = [s.url for s in servers]

    async def run() -> list[int | None]:
        walks = [
            _walk(crash, n, b, t, calls)
            for n, (b, t) in enumerate(zip(batches, tokens, strict=True))
        ]
        statuses, *_ = await asyncio.gather(
            _spike(crash, hooks),
            *walks,
            kill_and_restart(),
        )
        return statuses

    try:
        statuses = asyncio.run(run())
        assert restarted["after_s"] <= 2.0, (restarted, peek.read(_states, restarted["caught"]))
        urls = [s.url for s in servers]
        assert any(s is None for s in statuses), "the kill came after the spike"
        assert all(s in (200, None) for s in statuses), Counter(statuses)

        with api.client(urls[0], api.login(urls[0], "supervisor")) as sup:

            def spike_orders() -> Counter[tuple[str, str]]:
                rows = sup.get("/api/v1/orders/", params={"limit": 1000}).json()
                return Counter(
                    (o["channel"], o["external_id"])
                    for o in rows
                    if o["lines"] and o["lines"][0]["sku"] == SKU
                )

            # Every acknowledged order exists, once.
            seen = spike_orders()
            for (code, external, _, _), status in zip(hooks, statuses, strict=True):
                if status == 200:
                    assert seen[(code, external)] == 1, (code, external)
            # The channels send the others again; a resend of an acknowledged one is a replay.
            for code, _, headers, body in hooks:
                r = sup.post(f"/webhooks/{code}", content=body, headers=headers)
                assert r.status_code == 200, r.text
            seen = spike_orders()
            assert sorted(seen.values()) == [1] * len(hooks)

        # Every call, sent again with its key, gets its first answer, and changes nothing.
        assert len(calls) >= 2 * len(FLOOR_SKUS)
        with httpx.Client(timeout=30) as client:
            for call in calls:
                r = client.post(
                    urls[0] + call.path,
                    json=call.body,
                    headers={"Authorization": f"Bearer {call.token}", "Idempotency-Key": call.key},
                )
                assert (r.status_code, r.json()) == call.answers[0], call.path
        for picker, batch in zip(pickers, batches, strict=True):
            view = picker.get(f"/api/v1/picking/batches/{batch['id']}").json()
            assert all(s["picked"] == s["qty"] for s in view["stops"])

        _wait("every push delivered", 30, lambda: peek.read(_outstanding) == 0)

        async def check() -> list[str]:
            return await violations(peek.db)  # reserved <= on hand among them

        assert peek.loop.run_until_complete(check()) == []
    finally:
        for picker in pickers:
            picker.close()
        peek.close()
