"""One order, one tote on a real server: the picker fetches the order's tote, the packer is
told every tote the order is in and packs only when all of them are at the bench."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from terminal.screens.error import ErrorScreen
from tests.floor.shipping_fixtures import (  # noqa: F401 (fixtures)
    db,  # noqa: F811
    docs_dir,
    floor,  # noqa: F811
    printer,  # noqa: F811
)
from tests.floor.test_one_tote import _backordered_in_a_tote, _confirm, _post
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import (
    order_status,
    pick_to_the_drop,
    step,
    take_in,
    terminal,
    violations,
)
from wms.loopback import ThreadServer


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with ThreadServer(database_url) as srv:  # with workers: labels go out through the outbox
        yield srv


def _release(supervisor: httpx.Client, order_ids: list[int]) -> dict[str, Any]:
    r = _post(supervisor, "/api/v1/waves/", {"order_ids": order_ids, "iterations": 5})
    assert r.status_code == 201, r.text
    return r.json()


def _dropped_short(url: str, place: str) -> tuple[dict[str, Any], str, str]:
    """An order picked by picker2 but for two units (backordered), dropped in its tote; then
    the two arrive at `place` and the order is ready again. (order, tote, drop)."""
    with (
        api.client(url, api.login(url, "picker2")) as picker2,
        api.client(url, api.login(url, "supervisor")) as supervisor,
    ):
        return _backordered_in_a_tote(
            picker2,
            supervisor,
            lambda *lines: take_in(url, list(lines)),
            lambda ids: _release(supervisor, ids),
            place,
        )


async def test_the_picker_fetches_the_tote_the_order_is_already_in(
    floor,  # noqa: F811
    printer,  # noqa: F811
    database_url,
    tmp_path,
):
    order, tote, drop = _dropped_short(floor.url, "A01-07-2")
    with api.client(floor.url, api.login(floor.url, "supervisor")) as supervisor:
        _release(supervisor, [order["id"]])
    picker = terminal(floor.url, tmp_path, "fetch")
    async with picker.run_test(size=(20, 16)) as pilot:
        await log_in(pilot, "B1001")
        await scan(pilot, "1")
        await wait_for(pilot, lambda: step(picker) == "fetch")
        text = screen_text(picker)
        # Not a new tote: the one the order is in, and where it waits.
        assert f"FETCH {tote}" in text and "SCAN TOTE" not in text
        assert f"Fetch {tote} at {drop}" in text.replace("\n", " ")
        await scan(pilot, "T0999")  # another tote is not this order's
        assert isinstance(picker.screen, ErrorScreen) and tote in screen_text(picker)
        await pilot.press("enter")
        await scan(pilot, tote)
        await wait_for(pilot, lambda: step(picker) == "location")
        assert picker.screen.tote_of(picker.screen.stop) == tote
        await pick_to_the_drop(pilot)
        await scan(pilot, picker.screen.batch["drop_location"])
        await wait_for(pilot, lambda: picker.waiting == 0 and step(picker) == "done")
        assert picker.journal is not None
        assert all(s["status"] == "sent" for s in await picker.journal.steps())
    with api.client(floor.url, api.login(floor.url, "supervisor")) as supervisor:
        inside = supervisor.get(f"/api/v1/totes/{tote}").json()
    assert inside["order_id"] == order["id"]
    assert sorted((i["sku"], i["qty"]) for i in inside["items"]) == [
        ("SKU-0009", 3),
        ("SKU-0012", 1),
    ]
    assert await violations(database_url) == []


async def test_the_packer_is_told_every_tote_and_packs_when_all_are_at_the_bench(
    floor,  # noqa: F811
    printer,  # noqa: F811
    database_url,
    tmp_path,
):
    order, first, drop = _dropped_short(floor.url, "A01-07-4")
    with api.client(floor.url, api.login(floor.url, "picker2")) as picker2:
        with api.client(floor.url, api.login(floor.url, "supervisor")) as supervisor:
            _release(supervisor, [order["id"]])
        batch = _post(picker2, "/api/v1/picking/next").json()
        # The first tote is not fetched: the rest goes into a second one.
        second = f"T{batch['id']:04d}09"
        url = f"/api/v1/picking/batches/{batch['id']}"
        r = _post(picker2, f"{url}/totes", {"slot": 1, "tote": second})
        assert r.status_code == 200, r.text
        [stop] = [s for s in r.json()["stops"] if s["status"] == "open"]
        _confirm(picker2, stop, second)
        assert _post(picker2, f"{url}/finish", {"drop": drop}).status_code == 200
    packer = terminal(floor.url, tmp_path, "two-totes")
    async with packer.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "B2001")
        await scan(pilot, "2")
        await scan(pilot, second)
        await wait_for(pilot, lambda: step(packer) == "totes")
        text = screen_text(packer)
        assert f"SCAN TOTE {first}" in text  # told before packing starts
        assert f"{first} {drop}" in text and f"{second} ok" in text
        await scan(pilot, "2600000000123")  # an item: packing waits for the other tote
        assert isinstance(packer.screen, ErrorScreen) and first in screen_text(packer)
        await pilot.press("enter")
        await scan(pilot, "T9999001")  # not this order's tote
        assert isinstance(packer.screen, ErrorScreen)
        await pilot.press("enter")
        assert step(packer) == "totes"
        await scan(pilot, first)
        await wait_for(pilot, lambda: step(packer) == "verify")
        assert packer.screen.view["totes_missing"] == []
        for line in list(packer.screen.view["lines"]):
            for _ in range(line["picked"] - line["verified"]):
                await scan(pilot, line["barcodes"][0])
        await wait_for(pilot, lambda: step(packer) == "carton")
        await scan(pilot, "")
        await scan(pilot, "1500")
        await wait_for(pilot, lambda: step(packer) != "printing", timeout=20)
        assert step(packer) == "packed", screen_text(packer)
    assert order_status(floor.url, order["id"]) == "packed"
    with api.client(floor.url, api.login(floor.url, "supervisor")) as supervisor:
        for tote in (first, second):  # both back in circulation
            assert supervisor.get(f"/api/v1/totes/{tote}").json()["order_id"] is None
    assert await violations(database_url) == []
