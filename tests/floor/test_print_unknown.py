"""A label that may have printed is `unknown`, and its reprint waits for a look at the printer."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import httpx

from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    packer,
    picked_order,
    printer,
    snapshot,
    wait_job,
)
from tests.floor.test_print_dispatch import SKU3, pack_one
from tests.support.api import idem, problem


async def _unknown_label(packer: httpx.Client, db, printer) -> tuple[dict, dict]:
    order_id = await picked_order(db, [("SKU-0003", 1)])
    r = pack_one(packer, order_id, SKU3)
    assert r.status_code == 201, r.text
    parcel = r.json()["parcel"]
    job = wait_job(packer, parcel["label_job"]["id"], "done", "unknown", "failed")
    return parcel, job


def _reprint(packer: httpx.Client, parcel: dict, **params: str) -> httpx.Response:
    url = f"/api/v1/packing/parcels/{parcel['id']}/reprint"
    return packer.post(url, params=params, headers=idem())


async def _reprint_asks_first(packer, db, printer, parcel: dict, job: dict) -> None:
    """Refused (nothing queued) until the packer says the label is not there; then once."""
    printed = len(printer.labels)
    jobs = (await snapshot(db))["counts"]["PrintJob"]
    body = problem(_reprint(packer, parcel), 409, "label_may_have_printed")
    assert len(body["title"]) <= 20 and body["job"] == job["id"]
    assert (await snapshot(db))["counts"]["PrintJob"] == jobs
    r = _reprint(packer, parcel, label_missing="true")
    assert r.status_code == 201 and r.json()["created"], r.text
    again = wait_job(packer, r.json()["job"]["id"], "done", "unknown", "failed")
    assert again["status"] == "done" and again["reprint_of"] == job["id"]
    assert len(printer.wait_for_labels(printed + 1)) == printed + 1
    first = packer.get(f"/api/v1/print-jobs/{job['id']}").json()
    assert first["status"] == "failed" and "did not come out" in first["error"]


async def test_a_label_whose_connection_broke_as_it_printed_is_unknown_and_not_printed_again(
    packer, db, printer
):
    printed = len(printer.labels)
    printer.set_cutting(1)  # the label comes out, the connection drops before any answer
    try:
        parcel, job = await _unknown_label(packer, db, printer)
    finally:
        printer.clear()
    assert job["status"] == "unknown" and "check the printer" in job["error"]
    assert len(printer.labels) == printed + 1  # it did print: a silent resend would double it
    await _reprint_asks_first(packer, db, printer, parcel, job)
    await no_violations(db)


async def test_a_label_followed_by_paper_out_is_unknown_not_done(packer, db, printer):
    printer.set_running_out("paper_out")  # the roll ends with this label: paper flapping
    try:
        parcel, job = await _unknown_label(packer, db, printer)
    finally:
        printer.clear()
    assert job["status"] == "unknown" and "Load labels" in job["error"]
    await _reprint_asks_first(packer, db, printer, parcel, job)


async def test_the_supervisor_sees_unknown_labels_per_printer(packer, supervisor, db, printer):
    printer.set_cutting(1)
    try:
        _, job = await _unknown_label(packer, db, printer)
    finally:
        printer.clear()
    assert job["status"] == "unknown", job
    listed = supervisor.get("/api/v1/print-jobs", params={"status": "unknown"}).json()
    assert job["id"] in [j["id"] for j in listed]
    printers = {p["url"]: p for p in supervisor.get("/api/v1/printers").json()}
    assert printers[job["printer"]]["unknown"] >= 1
