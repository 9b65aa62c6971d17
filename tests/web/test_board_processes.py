"""The board served by one server process moves with a scan answered by another (PostgreSQL).

On PostgreSQL the events cross processes by LISTEN/NOTIFY; on SQLite (one process owns the
database) the same test runs against a single server process.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support import api
from tests.support.databases import point_channels_at
from tests.web.conftest import new_order, sign_in
from wms.domain.orders import ChannelKind
from wms.loopback import ProcessServer


@pytest.fixture(scope="module")
def servers(backend: str, database_url: str, fake_channels) -> Iterator[list[ProcessServer]]:
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    procs = [ProcessServer(database_url) for _ in range(2 if backend == "postgres" else 1)]
    try:
        for proc in procs:
            proc.start()
        yield procs
    finally:
        for proc in procs:
            proc.stop()


async def test_a_scan_answered_by_one_process_moves_the_board_served_by_another(
    page: Page, servers: list[ProcessServer]
):
    scans, board = servers[0].url, servers[-1].url
    with (
        api.client(scans, api.INTEGRATION_TOKEN) as integration,
        api.client(scans, api.login(scans, "supervisor")) as supervisor,
        api.client(scans, api.login(scans, "picker2")) as picker,
    ):
        ids = [new_order(integration, ("SKU-0009", 1))["id"] for _ in range(2)]
        r = supervisor.post("/api/v1/waves/", json={"order_ids": ids, "iterations": 5},
                            headers=api.idem())  # fmt: skip
        assert r.status_code == 201, r.text
        wave_id = r.json()["id"]
        await sign_in(page, board)
        await expect(page.locator(f"#wave-{wave_id} .pct-picked")).to_have_text("0%")
        batch = picker.post("/api/v1/picking/next", headers=api.idem()).json()
        for slot in batch["slots"]:
            body = {"slot": slot["slot"], "tote": f"T{batch['id']:04d}{slot['slot']:02d}"}
            r = picker.post(f"/api/v1/picking/batches/{batch['id']}/totes", json=body,
                            headers=api.idem())  # fmt: skip
            assert r.status_code == 200, r.text
            batch = r.json()
        row = page.locator(f"#batch-{batch['id']}")
        total, done = len(batch["stops"]), 0
        while batch["next_task_id"] is not None:
            stop = next(s for s in batch["stops"] if s["task_id"] == batch["next_task_id"])
            body = {"location": stop["location"], "item": stop["barcodes"][0],
                    "qty": stop["qty"] - stop["picked"],
                    "tote": stop["tote"] or batch["slots"][0]["tote"]}  # fmt: skip
            r = picker.post(f"/api/v1/picking/tasks/{stop['task_id']}/confirm", json=body,
                            headers=api.idem())  # fmt: skip
            assert r.status_code == 200, r.text
            batch, done = r.json(), done + 1
            await expect(row.locator(".stops")).to_have_text(f"{done}/{total}", timeout=1000)
        await expect(page.locator(f"#wave-{wave_id} .pct-picked")).to_have_text("100%")
        assert httpx.get(f"{board}/health").status_code == 200
