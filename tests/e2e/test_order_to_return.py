"""The whole floor through a real server: channel orders in, picked by two pickers at once,
packed with labels on the printer simulator, handed over, tracked, returned, restocked."""
# ruff: noqa: F811  (pytest fixtures are imported from the floor test modules)

from __future__ import annotations

import threading
import types
import uuid

import httpx

from tests.fakes.payloads import make_shopify_order, make_tiktok_order, make_tiktok_webhook
from tests.fakes.webhooks import signed_webhook
from tests.floor.conftest import badge_login, pick_all, release_wave  # noqa: F401
from tests.floor.shipping_fixtures import db, docs_dir, floor, packer, printer, wait_job  # noqa: F401
from tests.printers.conftest import decode, zebrash_render
from tests.support.api import idem, problem
from tests.support.waiting import wait_until
from wms.services.check import violations

SHIP_TO = {
    "name": "Rosa Diaz",
    "line1": "9 Elm St",
    "city": "Denver",
    "region": "CO",
    "postal_code": "80202",
    "country": "US",
}


def _unit(codes: list[str]) -> str:
    return next(c for c in codes if len(c) in (12, 13))


def _orders_from_every_channel(anonymous, integration, supervisor, fake) -> list[dict]:
    """Five orders: two Shopify webhooks, one TikTok (fetched), two from the own shop."""
    ids = []
    for n, lines in enumerate(({"SKU-0021": 2}, {"SKU-0022": 1, "SKU-0023": 1})):
        headers, body = signed_webhook(
            fake.config("shopify-main"), make_shopify_order(640000 + n, lines)
        )
        ids.append(
            anonymous.post("/webhooks/shopify-main", content=body, headers=headers).json()[
                "order_id"
            ]
        )
    tiktok_id = "5779" + str(uuid.uuid4().int)[:15]
    fake.tiktok.add_order(make_tiktok_order(tiktok_id, {"SKU-0024": 1, "SKU-0025": 2}))
    headers, body = signed_webhook(
        fake.config("tiktok-main"),
        make_tiktok_webhook(tiktok_id, f"e2e-{tiktok_id}", "AWAITING_SHIPMENT"),
    )
    assert (
        anonymous.post("/webhooks/tiktok-main", content=body, headers=headers).json()["status"]
        == "accepted"
    )
    for n, lines in enumerate(([("SKU-0026", 1)], [("SKU-0027", 3), ("SKU-0028", 1)])):
        r = integration.post(
            "/api/v1/orders/",
            params={"channel": "own-main"},
            json={
                "order_id": f"E2E-{uuid.uuid4().hex[:6]}-{n}",
                "currency": "USD",
                "ship_to": SHIP_TO,
                "lines": [{"sku": s, "qty": q, "unit_price": "12.00"} for s, q in lines],
            },
        )
        ids.append(r.json()["id"])
    tiktok = wait_until(
        lambda: next(
            (
                o
                for o in supervisor.get("/api/v1/orders/", params={"channel": "tiktok-main"}).json()
                if o["external_id"] == tiktok_id
            ),
            None,
        ),
        "the TikTok order to be fetched",
        timeout=20,
    )
    ids.append(tiktok["id"])
    orders = [supervisor.get(f"/api/v1/orders/{i}").json() for i in ids]
    assert [o["status"] for o in orders] == ["ready"] * 5
    return orders


def _careless_pick(client: httpx.Client, batch_id: int) -> list[str]:
    """A picker who scans wrong things, loses Wi-Fi (replays) and finds a stop short."""
    seen: list[str] = []
    url = f"/api/v1/picking/batches/{batch_id}"
    batch = client.get(url).json()
    for slot in batch["slots"]:
        if slot["tote"] is None:
            batch = client.post(
                f"{url}/totes",
                headers=idem(),
                json={"slot": slot["slot"], "tote": f"T8{batch_id:04d}{slot['slot']:02d}"},
            ).json()
    shorted = False
    while batch["next_task_id"] is not None:
        stop = next(s for s in batch["stops"] if s["task_id"] == batch["next_task_id"])
        confirm = f"/api/v1/picking/tasks/{stop['task_id']}/confirm"
        good = {
            "location": stop["location"],
            "item": _unit(stop["barcodes"]),
            "qty": stop["qty"] - stop["picked"],
            "tote": stop["tote"],
        }
        seen.append(
            problem(
                client.post(confirm, headers=idem(), json={**good, "location": "B20-15-2"}),
                422,
                "wrong_location",
            )["code"]
        )
        seen.append(
            problem(
                client.post(confirm, headers=idem(), json={**good, "item": "2000000000017"}),
                422,
                "wrong_item",
            )["code"]
        )
        if not shorted and good["qty"] >= 2:
            shorted = True
            r = client.post(
                f"/api/v1/picking/tasks/{stop['task_id']}/short",
                headers=idem(),
                json={"found": good["qty"] - 1, "item": good["item"], "tote": good["tote"]},
            )
            assert r.status_code == 200, r.text
            seen.append("short")
            batch = r.json()
            continue
        key = idem()
        first = client.post(confirm, headers=key, json=good)
        assert first.status_code == 200, first.text
        again = client.post(confirm, headers=key, json=good)  # the answer was lost: replay
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json() == first.json()
        batch = first.json()
    r = client.post(f"{url}/finish", headers=idem(), json={"drop": batch["drop_location"]})
    assert r.status_code == 200, r.text
    return seen


def _outbox_errors(database_url: str) -> list[tuple[str, str, str]]:
    import asyncio

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from wms.db import Database, reads
    from wms.models import Outbox

    @reads
    def _errors(s: Session) -> list[tuple[str, str, str]]:
        rows = s.execute(
            select(Outbox.kind, Outbox.status, Outbox.last_error).where(
                Outbox.kind == "tracking_push"
            )
        )
        return [tuple(r) for r in rows]

    async def go() -> list[tuple[str, str, str]]:
        database = Database(database_url)
        try:
            return await database.run(_errors)
        finally:
            await database.dispose()

    return asyncio.run(go())


def _label_scans(zpl: bytes, folder) -> set[str]:
    """Render the captured ZPL with zpl-renderer-js and decode it with zxing-cpp."""
    label = types.SimpleNamespace(width_mm=101.6, height_mm=152.4)
    pngs = zebrash_render([(zpl, folder / "label", label, 203)])[0]  # type: ignore[list-item]
    return {b.text for png in pngs for b in decode(png)}


def test_channel_orders_are_picked_packed_shipped_tracked_and_a_return_restocked(
    floor,
    anonymous,
    integration,
    supervisor,
    fake_channels,
    badge_login,
    release_wave,
    packer,
    printer,
    database_url,
    tmp_path,
):
    orders = _orders_from_every_channel(anonymous, integration, supervisor, fake_channels)
    wave = release_wave([o["id"] for o in orders], cart_totes=3)
    assert len(wave["batches"]) >= 2

    # Two pickers at the same moment: each gets a batch of its own.
    pickers = [badge_login("B1001"), badge_login("B1002")]
    batches = [p.post("/api/v1/picking/next", headers=idem()).json() for p in pickers]
    assert batches[0]["id"] != batches[1]["id"]
    outcome: dict[int, object] = {}

    def work(n: int) -> None:
        try:
            outcome[n] = (
                _careless_pick(pickers[0], batches[0]["id"])
                if n == 0
                else pick_all(pickers[1], batches[1]["id"])
            )
        except BaseException as exc:  # surfaced below, in the test's own thread
            outcome[n] = exc

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for value in outcome.values():
        if isinstance(value, BaseException):
            raise value
    assert {"wrong_location", "wrong_item"} <= set(outcome[0])  # type: ignore[arg-type]
    while (r := pickers[1].post("/api/v1/picking/next", headers=idem())).status_code == 200:
        pick_all(pickers[1], r.json()["id"])  # whatever is left, incl. a re-allocated stop

    # Pack every order whose units are all picked; labels go to the simulator.
    parcels = []
    for order in orders:
        view = supervisor.get(f"/api/v1/orders/{order['id']}").json()
        if view["status"] != "picked":
            continue  # the short stop's order waits for its backorder
        r = packer.post(
            "/api/v1/packing/start",
            headers=idem(),
            json={"station": "PACK-01", "scan": view["reference"]},
        )
        assert r.status_code == 200, r.text
        pack = r.json()
        for line in pack["lines"]:
            for _ in range(line["qty"]):
                r = packer.post(
                    f"/api/v1/packing/orders/{order['id']}/verify",
                    headers=idem(),
                    json={"scan": _unit(line["barcodes"])},
                )
                assert r.status_code == 200, r.text
        problem(
            packer.post(
                f"/api/v1/packing/orders/{order['id']}/verify",
                headers=idem(),
                json={"scan": _unit(pack["lines"][0]["barcodes"])},
            ),
            422,
            "too_many",
        )
        r = packer.post(
            f"/api/v1/packing/orders/{order['id']}/parcels",
            headers=idem(),
            json={"carton": r.json()["suggested_carton"], "weight_g": 900},
        )
        assert r.status_code == 201, r.text
        parcel = r.json()["parcel"]
        assert wait_job(packer, parcel["label_job"]["id"], "done")["status"] == "done"
        parcels.append((order, parcel))
    assert len(parcels) >= 3

    # The label the printer received scans as the shipment's tracking number and SSCC.
    order, parcel = parcels[0]
    zpl = next(lbl for lbl in printer.labels if parcel["tracking"].encode() in lbl)
    scans = _label_scans(zpl, tmp_path)
    assert parcel["tracking"] in scans
    assert any(parcel["sscc"] in s for s in scans)

    # Handover: parcels scanned onto a manifest ship their orders; channels get tracking.
    manifest = packer.post("/api/v1/manifests", headers=idem(), json={"carrier": "generic"}).json()
    for _, parcel in parcels:
        r = packer.post(
            f"/api/v1/manifests/{manifest['id']}/scan",
            headers=idem(),
            json={"scan": parcel["sscc"]},
        )
        assert r.status_code == 200 and r.json()["order_status"] == "shipped", r.text
    shopify = [(o, p) for o, p in parcels if o["channel"] == "shopify-main"] or parcels[:1]
    kind = "shopify" if shopify[0][0]["channel"] == "shopify-main" else "own"
    try:
        wait_until(
            lambda: [
                p
                for p in fake_channels.pushes_for(kind, "tracking")
                if shopify[0][1]["tracking"] in str(p.body)
            ],
            f"{kind} to be told the tracking number",
            timeout=20,
        )
    except AssertionError:
        raise AssertionError(f"no tracking push: {_outbox_errors(database_url)}") from None

    # A return by hand, graded back to stock: sellable at once.
    order, parcel = parcels[-1]
    sku = order["lines"][0]["sku"]
    before = supervisor.get(f"/api/v1/stock/availability/{sku}").json()["sellable"]
    ret = packer.post(
        "/api/v1/returns/",
        headers=idem(),
        json={"order": order["reference"], "reason": "changed mind"},
    ).json()
    assert (
        packer.post(
            "/api/v1/returns/receive", headers=idem(), json={"scan": parcel["tracking"]}
        ).json()["id"]
        == ret["id"]
    )
    r = packer.post(
        f"/api/v1/returns/{ret['id']}/grade", headers=idem(), json={"scan": sku, "grade": "restock"}
    )
    assert r.status_code == 200, r.text
    assert supervisor.get(f"/api/v1/stock/availability/{sku}").json()["sellable"] == before + 1

    import asyncio

    from wms.db import Database

    async def check() -> list[str]:
        database = Database(database_url)
        try:
            return await violations(database)
        finally:
            await database.dispose()

    assert asyncio.run(check()) == []
