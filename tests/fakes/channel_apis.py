"""A fake of the four channels' APIs on 127.0.0.1, run by uvicorn in a background thread.

    with FakeChannelApis() as fake:            # demo credentials from fixtures/demo/channels.json
        config = fake.config("tiktok-main")    # same config, api_base_url pointing at the fake
        fake.tiktok.add_order(detail_dict)     # served by GET /order/202309/orders
        fake.fail_next(2)                      # the next 2 requests answer 500
        fake.slow_next(1, 2.0)                 # the next request waits 2 s first
        ...
        fake.refuse("shopify", "45012345207289")  # that listing's items are refused by name
        ...
        fake.pushes                            # every accepted stock/tracking push, parsed
        fake.stock                             # last quantity accepted per listing

It checks credentials the way the real APIs do — TikTok's ``sign``, app_key, access token,
shop_cipher and timestamp; Shopify's access token; WooCommerce basic auth; the own shop's
bearer token and X-WMS-Signature — and rejects a wrong one in the channel's error format.
Stock arrives in bulk, in each channel's bulk format: Shopify's GraphQL inventorySetQuantities
(all or nothing: a refused item is a userError naming its index, nothing is applied),
WooCommerce's products/batch and variations/batch (each item on its own, a refused one comes
back as ``{"id", "error"}``), TikTok's per-product inventory update, the own shop's list.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

from tests.support.waiting import wait_until
from wms.channels import own, tiktok_sign
from wms.channels.config import ChannelConfig, load_channels
from wms.channels.errors import ChannelError
from wms.domain.orders import ChannelKind

DEMO_CHANNELS = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "channels.json"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class RecordedPush:
    kind: ChannelKind
    action: str  # "stock" | "tracking" | "tracking_event"
    method: str
    path: str  # path on the channel, without the /{kind} prefix
    event_id: str  # X-WMS-Event-Id ("" if the sender left it out)
    body: Any  # parsed JSON
    duplicate: bool  # this event id was accepted before
    ref: str = ""  # what the push is about: sku/variant ref or order id (the first item's)
    items: tuple[tuple[str, int], ...] = ()  # stock: (listing ref, quantity) of each item taken


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeTikTok:
    """TikTok Shop state: orders to serve and the id batches asked for."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.detail_calls: list[list[str]] = []
        self.statements: dict[str, dict[str, Any]] = {}  # order id -> statement ``data``
        self.affiliate_orders: dict[str, dict[str, Any]] = {}  # order id -> affiliate record

    def add_order(self, detail: dict[str, Any]) -> None:
        self.orders[str(detail["id"])] = detail


class FakeChannelApis:
    def __init__(self, channels: Iterable[ChannelConfig] | None = None) -> None:
        configs = list(channels) if channels is not None else load_channels(DEMO_CHANNELS).values()
        self.configs: dict[str, ChannelConfig] = {c.code: c for c in configs}
        self._by_kind: dict[ChannelKind, ChannelConfig] = {}
        for c in self.configs.values():
            self._by_kind.setdefault(c.kind, c)
        self.tiktok = FakeTikTok()
        self.pushes: list[RecordedPush] = []
        self.stock: dict[tuple[ChannelKind, str], int] = {}  # last pushed quantity per listing
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self.refused: set[tuple[ChannelKind, str]] = set()  # listing refs answered as errors
        self.fulfillments: dict[str, list[dict[str, Any]]] = {}  # Shopify order id -> made
        self._failures: deque[int] = deque()
        self._delays: deque[float] = deque()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeChannelApis:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # port 0: parallel test workers never collide
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        thread, server = self._thread, self._server
        wait_until(
            lambda: server.started or not thread.is_alive(), "the fake channel APIs to start"
        )
        if not server.started:
            raise RuntimeError("fake channel API server did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeChannelApis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use --------------------------------------------------------------------
    def base_url(self, kind: ChannelKind | str) -> str:
        return f"http://127.0.0.1:{self.port}/{ChannelKind(kind).value}"

    def config(self, code: str) -> ChannelConfig:
        """The named config with ``api_base_url`` pointing at this fake."""
        c = self.configs[code]
        return dataclasses.replace(c, api_base_url=self.base_url(c.kind))

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * n)

    def slow_next(self, n: int = 1, seconds: float = 1.0) -> None:
        with self._lock:
            self._delays.extend([seconds] * n)

    def fast_again(self) -> None:
        """Forget the delays `slow_next` queued (requests already waiting still wait)."""
        with self._lock:
            self._delays.clear()

    def refuse(self, kind: ChannelKind | str, ref: str) -> None:
        """Answer items about this listing ref (as ``fake.stock`` keys it) as refused."""
        with self._lock:
            self.refused.add((ChannelKind(kind), ref))

    def _refused(self, kind: ChannelKind, ref: str) -> bool:
        with self._lock:
            return (kind, ref) in self.refused

    def pushes_for(self, kind: ChannelKind | str, action: str | None = None) -> list[RecordedPush]:
        with self._lock:
            return [
                p
                for p in self.pushes
                if p.kind == ChannelKind(kind) and (action is None or p.action == action)
            ]

    # -- ASGI ------------------------------------------------------------------------------
    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with self._lock:
            delay = self._delays.popleft() if self._delays else 0.0
            failure = self._failures.popleft() if self._failures else 0
        if delay:
            await asyncio.sleep(delay)
        if failure:
            reply = _Reply(failure, {"error": "injected failure"})
        else:
            reply = self._route(scope, body)
        with self._lock:
            self.requests.append((scope["method"], scope["path"], reply.status))
        payload = json.dumps(reply.body).encode()
        headers = [(b"content-type", b"application/json")]
        headers += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _route(self, scope: Scope, body: bytes) -> _Reply:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode()
        prefix, _, path = scope["path"].lstrip("/").partition("/")
        path = "/" + path
        try:
            kind = ChannelKind(prefix)
        except ValueError:
            return _Reply(404, {"error": f"no fake for {prefix!r}"})
        config = self._by_kind.get(kind)
        if config is None:
            return _Reply(404, {"error": f"no {kind} channel configured"})
        handler = {
            ChannelKind.TIKTOK: self._tiktok,
            ChannelKind.SHOPIFY: self._shopify,
            ChannelKind.WOOCOMMERCE: self._woo,
            ChannelKind.OWN: self._own,
        }[kind]
        return handler(config, scope["method"], path, query, headers, body)

    def _record(
        self,
        kind: ChannelKind,
        action: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any,
        ref: str,
        items: list[tuple[str, int]] | None = None,
    ) -> RecordedPush:
        event_id = headers.get("x-wms-event-id", "")
        with self._lock:
            seen = any(p.event_id == event_id and p.kind == kind for p in self.pushes)
            push = RecordedPush(
                kind,
                action,
                method,
                path,
                event_id,
                body,
                seen and bool(event_id),
                ref,
                tuple(items or ()),
            )
            self.pushes.append(push)
            if not push.duplicate:
                for item_ref, quantity in push.items:
                    self.stock[(kind, item_ref)] = quantity
        return push

    # -- TikTok Shop -----------------------------------------------------------------------
    @staticmethod
    def _tiktok_error(status: int, code: int, message: str) -> _Reply:
        return _Reply(
            status,
            {"code": code, "message": message, "request_id": uuid.uuid4().hex, "data": None},
        )

    def _tiktok(
        self, c: ChannelConfig, method: str, path: str, query: str, h: dict[str, str], body: bytes
    ) -> _Reply:
        params = dict(parse_qsl(query, keep_blank_values=True))
        if params.get("app_key") != c.app_key:
            return self._tiktok_error(401, 106011, "invalid app_key")
        if h.get("x-tts-access-token") != c.access_token:
            return self._tiktok_error(401, 105002, "access token is invalid")
        signed_body = b"" if h.get("content-type", "").startswith("multipart/") else body
        expected = tiktok_sign.sign(c.secret, path, params, signed_body)
        if params.get("sign") != expected:
            return self._tiktok_error(401, 106001, "signature is invalid")
        try:
            if abs(time.time() - int(params.get("timestamp", "0"))) > 300:
                return self._tiktok_error(401, 106004, "timestamp is expired")
        except ValueError:
            return self._tiktok_error(400, 36009001, "timestamp is not a number")
        if c.shop_cipher and params.get("shop_cipher") != c.shop_cipher:
            return self._tiktok_error(403, 105005, "shop_cipher does not match the token")
        ok = {"code": 0, "message": "Success", "request_id": uuid.uuid4().hex}

        if method == "GET" and path == "/order/202309/orders":
            ids = [i for i in params.get("ids", "").split(",") if i]
            if not ids or len(ids) > 50:
                return self._tiktok_error(400, 36009003, "ids must hold 1 to 50 order ids")
            with self._lock:
                self.tiktok.detail_calls.append(ids)
                orders = [self.tiktok.orders[i] for i in ids if i in self.tiktok.orders]
            return _Reply(200, {**ok, "data": {"orders": orders}})
        m = re.fullmatch(r"/finance/202309/orders/(\d+)/statement_transactions", path)
        if method == "GET" and m:
            with self._lock:
                statement = self.tiktok.statements.get(m.group(1))
            if statement is None:  # not settled yet: TikTok answers with no transactions
                statement = {"order_id": m.group(1), "statement_transactions": []}
            return _Reply(200, {**ok, "data": statement})

        data = _json(body)
        if data is None:
            return self._tiktok_error(400, 36009001, "body is not JSON")
        if method == "POST" and path == "/affiliate_seller/202410/orders/search":
            ids = [str(i) for i in data.get("order_ids") or []]
            with self._lock:
                known = self.tiktok.affiliate_orders
                found = [known[i] for i in ids if i in known]
            body = {"orders": found, "next_page_token": "", "total_count": len(found)}
            return _Reply(200, {**ok, "data": body})
        m = re.fullmatch(r"/product/202309/products/(\d+)/inventory/update", path)
        if method == "POST" and m:
            items: list[tuple[str, int]] = []
            try:
                for sku in data["skus"]:
                    items.append(
                        (f"{m.group(1)}/{sku['id']}", int(sku["inventory"][0]["quantity"]))
                    )
            except (KeyError, IndexError, TypeError, ValueError):
                return self._tiktok_error(400, 12019001, "skus[].inventory[] is required")
            if not items:
                return self._tiktok_error(400, 12019001, "skus[].inventory[] is required")
            bad = [ref for ref, _ in items if self._refused(ChannelKind.TIKTOK, ref)]
            if bad:  # TikTok refuses the whole call: HTTP 200, code != 0
                return self._tiktok_error(200, 12052048, f"sku {bad[0]} is not in this product")
            self._record(ChannelKind.TIKTOK, "stock", method, path, h, data, items[0][0], items)
            return _Reply(200, {**ok, "data": {}})
        m = re.fullmatch(r"/fulfillment/202309/orders/(\d+)/packages", path)
        if method == "POST" and m:
            if not data.get("tracking_number") or not data.get("shipping_provider_id"):
                return self._tiktok_error(400, 21011001, "tracking_number and provider needed")
            self._record(ChannelKind.TIKTOK, "tracking", method, path, h, data, m.group(1))
            return _Reply(
                200, {**ok, "data": {"package_id": str(7_000_000_000 + len(self.pushes))}}
            )
        return self._tiktok_error(404, 36009002, f"no such API {method} {path}")

    # -- Shopify -------------------------------------------------------------------------
    def _shopify(
        self, c: ChannelConfig, method: str, path: str, query: str, h: dict[str, str], body: bytes
    ) -> _Reply:
        if h.get("x-shopify-access-token") != c.access_token:
            msg = "[API] Invalid API key or access token (unrecognized login or wrong password)"
            return _Reply(401, {"errors": msg})
        m = re.fullmatch(r"/admin/api/[\d-]+/orders/(\d+)/fulfillment_orders\.json", path)
        if method == "GET" and m:
            fo = {
                "id": int(m.group(1)) * 10 + 1,  # deterministic, so tests can predict it
                "order_id": int(m.group(1)),
                "assigned_location_id": int(c.location_id or 0),
                "status": "open",
                "request_status": "unsubmitted",
            }
            return _Reply(200, {"fulfillment_orders": [fo]})
        m = re.fullmatch(r"/admin/api/[\d-]+/orders/(\d+)/fulfillments\.json", path)
        if method == "GET" and m:
            return _Reply(200, {"fulfillments": self.fulfillments.get(m.group(1), [])})
        data = _json(body)
        m = re.fullmatch(r"/admin/api/[\d-]+/orders/(\d+)/fulfillments/(\d+)/events\.json", path)
        if method == "POST" and m and data is not None:
            made = [f["id"] for f in self.fulfillments.get(m.group(1), [])]
            if int(m.group(2)) not in made or "status" not in (data.get("event") or {}):
                return _Reply(404, {"errors": "Not Found"})
            self._record(ChannelKind.SHOPIFY, "tracking_event", method, path, h, data, m.group(1))
            return _Reply(201, {"fulfillment_event": {"id": len(self.pushes), **data["event"]}})
        if data is None:
            return _Reply(400, {"errors": {"base": ["body is not JSON"]}})
        if method == "POST" and re.fullmatch(r"/admin/api/[\d-]+/graphql\.json", path):
            return self._shopify_graphql(c, method, path, h, data)
        if method == "POST" and re.fullmatch(r"/admin/api/[\d-]+/fulfillments\.json", path):
            f = data.get("fulfillment") or {}
            if not f.get("line_items_by_fulfillment_order") or "tracking_info" not in f:
                return _Reply(422, {"errors": ["line_items_by_fulfillment_order is required"]})
            ref = str(f["line_items_by_fulfillment_order"][0]["fulfillment_order_id"])
            self._record(ChannelKind.SHOPIFY, "tracking", method, path, h, data, ref)
            number = f["tracking_info"].get("number", "")
            made = {"id": 255858046, "status": "success", **f, "tracking_number": number,
                    "tracking_numbers": [number]}  # fmt: skip
            # Fulfillment order ids are order id * 10 + 1 here (see above).
            self.fulfillments.setdefault(str(int(ref) // 10), []).append(made)
            return _Reply(201, {"fulfillment": made})
        return _Reply(404, {"errors": "Not Found"})

    def _shopify_graphql(
        self, c: ChannelConfig, method: str, path: str, h: dict[str, str], data: dict[str, Any]
    ) -> _Reply:
        """inventorySetQuantities only, answered the way the GraphQL Admin API answers."""
        if "inventorySetQuantities" not in str(data.get("query", "")):
            return _Reply(200, {"errors": [{"message": "only inventorySetQuantities is faked"}]})
        given = (data.get("variables") or {}).get("input") or {}
        quantities = given.get("quantities")
        if not isinstance(quantities, list) or not quantities:
            return _Reply(200, {"errors": [{"message": "input.quantities is required"}]})
        if len(quantities) > 250:
            message = (
                f"The input array size of {len(quantities)} is greater than"
                " the maximum allowed of 250."
            )
            return _Reply(
                200,
                {
                    "errors": [
                        {"message": message, "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"}}
                    ]
                },
            )
        errors: list[dict[str, Any]] = []
        if given.get("name") != "available" or given.get("reason") != "correction":
            errors.append(
                {"code": "INVALID_NAME", "field": ["input", "name"], "message": "bad name"}
            )
        if given.get("ignoreCompareQuantity") is not True:
            errors.append(
                {
                    "code": "COMPARE_QUANTITY_REQUIRED",
                    "field": ["input", "ignoreCompareQuantity"],
                    "message": "compareQuantity is required",
                }
            )
        items: list[tuple[str, int]] = []
        for n, q in enumerate(quantities):
            at = ["input", "quantities", str(n)]
            item = re.fullmatch(r"gid://shopify/InventoryItem/(\d+)", str(q.get("inventoryItemId")))
            if q.get("locationId") != f"gid://shopify/Location/{c.location_id}":
                errors.append(
                    {
                        "code": "INVALID_LOCATION",
                        "field": [*at, "locationId"],
                        "message": "The specified location could not be found.",
                    }
                )
            elif not item or self._refused(ChannelKind.SHOPIFY, item.group(1)):
                errors.append(
                    {
                        "code": "INVALID_INVENTORY_ITEM",
                        "field": [*at, "inventoryItemId"],
                        "message": "The specified inventory item could not be found.",
                    }
                )
            elif not isinstance(q.get("quantity"), int):
                errors.append(
                    {"code": "INVALID_QUANTITY", "field": [*at, "quantity"], "message": "quantity"}
                )
            else:
                items.append((item.group(1), q["quantity"]))
        if errors:  # the mutation is all or nothing: none of the quantities is set
            result = {"inventoryAdjustmentGroup": None, "userErrors": errors}
            return _Reply(200, {"data": {"inventorySetQuantities": result}})
        self._record(ChannelKind.SHOPIFY, "stock", method, path, h, data, items[0][0], items)
        group = {
            "reason": "correction",
            "changes": [{"name": "available", "delta": 0} for _ in items],
        }
        return _Reply(
            200,
            {
                "data": {
                    "inventorySetQuantities": {"inventoryAdjustmentGroup": group, "userErrors": []}
                }
            },
        )

    # -- WooCommerce ---------------------------------------------------------------------
    def _woo(
        self, c: ChannelConfig, method: str, path: str, query: str, h: dict[str, str], body: bytes
    ) -> _Reply:
        expected = "Basic " + base64.b64encode(f"{c.app_key}:{c.access_token}".encode()).decode()
        if h.get("authorization") != expected:
            return _Reply(
                401,
                {
                    "code": "woocommerce_rest_cannot_edit",
                    "message": "Sorry, you are not allowed to edit this resource.",
                    "data": {"status": 401},
                },
            )
        data = _json(body)
        if data is None:
            return _Reply(
                400, {"code": "rest_invalid_json", "message": "Invalid JSON body passed."}
            )
        m = re.fullmatch(r"/wp-json/wc/v3/products(?:/(\d+)/variations)?/batch", path)
        if method in ("PUT", "POST", "PATCH") and m:
            return self._woo_batch(method, path, h, data, m.group(1))
        m = re.fullmatch(r"/wp-json/wc/v3/orders/(\d+)/notes", path)
        if method == "POST" and m and isinstance(data.get("note"), str):
            kind = ChannelKind.WOOCOMMERCE
            self._record(kind, "tracking_event", method, path, h, data, m.group(1))
            return _Reply(201, {"id": len(self.pushes), **data})
        m = re.fullmatch(r"/wp-json/wc/v3/orders/(\d+)", path)
        if method in ("PUT", "POST") and m:
            self._record(ChannelKind.WOOCOMMERCE, "tracking", method, path, h, data, m.group(1))
            return _Reply(200, {"id": int(m.group(1)), **data})
        return _Reply(
            404, {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}}
        )

    def _woo_batch(
        self, method: str, path: str, h: dict[str, str], data: dict[str, Any], parent: str | None
    ) -> _Reply:
        """WC_REST_Controller::batch_items: each update on its own, errors in place."""
        updates = data.get("update") or []
        if not isinstance(updates, list):
            return _Reply(400, {"code": "rest_invalid_param", "message": "update must be a list"})
        if len(updates) > 100:
            return _Reply(
                413,
                {
                    "code": "rest_request_entity_too_large",
                    "message": "Unable to accept more than 100 items for this request.",
                    "data": {"status": 413},
                },
            )
        answer: list[dict[str, Any]] = []
        items: list[tuple[str, int]] = []
        for item in updates:
            item_id = item.get("id") if isinstance(item, dict) else None
            ref = f"{parent}/{item_id}" if parent else str(item_id)
            if not isinstance(item_id, int) or self._refused(ChannelKind.WOOCOMMERCE, ref):
                error = {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID."}
                answer.append({"id": item_id, "error": {**error, "data": {"status": 400}}})
            elif not isinstance(item.get("stock_quantity"), int):
                error = {
                    "code": "rest_invalid_param",
                    "message": "Invalid parameter(s): stock_quantity",
                }
                answer.append({"id": item_id, "error": {**error, "data": {"status": 400}}})
            else:
                items.append((ref, item["stock_quantity"]))
                answer.append({**item, "parent_id": int(parent or 0)})
        if items:
            self._record(
                ChannelKind.WOOCOMMERCE, "stock", method, path, h, data, items[0][0], items
            )
        return _Reply(200, {"update": answer})

    # -- own shop ------------------------------------------------------------------------
    def _own(
        self, c: ChannelConfig, method: str, path: str, query: str, h: dict[str, str], body: bytes
    ) -> _Reply:
        if h.get("authorization") != f"Bearer {c.access_token}":
            return _Reply(401, {"code": "unauthorized", "message": "bad bearer token"})
        try:
            own.verify_signature(c, h, body)
        except ChannelError as exc:
            return _Reply(401, {"code": exc.code, "message": exc.message})
        data = _json(body)
        if data is None:
            return _Reply(400, {"code": "bad_payload", "message": "body is not JSON"})
        if method == "POST" and path == "/stock":
            try:
                items = [(str(i["sku"]), int(i["quantity"])) for i in data["items"]]
            except (KeyError, TypeError, ValueError):
                return _Reply(400, {"code": "bad_payload", "message": "items[{sku, quantity}]"})
            if not items:
                return _Reply(400, {"code": "bad_payload", "message": "items must not be empty"})
            self._record(ChannelKind.OWN, "stock", method, path, h, data, items[0][0], items)
            return _Reply(200, {"ok": True, "accepted": len(items)})
        if method == "POST" and path == "/tracking/events":
            self._record(ChannelKind.OWN, "tracking_event", method, path, h, data, data["order_id"])
            return _Reply(200, {"ok": True})
        if method == "POST" and path == "/tracking":
            self._record(ChannelKind.OWN, "tracking", method, path, h, data, data["order_id"])
            return _Reply(200, {"ok": True})
        return _Reply(404, {"code": "not_found", "message": path})


def _json(body: bytes) -> Any:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
