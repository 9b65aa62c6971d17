"""Backorders are filled the moment stock can be sold again: by priority, ship-by, then age."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
)
from tests.floor.test_returns import grade, shipped
from tests.support.api import idem
from wms.db import Database, reads
from wms.models import Channel, Outbox, Product, StockMove
from wms.models.picking import FloorException


def _status(client: httpx.Client, order: dict[str, Any]) -> str:
    return client.get(f"/api/v1/orders/{order['id']}").json()["status"]


def _empty(client: httpx.Client, location: str) -> None:
    body = {"location": location, "lines": [], "confirm_empty": True}
    r = client.post("/api/v1/stock/count", json=body, headers=idem())
    assert r.status_code == 201, r.text


@reads
def _buffers_and_newest(s: Session, sku: str) -> tuple[dict[str, int], dict[str, int]]:
    buffers = dict(s.execute(select(Channel.code, Channel.buffer)).all())
    rows = s.execute(
        select(Outbox.payload).where(Outbox.kind == "stock_push").order_by(Outbox.id)
    ).scalars()
    newest = {p["channel"]: p["quantity"] for p in rows if p["sku"] == sku}
    return buffers, newest


async def _pushed(db: Database, sku: str, sellable: int) -> None:
    """The newest quantity in the outbox for each channel of `sku` is `sellable` less its buffer."""
    buffers, newest = await db.run(_buffers_and_newest, sku)
    assert newest, f"no stock push for {sku}"
    assert newest == {c: max(0, sellable - buffers[c]) for c in newest}


@reads
def _move_count(s: Session) -> int:
    return len(list(s.execute(select(StockMove.id)).scalars()))


async def _moves(db: Database) -> int:
    return await db.run(_move_count)


async def test_a_receipt_fills_backorders_by_priority_then_ship_by_then_age(
    supervisor, new_order, db
):
    _empty(supervisor, "A01-05-1")  # SKU-0005 is kept nowhere else
    oldest = new_order(("SKU-0005", 1))
    urgent = new_order(("SKU-0005", 1), priority=5)
    due = new_order(("SKU-0005", 1), ship_by="2026-01-02T10:00:00+00:00")
    newest = new_order(("SKU-0005", 1))
    for order in (oldest, urgent, due, newest):
        assert order["status"] == "backordered"
    moves = await _moves(db)
    r = supervisor.post(
        "/api/v1/stock/receive",
        json={"sku": "SKU-0005", "location": "A01-05-1", "qty": 3, "ref": "PO-9"},
        headers=idem(),
    )
    assert r.status_code == 201, r.text
    assert await _moves(db) == moves + 1  # one receipt line in the ledger, nothing else
    got = {name: _status(supervisor, o) for name, o in
           (("oldest", oldest), ("urgent", urgent), ("due", due), ("newest", newest))}  # fmt: skip
    assert got == {"oldest": "ready", "urgent": "ready", "due": "ready", "newest": "backordered"}
    # The channels hear what is left to sell: nothing (three received, three held).
    await _pushed(db, "SKU-0005", 0)
    await no_violations(db)


async def test_a_count_that_finds_more_and_a_cancelled_order_fill_backorders(
    supervisor, new_order, db
):
    _empty(supervisor, "A01-06-1")  # SKU-0006 is kept nowhere else
    first = new_order(("SKU-0006", 2))
    second = new_order(("SKU-0006", 1))
    assert (first["status"], second["status"]) == ("backordered", "backordered")
    r = supervisor.post(
        "/api/v1/stock/count",
        json={"location": "A01-06-1", "lines": [{"sku": "SKU-0006", "qty": 2}]},
        headers=idem(),
    )
    assert r.status_code == 201, r.text
    assert (_status(supervisor, first), _status(supervisor, second)) == ("ready", "backordered")
    r = supervisor.post(f"/api/v1/orders/{first['id']}/cancel", headers=idem())
    assert r.status_code in (200, 201), r.text
    assert _status(supervisor, second) == "ready"
    avail = supervisor.get("/api/v1/stock/availability/SKU-0006").json()
    assert (avail["on_hand_pickable"], avail["reserved"]) == (2, 1)
    await _pushed(db, "SKU-0006", 1)
    await no_violations(db)


async def test_a_restocked_return_fills_a_backorder(packer, supervisor, new_order, db):
    order_id, parcel = await shipped(db, packer, [("SKU-0002", 1)], ["2800000000028"])
    _empty(supervisor, "A01-02-1")  # SKU-0002 is kept nowhere else
    waiting = new_order(("SKU-0002", 1))
    assert waiting["status"] == "backordered"
    r = packer.post("/api/v1/returns/receive", json={"scan": parcel["tracking"]}, headers=idem())
    assert r.status_code == 200, r.text
    r = grade(packer, r.json()["id"], "2800000000028", "restock", location="A01-02-1")
    assert r.status_code == 200, r.text
    assert _status(supervisor, waiting) == "ready"
    await _pushed(db, "SKU-0002", 0)
    await no_violations(db)


def _short_pick_found_later(s: Session, order_id: int) -> None:
    product = s.execute(select(Product).where(Product.sku == "SKU-0004")).scalar_one()
    s.add(
        FloorException(
            kind="short_pick", order_id=order_id, product_id=product.id, qty=1,
            message="SKU-0004: 1 short at A01-04-1; found later",
        )
    )  # fmt: skip


async def test_the_exception_of_an_order_that_ships_is_resolved(packer, supervisor, db):
    order_id = await picked_order(db, [("SKU-0004", 1)])
    await db.run(_short_pick_found_later, order_id)
    before = [e for e in supervisor.get("/api/v1/exceptions").json() if e["order_id"] == order_id]
    assert [e["status"] for e in before] == ["open"]
    out = pack(packer, order_id, ["2400000000044"], carton="BOX-M", weight=900)["parcel"]
    m = packer.post("/api/v1/manifests", json={"carrier": "generic"}, headers=idem()).json()
    r = packer.post(
        f"/api/v1/manifests/{m['id']}/scan", json={"scan": out["tracking"]}, headers=idem()
    )
    assert r.json()["order_status"] == "shipped", r.text
    every = supervisor.get("/api/v1/exceptions", params={"status": "all"}).json()
    [done] = [e for e in every if e["order_id"] == order_id]
    assert (done["status"], done["resolution"], done["resolved_by"]) == (
        "resolved",
        "order shipped",
        "packer1",
    )
    await no_violations(db)
