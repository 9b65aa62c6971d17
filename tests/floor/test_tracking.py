"""Parcels after the handover, through a real server: polls, signed webhooks, the buyer's page."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.fakes.channel_apis import FakeChannelApis
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
from tests.support import api
from tests.support.api import idem, problem
from tests.support.databases import point_channels_at
from tests.support.waiting import await_until, wait_until
from wms.carriers import registry
from wms.carriers.generic import GenericCarrier
from wms.config import ROOT
from wms.db import Database, reads
from wms.domain.orders import ChannelKind
from wms.domain.tracking import Tracker
from wms.loopback import ThreadServer
from wms.models import Outbox
from wms.models.common import utcnow
from wms.models.shipping import Return, ReturnLine
from wms.models.tracking import ParcelTracking, TrackingEvent
from wms.services.tracking_poll import MAX_AGE, POLL_EVERY
from wms.services.tracking_webhook import sign

SKU3 = "2800000000035"
SECRET = "tracking-secret-for-tests"
SITE = {
    "sender": {"name": "Lakeside Goods", "lines": ["9 Pier St"], "postal_code": "M5V 2T6",
               "city": "Toronto", "region": "ON", "country": "CA"},
    # All four simulated steps at the handover; the server's own poller waits an hour, so
    # only this module's explicit passes ask the carrier.
    "generic": {"prefix": "LG", "simulate_minutes": 0, "webhook_secret_env": "T_TRACK_SECRET"},
    "tracking_poll_seconds": 3600,
}  # fmt: skip


@pytest.fixture(scope="module")
def server(
    database_url: str, fake_channels: FakeChannelApis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadServer]:
    path = tmp_path_factory.mktemp("site") / "carriers.json"
    path.write_text(json.dumps(SITE))
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WMS_CARRIERS", str(path))
        env.setenv("T_TRACK_SECRET", SECRET)
        with ThreadServer(database_url) as srv:
            yield srv
    registry.configure(registry.load(registry.config_path(ROOT / "fixtures" / "demo")))


@pytest.fixture(scope="module")
def supervisor(floor: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(floor.url, api.login(floor.url, "supervisor")) as c:
        yield c


class DownCarrier(GenericCarrier):
    """A carrier whose tracking API is down (the outside API, faked)."""

    def track(
        self, numbers: Sequence[str], since: Mapping[str, datetime] | None = None
    ) -> list[Tracker]:
        raise ConnectionError("carrier tracking API unreachable")


async def shipped(
    packer: httpx.Client, db: Database, parcels: int = 1, carrier: str = "generic",
    channel: str = "own-main",
) -> tuple[int, list[dict]]:  # fmt: skip
    """An order packed in ``parcels`` parcels and handed over: (order id, parcels)."""
    order_id = await picked_order(db, [("SKU-0003", parcels)], carrier=carrier, channel=channel)
    got = [pack(packer, order_id, [SKU3])["parcel"]]
    for _ in range(parcels - 1):
        got.append(pack(packer, order_id, [SKU3], start=False)["parcel"])
    m = packer.post("/api/v1/manifests", json={"carrier": carrier}, headers=idem()).json()
    for parcel in got:
        r = packer.post(f"/api/v1/manifests/{m['id']}/scan", json={"scan": parcel["tracking"]},
                        headers=idem())  # fmt: skip
        assert r.status_code == 200, r.text
    return order_id, got


def webhook(
    client: httpx.Client, tracking: str, events: list[dict], *, at: int | None = None,
    secret: str = SECRET, carrier: str = "generic", body: bytes | None = None,
) -> httpx.Response:  # fmt: skip
    raw = body if body is not None else json.dumps(
        {"id": f"evt-{time.monotonic_ns()}", "type": "tracker_updated",
         "data": {"tracking_number": tracking, "events": events}}
    ).encode()  # fmt: skip
    header = sign(secret, raw, int(time.time()) if at is None else at)
    headers = {"X-WMS-Signature": header, "Content-Type": "application/json"}
    return client.post(f"/webhooks/tracking/{carrier}", content=raw, headers=headers)


def event(status: str, date: str, clock: str, text: str = "") -> dict:
    return {"date": date, "time": clock, "status": status, "code": status[:2].upper(),
            "description": text or status, "location": "Depot"}  # fmt: skip


def tracking_of(client: httpx.Client, parcel: dict) -> dict:
    r = client.get(f"/api/v1/parcels/{parcel['id']}/tracking")
    assert r.status_code == 200, r.text
    return r.json()


def order_status(client: httpx.Client, order_id: int) -> str:
    return client.get(f"/api/v1/orders/{order_id}").json()["status"]


def told(fake: FakeChannelApis, kind: str, ref: str, n: int, timeout: float = 15.0) -> list:
    """The channel's first ``n`` tracking events about ``ref``; fails loudly when they lag."""

    def enough() -> list | None:
        found = [p for p in fake.pushes_for(kind, "tracking_event") if p.ref == ref]
        return found if len(found) >= n else None

    return wait_until(enough, f"{kind} to be told {n} tracking events about {ref}", timeout)


@reads
def _outbox_statuses(s: Session, kind: str) -> list[Any]:
    return list(s.execute(select(Outbox.status).where(Outbox.kind == kind)).all())


async def outbox_settled(db: Database, kind: str, timeout: float = 15.0) -> None:
    """Every outbox row of ``kind`` sent; fails loudly with what is left."""

    async def all_sent() -> bool:
        rows = await db.run(_outbox_statuses, kind)
        return bool(rows) and all(r.status == "sent" for r in rows)

    await await_until(all_sent, f"every {kind} outbox row to be sent", timeout)


@reads
def _event_count(s: Session) -> int:
    return s.execute(select(func.count()).select_from(TrackingEvent)).scalar() or 0


async def events_written(db: Database) -> int:
    return await db.run(_event_count)


@reads
def _tracking_row(s: Session, parcel_id: int) -> ParcelTracking | None:
    return s.get(ParcelTracking, parcel_id)


def _handed_over(s: Session, parcel_id: int, at: datetime) -> None:
    row = s.get(ParcelTracking, parcel_id)
    assert row is not None
    row.handed_over_at = at


@reads
def _told_rows(s: Session, parcel_id: int) -> tuple[list[Outbox], ParcelTracking | None]:
    rows = s.execute(
        select(Outbox)
        .where(Outbox.dedupe_key.startswith(f"tracking_event:{parcel_id}:"))
        .order_by(Outbox.id)
    ).scalars()
    return list(rows), s.get(ParcelTracking, parcel_id)


@reads
def _rows(s: Session, query: Any) -> list[Any]:
    return list(s.execute(query).scalars().all())


async def test_a_handed_over_parcel_is_pending_until_the_simulated_carrier_delivers_it(
    packer, supervisor, db
):
    order_id, [parcel] = await shipped(packer, db)
    assert tracking_of(packer, parcel)["status"] == "pending"
    assert order_status(packer, order_id) == "shipped"
    counts = supervisor.post("/api/v1/tracking/poll").json()
    assert counts["asked"] >= 1 and counts["failed"] == 0 and counts["delivered_orders"] >= 1
    story = tracking_of(packer, parcel)
    assert story["status"] == "delivered" and story["delivered_at"]
    assert [e["status"] for e in story["events"]] == [
        "picked_up", "in_transit", "out_for_delivery", "delivered",
    ]  # fmt: skip
    assert order_status(packer, order_id) == "delivered"
    # A delivered parcel is not asked about again, and a second pass writes nothing.
    before = await events_written(db)
    supervisor.post("/api/v1/tracking/poll")
    assert await events_written(db) == before
    row = await db.run(_tracking_row, parcel["id"])
    assert row is not None and row.next_poll_at is None
    await no_violations(db)


async def test_an_order_is_delivered_when_its_last_parcel_is(packer, db):
    order_id, (first, second) = await shipped(packer, db, parcels=2)
    r = webhook(packer, first["tracking"], [event("in_transit", "2026-12-01", "08:00")])
    assert r.status_code == 200, r.text
    assert (
        r.json()["status"] == "in_transit" and tracking_of(packer, first)["status"] == "in_transit"
    )
    webhook(packer, first["tracking"], [event("delivered", "2026-12-02", "10:30")])
    assert tracking_of(packer, first)["status"] == "delivered"
    assert order_status(packer, order_id) == "shipped"  # one parcel still on its way
    r = webhook(packer, second["tracking"], [event("delivered", "2026-12-02", "11:00")])
    assert r.json()["order_delivered"] is True
    assert order_status(packer, order_id) == "delivered"
    await no_violations(db)


async def test_an_older_event_is_recorded_without_moving_the_state_back(packer, db):
    _, [parcel] = await shipped(packer, db)
    webhook(packer, parcel["tracking"], [event("out_for_delivery", "2026-12-02", "12:00")])
    r = webhook(packer, parcel["tracking"], [event("in_transit", "2026-12-02", "09:00", "late")])
    assert r.json() | {"tracking": ""} == {
        "tracking": "", "status": "out_for_delivery", "new_events": 1, "applied": 0,
        "order_delivered": False,
    }  # fmt: skip
    webhook(packer, parcel["tracking"], [event("delivered", "2026-12-02", "15:00")])
    webhook(packer, parcel["tracking"], [event("in_transit", "2026-12-03", "09:00", "after")])
    story = tracking_of(packer, parcel)
    assert story["status"] == "delivered"  # a final state is never left
    assert [(e["description"], e["applied"]) for e in story["events"]] == [
        ("late", False), ("out_for_delivery", True), ("delivered", True), ("after", False),
    ]  # fmt: skip


async def test_a_webhook_delivered_twice_records_its_events_once(packer, db):
    _, [parcel] = await shipped(packer, db)
    events = [event("picked_up", "2026-12-01", "07:00"), event("in_transit", "2026-12-01", "09:00")]
    assert webhook(packer, parcel["tracking"], events).json()["new_events"] == 2
    before = await events_written(db)
    again = webhook(packer, parcel["tracking"], events).json()
    assert again["new_events"] == 0 and again["status"] == "in_transit"
    assert await events_written(db) == before


async def test_unsigned_replayed_or_unknown_webhooks_are_refused_and_write_nothing(packer, db):
    _, [parcel] = await shipped(packer, db)
    good = [event("in_transit", "2026-12-01", "09:00")]
    before = await events_written(db)
    r = packer.post("/webhooks/tracking/generic", content=b"{}")
    problem(r, 401, "missing_signature")
    problem(webhook(packer, parcel["tracking"], good, secret="wrong"), 401, "bad_signature")
    stale = int(time.time()) - 3600
    problem(webhook(packer, parcel["tracking"], good, at=stale), 401, "replayed_webhook")
    problem(webhook(packer, parcel["tracking"], good, carrier="nobody"), 404, "unknown_carrier")
    problem(webhook(packer, "LG999999999990", good), 404, "unknown_tracking")
    problem(webhook(packer, "", good, body=b'{"data": {"events": []}}'), 422, "bad_payload")
    assert await events_written(db) == before
    assert tracking_of(packer, parcel)["status"] == "pending"


async def test_the_buyers_page_asks_for_the_postal_code_and_shows_no_personal_data(
    packer, anonymous, db
):
    _, [parcel] = await shipped(packer, db)
    webhook(packer, parcel["tracking"], [event("in_transit", "2026-12-01", "09:00", "Sorted")])
    number = parcel["tracking"]
    asked = anonymous.get(f"/track/{number}")
    assert asked.status_code == 200 and "postal code" in asked.text
    assert "Sorted" not in asked.text and "In transit" not in asked.text
    wrong = anonymous.get(f"/track/{number}", params={"postal_code": "99999"})
    unknown = anonymous.get("/track/LG999999999990", params={"postal_code": "62701"})
    assert wrong.status_code == unknown.status_code == 404 and "Sorted" not in wrong.text
    shown = anonymous.get(f"/track/{number.lower()}", params={"postal_code": " 62701 "})
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
    assert "Lakeside Goods" in shown.text and "In transit" in shown.text and "Sorted" in shown.text
    for private in ("Ada Buyer", "5 Main St", "Springfield", "62701"):
        assert private not in shown.text
    assert "2026-12-01 09:00 UTC" in shown.text


async def test_a_carrier_that_fails_is_asked_again_later_and_later(packer, supervisor, db):
    registry.register(DownCarrier(code="down", name="Down Post", prefix="DP"))
    try:
        _, [parcel] = await shipped(packer, db, carrier="down")
        assert parcel["carrier"] == "down"
        counts = supervisor.post("/api/v1/tracking/poll").json()
        assert counts["failed"] == 1
        row = await db.run(_tracking_row, parcel["id"])
        assert row is not None and row.poll_failures == 1 and row.next_poll_at is not None
        wait = row.next_poll_at - utcnow()
        assert 2 * POLL_EVERY - timedelta(minutes=1) < wait <= 2 * POLL_EVERY  # backed off
        assert supervisor.post("/api/v1/tracking/poll").json()["failed"] == 0  # not due yet
        assert tracking_of(packer, parcel)["status"] == "pending"
    finally:
        registry.unregister("down")
    await no_violations(db)


@pytest.mark.parametrize(
    ("channel", "kind"),
    [("shopify-main", "shopify"), ("woo-main", "woocommerce"), ("own-main", "own")],
)
async def test_each_change_is_told_to_the_orders_channel_once_in_order(
    packer, db, fake_channels, channel, kind
):
    order_id, [parcel] = await shipped(packer, db, channel=channel)
    number = parcel["tracking"]
    steps = [("picked_up", "07:00"), ("in_transit", "09:00"), ("delivered", "16:30")]
    for status, clock in steps:
        assert webhook(packer, number, [event(status, "2026-12-01", clock)]).status_code == 200
    webhook(packer, number, [event("in_transit", "2026-12-01", "09:00")])  # a repeat: no news
    external = packer.get(f"/api/v1/orders/{order_id}").json()["external_id"]
    pushes = told(fake_channels, kind, external, 3)
    assert len(pushes) == 3 and not any(p.duplicate for p in pushes)
    if kind == "shopify":
        said = [p.body["event"]["status"] for p in pushes]
        assert said == ["confirmed", "in_transit", "delivered"]
        assert all("/fulfillments/255858046/events.json" in p.path for p in pushes)
    elif kind == "woocommerce":
        assert [number in p.body["note"] for p in pushes] == [True] * 3
        notes = [p.body["note"] for p in pushes]
        steps_said = zip(("picked_up", "in_transit", "delivered"), notes, strict=True)
        assert all(word in note for word, note in steps_said)
        assert [p.body["customer_note"] for p in pushes] == [False, False, True]
    else:
        assert [p.body["status"] for p in pushes] == ["picked_up", "in_transit", "delivered"]
        assert pushes[0].body["tracking"] == number
    assert order_status(packer, order_id) == "delivered"
    await no_violations(db)


async def test_a_later_change_waits_unclaimed_until_the_earlier_one_is_told(
    packer, db, fake_channels
):
    order_id, [parcel] = await shipped(packer, db, channel="own-main")
    number = parcel["tracking"]
    fake_channels.fail_next(3)  # the channel is down a while: the first change is retried
    steps = [event("picked_up", "2026-12-01", "07:00"), event("in_transit", "2026-12-01", "09:00")]
    assert webhook(packer, number, steps).status_code == 200
    external = packer.get(f"/api/v1/orders/{order_id}").json()["external_id"]
    pushes = told(fake_channels, "own", external, 2)
    assert [p.body["status"] for p in pushes] == ["picked_up", "in_transit"]
    await outbox_settled(db, "tracking_event")  # told, and the worker has written it down
    rows, row = await db.run(_told_rows, parcel["id"])
    first, second = rows
    assert first.after_event is None and second.after_event == first.event_id
    assert row is not None and row.last_told == second.event_id
    # Never taken before the first was told: one attempt, no failure counted, no back-off.
    assert (second.status, second.attempts, second.last_error) == ("sent", 1, "")
    await no_violations(db)


async def test_tiktok_follows_the_provider_itself_and_gets_no_event_call(packer, db, fake_channels):
    order_id, [parcel] = await shipped(packer, db, channel="tiktok-main")
    webhook(packer, parcel["tracking"], [event("in_transit", "2026-12-01", "09:00")])
    await outbox_settled(db, "tracking_event")
    external = packer.get(f"/api/v1/orders/{order_id}").json()["external_id"]
    assert [p for p in fake_channels.pushes_for("tiktok", "tracking_event")] == []
    assert [p.ref for p in fake_channels.pushes_for("tiktok", "tracking")].count(external) == 1


async def test_a_parcel_without_news_for_too_long_is_raised_as_an_exception_once(
    packer, supervisor, db
):
    registry.register(DownCarrier(code="down", name="Down Post", prefix="DP"))
    try:
        order_id, [parcel] = await shipped(packer, db, carrier="down")
        # Handed over three days ago, never heard of since.
        await db.run(_handed_over, parcel["id"], utcnow() - timedelta(days=3))
        assert supervisor.post("/api/v1/tracking/poll").json()["late"] >= 1
        supervisor.post("/api/v1/tracking/poll")
    finally:
        registry.unregister("down")
    raised = [e for e in supervisor.get("/api/v1/exceptions").json() if e["order_id"] == order_id]
    assert [e["kind"] for e in raised] == ["parcel_late"]
    assert (
        parcel["tracking"] in raised[0]["message"] and "contact the carrier" in raised[0]["message"]
    )


async def test_a_parcel_returned_to_sender_opens_a_return_and_an_exception(packer, supervisor, db):
    order_id, [parcel] = await shipped(packer, db)
    for clock in ("09:00", "11:00"):  # told twice: one return, one exception
        r = webhook(packer, parcel["tracking"], [event("return_to_sender", "2026-12-02", clock)])
        assert r.status_code == 200, r.text
    raised = [e for e in supervisor.get("/api/v1/exceptions").json() if e["order_id"] == order_id]
    assert [e["kind"] for e in raised] == ["parcel_returning"]
    returns = await db.run(_rows, select(Return).where(Return.order_id == order_id))
    assert [(r.source, r.status) for r in returns] == [("carrier", "open")]
    lines = await db.run(_rows, select(ReturnLine).where(ReturnLine.return_id == returns[0].id))
    assert [(line.sku, line.qty) for line in lines] == [("SKU-0003", 1)]
    got = supervisor.get(f"/api/v1/returns/{returns[0].id}")
    assert got.status_code == 200, got.text
    await no_violations(db)


async def test_a_parcel_past_its_estimated_delivery_is_raised_as_late(packer, supervisor, db):
    order_id, [parcel] = await shipped(packer, db)
    # Heard of today (not silent): late only because its estimate has passed.
    today = event("in_transit", utcnow().date().isoformat(), "00:00")
    body = json.dumps({"id": "evt-eta", "type": "tracker_updated", "data": {
        "tracking_number": parcel["tracking"], "estimated_delivery": "2026-01-02",
        "events": [today]}}).encode()  # fmt: skip
    assert webhook(packer, parcel["tracking"], [], body=body).status_code == 200
    assert tracking_of(packer, parcel)["estimated_delivery"].startswith("2026-01-02")
    assert supervisor.post("/api/v1/tracking/poll").json()["late"] >= 1
    raised = [e for e in supervisor.get("/api/v1/exceptions").json() if e["order_id"] == order_id]
    assert [e["kind"] for e in raised] == ["parcel_late"]


async def test_the_poller_stops_asking_about_a_parcel_after_its_age(packer, supervisor, db):
    registry.register(DownCarrier(code="down", name="Down Post", prefix="DP"))
    try:
        _, [parcel] = await shipped(packer, db, carrier="down")
        await db.run(_handed_over, parcel["id"], utcnow() - MAX_AGE - timedelta(days=1))
        supervisor.post("/api/v1/tracking/poll")
    finally:
        registry.unregister("down")
    row = await db.run(_tracking_row, parcel["id"])
    assert row is not None and row.next_poll_at is None and row.troubled == "late"


async def test_wms_worker_polls_the_parcels_in_a_process_of_its_own(packer, db, database_url):
    # Last in the module: the worker asks about every parcel still due, not only this one.
    order_id, [parcel] = await shipped(packer, db)
    assert tracking_of(packer, parcel)["status"] == "pending"
    # The server's own poller looked once as it started and waits an hour: only the worker
    # asks. It reads the site's carriers from WMS_CARRIERS, set for the module's server.
    env = {**os.environ, "WMS_DATABASE_URL": database_url}
    worker = subprocess.Popen([sys.executable, "-m", "wms.cli", "worker"], env=env)
    try:
        wait_until(
            lambda: tracking_of(packer, parcel)["status"] == "delivered",
            "the worker's poller to hear the parcel delivered",
            timeout=30,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert order_status(packer, order_id) == "delivered"
    await no_violations(db)
