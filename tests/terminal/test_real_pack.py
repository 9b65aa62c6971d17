"""The terminal packs on a real WMS server: labels arrive at the printer simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.floor.shipping_fixtures import (  # noqa: F401 (fixtures)
    db,  # noqa: F811
    docs_dir,
    floor,  # noqa: F811
    picked_order,
    printer,  # noqa: F811
)
from tests.terminal.real import (
    order_status,
    pack_by_scans,
    pick_a_batch,
    violations,
)
from wms.loopback import ThreadServer


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ThreadServer]:
    with ThreadServer(database_url) as srv:  # with workers: labels go out through the outbox
        yield srv


async def test_a_picked_order_is_packed_at_a_station_and_its_label_prints(
    floor,  # noqa: F811
    printer,  # noqa: F811
    db,  # noqa: F811
    database_url,
    tmp_path,
):
    order_id = await picked_order(db, [("SKU-0002", 2), ("SKU-0003", 1)])
    printed = len(printer.labels)
    parcel = await pack_by_scans(floor.url, tmp_path, str(order_id))
    labels = printer.wait_for_labels(printed + 1)
    assert parcel["sscc"].encode() in labels[-1]
    assert order_status(floor.url, order_id) == "packed"
    assert await violations(database_url) == []


async def test_a_batch_the_terminal_picked_is_packed_from_its_tote(
    floor,  # noqa: F811
    printer,  # noqa: F811
    database_url,
    tmp_path,
):
    order_id = await pick_a_batch(floor.url, tmp_path, "T0303", ("SKU-0005", 1))
    printed = len(printer.labels)
    parcel = await pack_by_scans(floor.url, tmp_path, "T0303")
    labels = printer.wait_for_labels(printed + 1)
    assert parcel["sscc"].encode() in labels[-1]
    assert order_status(floor.url, order_id) == "packed"
    assert await violations(database_url) == []
