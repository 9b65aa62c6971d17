"""The print dispatcher against the printer simulator on loopback: faults, recovery, no doubles."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printers import PrinterFault, PrinterSilent, PrinterStatus, PrinterUnreachable
from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    FakeScale,
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
from tests.support.api import idem, problem
from tests.support.waiting import await_until, wait_until
from wms.db import Database, reads
from wms.errors import WmsError
from wms.models.outbox import Outbox
from wms.models.shipping import PrintJob
from wms.services import print_dispatch, printing, stations


@reads
def _print_rows_to_deliver(session: Session) -> int:
    due = (Outbox.kind == "print") & Outbox.status.in_(("pending", "sending"))
    return int(session.execute(select(func.count()).where(due)).scalar_one())


async def outbox_done_printing(db: Database) -> None:
    """Wait until no print row is left for the outbox: no second delivery can come after."""

    async def nothing_left() -> bool:
        return await db.run(_print_rows_to_deliver) == 0

    await await_until(nothing_left, "the outbox to have no print row left to deliver")


def pack_one(packer: httpx.Client, order_id: int, sku_barcode: str, station: str = "PACK-01",
             weight: int | None = 700) -> httpx.Response:  # fmt: skip
    r = packer.post("/api/v1/packing/start", json={"station": station, "scan": str(order_id)},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    r = packer.post(f"/api/v1/packing/orders/{order_id}/verify", json={"scan": sku_barcode},
                    headers=idem())  # fmt: skip
    assert r.status_code == 200, r.text
    return packer.post(f"/api/v1/packing/orders/{order_id}/parcels",
                       json={"carton": "BOX-S", "weight_g": weight}, headers=idem())  # fmt: skip


SKU3 = "2800000000035"  # SKU-0003


async def test_paper_out_is_reported_to_the_packer_and_the_label_prints_once_after(
    packer, supervisor, db, printer
):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    printed = len(printer.labels)
    printer.set_fault("paper_out")
    try:
        r = pack_one(packer, order_id, SKU3)
        assert r.status_code == 201, r.text
        job_id = r.json()["parcel"]["label_job"]["id"]
        job = wait_until(
            lambda: (j := packer.get(f"/api/v1/print-jobs/{job_id}").json())["error"] and j,
            "the print job to report the paper-out",
        )
        assert job["status"] in ("queued", "printing") and "Load labels" in job["error"]
        station = packer.get("/api/v1/stations/PACK-01").json()
        assert station["label_printer"]["status"] == "paper_out"
        assert station["label_printer"]["message"] == "Load labels"
        # Between retries the job is queued; during one it is printing (the next attempt).
        waiting = [
            j["id"]
            for status in ("queued", "printing", "queued")
            for j in supervisor.get("/api/v1/print-jobs", params={"status": status}).json()
        ]
        assert job_id in waiting
        # Checked before sending: nothing went to the printer to come out later as a double.
        assert printer.pending == [] and len(printer.labels) == printed
    finally:
        printer.clear()
    job = wait_job(packer, job_id, "done", "failed", timeout=15)
    assert job["status"] == "done" and job["error"] is None
    await outbox_done_printing(db)  # a duplicate delivery would be a row still to deliver
    assert len(printer.labels) == printed + 1
    assert packer.get("/api/v1/stations/PACK-01").json()["label_printer"]["status"] == "ready"
    await no_violations(db)


async def test_a_reprint_while_the_label_still_waits_gives_back_the_same_job(packer, db, printer):
    order_id = await picked_order(db, [("SKU-0003", 1)])
    printed = len(printer.labels)
    printer.set_fault("head_open")
    try:
        parcel = pack_one(packer, order_id, SKU3).json()["parcel"]
        jobs = (await snapshot(db))["counts"]["PrintJob"]
        r = packer.post(f"/api/v1/packing/parcels/{parcel['id']}/reprint", headers=idem())
        assert r.status_code == 200 and not r.json()["created"]
        assert r.json()["job"]["id"] == parcel["label_job"]["id"]
        # (the outbox keeps retrying meanwhile, so only the job count is compared)
        assert (await snapshot(db))["counts"]["PrintJob"] == jobs
    finally:
        printer.clear()
    assert wait_job(packer, parcel["label_job"]["id"], "done")["status"] == "done"
    await outbox_done_printing(db)
    assert len(printer.labels) == printed + 1


async def test_an_unreachable_printer_is_offline_and_its_job_waits(
    packer, supervisor, db, docs_dir, floor
):
    path = docs_dir / "offline.json"
    url = "tcp://127.0.0.1:9?connect_timeout=0.2"  # nothing listens on the discard port
    path.write_text(json.dumps({"stations": [{"code": "PACK-04", "label_printer_url": url}]}))
    await stations.load_stations(db, path)
    order_id = await picked_order(db, [("SKU-0003", 1)])
    parcel = pack_one(packer, order_id, SKU3, station="PACK-04").json()["parcel"]
    job = wait_job(packer, parcel["label_job"]["id"], "queued")
    job = wait_until(
        lambda: (j := packer.get(f"/api/v1/print-jobs/{job['id']}").json())["error"] and j,
        "the print job to report the unreachable printer",
    )
    assert job["status"] in ("queued", "printing") and "Check power" in job["error"]
    station = packer.get("/api/v1/stations/PACK-04").json()
    assert station["label_printer"]["status"] == "offline" and station["document_printer"] is None
    assert station["scale"] is None
    printers = {p["url"]: p for p in supervisor.get("/api/v1/printers").json()}
    assert printers[url]["status"] == "offline" and printers[url]["queued"] >= 1
    assert printers[url]["message"] == "Check power and cable"


async def test_unknown_stations_and_jobs_are_not_found(packer):
    problem(packer.get("/api/v1/stations/PACK-77"), 404, "unknown_station")
    problem(packer.get("/api/v1/print-jobs/987654"), 404, "unknown_print_job")


async def test_the_supervisor_lists_of_print_jobs_and_printers_are_not_for_packers(packer):
    problem(packer.get("/api/v1/print-jobs"), 403, "forbidden")
    problem(packer.get("/api/v1/printers"), 403, "forbidden")


async def test_the_weight_comes_from_the_station_scale_when_none_is_typed(packer, db, docs_dir):
    scale = FakeScale(["S D      0.700 kg", "S S      0.812 kg"])
    try:
        path = docs_dir / "scale.json"
        path.write_text(json.dumps({"stations": [
            {"code": "PACK-03", "label_printer_url": "file://" + str(docs_dir / "labels3"),
             "scale_url": scale.url}]}))  # fmt: skip
        await stations.load_stations(db, path)
        order_id = await picked_order(db, [("SKU-0003", 1)])
        r = pack_one(packer, order_id, SKU3, station="PACK-03", weight=None)
        assert r.status_code == 201, r.text
        assert r.json()["parcel"]["weight_g"] == 812
        assert packer.get("/api/v1/stations/PACK-03").json()["scale"] == {"url": scale.url}
        # Replayed (Wi-Fi lost the answer): the first parcel, though the order is packed now.
        again = packer.post(
            str(r.request.url),
            content=r.request.content,
            headers={
                "Idempotency-Key": r.request.headers["Idempotency-Key"],
                "Content-Type": "application/json",
            },
        )
        assert (again.status_code, again.json()) == (201, r.json())
        assert again.headers["idempotent-replayed"] == "true"
    finally:
        scale.close()
    await no_violations(db)


def _add_job(s: Session, url: str, status: str) -> int:
    job = PrintJob(printer_url=url, kind="label", payload=b"^XA^XZ", status=status)
    s.add(job)
    s.flush()
    return job.id  # type: ignore[return-value]


async def bare_job(db: Database, url: str, status: str = "queued") -> int:
    """A job without its outbox row, so only this test delivers it (not the server's worker)."""
    return await db.run(_add_job, url, status)


@reads
def _job(s: Session, job_id: int) -> PrintJob | None:
    return s.get(PrintJob, job_id)


class _Worker:
    def __init__(self, db: object) -> None:
        self.db = db


async def test_a_job_that_keeps_failing_ends_failed_and_is_not_delivered_again(
    db, monkeypatch, floor
):
    job_id = await bare_job(db, "tcp://127.0.0.1:9?connect_timeout=0.1")
    monkeypatch.setattr(printing, "MAX_ATTEMPTS", 1)
    await print_dispatch.deliver_print(_Worker(db), {"job_id": job_id}, "e1")  # type: ignore[arg-type]
    row = await db.run(_job, job_id)
    assert row.status == "failed" and row.attempts == 1 and "Check power" in row.error
    await print_dispatch.deliver_print(_Worker(db), {"job_id": job_id}, "e1")  # type: ignore[arg-type]
    assert (await db.run(_job, job_id)).attempts == 1


async def test_a_job_interrupted_while_sending_is_unknown_not_sent_again(db, floor):
    job_id = await bare_job(db, "memory://x", status="printing")
    await print_dispatch.deliver_print(_Worker(db), {"job_id": job_id}, "e2")  # type: ignore[arg-type]
    row = await db.run(_job, job_id)
    assert row.status == "unknown" and "check the printer" in row.error
    await print_dispatch.deliver_print(_Worker(db), {"job_id": job_id}, "e2")  # type: ignore[arg-type]
    assert (await db.run(_job, job_id)).status == "unknown"  # never sent on its own


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (PrinterFault("p", ["paper out"]), "paper_out", "Load labels"),
        (PrinterFault("p", ["head open"]), "head_open", "Close the head"),
        (PrinterSilent("p", 2.0), "no_answer", "Check labels and head"),
        (PrinterUnreachable("p", "refused"), "offline", "Check power and cable"),
    ],
)
def test_printer_errors_read_as_one_status_and_what_to_do(exc, status, message):
    assert printing.status_of(exc) == status and printing.message_for(status) == message


def test_a_ready_printer_reads_ready():
    assert printing.status_of(None, PrinterStatus()) == "ready"
    assert printing.status_of(None, PrinterStatus(paused=True)) == "paused"


@pytest.mark.parametrize(
    ("line", "grams"),
    [("S S      0.812 kg", 812), ("S S     812 g", 812), ("S S   1.50 lb", 680)],
)
def test_a_stable_scale_answer_reads_in_grams(line, grams):
    assert stations.parse_sics(line) == grams


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("S D  0.5 kg", "scale_unstable"),
        ("S +", "scale_range"),
        ("S I", "scale_busy"),
        ("garbage", "scale_error"),
    ],  # fmt: skip
)
def test_an_unusable_scale_answer_is_an_error_with_its_code(line, code):
    with pytest.raises(WmsError) as caught:
        stations.parse_sics(line)
    assert caught.value.code == code


def test_print_retries_back_off_but_a_waiting_packer_never_waits_long():
    delays = [print_dispatch.retry_delay(n) for n in range(1, printing.MAX_ATTEMPTS + 1)]
    assert delays[0] < 0.5 and delays == sorted(delays)
    assert max(delays) == printing.MAX_RETRY_S
