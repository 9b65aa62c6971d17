"""Packing at a desk (80×24) on a real server: the order's lines in full, carton by number."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.floor.shipping_fixtures import (  # noqa: F401 (fixtures)
    db,  # noqa: F811
    docs_dir,
    floor,  # noqa: F811
    printer,  # noqa: F811
)
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import SHIP_TO, order_status, step, terminal, violations
from wms.loopback import ThreadServer

LONG = "Pixel Protein Bar Box Vanilla"  # SKU-0032: longer than a handheld's 20 columns


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with ThreadServer(database_url) as srv:  # with workers: labels go out through the outbox
        yield srv


def channel_order(url: str) -> dict:
    """An order whose channel calls its lines by names of its own."""
    body = {
        "order_id": f"DESK-{uuid.uuid4().hex[:8]}",
        "currency": "USD",
        "reference": "#DESK1",
        "lines": [
            {"sku": "SKU-0032", "qty": 2, "unit_price": "4.90", "name": "PROMO bar x2!!"},
            {"sku": "SKU-0003", "qty": 1, "unit_price": "9.90", "name": "earbuds (gift)"},
        ],
        "ship_to": SHIP_TO,
    }
    with api.client(url, api.INTEGRATION_TOKEN) as integration:
        r = integration.post("/api/v1/orders/", params={"channel": "own-main"}, json=body)
        assert r.status_code == 201, r.text
        order = r.json()
    with api.client(url, api.login(url, "supervisor")) as supervisor:
        rules = {"order_ids": [order["id"]], "iterations": 5}
        assert supervisor.post("/api/v1/waves/", json=rules, headers=api.idem()).status_code == 201
        batch = supervisor.post("/api/v1/picking/next", headers=api.idem()).json()
        tote = "T0601"
        url_b = f"/api/v1/picking/batches/{batch['id']}"
        supervisor.post(f"{url_b}/totes", json={"slot": 1, "tote": tote}, headers=api.idem())
        batch = supervisor.get(url_b).json()
        for stop in batch["stops"]:
            pick = {
                "location": stop["location"],
                "item": stop["barcodes"][0],
                "qty": stop["qty"],
                "tote": tote,
            }
            r = supervisor.post(
                f"/api/v1/picking/tasks/{stop['task_id']}/confirm", json=pick, headers=api.idem()
            )
            assert r.status_code == 200, r.text
        r = supervisor.post(
            f"{url_b}/finish", json={"drop": batch["drop_location"]}, headers=api.idem()
        )
        assert r.status_code == 200, r.text
    return order


async def test_the_desk_shows_every_line_in_full_and_a_carton_number_takes_that_carton(
    floor,  # noqa: F811
    printer,  # noqa: F811
    database_url,
    tmp_path,
):
    order = channel_order(floor.url)
    printed = len(printer.labels)
    app = terminal(floor.url, tmp_path, "desk")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "B2001")
        await scan(pilot, "2")
        await scan(pilot, "T0601")
        await wait_for(pilot, lambda: step(app) == "verify")
        text = screen_text(app)
        # Our product names, in full, with what is left of each line; not the channel's.
        assert LONG in text and "Sage Earbuds White" in text
        assert "PROMO" not in text and "gift" not in text
        row = next(line for line in text.split("\n") if line.startswith("SKU-0032  " + LONG))
        assert row.split()[-3:] == ["2", "0", "2"]
        lines = {line["sku"]: line for line in app.screen.view["lines"]}
        await scan(pilot, lines["SKU-0032"]["barcodes"][0])
        row = next(
            line for line in screen_text(app).split("\n") if line.startswith("SKU-0032  " + LONG)
        )
        assert row.split()[-3:] == ["2", "1", "1"]
        await scan(pilot, lines["SKU-0032"]["barcodes"][0])
        await scan(pilot, lines["SKU-0003"]["barcodes"][0])
        await wait_for(pilot, lambda: step(app) == "carton")
        cartons = app.screen.view["cartons"]
        text = screen_text(app).replace("\xa0", " ")
        assert all(f"{i} {c}" in text for i, c in enumerate(cartons, 1)), text
        await scan(pilot, str(len(cartons)))  # the largest, by its number
        assert step(app) == "weight" and app.screen.carton == cartons[-1]
        await scan(pilot, "1450")  # accepted as grams, not as a carton
        await wait_for(pilot, lambda: step(app) != "printing", timeout=20)
        assert step(app) == "packed", screen_text(app)
        parcel = app.screen.parcel
    assert parcel["carton"] == cartons[-1] and parcel["weight_g"] == 1450
    labels = printer.wait_for_labels(printed + 1)
    assert parcel["sscc"].encode() in labels[-1]
    assert order_status(floor.url, order["id"]) == "packed"
    assert await violations(database_url) == []
