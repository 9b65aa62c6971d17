"""Returns: opened by the channel or by hand, received by a scan, graded per item via the ledger."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

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
    snapshot,
)
from tests.support.api import idem, problem
from wms.db import Database, reads
from wms.models import Location, Outbox, Stock, StockMove

SKU1, SKU2, SKU3 = "2400000000013", "2800000000028", "2800000000035"


async def shipped(db, client: httpx.Client, lines: list[tuple[str, int]], scans: list[str],
                  **kw) -> tuple[int, dict]:  # fmt: skip
    """An order picked, packed in one parcel and handed over; (order id, parcel)."""
    order_id = await picked_order(db, lines, **kw)
    parcel = pack(client, order_id, scans, carton="BOX-M", weight=2500)["parcel"]
    m = client.post("/api/v1/manifests", json={"carrier": "generic"}, headers=idem()).json()
    r = client.post(f"/api/v1/manifests/{m['id']}/scan", json={"scan": parcel["tracking"]},
                    headers=idem())  # fmt: skip
    assert r.json()["order_status"] == "shipped", r.text
    return order_id, parcel


def grade(client, return_id: int, scan: str, how: str, **kw) -> httpx.Response:
    return client.post(f"/api/v1/returns/{return_id}/grade",
                       json={"scan": scan, "grade": how, **kw}, headers=idem())  # fmt: skip


def sellable(client, sku: str) -> int:
    return client.get(f"/api/v1/stock/availability/{sku}").json()["on_hand_pickable"]


@reads
def _on_hand_at(s: Session, code: str, sku_id: int) -> int:
    rows = s.execute(
        select(Stock.on_hand)
        .join(Location, Location.id == Stock.location_id)
        .where(Location.code == code, Stock.product_id == sku_id)
    ).scalars()
    return sum(rows)


async def on_hand(db: Database, code: str, sku_id: int) -> int:
    return await db.run(_on_hand_at, code, sku_id)


@reads
def _outbox_rows(s: Session) -> int:
    return len(list(s.execute(select(Outbox.id)).scalars()))


@reads
def _outbox_kinds_and_restocked(s: Session) -> tuple[list[str], int | None]:
    kinds = list(s.execute(select(Outbox.kind).where(Outbox.id > 0)).scalars().all())
    sku_id = s.execute(select(StockMove.product_id).where(StockMove.reason == "restock")).scalar()
    return kinds, sku_id


@reads
def _reasons_of_return(s: Session, return_id: int) -> list[str]:
    return list(
        s.execute(select(StockMove.reason).where(StockMove.ref.like(f"return {return_id} %")))
        .scalars()
        .all()
    )


async def test_a_channel_return_is_received_by_parcel_and_each_item_graded_via_the_ledger(
    packer, integration, db
):
    order_id, parcel = await shipped(db, packer, [("SKU-0002", 3)], [SKU2] * 3)
    external = packer.get(f"/api/v1/orders/{order_id}").json()["external_id"]
    body = {"channel": "own-main", "order_external_id": external, "return_id": "RMA-1"}
    r = integration.post("/api/v1/returns/channel", json=body, headers=idem())
    assert r.status_code == 201, r.text
    ret = r.json()
    assert ret["status"] == "open" and ret["source"] == "channel" and ret["lines"][0]["qty"] == 3
    again = integration.post("/api/v1/returns/channel", json=body, headers=idem())
    assert again.status_code == 200 and again.json()["id"] == ret["id"]
    r = packer.post("/api/v1/returns/receive", json={"scan": parcel["tracking"]}, headers=idem())
    assert r.status_code == 200 and r.json()["id"] == ret["id"] and r.json()["status"] == "received"

    pushes_before = await db.run(_outbox_rows)
    before = sellable(packer, "SKU-0002")
    r = grade(packer, ret["id"], SKU2, "restock")
    assert r.status_code == 200, r.text
    assert sellable(packer, "SKU-0002") == before + 1  # sellable again at once
    kinds, sku_id = await db.run(_outbox_kinds_and_restocked)
    assert len(kinds) > pushes_before and "stock_push" in kinds
    quarantined = await on_hand(db, "QUAR-01", sku_id)
    assert grade(packer, ret["id"], SKU2, "quarantine").status_code == 200
    assert await on_hand(db, "QUAR-01", sku_id) == quarantined + 1
    assert sellable(packer, "SKU-0002") == before + 1  # quarantine is not sellable
    r = grade(packer, ret["id"], SKU2, "scrap")
    assert r.status_code == 200
    assert r.json()["status"] == "done"
    assert r.json()["lines"][0] == {"sku": "SKU-0002", "qty": 3, "restocked": 1,
                                    "quarantined": 1, "scrapped": 1, "left": 0}  # fmt: skip
    assert packer.get(f"/api/v1/orders/{order_id}").json()["status"] == "returned"
    reasons = await db.run(_reasons_of_return, ret["id"])
    assert sorted(reasons) == ["quarantine", "restock", "return", "return", "return", "scrap"]
    await no_violations(db)


async def test_a_partial_return_by_hand_restocks_where_told_and_keeps_the_order_shipped(packer, db):
    order_id, _ = await shipped(db, packer, [("SKU-0003", 2)], [SKU3, SKU3])
    r = packer.post("/api/v1/returns", json={"order": str(order_id), "lines": [
        {"sku": "SKU-0003", "qty": 1}], "reason": "too small"}, headers=idem())  # fmt: skip
    assert r.status_code == 201, r.text
    ret = r.json()
    packer.post("/api/v1/returns/receive", json={"scan": str(order_id)}, headers=idem())
    r = grade(packer, ret["id"], SKU3, "restock", location="A01-03-1")
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert packer.get(f"/api/v1/orders/{order_id}").json()["status"] == "shipped"
    await no_violations(db)


async def test_an_unannounced_parcel_opens_a_return_when_received(packer, db):
    order_id, parcel = await shipped(db, packer, [("SKU-0003", 1)], [SKU3])
    r = packer.post("/api/v1/returns/receive", json={"scan": parcel["sscc"]}, headers=idem())
    assert r.status_code == 200, r.text
    assert r.json()["order_id"] == order_id and r.json()["status"] == "received"
    assert r.json()["source"] == "manual"


async def test_bad_returns_and_bad_grades_are_refused_and_change_nothing(packer, integration, db):
    order_id, parcel = await shipped(db, packer, [("SKU-0003", 1)], [SKU3])
    not_shipped = await picked_order(db, [("SKU-0003", 1)])
    before = await snapshot(db)
    problem(packer.post("/api/v1/returns", json={"order": str(not_shipped)}, headers=idem()),
            409, "not_shipped")  # fmt: skip
    for lines, code in (([{"sku": "SKU-0003", "qty": 2}], "too_many"),
                        ([{"sku": "SKU-0002", "qty": 1}], "not_in_order")):  # fmt: skip
        r = packer.post("/api/v1/returns", json={"order": str(order_id), "lines": lines},
                        headers=idem())  # fmt: skip
        problem(r, 422, code)
    body = {"channel": "own-main", "order_external_id": "404404", "return_id": "RMA-X"}
    problem(integration.post("/api/v1/returns/channel", json=body, headers=idem()),
            404, "unknown_order")  # fmt: skip
    assert await snapshot(db) == before

    ret = packer.post("/api/v1/returns", json={"order": str(order_id)}, headers=idem()).json()
    before = await snapshot(db)
    problem(grade(packer, ret["id"], SKU3, "restock"), 409, "not_received")
    problem(grade(packer, 999999, SKU3, "restock"), 404, "unknown_return")
    packer.post("/api/v1/returns/receive", json={"scan": parcel["tracking"]}, headers=idem())
    before = await snapshot(db)
    problem(grade(packer, ret["id"], SKU2, "restock"), 422, "not_in_return")
    problem(grade(packer, ret["id"], SKU3, "restock", qty=2), 422, "too_many")
    problem(grade(packer, ret["id"], SKU3, "restock", location="QUAR-01"), 422,
            "not_sellable_location")  # fmt: skip
    r = grade(packer, ret["id"], SKU3, "resell")
    assert r.status_code == 400 and r.json()["code"] == "invalid_request"
    assert await snapshot(db) == before
    assert grade(packer, ret["id"], SKU3, "scrap").status_code == 200
    problem(grade(packer, ret["id"], SKU3, "scrap"), 409, "return_closed")
    problem(packer.post("/api/v1/returns", json={"order": str(order_id)}, headers=idem()),
            409, "nothing_to_return")  # fmt: skip
    await no_violations(db)


async def test_a_lot_tracked_item_is_restocked_only_with_its_lot(packer, db):
    order_id, parcel = await shipped(db, packer, [("SKU-0001", 1)], [SKU1])
    ret = packer.post("/api/v1/returns/receive", json={"scan": parcel["tracking"]},
                      headers=idem()).json()  # fmt: skip
    before = await snapshot(db)
    problem(grade(packer, ret["id"], SKU1, "restock"), 422, "lot_required")
    assert await snapshot(db) == before
    r = grade(packer, ret["id"], "(01)02400000000013(10)L95319", "restock")
    assert r.status_code == 200, r.text
    await no_violations(db)


async def test_a_channel_return_webhook_opens_one_return_per_order_and_ignores_the_rest(packer, db):
    from wms.services import channel_returns

    order_id, _ = await shipped(db, packer, [("SKU-0003", 1)], [SKU3])
    external = packer.get(f"/api/v1/orders/{order_id}").json()["external_id"]
    first = await channel_returns.on_channel_event(db, "own-main", external, "evt-1")
    # a status update of the same return
    again = await channel_returns.on_channel_event(db, "own-main", external, "evt-2")
    assert first["status"] == "created" and again == {
        "status": "duplicate", "return_id": first["return_id"]
    }  # fmt: skip
    unknown = await channel_returns.on_channel_event(db, "own-main", "404404404", "evt-3")
    assert unknown == {"status": "ignored", "reason": "unknown_order"}
    not_shipped = await picked_order(db, [("SKU-0003", 1)])
    external = packer.get(f"/api/v1/orders/{not_shipped}").json()["external_id"]
    refused = await channel_returns.on_channel_event(db, "own-main", external, "evt-4")
    assert refused["reason"] == "not_shipped"
