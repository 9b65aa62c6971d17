"""`wms bench board`: the floor bench with supervisors holding the live board open.

Runs the floor bench's pickers and packers (wms.bench.floor, same pace of people) on fresh
copies of one warehouse, `--rounds` pairs of runs: one with no board open, one with `--boards`
supervisors each holding the board's event stream (/ui/events) open, in a process of their
own. For every confirmed pick it records when the answer came back, and for every open board
when a `board` fragment first showed that batch with that many stops done:
`board_p50_ms`/`board_p99_ms` are those delays over every (scan, board) pair.
`floor_p99_ms` is the floor's call p99 over every call of a condition's rounds.

Then, on a third copy, it takes in `--open-orders` orders, releases a wave of
`--wave-orders`, and times the board page (`page_p99_ms`); and while pickers scan that wave,
it plans and releases waves of `--release-orders`, one after another, recording the p99 of
the scans made inside those plan+release windows (`scan_p99_during_release_ms`, over
`scans_during_release` samples: at least `--release-samples`). `--only release` runs that
part alone.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from printers.simulator import SimulatorThread
from wms.bench import floor, people
from wms.bench.board_watchers import Boards, signed_in
from wms.bench.common import add_site_argument, drain_outbox, pct, start_sink
from wms.loopback import ProcessServer, free_port

DONE = ("done", "short", "cancelled")


class ScanRecorder(floor.Recorder):
    """The floor's recorder, also noting when each pick's answer came back."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: list[tuple[int, int, float]] = []  # (batch, stops done, at)

    async def call(
        self, client: httpx.AsyncClient, method: str, url: str, **kw: Any
    ) -> httpx.Response:
        r = await super().call(client, method, url, **kw)
        if url.endswith("/confirm") and r.status_code == 200:
            batch = r.json()
            done = sum(1 for s in batch["stops"] if s["status"] in DONE)
            self.answered.append((batch["id"], done, time.perf_counter()))
        return r


async def _floor_run(
    url: str, db_path: Path, skus: list[str], args: argparse.Namespace, boards: int
) -> dict[str, Any]:
    boards_open = Boards(url, boards) if boards else None
    if boards_open:
        await boards_open.ready()
    original = floor.Recorder
    floor.Recorder = ScanRecorder  # type: ignore[misc]  # _work builds its recorder by name
    try:
        rec, _picking_s = await floor._work(url, db_path, skus, args)
    finally:
        floor.Recorder = original  # type: ignore[misc]
    await asyncio.sleep(1.5)  # the last scans' fragments are still on their way to the boards
    seen = await boards_open.stop() if boards_open else []
    delays = [
        (board[(b, done)] - at) * 1000
        for board in seen
        for b, done, at in rec.answered  # type: ignore[attr-defined]
        if (b, done) in board
    ]
    return {
        "latencies": rec.latencies,
        "errors": len(rec.errors),
        "delays": delays,
        "missed": boards * len(rec.answered) - len(delays),  # type: ignore[attr-defined]
    }


def _pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One condition's rounds as one sample: percentiles over every call of every round."""
    latencies = [ms for r in runs for ms in r["latencies"]]
    delays = [ms for r in runs for ms in r["delays"]]
    return {
        "floor_p99_ms": pct(latencies, 99),
        "floor_p99_ms_each_round": [pct(r["latencies"], 99) for r in runs],
        "calls": len(latencies),
        "errors": sum(r["errors"] for r in runs),
        "board_p50_ms": pct(delays, 50) if delays else None,
        "board_p99_ms": pct(delays, 99) if delays else None,
        "board_updates_missed": sum(r["missed"] for r in runs),
    }


def _lines(skus: list[str], i: int) -> list[dict[str, Any]]:
    """A third of the orders are one unit, the rest two SKUs: single-unit orders are picked
    in bulk (a wave of 2,000 of them made 11 batches, so only 11 of 40 pickers had work)."""
    first, second = skus[i % len(skus)], skus[(i + 7) % len(skus)]
    picked = [first] if i % 3 == 0 else [first, second]
    return [{"sku": sku, "qty": 1, "unit_price": "9.90"} for sku in picked]


async def _intake(c: httpx.AsyncClient, skus: list[str], n: int, prefix: str) -> list[int]:
    sem = asyncio.Semaphore(8)

    async def one(i: int) -> int:
        async with sem:
            r = await c.post(
                "/api/v1/orders/",
                params={"channel": "own-main"},
                json={"order_id": f"{prefix}-{i}", "currency": "USD", "ship_to": floor.SHIP_TO,
                      "lines": _lines(skus, i)},
            )  # fmt: skip
            r.raise_for_status()
            return int(r.json()["id"])

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def _release(c: httpx.AsyncClient, ids: list[int]) -> httpx.Response:
    return await c.post(
        "/api/v1/waves/",
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={"order_ids": ids, "max_orders": len(ids), "max_units": 100_000,
              "max_batches": 1000, "iterations": 0, "time_budget_s": 30},
        timeout=600,
    )  # fmt: skip


async def _page_run(url: str, skus: list[str], args: argparse.Namespace) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        c.headers["Authorization"] = "Bearer demo-integration-token"
        ids = await _intake(c, skus, args.open_orders, "OPEN")
        r = await c.post("/api/v1/auth/login", json={"badge": "B3001", "pin": "4321"})
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        (await _release(c, ids[: args.wave_orders])).raise_for_status()
    console = await signed_in(url)
    page_ms = []
    try:
        for _ in range(args.pages):
            started = time.perf_counter()
            r = await console.get("/ui/")
            page_ms.append((time.perf_counter() - started) * 1000)
            r.raise_for_status()
    finally:
        await console.aclose()
    # The release phase's orders come in after the page is timed: the page is measured
    # with --open-orders in the database, not with those and twelve waves' more.
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        c.headers["Authorization"] = "Bearer demo-integration-token"
        more = await _intake(c, skus, args.release_orders * args.release_waves, "MORE")
    return {"page_p50_ms": pct(page_ms, 50), "page_p99_ms": pct(page_ms, 99)} | await _releases(
        url, more, args
    )


async def _releases(url: str, more: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """Pickers scan the released wave while waves of ``--release-orders`` are planned and
    released, one after another, until the scans answered inside those plan+release windows
    number ``--release-samples`` (or ``--release-waves`` waves were released). Each window
    runs from the release call to its answer: planning and writing the wave both."""
    rec = floor.Recorder()
    totes: asyncio.Queue[str | None] = asyncio.Queue()
    # Faster than people: more samples in the same windows, and a harder floor.
    pace = dataclasses.replace(floor._pace(args), speed=args.release_speed)
    pickers = [
        asyncio.create_task(people.picker(url, n, rec, totes, pace)) for n in range(args.pickers)
    ]
    windows: list[tuple[float, float]] = []
    statuses: list[int] = []
    try:
        await asyncio.sleep(3)  # the pickers are on their batches
        async with httpx.AsyncClient(base_url=url, timeout=600) as c:
            r = await c.post("/api/v1/auth/login", json={"badge": "B3001", "pin": "4321"})
            c.headers["Authorization"] = f"Bearer {r.json()['token']}"
            for k in range(args.release_waves):
                start = time.perf_counter()
                released = await _release(c, more[k * args.release_orders :][: args.release_orders])
                windows.append((start, time.perf_counter()))
                statuses.append(released.status_code)
                if len(_inside(rec, windows)) >= args.release_samples:
                    break
    finally:
        for t in pickers:
            t.cancel()
        await asyncio.gather(*pickers, return_exceptions=True)
    during = _inside(rec, windows)
    return {
        "release_s": [round(b - a, 2) for a, b in windows],
        "release_status": statuses,
        "release_picker_speed": args.release_speed,
        "scans_during_release": len(during),
        "scan_p50_during_release_ms": pct(during, 50) if during else None,
        "scan_p99_during_release_ms": pct(during, 99) if during else None,
    }


def _inside(rec: floor.Recorder, windows: list[tuple[float, float]]) -> list[float]:
    """Latencies of the floor's calls that started inside a window (and were answered)."""
    return [ms for (t, ms, _sv, _n) in rec.trace if any(a <= t <= b for a, b in windows)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wms bench board")
    add_site_argument(parser)
    parser.add_argument("--pickers", type=int, default=40)
    parser.add_argument("--packers", type=int, default=10)
    parser.add_argument("--orders", type=int, default=320)
    parser.add_argument("--boards", type=int, default=5)
    parser.add_argument(
        "--rounds", type=int, default=2, help="pairs of floor runs, without and with boards"
    )
    parser.add_argument("--open-orders", type=int, default=10_000)
    parser.add_argument("--wave-orders", type=int, default=2_000)
    parser.add_argument("--release-orders", type=int, default=1_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--release-waves", type=int, default=12)
    parser.add_argument("--release-samples", type=int, default=200)
    parser.add_argument("--release-speed", type=float, default=4.0)
    parser.add_argument(
        "--only", choices=["floor", "release"], help="one part: the boards' runs, or the pages"
    )
    pace = floor.Pace()
    parser.add_argument("--stop-s", type=float, default=pace.stop_s)
    parser.add_argument("--bind-s", type=float, default=pace.bind_s)
    parser.add_argument("--scan-s", type=float, default=pace.scan_s)
    parser.add_argument("--close-s", type=float, default=pace.close_s)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="wms-bench-board-"))
    sink_port = free_port()
    sink = start_sink(sink_port)
    printer = SimulatorThread(port=0).start()
    result: dict[str, Any] = {"db": "sqlite", "boards": args.boards}
    try:
        base = work / "base.sqlite"
        skus = asyncio.run(
            floor._setup(base, f"http://127.0.0.1:{sink_port}",
                         f"tcp://127.0.0.1:{printer.port}", args.pickers, args.packers, args.site)
        )  # fmt: skip
        # Rounds alternate which run goes first (ABBA), so that a machine drifting over the
        # minutes weighs on both runs alike.
        pair = [("without_boards", 0), ("with_boards", args.boards)]
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in pair}
        for k in range(args.rounds if args.only != "release" else 0):
            for name, boards in pair if k % 2 == 0 else pair[::-1]:
                path = work / f"{name}-{k}.sqlite"
                shutil.copyfile(base, path)
                with ProcessServer(f"sqlite+aiosqlite:///{path}") as server:
                    rounds[name].append(
                        asyncio.run(_floor_run(server.url, path, skus, args, boards))
                    )
                    asyncio.run(drain_outbox(path))
        for name, got in rounds.items():
            if got:
                result[name] = _pooled(got)
        path = work / "pages.sqlite"
        shutil.copyfile(base, path)
        if args.only != "floor":
            with ProcessServer(f"sqlite+aiosqlite:///{path}") as server:
                result["page"] = asyncio.run(_page_run(server.url, skus, args))
    finally:
        printer.stop()
        sink.terminate()
    with_b = result.get("with_boards", {})
    without = result.get("without_boards", {})
    page = result.get("page", {})
    result |= {
        "board_p50_ms": with_b.get("board_p50_ms"),
        "board_p99_ms": with_b.get("board_p99_ms"),
        "page_p99_ms": page.get("page_p99_ms"),
        "floor_p99_ms_without_boards": without.get("floor_p99_ms"),
        "floor_p99_ms_with_boards": with_b.get("floor_p99_ms"),
        "scan_p99_during_release_ms": page.get("scan_p99_during_release_ms"),
        "scans_during_release": page.get("scans_during_release"),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    errors = with_b.get("errors", 0) + without.get("errors", 0)
    failed = any(code != 201 for code in page.get("release_status", []))
    return 0 if not errors and not failed and with_b.get("board_updates_missed", 0) == 0 else 1
