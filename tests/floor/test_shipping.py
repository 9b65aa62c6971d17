"""Handover: parcels scanned onto a manifest ship the order; tracking goes to the channel."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import pytest

from tests.fakes import FakeChannelApis
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
from tests.support.waiting import wait_until
from wms.carriers import GenericCarrier
from wms.carriers.registry import register, unregister

SKU2, SKU3 = "2800000000028", "2800000000035"


def manifest(client, carrier: str = "generic") -> dict:
    r = client.post("/api/v1/manifests", json={"carrier": carrier}, headers=idem())
    assert r.status_code == 201, r.text
    return r.json()


def hand_over(client, manifest_id: int, scan: str):
    return client.post(f"/api/v1/manifests/{manifest_id}/scan", json={"scan": scan},
                       headers=idem())  # fmt: skip


def tracking_pushes(fake: FakeChannelApis, kind: str, ref: str, timeout: float = 10.0) -> list:
    return wait_until(
        lambda: [p for p in fake.pushes_for(kind, "tracking") if p.ref == ref],
        f"{kind} to be told the tracking of {ref}",
        timeout,
    )


async def test_the_last_parcel_handed_over_ships_the_order_and_tells_the_own_shop(
    packer, db, fake_channels
):
    order_id = await picked_order(db, [("SKU-0002", 2)])
    first = pack(packer, order_id, [SKU2])["parcel"]
    second = pack(packer, order_id, [SKU2], start=False)["parcel"]
    moves = (await snapshot(db))["counts"]["StockMove"]
    m = manifest(packer)
    r = hand_over(packer, m["id"], first["tracking"])
    assert r.status_code == 200, r.text
    assert r.json()["parcel"]["status"] == "shipped" and r.json()["order_status"] == "packed"
    r = hand_over(packer, m["id"], f"]C100{second['sscc']}")  # the SSCC barcode, GS1-128
    assert r.status_code == 200, r.text
    assert r.json()["order_status"] == "shipped" and r.json()["manifest"]["count"] == 2
    order = packer.get(f"/api/v1/orders/{order_id}").json()
    assert order["status"] == "shipped"
    pushes = tracking_pushes(fake_channels, "own", order["external_id"])
    assert len(pushes) == 1 and pushes[0].body["tracking_number"] == first["tracking"]
    # The units left stock when picked (picking's ledger line); handover moves none.
    assert (await snapshot(db))["counts"]["StockMove"] == moves
    await no_violations(db)


@pytest.mark.parametrize(
    ("channel", "kind"),
    [("tiktok-main", "tiktok"), ("shopify-main", "shopify"), ("woo-main", "woocommerce")],
)
async def test_tracking_is_pushed_in_each_channels_own_format(
    packer, db, fake_channels, channel, kind
):
    order_id = await picked_order(db, [("SKU-0003", 1)], channel=channel,
                                  line_refs=("577086512123755123",))  # fmt: skip
    parcel = pack(packer, order_id, [SKU3])["parcel"]
    assert hand_over(packer, manifest(packer)["id"], parcel["tracking"]).status_code == 200
    external = packer.get(f"/api/v1/orders/{order_id}").json()["external_id"]
    ref = str(int(external) * 10 + 1) if kind == "shopify" else external  # fake's FO id
    pushes = tracking_pushes(fake_channels, kind, ref)
    assert len(pushes) == 1, fake_channels.requests[-5:]
    body = pushes[0].body
    if kind == "tiktok":
        assert body["tracking_number"] == parcel["tracking"]
        assert body["shipping_provider_id"]
        assert body["order_line_item_ids"] == ["577086512123755123"]
    elif kind == "shopify":
        assert body["fulfillment"]["tracking_info"]["number"] == parcel["tracking"]
    else:
        assert body["status"] == "completed" and parcel["tracking"] in str(body["meta_data"])


async def test_a_parcel_cannot_be_handed_over_twice(packer, db):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    parcel = pack(packer, order_id, [SKU3])["parcel"]
    m = manifest(packer)
    assert hand_over(packer, m["id"], parcel["tracking"]).status_code == 200
    before = await snapshot(db)
    problem(hand_over(packer, m["id"], parcel["tracking"]), 409, "already_shipped")
    assert await snapshot(db) == before


async def test_a_parcel_of_an_order_still_packing_is_not_handed_over(packer, db):
    order_id = await picked_order(db, [("SKU-0002", 2)])
    parcel = pack(packer, order_id, [SKU2])["parcel"]
    before = await snapshot(db)
    problem(hand_over(packer, manifest(packer)["id"], parcel["tracking"]), 409, "order_not_packed")
    after = await snapshot(db)
    assert after["counts"]["StockMove"] == before["counts"]["StockMove"]
    assert after["status"] == before["status"]


async def test_bad_scans_closed_manifests_and_other_carriers_are_refused(packer, db):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    parcel = pack(packer, order_id, [SKU3])["parcel"]
    register(GenericCarrier(code="otherpost", name="Other Post", prefix="OP"))
    other = manifest(packer, "otherpost")
    before = await snapshot(db)
    body = problem(hand_over(packer, other["id"], parcel["tracking"]), 409, "wrong_carrier")
    assert body["expected"] == "generic"
    m = manifest(packer)
    problem(hand_over(packer, m["id"], "1Z5R89390357567128"), 404, "unknown_parcel")
    problem(hand_over(packer, m["id"], "006141410000000000"), 422, "bad_check_digit")
    problem(hand_over(packer, 999999, parcel["tracking"]), 404, "unknown_manifest")
    closed = packer.post(f"/api/v1/manifests/{m['id']}/close", headers=idem())
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    problem(hand_over(packer, m["id"], parcel["tracking"]), 409, "manifest_closed")
    unregister("otherpost")
    after = await snapshot(db)
    assert after["counts"]["StockMove"] == before["counts"]["StockMove"]
    assert after["status"] == before["status"]
    assert packer.get(f"/api/v1/parcels/{parcel['id']}").json()["status"] == "packed"
    await no_violations(db)
