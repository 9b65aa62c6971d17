"""A small fake of the floor API (docs/floor-api.md) as an ASGI app, served by uvicorn on loopback.

It keeps just enough state to answer the terminal like the real server would: problem+json
errors with short titles and `expected`, Idempotency-Key replays, and a log of applied steps
so tests can prove nothing was applied twice.
"""

from __future__ import annotations

import copy
import json
import re
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import uvicorn

from tests.support.waiting import wait_until

Json = dict[str, Any]
BADGES = {
    "B1001": ("1234", "picker1", "picker"),
    "B1002": ("1234", "picker2", "picker"),
    "B2001": ("1234", "packer1", "packer"),
}


def _batch() -> Json:
    def stop(
        task: int,
        seq: int,
        loc: str,
        check: str,
        sku: str,
        name: str,
        code: str,
        qty: int,
        slot: int | None,
    ) -> Json:
        return {
            "task_id": task,
            "seq": seq,
            "location": loc,
            "check_code": check,
            "sku": sku,
            "name": name,
            "barcodes": [code],
            "lot": None,
            "qty": qty,
            "picked": 0,
            "slot": slot,
            "tote": None,
            "order_id": 55 if slot == 1 else 56,
            "status": "open",
        }

    return {
        "id": 12,
        "wave_id": 3,
        "kind": "cart",
        "status": "assigned",
        "picker": "picker1",
        "slots": [
            {"slot": 1, "order_id": 55, "order_ref": "#1001", "tote": None},
            {"slot": 2, "order_id": 56, "order_ref": "#1002", "tote": None},
        ],
        "stops": [
            stop(301, 1, "A01-03-1", "47", "SKU-0003", "Blue mug", "2000000000031", 3, 1),
            stop(302, 2, "A02-01-2", "12", "SKU-0007", "Tea towel", "4006381333931", 1, 2),
            stop(303, 3, "B01-02-1", "85", "SKU-0010", "Teapot", "5012345678900", 2, 1),
        ],
        "next_task_id": 301,
        "drop_location": "STAGE-01",
        "drop_check_code": "91",
        "distance_m": 84.2,
    }


def cart_batch() -> Json:
    """Two orders on a cart of two slots, three stops (the fake server's first batch)."""
    return _batch()


def pack_order() -> Json:
    """The fake server's order at the pack bench: two lines, four cartons."""
    return _pack_order()


def bulk_batch() -> Json:
    """Single-unit orders of one SKU: one stop of N units, slot 1 holds the bulk tote."""
    batch = _batch()
    stop = dict(batch["stops"][1], qty=4, slot=None, order_id=None)
    batch.update(
        kind="bulk",
        stops=[stop],
        slots=[{"slot": 1, "order_id": None, "order_ref": None, "tote": None}],
    )
    return batch


def _pack_order() -> Json:
    return {
        "order_id": 70,
        "reference": "#2001",
        "station": "PACK-01",
        "status": "packing",
        "lines": [
            {
                "sku": "SKU-0003",
                "name": "Blue mug",
                "barcodes": ["2000000000031"],
                "qty": 1,
                "picked": 1,
                "verified": 0,
            },
            {
                "sku": "SKU-0007",
                "name": "Tea towel",
                "barcodes": ["4006381333931"],
                "qty": 2,
                "picked": 2,
                "verified": 0,
            },
        ],
        "suggested_carton": "BOX-S",
        "cartons": ["MAILER-S", "BOX-XS", "BOX-S", "BOX-M"],
        "parcels": [],
        "complete": False,
    }


SHIPPED = {
    "id": 900,
    "number": 1,
    "order_id": 70,
    "carrier": "generic",
    "tracking": "WMS0000000017",
    "sscc": "000000000000000017",
    "status": "packed",
}


def _return() -> Json:
    def line(sku: str, qty: int) -> Json:
        return {
            "sku": sku,
            "qty": qty,
            "restocked": 0,
            "quarantined": 0,
            "scrapped": 0,
            "left": qty,
        }

    return {
        "id": 8,
        "order_id": 70,
        "reference": "#2001",
        "status": "open",
        "source": "desk",
        "external_id": None,
        "reason": "",
        "lines": [line("SKU-0003", 1), line("SKU-0007", 2)],
    }


class Problem(Exception):
    def __init__(self, status: int, code: str, title: str, expected: str | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.title, self.expected = status, code, title, expected


class FakeFloor:
    """The fake's state; every handler takes (match, body, user) and returns a JSON value."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.batch = _batch()
        self.assigned = False
        self.pack = _pack_order()
        self.parcels: list[Json] = []
        self.printer_status = "ready"
        self.label_unknown = False  # the last label may have printed: reprint asks first
        self.count_pending = False  # counts wait for a supervisor (beyond the floor's variance)
        self.idem: dict[str, tuple[str, int, bytes]] = {}
        self.applied: list[tuple[str, Json]] = []  # every mutating step that changed state
        self.stock_calls: list[tuple[str, Json]] = []
        self.manifest: Json = {"id": 3, "carrier": "generic", "status": "open", "parcels": []}
        self.ret = _return()
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = []
        for method, pattern, fn in [
            ("POST", r"/auth/login", self.login),
            ("POST", r"/auth/logout", self.logout),
            ("GET", r"/auth/me", self.me),
            ("GET", r"/scan", self.scan),
            ("POST", r"/picking/next", self.next_batch),
            ("GET", r"/picking/batches/(\d+)", self.get_batch),
            ("POST", r"/picking/batches/(\d+)/totes", self.bind),
            ("POST", r"/picking/tasks/(\d+)/confirm", self.confirm),
            ("POST", r"/picking/tasks/(\d+)/short", self.short),
            ("POST", r"/picking/tasks/(\d+)/skip", self.skip),
            ("POST", r"/picking/batches/(\d+)/(pause|resume)", self.pause),
            ("POST", r"/picking/batches/(\d+)/finish", self.finish),
            ("POST", r"/picking/batches/(\d+)/handover", self.handover),
            ("POST", r"/packing/start", self.pack_start),
            ("POST", r"/packing/orders/(\d+)/verify", self.verify),
            ("POST", r"/packing/orders/(\d+)/parcels", self.close_parcel),
            ("POST", r"/packing/parcels/(\d+)/reprint", self.reprint),
            ("POST", r"/packing/scan-and-ship", self.scan_and_ship),
            ("GET", r"/stations/([\w-]+)", self.station),
            ("GET", r"/print-jobs/(\d+)", self.print_job),
            ("POST", r"/stock/(receive|move|count)", self.stock_write),
            ("GET", r"/stock/putaway", self.putaway),
            ("GET", r"/stock/", self.stock_rows),
            ("GET", r"/parcels/(\d+)", self.parcel),
            ("POST", r"/manifests", self.open_manifest),
            ("POST", r"/manifests/(\d+)/scan", self.manifest_scan),
            ("POST", r"/manifests/(\d+)/close", self.close_manifest),
            ("POST", r"/returns/receive", self.return_receive),
            ("POST", r"/returns/(\d+)/grade", self.return_grade),
        ]:
            self.routes.append((method, re.compile(f"^/api/v1{pattern}$"), fn))

    # -- auth -------------------------------------------------------------------
    def login(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        pin, name, role = BADGES.get(body.get("badge", ""), ("", "", ""))
        if not pin or body.get("pin") != pin:
            raise Problem(401, "bad_login", "Wrong badge or PIN")
        token = f"tok-{name}-{len(self.tokens)}"
        self.tokens[token] = name
        return {"token": token, "user": {"id": 1, "username": name, "name": name, "role": role}}

    def logout(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        self.tokens = {t: u for t, u in self.tokens.items() if u != user}
        return {"ok": True}

    def me(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        return {"id": 1, "username": user, "name": user, "role": "picker"}

    def scan(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        code = q.get("code", "")
        for stop in self.batch["stops"]:
            if code == stop["location"]:
                return {
                    "kind": "location",
                    "code": code,
                    "check_code": stop["check_code"],
                    "zone": "A",
                    "location_kind": "pick",
                }
            if code in stop["barcodes"]:
                return {
                    "kind": "product",
                    "sku": stop["sku"],
                    "name": stop["name"],
                    "pack_qty": 1,
                    "lot": None,
                    "expiry": None,
                    "serial": None,
                    "count": None,
                }
        if code == SHIPPED["tracking"]:
            return {"kind": "shipment", "tracking": code, "parcel_id": 900, "order_id": 70}
        if code.startswith("STAGE"):
            return {
                "kind": "location",
                "code": code,
                "check_code": "00",
                "zone": "S",
                "location_kind": "staging",
            }
        raise Problem(404, "unknown_scan", "Unknown code")

    # -- picking ----------------------------------------------------------------
    def next_batch(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if self.batch["status"] == "done":
            raise Problem(404, "no_work", "No work")
        self.assigned = True
        return self.batch

    def get_batch(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        return self.batch

    def _task(self, task_id: str) -> Json:
        for stop in self.batch["stops"]:
            if stop["task_id"] == int(task_id):
                return stop
        raise Problem(404, "not_found", "No such task")

    def _slot(self, n: int | None) -> Json | None:
        return next((s for s in self.batch["slots"] if s["slot"] == n), None)

    def bind(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        slot = self._slot(body.get("slot"))
        if slot is None:
            raise Problem(422, "bad_slot", "No such slot")
        if any(s["tote"] == body["tote"] for s in self.batch["slots"]):
            raise Problem(409, "tote_in_use", "Tote in use")
        if slot.get("fetch_from") and body["tote"] != slot["tote"]:
            slot["fetch_from"] = None  # as the server: a new tote waits nowhere
        slot["tote"] = body["tote"]
        for stop in self.batch["stops"]:
            if stop["slot"] == slot["slot"]:
                stop["tote"] = body["tote"]
        return self.batch

    def _check_stop(self, stop: Json, body: Json) -> None:
        if stop["status"] not in ("open", "skipped"):
            raise Problem(409, "task_done", "Stop already done")
        if body.get("location") not in (stop["location"], stop["check_code"]):
            raise Problem(422, "wrong_location", "Wrong location", stop["location"])

    def _check_item(self, stop: Json, item: str | None) -> None:
        gs1 = (item or "").removeprefix("]C1")
        gtin = gs1[2:16].lstrip("0") if gs1.startswith("01") else None
        if item not in stop["barcodes"] and gtin not in stop["barcodes"]:
            raise Problem(422, "wrong_item", "Wrong item", stop["sku"])

    def _check_tote(self, stop: Json, tote: str | None) -> None:
        slot = stop["slot"] or (1 if self.batch["kind"] == "bulk" else None)
        want = self._slot(slot)["tote"] if slot is not None else None  # type: ignore[index]
        if slot is not None and tote != want:
            raise Problem(422, "wrong_tote", "Wrong tote", want)

    def _advance(self) -> None:
        todo = [s for s in self.batch["stops"] if s["status"] in ("open", "skipped")]
        self.batch["next_task_id"] = todo[0]["task_id"] if todo else None
        self.batch["status"] = "picking"

    def confirm(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        stop = self._task(m[1])
        self._check_stop(stop, body)
        self._check_item(stop, body.get("item"))
        if body["qty"] > stop["qty"] - stop["picked"]:
            raise Problem(422, "too_many", "Too many", str(stop["qty"] - stop["picked"]))
        self._check_tote(stop, body.get("tote"))
        stop["picked"] += body["qty"]
        if stop["picked"] == stop["qty"]:
            stop["status"] = "done"
        self._advance()
        return self.batch

    def short(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        stop = self._task(m[1])
        found, missing = body["found"], stop["qty"] - stop["picked"] - body["found"]
        if found:
            self._check_item(stop, body.get("item"))
            self._check_tote(stop, body.get("tote"))
        stop["picked"] += found
        stop["status"] = "short"
        # Re-allocated from another location as a new stop, as the real server does.
        new = dict(
            stop,
            task_id=stop["task_id"] + 100,
            location="C01-01-1",
            check_code="33",
            qty=missing,
            picked=0,
            status="open",
            seq=len(self.batch["stops"]) + 1,
        )
        self.batch["stops"].append(new)
        self._advance()
        return self.batch

    def skip(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        stop = self._task(m[1])
        self.batch["stops"].remove(stop)
        self.batch["stops"].append(stop)
        stop["status"] = "skipped"
        self._advance()
        return self.batch

    def pause(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        self.batch["status"] = "paused" if m[2] == "pause" else "picking"
        return self.batch

    def handover(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if body.get("badge") not in BADGES:
            raise Problem(404, "unknown_badge", "Unknown badge")
        self.batch.update(picker=BADGES[body["badge"]][1], status="paused")
        return self.batch

    def finish(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if body.get("drop") not in (self.batch["drop_location"], self.batch["drop_check_code"]):
            raise Problem(422, "wrong_location", "Wrong location", self.batch["drop_location"])
        if any(s["status"] in ("open", "skipped") for s in self.batch["stops"]):
            raise Problem(409, "stops_open", "Stops still open")
        self.batch["status"] = "done"
        return self.batch

    # -- packing ------------------------------------------------------------------
    def pack_start(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        totes = self.pack.get("totes") or []
        if body.get("scan") not in ("T0070", "#2001", "70", *[t["tote"] for t in totes]):
            raise Problem(404, "unknown_scan", "Unknown code")
        if self.pack["status"] == "packed":
            raise Problem(409, "already_packed", "Already packed")
        for tote in totes:  # as the server: a tote scanned at start is at the bench
            tote["scanned"] = tote["scanned"] or tote["tote"] == body["scan"]
        missing = [t["tote"] for t in totes if not t["scanned"]]
        self.pack["totes_missing"] = missing if len(totes) > 1 else []
        return self.pack

    def verify(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        for line in self.pack["lines"]:
            if body.get("scan") in line["barcodes"]:
                if line["verified"] >= line["picked"]:
                    raise Problem(422, "too_many", "Too many", line["sku"])
                line["verified"] += 1
                self.pack["complete"] = all(
                    x["verified"] == x["picked"] for x in self.pack["lines"]
                )
                return self.pack
        raise Problem(422, "not_in_order", "Not in this order")

    def _parcel(self, carton: str, weight: int | None) -> Json:
        number = len(self.parcels) + 1
        parcel = {
            "id": 500 + number,
            "number": number,
            "carton": carton,
            "weight_g": weight if weight is not None else 640,
            "tracking": f"1Z999AA1012345678{number}",
            "sscc": f"00012345600000000{number}",
            "label_job": 900 + number,
            "status": "labelled",
        }
        self.parcels.append(parcel)
        return parcel

    def close_parcel(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        parcel = self._parcel(body["carton"], body.get("weight_g"))
        self.pack["parcels"].append(parcel)
        self.pack["status"] = "packed"
        return {"parcel": parcel, "view": self.pack}

    def reprint(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if self.label_unknown and q.get("label_missing") != "true":
            raise Problem(409, "label_may_have_printed", "Check the printer")
        return {"job": {"id": 990, "status": "queued", "printer": "label", "error": None}}

    def scan_and_ship(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if body.get("scan") != "4006381333931":
            raise Problem(404, "no_waiting_order", "No order waits")
        return {"order_id": 80, "reference": "#3001", "parcel": self._parcel("MAILER-S", None)}

    def station(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        messages = {"ready": "", "paper_out": "Load labels", "head_open": "Close the head"}
        return {
            "code": m[1],
            "label_printer": {
                "url": "tcp://127.0.0.1:9100",
                "status": self.printer_status,
                "message": messages.get(self.printer_status),
            },
            "document_printer": None,
            "scale": None,
        }

    def print_job(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        failed = self.printer_status != "ready"
        unknown = self.label_unknown and int(m[1]) != 990  # 990: the reprint's job
        return {
            "id": int(m[1]),
            "status": "unknown" if unknown else "failed" if failed else "done",
            "printer": "label",
            "error": "Load labels" if failed else None,
        }

    # -- stock --------------------------------------------------------------------------
    def stock_write(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        self.stock_calls.append((m[1], body))
        if m[1] == "count" and self.count_pending:
            return {"differences": [], "pending": True, "count_id": 7}
        return {"ok": True}

    def putaway(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        return {"location": "A01-03-1", "reason": "home location"}

    def stock_rows(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> list[Json]:
        return [
            {
                "sku": "SKU-0003",
                "location": "A01-03-1",
                "lot": "",
                "expiry": None,
                "on_hand": 17,
                "allocated": 3,
            }
        ]

    # -- handover and returns ---------------------------------------------------------
    def parcel(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if int(m[1]) != SHIPPED["id"]:
            raise Problem(404, "unknown_parcel", "Unknown parcel")
        return dict(SHIPPED)

    def _manifest_view(self) -> Json:
        return dict(self.manifest, count=len(self.manifest["parcels"]))

    def open_manifest(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        self.manifest["carrier"] = body.get("carrier") or "generic"
        return self._manifest_view()

    def manifest_scan(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if body.get("scan") != SHIPPED["tracking"]:
            raise Problem(404, "unknown_parcel", "Unknown parcel")
        if self.manifest["parcels"]:
            raise Problem(409, "already_shipped", "Already shipped")
        self.manifest["parcels"].append(
            {"id": 900, "order_id": 70, "tracking": SHIPPED["tracking"], "sscc": SHIPPED["sscc"]}
        )
        return {
            "parcel": dict(SHIPPED, status="shipped"),
            "order_status": "shipped",
            "manifest": self._manifest_view(),
        }

    def close_manifest(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        self.manifest["status"] = "closed"
        return self._manifest_view()

    def return_receive(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        if body.get("scan") not in (SHIPPED["tracking"], "#2001"):
            raise Problem(404, "unknown_scan", "Unknown scan")
        self.ret["status"] = "received"
        return self.ret

    def return_grade(self, m: re.Match[str], body: Json, user: str | None, q: Json) -> Json:
        sku = {"2000000000031": "SKU-0003", "4006381333931": "SKU-0007"}.get(body.get("scan", ""))
        line = next((x for x in self.ret["lines"] if x["sku"] == sku and x["left"]), None)
        if line is None:
            raise Problem(422, "not_in_return", "Not in this return")
        grade = {"restock": "restocked", "quarantine": "quarantined", "scrap": "scrapped"}
        line[grade[body["grade"]]] += 1
        line["left"] -= 1
        if not any(x["left"] for x in self.ret["lines"]):
            self.ret["status"] = "done"
        return self.ret

    # -- ASGI ------------------------------------------------------------------------------
    async def __call__(
        self,
        scope: Json,
        receive: Callable[[], Awaitable[Json]],
        send: Callable[[Json], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, body, replayed = self.handle(scope, raw)
        headers = [
            (b"content-type", b"application/json" if status < 400 else b"application/problem+json")
        ]
        if replayed:
            headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def handle(self, scope: Json, raw: bytes) -> tuple[int, bytes, bool]:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        query = dict(httpx.QueryParams(scope.get("query_string", b"").decode()))
        token = headers.get("authorization", "").removeprefix("Bearer ")
        user = self.tokens.get(token)
        key = headers.get("idempotency-key", "")
        for verb, pattern, fn in self.routes:
            match = pattern.match(path)
            if verb != method or not match:
                continue
            if user is None and not path.endswith("/auth/login"):
                return self.problem(Problem(401, "unauthorized", "Please log in"))
            if method == "POST" and not key:
                return self.problem(Problem(400, "idempotency_key_required", "Key required"))
            if key in self.idem:
                first_body, status, answer = self.idem[key]
                if first_body != raw.decode():
                    return self.problem(Problem(422, "idempotency_key_reused", "Key reused"))
                return status, answer, True
            body = json.loads(raw or b"{}")
            try:
                before = json.dumps([self.batch, self.pack, self.parcels, self.stock_calls])
                result = fn(match, body, user, query)
            except Problem as p:
                status, answer, _ = self.problem(p)
            else:
                status, answer = 200, json.dumps(result).encode()
                if before != json.dumps([self.batch, self.pack, self.parcels, self.stock_calls]):
                    self.applied.append((path, body))
            if method == "POST":
                self.idem[key] = (raw.decode(), status, answer)
            return status, answer, False
        return self.problem(Problem(404, "not_found", "Not found"))

    @staticmethod
    def problem(p: Problem) -> tuple[int, bytes, bool]:
        body: Json = {
            "type": f"https://wms.dev/problems/{p.code}",
            "title": p.title,
            "status": p.status,
            "code": p.code,
            "detail": p.title,
        }
        if p.expected is not None:
            body["expected"] = p.expected
        return p.status, json.dumps(body).encode(), False

    def snapshot(self) -> Json:
        return copy.deepcopy(self.batch)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    """The fake under uvicorn in a thread; stop() and start() again on the same port."""

    def __init__(self, floor: FakeFloor | None = None) -> None:
        self.floor = floor or FakeFloor()
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeServer:
        config = uvicorn.Config(
            self.floor, host="127.0.0.1", port=self.port, log_level="error", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        server = self._server
        wait_until(lambda: server.started, "the fake floor API to start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
