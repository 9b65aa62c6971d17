"""`wms bench tracking`: a poll of many open parcels and signed webhooks, beside the floor.

Sets up the floor bench's warehouse (wms.bench.floor: its pickers, packers, printer simulator
and sink), then seeds ``--parcels`` handed-over parcels straight into the database (bulk Core
inserts of orders, shipments, parcels and their tracking rows, as the handover leaves them:
shipped, pending, due for a poll). A fake carrier on loopback answers tracking asks in
batches in the shape the carriers' trackers give (karrio's tracking details: a number, an
estimate, events with date, time, code, status, description, location); the generic
carrier's tracker is pointed at it. The channels are told by `wms worker` beside the server,
as the README runs it with that many parcels in transit (``--outbox-in-server``: by the
server's own outbox worker). The floor's shift starts; after ``--quiet-s`` the
polling pass (wms.services.tracking_poll.poll_pass, as the poller of ``wms worker`` runs it,
in a process of its own) goes over every parcel while ``--webhooks-per-min`` signed tracking
webhooks reach the real server.
Floor calls started while the tracking load ran are counted apart from the others.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from printers.simulator import SimulatorThread
from wms.bench import floor
from wms.bench.common import add_site_argument, pct, start_sink
from wms.bench.tracking_carrier import FakeCarrier, LoopbackTracker
from wms.carriers import registry
from wms.db import Database, long_running, reads
from wms.domain.orders import OrderStatus
from wms.loopback import ProcessServer, ProcessWorker, free_port
from wms.models import Channel, Outbox, SalesOrder
from wms.models.common import utcnow
from wms.models.shipping import Parcel, Shipment
from wms.models.tracking import ParcelTracking
from wms.services import tracking_poll, tracking_webhook

SECRET_ENV = "WMS_BENCH_TRACKING_SECRET"
SECRET = "bench-tracking-secret"
HANDED_OVER = timedelta(hours=6)  # the seeded parcels left the dock this long ago
POSTAL = "78701"
# The seeded parcels fall due this long after the seeding: the server's poller, which looks
# once as it starts, leaves them to the bench's pass, which asks as if this much later.
DUE_IN = timedelta(hours=1)


def _ready() -> None:
    """Nothing: the pass's process is up (and has imported this module)."""


def _pass(db_path: str, fake_url: str, limit: int, now: datetime) -> dict[str, int]:
    """The polling pass in a process of its own, as ``wms worker`` runs the server's poller.

    In the bench's process its CPU work (parsing the carrier's answers, building the rows)
    held the GIL against the floor's and the webhooks' clients, whose times it then added to.
    """
    registry.configure(registry.load(Path(os.environ["WMS_CARRIERS"])))
    site = registry.current()
    tracker = LoopbackTracker(
        **{f.name: getattr(site.generic, f.name) for f in dataclasses.fields(site.generic)},
        url=fake_url,
    )
    registry.configure(dataclasses.replace(site, generic=tracker))

    async def run() -> dict[str, int]:
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        try:
            return await tracking_poll.poll_pass(db, limit=limit, now=now)
        finally:
            await db.dispose()
            tracker.http.close()

    return asyncio.run(run())


def _carriers_file(work: Path, site: Path) -> Path:
    """The site's carriers, with the bench's webhook secret and no poll of the server's own."""
    raw = json.loads((site / "carriers.json").read_text())
    raw["generic"].pop("simulate_minutes", None)
    raw["generic"]["webhook_secret_env"] = SECRET_ENV
    # The bench's pass is the one measured: the server's poller waits a day.
    raw["tracking_poll_seconds"] = 86_400
    path = work / "carriers.json"
    path.write_text(json.dumps(raw))
    return path


async def _seed(path: Path, parcels: int, now: datetime) -> list[str]:
    """Handed-over parcels, one order each, in bulk; returns their tracking numbers."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    generic = registry.generic()
    at = now - HANDED_OVER
    try:

        @long_running
        def _write(s: Session) -> list[str]:
            channel_id = (
                s.execute(select(Channel.id).where(Channel.code == "own-main"))
            ).scalar_one()
            # Orders, shipments and parcels share their ids: before the floor packs any.
            last = [
                (s.execute(select(func.max(t.id)))).scalar() or 0
                for t in (SalesOrder, Shipment, Parcel)
            ]
            first = max(last) + 1
            ids = range(first, first + parcels)
            zero = {k: 0 for k in ("subtotal", "shipping", "discount", "tax", "total")}
            orders = [
                {"id": i, "channel_id": channel_id, "external_id": f"TRACK-{i}",
                 "status": OrderStatus.SHIPPED, "carrier": generic.code, "ship_name": "Bench Buyer",
                 "ship_line1": "1 Test St", "ship_city": "Austin", "ship_region": "TX",
                 "ship_postal_code": POSTAL, "ship_country": "US", **zero, "channel_fee": 0,
                 "commission": 0, "created_at": at, "updated_at": at}
                for i in ids
            ]  # fmt: skip
            numbers = [generic.tracking_number(i) for i in ids]
            for lo in range(0, parcels, 5000):
                chunk = slice(lo, lo + 5000)
                s.execute(insert(SalesOrder), orders[chunk])
                s.execute(
                    insert(Shipment),
                    [{"id": i, "order_id": i, "carrier": generic.code, "status": "shipped",
                      "created_at": at, "shipped_at": at} for i in ids[chunk]],
                )  # fmt: skip
                s.execute(
                    insert(Parcel),
                    [{"id": i, "shipment_id": i, "order_id": i, "number": 1, "carton": "BOX-M",
                      "weight_g": 800, "carrier": generic.code, "tracking": n,
                      "sscc": generic.sscc(i), "contents": {}, "status": "shipped",
                      "created_at": at, "shipped_at": at}
                     for i, n in zip(ids[chunk], numbers[chunk], strict=True)],
                )  # fmt: skip
                s.execute(
                    insert(ParcelTracking),
                    [{"parcel_id": i, "order_id": i, "carrier": generic.code, "tracking": n,
                      "status": "pending", "next_poll_at": now + DUE_IN, "handed_over_at": at,
                      "updated_at": at}
                     for i, n in zip(ids[chunk], numbers[chunk], strict=True)],
                )  # fmt: skip
            return numbers

        # Tens of thousands of rows: a worker thread, as any long write.
        return await db.run(_write)
    finally:
        await db.dispose()


async def _tells(path: Path) -> tuple[int, int]:
    """Tracking changes told to the channels, and still to tell."""

    @reads
    def count(s: Session) -> dict[str, int]:
        query = select(Outbox.status, func.count()).where(Outbox.kind == "tracking_event")
        return dict(s.execute(query.group_by(Outbox.status)).tuples().all())

    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        by_status = await db.run(count)
    finally:
        await db.dispose()
    left = by_status.get("pending", 0) + by_status.get("sending", 0)
    return by_status.get("sent", 0), left


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Webhooks:
    """Signed ``tracker_updated`` deliveries at a steady rate until told to stop."""

    def __init__(self, url: str, numbers: list[str], per_min: int, base: datetime) -> None:
        self.url, self.numbers, self.per_min, self.base = url, numbers, per_min, base
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        interval = 60 / self.per_min
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as c:
            started, n, pending = time.perf_counter(), 0, set()
            while not self.stop.is_set():
                # From the newest parcel back, so they meet the pass (oldest first) midway.
                number = self.numbers[-1 - n % len(self.numbers)]
                pending.add(asyncio.create_task(self._send(c, number, n)))
                pending = {t for t in pending if not t.done()}
                n += 1
                delay = started + n * interval - time.perf_counter()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), max(delay, 0))
            await asyncio.gather(*pending)

    async def _send(self, c: httpx.AsyncClient, number: str, n: int) -> None:
        at = self.base + timedelta(hours=5, seconds=n)  # later than the carrier's polled story
        event = {"date": at.strftime("%Y-%m-%d"), "time": at.strftime("%H:%M:%S"), "code": "OD",
                 "status": "out_for_delivery", "description": f"Out for delivery ({n})",
                 "location": "Delivery depot"}  # fmt: skip
        body = json.dumps(
            {"id": f"evt_{n}", "type": "tracker_updated",
             "data": {"tracking_number": number, "events": [event]}}
        ).encode()  # fmt: skip
        headers = {"X-WMS-Signature": tracking_webhook.sign(SECRET, body, int(time.time())),
                   "Content-Type": "application/json"}  # fmt: skip
        t0 = time.perf_counter()
        r = await c.post(f"/webhooks/tracking/{registry.generic().code}", content=body,
                         headers=headers)  # fmt: skip
        self.latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            self.errors.append(f"webhook {number}: {r.status_code} {r.text[:200]}")


async def _run(
    url: str, db_path: Path, skus: list[str], numbers: list[str], fake: FakeCarrier,
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    await floor._prepare(url, db_path, skus, args)
    shift = asyncio.create_task(floor._shift(url, args))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(shift), args.quiet_s)
    hooks = Webhooks(url, numbers, args.webhooks_per_min, fake.base)
    passes = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    # The process starts before the clock does (an interpreter and wms to import).
    await asyncio.get_running_loop().run_in_executor(passes, _ready)
    load_from = time.perf_counter()
    sending = asyncio.create_task(hooks.run())
    try:
        counts = await asyncio.get_running_loop().run_in_executor(
            passes, _pass, str(db_path), fake.url, len(numbers), utcnow() + DUE_IN
        )
        pass_s = time.perf_counter() - load_from
        # Webhooks go on for at least `--min-load-s`, even when the shift is over sooner.
        await asyncio.sleep(max(args.min_load_s - (time.perf_counter() - load_from), 0))
    finally:
        hooks.stop.set()
        await sending
        load_to = time.perf_counter()
        passes.shutdown()
    rec, _ = await shift
    told, to_tell = await _tells(db_path)
    loaded = [ms for t, ms, _, _ in rec.trace if load_from <= t <= load_to]
    quiet = [ms for t, ms, _, _ in rec.trace if not load_from <= t <= load_to]
    for line in (rec.errors + hooks.errors)[:5]:
        print(line, file=sys.stderr)
    return {
        "db": "sqlite",
        "parcels": len(numbers),
        "pass_s": round(pass_s, 2),
        "asked": counts["asked"],
        "poll_failed": counts["failed"],
        "new_events": counts["new_events"],
        "carrier_calls": fake.asks,
        "webhooks_per_min": args.webhooks_per_min,
        "events": len(hooks.latencies),
        "webhook_p50_ms": pct(hooks.latencies, 50),
        "webhook_p99_ms": pct(hooks.latencies, 99),
        "load_s": round(load_to - load_from, 2),
        "floor_calls": len(rec.latencies),
        "floor_calls_with_tracking": len(loaded),
        "floor_p99_ms": pct(loaded, 99),
        "floor_p99_ms_without_tracking": pct(quiet, 99),
        "floor_p50_ms": pct(loaded, 50),
        "floor_p50_ms_without_tracking": pct(quiet, 50),
        "picks": rec.picks,
        "channel_tells_sent": told,  # tracking changes told to the channels by the end
        "channel_tells_left": to_tell,  # still to tell (the outbox drains them after)
        "errors": len(rec.errors) + len(hooks.errors) + counts["failed"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wms bench tracking")
    add_site_argument(parser)
    parser.add_argument("--parcels", type=int, default=50_000)
    parser.add_argument("--webhooks-per-min", type=int, default=1000)
    parser.add_argument("--quiet-s", type=float, default=60, help="floor alone before the load")
    parser.add_argument("--min-load-s", type=float, default=60, help="webhooks at least this long")
    # Tens of thousands of parcels in transit: the README runs `wms worker` beside the server.
    parser.add_argument(
        "--outbox-in-server",
        action="store_true",
        help="the server's own outbox worker tells the channels (default: `wms worker`)",
    )
    # A shortened floor (wms bench floor's terminals, at the pace of people).
    parser.add_argument("--pickers", type=int, default=10)
    parser.add_argument("--packers", type=int, default=3)
    parser.add_argument("--orders", type=int, default=80)
    people = floor.Pace()
    parser.add_argument("--stop-s", type=float, default=people.stop_s)
    parser.add_argument("--bind-s", type=float, default=people.bind_s)
    parser.add_argument("--scan-s", type=float, default=people.scan_s)
    parser.add_argument("--close-s", type=float, default=people.close_s)
    parser.add_argument("--speed", type=float, default=1.0, help="divide every pause (stress)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="wms-bench-tracking-"))
    sink_port = free_port()
    sink = start_sink(sink_port)
    printer = SimulatorThread(port=0).start()
    carriers = _carriers_file(work, args.site)
    try:
        with _env(WMS_CARRIERS=str(carriers), **{SECRET_ENV: SECRET}):
            saved = registry.current()
            registry.configure(registry.load(carriers))
            db_path = work / "tracking.sqlite"
            skus = asyncio.run(
                floor._setup(
                    db_path,
                    f"http://127.0.0.1:{sink_port}",
                    f"tcp://127.0.0.1:{printer.port}",
                    args.pickers,
                    args.packers,
                    args.site,
                )
            )
            now = utcnow()
            numbers = asyncio.run(_seed(db_path, args.parcels, now))
            url = f"sqlite+aiosqlite:///{db_path}"
            in_server = args.outbox_in_server
            with (
                FakeCarrier(now - HANDED_OVER) as fake,
                ProcessServer(url, run_workers=in_server) as server,
                contextlib.nullcontext() if in_server else ProcessWorker(url),
            ):
                result = asyncio.run(_run(server.url, db_path, skus, numbers, fake, args))
                result["outbox"] = "server" if in_server else "wms worker"
            registry.configure(saved)
    finally:
        printer.stop()
        sink.terminate()
        sink.wait(timeout=10)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if not result["errors"] else 1
