"""A fake of the four channels' APIs on 127.0.0.1, run by uvicorn in a background thread.

    with FakeChannelApis() as fake:            # demo credentials from fixtures/demo/channels.json
        config = fake.config("tiktok-main")    # same config, api_base_url pointing at the fake
        fake.tiktok.add_order(detail_dict)     # served by GET /order/202309/orders
        fake.fail_next(2)                      # the next 2 requests answer 500
        fake.slow_next(1, 2.0)                 # the next request waits 2 s first
        ...
        fake.pushes                            # every accepted stock/tracking push, parsed

It checks credentials the way the real APIs do — TikTok's ``sign``, app_key, access token,
shop_cipher and timestamp; Shopify's access token; WooCommerce basic auth; the own shop's
bearer token and X-WMS-Signature — and rejects a wrong one in the channel's error format.
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
    action: str  # "stock" | "tracking"
    method: str
    path: str  # path on the channel, without the /{kind} prefix
    event_id: str  # X-WMS-Event-Id ("" if the sender left it out)
    body: Any  # parsed JSON
    duplicate: bool  # this event id was accepted before
    ref: str = ""  # what the push is about: sku/variant ref or order id


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
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake channel API server did not start")
            time.sleep(0.01)
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
        quantity: int | None = None,
    ) -> RecordedPush:
        event_id = headers.get("x-wms-event-id", "")
        with self._lock:
            seen = any(p.event_id == event_id and p.kind == kind for p in self.pushes)
            push = RecordedPush(
                kind, action, method, path, event_id, body, seen and bool(event_id), ref
            )
            self.pushes.append(push)
            if quantity is not None and not push.duplicate:
                self.stock[(kind, ref)] = quantity
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

        data = _json(body)
        if data is None:
            return self._tiktok_error(400, 36009001, "body is not JSON")
        m = re.fullmatch(r"/product/202309/products/(\d+)/inventory/update", path)
        if method == "POST" and m:
            try:
                sku = data["skus"][0]
                quantity = int(sku["inventory"][0]["quantity"])
                ref = f"{m.group(1)}/{sku['id']}"
            except (KeyError, IndexError, TypeError, ValueError):
                return self._tiktok_error(400, 12019001, "skus[].inventory[] is required")
            self._record(ChannelKind.TIKTOK, "stock", method, path, h, data, ref, quantity)
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
        data = _json(body)
        if data is None:
            return _Reply(400, {"errors": {"base": ["body is not JSON"]}})
        if method == "POST" and re.fullmatch(r"/admin/api/[\d-]+/inventory_levels/set\.json", path):
            missing = {"location_id", "inventory_item_id", "available"} - data.keys()
            if missing or str(data.get("location_id")) != c.location_id:
                return _Reply(
                    422, {"errors": {"location_id": ["is invalid"], "missing": sorted(missing)}}
                )
            ref = str(data["inventory_item_id"])
            self._record(
                ChannelKind.SHOPIFY, "stock", method, path, h, data, ref, int(data["available"])
            )
            return _Reply(200, {"inventory_level": {**data, "updated_at": "2026-11-26T20:00:00Z"}})
        if method == "POST" and re.fullmatch(r"/admin/api/[\d-]+/fulfillments\.json", path):
            f = data.get("fulfillment") or {}
            if not f.get("line_items_by_fulfillment_order") or "tracking_info" not in f:
                return _Reply(422, {"errors": ["line_items_by_fulfillment_order is required"]})
            ref = str(f["line_items_by_fulfillment_order"][0]["fulfillment_order_id"])
            self._record(ChannelKind.SHOPIFY, "tracking", method, path, h, data, ref)
            return _Reply(201, {"fulfillment": {"id": 255858046, "status": "success", **f}})
        return _Reply(404, {"errors": "Not Found"})

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
        m = re.fullmatch(r"/wp-json/wc/v3/products/(\d+)(?:/variations/(\d+))?", path)
        if method in ("PUT", "POST") and m:
            if not isinstance(data.get("stock_quantity"), int):
                return _Reply(400, {"code": "rest_invalid_param", "message": "stock_quantity"})
            ref = m.group(1) + (f"/{m.group(2)}" if m.group(2) else "")
            self._record(
                ChannelKind.WOOCOMMERCE, "stock", method, path, h, data, ref, data["stock_quantity"]
            )
            return _Reply(200, {"id": int(m.group(2) or m.group(1)), **data})
        m = re.fullmatch(r"/wp-json/wc/v3/orders/(\d+)", path)
        if method in ("PUT", "POST") and m:
            self._record(ChannelKind.WOOCOMMERCE, "tracking", method, path, h, data, m.group(1))
            return _Reply(200, {"id": int(m.group(1)), **data})
        return _Reply(
            404, {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}}
        )

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
            self._record(
                ChannelKind.OWN, "stock", method, path, h, data, data["sku"], int(data["quantity"])
            )
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
