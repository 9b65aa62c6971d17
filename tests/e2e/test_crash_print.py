"""kill -9 of the server while a slow printer prints a label: no silent second label."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from printers.simulator import SimulatorThread
from tests.floor.shipping_fixtures import picked_order, wait_job
from tests.support import api
from tests.support.peek import Peek
from tests.support.waiting import wait_until
from wms.loopback import ProcessServer
from wms.services import stations
from wms.services.check import violations

SKU3 = "2800000000035"  # SKU-0003
SLOW_S = 3.0  # the printer takes this long over a label: the kill comes in the middle


@pytest.fixture(scope="module")
def printer() -> Iterator[SimulatorThread]:
    with SimulatorThread() as sim:
        yield sim


def test_a_label_printing_when_the_server_died_is_unknown_and_not_printed_again(
    database_url: str, printer: SimulatorThread, tmp_path: Path
):
    path = tmp_path / "stations.json"
    station = {
        "code": "PACK-09",
        "label_printer_url": printer.url,
        "document_printer_url": f"file://{tmp_path}/docs",
    }
    path.write_text(json.dumps({"stations": [station]}))
    server = ProcessServer(database_url)
    with Peek(database_url) as peek:
        peek.loop.run_until_complete(stations.load_stations(peek.db, path))
        order_id = peek.loop.run_until_complete(picked_order(peek.db, [("SKU-0003", 1)]))
        server.start()
        try:
            with api.client(server.url, api.login(server.url, "packer")) as packer:
                start = {"station": "PACK-09", "scan": str(order_id)}
                r = packer.post("/api/v1/packing/start", json=start, headers=api.idem())
                assert r.status_code == 200, r.text
                verify = f"/api/v1/packing/orders/{order_id}/verify"
                r = packer.post(verify, json={"scan": SKU3}, headers=api.idem())
                assert r.status_code == 200, r.text
                printer.set_slow(SLOW_S)
                received = printer.received
                r = packer.post(
                    f"/api/v1/packing/orders/{order_id}/parcels",
                    json={"carton": "BOX-S", "weight_g": 700},
                    headers=api.idem(),
                )
                assert r.status_code == 201, r.text
                parcel = r.json()["parcel"]
                job_id = parcel["label_job"]["id"]
                assert wait_job(packer, job_id, "printing")["status"] == "printing"
            printed = len(printer.labels)
            # The bytes are in; the label is coming out.
            wait_until(lambda: printer.received != received, "the label to reach the printer")
            server.kill()
            assert len(printer.wait_for_labels(printed + 1, timeout=SLOW_S + 5)) == printed + 1
            printer.clear()
            server.start()
            with api.client(server.url, api.login(server.url, "packer")) as packer:
                job = wait_job(packer, job_id, "unknown", "failed", "done", timeout=5)
                assert job["status"] == "unknown" and "check the printer" in job["error"]
                r = packer.post(
                    f"/api/v1/packing/parcels/{parcel['id']}/reprint", headers=api.idem()
                )
                api.problem(r, 409, "label_may_have_printed")
            assert len(printer.labels) == printed + 1  # the one label, never a second
            assert peek.loop.run_until_complete(violations(peek.db)) == []
        finally:
            printer.clear()
            server.stop()
