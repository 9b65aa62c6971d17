"""A label that failed on a printer out of paper is reprinted from the console's exceptions."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import Page, expect

from printers.simulator import SimulatorThread
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    packer,
    picked_order,
    printer,
    wait_job,
)
from tests.support.api import idem
from tests.support.waiting import await_until
from tests.web.conftest import sign_in
from wms.services import printing

SKU3 = "2800000000035"  # SKU-0003's barcode


def pack_one(packer: httpx.Client, order_id: int) -> dict:
    r = packer.post("/api/v1/packing/start", json={"station": "PACK-01", "scan": str(order_id)},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    r = packer.post(f"/api/v1/packing/orders/{order_id}/verify", json={"scan": SKU3},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    r = packer.post(f"/api/v1/packing/orders/{order_id}/parcels",
                    json={"carton": "BOX-S", "weight_g": 700}, headers=idem())  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_failed_label_is_reprinted_from_the_console_after_paper_out(
    page: Page, floor, packer, db, printer, monkeypatch
):
    monkeypatch.setattr(printing, "MAX_ATTEMPTS", 1)  # the server runs in this process
    order_id = await picked_order(db, [("SKU-0003", 1)])
    printed = len(printer.labels)
    printer.set_fault("paper_out")
    try:
        job_id = pack_one(packer, order_id)["parcel"]["label_job"]["id"]
        job = await asyncio.to_thread(wait_job, packer, job_id, "failed", timeout=15)
        assert job["status"] == "failed" and "Load labels" in job["error"]
    finally:
        printer.clear()
    await sign_in(page, floor.url)
    await expect(page.locator("[data-alert=failed_prints] b")).not_to_have_text("0")
    await page.click("[data-alert=failed_prints] a")
    row = page.locator(f"tr[data-job='{job_id}']")
    await expect(row).to_contain_text("Load labels")
    await row.locator("text=Reprint").click()
    notice = page.locator(".notice")
    await expect(notice).to_contain_text("Label queued again")
    again = int((await notice.inner_text()).rsplit(" ", 1)[1].strip(")"))
    done = await asyncio.to_thread(wait_job, packer, again, "done", "failed", timeout=15)
    assert done["status"] == "done"
    await await_until(
        lambda: len(printer.labels) >= printed + 1, "the label to print after the paper is back"
    )
    assert len(printer.labels) == printed + 1  # printed once, after the paper came back
    await expect(page.locator(f"tr[data-job='{job_id}']")).to_have_count(0)
    await no_violations(db)


async def test_a_failed_label_is_sent_to_another_printer_while_its_own_is_still_out(
    page: Page, floor, packer, db, printer, monkeypatch
):
    monkeypatch.setattr(printing, "MAX_ATTEMPTS", 1)
    order_id = await picked_order(db, [("SKU-0003", 1)])
    with SimulatorThread() as spare:
        printer.set_fault("paper_out")
        try:
            job_id = pack_one(packer, order_id)["parcel"]["label_job"]["id"]
            job = await asyncio.to_thread(wait_job, packer, job_id, "failed", timeout=15)
            assert job["status"] == "failed"
            await sign_in(page, floor.url)
            await page.goto(f"{floor.url}/ui/exceptions")
            row = page.locator(f"tr[data-job='{job_id}']")
            await row.locator("input[name=printer_url]").fill(spare.url)
            await row.locator("text=Send to this printer").click()
            await expect(page.locator(".notice")).to_contain_text(f"sent to {spare.url}")
            await asyncio.to_thread(spare.wait_for_labels, 1, 10.0)
            assert printer.pending == []  # nothing waits in the broken printer to come out later
        finally:
            printer.clear()
    assert len(spare.labels) == 1 and spare.labels[0].startswith(b"^XA")
    await no_violations(db)
