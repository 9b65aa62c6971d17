"""What the benchmarks share: a demo warehouse pointed at a sink, percentiles, the sink and
ceiling processes."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import update

from wms import migrate
from wms.config import ROOT
from wms.db import Database
from wms.loopback import free_port, wait_until_up
from wms.models import Channel
from wms.services import loader

FIXTURES = ROOT / "fixtures"


async def demo_database(path: Path, sink_url: str) -> Database:
    """Migrate and load the demo warehouse into `path`; its channels push to the sink."""
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrate.upgrade, url)
    db = Database(url)
    await loader.load_warehouse(db, FIXTURES / "demo")
    async with db.write() as s:
        await s.execute(update(Channel).values(api_base_url=sink_url))
    return db


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
    from sqlalchemy import func, select

    from wms.models import Outbox

    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            async with db.read() as s:
                left = (
                    await s.execute(
                        select(func.count())
                        .select_from(Outbox)
                        .where(Outbox.status.in_(["pending", "sending"]))
                    )
                ).scalar()
            if not left:
                return
            await asyncio.sleep(0.1)
    finally:
        await db.dispose()
