"""A label that may have printed, at the packer's terminal on a real server and printer
simulator: "Check printer", and a reprint only when the packer says it did not come out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from terminal.screens.error import ErrorScreen
from tests.floor.shipping_fixtures import (  # noqa: F401 (fixtures)
    db,  # noqa: F811
    docs_dir,
    floor,  # noqa: F811
    picked_order,
    printer,  # noqa: F811
    snapshot,
)
from tests.support import api
from tests.terminal.conftest import log_in, scan, screen_text, wait_for
from tests.terminal.real import step, terminal, violations
from wms.loopback import ThreadServer


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with ThreadServer(database_url) as srv:  # with workers: labels go out through the outbox
        yield srv


async def test_an_unknown_label_is_reprinted_only_when_the_packer_says_it_is_not_out(
    floor,  # noqa: F811
    printer,  # noqa: F811
    db,  # noqa: F811
    database_url,
    tmp_path,
):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    app = terminal(floor.url, tmp_path, "label-unknown")
    printed = len(printer.labels)
    printer.set_cutting(1)  # the label comes out, the connection drops before any answer
    try:
        async with app.run_test(size=(20, 16)) as pilot:
            await log_in(pilot, "B2001")
            await scan(pilot, "2")
            await scan(pilot, str(order_id))
            await wait_for(pilot, lambda: step(app) == "verify")
            await scan(pilot, app.screen.view["lines"][0]["barcodes"][0])
            await wait_for(pilot, lambda: step(app) == "carton")
            await scan(pilot, "")
            await scan(pilot, "700")
            await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), timeout=20)
            assert "Check printer" in screen_text(app)
            assert "did the label come out" in screen_text(app).replace("\n", " ").lower()
            printer.clear()
            parcel = app.screen_stack[-2].parcel  # the pack screen under the notice
            job = parcel["label_job"]["id"]
            with api.client(floor.url, api.login(floor.url, "supervisor")) as supervisor:
                assert supervisor.get(f"/api/v1/print-jobs/{job}").json()["status"] == "unknown"
                assert len(printer.labels) == printed + 1  # it did come out
                await pilot.press("enter")
                jobs = (await snapshot(db))["counts"]["PrintJob"]
                await pilot.press("f7")  # the server refuses: it may have printed
                await wait_for(pilot, lambda: step(app) == "label_out")
                text = screen_text(app)
                assert "LABEL OUT?" in text and "1 yes / 2 no" in text
                await scan(pilot, "1")  # yes: nothing is marked, nothing printed
                assert step(app) == "packed" and "PUT LABEL ON" in screen_text(app)
                assert (await snapshot(db))["counts"]["PrintJob"] == jobs
                assert supervisor.get(f"/api/v1/print-jobs/{job}").json()["status"] == "unknown"
                await pilot.press("f7")
                await wait_for(pilot, lambda: step(app) == "label_out")
                await scan(pilot, "2")  # no: the first job ends failed, one more label
                await wait_for(pilot, lambda: len(printer.labels) == printed + 2, timeout=20)
                assert parcel["sscc"].encode() in printer.labels[-1]
                await wait_for(pilot, lambda: step(app) == "packed", timeout=10)
                assert not isinstance(app.screen, ErrorScreen), screen_text(app)
                first = supervisor.get(f"/api/v1/print-jobs/{job}").json()
                assert first["status"] == "failed" and "did not come out" in first["error"]
                assert (await snapshot(db))["counts"]["PrintJob"] == jobs + 1
                again = supervisor.get("/api/v1/print-jobs", params={"status": "unknown"})
                assert job not in [j["id"] for j in again.json()]
    finally:
        printer.clear()
    assert len(printer.labels) == printed + 2  # two labels, never three
    assert await violations(database_url) == []
