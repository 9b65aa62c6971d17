"""The karrio adapter, tested the way karrio tests its connectors: recorded carrier answers."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import base64
import json
import time
from unittest.mock import patch

import pytest

pytest.importorskip("karrio.mappers.ups", reason="needs the karrio extra and karrio-ups")

from printers import Address  # noqa: E402
from printers.identifiers import is_valid_sscc  # noqa: E402
from tests.floor.shipping_fixtures import (  # noqa: E402, F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
    wait_job,
)
from tests.support.api import idem, problem  # noqa: E402
from wms.carriers.base import LabelRequest  # noqa: E402
from wms.carriers.karrio_adapter import CarrierError, KarrioCarrier  # noqa: E402
from wms.carriers.registry import register, unregister  # noqa: E402

UPS_LABEL = b"^XA^FO40,40^A0N,40,40^FDUPS TEST LABEL^FS^XZ"
TRACKING = "1Z5R89390357567127"
# Recorded answers of the UPS APIs karrio calls (OAuth token, Shipping API).
TOKEN_ANSWER = {
    "token_type": "Bearer", "issued_at": str(int(time.time() * 1000)), "client_id": "cid",
    "access_token": "recorded-token", "expires_in": "14399", "status": "approved",
}  # fmt: skip
SHIP_ANSWER = {
    "ShipmentResponse": {
        "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
        "ShipmentResults": {
            "ShipmentIdentificationNumber": TRACKING,
            "PackageResults": [
                {
                    "TrackingNumber": TRACKING,
                    "ShippingLabel": {
                        "ImageFormat": {"Code": "ZPL", "Description": "ZPL"},
                        "GraphicImage": base64.b64encode(UPS_LABEL).decode(),
                    },
                }
            ],
        },
    }
}
ERROR_ANSWER = {
    "response": {"errors": [{"code": "120802", "message": "Address Validation Error on ShipTo"}]}
}
HOME = Address("Warehouse", ("1 Dock Road",), "10001", "New York", "US", "5550100")
BUYER = Address("Ada Buyer", ("5 Main St",), "62701", "Springfield", "US", "5550101")


def ups() -> KarrioCarrier:
    settings = {"client_id": "cid", "client_secret": "csecret", "account_number": "5R8939"}
    return KarrioCarrier("ups-test", "ups", settings, service="ups_ground")


@pytest.fixture
def ups_registered():
    """Orders whose carrier is "ups-test" book through karrio, for this test only."""
    register(ups())
    yield
    unregister("ups-test")


def recorded(ship_answer: dict, calls: list):
    def request(**kwargs):
        # Like karrio.lib.request: the body as text, or decoded when a decoder is given.
        calls.append(kwargs)
        token = kwargs["url"].endswith("/security/v1/oauth/token")
        text = json.dumps(TOKEN_ANSWER if token else ship_answer)
        return kwargs.get("decoder", lambda body: body)(text)

    return request


def label_request(parcel_id: int = 5) -> LabelRequest:
    return LabelRequest(parcel_id, "#1001", HOME, BUYER, "", 812, 250, 180, 100)


def test_the_label_and_tracking_number_come_from_the_carriers_answer():
    calls: list = []
    with patch("karrio.mappers.ups.proxy.lib.request", side_effect=recorded(SHIP_ANSWER, calls)):
        result = ups().create_label(label_request())
    assert result.tracking == TRACKING and result.label_zpl == UPS_LABEL
    assert is_valid_sscc(result.sscc) and TRACKING in result.tracking_url
    ship = next(c for c in calls if "/api/shipments/" in c["url"])
    assert ship["headers"]["authorization"] == "Bearer recorded-token"
    sent = json.loads(ship["data"])["ShipmentRequest"]
    assert sent["LabelSpecification"]["LabelImageFormat"]["Code"] == "ZPL"
    package = sent["Shipment"]["Package"][0]
    assert float(package["PackageWeight"]["Weight"]) > 0
    assert sent["Shipment"]["ShipTo"]["Address"]["PostalCode"] == "62701"


def test_a_carrier_refusal_is_an_error_with_the_carriers_words():
    with (
        patch("karrio.mappers.ups.proxy.lib.request", side_effect=recorded(ERROR_ANSWER, [])),
        pytest.raises(CarrierError) as caught,
    ):
        ups().create_label(label_request())
    assert caught.value.code == "carrier_refused" and "120802" in caught.value.detail
    assert caught.value.status == 502


def test_an_unreachable_carrier_is_an_error_not_a_crash():
    with (
        patch("karrio.mappers.ups.proxy.lib.request", side_effect=OSError("no route")),
        pytest.raises(CarrierError) as caught,
    ):
        ups().create_label(label_request())
    assert caught.value.code == "carrier_error"


async def test_an_order_for_ups_gets_the_ups_label_on_the_station_printer(
    packer, db, printer, ups_registered
):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier="ups-test")
    printed = len(printer.labels)
    with patch("karrio.mappers.ups.proxy.lib.request", side_effect=recorded(SHIP_ANSWER, [])):
        parcel = pack(packer, order_id, ["2800000000035"])["parcel"]
    assert parcel["tracking"] == TRACKING and parcel["carrier"] == "ups-test"
    assert wait_job(packer, parcel["label_job"]["id"], "done")["status"] == "done"
    assert printer.wait_for_labels(printed + 1)[-1] == UPS_LABEL
    await no_violations(db)


async def test_a_refused_booking_changes_nothing(packer, db, ups_registered):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier="ups-test")
    with patch("karrio.mappers.ups.proxy.lib.request", side_effect=recorded(ERROR_ANSWER, [])):
        packer.post("/api/v1/packing/start", json={"station": "PACK-01", "scan": str(order_id)},
                    headers=idem())  # fmt: skip
        packer.post(f"/api/v1/packing/orders/{order_id}/verify", json={"scan": "2800000000035"},
                    headers=idem())  # fmt: skip
        r = packer.post(f"/api/v1/packing/orders/{order_id}/parcels",
                        json={"carton": "BOX-S", "weight_g": 500}, headers=idem())  # fmt: skip
    problem(r, 502, "carrier_refused")
    assert packer.get(f"/api/v1/orders/{order_id}").json()["status"] == "picked"
    await no_violations(db)


# A recorded answer of UPS's Track API (newest activity first, as UPS sends it).
TRACK_ANSWER = {
    "trackResponse": {
        "shipment": [
            {
                "inquiryNumber": TRACKING,
                "package": [
                    {
                        "trackingNumber": TRACKING,
                        "deliveryDate": [{"type": "DEL", "date": "20261203"}],
                        "activity": [
                            {
                                "location": {"address": {"city": "Springfield",
                                             "stateProvince": "IL", "country": "US"}},
                                "status": {"type": "D", "description": "DELIVERED",
                                           "code": "KB", "statusCode": "011"},
                                "date": "20261203", "time": "101500",
                            },
                            {
                                "location": {"address": {"city": "Chicago",
                                             "stateProvince": "IL", "country": "US"}},
                                "status": {"type": "I", "description": "Departed from Facility",
                                           "code": "DP", "statusCode": "005"},
                                "date": "20261202", "time": "230000",
                            },
                        ],
                    }
                ],
            }
        ]
    }
}  # fmt: skip


def test_ups_tracking_comes_back_in_karrios_vocabulary_oldest_event_first():
    calls: list = []
    with patch("karrio.mappers.ups.proxy.lib.request", side_effect=recorded(TRACK_ANSWER, calls)):
        [tracker] = ups().track([TRACKING])
    assert any(f"/api/track/v1/details/{TRACKING}" in c["url"] for c in calls)
    assert tracker.tracking == TRACKING
    assert [(e.status, e.description) for e in tracker.events] == [
        ("in_transit", "Departed from Facility"), ("delivered", "DELIVERED"),
    ]  # fmt: skip
    assert tracker.events[-1].occurred_at.isoformat() == "2026-12-03T10:15:00+00:00"
    assert "Springfield" in tracker.events[-1].location
    assert tracker.estimated_delivery is not None and tracker.estimated_delivery.day == 3
    assert len({e.key for e in tracker.events}) == 2


def test_a_tracking_call_that_fails_is_a_carrier_error():
    with (
        patch("karrio.mappers.ups.proxy.lib.request", side_effect=OSError("no route")),
        pytest.raises(CarrierError),
    ):
        ups().track([TRACKING])
