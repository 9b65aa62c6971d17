"""The carrier's label call runs between two transactions: it blocks nobody, a refusal leaves
nothing, a close cut short between the steps is finished once by the next close."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printers.identifiers import is_valid_own_tracking
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    packer,
    picked_order,
    printer,
    snapshot,
)
from tests.support import api
from tests.support.api import idem, problem
from wms.carriers import LabelRequest, LabelResult, registry
from wms.carriers.karrio_adapter import CarrierError
from wms.db import Database, reads
from wms.domain.tracking import Tracker
from wms.models.shipping import PackSession, Parcel, PrintJob, Shipment
from wms.services import packing

SKU3 = "2800000000035"
TITLES = {"carrier_refused": "Carrier refused", "carrier_error": "Carrier unreachable"}


class RemoteCarrier:
    """A carrier account as a remote carrier behaves: its booking may take seconds, refuse,
    or not answer. The labels are the site's generic ones (numbered by the parcel id)."""

    def __init__(self, code: str) -> None:
        self.code, self.name = code, code.upper()
        self.hold_s = 0.0  # how long a booking takes
        self.fail: str | None = None  # "carrier_refused" or "carrier_error"
        self.calls: list[int] = []  # the parcel ids booked, in order
        self.entered = threading.Event()

    def create_label(self, request: LabelRequest) -> LabelResult:
        self.calls.append(request.parcel_id)
        self.entered.set()
        if self.hold_s:
            time.sleep(self.hold_s)  # the carrier's answer takes this long (not a test wait)
        if self.fail:
            raise CarrierError(self.fail, TITLES[self.fail], f"{self.fail} (test carrier)")
        return registry.generic().create_label(request)

    def channel_carrier(self, channel_kind: str) -> str:
        return self.name

    def track(
        self, numbers: Sequence[str], since: Mapping[str, datetime] | None = None
    ) -> list[Tracker]:
        return []


@pytest.fixture
def carrier() -> Iterator[RemoteCarrier]:
    """Orders whose carrier is "remote-test" book with a RemoteCarrier, for this test only."""
    remote = RemoteCarrier("remote-test")
    registry.register(remote)
    yield remote
    registry.unregister(remote.code)


def start(client: httpx.Client, order_id: int, station: str = "PACK-01") -> None:
    r = client.post("/api/v1/packing/start", json={"station": station, "scan": str(order_id)},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text


def verify(client: httpx.Client, order_id: int, scan: str = SKU3) -> httpx.Response:
    return client.post(f"/api/v1/packing/orders/{order_id}/verify", json={"scan": scan},
                       headers=idem())  # fmt: skip


def close(client: httpx.Client, order_id: int, key: dict[str, str] | None = None) -> httpx.Response:
    body = {"carton": "BOX-S", "weight_g": 600}
    return client.post(f"/api/v1/packing/orders/{order_id}/parcels", json=body,
                       headers=key or idem())  # fmt: skip


@reads
def _parcels(s: Session, order_id: int) -> list[tuple[int, str, int]]:
    """The order's parcels: id, status and how many label jobs each has."""
    jobs = (
        select(func.count())
        .where(PrintJob.parcel_id == Parcel.id, PrintJob.kind == "label")
        .scalar_subquery()
    )
    query = select(Parcel.id, Parcel.status, jobs).where(Parcel.order_id == order_id)
    return [tuple(row) for row in s.execute(query.order_by(Parcel.id))]  # type: ignore[misc]


@reads
def _lasting(s: Session, order_id: int) -> tuple[int, int]:
    """The order's shipments and pack sessions."""
    shipments = select(func.count()).where(Shipment.order_id == order_id)
    sessions = select(func.count()).where(PackSession.order_id == order_id)
    return s.execute(shipments).scalar_one(), s.execute(sessions).scalar_one()


async def parcels_of(db: Database, order_id: int) -> list[tuple[int, str, int]]:
    return await db.run(_parcels, order_id)


async def test_a_refused_scan_and_ship_leaves_the_order_waiting_as_before(packer, db, carrier):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier=carrier.code)
    carrier.fail = "carrier_refused"
    before = (await snapshot(db), await db.run(_lasting, order_id))
    r = packer.post("/api/v1/packing/scan-and-ship", json={"station": "PACK-02", "scan": SKU3},
                    headers=idem())  # fmt: skip
    problem(r, 502, "carrier_refused")
    assert (await snapshot(db), await db.run(_lasting, order_id)) == before
    carrier.fail = None
    r = packer.post("/api/v1/packing/scan-and-ship", json={"station": "PACK-02", "scan": SKU3},
                    headers=idem())  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["order_id"] == order_id and r.json()["parcel"]["number"] == 1
    await no_violations(db)


async def test_a_label_call_that_blocks_for_2_s_does_not_delay_another_packers_scan(
    floor, packer, db, carrier
):
    carrier.hold_s = 2.0
    slow = await picked_order(db, [("SKU-0003", 1)], carrier=carrier.code)
    other = await picked_order(db, [("SKU-0003", 2)])
    start(packer, slow)
    assert verify(packer, slow).status_code == 200
    with (
        api.client(floor.url, api.login(floor.url, "packer")) as second,
        ThreadPoolExecutor(1) as pool,
    ):
        start(second, other, "PACK-02")
        closing = pool.submit(close, packer, slow)
        assert carrier.entered.wait(10), "the label call never started"
        began = time.monotonic()
        scanned = verify(second, other)
        took = time.monotonic() - began
        assert scanned.status_code == 200, scanned.text
        assert not closing.done(), "the close should still wait for its label"
        assert took < 0.5, f"a scan took {took:.2f} s while a label call was waiting"
        r = closing.result(timeout=30)
    assert r.status_code == 201, r.text
    assert [line["verified"] for line in scanned.json()["lines"]] == [1]
    await no_violations(db)


async def test_a_refused_label_writes_nothing_lasting_and_the_next_close_labels_it(
    packer, db, carrier
):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier=carrier.code)
    start(packer, order_id)
    assert verify(packer, order_id).status_code == 200
    carrier.fail = "carrier_refused"
    before = (await snapshot(db), await db.run(_lasting, order_id))
    body = problem(close(packer, order_id), 502, "carrier_refused")
    assert len(body["title"]) <= 20
    assert (await snapshot(db), await db.run(_lasting, order_id)) == before
    assert packer.get(f"/api/v1/orders/{order_id}").json()["status"] == "picked"
    await no_violations(db)
    carrier.fail = None
    r = close(packer, order_id)
    assert r.status_code == 201, r.text
    parcel = r.json()["parcel"]
    assert parcel["number"] == 1 and is_valid_own_tracking(parcel["tracking"], "DW")
    assert await parcels_of(db, order_id) == [(parcel["id"], "packed", 1)]
    await no_violations(db)


async def test_a_close_cut_short_after_its_parcel_opened_is_finished_once_by_the_next_close(
    packer, db, carrier
):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier=carrier.code)
    start(packer, order_id)
    assert verify(packer, order_id).status_code == 200
    # The first step of a close commits, then the server dies before the carrier answers.
    job = await db.run(packing.open_close, order_id, "BOX-S", 600, None)
    assert await parcels_of(db, order_id) == [(job.parcel_id, "labelling", 0)]
    await no_violations(db)
    r = close(packer, order_id)
    assert r.status_code == 201, r.text
    assert r.json()["parcel"]["id"] == job.parcel_id and r.json()["view"]["status"] == "done"
    assert carrier.calls == [job.parcel_id]
    assert await parcels_of(db, order_id) == [(job.parcel_id, "packed", 1)]
    problem(close(packer, order_id), 409, "already_packed")
    await no_violations(db)


async def test_a_retried_close_after_the_carrier_did_not_answer_books_the_same_parcel_once(
    packer, db, carrier
):
    order_id = await picked_order(db, [("SKU-0003", 1)], carrier=carrier.code)
    start(packer, order_id)
    assert verify(packer, order_id).status_code == 200
    carrier.fail = "carrier_error"
    key = idem()
    problem(close(packer, order_id, key), 502, "carrier_error")
    [(parcel_id, status, jobs)] = await parcels_of(db, order_id)
    assert (status, jobs) == ("labelling", 0)  # may be booked: kept for the retry
    carrier.fail = None
    r = close(packer, order_id, key)  # the same request again
    assert r.status_code == 201, r.text
    assert r.json()["parcel"]["id"] == parcel_id
    again = close(packer, order_id, key)
    assert again.json() == r.json() and again.headers.get("idempotent-replayed") == "true"
    assert carrier.calls == [parcel_id, parcel_id]  # the same parcel both times
    assert await parcels_of(db, order_id) == [(parcel_id, "packed", 1)]
    await no_violations(db)
