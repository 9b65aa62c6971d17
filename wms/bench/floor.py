"""`wms bench floor`: pickers and packers working a released wave at once, against a real server.

Sets up the demo warehouse with bench pickers and packers, starts `wms serve` and a printer
simulator, sends orders, releases one wave, then runs each terminal as a task: pickers claim
batches, bind totes and confirm every stop; packers take the dropped totes, verify each unit
and close parcels (labels print on the simulator). Every call's scan-to-answer time is
recorded. The ceiling is a bare endpoint doing one comparable write (wms.bench.ceiling)
under the same number of clients.

Terminals work at the pace of people (each pause drawn between half and one and a half times
its mean). The terminal checks a stop's location, item and tote scans itself and calls the
server once, so a picker's call comes every `--stop-s` (walk to the next location, three
scans; 8 s is 450 lines an hour, faster than a good cart picker keeps up for a shift). Binding
a tote to a cart slot takes `--bind-s`; a packer scans an item every `--scan-s` and closes a
parcel (carton, weight) after `--close-s`. `--speed N` divides every pause by N: a stress
run, not a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from printers.simulator import SimulatorThread
from wms.bench.common import (
    add_site_argument,
    ceiling_server,
    drain_outbox,
    pct,
    site_database,
    start_sink,
)
from wms.bench.people import PIN, Pace, Recorder, packer, picker
from wms.db import Database
from wms.loopback import ProcessServer, free_port
from wms.models import Product, Stock
from wms.models.shipping import PackStation
from wms.services import auth
from wms.services.check import violations

SHIP_TO = {
    "name": "Bench Buyer",
    "line1": "1 Test St",
    "city": "Austin",
    "region": "TX",
    "postal_code": "78701",
    "country": "US",
}


async def _setup(
    path: Path, sink_url: str, printer_url: str, pickers: int, packers: int, site: Path
) -> list[str]:
    """The warehouse, the terminals' users, stations on the simulator; returns sellable SKUs."""
    db = await site_database(path, sink_url, site)
    try:
        for i in range(pickers):
            await auth.create_user(
                db, username=f"bench-picker-{i}", role="picker", badge=f"BP{i:03d}", pin=PIN
            )
        for i in range(packers):
            await auth.create_user(
                db, username=f"bench-packer-{i}", role="packer", badge=f"BK{i:03d}", pin=PIN
            )
        return await db.run(_stations_and_skus, printer_url, f"file:{path.parent}/docs")
    finally:
        await db.dispose()


def _stations_and_skus(s: Session, printer_url: str, documents_url: str) -> list[str]:
    s.execute(
        update(PackStation).values(
            label_printer_url=printer_url, document_printer_url=documents_url
        )
    )
    rows = s.execute(
        select(Product.sku)
        .join(Stock, Stock.product_id == Product.id)
        .where(Product.lot_tracked.is_(False), Stock.on_hand >= 20)
        .distinct()
    ).scalars()
    return sorted(rows)


async def _work(
    url: str, db_path: Path, skus: list[str], args: argparse.Namespace
) -> tuple[Recorder, float]:
    await _prepare(url, db_path, skus, args)
    return await _shift(url, args)


async def _prepare(url: str, db_path: Path, skus: list[str], args: argparse.Namespace) -> None:
    """The morning's orders in, one wave released, the channels told: the shift can start."""
    rng = random.Random(args.seed)
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        c.headers["Authorization"] = "Bearer demo-integration-token"
        ids = []
        for i in range(args.orders):
            lines = [
                {"sku": sku, "qty": rng.choice((1, 1, 2)), "unit_price": "9.90"}
                for sku in rng.sample(skus, rng.choice((1, 2, 3)))
            ]
            r = await c.post(
                "/api/v1/orders/",
                params={"channel": "own-main"},
                json={
                    "order_id": f"FLOOR-{i}",
                    "currency": "USD",
                    "lines": lines,
                    "ship_to": SHIP_TO,
                },
            )
            r.raise_for_status()
            ids.append(r.json()["id"])
        r = await c.post("/api/v1/auth/login", json={"badge": "B3001", "pin": "4321"})
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        r = await c.post(
            "/api/v1/waves/",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "order_ids": ids,
                "max_orders": len(ids),
                "max_batches": 1000,
                "cart_totes": 8,
                "iterations": 0,
                "time_budget_s": 5,
            },
        )
        r.raise_for_status()
    # The channels hear of the morning's orders before the shift starts: the floor is
    # measured on floor work, not on the intake's stock pushes still draining.
    await drain_outbox(db_path)


async def _shift(url: str, args: argparse.Namespace) -> tuple[Recorder, float]:
    """The terminals at work until the wave is picked (and the packers' orders in hand)."""
    rec = Recorder()
    totes: asyncio.Queue[str | None] = asyncio.Queue()
    pace = _pace(args)
    started = time.perf_counter()
    pickers = [asyncio.create_task(picker(url, n, rec, totes, pace)) for n in range(args.pickers)]
    packers = [asyncio.create_task(packer(url, n, rec, totes, pace)) for n in range(args.packers)]
    await asyncio.gather(*pickers)
    picking_s = time.perf_counter() - started
    # The wave is picked: packers finish the order in hand. Forty pickers fill totes faster
    # than ten packers empty them, so the rest wait at the benches (counted, not timed).
    while not totes.empty():
        totes.get_nowait()
        rec.left_to_pack += 1
    for _ in packers:
        await totes.put(None)
    await asyncio.gather(*packers)
    return rec, picking_s


async def _ceiling(url: str, clients: int, requests: int) -> float:
    counter = iter(range(requests))

    async def loop(c: httpx.AsyncClient) -> None:
        for n in counter:
            await c.post(f"/pick/{n}", content=b"{}")

    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        started = time.perf_counter()
        await asyncio.gather(*(loop(c) for _ in range(clients)))
        return requests / (time.perf_counter() - started)


def _pace(args: argparse.Namespace) -> Pace:
    return Pace(args.stop_s, args.bind_s, args.scan_s, args.close_s, args.speed)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wms bench floor")
    add_site_argument(parser)
    parser.add_argument("--pickers", type=int, default=40)
    parser.add_argument("--packers", type=int, default=10)
    parser.add_argument("--orders", type=int, default=320)
    people = Pace()
    parser.add_argument("--stop-s", type=float, default=people.stop_s, help="picker, per stop")
    parser.add_argument("--bind-s", type=float, default=people.bind_s, help="picker, per tote")
    parser.add_argument("--scan-s", type=float, default=people.scan_s, help="packer, per item")
    parser.add_argument("--close-s", type=float, default=people.close_s, help="per parcel")
    parser.add_argument("--speed", type=float, default=1.0, help="divide every pause (stress)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--trace", type=Path, help="write every call's timings as CSV")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="wms-bench-floor-"))
    sink_port = free_port()
    sink = start_sink(sink_port)
    printer = SimulatorThread(port=0).start()
    try:
        db_path = work / "floor.sqlite"
        skus = asyncio.run(
            _setup(
                db_path,
                f"http://127.0.0.1:{sink_port}",
                f"tcp://127.0.0.1:{printer.port}",
                args.pickers,
                args.packers,
                args.site,
            )
        )
        shutil.copyfile(db_path, work / "ceiling.sqlite")
        # The outbox (labels to the printers, pushes to the channels) runs in the server
        # process, as `make run` runs it.
        with ProcessServer(f"sqlite+aiosqlite:///{db_path}") as server:
            rec, picking_s = asyncio.run(_work(server.url, db_path, skus, args))
            asyncio.run(drain_outbox(db_path))  # every label printed before we count them
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        found = asyncio.run(violations(db))
        asyncio.run(db.dispose())

        with ceiling_server(work / "ceiling.sqlite") as url:
            ceiling = asyncio.run(_ceiling(url, args.pickers + args.packers, 2000))
    finally:
        printer.stop()
        sink.terminate()
    result = {
        "db": "sqlite",
        "terminals": args.pickers + args.packers,
        "pace_s": dataclasses.asdict(_pace(args)),
        "calls": len(rec.latencies),
        "p50_ms": pct(rec.latencies, 50),
        "p99_ms": pct(rec.latencies, 99),
        "server_p50_ms": pct(rec.server_ms, 50),
        "server_p99_ms": pct(rec.server_ms, 99),
        "picks": rec.picks,
        "picks_per_s": round(rec.picks / picking_s, 1),
        "ceiling_per_s": round(ceiling, 1),
        "labels_printed": len(printer.labels),
        "orders_left_to_pack": rec.left_to_pack,
        "errors": len(rec.errors),
        "violations": len(found),
        "by_call": {
            name: {"calls": len(ms), "p50_ms": pct(ms, 50), "p99_ms": pct(ms, 99)}
            for name, ms in sorted(rec.by_call.items())
        },
    }
    for line in rec.errors[:5] + found[:5]:
        print(line, file=sys.stderr)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.trace:
        first = min((t for t, _, _, _ in rec.trace), default=0.0)
        args.trace.write_text(
            "start_s,ms,server_ms,call\n"
            + "".join(f"{t - first:.3f},{ms:.2f},{sv:.2f},{c}\n" for t, ms, sv, c in rec.trace)
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if not found and not rec.errors else 1
