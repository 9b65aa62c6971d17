"""What the benchmarks share: a site's warehouse pointed at a sink, percentiles, the sink and
ceiling processes.

A bench is given its site as a directory (`--site`, the demo's by default from `wms bench`)
and loads it the way a merchant's own site is loaded (`loader.load_warehouse`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wms import migrate
from wms.db import Database, reads
from wms.loopback import free_port, wait_until_up
from wms.models import Channel, Outbox
from wms.services import loader


def add_site_argument(parser: argparse.ArgumentParser) -> None:
    """`--site DIR`: the site the bench runs on (`wms bench` passes the demo's)."""
    parser.add_argument(
        "--site", type=Path, required=True, help="site directory (layout, channels...)"
    )


async def site_database(path: Path, sink_url: str, site: Path) -> Database:
    """Migrate and load the site's warehouse into `path`; its channels push to the sink."""
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrate.upgrade, url)
    db = Database(url)
    await loader.load_warehouse(db, site)
    await db.run(_point_channels_at, sink_url)
    return db


def _point_channels_at(s: Session, url: str) -> None:
    s.execute(update(Channel).values(api_base_url=url))


def start_sink(port: int) -> subprocess.Popen[bytes]:
    """The channels' stand-in (wms.bench.sink) in its own process."""
    proc = subprocess.Popen([sys.executable, "-m", "wms.bench.sink", str(port)])
    for _ in range(1200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise TimeoutError("bench sink did not start")


@contextlib.contextmanager
def ceiling_server(db: Path, secret: str = "x") -> Iterator[str]:
    """The bare endpoint (wms.bench.ceiling) on `db`, in a process of its own; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "wms.bench.ceiling", "--db", str(db), "--port", str(port)]
    proc = subprocess.Popen([*command, "--secret", secret])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc=proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return round(values[0], 2) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2)


async def drain_outbox(path: Path, timeout_s: float = 120) -> None:
    """Wait until every outbox row of the database at `path` has been delivered."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not await db.run(undelivered):
                return
            await asyncio.sleep(0.1)
    finally:
        await db.dispose()


@reads
def undelivered(s: Session) -> int:
    """Outbox rows not yet delivered (pending, or being sent)."""
    query = select(func.count()).select_from(Outbox)
    return int(s.execute(query.where(Outbox.status.in_(["pending", "sending"]))).scalar() or 0)
