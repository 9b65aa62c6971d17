"""The outbox worker sends a pass's stock pushes in bulk to the (fake) channels, and loses none."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.fakes import FakeChannelApis
from tests.support.databases import point_channels_at
from tests.support.waiting import await_until
from wms.db import Database, reads
from wms.domain.orders import ChannelKind
from wms.models import Channel, ChannelListing, Outbox, Product
from wms.models.common import utcnow
from wms.services import channels, outbox_rows
from wms.services.outbox import OutboxWorker
from wms.services.outbox_sql import ROW_BATCH, settle

TIKTOK_PRODUCT_OF_3 = ["SKU-0002", "SKU-0003", "SKU-0004"]  # one TikTok product, three SKUs


@pytest.fixture(scope="module")
def fake(database_url: str) -> Iterator[FakeChannelApis]:
    with FakeChannelApis() as server:
        point_channels_at(database_url, {k.value: server.base_url(k) for k in ChannelKind})
        yield server


@pytest.fixture
async def db(database_url: str, fake: FakeChannelApis) -> AsyncIterator[Database]:
    channels.forget()
    fake.refused.clear()
    database = Database(database_url)
    # Each test starts from an outbox with nothing left to deliver.
    await database.run(_nothing_left)
    yield database
    await database.dispose()


@pytest.fixture
async def worker(db: Database) -> AsyncIterator[OutboxWorker]:
    w = OutboxWorker(db)
    yield w
    await w.aclose()


def _nothing_left(s: Session) -> None:
    s.execute(update(Outbox).where(Outbox.status.in_(("pending", "sending"))).values(status="sent"))


@reads
def _outbox(s: Session, *where: Any) -> list[Outbox]:
    return list(s.execute(select(Outbox).where(*where).order_by(Outbox.id)).scalars())


async def queue(db: Database, code: str, skus: list[str], base_qty: int) -> dict[str, int]:
    """Write stock_push rows as availability does; returns sku -> quantity queued."""

    def write(s: Session) -> dict[str, int]:
        found = s.execute(
            select(
                Channel.id,
                ChannelListing.product_id,
                ChannelListing.product_ref,
                ChannelListing.variant_ref,
                Product.sku,
            )  # fmt: skip
            .join(Channel, Channel.id == ChannelListing.channel_id)
            .join(Product, Product.id == ChannelListing.product_id)
            .where(Channel.code == code, Product.sku.in_(skus))
        ).all()
        queued = {}
        for n, r in enumerate(sorted(found, key=lambda r: r.sku)):
            queued[r.sku] = base_qty + n
            row = {
                "kind": "stock_push",
                "channel_id": r.id,
                "dedupe_key": f"stock:{r.id}:{r.product_id}",
                "payload": {
                    "channel": code,
                    "sku": r.sku,
                    "product_id": r.product_id,
                    "product_ref": r.product_ref,
                    "variant_ref": r.variant_ref,
                    "quantity": base_qty + n,
                },
            }
            outbox_rows.add(s, [row])
        return queued

    return await db.run(write)


async def rows_of(db: Database, skus: list[str]) -> list[Outbox]:
    rows = await db.run(_outbox)
    return [r for r in rows if r.payload.get("sku") in skus]


async def until_sent(db: Database, skus: list[str], timeout_s: float = 10) -> None:

    async def all_sent() -> bool:
        return {r.status for r in await rows_of(db, skus)} == {"sent"}

    await await_until(all_sent, f"the pushes of {skus} to be sent", timeout_s)


async def make_due(db: Database) -> None:
    await db.run(
        lambda s: s.execute(
            update(Outbox).where(Outbox.status == "pending").values(next_attempt_at=utcnow())
        )
    )


def stock_calls(fake: FakeChannelApis, kind: str, since: int) -> list[tuple[str, str, int]]:
    marks = {
        "shopify": "/graphql.json",
        "woocommerce": "/batch",
        "tiktok": "/inventory/update",
        "own": "/own/stock",
    }
    return [
        r for r in fake.requests[since:] if r[1].startswith(f"/{kind}/") and marks[kind] in r[1]
    ]


def skus(first: int, count: int) -> list[str]:
    return [f"SKU-{n:04d}" for n in range(first, first + count)]


async def test_a_pass_sends_each_channels_stock_in_a_few_bulk_calls(db, worker, fake):
    wanted = skus(100, 40)
    queued = {code: await queue(db, code, wanted, 50) for code in ("shopify-main", "own-main")}
    queued["woo-main"] = await queue(db, "woo-main", wanted, 50)
    queued["tiktok-main"] = await queue(db, "tiktok-main", wanted, 50)
    before = len(fake.requests)

    assert await worker.run_once() == 160

    assert len(stock_calls(fake, "shopify", before)) == 1
    assert len(stock_calls(fake, "own", before)) == 1
    rows = await rows_of(db, wanted)
    assert {r.status for r in rows} == {"sent"} and len(rows) == 160
    woo_parents = {r.payload["product_ref"] for r in rows if r.payload["variant_ref"]}
    woo_parents &= {r.payload["product_ref"] for r in rows if r.payload["channel"] == "woo-main"}
    simple = any(r.payload["channel"] == "woo-main" and not r.payload["variant_ref"] for r in rows)
    assert len(stock_calls(fake, "woocommerce", before)) == len(woo_parents) + simple
    tiktok_products = {
        r.payload["product_ref"] for r in rows if r.payload["channel"] == "tiktok-main"
    }
    assert len(stock_calls(fake, "tiktok", before)) == len(tiktok_products) < 40
    for r in rows:
        kind = {"shopify-main": "shopify", "own-main": "own", "woo-main": "woocommerce"}.get(
            r.payload["channel"], "tiktok"
        )
        ref = {
            "shopify": r.payload["variant_ref"],
            "own": r.payload["sku"],
            "woocommerce": "/".join(
                x for x in (r.payload["product_ref"], r.payload["variant_ref"]) if x
            ),
            "tiktok": f"{r.payload['product_ref']}/{r.payload['variant_ref']}",
        }[kind]
        assert (
            fake.stock[(ChannelKind(kind), ref)] == queued[r.payload["channel"]][r.payload["sku"]]
        )


async def test_a_failed_bulk_call_reschedules_all_its_rows_and_they_go_later(db, worker, fake):
    wanted = skus(200, 12)
    await queue(db, "own-main", wanted, 7)
    fake.fail_next(1, status=503)

    assert await worker.run_once() == 12
    rows = await rows_of(db, wanted)
    assert {r.status for r in rows} == {"pending"}
    assert {r.attempts for r in rows} == {1}
    assert all("503" in r.last_error for r in rows)
    assert all(r.next_attempt_at > utcnow() for r in rows)  # backing off, not spinning
    assert await worker.run_once() == 0

    await make_due(db)
    assert await worker.run_once() == 12
    assert {r.status for r in await rows_of(db, wanted)} == {"sent"}
    assert fake.stock[(ChannelKind.OWN, "SKU-0211")] == 7 + 11


async def test_a_refused_shopify_item_fails_its_row_and_the_others_are_set_again(db, worker, fake):
    wanted = skus(300, 5)
    await queue(db, "shopify-main", wanted, 20)
    rows = await rows_of(db, wanted)
    bad = next(r for r in rows if r.payload["sku"] == "SKU-0302")
    fake.refuse("shopify", bad.payload["variant_ref"])
    before = len(fake.requests)

    await worker.run_once()

    # Shopify applies none of a mutation with userErrors: the other four go again at once.
    assert len(stock_calls(fake, "shopify", before)) == 2
    after = {r.payload["sku"]: r for r in await rows_of(db, wanted)}
    assert after["SKU-0302"].status == "pending"
    assert after["SKU-0302"].last_error.startswith("INVALID_INVENTORY_ITEM")
    assert {r.status for sku, r in after.items() if sku != "SKU-0302"} == {"sent"}
    assert (ChannelKind.SHOPIFY, bad.payload["variant_ref"]) not in fake.stock
    for sku, r in after.items():
        if sku != "SKU-0302":
            assert (
                fake.stock[(ChannelKind.SHOPIFY, r.payload["variant_ref"])] == r.payload["quantity"]
            )


async def test_a_refused_woocommerce_item_fails_its_row_alone(db, worker, fake):
    wanted = ["SKU-0311", "SKU-0312", "SKU-0316"]  # simple products: one products/batch call
    await queue(db, "woo-main", wanted, 30)
    rows = await rows_of(db, wanted)
    assert all(not r.payload["variant_ref"] for r in rows)
    fake.refuse("woocommerce", rows[1].payload["product_ref"])
    before = len(fake.requests)

    await worker.run_once()

    assert len(stock_calls(fake, "woocommerce", before)) == 1
    after = await rows_of(db, wanted)
    assert [r.status for r in after] == ["sent", "pending", "sent"]
    assert after[1].last_error.startswith("woocommerce_rest_product_invalid_id")


async def test_a_refused_tiktok_sku_fails_the_call_for_its_whole_product(db, worker, fake):
    wanted = [*TIKTOK_PRODUCT_OF_3, "SKU-0001"]
    await queue(db, "tiktok-main", wanted, 40)
    rows = {r.payload["sku"]: r for r in await rows_of(db, wanted)}
    p = rows["SKU-0003"].payload
    fake.refuse("tiktok", f"{p['product_ref']}/{p['variant_ref']}")

    await worker.run_once()

    after = {r.payload["sku"]: r for r in await rows_of(db, wanted)}
    assert {after[s].status for s in TIKTOK_PRODUCT_OF_3} == {"pending"}
    assert all("12052048" in after[s].last_error for s in TIKTOK_PRODUCT_OF_3)
    assert after["SKU-0001"].status == "sent"


async def test_a_redelivered_bulk_call_carries_the_same_idempotency_key(db, fake):
    wanted = skus(400, 6)
    await queue(db, "own-main", wanted, 3)
    impatient = OutboxWorker(db, httpx.AsyncClient(timeout=0.3))
    fake.slow_next(1, 0.8)  # the shop takes it, but answers after we gave up
    try:
        await impatient.run_once()
        assert {r.status for r in await rows_of(db, wanted)} == {"pending"}
        await make_due(db)
        await impatient.run_once()
    finally:
        await impatient.aclose()
    assert {r.status for r in await rows_of(db, wanted)} == {"sent"}

    def both() -> list | None:
        pushes = [p for p in fake.pushes_for("own", "stock") if p.ref == "SKU-0400"]
        return pushes if len(pushes) >= 2 else None

    pushes = await await_until(both, "the shop to have SKU-0400's call twice", timeout=5)
    assert pushes[0].event_id == pushes[1].event_id
    assert sorted(p.duplicate for p in pushes) == [False, True]


async def test_rows_without_a_bulk_handler_still_go_one_by_one_in_the_same_pass(db, worker, fake):
    wanted = skus(450, 2)
    await queue(db, "own-main", wanted, 1)
    await db.run(
        lambda s: s.add(Outbox(event_id=uuid.uuid4().hex, kind="mystery", dedupe_key="m:1"))
    )

    assert await worker.run_once() == 3

    (mystery,) = await db.run(_outbox, Outbox.kind == "mystery")
    assert mystery.status == "pending" and mystery.last_error == "no handler for mystery"
    assert {r.status for r in await rows_of(db, wanted)} == {"sent"}


async def test_a_pass_takes_all_due_stock_pushes_but_only_a_few_single_rows(db, worker, fake):
    wanted = skus(460, 3)
    await queue(db, "own-main", wanted, 1)

    def many(s: Session) -> None:
        for n in range(ROW_BATCH + 6):
            s.add(Outbox(event_id=uuid.uuid4().hex, kind="mystery", dedupe_key=f"many:{n}"))

    await db.run(many)

    assert await worker.run_once() == ROW_BATCH + 3
    untouched = await db.run(_outbox, Outbox.kind == "mystery", Outbox.attempts == 0)
    assert len(untouched) == 6  # still pending, for the next pass
    assert {r.status for r in await rows_of(db, wanted)} == {"sent"}


async def test_an_idle_worker_polls_with_reads_and_picks_up_rows_committed_elsewhere(
    database_url, db, fake
):
    # Like `wms worker` beside an API process: another engine commits, nothing wakes it.
    elsewhere = Database(database_url)
    w = OutboxWorker(db, poll_s=0.05)
    calls = {"reads": 0, "claims": 0}
    looked, claimed = w._anything_due, w._claim

    async def look() -> bool:
        calls["reads"] += 1
        return await looked()

    async def claim() -> list[Outbox]:
        calls["claims"] += 1
        return await claimed()

    w._anything_due, w._claim = look, claim  # type: ignore[method-assign]
    task = asyncio.create_task(w.run())
    try:
        await await_until(lambda: calls["reads"] >= 3, "the idle worker to look three times")
        # Idle: it looked several times, and never took the write lock to claim nothing.
        assert calls["claims"] == 0
        wanted = skus(470, 3)
        await queue(elsewhere, "own-main", wanted, 5)
        await until_sent(db, wanted)
    finally:
        w.stop()
        await asyncio.wait_for(task, 5)
        await w.aclose()
        await elsewhere.dispose()
    assert fake.stock[(ChannelKind.OWN, "SKU-0472")] == 7


async def test_a_failed_push_with_a_newer_level_waiting_is_superseded_not_retried(db):
    def add(s: Session, status: str, **fields: Any) -> None:
        s.add(
            Outbox(
                event_id=uuid.uuid4().hex,
                kind="stock_push",
                dedupe_key="stock:test:1",
                status=status,
                payload={"channel": "own-main", "sku": "SKU-0001", "quantity": 1},
                **fields,
            )
        )

    await db.run(add, "sending", attempts=2)
    await db.run(add, "pending")
    old, new = await db.run(_outbox, Outbox.dedupe_key == "stock:test:1")
    before = utcnow()
    await db.run(settle, [(old, "HTTP 503")])
    old_after, new_after = await db.run(_outbox, Outbox.id.in_([old.id, new.id]))
    assert old_after.status == "superseded" and old_after.attempts == 3
    assert old_after.last_error == "HTTP 503"
    assert new_after.status == "pending"

    await db.run(settle, [(new_after, "HTTP 502")])
    (retried,) = await db.run(_outbox, Outbox.id == new.id)
    assert retried.status == "pending" and retried.attempts == 1
    assert (
        before + timedelta(seconds=0.4) < retried.next_attempt_at < utcnow() + timedelta(seconds=1)
    )


async def test_changes_that_come_during_a_pass_gather_and_go_out_together(db, fake):
    gather_s = 2.0
    w = OutboxWorker(db, poll_s=0.05, gather_s=gather_s)
    looks = 0
    looked = w._anything_due

    async def look() -> bool:
        nonlocal looks
        looks += 1
        return await looked()

    w._anything_due = look  # type: ignore[method-assign]
    db.after_outbox_commit.append(w.wake)
    task = asyncio.create_task(w.run())
    try:
        # Idle (it has looked and found nothing): the first change goes at once.
        await await_until(lambda: looks >= 1, "the worker to look for due rows")
        first = skus(480, 1)
        queued_at = time.monotonic()
        await queue(db, "own-main", first, 3)
        await until_sent(db, first)
        assert time.monotonic() - queued_at < gather_s
        before = len(fake.requests)
        # Two changes right after a pass: each would have had a call of its own.
        later = skus(481, 2)
        await queue(db, "own-main", later[:1], 4)
        # A look begun after the first change finds it due: it is gathering when the second comes.
        seen = looks
        await await_until(lambda: looks > seen, "the worker to look after the first change")
        await queue(db, "own-main", later[1:], 5)
        await until_sent(db, later)
    finally:
        w.stop()
        await asyncio.wait_for(task, 5)
        await w.aclose()
        db.after_outbox_commit.remove(w.wake)
    assert len(stock_calls(fake, "own", before)) == 1
    assert fake.stock[(ChannelKind.OWN, "SKU-0481")] == 4
    assert fake.stock[(ChannelKind.OWN, "SKU-0482")] == 5
