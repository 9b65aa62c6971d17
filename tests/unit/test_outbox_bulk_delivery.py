"""How the worker reads a bulk stock call's answer into per-row outcomes (no database needed)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from wms.channels.config import ChannelConfig, load_channels, load_listings
from wms.errors import NotFound
from wms.models import Outbox
from wms.services import stock_pushes
from wms.services.outbox import OutboxWorker
from wms.services.stock_pushes import deliver_stock_pushes

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = load_channels(ROOT / "fixtures/demo/channels.json")
LISTINGS = load_listings(ROOT / "fixtures/demo/listings.csv")


def rows_for(code: str, n: int, *, simple_only: bool = False) -> list[Outbox]:
    mine = [x for x in LISTINGS if x.channel == code and not (simple_only and x.variant_ref)]
    return [
        Outbox(
            id=i + 1,
            event_id=uuid.uuid4().hex,
            kind="stock_push",
            dedupe_key=f"stock:{code}:{i}",
            payload={
                "channel": code,
                "sku": x.sku,
                "product_ref": x.product_ref,
                "variant_ref": x.variant_ref,
                "quantity": i,
            },
        )
        for i, x in enumerate(mine[:n])
    ]


@pytest.fixture
def configs(monkeypatch: pytest.MonkeyPatch) -> dict[str, ChannelConfig]:
    async def config_for(db: object, code: str) -> tuple[int, ChannelConfig]:
        if code not in CHANNELS:
            raise NotFound("unknown_channel", "Unknown channel", code)
        return 1, CHANNELS[code]

    monkeypatch.setattr(stock_pushes.channels, "config_for", config_for)
    return CHANNELS


def worker_answering(handler: Callable[[httpx.Request], httpx.Response]) -> OutboxWorker:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OutboxWorker(db=None, http=client)  # type: ignore[arg-type]


def user_error(index: int) -> dict[str, Any]:
    return {
        "code": "INVALID_INVENTORY_ITEM",
        "field": ["input", "quantities", str(index), "inventoryItemId"],
        "message": "The specified inventory item could not be found.",
    }


def set_quantities(*errors: dict[str, Any]) -> httpx.Response:
    return httpx.Response(
        200, json={"data": {"inventorySetQuantities": {"userErrors": list(errors)}}}
    )


async def test_shopify_items_refused_on_the_resend_too_are_not_reported_as_sent(configs):
    calls: list[list[str]] = []

    def shopify(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["variables"]["input"]["quantities"]
        calls.append([q["inventoryItemId"] for q in items])
        return set_quantities(user_error(0))  # each call refuses its first item

    rows = rows_for("shopify-main", 4)
    worker = worker_answering(shopify)
    try:
        outcome = await deliver_stock_pushes(worker, rows)
    finally:
        await worker.aclose()

    assert len(calls) == 2 and calls[1] == calls[0][1:]  # resent once, without the refused one
    assert outcome[rows[0].id].startswith("INVALID_INVENTORY_ITEM")
    assert outcome[rows[1].id].startswith("INVALID_INVENTORY_ITEM")
    assert all(outcome[r.id].startswith("not applied") for r in rows[2:])


async def test_a_shopify_call_refused_as_a_whole_fails_every_row_it_carried(configs):
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    worker = worker_answering(lambda r: httpx.Response(200, json=throttled))
    rows = rows_for("shopify-main", 3)
    try:
        outcome = await deliver_stock_pushes(worker, rows)
    finally:
        await worker.aclose()
    assert all("THROTTLED" in outcome[r.id] for r in rows)


@pytest.mark.parametrize("status", [500, 429, 401])
async def test_a_failed_bulk_call_fails_all_its_rows_whatever_the_status(configs, status):
    worker = worker_answering(lambda r: httpx.Response(status, text="no"))
    rows = rows_for("own-main", 5)
    try:
        outcome = await deliver_stock_pushes(worker, rows)
    finally:
        await worker.aclose()
    assert all(f"HTTP {status}" in outcome[r.id] for r in rows)


async def test_a_woocommerce_item_error_fails_that_row_and_the_others_are_sent(configs):
    def woo(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["update"]
        error = {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID."}
        answer = [{**items[0], "error": error}, *items[1:]]
        return httpx.Response(200, json={"update": answer})

    rows = rows_for("woo-main", 3, simple_only=True)
    worker = worker_answering(woo)
    try:
        outcome = await deliver_stock_pushes(worker, rows)
    finally:
        await worker.aclose()
    assert outcome[rows[0].id].startswith("woocommerce_rest_product_invalid_id")
    assert [outcome[r.id] for r in rows[1:]] == ["", ""]


async def test_channels_are_sent_separately_and_a_bad_row_fails_alone(configs):
    seen: list[str] = []

    def ok(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/graphql.json"):
            return set_quantities()
        return httpx.Response(200, json={"code": 0, "message": "Success", "data": {}})

    good = [*rows_for("own-main", 2), *rows_for("shopify-main", 2)]
    for n, row in enumerate(good):
        row.id = n + 1
    broken = rows_for("own-main", 1)[0]
    broken.id, broken.payload = 90, {"channel": "own-main", "quantity": 1}  # no sku
    stranger = rows_for("own-main", 1)[0]
    stranger.id, stranger.payload = 91, {**stranger.payload, "channel": "gone-main"}
    worker = worker_answering(ok)
    try:
        outcome = await deliver_stock_pushes(worker, [*good, broken, stranger])
    finally:
        await worker.aclose()

    assert [outcome[r.id] for r in good] == ["", "", "", ""]
    assert outcome[90].startswith("bad stock_push payload")
    assert outcome[91].startswith("NotFound")  # no such channel: retried, not dropped
    assert sorted(seen) == ["/own/stock", "/shopify/admin/api/2024-10/graphql.json"]


@pytest.mark.parametrize(
    ("errors", "calls", "sent"),
    [
        ([httpx.ReadError("closed")], 2, True),  # a stale kept-alive connection: at once again
        ([httpx.ReadError("closed")] * 2, 2, False),  # only once: then it waits its backoff
        ([httpx.ConnectError("refused")], 1, False),  # down: no point in asking again now
    ],
    ids=["stale-then-ok", "stale-twice", "refused"],
)
async def test_a_call_lost_on_a_stale_connection_is_sent_again_once(configs, errors, calls, sent):
    made: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        made.append(1)
        if len(made) <= len(errors):
            raise errors[len(made) - 1]
        return httpx.Response(200, json={"ok": True})

    rows = rows_for("own-main", 3)
    worker = worker_answering(flaky)
    try:
        outcome = await deliver_stock_pushes(worker, rows)
    finally:
        await worker.aclose()
    assert len(made) == calls
    assert all((outcome[r.id] == "") is sent for r in rows)
