"""The bench's people: terminals at the pace of people (pickers, packers) and what they saw.

A picker claims a batch, binds a tote to each slot, confirms every stop and drops the cart at
the pack bench; a packer takes a dropped tote, verifies each unit and closes the parcel. Each
call's scan-to-answer time (and the server's own share, from its Server-Timing header) is
recorded by a `Recorder`.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PIN = "2468"


class Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.by_call: dict[str, list[float]] = {}
        self.server_ms: list[float] = []  # the server's own share (its Server-Timing header)
        self.trace: list[tuple[float, float, float, str]] = []  # for --trace
        self.picks = 0
        self.left_to_pack = 0
        self.errors: list[str] = []

    async def call(
        self, client: httpx.AsyncClient, method: str, url: str, **kw: Any
    ) -> httpx.Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {}
        started = time.perf_counter()
        r = await client.request(method, url, headers=headers, **kw)
        ms = (time.perf_counter() - started) * 1000
        self.latencies.append(ms)
        # Per kind of call ("POST /api/v1/picking/tasks/{id}/confirm"), to see what is slow.
        name = method + " " + re.sub(r"/\d+", "/{id}", url)
        self.by_call.setdefault(name, []).append(ms)
        server_ms = float(r.headers.get("server-timing", "app;dur=nan").partition("dur=")[2])
        self.server_ms.append(server_ms)
        self.trace.append((started, ms, server_ms, name))
        if r.status_code >= 400 and not (url.endswith("/next") and r.status_code == 404):
            self.errors.append(f"{method} {url}: {r.status_code} {r.text[:200]}")
        return r


def unit_barcode(codes: list[str]) -> str:
    """The each's EAN/UPC, not an inner pack's GTIN-14 (which counts several units)."""
    return next((c for c in codes if len(c) in (12, 13)), codes[0])


async def login(client: httpx.AsyncClient, badge: str) -> None:
    r = await client.post("/api/v1/auth/login", json={"badge": badge, "pin": PIN})
    r.raise_for_status()
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"


@dataclass(frozen=True)
class Pace:
    """How long people take between calls, in seconds (means)."""

    stop_s: float = 8.0
    bind_s: float = 2.0
    scan_s: float = 2.0
    close_s: float = 5.0
    speed: float = 1.0

    async def pause(self, rng: random.Random, mean_s: float) -> None:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * mean_s / self.speed)


async def picker(
    url: str, n: int, rec: Recorder, totes: asyncio.Queue[str | None], pace: Pace
) -> None:
    rng = random.Random(n)
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        await login(c, f"BP{n:03d}")
        while True:
            r = await rec.call(c, "POST", "/api/v1/picking/next")
            if r.status_code == 404:
                return
            batch = r.json()
            for slot in batch["slots"]:
                if slot["tote"] is None:
                    await pace.pause(rng, pace.bind_s)
                    r = await rec.call(
                        c,
                        "POST",
                        f"/api/v1/picking/batches/{batch['id']}/totes",
                        json={
                            "slot": slot["slot"],
                            "tote": f"T{n:02d}{batch['id']:04d}{slot['slot']:02d}",
                        },
                    )
                    batch = r.json()
            while batch.get("next_task_id") is not None:
                stop = next(s for s in batch["stops"] if s["task_id"] == batch["next_task_id"])
                await pace.pause(rng, pace.stop_s)
                r = await rec.call(
                    c,
                    "POST",
                    f"/api/v1/picking/tasks/{stop['task_id']}/confirm",
                    json={
                        "location": stop["location"],
                        "item": unit_barcode(stop["barcodes"]),
                        "qty": stop["qty"] - stop["picked"],
                        "tote": stop["tote"] or batch["slots"][0]["tote"],
                    },
                )
                if r.status_code != 200:
                    return
                rec.picks += 1
                batch = r.json()
            await pace.pause(rng, pace.bind_s)  # at the pack bench: scan the drop location
            r = await rec.call(
                c,
                "POST",
                f"/api/v1/picking/batches/{batch['id']}/finish",
                json={"drop": batch["drop_location"]},
            )
            for slot in batch["slots"]:
                if slot["tote"] and slot["order_id"]:
                    await totes.put(slot["tote"])


async def packer(
    url: str, n: int, rec: Recorder, totes: asyncio.Queue[str | None], pace: Pace
) -> None:
    station = f"PACK-{n % 6 + 1:02d}"
    rng = random.Random(1000 + n)
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        await login(c, f"BK{n:03d}")
        while (tote := await totes.get()) is not None:
            await pace.pause(rng, pace.scan_s)
            r = await rec.call(
                c, "POST", "/api/v1/packing/start", json={"station": station, "scan": tote}
            )
            if r.status_code != 200:
                continue
            view = r.json()
            for line in view["lines"]:
                for _ in range(line["qty"] - line.get("verified", 0)):
                    await pace.pause(rng, pace.scan_s)
                    r = await rec.call(
                        c,
                        "POST",
                        f"/api/v1/packing/orders/{view['order_id']}/verify",
                        json={"scan": unit_barcode(line["barcodes"])},
                    )
                    view = r.json() if r.status_code == 200 else view
            await pace.pause(rng, pace.close_s)
            await rec.call(
                c,
                "POST",
                f"/api/v1/packing/orders/{view['order_id']}/parcels",
                json={"carton": view.get("suggested_carton") or "BOX-M", "weight_g": 800},
            )
