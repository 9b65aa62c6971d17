"""A generic REST channel through a real server: signed JSON orders in, signed pushes out.

The shop's side is a small real HTTP server on loopback that records what it received.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import api
from tests.support.api import problem
from wms.channels.common import hmac_hex
from wms.db import Database
from wms.loopback import ThreadServer
from wms.models import Channel, Outbox
from wms.services import check

SECRET = "generic-rest-secret-7f3a9"
CODE = "rest-main"
SHIP_TO = {"name": "Ana", "line1": "1 Main St", "city": "Austin", "postal_code": "78701",
           "country": "US"}  # fmt: skip


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    """The shop's REST endpoint: answers 200 to every POST and keeps what came."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._changed = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with recorder._changed:
                    recorder.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    recorder._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/shop-api"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, what: str, match: Any, timeout: float = 15.0) -> Received:
        """The first request ``match`` accepts; fails naming ``what`` when none comes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self.received if match(r)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    paths = [r.path for r in self.received]
                    raise AssertionError(f"no {what} arrived in {timeout} s (got {paths})")
                self._changed.wait(left)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()


@pytest.fixture(scope="module")
def admin(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "admin")) as c:
        yield c


@pytest.fixture(scope="module")
def rest_channel(admin: httpx.Client, recorder: Recorder) -> str:
    r = admin.post(
        "/api/v1/admin/channels/",
        json={"code": CODE, "kind": "generic_rest", "name": "REST shop", "secret": SECRET,
              "api_base_url": recorder.url, "access_token": "rest-token"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return CODE


def _signed(payload: dict[str, Any], secret: str = SECRET) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    return {"Content-Type": "application/json", "X-Signature-SHA256": hmac_hex(secret, body)}, body


def _order_event(order_id: str, sku: str, qty: int) -> dict[str, Any]:
    return {
        "id": f"evt-{uuid.uuid4().hex}",
        "type": "order.created",
        "order": {
            "order_id": order_id,
            "currency": "USD",
            "status": "ready",
            "lines": [{"sku": sku, "qty": qty, "unit_price": "12.00"}],
            "ship_to": SHIP_TO,
        },
    }


def _sellable(client: httpx.Client, sku: str) -> int:
    return int(client.get(f"/api/v1/stock/availability/{sku}").json()["sellable"])


def _orders(client: httpx.Client) -> dict[str, str]:
    rows = client.get("/api/v1/orders/", params={"channel": CODE, "limit": 1000}).json()
    return {o["external_id"]: o["status"] for o in rows}


def _violations(url: str) -> list[str]:
    async def go() -> list[str]:
        db = Database(url)
        try:
            return await check.violations(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _signature_holds(received: Received) -> bool:
    return received.headers["x-signature-sha256"] == hmac_hex(SECRET, received.body)


def test_a_signed_webhook_creates_the_order_and_reserves_its_stock(
    rest_channel: str, anonymous: httpx.Client, supervisor: httpx.Client, database_url: str
) -> None:
    before = _sellable(supervisor, "SKU-0171")
    headers, body = _signed(_order_event("REST-1001", "SKU-0171", 2))
    r = anonymous.post(f"/webhooks/{rest_channel}", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "created", r.text
    assert _orders(supervisor)["REST-1001"] == "ready"
    assert _sellable(supervisor, "SKU-0171") == before - 2
    again = anonymous.post(f"/webhooks/{rest_channel}", content=body, headers=headers)
    assert again.json()["status"] == "duplicate"  # the same event id acts once
    assert _sellable(supervisor, "SKU-0171") == before - 2
    assert _violations(database_url) == []


def test_a_bad_signature_is_a_problem_and_writes_nothing(
    rest_channel: str, anonymous: httpx.Client, supervisor: httpx.Client
) -> None:
    before = _sellable(supervisor, "SKU-0172")
    headers, body = _signed(_order_event("REST-1002", "SKU-0172", 1), secret="not-the-secret")
    problem(anonymous.post(f"/webhooks/{rest_channel}", content=body, headers=headers), 401,
            "bad_signature")  # fmt: skip
    unsigned = {"Content-Type": "application/json"}
    problem(anonymous.post(f"/webhooks/{rest_channel}", content=body, headers=unsigned), 401,
            "missing_signature")  # fmt: skip
    assert "REST-1002" not in _orders(supervisor)
    assert _sellable(supervisor, "SKU-0172") == before


def test_a_stock_push_arrives_at_the_configured_url_signed(
    rest_channel: str, admin: httpx.Client, recorder: Recorder
) -> None:
    url = f"/api/v1/admin/channels/{rest_channel}/listings/SKU-0173"
    assert admin.put(url, json={"product_ref": "SKU-0173"}).status_code == 200
    sellable = _sellable(admin, "SKU-0173")

    def is_level(r: Received) -> bool:
        return r.path == "/shop-api/stock" and any(
            i["sku"] == "SKU-0173" for i in r.json()["items"]
        )

    push = recorder.wait_for("stock push of SKU-0173", is_level)
    item = next(i for i in push.json()["items"] if i["sku"] == "SKU-0173")
    assert item["quantity"] == sellable
    assert _signature_holds(push) and push.headers["authorization"] == "Bearer rest-token"
    assert push.headers["x-wms-event-id"] == push.json()["event_id"]


def test_a_tracking_push_arrives_at_the_configured_url_signed(
    rest_channel: str, recorder: Recorder, database_url: str
) -> None:
    # The row a handover writes (shipping._ship), here for the order the shop sent.
    def write_row(s: Session) -> None:
        channel_id = s.scalar(select(Channel.id).where(Channel.code == rest_channel))
        s.add(
            Outbox(
                event_id=uuid.uuid4().hex,
                kind="tracking_push",
                channel_id=channel_id,
                dedupe_key="tracking:rest-test",
                payload={
                    "channel": rest_channel,
                    "order_external_id": "REST-1001",
                    "tracking": "WH1000000017",
                    "carrier": "Own Delivery",
                    "line_refs": [],
                    "tracking_url": "https://track.example.com/x",
                },
            )  # fmt: skip
        )

    async def go() -> None:
        db = Database(database_url)
        try:
            await db.run(write_row)
        finally:
            await db.dispose()

    asyncio.run(go())
    push = recorder.wait_for("tracking push", lambda r: r.path == "/shop-api/tracking")
    assert push.json()["order_id"] == "REST-1001"
    assert push.json()["tracking_number"] == "WH1000000017"
    assert _signature_holds(push)
