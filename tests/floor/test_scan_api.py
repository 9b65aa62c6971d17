"""The scan resolver through the API: every kind of thing, and the three ways a scan fails."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.orm import Session

from tests.support.api import problem
from wms.db import Database
from wms.models.shipping import Parcel, Shipment

GS = "\x1d"


def _scan(client, code: str, **params: str):
    return client.get("/api/v1/scan", params={"code": code, **params})


def test_a_location_code_resolves_with_its_check_code(picker):
    body = _scan(picker, "A01-03-1").json()
    assert body["kind"] == "location" and body["code"] == "A01-03-1"
    assert body["location_kind"] == "pick" and body["zone"] == "A"
    assert len(body["check_code"]) == 2


def test_a_check_code_resolves_only_at_the_expected_location(picker):
    check = _scan(picker, "A01-03-1").json()["check_code"]
    assert _scan(picker, check, context="A01-03-1").json()["code"] == "A01-03-1"
    problem(_scan(picker, check), 404, "unknown_scan")
    wrong = f"{(int(check) + 1) % 100:02d}"
    problem(_scan(picker, wrong, context="A01-03-1"), 404, "unknown_scan")


@pytest.mark.parametrize(
    "code",
    ["2800000000035", "]E02800000000035", "]C10102800000000035", "(01)02800000000035"],
)
def test_a_product_resolves_from_ean_or_gs1(picker, code):
    body = _scan(picker, code).json()
    assert (body["kind"], body["sku"], body["pack_qty"]) == ("product", "SKU-0003", 1)


def test_a_gs1_element_string_carries_lot_expiry_serial_and_count(picker):
    raw = "]C1" + "0102400000000013" + "17270313" + f"10L95319{GS}" + f"21S1{GS}" + "376"
    body = _scan(picker, raw).json()
    assert (body["sku"], body["lot"], body["expiry"]) == ("SKU-0001", "L95319", "2027-03-13")
    assert (body["serial"], body["count"]) == ("S1", 6)


def test_a_case_barcode_says_how_many_units_it_holds(picker):
    body = _scan(picker, "12400000000102").json()
    assert (body["sku"], body["pack_qty"]) == ("SKU-0010", 6)


def test_a_misread_check_digit_asks_for_another_scan(picker):
    body = problem(_scan(picker, "2800000000036"), 422, "bad_check_digit")
    assert len(body["title"]) <= 20


def test_totes_orders_and_badges_resolve(picker, new_order):
    assert _scan(picker, "T0777").json() == {"kind": "tote", "tote": "T0777", "order_id": None}
    order = new_order(("SKU-0002", 1), reference="#SCAN-1")
    body = _scan(picker, "#SCAN-1").json()
    assert (body["kind"], body["order_id"], body["status"]) == ("order", order["id"], "ready")
    assert _scan(picker, order["external_id"]).json()["order_id"] == order["id"]
    body = _scan(picker, "B1002").json()
    assert (body["kind"], body["username"]) == ("badge", "picker2")


def test_a_scan_naming_two_things_is_ambiguous(picker, new_order):
    new_order(("SKU-0002", 1), reference="A01-05-1")
    body = problem(_scan(picker, "A01-05-1"), 409, "ambiguous_scan")
    assert {c["kind"] for c in body["candidates"]} == {"location", "order"}


def test_an_unknown_scan_is_404(picker):
    problem(_scan(picker, "NOTHING-HERE"), 404, "unknown_scan")
    problem(_scan(picker, " "), 404, "unknown_scan")


def _add_parcel(s: Session, order_id: int) -> int:
    shipment = Shipment(order_id=order_id, carrier="generic")
    s.add(shipment)
    s.flush()
    parcel = Parcel(
        shipment_id=shipment.id, order_id=order_id, number=1, carton="BOX-S",
        weight_g=500, carrier="generic", tracking="1Z5R89390357567127",
        sscc="123456789012345675",
    )  # fmt: skip
    s.add(parcel)
    s.flush()
    return parcel.id  # type: ignore[return-value]


def test_parcels_resolve_by_tracking_number_and_by_sscc(picker, new_order, database_url):
    order = new_order(("SKU-0002", 1))

    async def add_parcel() -> int:
        db = Database(database_url)
        try:
            return await db.run(_add_parcel, order["id"])
        finally:
            await db.dispose()

    parcel_id = asyncio.run(add_parcel())
    body = _scan(picker, "1Z5R89390357567127").json()
    assert (body["kind"], body["parcel_id"], body["order_id"]) == (
        "shipment",
        parcel_id,
        order["id"],
    )
    body = _scan(picker, "]C100123456789012345675").json()
    assert (body["kind"], body["sscc"], body["parcel_id"]) == (
        "sscc",
        "123456789012345675",
        parcel_id,
    )
    assert _scan(picker, "123456789012345675").json()["kind"] == "sscc"
